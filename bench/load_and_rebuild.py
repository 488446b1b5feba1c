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
4. baseline: a raw keyset scan of the events table in pages of ``--batch``,
   and the same scan decoding each state with orjson and folding it into a
   sum per agent-month: the lean floor a rebuild is measured against.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from bench import synthetic
from bench.common import (
    PRINCIPAL,
    BenchError,
    Figure,
    Row,
    Timing,
    argument_parser,
    batch_summary,
    chunks,
    column_list,
    copy_rows,
    create_table,
    keyset_scan,
    load_through_application,
    peak_rss_mib,
    ratio,
    run_in_fresh_database,
    server_version,
    stored_state_size,
    synthetic_year,
    timed,
)
from bench.common import suite as common_suite
from projections.runtime import Runtime, StoreConfig

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


@dataclass(frozen=True)
class Results:
    load: Timing
    copy: Timing
    executemany: Timing
    rebuild: Timing
    scan: Timing
    lean: Timing
    batch_seconds: tuple[float, ...]
    payload_bytes: int
    server_version: str

    @property
    def timings(self) -> tuple[Timing, ...]:
        return (
            self.load,
            self.copy,
            self.executemany,
            self.rebuild,
            self.scan,
            self.lean,
        )


# Command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argument_parser(
        "python -m bench.load_and_rebuild", __doc__, events=100_000, agents=300
    )
    return parser.parse_args(argv)


# Phase 1, the load through the application: bench.common.load_through_application


# Phase 2: raw insert baselines


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


def copy_baseline(url: str, rows: Sequence[Row]) -> Timing:
    """Every row in one ``COPY ... FROM STDIN``, one transaction."""
    return copy_rows(url, "bench_copy", BASELINE_TABLE, BASELINE_COLUMNS, rows)


def executemany_baseline(url: str, rows: Sequence[Row], batch: int) -> Timing:
    """``executemany`` in batches of ``batch`` rows, one transaction each."""
    table = "bench_executemany"
    placeholders = sql.SQL(", ").join(sql.Placeholder() * len(BASELINE_COLUMNS))
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), column_list(BASELINE_COLUMNS), placeholders
    )
    with psycopg.connect(url) as conn:
        create_table(conn, BASELINE_TABLE, table)

        def insert() -> None:
            for chunk in chunks(rows, batch):
                with conn.cursor() as cursor:
                    cursor.executemany(statement, chunk)
                conn.commit()

        return Timing("baseline: executemany", len(rows), timed(insert))


# Phase 3: rebuild the read models


def rebuild(runtime: Runtime) -> Timing:
    """Fold the whole log into the (empty) scoreboard view."""
    if runtime.position != 0:
        raise BenchError(
            f"the view is at position {runtime.position} before the rebuild; "
            "it must be empty (PostgreSQL mode does not project inline)"
        )
    events = runtime.app.recorder.max_notification_id() or 0
    seconds = timed(runtime.catch_up)  # the runtime's own batch size
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


# Phase 4, the raw keyset scan: bench.common.keyset_scan; and the lean floor of
# a rebuild: the same scan, each state decoded with orjson and folded into a
# running sum per agent-month (what a rebuild must at least do).


def lean_fold(url: str, batch: int) -> Timing:
    sums: dict[tuple[str, str], int] = {}

    def fold(state: bytes) -> int:
        event = orjson.loads(state)
        occurred = event.get("occurred_on")
        if isinstance(occurred, dict):
            key = (event["agent_id"], occurred["_data_"][:7])
            sums[key] = sums.get(key, 0) + event.get("quantity", 1)
        return 1

    return keyset_scan(url, batch, touch=fold, phase="baseline: lean fold")


# The whole run


def run(url: str, dataset: synthetic.Dataset, batch: int) -> Results:
    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        load, batch_seconds = load_through_application(runtime, dataset, batch)
        payload_bytes = stored_state_size(url, DEDUCTION_TOPIC)
        rows = baseline_rows(dataset, payload_bytes)
        copy = copy_baseline(url, rows)
        many = executemany_baseline(url, rows, batch)
        del rows
        print("rebuilding the read models ...", file=sys.stderr)
        rebuilt = rebuild(runtime)
        verify_read_models(runtime, url, dataset)
        scan = keyset_scan(url, batch)
        lean = lean_fold(url, batch)
    return Results(
        load=load,
        copy=copy,
        executemany=many,
        rebuild=rebuilt,
        scan=scan,
        lean=lean,
        batch_seconds=batch_seconds,
        payload_bytes=payload_bytes,
        server_version=server_version(url),
    )


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
        ratio("load / COPY", res.load, res.copy),
        ratio("load / executemany", res.load, res.executemany),
        ratio("rebuild / keyset scan", res.rebuild, res.scan),
        ratio("rebuild / lean fold", res.rebuild, res.lean),
        "",
        batch_summary(res.batch_seconds),
        f"peak RSS: {peak_rss_mib():.1f} MiB",
    ]
    return "\n".join(lines)


def figures(
    args: argparse.Namespace, dataset: synthetic.Dataset, res: Results
) -> list[Figure]:
    events = len(dataset.deductions)
    return [
        Figure.of(f"load {events} deductions", res.load, res.executemany, "events/s"),
        Figure.of(f"load {events} deductions", res.load, res.copy, "events/s"),
        Figure.of(f"rebuild {events} events", res.rebuild, res.scan, "events/s"),
        Figure.of(f"rebuild {events} events", res.rebuild, res.lean, "events/s"),
    ]


def suite(args: argparse.Namespace) -> tuple[str, list[Figure]]:
    return common_suite(args, partial(synthetic_year, args), run, report, figures)


def main(argv: Sequence[str] | None = None) -> int:
    return run_in_fresh_database(parse_args(argv), run, report)


if __name__ == "__main__":
    sys.exit(main())
