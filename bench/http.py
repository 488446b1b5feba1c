"""Load on the service over HTTP and on PostgreSQL directly, for ``bench.reads``.

The service runs as a deployment does (``appraisal serve --workers 2`` beside
``appraisal project``); ``wrk`` loads it, and the floors are the same SQL sent
from psycopg (as the service sends it) and from ``pgbench`` (C: the server's
ceiling). ``wrk`` and ``pgbench`` come from Debian's ``wrk`` and
``postgresql-client`` packages.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.common import BenchError

PORT = 8765
WRK_REPORT = """
done = function(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    '\\n@@{"requests": %d, "seconds": %f, "p50": %f, "p99": %f, "failed": %d}\\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, failed))
end
"""


@dataclass(frozen=True)
class Load:
    """One measurement: requests (or transactions) a second and latencies."""

    rate: float
    p50_ms: float
    p99_ms: float
    failed: int = 0


@dataclass(frozen=True)
class Target:
    """A read or command, how wrk asks for it and the SQL floor beside it."""

    name: str
    wrk_request: str
    """Lua body of wrk's ``request()``; ``agent`` and ``team`` are set."""
    floor_sql: str
    """The SQL of the floor, with ``%(agent)s`` and ``%(team)s`` for a random
    agent and team."""


@dataclass(frozen=True)
class Population:
    """Agents ``A00001``.. and teams ``team-01``.. the requests pick from."""

    agents: int
    teams: int

    def lua(self) -> str:
        return f"agents, teams = {self.agents}, {self.teams}\n"

    def pick(self, rng: random.Random) -> dict[str, str]:
        return {
            "agent": f"A{rng.randint(1, self.agents):05d}",
            "team": f"team-{rng.randint(1, self.teams):02d}",
        }


# The service under test


@contextmanager
def serving(url: str, log_path: Path, today: str = "2025-03-31") -> Iterator[str]:
    """``appraisal serve --workers 2`` and ``appraisal project`` on ``url``,
    their output in ``log_path``; the service's day is ``today``."""
    settings = {"DATABASE_URL": url, "APPRAISAL_TODAY": today}
    commands = [["project"], ["serve", "--workers", "2"]]
    with started(commands, settings, log_path) as (base, _):
        yield base


@contextmanager
def started(
    commands: Sequence[Sequence[str]], settings: dict[str, str], log_path: Path
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """``appraisal`` ``commands`` (the last one ``serve``, given the port)
    with this environment and ``settings``, their output in ``log_path``, until
    the service is healthy: its base URL and the processes; stopped after."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env |= {"APPRAISAL_AUTH_FAILURES_PER_MINUTE": "1000", **settings}
    command = [sys.executable, "-c", "from web.cli import main; main()"]
    *others, serve = commands
    with log_path.open("wb") as log:
        processes = [
            subprocess.Popen([*command, *args], env=env, stderr=log, stdout=log)
            for args in others
        ]
        processes.append(
            subprocess.Popen(
                [*command, *serve, "--port", str(PORT)],
                env=env,
                stderr=log,
                stdout=subprocess.DEVNULL,
            )
        )
        base = f"http://127.0.0.1:{PORT}"
        try:
            wait_healthy(base)
            yield base, processes
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)


def wait_healthy(base: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise BenchError(f"the service at {base} was not healthy in {seconds:.0f} s")


# Load generators


def wrk(
    base: str, target: Target, population: Population, token: str, conns: int, secs: int
) -> Load:
    script = (
        population.lua() + "math.randomseed(os.time())\n"
        f"headers = {{['Authorization'] = 'Bearer {token}', "
        "['Content-Type'] = 'application/json'}\n"
        "function get(path) return wrk.format('GET', path, headers) end\n"
        "function post(path, body) return wrk.format('POST', path, headers, body) end\n"
        f"request = function()\n{target.wrk_request}\nend\n" + WRK_REPORT
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        out = _run(
            [
                *("wrk", "-t", str(min(conns, 2)), "-c", str(conns)),
                *("-d", f"{secs}s", "-s", lua.name, base),
            ]
        )
    found = json.loads(out.split("@@", 1)[1])
    return Load(
        found["requests"] / found["seconds"],
        found["p50"],
        found["p99"],
        found["failed"],
    )


def pgbench(
    url: str, target: Target, population: Population, conns: int, secs: int
) -> Load:
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory, "floor.sql")
        script.write_text(
            "\\set n random(1, :agents)\n\\set t random(1, :teams)\n"
            + target.floor_sql.replace(
                "%(agent)s", "'A' || lpad(:n::text, 5, '0')"
            ).replace("%(team)s", "'team-' || lpad(:t::text, 2, '0')")
            + ";\n"
        )
        _run(
            [
                *("pgbench", "-n", "-M", "prepared", "-c", str(conns)),
                *("-j", str(min(conns, 2)), "-T", str(secs), "-f", str(script)),
                *("-l", "-D", f"agents={population.agents}"),
                *("-D", f"teams={population.teams}", url),
            ],
            cwd=directory,
        )
        latencies = sorted(
            int(line.split()[2]) / 1000
            for log in Path(directory).glob("pgbench_log.*")
            for line in log.read_text().splitlines()
        )
    if not latencies:
        raise BenchError(f"pgbench ran no transaction of {target.name}")
    rate = len(latencies) / secs
    return Load(rate, percentile(latencies, 50), percentile(latencies, 99))


def psycopg_floor(
    url: str, target: Target, population: Population, conns: int, secs: int
) -> Load:
    """``target``'s SQL from ``conns`` threads with a connection each, prepared,
    one transaction per statement, for ``secs`` seconds."""

    def one(conn: Any, rng: random.Random) -> None:
        cursor = conn.execute(target.floor_sql, population.pick(rng), prepare=True)
        if cursor.description:
            cursor.fetchall()

    return clients(
        lambda: psycopg.connect(url, autocommit=True), one, conns, secs, target.name
    )


def clients(
    connect: Callable[[], Any],
    one: Callable[[Any, random.Random], None],
    conns: int,
    secs: int,
    name: str,
) -> Load:
    """``one`` statement after another from ``conns`` threads, each with a
    connection of its own from ``connect``, for ``secs`` seconds."""
    latencies: list[list[float]] = [[] for _ in range(conns)]
    deadline = time.monotonic() + secs

    def client(mine: list[float], seed: int) -> None:
        rng = random.Random(seed)
        with closing(connect()) as conn:
            while (started := time.monotonic()) < deadline:
                one(conn, rng)
                mine.append((time.monotonic() - started) * 1000)

    threads = [
        threading.Thread(target=client, args=(mine, n))
        for n, mine in enumerate(latencies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = sorted(x for mine in latencies for x in mine)
    if not every:
        raise BenchError(f"the floor ran no statement of {name}")
    return Load(len(every) / secs, percentile(every, 50), percentile(every, 99))


def percentile(values: Sequence[float], p: int) -> float:
    return values[min(len(values) - 1, len(values) * p // 100)]


def _run(command: list[str], cwd: str | None = None) -> str:
    if not shutil.which(command[0]):
        raise BenchError(f"{command[0]} is not installed (apt-get install it)")
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if done.returncode:
        raise BenchError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout
