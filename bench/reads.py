"""Benchmark: reads and commands over HTTP beside their direct SQL floors.

    python -m bench.reads --agents 1000 --facts 30 --seconds 10

Every run works in a database of its own (see ``bench.common``). It registers
``--agents`` agents in ten teams, records ``--facts`` deductions per agent for
each of three months through the application, catches the read models up, then
serves the API as a deployment does (``appraisal serve --workers 2`` beside
``appraisal project``) and measures, each at 1 and at 8 connections for
``--seconds``:

- a scorecard (``GET /agents/{id}/scorecards/{month}``, a random agent each
  request) beside its floor, the one query of the agent-month's live facts;
- a team ranking (``GET /rankings/{month}?team=``) beside a ``rank()`` query of
  the team's stored totals;
- the whole department's ranking beside a ``rank()`` query of every total;
- ``POST /deductions`` beside a single-row ``INSERT`` of the same fields, one
  transaction each.

The HTTP load comes from ``wrk``; the floor is the same SQL sent from psycopg
(as the service sends it) by as many connections, and ``pgbench`` sends it too,
from C, for the server's ceiling (``bench.http``). All run in the same session
against the same server. Each line prints requests per second, p50 and p99 and
the share of its floor's throughput (1.00 would be as fast as the bare SQL).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg

from bench import common, synthetic
from bench.http import (
    Load,
    Population,
    Target,
    pgbench,
    psycopg_floor,
    serving,
    wrk,
)
from domain.month import Month
from domain.rulebook import FIRST_EDITION, shipped_rulebook
from projections.runtime import Runtime, StoreConfig
from projections.tables import columns

MONTHS = ("2025-01", "2025-02", "2025-03")
READ_MONTH = MONTHS[-1]
CONNECTIONS = (1, 8)


@dataclass(frozen=True)
class Measured:
    target: str
    connections: int
    product: Load
    floor: Load
    """the same SQL from Python (psycopg), as the service sends it"""
    pgbench: Load
    """the same SQL from C (pgbench): the server's own ceiling"""

    @property
    def share(self) -> float:
        return self.product.rate / self.floor.rate if self.floor.rate else 0.0


AGENT = "string.format('A%05d', math.random(1, agents))"
TEAM = "string.format('team-%02d', math.random(1, teams))"
BODY = (
    '\'{"agent_id": "\' .. ' + AGENT + ' .. \'", "item": "\' .. '
    'items[math.random(1, #items)] .. \'", "occurred_on": "' + READ_MONTH + "-"
    "' .. string.format('%02d', math.random(1, 28)) .. '\", \"note\": \"bench\"}'"
)
"""Lua building a random deduction's JSON body (``items`` set by the script)."""


def targets(
    tables: dict[str, str], items: Sequence[str], month: str = READ_MONTH
) -> tuple[Target, ...]:
    """The four measured operations for tables named by ``tables``, reading
    ``month``."""
    agent, team, body = AGENT, TEAM, BODY
    item_list = ", ".join(f'"{item}"' for item in items)
    return (
        Target(
            "scorecard",
            f"return get('/agents/' .. {agent} .. '/scorecards/{month}')",
            f"SELECT {columns('facts')} FROM {tables['facts']} "
            f"WHERE agent_id = %(agent)s AND month = '{month}' "
            "AND superseded_by IS NULL AND excluded IS NULL ORDER BY position",
        ),
        Target(
            "team ranking",
            f"return get('/rankings/{month}?team=' .. {team})",
            "SELECT s.agent_id, s.total_centi, "
            "rank() OVER (ORDER BY s.total_centi DESC) "
            f"FROM {tables['scorecards']} s JOIN {tables['agents']} a "
            f"USING (agent_id) WHERE s.month = '{month}' "
            "AND a.team = %(team)s",
        ),
        Target(
            "department ranking",
            f"return get('/rankings/{month}')",
            "SELECT agent_id, total_centi, rank() OVER (ORDER BY total_centi DESC) "
            f"FROM {tables['scorecards']} WHERE month = '{month}'",
        ),
        Target(
            "POST /deductions",
            f"items = {{{item_list}}}\nreturn post('/deductions', {body})",
            "INSERT INTO bench_deductions "
            "(agent_id, item, occurred_on, quantity, note) VALUES "
            f"(%(agent)s, 'slow_reply', '{month}-01', 1, 'bench')",
        ),
    )


# The data set


