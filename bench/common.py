"""What the benchmarks share: the command line, a database of their own, loading
through the application, the event store's size and counts, raw ``COPY`` and
keyset-scan baselines, and reporting.

Every benchmark run works in a database of its own, ``appraisal_bench_<hex>``,
created through the maintenance connection ``--database-url`` and dropped at
the end (``WITH (FORCE)``), also on errors, SIGTERM and Ctrl-C.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import secrets
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, NoReturn, TypeVar
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from tqdm import tqdm

from bench import synthetic
from domain.access import Principal, Role
from domain.batch_memory import batch_memory
from domain.commands import NewDeduction
from projections.runtime import Runtime

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PRINCIPAL = Principal("bench", Role.ADMIN)
EVENTS_TABLE = "appraisal_events"
KEYSET_PAGE = (
    "SELECT originator_id, originator_version, topic, state, notification_id "
    "FROM {table} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)

R = TypeVar("R")
D = TypeVar("D")
Row = tuple[Any, ...]


class BenchError(Exception):
    """The benchmark's setup or its results are not what they must be."""


@dataclass(frozen=True)
class Timing:
    phase: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")


# Command line


def argument_parser(
    prog: str,
    doc: str | None,
    *,
    events: int | None,
    agents: int,
    batch: int = 1000,
    batch_help: str | None = None,
) -> argparse.ArgumentParser:
    """The options every benchmark takes, with its own defaults; no
    ``--events`` when ``events`` is None."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc.split("\n\n")[0] if doc else None
    )
    if events is not None:
        parser.add_argument("--events", type=positive, default=events)
    parser.add_argument("--agents", type=positive, default=agents)
    parser.add_argument("--batch", type=positive, default=batch, help=batch_help)
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="maintenance connection; the benchmark creates and drops its own "
        "database through it (default: %(default)s)",
    )
    return parser


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def synthetic_year(args: argparse.Namespace) -> synthetic.Dataset:
    """The synthetic year of ``--events`` deductions for ``--agents`` agents."""
    return synthetic.generate(events=args.events, agents=args.agents, seed=args.seed)


def run_in_fresh_database(
    args: argparse.Namespace,
    run: Callable[[str, synthetic.Dataset, int], R],
    report: Callable[[argparse.Namespace, synthetic.Dataset, R], str],
) -> int:
    """Generate the synthetic deductions, ``run`` them in a database of their
    own, print the ``report``; the exit status of the benchmark."""
    return run_in_database(args, partial(synthetic_year, args), run, report)


def run_in_database(
    args: argparse.Namespace,
    generate: Callable[[], D],
    run: Callable[[str, D, int], R],
    report: Callable[[argparse.Namespace, D, R], str],
) -> int:
    """``generate`` a data set, ``run`` it in a database of its own, print the
    ``report``; the exit status of the benchmark."""
    raise_on_sigterm()
    try:
        dataset, results = measure(args, generate, run)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print(report(args, dataset, results))
    return 0


def suite(
    args: argparse.Namespace,
    generate: Callable[[], D],
    run: Callable[[str, D, int], R],
    report: Callable[[argparse.Namespace, D, R], str],
    figures: Callable[[argparse.Namespace, D, R], list[Figure]],
) -> tuple[str, list[Figure]]:
    """For ``bench.all``: run a benchmark in a database of its own; its report
    and its figures."""
    dataset, results = measure(args, generate, run)
    return report(args, dataset, results), figures(args, dataset, results)


def measure(
    args: argparse.Namespace,
    generate: Callable[[], D],
    run: Callable[[str, D, int], R],
) -> tuple[D, R]:
    """``generate`` a data set and ``run`` it in a database of its own."""
    dataset = generate()
    with temporary_database(args.database_url) as url:
        return dataset, run(url, dataset, args.batch)


# The database of this run


@contextmanager
def temporary_database(maintenance_url: str) -> Iterator[str]:
    """A fresh database, dropped on the way out whatever happened."""
    name = f"appraisal_bench_{secrets.token_hex(6)}"
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created database {name}", file=sys.stderr)
    try:
        yield make_conninfo(maintenance_url, dbname=name)
    finally:
        with psycopg.connect(maintenance_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
        print(f"dropped database {name}", file=sys.stderr)


def raise_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the database is still dropped."""

    def handler(signum: int, frame: object) -> NoReturn:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def timed(action: Callable[[], object], *, collect: bool = True) -> float:
    return measured(action, collect=collect)[1]


def measured(action: Callable[[], R], *, collect: bool = True) -> tuple[R, float]:
    """What ``action`` returned and the seconds it took; unless told not to,
    from a collected heap, so that no phase pays for the garbage of the one
    before it."""
    if collect:
        gc.collect()
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# Loading through the application


def load_through_application(
    runtime: Runtime, dataset: synthetic.Dataset, batch: int
) -> tuple[Timing, tuple[float, ...]]:
    """Register the roster (untimed), then record every deduction in batches."""
    runtime.app.register_agents(PRINCIPAL, list(dataset.agents))
    batches = list(chunks(dataset.deductions, batch))
    seconds: list[float] = []
    gc.collect()
    with tqdm(
        total=len(dataset.deductions), desc="load", unit="ev", file=sys.stderr
    ) as progress:
        for chunk in batches:
            seconds.append(timed(partial(_record, runtime, chunk), collect=False))
            progress.update(len(chunk))
    timing = Timing("load via application", len(dataset.deductions), sum(seconds))
    return timing, tuple(seconds)


def loaded(
    runtime: Runtime, dataset: synthetic.Dataset, batch: int
) -> tuple[dict[str, str], str]:
    """Record ``dataset`` through the application and fold it: the live
    view's table names and an admin's bearer token, for the HTTP benchmarks."""
    load_through_application(runtime, dataset, batch)
    print("catching up the read models ...", file=sys.stderr)
    runtime.catch_up()
    tables = dict(runtime.view.tables)  # type: ignore[attr-defined]
    token = runtime.app.issue_token("bench", Role.ADMIN, None, "bench").token
    return tables, token


def _record(runtime: Runtime, chunk: Sequence[NewDeduction]) -> None:
    runtime.app.record_deductions(PRINCIPAL, chunk)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The event store


def stored_state_size(url: str, topic_prefix: str) -> int:
    """The mean size in bytes of the stored state of the events whose topic
    starts with ``topic_prefix`` (a whole topic names one event class)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT avg(octet_length(state))::int FROM {} "
                "WHERE starts_with(topic, %s)"
            ).format(sql.Identifier(EVENTS_TABLE)),
            (topic_prefix,),
        ).fetchone()
    if not row or row[0] is None:
        raise BenchError(f"no {topic_prefix}* events in {EVENTS_TABLE}")
    return int(row[0])


def count_events(url: str) -> int:
    """The rows of the events table."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(EVENTS_TABLE))
        ).fetchone()
    return int(row[0]) if row else 0


def random_uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


# Raw COPY into a plain table


def create_table(conn: psycopg.Connection[Any], statement: str, table: str) -> None:
    """``statement`` with ``{table}`` for the table's name, committed."""
    conn.execute(sql.SQL(statement).format(table=sql.Identifier(table)))
    conn.commit()


def column_list(columns: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, columns))


def copy_rows(
    url: str,
    table: str,
    statement: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    phase: str = "baseline: COPY",
) -> Timing:
    """Create ``table`` by ``statement`` (untimed), then time ``rows`` into it
    in one ``COPY ... FROM STDIN``, one transaction."""
    copy_statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), column_list(columns)
    )
    with psycopg.connect(url) as conn:
        create_table(conn, statement, table)

        def copy() -> None:
            with conn.cursor() as cursor, cursor.copy(copy_statement) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()

        return Timing(phase, len(rows), timed(copy))


# Raw keyset scans of the event table


def keyset_scan(
    url: str,
    batch: int,
    *,
    touch: Callable[[bytes], int] = len,
    phase: str = "baseline: keyset scan",
) -> Timing:
    """Page through the events table by notification id, passing every row's
    state to ``touch`` (by default its length)."""
    statement = sql.SQL(KEYSET_PAGE).format(table=sql.Identifier(EVENTS_TABLE))
    rows = 0
    touched = 0

    def scan() -> None:
        nonlocal rows, touched
        after = 0
        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            while True:
                with batch_memory():  # as the product reads its batches
                    cursor.execute(statement, (after, batch), prepare=True)
                    page = cursor.fetchall()
                    if not page:
                        return
                    rows += len(page)
                    touched += sum(touch(row[3]) for row in page)
                    after = page[-1][4]

    seconds = timed(scan)
    if not touched:
        raise BenchError("the keyset scan read no event state")
    return Timing(phase, rows, seconds)


def decoded_fields(state: bytes) -> int:
    """Decode a stored state as JSON; the number of its top-level fields."""
    return len(json.loads(state))


# Report


@dataclass(frozen=True)
class Figure:
    """One line of the figures table: the product's throughput beside the raw
    floor of the same work measured in the same run."""

    work: str
    rate: float
    unit: str
    floor: str
    floor_rate: float
    floor_unit: str

    @property
    def share(self) -> float:
        """The product's throughput as a share of the floor's (1.0: as fast)."""
        return self.rate / self.floor_rate if self.floor_rate else 0.0

    @classmethod
    def of(cls, work: str, product: Timing, floor: Timing, unit: str) -> Figure:
        """``product`` and ``floor`` timed over events (or rows) alike."""
        return cls(work, product.rate, unit, floor.phase, floor.rate, "rows/s")


def ratio(label: str, application: Timing, baseline: Timing, width: int = 22) -> str:
    """Application seconds per baseline second, per event."""
    value = (application.seconds / application.events) / (
        baseline.seconds / baseline.events
    )
    return f"  {label:<{width}} {value:>8.1f}x"


def peak_rss_mib() -> float:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def batch_summary(seconds: Sequence[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"load batches: {len(ms)}, ms per batch: mean {statistics.fmean(ms):.1f}, "
        f"median {statistics.median(ms):.1f}, p95 {p95:.1f}, max {ms[-1]:.1f}"
    )
