"""The ``appraisal`` command: serve, demo, project, token issue."""

from __future__ import annotations

import getpass
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import click
from marshmallow import ValidationError

from domain.access import VALID_DAYS, Principal, Role
from domain.errors import DomainError
from domain.month import Month, MonthRange, parse_day
from domain.rulebook import Rulebook
from domain.text import PROBLEM, printable, unstorable_fields
from projections.migrate import create_postgres_schema
from projections.runtime import Runtime, StoreConfig
from web.config import ConfigError, Settings
from web.errors import flatten
from web.operational import operational_message
from web.rulebook_schema import parse_rulebook

T = TypeVar("T")


def _runtime(settings: Settings, store: StoreConfig | None = None) -> Runtime:
    return Runtime(
        store or settings.store,
        today=settings.clock,
        months=settings.months,
    )


class Command(click.Command):
    """A command whose arguments follow the store's text rule, and whose
    failures are one line saying what is wrong and what to do (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        for name, value in ctx.params.items():
            if unstorable_fields(value):
                raise click.BadParameter(PROBLEM, ctx=ctx, param_hint=f"'{name}'")
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader went away (``| head``): stop quietly
            raise click.exceptions.Exit(1) from None
        except DomainError as error:
            raise click.ClickException(printable(error.message)) from None
        except Exception as error:  # an operational error: one line, no traceback
            message = operational_message(error, ctx.find_object(Settings))
            if message is None:
                raise
            raise click.ClickException(message) from None


class Group(Command, click.Group):
    command_class = Command
    group_class = type


@click.group(cls=Group)
@click.option(
    "--database-url",
    metavar="URL",
    help="PostgreSQL URL (default: $DATABASE_URL, else SQLite files).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Directory of the SQLite files (default: $APPRAISAL_DATA_DIR or ./data).",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None, data_dir: str | None) -> None:
    """Event-sourced KPI appraisal for customer-service teams."""
    overrides = {"database_url": database_url, "data_dir": data_dir}
    try:
        ctx.obj = Settings.from_env().updated({k: v for k, v in overrides.items() if v})
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API under gunicorn."""
    from gunicorn.app.base import BaseApplication

    from web import create_app
    from web.server import SETTINGS

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            for name, value in SETTINGS.items():  # problem+json, wider limits
                self.cfg.set(name, value)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return create_app(settings)

    click.echo(f"Serving on http://{host}:{port} (docs at /docs)", err=True)
    Server().run()


@main.command()
@click.pass_obj
def demo(settings: Settings) -> None:
    """Load the demo department (idempotent) and print its tokens."""
    from web.demo import load_demo

    runtime = _runtime(settings)
    try:
        loaded = load_demo(runtime, settings.data_dir)
    finally:
        runtime.close()
    click.echo(
        f"Demo department: {loaded.agents_added} agents and "
        f"{loaded.deductions_added} deductions added."
    )
    click.echo(f"Demo tokens (also in {loaded.tokens_file}):")
    for who, token in loaded.tokens.items():
        click.echo(f"  {who:22} {token}")


@main.command()
@click.pass_obj
def project(settings: Settings) -> None:
    """Keep the read models up to date until stopped (SIGINT or SIGTERM)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    runtime = _runtime(settings, settings.projector_store)
    click.echo(f"Projecting from position {runtime.position}", err=True)
    try:
        runtime.run_projector(stop)
    finally:
        runtime.close()


@main.command()
@click.option(
    "--create-schema",
    is_flag=True,
    help="Create APPRAISAL_POSTGRES_SCHEMA first if it does not exist.",
)
@click.pass_obj
def migrate(settings: Settings, create_schema: bool) -> None:
    """Create the tables, indexes and triggers the store needs: only what is
    missing, never locking what exists. Safe to run at any time."""
    if create_schema and settings.database_url:
        made = create_postgres_schema(settings.database_url, settings.postgres_schema)
        if made:
            click.echo(f"created schema {settings.postgres_schema}")
    with _opened(settings) as runtime:
        runtime.view  # noqa: B018 - the live generation's tables too
        created = runtime.created
    for name in created:
        click.echo(f"created {name}")
    click.echo(f"{len(created)} objects created" if created else "nothing to create")


def _admin() -> Principal:
    """Commands run on the server's own machine act as an admin."""
    return Principal(getpass.getuser() or "cli", Role.ADMIN)


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
    with _opened(settings) as runtime:
        published = runtime.app.publish_rulebook(
            _admin(), checked, _month(effective_from)
        )
    click.echo(
        f"published {published.rulebook_id} v{published.version} effective from "
        f"{published.effective_from} (position {published.position})"
    )


