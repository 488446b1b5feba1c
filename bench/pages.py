"""Benchmark: the pages of a 1,000-agent month beside the JSON API's same
reads and their direct SQL.

    python -m bench.pages --agents 1000 --facts 10 --seconds 10

Every run works in a database of its own (see ``bench.common``). It registers
``--agents`` agents in ten teams, records ``--facts`` deductions per agent in
each month of a year through the application, catches the read models up,
then serves the app as a deployment does (``appraisal serve --workers 2``
beside ``appraisal project``, the service's day the year's last) and signs a
browser's session in. One client on one keep-alive connection (Python's
``http.client``, the way a browser asks for a page) then loads, each for
``--seconds``:

- the ranking board of December (``GET /ui/rankings?month=``: the whole
  department, every agent a row), beside ``GET /rankings/{month}`` (the JSON
  API's same read) and one ``rank()`` query of every stored total;
- an agent's December (``GET /ui/agents/{id}/{month}``, a random agent each
  time: scorecard, explanation, waterfall and a scorecard read for each of
  the year's twelve months), beside ``GET /agents/{id}/scorecards/{month}/
  explain`` and the one query of the agent-month's live facts.

Each line prints pages a second, p50 and p99 in milliseconds, and how many
times the floor's p50 the page's p50 is; the target is a p99 under 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bench import common, reads, synthetic
from bench.http import Load, percentile, psycopg_floor, serving
from bench.reads import Workload
from domain.rulebook import FIRST_EDITION, shipped_rulebook
from projections.runtime import Runtime, StoreConfig

YEAR = 2025
MONTHS = tuple(f"{YEAR}-{m:02d}" for m in range(1, 13))
READ_MONTH = MONTHS[-1]
TODAY = f"{YEAR}-12-31"
TARGET_MS = 300.0
WARM_UP = 5
"""Requests sent before each measurement, not counted."""


@dataclass(frozen=True)
class Measured:
    page: str
    product: Load
    api: Load
    """the JSON API's same read, by the same client"""
    sql: Load
    """the direct SQL of the same rows (psycopg, one connection)"""

    def times(self, floor: Load) -> float:
        """The page's p50 as a multiple of ``floor``'s."""
        return self.product.p50_ms / floor.p50_ms if floor.p50_ms else 0.0


