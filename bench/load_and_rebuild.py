"""Benchmark: load deductions through the application, then rebuild the read models.

    python -m bench.load_and_rebuild --events 100000 --agents 300 --batch 1000

Every run works in a database of its own, ``appraisal_bench_<hex>``, created
through the maintenance connection ``--database-url`` and dropped at the end
(``WITH (FORCE)``), also on errors and Ctrl-C. Four timed phases:

1. load: ``AppraisalApp.record_deductions`` in batches of ``--batch`` (one
   transaction each); registering the agents beforehand is not timed;
2. baseline: the same rows into a plain table with raw psycopg, by ``COPY``
   (one transaction) and by ``executemany`` (one transaction per batch);
3. rebuild: ``Runtime.catch_up`` (its default batch) from an empty view over
   the whole log;
4. baseline: a raw keyset scan of the events table in pages of ``--batch``.
"""

from __future__ import annotations

import argparse
import random
import resource
import secrets
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from tqdm import tqdm

from bench import synthetic
from domain.access import Principal, Role
from domain.application import NewDeduction
from projections.runtime import Runtime, StoreConfig

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PRINCIPAL = Principal("bench", Role.ADMIN)
EVENTS_TABLE = "appraisal_events"
DEDUCTION_TOPIC = "domain.deduction:Deduction.Recorded"
VIEW_TABLES = ("scoreboard_agents", "scoreboard_facts", "scoreboard_scorecards")
BASELINE_COLUMNS = (
    "id",
    "agent_id",
    "item",
    "occurred_on",
    "quantity",
    "note",
    "recorded_by",
    "recorded_at",
    "payload",
)
BASELINE_TABLE = (
    "CREATE TABLE {table} (id uuid PRIMARY KEY, agent_id text NOT NULL, "
    "item text NOT NULL, occurred_on date NOT NULL, quantity integer NOT NULL, "
    "note text NOT NULL, recorded_by text NOT NULL, "
    "recorded_at timestamptz NOT NULL, payload bytea NOT NULL)"
)
KEYSET_PAGE = (
    "SELECT originator_id, originator_version, topic, state, notification_id "
    "FROM {table} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)

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


@dataclass(frozen=True)
class Results:
    load: Timing
    copy: Timing
    executemany: Timing
    rebuild: Timing
    scan: Timing
    batch_seconds: tuple[float, ...]
    payload_bytes: int
    server_version: str

    @property
    def timings(self) -> tuple[Timing, ...]:
        return (self.load, self.copy, self.executemany, self.rebuild, self.scan)


# Command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load_and_rebuild",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--events", type=_positive, default=100_000)
    parser.add_argument("--agents", type=_positive, default=300)
    parser.add_argument("--batch", type=_positive, default=1000)
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="maintenance connection; the benchmark creates and drops its own "
        "database through it (default: %(default)s)",
    )
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


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


def _raise_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the database is still dropped."""

    def handler(signum: int, frame: object) -> NoReturn:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# Phase 1: load through the application


def load_through_application(
    runtime: Runtime, dataset: synthetic.Dataset, batch: int
) -> tuple[Timing, tuple[float, ...]]:
    """Register the roster (untimed), then record every deduction in batches."""
    runtime.app.register_agents(PRINCIPAL, list(dataset.agents))
    batches = list(_chunks(dataset.deductions, batch))
    seconds: list[float] = []
    with tqdm(
        total=len(dataset.deductions), desc="load", unit="ev", file=sys.stderr
    ) as progress:
        for chunk in batches:
            seconds.append(_timed(lambda c=chunk: _record(runtime, c)))
            progress.update(len(chunk))
    timing = Timing("load via application", len(dataset.deductions), sum(seconds))
    return timing, tuple(seconds)


def _record(runtime: Runtime, chunk: Sequence[NewDeduction]) -> None:
    runtime.app.record_deductions(PRINCIPAL, chunk)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Phase 2: raw insert baselines


def stored_state_size(url: str) -> int:
    """The mean size in bytes of a stored deduction event's state."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT avg(octet_length(state))::int FROM {} WHERE topic = %s"
            ).format(sql.Identifier(EVENTS_TABLE)),
            (DEDUCTION_TOPIC,),
        ).fetchone()
    if not row or row[0] is None:
        raise BenchError(f"no {DEDUCTION_TOPIC} events in {EVENTS_TABLE}")
    return int(row[0])


def baseline_rows(dataset: synthetic.Dataset, payload_bytes: int) -> list[Row]:
    """The deductions as plain rows with a random payload of the event's size."""
    rng = random.Random(dataset.seed)
    now = datetime.now(UTC)
    return [
        (
            d.deduction_id,
            d.agent_id,
            d.item,
            d.occurred_on,
            d.quantity,
            d.note,
            PRINCIPAL.user,
            now,
            rng.randbytes(payload_bytes),
        )
        for d in dataset.deductions
    ]


def _create_baseline_table(conn: psycopg.Connection[Any], table: str) -> None:
    conn.execute(sql.SQL(BASELINE_TABLE).format(table=sql.Identifier(table)))
    conn.commit()


def _columns() -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, BASELINE_COLUMNS))


def copy_baseline(url: str, rows: Sequence[Row]) -> Timing:
    """Every row in one ``COPY ... FROM STDIN``, one transaction."""
    table = "bench_copy"
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), _columns()
    )
    with psycopg.connect(url) as conn:
        _create_baseline_table(conn, table)

        def copy() -> None:
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()

        return Timing("baseline: COPY", len(rows), _timed(copy))


