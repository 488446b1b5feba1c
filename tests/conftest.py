"""Fixtures shared by every layer: backends (real SQLite, real PostgreSQL) and clients.

PostgreSQL: the server at $APPRAISAL_TEST_POSTGRES_URL (default 127.0.0.1:5432,
user postgres). If it is unreachable, a throwaway server is started from the
installed binaries (pytest-postgresql). If neither works the PostgreSQL tests
fail; they never skip. Each run creates its own database and drops it after;
each test gets its own schema in it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from domain.rulebook import FIRST_EDITION
from projections.runtime import Runtime, StoreConfig
from tests.clock import service_today

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_report_header() -> str:
    """The day the service's clock says it is (the company's time zone), and
    its pin if ``APPRAISAL_TODAY`` sets one: tests read today from it."""
    pinned = os.environ.get("APPRAISAL_TODAY", "").strip()
    said = f" (APPRAISAL_TODAY={pinned})" if pinned else ""
    return f"service today: {service_today().isoformat()}{said}"


def _reachable(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


@pytest.fixture(autouse=True)
def stores_open_on_version_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests written before songsong-2019 v2 shipped pin what they score
    under: their fresh stores open as stores opened before it did, with
    songsong-2019 v1 in force. A test of the shipped default asks for it with
    ``fresh_edition``."""
    monkeypatch.setattr(Runtime, "first_edition", None)


@pytest.fixture
def fresh_edition(monkeypatch: pytest.MonkeyPatch) -> str:
    """Stores open as a fresh store of this release does: on ``FIRST_EDITION``."""
    monkeypatch.setattr(Runtime, "first_edition", FIRST_EDITION)
    return FIRST_EDITION


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> str:
    """A maintenance URL of a running PostgreSQL server."""
    url = os.environ.get("APPRAISAL_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    problem = _reachable(url)
    if problem is None:
        return url
    try:
        proc = request.getfixturevalue("postgresql_proc")
    except BaseException as error:
        pytest.fail(
            f"PostgreSQL tests need a server. {url} is unreachable ({problem}) and "
            f"a throwaway server could not be started ({error!r}). Start PostgreSQL "
            "or set APPRAISAL_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    return make_conninfo(
        "", host=proc.host, port=proc.port, user=proc.user, dbname="postgres"
    )


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """A database of this test run's own, dropped when the run ends."""
    name = f"appraisal_test_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(postgres_server)
    params["dbname"] = name
    yield _url(params)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(params: dict[str, object]) -> str:
    user = params.get("user", "postgres")
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    return f"postgresql://{user}{password}@{host}:{port}/{params['dbname']}"


@pytest.fixture
def postgres_schema(postgres_database: str) -> str:
    """A fresh schema for one test."""
    schema = f"t_{uuid4().hex[:16]}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def store_config(request: pytest.FixtureRequest, tmp_path: Path) -> StoreConfig:
    """The same test, once on SQLite files and once on PostgreSQL."""
    if request.param == "sqlite":
        return StoreConfig(data_dir=tmp_path / "data")
    return StoreConfig(
        database_url=request.getfixturevalue("postgres_database"),
        postgres_schema=request.getfixturevalue("postgres_schema"),
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def runtime(store_config: StoreConfig) -> Iterator[Runtime]:
    opened = Runtime(store_config)
    yield opened
    opened.close()


class Projector:
    """``appraisal project`` in a thread, for PostgreSQL tests."""

    def __init__(self, config: StoreConfig) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.runtime = Runtime(config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.runtime.run_projector(self.stop, poll=0.05)
        except BaseException as error:  # surfaced by close()
            self.error = error

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.runtime.close()
        if self.error:
            raise self.error


@pytest.fixture
def projector(store_config: StoreConfig) -> Iterator[Projector | None]:
    """A running projector when the backend needs one (PostgreSQL)."""
    if store_config.projects_inline:
        yield None
        return
    running = Projector(store_config)
    yield running
    running.close()
