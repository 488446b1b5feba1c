"""Soak with faults: the real service on a PostgreSQL server of its own, under
steady load, while its projector is killed and PostgreSQL is restarted.

    python -m bench.soak --minutes 5
    python -m bench.soak --minutes 0.5      # a quick run

Setup: a throwaway PostgreSQL server (``tests.pgserver.ThrowawayPostgres``;
the shared server at 127.0.0.1:5432 is never touched), a database,
``appraisal migrate``, an admin token, ``--agents`` agents in ``--teams``
teams registered through the API, then ``appraisal serve --workers 2`` and
``appraisal project`` as subprocesses.

Load: ``--clients`` threads, for ``--minutes``, each sending a random mix of
``POST /deductions`` (a unique note each, dated today as the service sees it),
``GET /agents/{id}/scorecards/{month}`` (with ``Min-Position`` of the client's
last acknowledged deduction: read-your-writes), ``GET /rankings/{month}`` and
``GET /health``. Every request times out after ``--timeout`` seconds and none
is retried; after a failure the client pauses 0.1 s.

Faults, at about 1/3 and 2/3 of the run: the projector is killed (SIGKILL)
and a new one started two seconds later; a few seconds on, PostgreSQL is
restarted, ``fast`` the first time, ``immediate`` the second.

Then the load stops, ``/health`` is polled until the read models include the
whole log, the notes are looked up in the events table, and a fresh view
(``soak_replay``) is folded from the whole log and compared with the live
read models.

Reading the output:

- the table: per kind of request, how many were sent, answered 2xx, 4xx or
  5xx, or not answered (connection error or timeout), and the latency p50 and
  p99 in ms over all of them, answered or not;
- faults: when each began and ended, in seconds since the load began;
- failures (5xx or no answer): each distinct cause (status and problem code,
  or the exception) per kind, with when it was first and last sent; failures
  sent outside every fault window (from ``--timeout`` s before a fault began
  to 10 s after it ended) are counted apart: there should be none;
- acknowledged: deductions answered 201; lost: acknowledged but whose note is
  not in the log; duplicated: notes recorded more than once; unacknowledged
  but recorded: not answered 201 yet in the log (allowed: the answer was lost,
  not the command);
- longest unavailability: the longest span from a request that failed to the
  next request sent that succeeded, nothing but failures sent in between;
- whether the read models caught up, and how long after the load; processes
  that ended by themselves (not killed by the soak);
- whether the replay matches the live read models, scorecard by scorecard,
  (the first differences if it does not match).

Exit status 1 if a deduction was lost or duplicated, the read models did not
catch up, a process ended by itself, or the replay differs. Every process
started, and the server with its files, is stopped and removed at the end,
also on errors, SIGTERM and Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.client import HTTPException
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.common import (
    EVENTS_TABLE,
    BenchError,
    positive,
    raise_on_sigterm,
    server_version,
)
from domain.application import company_today
from domain.register import ROOT_GENERATION
from projections.runtime import Runtime, StoreConfig
from tests.pgserver import ThrowawayPostgres
from web.config import ENVIRONMENT

APPRAISAL = Path(sys.executable).with_name("appraisal")
DEDUCTION_TOPIC = "domain.deduction:Deduction.Recorded"
KINDS = ("deduction", "scorecard", "ranking", "health")
WEIGHTS = (4, 3, 2, 1)  # of KINDS, in order
ITEMS = ("complaint", "slow_reply")
GRACE = 10.0  # seconds after a fault's end its failures are still its own
CATCH_UP_LIMIT = 120.0  # seconds the read models get to include the log
FAILURE_PAUSE = 0.1  # seconds a client waits after a failed request
PROJECTOR_DOWN = 2.0  # seconds between killing the projector and a new one


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=positive_float, default=5.0)
    parser.add_argument("--clients", type=positive, default=8)
    parser.add_argument("--agents", type=positive, default=40)
    parser.add_argument("--teams", type=positive, default=4)
    parser.add_argument("--timeout", type=positive_float, default=10.0)
    parser.add_argument("--seed", type=int, default=2024)
    return parser.parse_args(argv)


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


# HTTP


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer
    body: bytes = b""
    error: str | None = None  # the exception when there was no answer

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def cause(self) -> str:
        """What went wrong, in a word or two: the exception, or the status and
        the problem code."""
        if self.status is None:
            return self.error or "no answer"
        if self.status < 400:
            return str(self.status)
        try:
            code = self.json().get("code", "")
        except (ValueError, AttributeError):
            code = ""
        return f"{self.status} {code}".strip()


def call(
    url: str,
    *,
    token: str | None = None,
    body: object = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Answer:
    """GET ``url`` (POST when there is a ``body``); HTTP errors are answers."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Answer(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.read())
    except (OSError, HTTPException) as error:  # URLError, resets, timeouts
        reason = getattr(error, "reason", error)
        return Answer(None, error=type(reason).__name__)


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