@rulebook.command("preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "first", required=True, metavar="YYYY-MM")
@click.option("--to", "last", required=True, metavar="YYYY-MM")
@click.option("--json", "as_json", is_flag=True, help="Print the full diff as JSON.")
@click.pass_obj
def preview_rulebook(
    settings: Settings, path: str, first: str, last: str, as_json: bool
) -> None:
    """Show what a candidate rulebook would change; store nothing."""
    from projections.preview import preview
    from web.preview_schemas import PreviewOut

    candidate = _load_rulebook(path)
    with _opened(settings) as runtime:
        runtime.catch_up()
        result = preview(
            runtime.view, candidate, Month.span(_month(first), _month(last))
        )
    if as_json:
        click.echo(json.dumps(PreviewOut().dump(result), indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{result.compared} agent-months compared, {len(result.changes)} changed, "
        f"{result.agents_changed} agents"
    )
    for change in result.changes:
        moves = [f"{change.before.total} -> {change.after.total}"]
        if change.before.rank != change.after.rank:
            moves.append(f"rank {change.before.rank} -> {change.after.rank}")
        moves += [
            f"{what} {how}"
            for what, how in (("top", change.top), ("bottom group", change.bottom))
            if how
        ]
        click.echo(f"  {change.month} {change.agent_id:12} " + ", ".join(moves))


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--effective-from", metavar="YYYY-MM", help="First month the rules apply to."
)
@click.option("--resume", "resume_id", metavar="REBUILD_ID", help="Carry on a rebuild.")
@click.pass_obj
def rebuild(
    settings: Settings,
    path: str | None,
    effective_from: str | None,
    resume_id: str | None,
) -> None:
    """Apply a rulebook from a past month on: rebuild the read models beside the
    live ones, then switch readers to them."""
    from tqdm import tqdm

    from projections import rebuild as rebuilds

    if bool(path) == bool(resume_id) or (path and not effective_from):
        raise click.UsageError(
            "give PATH with --effective-from, or --resume REBUILD_ID"
        )
    with _opened(settings) as runtime:
        if path:
            requested = runtime.app.request_rebuild(
                _admin(),
                _load_rulebook(path),
                _month(effective_from or ""),
            )
            rebuild_id = requested.rebuild_id
            click.echo(f"rebuild {rebuild_id}: generation {requested.generation}")
        else:
            rebuild_id = _uuid(resume_id or "")
            found = runtime.app.get_rebuild(rebuild_id)
            if found.status != "running":
                raise click.ClickException(f"the rebuild is already {found.status}")
        with tqdm(total=runtime.head, unit="event", desc="rebuild") as bar:

            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            position = rebuilds.run(runtime, rebuild_id, advance)
        result = runtime.app.get_rebuild(rebuild_id).result
    summary = result["summary"]
    click.echo(
        f"readers switched at position {position}: {summary['agents_changed']} agents, "
        f"{summary['agent_months_changed']} agent-months changed; "
        f"digest {result['digest'][:12]}"
    )


@main.group("read-models")
def read_models() -> None:
    """Generations of the read models: list, activate, drop."""


@read_models.command("list")
@click.pass_obj
def list_generations(settings: Settings) -> None:
    with _opened(settings) as runtime:
        register = runtime.app.rules_register()
        for generation, parent in sorted(register.parents.items()):
            state = (
                "live"
                if generation == register.live
                else "building"
                if generation == register.building
                else "dropped"
                if generation in register.dropped
                else "kept"
            )
            click.echo(f"{generation}\t{state}\tparent {parent}")


@read_models.command("activate")
@click.argument("generation", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def activate_generation(settings: Settings, generation: int, reason: str) -> None:
    """Switch readers to a generation (e.g. back to the one before a rebuild)."""
    with _opened(settings) as runtime:
        position = runtime.app.switch_generation(_admin(), generation, reason)
    click.echo(f"readers use generation {generation} from position {position}")


@read_models.command("drop")
@click.argument("generation", type=int)
@click.pass_obj
def drop_generation(settings: Settings, generation: int) -> None:
    """Drop a generation that is neither live nor being built."""
    with _opened(settings) as runtime:
        runtime.app.drop_generation(_admin(), generation)
        runtime.drop_view(generation)
    click.echo(f"generation {generation} dropped")


@contextmanager
def _opened(settings: Settings) -> Iterator[Runtime]:
    runtime = _runtime(settings)
    try:
        yield runtime
    finally:
        runtime.close()


def _month(text: str) -> Month:
    return _accepted(Month.parse, text)


def _day(text: str) -> date:
    return _accepted(parse_day, text)


def _accepted(parse: Callable[[str], T], text: str) -> T:
    """A month or day argument, within the months the service accepts."""
    settings = click.get_current_context().find_object(Settings)
    try:
        return (settings.months if settings else MonthRange()).read(parse, text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a rebuild id") from None


@main.group()
def period() -> None:
    """A month's appraisal period: close, publish, reopen, show."""


@period.command("show")
@click.argument("month")
@click.pass_obj
def show_period(settings: Settings, month: str) -> None:
    """Status, review window and history of a month's period."""
    from projections.cycle import period_view

    with _opened(settings) as runtime:
        runtime.catch_up()
        found = period_view(runtime.view, _month(month), runtime.app.today())
    click.echo(f"{found.month}: {found.status.value} ({found.phase})")
    click.echo(f"review window: {found.review_from} to {found.review_to}")
    for entry in found.history:
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        click.echo(f"  {entry['at'][:19]} {entry['event']} by {entry['by']}{reason}")


def _period_command(name: str, doc: str, needs_reason: bool = False) -> None:
    @period.command(name, help=doc)
    @click.argument("month")
    @click.option("--reason", required=needs_reason, help="Why (required to reopen).")
    @click.pass_obj
    def command(settings: Settings, month: str, reason: str | None) -> None:
        with _opened(settings) as runtime:
            act = getattr(runtime.app, f"{name}_period")
            args = (_admin(), _month(month), *((reason,) if needs_reason else ()))
            position = act(*args)
        click.echo(f"{month} {PAST[name]} at position {position}")


PAST = {"close": "closed", "publish": "published", "reopen": "reopened"}
_period_command("close", "Close a month that has ended: its facts are final.")
_period_command("publish", "Issue a closed month's report.")
_period_command("reopen", "Reopen a closed or published month.", needs_reason=True)


@main.group()
def calendar() -> None:
    """The company's own closed days."""


@calendar.command("close-day")
@click.argument("day")
@click.option("--reason", required=True)
@click.pass_obj
def close_day(settings: Settings, day: str, reason: str) -> None:
    """Make DAY (YYYY-MM-DD) a non-working day for review windows."""
    closed = _day(day)
    with _opened(settings) as runtime:
        position = runtime.app.close_day(_admin(), closed, reason)
    click.echo(f"{closed} closed" if position else f"{closed} was closed")


@main.command()
@click.argument("month")
@click.option("--output", "-o", type=click.File("w"), default="-", help="CSV file.")
@click.pass_obj
def payroll(settings: Settings, month: str, output: Any) -> None:
    """Write the payroll of a published month as CSV."""
    from domain.periods import Status
    from projections.cycle import payroll as lines
    from web.periods import payroll_csv

    with _opened(settings) as runtime:
        runtime.catch_up()
        period = _month(month)
        if runtime.view.period(period).status is not Status.PUBLISHED:
            raise click.ClickException(
                f"{period} is not published; its payroll is not final"
            )
        output.write(payroll_csv(lines(runtime.view, period)))


@main.command()
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False),
    help="A signed checkpoint of the chain's head, kept outside the database: "
    "checked if the file exists, then moved to the current head "
    "(needs APPRAISAL_CHECKPOINT_KEY).",
)
@click.pass_obj
def verify(settings: Settings, checkpoint: str | None) -> None:
    """Check every stored event against the hash chain (and the chain against
    the reports that recorded its head, and a checkpoint); exit 1 if anything
    was altered."""
    from tqdm import tqdm

    from projections.audit import verify as check

    key = (settings.checkpoint_key or "").encode()
    if checkpoint and not key:
        raise click.ClickException(
            "set APPRAISAL_CHECKPOINT_KEY to the secret that signs checkpoints"
        )
    with _opened(settings) as runtime:
        with tqdm(unit="event", desc="verify") as bar:

            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            result = check(runtime, advance)
        if not result.ok:
            click.echo(f"TAMPERED: {result.first_bad['reason']}", err=True)  # type: ignore[index]
            raise click.exceptions.Exit(1)
        click.echo(f"verified {result.events} events in {result.seconds:.2f} s")
        if checkpoint:
            _checkpoint(runtime, Path(checkpoint), key)


def _checkpoint(runtime: Runtime, path: Path, key: bytes) -> None:
    """Check the store against the checkpoint in ``path``, then write the
    current head there."""
    from projections.audit import Checkpoint

    if path.exists():
        try:
            kept = Checkpoint(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as error:
            raise click.ClickException(f"{path} is not a checkpoint: {error}") from None
        problem = kept.problem(runtime, key)
        if problem:
            click.echo(f"TAMPERED: {problem} ({path})", err=True)
            raise click.exceptions.Exit(1)
        click.echo(f"the chain still holds checkpoint {kept.position} ({path})")
    position, digest = runtime.app.recorder.chain_head()  # type: ignore[attr-defined]
    fresh = Checkpoint.of(key, position, digest)
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(json.dumps(fresh.__dict__, indent=2), encoding="utf-8")
    temporary.replace(path)
    click.echo(f"checkpoint written at position {position}: keep {path} elsewhere")


@main.command()
@click.argument("month")
@click.option("--agent", "agent_id", help="One agent (default: the whole month).")
@click.option("--output", "-o", type=click.File("w"), default="-", help="JSONL file.")
@click.pass_obj
def export(settings: Settings, month: str, agent_id: str | None, output: Any) -> None:
    """Write the events behind an agent-month or a month as JSON Lines, the last
    line holding their SHA-256."""
    from projections.audit import export as lines

    with _opened(settings) as runtime:
        runtime.catch_up()
        for line in lines(runtime, _month(month), agent_id):
            output.write(line)


@main.group()
def token() -> None:
    """Bearer tokens."""


DAYS = click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=VALID_DAYS,
    show_default=True,
    help="How many days the token is valid, today included.",
)


@token.command("issue")
@click.option("--user", required=True, help="User name (for agents: the agent id).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", help="The supervisor's team.")
@click.option("--new-team", is_flag=True, help="The team has no agents yet.")
@DAYS
@click.pass_obj
def issue_token(
    settings: Settings,
    user: str,
    role: str,
    team: str | None,
    new_team: bool,
    days: int,
) -> None:
    """Issue a bearer token and print it (only its hash is stored)."""
    with _opened(settings) as runtime:
        runtime.app.check_holder(user, Role(role), team, new_team=new_team)
        issued = runtime.app.issue_token(user, Role(role), team, "cli", days)
    click.echo(issued.token)
    click.echo(f"token {issued.token_id}, valid until {issued.expires_on}", err=True)


@token.command("list")
@click.pass_obj
def list_tokens(settings: Settings) -> None:
    """Every token: id, user, role, team, issued, expires, last used, state.
    Never the secret."""
    with _opened(settings) as runtime:
        tokens = runtime.app.tokens()
        used = runtime.usage.last_used()
        today = runtime.app.today()
    click.echo("id\tuser\trole\tteam\tissued\texpires\tlast used\tstate")
    for t in tokens:
        state = (
            f"revoked {t.revoked['on']}: {t.revoked['reason']}"
            if t.revoked
            else "expired"
            if t.expires_on < today
            else "valid"
        )
        last = used.get(t.token_id)
        click.echo(
            "\t".join([t.token_id, t.user, t.role, t.team or "-", str(t.issued_on),
                       str(t.expires_on), last.isoformat(timespec="seconds")
                       if last else "never", state])
        )  # fmt: skip


@token.command("revoke")
@click.argument("token_id")
@click.option("--reason", required=True, help="Why (shown to its holder).")
@click.pass_obj
def revoke_token(settings: Settings, token_id: str, reason: str) -> None:
    """Revoke a token (by its id from 'token list'); it is refused from now on."""
    with _opened(settings) as runtime:
        position = runtime.app.revoke_token(token_id, _admin().user, reason)
    click.echo(f"revoked at position {position}" if position else "already revoked")


@token.command("rotate")
@click.argument("token_id")
@DAYS
@click.pass_obj
def rotate_token(settings: Settings, token_id: str, days: int) -> None:
    """Issue a token's successor (same user, role and team), revoke it, and
    print the new token."""
    with _opened(settings) as runtime:
        issued = runtime.app.rotate_token(token_id, _admin().user, days)
    click.echo(issued.token)
    click.echo(f"token {issued.token_id}, valid until {issued.expires_on}", err=True)


def _import_kinds() -> list[str]:
    from web.importing import IMPORT_KINDS

    return list(IMPORT_KINDS)


def _estimated_rows(path: str, form: str) -> int:
    """Lines in the file (less a CSV header): the rows, unless fields span lines."""
    lines, last = 0, b"\n"
    with open(path, "rb") as stream:
        while block := stream.read(1024 * 1024):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(lines - (form == "csv"), 0)


@main.command("import", epilog=f"KIND is one of {', '.join(_import_kinds())}.")
@click.argument("kind", metavar="KIND", type=click.Choice(_import_kinds()))
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "form",
    type=click.Choice(["csv", "jsonl"]),
    help="The file's format (default: from its extension: .csv, .jsonl, .ndjson).",
)
@click.pass_obj
def import_file(settings: Settings, kind: str, path: str, form: str | None) -> None:
    """Import a CSV or JSON Lines FILE of KIND rows (an observation kind, or
    orders for an order-system export), as the API's POST /imports/KIND does.
    Rejected rows are listed on stderr; the exit code is 1 if there were any."""
    import sys

    from tqdm import tqdm

    from web.importing import EXTENSIONS, RowError, import_rows

    form = form or EXTENSIONS.get(Path(path).suffix.lower())
    if form is None:
        raise click.UsageError(
            f"cannot tell the format of {path} from its extension; use --format"
        )
    reported = 0
    with (
        _opened(settings) as runtime,
        open(path, "rb") as stream,
        tqdm(total=_estimated_rows(path, form), unit="row", desc=kind) as bar,
    ):

        def reject(error: RowError) -> None:
            nonlocal reported
            reported += 1
            bar.write(
                f"row {error.row}: {error.field}: {error.message}", file=sys.stderr
            )

        def advance(row: int) -> None:
            bar.update(max(row - bar.n, 0))

        summary = import_rows(
            runtime.app,
            _admin(),
            kind,
            stream,
            form,
            source=f"cli:{Path(path).name}",
            on_reject=reject,
            on_progress=advance,
        )
    click.echo(
        f"{path}: {summary.rows} {kind} rows: {summary.recorded} recorded, "
        f"{summary.corrected} corrected, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected (position {summary.position})",
        err=True,
    )
    if summary.rejected or reported:
        raise click.exceptions.Exit(1)
