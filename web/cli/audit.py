"""For auditors: verify the hash chain (and a checkpoint of it), export the
events behind an agent-month or a month."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from projections.audit import Checkpoint
from projections.audit import export as exported_lines
from projections.audit import verify as verify_chain
from projections.runtime import Runtime
from web.cli.base import accepted_month, main, opened, progress
from web.config import Settings


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
    key = (settings.checkpoint_key or "").encode()
    if checkpoint and not key:
        raise click.ClickException(
            "set APPRAISAL_CHECKPOINT_KEY to the secret that signs checkpoints"
        )
    with opened(settings) as runtime:
        with progress("verify", "event") as bar:
            result = verify_chain(runtime, bar.advance)
        if not result.ok:
            click.echo(f"TAMPERED: {result.first_bad['reason']}", err=True)  # type: ignore[index]
            raise click.exceptions.Exit(1)
        click.echo(f"verified {result.events} events in {result.seconds:.2f} s")
        if checkpoint:
            _checkpoint(runtime, Path(checkpoint), key)


def _checkpoint(runtime: Runtime, path: Path, key: bytes) -> None:
    """Check the store against the checkpoint in ``path``, then write the
    current head there."""
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
    with opened(settings) as runtime:
        runtime.catch_up()
        for line in exported_lines(runtime, accepted_month(month), agent_id):
            output.write(line)
