"""Benchmark: import a month of chat statistics and an order-system export
through ``appraisal import``.

    python -m bench.imports --agents 400

Works in a database of its own like ``bench.load_and_rebuild`` (see
``bench.common``). ``bench.exports`` writes a synthetic month (seeded) as CSV
into a temporary directory: chat statistics, one row per agent and day, and the
order system's rows of steps, about ``--orders-per-day`` orders per agent and
working day. The agents are registered through the application (not timed).
Timed:

1. ``appraisal import chat chat.csv``, then ``appraisal import orders
   orders.csv``, run in this process as from the shell (the command opens the
   store, counts the file's lines for its progress bar and imports as an
   admin), ``--batch`` rows a transaction (its ``--chunk-rows``; the command's
   own default by default); the summary is read from what the command prints;
   the events written are counted in the events table before and after, and
   no row may be rejected;
2. ``chat.csv`` again: every row unchanged, no event written;
3. baseline: the same chat rows and order-step rows by one raw ``COPY`` each
   into plain tables with comparable columns and a random ``payload`` of the
   mean stored event state of that kind;
4. context (``--no-catch-up`` skips it): ``Runtime.catch_up``, bringing the
   read models up to date over the whole log.

``--profile N`` also prints the N functions of the imports with the most own
time (cProfile; the import timings are then inflated by the profiler).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from psycopg.conninfo import conninfo_to_dict

from bench import common, exports
from bench.common import PRINCIPAL, BenchError, Timing
from bench.exports import ExportFile, Exports
from bench.import_baselines import copy_baselines
from bench.import_command import (
    ImportRun,
    default_chunk_rows,
    import_file,
    verify_unchanged,
)
from domain.commands import ORDER_STEPS
from domain.month import Month
from projections.runtime import Runtime, StoreConfig

PHASE_WIDTH = 30
T = TypeVar("T")


@dataclass(frozen=True)
class Results:
    chat: ImportRun
    orders: ImportRun
    chat_again: ImportRun
    copy_chat: Timing
    copy_orders: Timing
    catch_up: Timing | None
    chat_payload: int
    order_payload: int
    server_version: str
    peak_rss: tuple[tuple[str, float], ...]
    profile: list[str] = field(default_factory=list)


# Command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = common.argument_parser(
        "python -m bench.imports",
        __doc__,
        events=None,
        agents=400,
        batch=default_chunk_rows(),
        batch_help="rows a transaction: appraisal import's --chunk-rows "
        "(default: its own, %(default)s)",
    )
    parser.add_argument(
        "--teams", type=common.positive, default=10, help="(default: %(default)s)"
    )
    parser.add_argument(
        "--month",
        type=past_month,
        default=exports.DEFAULT_MONTH,
        help="YYYY-MM, a month that is over (default: %(default)s)",
    )
    parser.add_argument(
        "--orders-per-day",
        type=float,
        default=3.0,
        help="orders per agent and working day, on average (default: %(default)s)",
    )
    parser.add_argument(
        "--no-catch-up",
        dest="catch_up",
        action="store_false",
        help="do not time bringing the read models up to date afterwards",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the N functions of the imports with the most own time",
    )
    return parser.parse_args(argv)


def past_month(text: str) -> Month:
    try:
        month = Month.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if month.last_day >= date.today():
        raise argparse.ArgumentTypeError(f"{month} is not over; facts must be past")
    return month


def generate(args: argparse.Namespace, directory: Path) -> Exports:
    print(f"writing a month of exports into {directory} ...", file=sys.stderr)
    return exports.generate(
        directory,
        agents=args.agents,
        teams=args.teams,
        month=args.month,
        orders_per_day=args.orders_per_day,
        seed=args.seed,
    )


# Phase 3, the COPY baselines: bench.import_baselines


# Phase 4: the read models


def catch_up(runtime: Runtime) -> Timing:
    """Fold every event not yet in the live view (all of them, on PostgreSQL)."""
    print("catching up the read models ...", file=sys.stderr)
    start = runtime.position
    seconds = common.timed(runtime.catch_up)
    if runtime.position != runtime.head:
        raise BenchError(f"read models at {runtime.position}, log at {runtime.head}")
    return Timing("catch_up (context)", runtime.position - start, seconds)


# The whole run


def run(
    url: str,
    data: Exports,
    batch: int,
    *,
    with_catch_up: bool = True,
    profile: int = 0,
) -> Results:
    profiler = cProfile.Profile() if profile else None
    rss = [("generation", common.peak_rss_mib())]

    def after(phase: str, result: T) -> T:
        rss.append((phase, common.peak_rss_mib()))
        return result

    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        runtime.app.register_agents(PRINCIPAL, list(data.agents))
        one = partial(import_file, url, chunk_rows=batch, profiler=profiler)
        chat = after("import chat", one(data.chat, phase="import chat.csv"))
        orders = after("import orders", one(data.orders, phase="import orders.csv"))
        chat_again = after(
            "re-import chat", one(data.chat, phase="re-import chat.csv (unchanged)")
        )
        verify_unchanged(chat_again)
        baselines = after("COPY", copy_baselines(url, data))
        caught_up = after("catch_up", catch_up(runtime)) if with_catch_up else None
    return Results(
        chat=chat,
        orders=orders,
        chat_again=chat_again,
        catch_up=caught_up,
        server_version=common.server_version(url),
        peak_rss=tuple(rss),
        profile=profile_lines(profiler, profile) if profiler else [],
        **baselines,
    )


def profile_lines(profiler: cProfile.Profile, top: int) -> list[str]:
    """The ``top`` functions by own time, as pstats prints them."""
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats(pstats.SortKey.TIME).print_stats(top)
    return [line for line in text.getvalue().splitlines() if line.strip()]


# Report


def _rate(count: int | None, seconds: float) -> str:
    if count is None:
        return "-"
    return f"{count / seconds:.0f}" if seconds else "inf"


def _line(phase: str, rows: int | None, events: int | None, seconds: float) -> str:
    def shown(count: int | None) -> str:
        return "-" if count is None else str(count)

    return (
        f"{phase:<{PHASE_WIDTH}} {shown(rows):>8} {shown(events):>8} "
        f"{seconds:>8.2f} {_rate(rows, seconds):>8} {_rate(events, seconds):>9}"
    )


def _summary(run: ImportRun) -> str:
    s = run.summary
    return (
        f"  {run.phase}: {s.rows} rows: {s.recorded} recorded, {s.corrected} "
        f"corrected, {s.unchanged} unchanged, {s.rejected} rejected "
        f"(position {s.position})"
    )


def _size(export: ExportFile) -> str:
    return (
        f"{export.path.name} {len(export.rows)} rows, {export.size} bytes "
        f"({export.size / 2**20:.1f} MiB)"
    )


def _ratio(label: str, imported: ImportRun, copy: Timing) -> str:
    return common.ratio(label, imported.timing, copy, PHASE_WIDTH)


def _header(args: argparse.Namespace, data: Exports, res: Results) -> list[str]:
    host = conninfo_to_dict(args.database_url).get("host", "?")
    steps = data.step_counts()
    step_mix = ", ".join(f"{s} {steps[s]}" for s in ORDER_STEPS if steps[s])
    return [
        f"PostgreSQL {res.server_version} at {host}; {len(data.agents)} agents in "
        f"{len(data.teams)} teams, month {data.month}, seed {data.seed}, "
        f"{args.batch} rows a transaction",
        f"files: {_size(data.chat)}; {_size(data.orders)}, {data.order_count} orders",
        f"order steps: {step_mix} ({steps['check failed']} checks failed)",
        f"baseline payload: chat {res.chat_payload} B, "
        f"order steps {res.order_payload} B (mean stored event state)",
    ]


def report(args: argparse.Namespace, data: Exports, res: Results) -> str:
    imports = (res.chat, res.orders, res.chat_again)
    lines = [
        *_header(args, data, res),
        "",
        f"{'phase':<{PHASE_WIDTH}} {'rows':>8} {'events':>8} {'seconds':>8} "
        f"{'rows/s':>8} {'events/s':>9}",
        f"{'-' * PHASE_WIDTH} {'-' * 8} {'-' * 8} {'-' * 8} {'-' * 8} {'-' * 9}",
    ]
    lines += [_line(r.phase, r.rows, r.events, r.seconds) for r in imports]
    lines += [
        _line(t.phase, t.events, None, t.seconds)
        for t in (res.copy_chat, res.copy_orders)
    ]
    if res.catch_up is not None:
        caught = res.catch_up
        lines.append(_line(caught.phase, None, caught.events, caught.seconds))
    lines += [
        "",
        "ratios (import seconds per COPY second, per row):",
        _ratio("import chat / COPY chat", res.chat, res.copy_chat),
        _ratio("import orders / COPY orders", res.orders, res.copy_orders),
        _ratio("re-import chat / COPY chat", res.chat_again, res.copy_chat),
        "",
        "import summaries:",
        *map(_summary, imports),
        f"peak RSS: {common.peak_rss_mib():.1f} MiB; after "
        + ", ".join(f"{phase} {mib:.1f}" for phase, mib in res.peak_rss),
    ]
    if res.profile:
        lines += ["", "profile of the imports (timings above inflated):", *res.profile]
    return "\n".join(lines)


def figures(
    args: argparse.Namespace, data: Exports, res: Results
) -> list[common.Figure]:
    def of(work: str, imported: ImportRun, copy: Timing) -> common.Figure:
        return common.Figure.of(work, imported.timing, copy, "rows/s")

    found = [
        of(f"import {res.chat.rows} chat rows", res.chat, res.copy_chat),
        of(f"import {res.orders.rows} order steps", res.orders, res.copy_orders),
        of(f"re-import {res.chat.rows} chat rows", res.chat_again, res.copy_chat),
    ]
    if res.catch_up is not None:
        found.append(
            common.Figure(
                f"catch up after the imports, {res.catch_up.events} events",
                res.catch_up.rate,
                "events/s",
                "COPY orders",
                res.copy_orders.rate,
                "rows/s",
            )
        )
    return found


def _parts(args: argparse.Namespace, directory: str) -> tuple[Any, Any]:
    """How to make the files (in ``directory``) and how to run them."""
    return (
        partial(generate, args, Path(directory)),
        partial(run, with_catch_up=args.catch_up, profile=args.profile),
    )


def suite(args: argparse.Namespace) -> tuple[str, list[common.Figure]]:
    with tempfile.TemporaryDirectory(prefix="appraisal_bench_") as directory:
        return common.suite(args, *_parts(args, directory), report, figures)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="appraisal_bench_") as directory:
        return common.run_in_database(args, *_parts(args, directory), report)


if __name__ == "__main__":
    sys.exit(main())
