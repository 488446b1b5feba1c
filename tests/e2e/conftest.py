"""Fixtures for the end-to-end tests: data directories, background commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.e2e.commands import Background, ServedDemo, clean_env, demo_service


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory the command runs in (so a stray ./data lands here)."""
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def sqlite_env(data_dir: Path) -> dict[str, str]:
    """The environment of an ``appraisal`` command on SQLite files in ``data_dir``."""
    return clean_env(APPRAISAL_DATA_DIR=str(data_dir))


@pytest.fixture
def background(tmp_path: Path) -> Iterator[Callable[..., Background]]:
    """Start ``appraisal`` commands in the background; all are stopped after."""
    started: list[Background] = []

    def start(*args: str, env: Mapping[str, str], cwd: Path) -> Background:
        log = tmp_path / f"{args[0]}-{len(started)}.log"
        running = Background(*args, env=env, cwd=cwd, log=log)
        started.append(running)
        return running

    yield start
    for running in started:
        running.terminate()


@pytest.fixture(scope="module", params=BACKENDS)
def demo_served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedDemo]:
    """The demo department served on each backend, for a module's tests."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
    root = tmp_path_factory.mktemp(f"demo-{request.param}")
    with demo_service(root, url) as served:
        yield served
