"""Staying up on PostgreSQL: the real ``appraisal`` processes against a server
of the test's own that is restarted, stopped, filled or misconfigured.

Every test here that needs PostgreSQL starts a throwaway server
(``tests.pgserver.ThrowawayPostgres``); the shared one is never touched.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.clock import service_today
from tests.e2e.commands import (
    Background,
    Response,
    clean_env,
    free_port,
    run,
    run_ok,
    wait_until,
)
from tests.pgserver import ThrowawayPostgres

DATABASE = "appraisal"
AGENT = "CS-901"


# HTTP, timed


def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 15,
) -> tuple[Response, float]:
    """``method url`` with an optional JSON body: the answer and the seconds it
    took. HTTP errors are answers, not exceptions."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            response = Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            response = Response(error.code, dict(error.headers), error.read())
    return response, time.monotonic() - started


def answers(method: str, url: str, status: int, **kwargs: Any) -> bool:
    """Whether ``method url`` answers ``status`` (no answer at all: no)."""
    try:
        return http(method, url, timeout=5, **kwargs)[0].status == status
    except OSError:
        return False


def answered(method: str, url: str, **kwargs: Any) -> tuple[Response, float]:
    """``http(...)``, failing the test if there is no answer within 15 s."""
    started = time.monotonic()
    try:
        return http(method, url, **kwargs)
    except OSError as error:
        took = time.monotonic() - started
        pytest.fail(f"{method} {url}: no answer after {took:.1f} s ({error!r})")


def this_month() -> str:
    return service_today().strftime("%Y-%m")


