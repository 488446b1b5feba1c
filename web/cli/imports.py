"""Bulk imports from a file: ``appraisal import KIND FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from web.cli.base import admin, main, opened, progress
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


def _estimated_rows(path: str, form: str) -> int:
    """Lines in the file (less a CSV header): the rows, unless fields span lines."""
    lines, last = 0, b"\n"
    with open(path, "rb") as stream:
        while block := stream.read(1024 * 1024):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(lines - (form == "csv"), 0)


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
    with (
        opened(settings) as runtime,
        open(path, "rb") as stream,
        progress(kind, "row", total=_estimated_rows(path, form)) as bar,
    ):

        def reject(error: RowError) -> None:
            bar.write(f"row {error.row}: {error.field}: {error.message}")

        summary = import_rows(
            runtime.app,
            admin(),
            kind,
            Declared(stream, encoding) if encoding else stream,
            form,
            source=f"cli:{Path(path).name}",
            chunk_rows=chunk_rows,
            on_reject=reject,
            on_progress=bar.advance,
        )
    click.echo(
        f"{path}: {summary.rows} {kind} rows: {summary.recorded} recorded, "
        f"{summary.corrected} corrected, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected (position {summary.position})",
        err=True,
    )
    if summary.rejected or summary.errors:
        raise click.exceptions.Exit(1)