def executemany_baseline(url: str, rows: Sequence[Row], batch: int) -> Timing:
    """``executemany`` in batches of ``batch`` rows, one transaction each."""
    table = "bench_executemany"
    placeholders = sql.SQL(", ").join(sql.Placeholder() * len(BASELINE_COLUMNS))
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), _columns(), placeholders
    )
    with psycopg.connect(url) as conn:
        _create_baseline_table(conn, table)

        def insert() -> None:
            for chunk in _chunks(rows, batch):
                with conn.cursor() as cursor:
                    cursor.executemany(statement, chunk)
                conn.commit()

        return Timing("baseline: executemany", len(rows), _timed(insert))


# Phase 3: rebuild the read models


def rebuild(runtime: Runtime) -> Timing:
    """Fold the whole log into the (empty) scoreboard view."""
    if runtime.position != 0:
        raise BenchError(
            f"the view is at position {runtime.position} before the rebuild; "
            "it must be empty (PostgreSQL mode does not project inline)"
        )
    events = runtime.app.recorder.max_notification_id() or 0
    seconds = _timed(runtime.catch_up)  # the runtime's own batch size
    return Timing("rebuild via catch_up", events, seconds)


def verify_read_models(runtime: Runtime, url: str, dataset: synthetic.Dataset) -> None:
    """The view has every event: position, roster, ledger and scorecards."""
    last = runtime.app.recorder.max_notification_id()
    if runtime.position != last:
        raise BenchError(f"view at position {runtime.position}, log at {last}")
    expected = {
        "scoreboard_agents": len(dataset.agents),
        "scoreboard_facts": len(dataset.deductions),
        "scoreboard_scorecards": len(dataset.agent_months()),
    }
    with psycopg.connect(url) as conn:
        for table, wanted in expected.items():
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
            found = row[0] if row else 0
            if found != wanted:
                raise BenchError(f"{table} has {found} rows, not {wanted}")


# Phase 4: raw keyset scan


def keyset_scan(url: str, batch: int) -> Timing:
    """Page through the events table by notification id, touching every state."""
    statement = sql.SQL(KEYSET_PAGE).format(table=sql.Identifier(EVENTS_TABLE))
    rows = 0
    state_bytes = 0

    def scan() -> None:
        nonlocal rows, state_bytes
        after = 0
        with psycopg.connect(url) as conn, conn.cursor() as cursor:
            while True:
                cursor.execute(statement, (after, batch), prepare=True)
                page = cursor.fetchall()
                if not page:
                    return
                rows += len(page)
                state_bytes += sum(len(row[3]) for row in page)
                after = page[-1][4]

    seconds = _timed(scan)
    if not state_bytes:
        raise BenchError("the keyset scan read no event state")
    return Timing("baseline: keyset scan", rows, seconds)


# The whole run


def run(url: str, dataset: synthetic.Dataset, batch: int) -> Results:
    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        load, batch_seconds = load_through_application(runtime, dataset, batch)
        payload_bytes = stored_state_size(url)
        rows = baseline_rows(dataset, payload_bytes)
        copy = copy_baseline(url, rows)
        many = executemany_baseline(url, rows, batch)
        del rows
        print("rebuilding the read models ...", file=sys.stderr)
        rebuilt = rebuild(runtime)
        verify_read_models(runtime, url, dataset)
        scan = keyset_scan(url, batch)
    return Results(
        load=load,
        copy=copy,
        executemany=many,
        rebuild=rebuilt,
        scan=scan,
        batch_seconds=batch_seconds,
        payload_bytes=payload_bytes,
        server_version=_server_version(url),
    )


def _server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# Report


def report(args: argparse.Namespace, dataset: synthetic.Dataset, res: Results) -> str:
    host = conninfo_to_dict(args.database_url).get("host", "?")
    lines = [
        f"PostgreSQL {res.server_version} at {host}; {len(dataset.deductions)} "
        f"deductions, {len(dataset.agents)} agents in {len(dataset.teams)} teams, "
        f"{len(dataset.agent_months())} agent-months, batch {args.batch}, "
        f"seed {dataset.seed}, baseline payload {res.payload_bytes} B",
        "",
        f"{'phase':<24} {'events':>9} {'seconds':>9} {'events/s':>10}",
        f"{'-' * 24} {'-' * 9} {'-' * 9} {'-' * 10}",
    ]
    lines += [
        f"{t.phase:<24} {t.events:>9} {t.seconds:>9.2f} {t.rate:>10.0f}"
        for t in res.timings
    ]
    lines += [
        "",
        "ratios (application seconds per baseline second, per event):",
        _ratio("load / COPY", res.load, res.copy),
        _ratio("load / executemany", res.load, res.executemany),
        _ratio("rebuild / keyset scan", res.rebuild, res.scan),
        "",
        _batch_summary(res.batch_seconds),
        f"peak RSS: {peak_rss_mib():.1f} MiB",
    ]
    return "\n".join(lines)


def _ratio(label: str, application: Timing, baseline: Timing) -> str:
    ratio = (application.seconds / application.events) / (
        baseline.seconds / baseline.events
    )
    return f"  {label:<22} {ratio:>8.1f}x"


def _batch_summary(seconds: Sequence[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (
        f"load batches: {len(ms)}, ms per batch: mean {statistics.fmean(ms):.1f}, "
        f"median {statistics.median(ms):.1f}, p95 {p95:.1f}, max {ms[-1]:.1f}"
    )


def peak_rss_mib() -> float:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    _raise_on_sigterm()
    dataset = synthetic.generate(events=args.events, agents=args.agents, seed=args.seed)
    try:
        with temporary_database(args.database_url) as url:
            results = run(url, dataset, args.batch)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print(report(args, dataset, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