def dataset(
    agents: int, facts: int, seed: int, months: Sequence[str] = MONTHS
) -> synthetic.Dataset:
    """``facts`` deductions per agent in each of ``months``."""
    rng = random.Random(seed)
    roster = synthetic.make_agents(agents, synthetic.DEFAULT_TEAMS)
    items = synthetic.rule_items(shipped_rulebook(FIRST_EDITION))
    deductions = []
    for text in months:
        month = Month.parse(text)
        days = [month.first_day + timedelta(days=n) for n in range(month.last_day.day)]
        for agent in roster:
            for _ in range(facts):
                item = rng.choice(items)
                deductions.append(
                    synthetic.NewDeduction(
                        agent_id=agent.agent_id,
                        item=item.code,
                        occurred_on=rng.choice(days),
                        quantity=synthetic.quantity_for(rng, item),
                        note="",
                        evidence_ref=None,
                        deduction_id=common.random_uuid(rng),
                    )
                )
    once = {i.code for i in items if i.once_per_month}
    deductions = _once_a_month(deductions, once)
    deductions.sort(key=lambda d: d.occurred_on)
    return synthetic.Dataset(tuple(roster), tuple(deductions), seed)


def _once_a_month(
    deductions: list[synthetic.NewDeduction], once: set[str]
) -> list[synthetic.NewDeduction]:
    """Drop repeats of items that count once a month (the domain refuses them)."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for d in deductions:
        key = (d.agent_id, d.item, str(Month.of(d.occurred_on)))
        if d.item in once and key in seen:
            continue
        seen.add(key)
        kept.append(d)
    return kept


# The run


@dataclass(frozen=True)
class Workload:
    """The data set and how long each measurement lasts."""

    data: synthetic.Dataset
    seconds: int

    @property
    def population(self) -> Population:
        return Population(len(self.data.agents), len(self.data.teams))


def run(url: str, work: Workload, batch: int) -> list[Measured]:
    data, secs, population = work.data, work.seconds, work.population
    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        tables, token = common.loaded(runtime, data, batch)
    with closing(psycopg.connect(url)) as conn:
        conn.execute(
            "CREATE TABLE bench_deductions (id BIGSERIAL PRIMARY KEY, "
            "agent_id TEXT, item TEXT, occurred_on DATE, quantity INTEGER, note TEXT)"
        )
        conn.commit()
    rule_items = synthetic.rule_items(shipped_rulebook(FIRST_EDITION))
    items = [i.code for i in rule_items if not i.once_per_month]  # any number
    figures = []
    with (
        tempfile.TemporaryDirectory() as directory,
        serving(url, Path(directory, "serve.log")) as base,
    ):
        for target in targets(tables, items):
            for conns in CONNECTIONS:
                print(f"{target.name}, {conns} connection(s) ...", file=sys.stderr)
                product = wrk(base, target, population, token, conns, secs)
                floor = psycopg_floor(url, target, population, conns, secs)
                ceiling = pgbench(url, target, population, conns, secs)
                figures.append(Measured(target.name, conns, product, floor, ceiling))
    return figures


def report(args: argparse.Namespace, work: Workload, res: list[Measured]) -> str:
    data = work.data
    lines = [
        f"{len(data.agents)} agents in {len(data.teams)} teams, "
        f"{len(data.deductions)} deductions over {', '.join(MONTHS)}; "
        f"serve --workers 2 beside the projector; {args.seconds} s per measurement",
        "",
        "floor: the same SQL from psycopg; pgbench: from C, the server's ceiling",
        "",
        f"{'operation':<20} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'floor/s':>8} {'p99 ms':>7} {'share':>6} {'pgbench/s':>9} "
        f"{'failed':>6}",
    ]
    lines += [
        f"{f.target:<20} {f.connections:>5} {f.product.rate:>8.1f} "
        f"{f.product.p50_ms:>7.1f} {f.product.p99_ms:>7.1f} {f.floor.rate:>8.1f} "
        f"{f.floor.p99_ms:>7.1f} {f.share:>6.3f} {f.pgbench.rate:>9.0f} "
        f"{f.product.failed:>6}"
        for f in res
    ]
    return "\n".join(lines)


FLOORS = {
    "scorecard": "the facts query (psycopg)",
    "team ranking": "one rank() query (psycopg)",
    "department ranking": "one rank() query (psycopg)",
    "POST /deductions": "single-row INSERT (psycopg)",
}


def figures(
    args: argparse.Namespace, work: Workload, res: list[Measured]
) -> list[common.Figure]:
    return [
        common.Figure(
            f"{m.target}, {m.connections} conn., {len(work.data.agents)} agents",
            m.product.rate,
            "req/s",
            FLOORS[m.target],
            m.floor.rate,
            "q/s",
        )
        for m in res
    ]


def generate(args: argparse.Namespace) -> Workload:
    return Workload(dataset(args.agents, args.facts, args.seed), args.seconds)


def suite(args: argparse.Namespace) -> tuple[str, list[common.Figure]]:
    return common.suite(args, lambda: generate(args), run, report, figures)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = common.argument_parser(
        "bench.reads", __doc__, events=None, agents=1000, batch=1000
    )
    parser.add_argument("--facts", type=common.positive, default=30)
    parser.add_argument("--seconds", type=common.positive, default=10)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return common.run_in_database(args, lambda: generate(args), run, report)


if __name__ == "__main__":
    sys.exit(main())
