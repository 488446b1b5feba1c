"""Rules: rulebook documents (validate, publish, preview), rebuilds under a
rule change reaching into the past, and the read models' generations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import click
from marshmallow import ValidationError

from domain.month import Month
from domain.rulebook import Rulebook
from projections import rebuild as rebuilds
from projections.preview import Preview, preview
from projections.runtime import Runtime
from web.cli.base import accepted_month, admin, main, opened, progress
from web.config import Settings
from web.errors import flatten
from web.generations import generations
from web.preview_schemas import PreviewOut
from web.rulebook_schema import parse_rulebook


def _load_rulebook(path: str) -> Rulebook:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"cannot read {path}: {error}") from None
    try:
        return parse_rulebook(document)
    except ValidationError as error:
        for field, messages in flatten(error.messages).items():
            for message in messages:
                click.echo(f"{path}: {field}: {message}", err=True)
        raise click.exceptions.Exit(1) from None


@main.group()
def rulebook() -> None:
    """Rulebook documents: validate, publish, preview."""


@rulebook.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def validate_rulebook(path: str) -> None:
    """Check a rulebook document; print every error with its field path."""
    checked = _load_rulebook(path)
    items = sum(len(c.items) for c in checked.categories)
    click.echo(
        f"{path}: valid rulebook {checked.id!r}: {len(checked.categories)} "
        f"categories, {items} items, digest {checked.digest[:12]}"
    )


@rulebook.command("publish")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--effective-from", required=True, metavar="YYYY-MM")
@click.pass_obj
def publish_rulebook(settings: Settings, path: str, effective_from: str) -> None:
    """Publish a version effective from this month or later."""
    checked = _load_rulebook(path)
    with opened(settings) as runtime:
        published = runtime.app.publish_rulebook(
            admin(), checked, accepted_month(effective_from)
        )
    click.echo(
        f"published {published.rulebook_id} v{published.version} effective from "
        f"{published.effective_from} (position {published.position})"
    )


@rulebook.command("preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "first", required=True, metavar="YYYY-MM")
@click.option("--to", "last", required=True, metavar="YYYY-MM")
@click.option(
    "--effective-from", metavar="YYYY-MM", help="Published from (default: --from)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the full diff as JSON.")
@click.pass_obj
def preview_rulebook(
    settings: Settings,
    path: str,
    first: str,
    last: str,
    effective_from: str | None,
    as_json: bool,
) -> None:
    """Show what a candidate rulebook would change; store nothing."""
    candidate = _load_rulebook(path)
    with opened(settings) as runtime:
        runtime.catch_up()
        months = Month.span(accepted_month(first), accepted_month(last))
        start = accepted_month(effective_from) if effective_from else None
        result = preview(runtime.view, candidate, months, start)
    if as_json:
        click.echo(json.dumps(PreviewOut().dump(result), indent=2, ensure_ascii=False))
    else:
        _print_preview(result)


def _print_preview(result: Preview) -> None:
    click.echo(
        f"{result.reach.rulebook.ref} (candidate) from {result.reach.effective_from}: "
        f"{result.compared} agent-months compared, {len(result.changes)} changed, "
        f"{result.agents_changed} agents"
    )
    if result.described["warning"]:
        click.echo(f"warning: {result.described['warning']}")
    for change in result.changes:
        moves = [f"{change.before.total} -> {change.after.total}"]
        if change.before.rank != change.after.rank:
            moves.append(f"rank {change.before.rank} -> {change.after.rank}")
        moves += [
            f"{what} {how}"
            for what, how in (
                ("top of the month", change.top_of_month),
                ("bottom group", change.bottom),
            )
            if how
        ]
        click.echo(f"  {change.month} {change.agent_id:12} " + ", ".join(moves))


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--effective-from", metavar="YYYY-MM", help="First month the rules apply to."
)
@click.option("--reason", help="Why the rules are re-applied (kept with the rebuild).")
@click.option("--resume", "resume_id", metavar="REBUILD_ID", help="Carry on a rebuild.")
@click.pass_obj
def rebuild(
    settings: Settings,
    path: str | None,
    effective_from: str | None,
    reason: str | None,
    resume_id: str | None,
) -> None:
    """Apply a rulebook from a past month on: rebuild the read models beside the
    live ones, then switch readers to them."""
    if bool(path) == bool(resume_id) or (path and not effective_from):
        raise click.UsageError(
            "give PATH with --effective-from, or --resume REBUILD_ID"
        )
    with opened(settings) as runtime:
        if path:
            rebuild_id = _request_rebuild(runtime, path, effective_from or "", reason)
        else:
            rebuild_id = _running_rebuild(runtime, resume_id or "")
        with progress("rebuild", "event", total=runtime.head) as bar:
            position = rebuilds.run(runtime, rebuild_id, bar.advance)
        result = runtime.app.get_rebuild(rebuild_id).result
    summary = result["summary"]
    click.echo(
        f"readers switched at position {position}: {summary['agents_changed']} agents, "
        f"{summary['agent_months_changed']} agent-months changed; "
        f"digest {result['digest'][:12]}"
    )


def _request_rebuild(
    runtime: Runtime, path: str, effective_from: str, reason: str | None
) -> UUID:
    requested = runtime.app.request_rebuild(
        admin(), _load_rulebook(path), accepted_month(effective_from), reason
    )
    click.echo(f"rebuild {requested.rebuild_id}: generation {requested.generation}")
    return requested.rebuild_id


def _running_rebuild(runtime: Runtime, text: str) -> UUID:
    """The rebuild ``text`` names, if it is still running."""
    try:
        rebuild_id = UUID(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a rebuild id") from None
    found = runtime.app.get_rebuild(rebuild_id)
    if found.status != "running":
        raise click.ClickException(f"the rebuild is already {found.status}")
    return rebuild_id


@main.group("read-models")
def read_models() -> None:
    """Generations of the read models: list, activate, drop."""


@read_models.command("list")
@click.pass_obj
def list_generations(settings: Settings) -> None:
    """Each generation: live, building, dropped or kept; its parent; the rules
    its rebuild applies, who asked for it, when and why."""
    with opened(settings) as runtime:
        for found in generations(runtime.app):
            click.echo(_generation_line(found))


def _generation_line(found: dict[str, Any]) -> str:
    state = next((s for s in ("live", "building", "dropped") if found[s]), "kept")
    line = f"{found['generation']}\t{state}\tparent {found['parent']}"
    made = found["rebuild"]
    if made is None:
        return f"{line}\tthe first generation"
    return (
        f"{line}\t{made['rulebook_id']} v{made['version']} from "
        f"{made['effective_from']}\tby {made['requested_by']} at "
        f"{made['requested_at'].isoformat(timespec='seconds')}\t"
        f"{made['reason'] or '(no reason given)'}"
    )


@read_models.command("activate")
@click.argument("generation", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def activate_generation(settings: Settings, generation: int, reason: str) -> None:
    """Switch readers to a generation (e.g. back to the one before a rebuild)."""
    with opened(settings) as runtime:
        position = runtime.app.switch_generation(admin(), generation, reason)
    click.echo(f"readers use generation {generation} from position {position}")


@read_models.command("drop")
@click.argument("generation", type=int)
@click.pass_obj
def drop_generation(settings: Settings, generation: int) -> None:
    """Drop a generation that is neither live nor being built."""
    with opened(settings) as runtime:
        runtime.app.drop_generation(admin(), generation)
        runtime.drop_view(generation)
    click.echo(f"generation {generation} dropped")
