"""Fixtures for the end-to-end tests: data directories, background commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.e2e.commands import Background, clean_env


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
