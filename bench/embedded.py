"""Benchmark: the embedded default (SQLite files) under load, and a big import
beside the reads.

    python -m bench.embedded --agents 1000 --facts 30 --import-agents 610

A department that runs the service as the README starts it (``appraisal
serve`` on SQLite: one worker of four threads, the projection folded in the
web process) works in a temporary data directory. The benchmark records
``--facts`` deductions per agent for each of three months through the
application, catches the read models up, serves, then measures:

1. scorecard reads (``GET /agents/{id}/scorecards/{month}``, a random agent
   each request) with ``wrk`` at 1 and at 8 connections, beside the floor: the
   same facts query from Python's ``sqlite3`` on the same file, from as many
   threads with a connection each;
2. the same reads at 1 connection while ``POST /imports/orders`` imports a
   month of order steps (an earlier month than the one read) for
   ``--import-agents`` agents (about 330 rows an agent: 610 agents give some
   200,000 rows), in windows of a few seconds until the job has finished and
   its events are folded; beside the reads' p99 without the import (target:
   within 2x), and the web worker's resident memory while it runs above its
   memory when idle (target: at most 100 MB). On SQLite a big import runs in
   a process the worker starts (``web.importing.apart``): its peak resident
   memory is reported beside. Reads of the month the import goes into are
   not measured here: they are worked out again as its rows arrive
   (``web.kept_reads`` keeps an answer until its month changes), and so many
   large answers would push the other month's out of the worker's budget
   for kept answers. Beside too: the same reads, no import, while a complaint
   on another month is recorded every 0.3 s.

``wrk`` comes from Debian's ``wrk`` package.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import common, exports
from bench.http import Load, Population, Target, clients, started, wrk
from bench.reads import MONTHS, READ_MONTH, dataset, targets
from domain.month import Month
from projections.runtime import Runtime, StoreConfig

CONNECTIONS = (1, 8)
IMPORT_MONTH = Month.parse(MONTHS[1])  # a past month of the data set
WINDOW_SECONDS = 4
COMMAND_EVERY = 0.3
TODAY = f"{READ_MONTH}-28"


@dataclass(frozen=True)
class Results:
    reads: list[tuple[int, Load, Load]]
    """connections, the product's load, the sqlite3 floor's"""
    idle: Load
    """1 connection, no import beside it"""
    moving: Load
    """1 connection, no import, a command every ``COMMAND_EVERY`` seconds"""
    beside_import: list[Load]
    """1 connection, each window while the import ran"""
    import_rows: int
    import_seconds: float
    idle_rss_mib: float
    peak_rss_mib: float
    child_peak_rss_mib: float
    """the largest the worker's child processes (an import's) were together"""


@dataclass(frozen=True)
class Workload:
    data: object  # synthetic.Dataset
    import_agents: int
    seconds: int

    @property
    def population(self) -> Population:
        agents = self.data.agents  # type: ignore[attr-defined]
        return Population(len(agents), len({a.team for a in agents}))


# The service


@contextmanager
def serving_sqlite(data_dir: Path, log_path: Path) -> Iterator[tuple[str, int]]:
    """``appraisal serve`` on the SQLite files of ``data_dir`` (its defaults:
    one worker of four threads); its base URL and the worker's pid."""
    settings = {"APPRAISAL_DATA_DIR": str(data_dir), "APPRAISAL_TODAY": TODAY}
    with started([["serve"]], settings, log_path) as (base, (server,)):
        yield base, _worker_of(server.pid)


def _worker_of(arbiter: int) -> int:
    """gunicorn's one worker: the arbiter's child."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["pgrep", "-P", str(arbiter)], capture_output=True, text=True
        ).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.2)
    raise common.BenchError("gunicorn started no worker")


def rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # it ended
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_rss_mib(pid: int) -> float:
    """The resident memory of ``pid``'s child processes together."""
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout.split()
    return sum(rss_mib(int(child)) for child in children)


