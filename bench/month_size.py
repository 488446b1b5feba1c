"""Benchmark: what folding one more fact costs as a month fills up.

    python -m bench.month_size --agents 20 --sizes 10 100 1000 --live 200

For each size F, in a database of its own: ``--agents`` agents with F
deductions each in one month (recorded and folded, not timed); then ``--live``
more deductions, one command each, each folded by a catch-up of its own as
the projector folds what just arrived. It prints the catch-up's time per
event beside its floor at the same size, the one SQL statement that reads an
agent-month's live ledger (what re-scoring reads), and how the cost at each
size compares with the smallest: a fold whose cost did not depend on the
month's size would stay near 1.0x.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from bench import common, synthetic
from domain.month import Month
from projections.runtime import Runtime, StoreConfig
from projections.tables import columns

MONTH = Month(2025, 2)
ITEM = "slow_reply"  # counts any number of times a month


@dataclass(frozen=True)
class Size:
    facts: int
    per_event_ms: float
    floor_ms: float
    """the agent-month's ledger query, once"""


def deduction(rng: random.Random, agent: str) -> synthetic.NewDeduction:
    return synthetic.NewDeduction(
        agent_id=agent,
        item=ITEM,
        occurred_on=MONTH.first_day + timedelta(days=rng.randrange(28)),
        quantity=1,
        note="",
        evidence_ref=None,
        deduction_id=common.random_uuid(rng),
    )


def measure_size(url: str, agents: int, facts: int, live: int, seed: int) -> Size:
    rng = random.Random(seed)
    roster = synthetic.make_agents(agents, 2)
    names = [a.agent_id for a in roster]
    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        runtime.app.register_agents(common.PRINCIPAL, roster)
        filled = [deduction(rng, a) for a in names for _ in range(facts)]
        for chunk in common.chunks(filled, 1000):
            runtime.app.record_deductions(common.PRINCIPAL, chunk)
        runtime.catch_up()
        spent = 0.0
        for n in range(live):
            runtime.app.record_deductions(
                common.PRINCIPAL, [deduction(rng, names[n % agents])]
            )
            started = time.perf_counter()
            runtime.catch_up()
            spent += time.perf_counter() - started
        facts_table = runtime.view.tables["facts"]  # type: ignore[attr-defined]
    statement = (
        f"SELECT {columns('facts')} FROM {facts_table} WHERE agent_id = %s "
        "AND month = %s AND superseded_by IS NULL AND excluded IS NULL "
        "ORDER BY position"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for n in range(live):
            conn.execute(
                statement, (names[n % agents], str(MONTH)), prepare=True
            ).fetchall()
        floor = time.perf_counter() - started
    return Size(facts, spent / live * 1000, floor / live * 1000)


def run(args: argparse.Namespace) -> list[Size]:
    found = []
    for facts in args.sizes:
        print(f"{facts} facts an agent-month ...", file=sys.stderr)
        with common.temporary_database(args.database_url) as url:
            found.append(measure_size(url, args.agents, facts, args.live, args.seed))
    return found


def report(args: argparse.Namespace, sizes: list[Size]) -> str:
    first = sizes[0]
    lines = [
        f"{args.agents} agents, one month; {args.live} live deductions, each "
        "folded by a catch-up of its own",
        "",
        f"{'facts/agent-month':>17} {'ms/event':>9} {'x smallest':>10} "
        f"{'ledger query ms':>15} {'share':>6}",
    ]
    lines += [
        f"{s.facts:>17} {s.per_event_ms:>9.2f} "
        f"{s.per_event_ms / first.per_event_ms:>9.1f}x {s.floor_ms:>15.3f} "
        f"{s.floor_ms / s.per_event_ms:>6.3f}"
        for s in sizes
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = common.argument_parser("bench.month_size", __doc__, events=None, agents=20)
    parser.add_argument(
        "--sizes", type=common.positive, nargs="+", default=[10, 100, 1000]
    )
    parser.add_argument("--live", type=common.positive, default=200)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    common.raise_on_sigterm()
    print(report(args, run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
