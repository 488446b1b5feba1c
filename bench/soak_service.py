"""The service under ``bench.soak``: its ``appraisal`` processes, its agents,
and what its store holds once the load is over (the notes recorded, and a
replay of the whole log compared with the live read models)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.common import EVENTS_TABLE, BenchError
from bench.soak_clients import call
from domain.register import ROOT_GENERATION
from projections.runtime import Runtime, StoreConfig
from web.config import ENVIRONMENT

APPRAISAL = Path(sys.executable).with_name("appraisal")
DEDUCTION_TOPIC = "domain.deduction:Deduction.Recorded"


# The service: the appraisal commands of this run


class Service:
    """The ``appraisal`` commands of this run: one environment (the database,
    a data directory of its own), one working directory, a log per process.
    ``close`` stops every process started."""

    def __init__(self, url: str, root: Path) -> None:
        self.root = root
        kept = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
        self.env = kept | {
            "DATABASE_URL": url,
            "APPRAISAL_DATA_DIR": str(root / "data"),
        }
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.projector: subprocess.Popen[bytes] | None = None

    def run(self, *args: str) -> str:
        """``appraisal *args`` to completion; its standard output."""
        done = subprocess.run(
            [str(APPRAISAL), *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"appraisal {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.root / f"{args[0]}-{len(self.processes)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(APPRAISAL), *args],
                env=self.env,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.processes.append((process, log))
        return process

    def serve(self, timeout: float = 60.0) -> subprocess.Popen[bytes]:
        """Start the API (two workers) and wait until it answers."""
        server = self.start("serve", "--workers", "2", "--port", str(self.port))
        deadline = time.monotonic() + timeout
        while call(f"{self.base}/health", timeout=2).status is None:
            if server.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"appraisal serve did not answer\n{self.tails()}")
            time.sleep(0.2)
        return server

    def start_projector(self) -> None:
        self.projector = self.start("project")

    def kill_projector(self) -> None:
        if self.projector is not None:
            self.projector.send_signal(signal.SIGKILL)
            self.projector.wait()

    def dead(self) -> list[str]:
        """The processes that ended by themselves (not killed by this run)."""
        return [
            f"{log.stem} exited {p.returncode}"
            for p, log in self.processes
            if p.poll() is not None and p.returncode != -signal.SIGKILL
        ]

    def tails(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}"
            for _, log in self.processes
        )

    def close(self) -> None:
        for process, _ in reversed(self.processes):
            stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it does not end within ``timeout``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Setup


def register_agents(service: Service, token: str, agents: int, teams: int) -> list[str]:
    """``agents`` agents spread over ``teams`` teams, through the API."""
    registered = []
    for n in range(1, agents + 1):
        team = f"T{(n - 1) % teams + 1}"
        agent = {
            "agent_id": f"SOAK-{n:03d}",
            "name": f"Soak agent {n}",
            "team": team,
            "supervisor": f"sup-{team}",
        }
        answer = call(f"{service.base}/agents", token=token, body=agent)
        if answer.status != 201:
            raise BenchError(f"registering {agent['agent_id']}: {answer.cause}")
        registered.append(agent["agent_id"])
    return registered


def wait_caught_up(service: Service, limit: float) -> tuple[bool, str]:
    """Poll ``/health`` until it is well and the read models include the log."""
    deadline = time.monotonic() + limit
    while True:
        answer = call(f"{service.base}/health", timeout=5)
        try:
            health = answer.json() if answer.status is not None else {}
        except ValueError:
            health = {}
        if answer.status == 200 and health.get("lag") == 0:
            return True, f"position {health['position']} = head {health['head']}"
        dead = service.dead()
        if dead or time.monotonic() > deadline:
            seen = {k: health.get(k) for k in ("position", "head", "lag", "detail")}
            ended = f"; {', '.join(dead)}" if dead else ""
            return False, f"/health {answer.cause}: {seen}{ended}"
        time.sleep(0.2)


# What the log holds


def recorded_notes(url: str) -> Counter[str]:
    """How many times each note was recorded on a deduction in the event log."""
    query = sql.SQL("SELECT state FROM {} WHERE topic = %s").format(
        sql.Identifier(EVENTS_TABLE)
    )
    with psycopg.connect(url) as conn:
        rows = conn.execute(query, (DEDUCTION_TOPIC,)).fetchall()
    return Counter(json.loads(bytes(state))["note"] for (state,) in rows)


# The replay


@dataclass(frozen=True)
class Replay:
    scorecards: int
    positions: tuple[int, int]  # live, replay
    differences: list[str]

    @property
    def matches(self) -> bool:
        return not self.differences and self.positions[0] == self.positions[1]


def replay_check(url: str) -> Replay:
    """Fold the whole log into a fresh view; compare it with the live one."""
    runtime = Runtime(StoreConfig(database_url=url, pool_size=2))
    with closing(runtime):
        fresh = runtime.open_view("soak_replay", [ROOT_GENERATION])
        runtime.catch_up(fresh)
        live, replayed = runtime.view.scorecard_rows(), fresh.scorecard_rows()
        positions = (runtime.position, runtime.position_of(fresh))
    return Replay(len(replayed), positions, differences(live, replayed))


def differences(
    live: Sequence[tuple[Any, ...]], replayed: Sequence[tuple[Any, ...]]
) -> list[str]:
    """Every agent-month whose scorecard row differs, in order."""
    before = {row[:2]: row[2:] for row in live}
    after = {row[:2]: row[2:] for row in replayed}
    return [
        f"{agent} {month}: live {before.get((agent, month))}, "
        f"replay {after.get((agent, month))}"
        for agent, month in sorted(before.keys() | after.keys())
        if before.get((agent, month)) != after.get((agent, month))
    ]
