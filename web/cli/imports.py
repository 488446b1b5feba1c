"""Bulk imports from a file: ``appraisal import KIND FILE``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import click

from projections.import_jobs import ImportJob
from web.cli.base import Progress, admin, main, opened, progress
from web.config import Settings
from web.importing import (
    CHARSETS,
    CHUNK_ROWS,
    EXTENSIONS,
    IMPORT_KINDS,
    Declared,
    RowError,
    import_rows,
)
from web.importing.jobs import Tracker, count_lines, estimated_rows


def _estimated_rows(path: str, form: str) -> int:
    with open(path, "rb") as stream:
        return estimated_rows(count_lines(stream), form)


def _shown(bar: Progress) -> Callable[[ImportJob], None]:
    """The bar follows the job: its rows done (the bar's rate and time left
    come from them) and rejected; once it is over, its rows are the total."""

    def show(job: ImportJob) -> None:
        bar.advance(job.rows_done, job.rows_done if job.finished_at else None)
        bar.note(f"{job.rejected} rejected")

    return show


@main.command("import", epilog=f"KIND is one of {', '.join(IMPORT_KINDS)}.")
@click.argument("kind", metavar="KIND", type=click.Choice(IMPORT_KINDS))
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "form",
    type=click.Choice(["csv", "jsonl"]),
    help="The file's format (default: from its extension: .csv, .jsonl, .ndjson).",
)
@click.option(
    "--encoding",
    type=click.Choice(list(CHARSETS), case_sensitive=False),
    help="The file's charset (default: UTF-8 with or without a BOM, or GB18030 "
    "as Excel writes on Chinese Windows, told from the file's first block).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=CHUNK_ROWS,
    show_default=True,
    help="Rows recorded in one transaction.",
)
@click.pass_obj
def import_file(
    settings: Settings,
    kind: str,
    path: str,
    form: str | None,
    encoding: str | None,
    chunk_rows: int,
) -> None:
    """Import a CSV or JSON Lines FILE of KIND rows (an observation kind, or
    orders for an order-system export), as the API's POST /imports/KIND does.
    Rejected rows are listed on stderr; the exit code is 1 if there were any."""
    form = form or EXTENSIONS.get(Path(path).suffix.lower())
    if form is None:
        raise click.UsageError(
            f"cannot tell the format of {path} from its extension; use --format"
        )
    rows = _estimated_rows(path, form)
    with (
        opened(settings) as runtime,
        open(path, "rb") as stream,
        progress(kind, "row", total=rows) as bar,
    ):

        def reject(error: RowError) -> None:
            bar.write(f"row {error.row}: {error.field}: {error.message}")

        tracker = Tracker(ImportJob(uuid4(), kind, rows_estimated=rows), _shown(bar))
        tracker.started()

        summary = import_rows(
            runtime.app,
            admin(),
            kind,
            Declared(stream, encoding) if encoding else stream,
            form,
            source=f"cli:{Path(path).name}",
            chunk_rows=chunk_rows,
            on_reject=reject,
            on_progress=tracker.chunk,
        )
        tracker.finished(summary)
    click.echo(
        f"{path}: {summary.rows} {kind} rows: {summary.recorded} recorded, "
        f"{summary.corrected} corrected, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected (position {summary.position})",
        err=True,
    )
    if summary.unscored:
        reasons = "; ".join(summary.unscored_reasons)
        click.echo(f"{summary.unscored} rows not scored: {reasons}", err=True)
    if summary.rejected or summary.errors:
        raise click.exceptions.Exit(1)
