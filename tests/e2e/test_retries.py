"""Retrying a command with the same ``Idempotency-Key`` records it exactly once,
under real faults, against the real ``appraisal serve`` (gunicorn) process: a
worker SIGKILLed mid-request (before its commit, or after it but before the
answer), PostgreSQL restarted under load, plain repeated sends.

The event log is read directly (``psycopg`` or ``sqlite3``), never through the
read models, so "exactly once" is what the store holds.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import psutil
import psycopg
import pytest

from tests.clock import service_today
from tests.e2e.commands import (
    Background,
    Response,
    clean_env,
    free_port,
    run_ok,
    wait_until,
)
from tests.e2e.test_staying_up import (
    AGENT,
    DATABASE,
    Deployment,
    answers,
    deploy,
    http,
    throwaway,  # noqa: F401 - a fixture, used by name
)

NO_ANSWER = 0  # the status noted for a request that got no answer at all


def deduction(note: str, agent_id: str = AGENT) -> dict[str, str]:
    return {"agent_id": agent_id, "item": "complaint",
            "occurred_on": service_today().isoformat(), "note": note}  # fmt: skip


def fresh(prefix: str) -> tuple[str, str]:
    """A new idempotency key and a note no other request carries."""
    return str(uuid.uuid4()), f"{prefix}-{uuid.uuid4().hex}"


def post_keyed(
    base: str, token: str, key: str, note: str, *, timeout: float = 15
) -> Response:
    """POST /deductions with ``note`` under ``key``; OSError if no answer."""
    answer, _ = http(
        "POST", f"{base}/deductions", token=token, body=deduction(note),
        headers={"Idempotency-Key": key}, timeout=timeout,
    )  # fmt: skip
    return answer


def until_answered(
    send: Callable[[], Response], *, within: float = 20, pause: float = 0.2
) -> tuple[Response | None, list[int]]:
    """Send again (same key, same request) until the answer is a 2xx or 4xx;
    a 503 or no answer means retry after ``pause``. The final answer (None if
    there was none within ``within`` seconds) and every status seen
    (``NO_ANSWER`` for none)."""
    deadline = time.monotonic() + within
    seen: list[int] = []
    while True:
        try:
            answer = send()
        except OSError:
            seen.append(NO_ANSWER)
        else:
            seen.append(answer.status)
            if answer.status != 503:
                return answer, seen
        if time.monotonic() + pause >= deadline:
            return None, seen
        time.sleep(pause)


@dataclass(frozen=True)
class Stored:
    position: int
    originator_id: str


def recorded_postgres(log: psycopg.Connection[Any], note: str) -> list[Stored]:
    """The events in the PostgreSQL event log whose state carries ``note``."""
    rows = log.execute(
        "SELECT notification_id, originator_id FROM public.appraisal_events "
        "WHERE convert_from(state, 'UTF8') LIKE %s ORDER BY notification_id",
        (f"%{note}%",),
    ).fetchall()
    return [Stored(int(position), str(originator)) for position, originator in rows]


def notes_in_postgres(log: psycopg.Connection[Any], prefix: str) -> Counter[str]:
    """How many events carry each note starting with ``prefix``."""
    found: Counter[str] = Counter()
    for (state,) in log.execute(
        "SELECT convert_from(state, 'UTF8') FROM public.appraisal_events "
        "WHERE convert_from(state, 'UTF8') LIKE %s",
        (f"%{prefix}-%",),
    ):
        start = 0
        while (at := state.find(f"{prefix}-", start)) >= 0:
            found[state[at : at + len(prefix) + 33]] += 1
            start = at + 1
    return found


def the_worker(app: Deployment) -> psutil.Process:
    """The one gunicorn worker of ``appraisal serve --workers 1``."""
    master = psutil.Process(app.serve.process.pid)
    workers = [
        child
        for child in master.children()
        if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
    ]
    assert len(workers) == 1, f"workers: {workers}{app.logs()}"
    return workers[0]


def slow_kept_answers(log: psycopg.Connection[Any], seconds: float) -> None:
    """Keeping a keyed command's answer (an UPDATE of its key's row, after
    the command's own transaction committed) takes ``seconds`` longer: the
    window between the commit and the answer, where a killed worker leaves a
    command recorded but unanswered, becomes wide enough to aim at. The
    command's transaction only INSERTs its key row, so it is not slowed."""
    log.execute(
        "CREATE FUNCTION public.test_slow_answer() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep({seconds}); "
        "RETURN NEW; END $$"
    )
    log.execute(
        "CREATE TRIGGER test_slow_answer BEFORE UPDATE "
        "ON public.appraisal_idempotency FOR EACH ROW "
        "EXECUTE FUNCTION public.test_slow_answer()"
    )