class Client:
    """One keep-alive HTTP/1.1 connection to the service, with the headers
    every request carries (a session cookie, a bearer token)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port)
        self.headers = headers

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path, headers=self.headers)
        answer = self.connection.getresponse()
        return answer.status, answer.read()

    def post_form(self, path: str, fields: dict[str, str]) -> http.client.HTTPResponse:
        body = urllib.parse.urlencode(fields)
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", path, body=body, headers=headers)
        answer = self.connection.getresponse()
        answer.read()
        return answer

    def close(self) -> None:
        self.connection.close()


def cookie(answer: http.client.HTTPResponse, name: str) -> str:
    """The value ``answer`` sets for cookie ``name``."""
    for header in answer.headers.get_all("Set-Cookie") or []:
        found = re.match(rf"{name}=([^;]*)", header)
        if found:
            return found.group(1)
    raise common.BenchError(f"no {name} cookie was set ({answer.status})")


def signed_in(base: str, token: str) -> dict[str, str]:
    """Sign in on ``/ui/sign-in`` as a browser does; the headers of its session."""
    client = Client(base, {})
    try:
        client.connection.request("GET", "/ui/sign-in")
        form = client.connection.getresponse()
        page = form.read().decode()
        csrf = cookie(form, "appraisal_csrf")
        field = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if field is None:
            raise common.BenchError("the sign-in page has no CSRF field")
        client.headers = {"Cookie": f"appraisal_csrf={csrf}"}
        fields = {"csrf_token": field.group(1), "token": token, "next": "/ui/"}
        answer = client.post_form("/ui/sign-in", fields)
        if answer.status != 303:
            raise common.BenchError(f"signing in answered {answer.status}")
        return {"Cookie": f"appraisal_session={cookie(answer, 'appraisal_session')}"}
    finally:
        client.close()


def load(
    base: str, headers: dict[str, str], path: Callable[[random.Random], str], secs: int
) -> Load:
    """GET ``path(rng)`` back to back on one connection for ``secs`` seconds;
    anything but 200 counts as failed."""
    rng = random.Random(0)
    client = Client(base, headers)
    try:
        for _ in range(WARM_UP):
            client.get(path(rng))
        latencies: list[float] = []
        failed = 0
        deadline = time.monotonic() + secs
        while (started := time.monotonic()) < deadline:
            status, _ = client.get(path(rng))
            latencies.append((time.monotonic() - started) * 1000)
            failed += status != 200
    finally:
        client.close()
    latencies.sort()
    return Load(
        len(latencies) / secs,
        percentile(latencies, 50),
        percentile(latencies, 99),
        failed,
    )


# The run


def run(url: str, work: Workload, batch: int) -> list[Measured]:
    data, secs, population = work.data, work.seconds, work.population
    runtime = Runtime(StoreConfig(database_url=url))
    with closing(runtime):
        tables, token = common.loaded(runtime, data, batch)
    items = [i.code for i in synthetic.rule_items(shipped_rulebook(FIRST_EDITION))]
    facts, _, department, _ = reads.targets(tables, items, READ_MONTH)

    def agent(rng: random.Random) -> str:
        return population.pick(rng)["agent"]

    pages = (
        (
            "ranking board",
            lambda rng: f"/ui/rankings?month={READ_MONTH}",
            lambda rng: f"/rankings/{READ_MONTH}",
            department,
        ),
        (
            "agent month",
            lambda rng: f"/ui/agents/{agent(rng)}/{READ_MONTH}",
            lambda rng: f"/agents/{agent(rng)}/scorecards/{READ_MONTH}/explain",
            facts,
        ),
    )
    measured = []
    with (
        tempfile.TemporaryDirectory() as directory,
        serving(url, Path(directory, "serve.log"), today=TODAY) as base,
    ):
        session = signed_in(base, token)
        bearer = {"Authorization": f"Bearer {token}"}
        for name, page, api, floor in pages:
            print(f"{name} ...", file=sys.stderr)
            product = load(base, session, page, secs)
            answered = load(base, bearer, api, secs)
            sql = psycopg_floor(url, floor, population, 1, secs)
            measured.append(Measured(name, product, answered, sql))
    return measured


def report(args: argparse.Namespace, work: Workload, res: list[Measured]) -> str:
    data = work.data
    lines = [
        f"{len(data.agents)} agents in {len(data.teams)} teams, "
        f"{len(data.deductions)} deductions over {MONTHS[0]}..{MONTHS[-1]}; "
        f"pages of {READ_MONTH}; serve --workers 2 beside the projector; "
        f"one connection, {args.seconds} s per measurement",
        "",
        "api: the JSON API's same read; sql: the same rows' query (psycopg); "
        "x: the page's p50 in floor p50s",
        "",
        f"{'page':<14} {'pages/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6} "
        f"{'api p50':>8} {'x api':>6} {'sql p50':>8} {'x sql':>6} "
        f"{'< ' + str(int(TARGET_MS)) + ' ms':>9}",
    ]
    lines += [
        f"{m.page:<14} {m.product.rate:>8.1f} {m.product.p50_ms:>7.1f} "
        f"{m.product.p99_ms:>7.1f} {m.product.failed:>6} {m.api.p50_ms:>8.2f} "
        f"{m.times(m.api):>6.1f} {m.sql.p50_ms:>8.2f} {m.times(m.sql):>6.1f} "
        f"{'yes' if m.product.p99_ms < TARGET_MS else 'NO':>9}"
        for m in res
    ]
    return "\n".join(lines)


def figures(
    args: argparse.Namespace, work: Workload, res: list[Measured]
) -> list[common.Figure]:
    agents = len(work.data.agents)
    return [
        common.Figure(
            f"{m.page} page (p50 {m.product.p50_ms:.0f} ms, p99 "
            f"{m.product.p99_ms:.0f} ms), {agents} agents",
            m.product.rate,
            "pages/s",
            "the JSON API's same read",
            m.api.rate,
            "req/s",
        )
        for m in res
    ]


def generate(args: argparse.Namespace) -> Workload:
    data = reads.dataset(args.agents, args.facts, args.seed, MONTHS)
    return Workload(data, args.seconds)


def suite(args: argparse.Namespace) -> tuple[str, list[common.Figure]]:
    return common.suite(args, lambda: generate(args), run, report, figures)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = common.argument_parser(
        "bench.pages", __doc__, events=None, agents=1000, batch=1000
    )
    parser.add_argument(
        "--facts", type=common.positive, default=10, help="per agent and month"
    )
    parser.add_argument("--seconds", type=common.positive, default=10)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return common.run_in_database(args, lambda: generate(args), run, report)


if __name__ == "__main__":
    sys.exit(main())