def one_line_error(result: Any) -> str:
    """The single ``Error: ...`` line a failed command printed, checked."""
    assert result.returncode == 1, (
        f"exit code {result.returncode}\nstdout:\n{result.stdout}\n"
        f"stderr:\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"not one line on stderr:\n{result.stderr}"
    assert lines[0].startswith("Error:"), lines[0]
    return lines[0]


# A deployment: a throwaway server, the API under gunicorn, the projector


@pytest.fixture
def throwaway() -> Iterator[Callable[..., ThrowawayPostgres]]:
    """Start throwaway PostgreSQL servers (``max_connections=...`` and other
    settings); each is stopped and removed after the test."""
    started: list[ThrowawayPostgres] = []

    def start(**settings: object) -> ThrowawayPostgres:
        server = ThrowawayPostgres(**settings)
        server.__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@dataclass
class Deployment:
    base: str
    token: str
    env: dict[str, str]
    serve: Background
    projector: Background

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def register(self, agent_id: str) -> None:
        answer, _ = http(
            "POST",
            self.url("/agents"),
            token=self.token,
            body={"agent_id": agent_id, "name": f"Agent {agent_id}",
                  "team": "t1", "supervisor": "sup-t1"},
        )  # fmt: skip
        assert answer.status == 201, answer.body

    @staticmethod
    def complaint(agent_id: str) -> dict[str, str]:
        return {"agent_id": agent_id, "item": "complaint",
                "occurred_on": service_today().isoformat()}  # fmt: skip

    def deduct(self, agent_id: str = AGENT) -> Response:
        answer, _ = http(
            "POST", self.url("/deductions"), token=self.token,
            body=self.complaint(agent_id),
        )  # fmt: skip
        return answer

    def record(self, agent_id: str = AGENT) -> int:
        """Record a complaint deduction; its position."""
        answer = self.deduct(agent_id)
        assert answer.status == 201, (answer.status, answer.body, self.logs())
        return int(answer.json()["position"])

    def scorecard(self, position: int, agent_id: str = AGENT) -> Response:
        answer, _ = http(
            "GET",
            self.url(f"/agents/{agent_id}/scorecards/{this_month()}"),
            token=self.token,
            headers={"Min-Position": str(position)},
        )
        return answer

    def logs(self) -> str:
        return (
            f"\n--- serve ---\n{self.serve.output()}"
            f"\n--- project ---\n{self.projector.output()}"
        )

    def alive(self) -> None:
        for name, running in (("serve", self.serve), ("project", self.projector)):
            assert running.process.poll() is None, (
                f"appraisal {name} exited with {running.process.returncode}"
                f"{self.logs()}"
            )


def deploy(
    server: ThrowawayPostgres,
    background: Callable[..., Background],
    tmp_path: Path,
    workdir: Path,
    *,
    workers: int = 1,
    **settings: str,
) -> Deployment:
    """A database on ``server``, migrated, an admin token, the projector and
    ``appraisal serve``, answering 200 on /health."""
    env = clean_env(
        DATABASE_URL=server.create_database(DATABASE),
        APPRAISAL_DATA_DIR=str(tmp_path / "data"),
        **settings,
    )
    run_ok("migrate", env=env, cwd=workdir)
    token = run_ok(
        "token", "issue", "--user", "admin", "--role", "admin", env=env, cwd=workdir
    ).stdout.strip()
    projector = background("project", env=env, cwd=workdir)
    port = free_port()
    serve = background(
        "serve", "--port", str(port), "--workers", str(workers), env=env, cwd=workdir
    )
    base = f"http://127.0.0.1:{port}"
    deployment = Deployment(base, token, env, serve, projector)
    wait_until(
        lambda: answers("GET", f"{base}/health", 200),
        30,
        f"GET /health answering 200{deployment.logs()}",
        serve.process,
        serve.log,
    )
    return deployment


def complaints_on(card: dict[str, Any]) -> int:
    """How many complaint facts a scorecard counts."""
    return sum(
        len(line["facts"])
        for category in card["categories"]
        for line in category["lines"]
        if line["item"] == "complaint"
    )


def wait_for_read_models(
    app: Deployment, position: int, timeout: float, *, health: bool = True
) -> None:
    """The read models include ``position`` (a read waiting for it answers 200)
    and (``health``) /health says all is well with no lag, within ``timeout``
    seconds."""
    deadline = time.monotonic() + timeout

    def caught_up() -> bool:
        try:
            return app.scorecard(position).status == 200
        except OSError:
            return False

    def healthy() -> bool:
        try:
            answer, _ = http("GET", app.url("/health"), timeout=5)
        except OSError:
            return False
        return answer.status == 200 and answer.json().get("lag") == 0

    wait_until(
        caught_up,
        max(deadline - time.monotonic(), 0.1),
        f"a read with Min-Position {position} answering 200{app.logs()}",
        app.projector.process,
        app.projector.log,
    )
    if not health:
        return
    wait_until(
        healthy,
        max(deadline - time.monotonic(), 0.1),
        f"GET /health answering 200 with lag 0{app.logs()}",
        app.projector.process,
        app.projector.log,
    )


# 1. The projector survives a restart of PostgreSQL


@pytest.mark.postgres
def test_the_projector_keeps_the_read_models_current_across_postgresql_restarts(
    throwaway, background, tmp_path, workdir
):
    server = throwaway()
    app = deploy(server, background, tmp_path, workdir, APPRAISAL_DB_POOL_SIZE="2")
    app.register(AGENT)
    recorded = 0

    for mode in ("fast", "immediate"):
        app.record()
        app.record()
        server.restart(mode)
        app.record()
        latest = app.record()
        recorded += 4

        assert app.projector.process.poll() is None, (
            f"the projector exited after a {mode} restart{app.logs()}"
        )
        wait_for_read_models(app, latest, 10)
        app.alive()

    card = app.scorecard(latest)
    assert card.status == 200
    assert complaints_on(card.json()) == recorded


# 2. An outage: quick 503s, then back by itself


@pytest.mark.postgres
def test_while_postgresql_is_down_every_request_answers_503_quickly_then_recovers(
    throwaway, background, tmp_path, workdir
):
    server = throwaway()
    app = deploy(server, background, tmp_path, workdir, APPRAISAL_DB_POOL_SIZE="2")
    app.register(AGENT)
    wait_for_read_models(app, app.record(), 10, health=False)

    server.stop("fast")

    health, took = answered("GET", app.url("/health"))
    assert health.status == 503, health.body
    assert took < 2, f"/health took {took:.1f} s"
    assert health.content_type.startswith("application/problem+json")
    assert health.json()["code"] == "store_unreachable"

    rankings, took = answered(
        "GET", app.url(f"/rankings/{this_month()}"), token=app.token
    )
    assert rankings.status == 503, rankings.body
    assert took < 3, f"GET /rankings took {took:.1f} s"
    assert "Retry-After" in rankings.headers
    assert rankings.content_type.startswith("application/problem+json")

    refused, took = answered(
        "POST", app.url("/deductions"), token=app.token, body=app.complaint(AGENT)
    )
    assert refused.status == 503, refused.body
    assert took < 3, f"POST /deductions took {took:.1f} s"
    assert "Retry-After" in refused.headers

    server.start()
    back = time.monotonic()
    wait_until(
        lambda: answers(
            "POST",
            app.url("/deductions"),
            201,
            token=app.token,
            body=app.complaint(AGENT),
        ),
        5,
        f"POST /deductions answering 201 after PostgreSQL came back{app.logs()}",
    )
    wait_until(
        lambda: answers("GET", app.url("/health"), 200),
        max(5 - (time.monotonic() - back), 0.1),
        f"GET /health answering 200 after PostgreSQL came back{app.logs()}",
    )
    app.alive()
    # The refused deduction was not recorded: one before, two after.
    latest = app.record()
    card = app.scorecard(latest)
    assert card.status == 200
    assert complaints_on(card.json()) == 3


# 3. Connections within budget under load


@pytest.mark.postgres
def test_a_deployment_under_load_stays_within_its_connection_budget_without_errors(
    throwaway, background, tmp_path, workdir, request
):
    server = throwaway(max_connections=30)
    workers, pool, projector = 2, 4, 2 + 1  # default pools; the projector listens
    budget = workers * (pool + 1) + projector  # and each worker listens
    # Connected first, from another database: it neither counts nor starves.
    watcher = psycopg.connect(server.url(), autocommit=True)
    request.addfinalizer(watcher.close)
    app = deploy(server, background, tmp_path, workdir, workers=workers)
    agents = [f"CS-9{n:02d}" for n in range(1, 5)]
    for agent in agents:
        app.register(agent)

    stop = threading.Event()
    counts: list[int] = []
    statuses: Counter[tuple[str, int]] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def sample() -> None:
        try:
            while not stop.is_set():
                (count,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND backend_type = 'client backend'",
                    (DATABASE,),
                ).fetchone()  # type: ignore[misc]
                counts.append(int(count))
                stop.wait(0.05)
        except psycopg.Error as error:
            with lock:
                failures.append(f"sampling pg_stat_activity: {error!r}")

    def load(number: int) -> None:
        agent = agents[number % len(agents)]
        month = this_month()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                posted = app.deduct(agent)
                got = [("POST /deductions", posted.status)]
                position = posted.json().get("position", 0)
                card = app.scorecard(position, agent)
                got.append(("GET scorecard", card.status))
                ranking, _ = http("GET", app.url(f"/rankings/{month}"), token=app.token)
                got.append(("GET rankings", ranking.status))
            except (OSError, ValueError) as error:  # no answer, or not JSON
                with lock:
                    failures.append(f"thread {number}: {error!r}")
                return
            with lock:
                statuses.update(got)

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=load, args=(n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=40)
    finally:
        stop.set()
        sampler.join(timeout=10)

    assert not failures, failures
    errors = {what: n for what, n in statuses.items() if what[1] >= 500}
    assert not errors, f"5xx answers: {errors}{app.logs()}"
    assert statuses[("POST /deductions", 201)] >= 20, statuses
    app.alive()
    assert counts and max(counts) > 0, "no connection seen in pg_stat_activity"
    assert max(counts) <= budget, (
        f"{max(counts)} connections at most, over the budget of {budget}"
    )


# 4. Operational errors on the command line: one line, exit 1


@pytest.mark.postgres
def test_a_database_url_where_nothing_listens_is_one_line_about_the_event_store(
    tmp_path, workdir
):
    env = clean_env(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/appraisal",
        APPRAISAL_DATA_DIR=str(tmp_path / "data"),
    )

    started = time.monotonic()
    result = run("period", "show", this_month(), env=env, cwd=workdir, timeout=30)
    took = time.monotonic() - started

    line = one_line_error(result)
    assert "event store" in line
    assert "refused" in line and "is PostgreSQL running" in line, line
    assert took < 15, f"the command took {took:.1f} s to give up"


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_one_line_naming_it(
    throwaway, tmp_path, workdir
):
    server = throwaway()
    env = clean_env(
        DATABASE_URL=server.url("no_such_database"),
        APPRAISAL_DATA_DIR=str(tmp_path / "data"),
    )

    result = run("period", "show", this_month(), env=env, cwd=workdir, timeout=30)

    line = one_line_error(result)
    assert "event store" in line
    assert "no_such_database" in line
    assert "does not exist" in line


@pytest.mark.postgres
def test_a_missing_schema_says_to_run_migrate_which_then_creates_it_once(
    throwaway, tmp_path, workdir
):
    server = throwaway()
    env = clean_env(
        DATABASE_URL=server.create_database(DATABASE),
        APPRAISAL_DATA_DIR=str(tmp_path / "data"),
        APPRAISAL_POSTGRES_SCHEMA="kpi_2026",
    )

    refused = run("period", "show", this_month(), env=env, cwd=workdir, timeout=30)

    line = one_line_error(refused)
    assert "kpi_2026" in line
    assert "appraisal migrate" in line

    created = run_ok("migrate", "--create-schema", env=env, cwd=workdir)
    assert "created schema kpi_2026" in created.stdout
    again = run_ok("migrate", env=env, cwd=workdir)
    assert "nothing to create" in again.stdout
    shown = run_ok("period", "show", this_month(), env=env, cwd=workdir)
    assert shown.stdout.startswith(f"{this_month()}: open")


@pytest.mark.postgres
def test_a_server_with_no_free_connection_is_one_line_saying_what_to_do(
    throwaway, tmp_path, workdir
):
    server = throwaway(max_connections=8)  # 3 of them reserved for superusers
    server.create_database(DATABASE)
    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute("CREATE ROLE filler LOGIN")
    filler_url = server.url(DATABASE).replace(f"//{server.user}@", "//filler@")
    env = clean_env(DATABASE_URL=filler_url, APPRAISAL_DATA_DIR=str(tmp_path / "data"))
    held: list[psycopg.Connection[Any]] = []
    try:
        for _ in range(20):
            try:
                held.append(psycopg.connect(filler_url, connect_timeout=5))
            except psycopg.OperationalError:
                break
        else:
            pytest.fail("the server kept accepting connections")
        assert held, "not a single connection for the filler role"

        started = time.monotonic()
        result = run("period", "show", "2026-10", env=env, cwd=workdir, timeout=30)
        took = time.monotonic() - started
    finally:
        for conn in held:
            conn.close()

    line = one_line_error(result)
    assert "too many clients" in line or "connection slots" in line, line
    assert "max_connections" in line, line
    assert "APPRAISAL_DB_POOL_SIZE" in line, line
    assert took < 15, f"the command took {took:.1f} s to give up"


@pytest.mark.postgres
def test_closing_a_month_still_running_is_a_refusal_not_a_usage_error(
    throwaway, tmp_path, workdir
):
    server = throwaway()
    env = clean_env(
        DATABASE_URL=server.create_database(DATABASE),
        APPRAISAL_DATA_DIR=str(tmp_path / "data"),
    )

    result = run("period", "close", this_month(), env=env, cwd=workdir, timeout=30)

    assert result.returncode != 2, "a refusal reported as a usage error"
    line = one_line_error(result)
    assert "Usage:" not in result.stderr
    assert this_month() in line, line


# 5. The demo follows the pinned date


def test_the_demo_follows_the_pinned_date(sqlite_env, workdir):
    env = {**sqlite_env, "APPRAISAL_TODAY": "2019-03-10"}

    loaded = run_ok("demo", env=env, cwd=workdir)
    shown = run_ok("period", "show", "2019-02", env=env, cwd=workdir)

    added = int(loaded.stdout.split(" agents and ")[1].split()[0])
    assert added > 0, loaded.stdout
    assert shown.stdout.startswith("2019-02: ")
    dated: dict[str, int] = {}
    for month in ("2018-11", "2018-12", "2019-01", "2019-02", "2019-03"):
        exported = run_ok("export", month, env=env, cwd=workdir).stdout
        for line in exported.splitlines():
            event = json.loads(line)
            if event.get("topic") == "domain.deduction:Deduction.Recorded":
                day = event["state"]["occurred_on"]["_data_"]
                assert day.startswith(month), (month, day)
                dated[month] = dated.get(month, 0) + 1
    assert set(dated) == {"2018-12", "2019-01", "2019-02"}, dated
    assert sum(dated.values()) == added