# The floor


def sqlite_floor(
    path: Path, target: Target, population: Population, conns: int, secs: int
) -> Load:
    """``target``'s SQL from ``conns`` threads with a ``sqlite3`` connection
    each, for ``secs`` seconds."""
    statement = target.floor_sql.replace("%(agent)s", ":agent").replace(
        "%(team)s", ":team"
    )

    def one(conn: Any, rng: random.Random) -> None:
        conn.execute(statement, population.pick(rng)).fetchall()

    return clients(
        lambda: sqlite3.connect(path, check_same_thread=False),
        one,
        conns,
        secs,
        target.name,
    )


# The import beside the reads


def start_import(base: str, token: str, path: Path) -> str:
    request = urllib.request.Request(
        f"{base}/imports/orders",
        data=path.read_bytes(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    with urllib.request.urlopen(request, timeout=300) as answer:
        return str(answer.headers["Location"])


def job_of(base: str, token: str, location: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}{location}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return dict(json.loads(answer.read()))


def folded(base: str, token: str) -> bool:
    """The read models hold every event (the import's included)."""
    request = urllib.request.Request(
        f"{base}/health", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            health = json.loads(answer.read())
    except urllib.error.HTTPError as refused:  # 503 names what is wrong
        health = json.loads(refused.read())
    return health.get("lag") == 0


def commands(base: str, token: str, stop: threading.Event) -> None:
    """Record a complaint every ``COMMAND_EVERY`` seconds until ``stop``."""
    n = 0
    while not stop.wait(COMMAND_EVERY):
        n += 1
        body = {"complaint_no": f"BENCH-{n}", "agent_id": "A00001",
                "occurred_on": f"{IMPORT_MONTH}-10"}  # fmt: skip
        request = urllib.request.Request(
            f"{base}/complaints",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()


# The run


def run(directory: Path, work: Workload) -> Results:
    data_dir = Path(directory, "data")
    runtime = Runtime(StoreConfig(data_dir=data_dir))
    with closing(runtime):
        tables, token = common.loaded(runtime, work.data, 1000)  # type: ignore[arg-type]
    print("writing the orders export ...", file=sys.stderr)
    export = exports.generate(
        Path(directory), agents=work.import_agents, month=IMPORT_MONTH
    )
    scorecard = targets(tables, [])[0]
    population, secs = work.population, work.seconds
    scoreboard = data_dir / "scoreboard.sqlite"
    reads = []
    with serving_sqlite(data_dir, Path(directory, "serve.log")) as (base, worker):
        for conns in CONNECTIONS:
            print(f"scorecard, {conns} connection(s) ...", file=sys.stderr)
            product = wrk(base, scorecard, population, token, conns, secs)
            floor = sqlite_floor(scoreboard, scorecard, population, conns, secs)
            reads.append((conns, product, floor))
        idle = wrk(base, scorecard, population, token, 1, WINDOW_SECONDS)
        idle_rss = rss_mib(worker)
        stop = threading.Event()
        commanding = threading.Thread(target=commands, args=(base, token, stop))
        commanding.start()
        try:
            moving = wrk(base, scorecard, population, token, 1, WINDOW_SECONDS)
        finally:
            stop.set()
            commanding.join()
        peak, child_peak = [idle_rss], [0.0]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.25):
                peak.append(rss_mib(worker))
                child_peak.append(children_rss_mib(worker))

        sampler = threading.Thread(target=sample)
        sampler.start()
        print(f"importing {len(export.orders.rows)} order rows ...", file=sys.stderr)
        started = time.perf_counter()
        try:
            location = start_import(base, token, export.orders.path)
            windows, seconds = [], None
            while True:
                windows.append(
                    wrk(base, scorecard, population, token, 1, WINDOW_SECONDS)
                )
                job = job_of(base, token, location)
                if job["status"] not in ("queued", "running"):
                    if job["status"] != "completed":
                        raise common.BenchError(f"the import ended {job['status']}")
                    seconds = seconds or time.perf_counter() - started
                    if folded(base, token):
                        break
        finally:
            sampling.set()
            sampler.join()
    return Results(
        reads,
        idle,
        moving,
        windows,
        len(export.orders.rows),
        seconds,
        idle_rss,
        max(peak),
        max(child_peak),
    )


def report(args: argparse.Namespace, work: Workload, res: Results) -> str:
    lines = [
        f"SQLite files, appraisal serve (1 worker, 4 threads); {args.agents} "
        f"agents, {args.facts} deductions each over {', '.join(MONTHS)}; "
        f"{args.seconds} s per measurement",
        "",
        f"{'scorecard':<12} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'sqlite3/s':>9} {'share':>6}",
    ]
    for conns, product, floor in res.reads:
        lines.append(
            f"{'':<12} {conns:>5} {product.rate:>8.1f} {product.p50_ms:>7.1f} "
            f"{product.p99_ms:>7.1f} {floor.rate:>9.1f} "
            f"{product.rate / floor.rate:>6.3f}"
        )
    one, eight = res.reads[0][1], res.reads[-1][1]
    worst = max(w.p99_ms for w in res.beside_import)
    middle = sorted(w.p99_ms for w in res.beside_import)[len(res.beside_import) // 2]
    lines += [
        f"8 connections / 1 connection: {eight.rate / one.rate:.2f}x (target >= 1)",
        "",
        f"import of {res.import_rows} order rows: {res.import_seconds:.1f} s, "
        f"{res.import_rows / res.import_seconds:,.0f} rows/s",
        f"scorecard p99 beside it, {len(res.beside_import)} windows of "
        f"{WINDOW_SECONDS} s: median {middle:.1f} ms, worst {worst:.1f} ms; "
        f"without it {res.idle.p99_ms:.1f} ms: worst "
        f"{worst / res.idle.p99_ms:.1f}x (target <= 2x); without it but a "
        f"command every {COMMAND_EVERY} s: {res.moving.p99_ms:.1f} ms, median "
        f"{middle / res.moving.p99_ms:.1f}x, worst {worst / res.moving.p99_ms:.1f}x",
        f"web worker memory: idle {res.idle_rss_mib:.0f} MiB, peak "
        f"{res.peak_rss_mib:.0f} MiB: +{res.peak_rss_mib - res.idle_rss_mib:.0f} "
        "MiB (target <= 100); the import's process: peak "
        f"{res.child_peak_rss_mib:.0f} MiB",
    ]
    return "\n".join(lines)


def figures(
    args: argparse.Namespace, work: Workload, res: Results
) -> list[common.Figure]:
    return [
        common.Figure(
            f"SQLite scorecard, {conns} conn., {args.agents} agents",
            product.rate,
            "req/s",
            "the facts query (sqlite3)",
            floor.rate,
            "q/s",
        )
        for conns, product, floor in res.reads
    ]


def generate(args: argparse.Namespace) -> Workload:
    return Workload(
        dataset(args.agents, args.facts, args.seed), args.import_agents, args.seconds
    )


def measure(args: argparse.Namespace) -> tuple[Workload, Results]:
    work = generate(args)
    with tempfile.TemporaryDirectory(prefix="appraisal-bench-") as directory:
        return work, run(Path(directory), work)


def suite(args: argparse.Namespace) -> tuple[str, list[common.Figure]]:
    work, results = measure(args)
    return report(args, work, results), figures(args, work, results)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = common.argument_parser(
        "bench.embedded", __doc__, events=None, agents=1000, batch=1000
    )
    parser.add_argument("--facts", type=common.positive, default=30)
    parser.add_argument("--seconds", type=common.positive, default=10)
    parser.add_argument("--import-agents", type=common.positive, default=610)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    common.raise_on_sigterm()
    try:
        work, results = measure(args)
    except common.BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print(report(args, work, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
