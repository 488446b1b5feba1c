"""Reads from a streaming replica: commands on the primary, reads on a hot
standby that replays the primary's log (``DATABASE_READ_URL``), a client
still reading its own writes through ``Min-Position``.

A primary and a replica of the test's own (``tests.pgserver``); the shared
server is never touched. Both are stopped and removed whatever happens.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.access import Role
from projections.replica import ReadOnlyReplicaError, ReplicaScoreboardView
from projections.runtime import Runtime
from tests.clock import service_today
from tests.conftest import Projector
from tests.pgserver import ThrowawayPostgres
from web import create_app
from web.config import ConfigError, Settings
from web.context import MIN_POSITION, READ_POSITION

SCHEMA = "appraisal"
AGENT = "CS-301"
READ_TIMEOUT = 2.0


@dataclass
class Replicated:
    primary: ThrowawayPostgres
    replica: ThrowawayPostgres
    primary_url: str
    replica_url: str


@pytest.fixture
def replicated() -> Iterator[Replicated]:
    """A primary (WAL for a replica, senders) with a database and schema,
    and a streaming replica of it that has them too."""
    with ThrowawayPostgres(wal_level="replica", max_wal_senders=4) as primary:
        primary_url = primary.create_database("appraisal")
        with psycopg.connect(primary_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{SCHEMA}"')
        replica = primary.standby()
        try:
            replica_url = replica.url("appraisal")
            _wait(lambda: _schema_on(replica_url), "the schema on the replica")
            yield Replicated(primary, replica, primary_url, replica_url)
        finally:
            replica.__exit__(None, None, None)


def _wait(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _schema_on(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)
            ).fetchone()
            return found is not None
    except psycopg.OperationalError:
        return False


class Client:
    """The app's test client with an admin's token."""

    def __init__(self, app: Flask) -> None:
        self.runtime: Runtime = app.extensions["appraisal"]["runtime"]
        self.http: FlaskClient = app.test_client()
        self.token = self.runtime.app.issue_token("admin", Role.ADMIN, None, "t").token

    def post(self, path: str, body: dict[str, Any]) -> int:
        answer = self.http.post(path, json=body, headers=self._headers())
        assert answer.status_code == 201, answer.json
        return int(answer.json["position"])

    def scorecard(self, min_position: int | None = None, token: str = "") -> Any:
        headers = self._headers(token)
        if min_position is not None:
            headers[MIN_POSITION] = str(min_position)
        month = service_today().strftime("%Y-%m")
        return self.http.get(f"/agents/{AGENT}/scorecards/{month}", headers=headers)

    def health(self) -> Any:
        return self.http.get("/health")

    def _headers(self, token: str = "") -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


def _positions(card: Any) -> set[int]:
    """The positions of the facts behind a scorecard's lines."""
    return {
        line["position"]
        for category in card.json["categories"]
        for line in category["lines"]
        if "position" in line
    }


def _app(servers: Replicated, **settings: Any) -> Flask:
    return create_app(
        {
            "DATABASE_URL": servers.primary_url,
            "POSTGRES_SCHEMA": SCHEMA,
            "READ_TIMEOUT": READ_TIMEOUT,
            "INLINE_PROJECTION": False,
            "TESTING": True,
            **settings,
        }
    )


def _deduct(client: Client) -> int:
    return client.post(
        "/deductions",
        {"agent_id": AGENT, "item": "complaint",
         "occurred_on": service_today().isoformat()},
    )  # fmt: skip