# The load


@dataclass(frozen=True)
class Sample:
    kind: str
    sent: float  # seconds since the load began
    latency: float
    status: int | None
    cause: str
    note: str | None = None

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass
class Load:
    base: str
    token: str
    agents: list[str]
    timeout: float
    began: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    samples: list[Sample] = field(default_factory=list)  # append is atomic

    def elapsed(self) -> float:
        return time.monotonic() - self.began


class Client:
    """One client thread: a random mix of commands and reads until stopped."""

    def __init__(self, load: Load, seed: int) -> None:
        self.load = load
        self.rng = random.Random(seed)
        self.position = 0  # of this client's last acknowledged deduction

    def run(self) -> None:
        actions = (self.deduction, self.scorecard, self.ranking, self.health)
        while not self.load.stop.is_set():
            self.rng.choices(actions, WEIGHTS)[0]()

    def send(self, kind: str, path: str, note: str | None = None, **how: Any) -> Answer:
        sent = time.monotonic()
        answer = call(
            self.load.base + path,
            token=self.load.token,
            timeout=self.load.timeout,
            **how,
        )
        latency = time.monotonic() - sent
        sample = Sample(
            kind, sent - self.load.began, latency, answer.status, answer.cause, note
        )
        self.load.samples.append(sample)
        if sample.failed:  # a client does not hammer a service that is down
            self.load.stop.wait(FAILURE_PAUSE)
        return answer

    def deduction(self) -> None:
        note = f"soak {uuid.uuid4()}"
        body = {
            "agent_id": self.rng.choice(self.load.agents),
            "item": self.rng.choice(ITEMS),
            "occurred_on": company_today()().isoformat(),
            "note": note,
        }
        answer = self.send("deduction", "/deductions", note=note, body=body)
        if answer.status == 201:
            self.position = max(self.position, int(answer.json()["position"]))

    def scorecard(self) -> None:
        agent = self.rng.choice(self.load.agents)
        headers = {"Min-Position": str(self.position)} if self.position else {}
        path = f"/agents/{agent}/scorecards/{this_month()}"
        self.send("scorecard", path, headers=headers)

    def ranking(self) -> None:
        self.send("ranking", f"/rankings/{this_month()}")

    def health(self) -> None:
        self.send("health", "/health")


def this_month() -> str:
    return company_today()().strftime("%Y-%m")


@contextmanager
def running(load: Load, clients: int, seed: int) -> Iterator[None]:
    """``clients`` client threads for the duration of the block."""
    threads = [
        threading.Thread(target=Client(load, seed + n).run, daemon=True)
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(load.timeout + 5)


# Faults


@dataclass(frozen=True)
class Fault:
    what: str
    began: float
    ended: float


def inject_faults(
    load: Load, service: Service, server: ThrowawayPostgres, seconds: float
) -> list[Fault]:
    """At 1/3 and 2/3 of the run: kill the projector and start another, then,
    a few seconds on, restart PostgreSQL (fast, then immediate)."""
    faults: list[Fault] = []
    settle = min(5.0, seconds / 12)
    for share, mode in ((1 / 3, "fast"), (2 / 3, "immediate")):
        if load.stop.wait(max(share * seconds - load.elapsed(), 0)):
            break
        killed = f"projector killed (SIGKILL), a new one {PROJECTOR_DOWN:g} s later"
        faults.append(fault(load, killed, partial(restart_projector, service)))
        load.stop.wait(settle)
        restarted = f"PostgreSQL restart {mode}"
        faults.append(fault(load, restarted, partial(server.restart, mode)))
    return faults


def restart_projector(service: Service) -> None:
    service.kill_projector()
    time.sleep(PROJECTOR_DOWN)
    service.start_projector()


def fault(load: Load, what: str, action: Callable[[], None]) -> Fault:
    began = load.elapsed()
    print(f"{began:7.1f} s  {what}", file=sys.stderr)
    action()
    return Fault(what, began, load.elapsed())


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


# The whole run


@dataclass(frozen=True)
class Outcome:
    samples: list[Sample]
    faults: list[Fault]
    notes: Counter[str]
    caught_up: tuple[bool, str, float]  # whether, where, seconds after the load
    replay: Replay
    dead: list[str]
    version: str

    def notes_of(self, acknowledged: bool) -> set[str]:
        return {
            s.note
            for s in self.samples
            if s.note is not None and (s.status == 201) == acknowledged
        }

    @property
    def lost(self) -> list[str]:
        return sorted(n for n in self.notes_of(True) if not self.notes[n])

    @property
    def duplicated(self) -> list[str]:
        return sorted(n for n, count in self.notes.items() if count > 1)

    @property
    def passed(self) -> bool:
        return (
            not self.lost
            and not self.duplicated
            and self.caught_up[0]
            and self.replay.matches
            and not self.dead
        )


def soak(args: argparse.Namespace) -> Outcome:
    """Everything on a throwaway server, in a temporary directory; both
    removed on the way out, whatever happened."""
    with (
        ThrowawayPostgres() as server,
        tempfile.TemporaryDirectory(prefix="appraisal-soak-") as tmp,
    ):
        url = server.create_database("appraisal_soak")
        service = Service(url, Path(tmp))
        with closing(service), logs_on_error(service):
            return exercise(args, server, service, url)


@contextmanager
def logs_on_error(service: Service) -> Iterator[None]:
    try:
        yield
    except Exception:
        print(service.tails(), file=sys.stderr)
        raise


def exercise(
    args: argparse.Namespace, server: ThrowawayPostgres, service: Service, url: str
) -> Outcome:
    service.run("migrate")
    issued = service.run("token", "issue", "--user", "admin", "--role", "admin")
    token = issued.strip().splitlines()[-1]
    service.serve()
    agents = register_agents(service, token, args.agents, args.teams)
    service.start_projector()
    ready, where = wait_caught_up(service, 60)
    if not ready:
        raise BenchError(f"the read models did not catch up before the load: {where}")
    load = Load(service.base, token, agents, args.timeout)
    seconds = args.minutes * 60
    print(f"load: {args.clients} clients for {seconds:.0f} s", file=sys.stderr)
    with running(load, args.clients, args.seed):
        faults = inject_faults(load, service, server, seconds)
        load.stop.wait(max(seconds - load.elapsed(), 0))
    stopped = time.monotonic()
    caught_up, where = wait_caught_up(service, CATCH_UP_LIMIT)
    return Outcome(
        samples=sorted(load.samples, key=lambda s: s.sent),
        faults=faults,
        notes=recorded_notes(url),
        caught_up=(caught_up, where, time.monotonic() - stopped),
        replay=replay_check(url),
        dead=service.dead(),
        version=server_version(url),
    )


# Report


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank; 0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def kind_table(samples: Sequence[Sample]) -> list[str]:
    lines = [
        f"{'kind':<10} {'sent':>7} {'2xx':>7} {'4xx':>6} {'5xx':>6} "
        f"{'no answer':>9} {'p50 ms':>8} {'p99 ms':>8}",
        f"{'-' * 10} {'-' * 7} {'-' * 7} {'-' * 6} {'-' * 6} {'-' * 9} "
        f"{'-' * 8} {'-' * 8}",
    ]
    for kind in (*KINDS, "all"):
        chosen = [s for s in samples if kind in ("all", s.kind)]
        statuses = Counter((s.status or 0) // 100 for s in chosen)
        ms = [s.latency * 1000 for s in chosen]
        lines.append(
            f"{kind:<10} {len(chosen):>7} {statuses[2]:>7} {statuses[4]:>6} "
            f"{statuses[5]:>6} {statuses[0]:>9} {percentile(ms, 0.5):>8.1f} "
            f"{percentile(ms, 0.99):>8.1f}"
        )
    return lines


def failure_lines(
    samples: Sequence[Sample], faults: Sequence[Fault], timeout: float
) -> list[str]:
    """Each distinct failure per kind, when seen; those outside every fault."""
    failed = [s for s in samples if s.failed]
    seen: dict[tuple[str, str], list[float]] = {}
    for s in failed:
        seen.setdefault((s.cause, s.kind), []).append(s.sent)
    lines = [
        f"  {cause:<28} {kind:<10} {len(times):>6}   "
        f"{min(times):7.1f} s to {max(times):7.1f} s"
        for (cause, kind), times in sorted(seen.items(), key=lambda i: i[1][0])
    ]
    outside = [
        s
        for s in failed
        if not any(f.began - timeout <= s.sent <= f.ended + GRACE for f in faults)
    ]
    summary = f"  outside the fault windows: {len(outside)}"
    if outside:
        first = outside[0]
        summary += f", the first {first.kind} {first.cause} at {first.sent:.1f} s"
    return [*(lines or ["  none"]), summary]


def longest_unavailability(samples: Sequence[Sample]) -> tuple[float, float]:
    """(seconds, when): the longest span from a failed request to the next
    request sent that succeeded, only failures sent in between."""
    longest, began = (0.0, 0.0), None
    for s in samples:  # in the order sent
        if s.failed and began is None:
            began = s.sent
        elif not s.failed and began is not None:
            longest, began = max(longest, (s.sent - began, began)), None
    if began is not None:
        end = max(s.sent + s.latency for s in samples)
        longest = max(longest, (end - began, began))
    return longest


def report(args: argparse.Namespace, outcome: Outcome) -> str:
    samples = outcome.samples
    seconds = max((s.sent + s.latency for s in samples), default=0.0)
    lines = [
        f"PostgreSQL {outcome.version} (throwaway); {seconds:.0f} s of load, "
        f"{args.clients} clients, {args.agents} agents in {args.teams} teams, "
        f"timeout {args.timeout:g} s, {len(samples) / (seconds or 1):.0f} requests/s",
        "",
        *kind_table(samples),
        "",
        "faults (seconds since the load began):",
        *(f"  {f.began:7.1f} to {f.ended:7.1f}  {f.what}" for f in outcome.faults),
        "failures (5xx or no answer): cause, kind, count, first to last sent:",
        *failure_lines(samples, outcome.faults, args.timeout),
        "",
        *verdict_lines(outcome),
    ]
    return "\n".join(lines)


def verdict_lines(outcome: Outcome) -> list[str]:
    unacknowledged = [n for n in outcome.notes_of(False) if outcome.notes[n]]
    down, since = longest_unavailability(outcome.samples)
    unavailable = f"{down:.2f} s (from {since:.1f} s)" if down else "none"
    caught_up, where, after = outcome.caught_up
    replay = outcome.replay
    lines = [
        f"acknowledged deductions (201):      {len(outcome.notes_of(True))}",
        f"lost (acknowledged, not in the log): {len(outcome.lost)}",
        f"duplicated (a note recorded twice+): {len(outcome.duplicated)}",
        f"unacknowledged but recorded:         {len(unacknowledged)}",
        f"longest unavailability:              {unavailable}",
        f"read models caught up: {yes(caught_up)} ({where}) "
        f"{after:.1f} s after the load",
        f"processes that ended by themselves: {', '.join(outcome.dead) or 'none'}",
        f"replay matches live read models: {yes(replay.matches)} "
        f"({replay.scorecards} scorecards, positions live {replay.positions[0]}, "
        f"replay {replay.positions[1]})",
    ]
    lines += [f"  {d}" for d in replay.differences[:5]]
    lines += [f"  lost: {n}" for n in outcome.lost[:5]]
    lines += [f"  duplicated: {n} x{outcome.notes[n]}" for n in outcome.duplicated[:5]]
    return lines


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    raise_on_sigterm()
    try:
        outcome = soak(args)
    except BenchError as error:
        print(f"soak failed: {error}", file=sys.stderr)
        return 1
    print(report(args, outcome))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