@dataclass
class InFlight:
    """A keyed POST sent in a thread: its answer, or None if there was none."""

    app: Deployment
    key: str
    note: str
    answer: Response | None = None
    error: BaseException | None = None
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def _send(self) -> None:
        try:
            self.answer = post_keyed(self.app.base, self.app.token, self.key, self.note)
        except OSError as error:
            self.error = error

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()


# 1. A worker killed mid-command: the retry records nothing more

ROUNDS = 20
SLOW_ANSWER = 0.4  # seconds added between a keyed command's commit and its answer


@pytest.mark.postgres
def test_a_command_retried_after_its_worker_was_killed_is_recorded_exactly_once(
    throwaway,  # noqa: F811
    background,
    tmp_path,
    workdir,
    request,
):
    server = throwaway()
    app = deploy(server, background, tmp_path, workdir, APPRAISAL_DB_POOL_SIZE="2")
    app.register(AGENT)
    log = psycopg.connect(server.url(DATABASE), autocommit=True)
    request.addfinalizer(log.close)
    # How long a command takes up to its answer, unslowed (unkeyed: the
    # trigger below never fires for it).
    took = []
    for _ in range(5):
        answer, seconds = http(
            "POST", app.url("/deductions"), token=app.token,
            body=deduction(f"warm-{uuid.uuid4().hex}"),
        )  # fmt: skip
        assert answer.status == 201, answer.body
        took.append(seconds)
    latency = statistics.median(took)
    slow_kept_answers(log, SLOW_ANSWER)
    chance = random.Random(20260)

    kinds: Counter[str] = Counter()
    problems: list[str] = []
    for round_ in range(ROUNDS):
        key, note = fresh("kill")
        worker = the_worker(app)
        first = InFlight(app, key, note)
        if round_ % 2 == 0:  # aimed: after the commit, before the answer
            wait_until(
                lambda note=note, first=first: (
                    first.done or bool(recorded_postgres(log, note))
                ),
                10,
                f"round {round_}: the command committing{app.logs()}",
            )
        else:  # anywhere: before, around or after the commit
            time.sleep(chance.uniform(0, 1.5 * latency))
        worker.kill()
        worker.wait(timeout=10)
        first.thread.join(timeout=30)
        assert first.done, f"round {round_}: the first request still hangs"
        time.sleep(0.05)  # a COMMIT sent just before the kill lands
        before_retry = recorded_postgres(log, note)
        if first.answer is not None:
            kind = "first request answered"
        elif before_retry:
            kind = "committed before the kill, unanswered"
        else:
            kind = "killed before the commit"
        kinds[kind] += 1

        final, seen = until_answered(
            lambda key=key, note=note: post_keyed(app.base, app.token, key, note)
        )
        stored = recorded_postgres(log, note)
        where = (
            f"round {round_} ({kind}), key {key}, note {note}: first answer "
            f"{first.answer and first.answer.status} ({first.error!r}), retries "
            f"answered {seen}, the log holds {stored}"
        )
        if final is None or final.status != 201:
            problems.append(f"{where}: final answer {final and final.body!r}")
            continue
        if len(stored) != 1:
            problems.append(f"{where}: recorded {len(stored)} times")
            continue
        body = final.json()
        if (body["position"], body["deduction_id"].replace("-", "")) != (
            stored[0].position,
            stored[0].originator_id.replace("-", ""),
        ):
            problems.append(f"{where}: answered {body}, not what was recorded")
        if first.answer is not None and final.body != first.answer.body:
            problems.append(f"{where}: the retry answered another body {body}")
        app.alive()

    assert not problems, "\n".join(problems) + app.logs()
    print(f"\nkilled-worker rounds: {dict(kinds)}")
    assert kinds["committed before the kill, unanswered"] >= 1, (
        f"no round killed the worker between its commit and its answer: {kinds}"
    )


# 2. PostgreSQL restarted under keyed load: every command recorded once


@pytest.mark.postgres
def test_commands_retried_across_postgresql_restarts_are_each_recorded_exactly_once(
    throwaway,  # noqa: F811
    background,
    tmp_path,
    workdir,
    request,
):
    server = throwaway()
    app = deploy(server, background, tmp_path, workdir, workers=2)
    app.register(AGENT)

    stop = threading.Event()
    lock = threading.Lock()
    sent: list[tuple[str, str, Response | None, list[int]]] = []
    failures: list[str] = []

    def client(number: int) -> None:
        try:
            while not stop.is_set():
                key, note = fresh("restart")
                final, seen = until_answered(
                    lambda key=key, note=note: post_keyed(
                        app.base, app.token, key, note, timeout=10
                    )
                )
                with lock:
                    sent.append((key, note, final, seen))
        except Exception as error:  # reported, not lost in the thread
            with lock:
                failures.append(f"client {number}: {error!r}")

    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    restarts = 0
    try:
        for thread in clients:
            thread.start()
        # Quick restarts (the store's own retries may absorb them), then
        # restarts down for longer than APPRAISAL_DB_TIMEOUT (2 s): 503s, and
        # the clients' retries.
        for mode, down in (("fast", 0), ("immediate", 0), ("fast", 3),
                           ("immediate", 3)):  # fmt: skip
            time.sleep(1)
            if down:
                server.stop(mode)
                time.sleep(down)
                server.start()
            else:
                server.restart(mode)
            restarts += 1
        time.sleep(2)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in clients), "a client hangs"
    assert not failures, failures

    log = psycopg.connect(server.url(DATABASE), autocommit=True)
    request.addfinalizer(log.close)
    stored = notes_in_postgres(log, "restart")
    statuses = Counter(status for *_, seen in sent for status in seen)
    problems = []
    for key, note, final, seen in sent:
        where = f"key {key}, note {note}: answered {seen}, recorded {stored[note]}"
        if final is None or final.status != 201:
            problems.append(f"{where}; final {final and (final.status, final.body)}")
        elif stored[note] != 1:
            problems.append(where)
        wrong = [s for s in seen if s == 409 or (s >= 500 and s != 503)]
        if wrong:
            problems.append(f"{where}: answers {wrong}")
    strays = set(stored) - {note for _, note, *_ in sent}
    assert not strays, f"recorded but never sent: {strays}"
    assert not problems, "\n".join(problems) + app.logs()
    app.alive()
    retried = sum(1 for *_, seen in sent if len(seen) > 1)
    print(
        f"\n{restarts} restarts survived, {len(sent)} commands, "
        f"{retried} retried; statuses {dict(statuses)}"
    )
    assert restarts == 4
    assert len(sent) >= 20, f"only {len(sent)} commands sent"
    assert retried >= 1, f"no command needed a retry: {dict(statuses)}"


# 3. The same key three times in a row: one event, three identical answers


def test_the_same_key_sent_three_times_answers_the_same_201_and_records_once(
    background, tmp_path, workdir
):
    data = tmp_path / "data"
    env = clean_env(APPRAISAL_DATA_DIR=str(data))
    run_ok("migrate", env=env, cwd=workdir)
    token = run_ok(
        "token", "issue", "--user", "admin", "--role", "admin", env=env, cwd=workdir
    ).stdout.strip()
    port = free_port()
    serve: Background = background(
        "serve", "--port", str(port), "--workers", "1", env=env, cwd=workdir
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: answers("GET", f"{base}/health", 200),
        30,
        "GET /health answering 200",
        serve.process,
        serve.log,
    )
    registered, _ = http(
        "POST", f"{base}/agents", token=token,
        body={"agent_id": AGENT, "name": "Agent", "team": "t1",
              "supervisor": "sup-t1"},
    )  # fmt: skip
    assert registered.status == 201, registered.body
    key, note = fresh("thrice")

    first, second, third = (post_keyed(base, token, key, note) for _ in range(3))

    assert [first.status, second.status, third.status] == [201, 201, 201], (
        first.body, second.body, third.body, serve.output(),
    )  # fmt: skip
    assert "Idempotent-Replayed" not in first.headers
    for again in (second, third):
        assert again.headers.get("Idempotent-Replayed") == "true", again.headers
        assert again.body == first.body
        assert again.headers.get("Location") == first.headers.get("Location")
    with closing(sqlite3.connect(data / "events.sqlite")) as conn:
        states = [
            bytes(state).decode()
            for (state,) in conn.execute("SELECT state FROM stored_events")
        ]
    assert sum(note in state for state in states) == 1, states