@pytest.mark.postgres
def test_reads_on_the_replica_wait_for_min_position_and_fall_back_to_the_primary(
    replicated: Replicated,
) -> None:
    app = _app(replicated, DATABASE_READ_URL=replicated.replica_url)
    client = Client(app)
    runtime = client.runtime
    replica = runtime.replica
    projector = Projector(replace(runtime.config, read_url=None))
    try:
        assert replica is not None
        client.post("/agents", {"agent_id": AGENT, "name": "Li Wei", "team": "t1",
                                "supervisor": "sup-t1"})  # fmt: skip
        first = _deduct(client)

        # A client that wrote at `first` reads it, from the replica.
        card = client.scorecard(first)
        assert card.status_code == 200, card.json
        assert int(card.headers[READ_POSITION]) >= first
        assert first in _positions(card)
        view, _ = runtime.read(first, READ_TIMEOUT)
        assert isinstance(view, ReplicaScoreboardView)
        assert view.datastore is replica.datastore
        with view.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT pg_is_in_recovery() AS standby")
            assert cursor.fetchone()["standby"] is True
        with pytest.raises(ReadOnlyReplicaError):
            view.settle()
        healthy = client.health()
        assert healthy.status_code == 200, healthy.json
        assert healthy.json["status"] == "ok"
        assert healthy.json["replica"]["status"] == "ok"
        assert healthy.json["replica"]["in_recovery"] is True
        assert healthy.json["replica"]["reads_from"] == "replica"

        # The replica stops replaying: a later write is on the primary's read
        # models, not on the replica's.
        with psycopg.connect(replicated.replica_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
        second = _deduct(client)
        _wait(lambda: runtime.position_of(runtime.view) >= second, "the projector")
        started = time.monotonic()
        waited = client.scorecard(second)
        assert waited.status_code == 503, waited.json
        assert time.monotonic() - started >= READ_TIMEOUT * 0.9
        older = client.scorecard()
        assert older.status_code == 200
        assert int(older.headers[READ_POSITION]) < second
        assert first in _positions(older)
        assert second not in _positions(older)
        # A token issued just now is known: authentication reads the primary.
        fresh = runtime.app.issue_token("auditor", Role.AUDITOR, None, "t").token
        assert client.scorecard(token=fresh).status_code == 200
        paused = client.health()
        assert paused.status_code == 200, paused.json
        assert paused.json["status"] == "degraded"
        assert paused.json["replica"]["replay_paused"] is True
        assert paused.json["replica"]["lag"] > 0
        assert paused.json["replica"]["status"] == "degraded"

        # Replay resumes: the same read answers, with the write in it.
        with psycopg.connect(replicated.replica_url, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
        card = client.scorecard(second)
        assert card.status_code == 200, card.json
        assert {first, second} <= _positions(card)

        # The replica goes away: reads fall back to the primary.
        replicated.replica.stop("immediate")
        card = client.scorecard(second)
        assert card.status_code == 200, card.json
        assert {first, second} <= _positions(card)
        view, _ = runtime.read(second, READ_TIMEOUT)
        assert view is runtime.view
        down = client.health()
        assert down.status_code == 200, down.json
        assert down.json["status"] == "degraded"
        assert down.json["replica"]["status"] == "unreachable"
        assert down.json["replica"]["reads_from"] == "primary"
    finally:
        projector.close()
        runtime.close()


@pytest.mark.postgres
def test_nothing_is_created_or_written_on_the_replica(replicated: Replicated) -> None:
    """The tables are made on the primary and replicate; a second app that
    opens with the replica configured migrates only the primary."""
    before = _tables(replicated.replica_url)
    app = _app(replicated, DATABASE_READ_URL=replicated.replica_url)
    runtime: Runtime = app.extensions["appraisal"]["runtime"]
    try:
        assert runtime.created  # on the primary
        assert runtime.replica is not None
        _wait(
            lambda: _tables(replicated.replica_url) == _tables(replicated.primary_url),
            "the tables to replicate",
        )
        assert before == set()
        view = runtime.replica.view_for(1, (1,))
        for write in (view.create_table, view.drop, view.settle):
            with pytest.raises(ReadOnlyReplicaError):
                write()
        with (
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
            psycopg.connect(replicated.replica_url, autocommit=True) as conn,
        ):
            conn.execute(f'CREATE TABLE "{SCHEMA}".attempt (n int)')
    finally:
        runtime.close()


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (SCHEMA,)
        ).fetchall()
    return {row[0] for row in rows}


def test_a_read_replica_needs_a_postgresql_primary_and_the_projector_uses_none():
    with pytest.raises(ConfigError):
        Settings.from_env({"DATABASE_READ_URL": "postgresql://replica/appraisal"})
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://primary/appraisal",
            "DATABASE_READ_URL": "postgresql://replica/appraisal",
        }
    )
    assert settings.store.reads_from_replica
    assert settings.store.read_url == "postgresql://replica/appraisal"
    assert not settings.projector_store.reads_from_replica
    environment = settings.store.replica_environment()
    assert environment["POSTGRES_HOST"] == "replica"
    assert environment["POSTGRES_SCHEMA"] == settings.store.postgres_schema
