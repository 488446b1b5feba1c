"""Phases 1 and 2 of ``bench.imports``: a file through ``appraisal import``,
run in this process as from the shell. What the command writes on stderr (its
progress bar, a line per rejected row, its summary) is shown as it goes and
kept; the benchmark reads its figures from the summary, as a user would."""

from __future__ import annotations

import cProfile
import io
import re
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr
from dataclasses import dataclass
from functools import partial
from typing import TextIO

import click

from bench import common
from bench.common import BenchError, Timing
from bench.exports import ExportFile
from web.cli import main

PROG = "appraisal"
FORM = "csv"
SAMPLE_ERRORS = 5
SUMMARY = re.compile(
    r"(\d+) \w+ rows: (\d+) recorded, (\d+) corrected, (\d+) unchanged, "
    r"(\d+) rejected \(position (\d+)\)"
)
REJECTED = re.compile(r"row \d+: [^\r\n]*")


class _Tee(io.TextIOBase):
    """Text written to ``shown`` and kept."""

    def __init__(self, shown: TextIO) -> None:
        super().__init__()
        self.shown = shown
        self.kept = io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.shown.write(text)

    def flush(self) -> None:
        self.shown.flush()

    def isatty(self) -> bool:
        return self.shown.isatty()


def run(args: Sequence[str]) -> str:
    """``appraisal ARGS``; what it wrote on stderr. A failure it reports in one
    line is a ``BenchError``; its exit status is not (1: rows were rejected)."""
    tee = _Tee(sys.stderr)
    with redirect_stderr(tee):
        try:
            main.main(list(args), prog_name=PROG, standalone_mode=False)
        except click.ClickException as error:
            command = " ".join((PROG, *args))
            raise BenchError(f"{command}: {error.format_message()}") from None
    return tee.kept.getvalue()


def default_chunk_rows() -> int:
    """``appraisal import --chunk-rows``, by default."""
    option = next(p for p in main.commands["import"].params if p.name == "chunk_rows")
    return int(str(option.default))


@dataclass(frozen=True)
class ImportSummary:
    """What ``appraisal import`` said it did, and the rejections it listed."""

    rows: int
    recorded: int
    corrected: int
    unchanged: int
    rejected: int
    position: int
    errors: tuple[str, ...]

    @classmethod
    def printed(cls, stderr: str) -> ImportSummary:
        found = SUMMARY.findall(stderr)
        if not found:
            raise BenchError(f"appraisal import printed no summary:\n{stderr[-2000:]}")
        counts = (int(n) for n in found[-1])
        return cls(*counts, errors=tuple(REJECTED.findall(stderr)))


@dataclass(frozen=True)
class ImportRun:
    """One file through ``appraisal import``: rows read, events written, seconds."""

    phase: str
    rows: int
    events: int
    seconds: float
    summary: ImportSummary

    @property
    def timing(self) -> Timing:
        """Per row, to compare with a baseline."""
        return Timing(self.phase, self.rows, self.seconds)


def import_file(
    url: str,
    export: ExportFile,
    chunk_rows: int,
    phase: str,
    profiler: cProfile.Profile | None,
) -> ImportRun:
    """``appraisal import KIND FILE`` of ``export``; the events it wrote,
    counted in the events table."""
    print(f"{phase}:", file=sys.stderr)
    before = common.count_events(url)
    args = ("--database-url", url, "import", export.kind, str(export.path))
    action = partial(run, (*args, "--format", FORM, "--chunk-rows", str(chunk_rows)))
    if profiler is not None:
        action = partial(profiler.runcall, action)
    printed, seconds = common.measured(action)
    summary = ImportSummary.printed(printed)
    events = common.count_events(url) - before
    imported = ImportRun(phase, summary.rows, events, seconds, summary)
    verify_import(imported, len(export.rows))
    return imported


def verify_import(imported: ImportRun, rows: int) -> None:
    """Every row read, none rejected, one event per recorded or corrected row."""
    summary = imported.summary
    if summary.rejected:
        sample = "; ".join(summary.errors[:SAMPLE_ERRORS])
        raise BenchError(f"{imported.phase}: {summary.rejected} rejected: {sample}")
    if summary.rows != rows:
        raise BenchError(f"{imported.phase}: read {summary.rows} rows of {rows}")
    if imported.events != summary.recorded + summary.corrected:
        raise BenchError(
            f"{imported.phase}: {imported.events} events written for "
            f"{summary.recorded} recorded and {summary.corrected} corrected rows"
        )


def verify_unchanged(imported: ImportRun) -> None:
    if imported.events or imported.summary.unchanged != imported.rows:
        raise BenchError(
            f"{imported.phase}: {imported.summary.unchanged} of {imported.rows} "
            f"rows unchanged, {imported.events} events written"
        )
