"""Running the real ``appraisal`` command as a subprocess, and talking HTTP to it."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from web.config import ENVIRONMENT

APPRAISAL = Path(sys.executable).with_name("appraisal")
# Settings the command reads from the environment; the tests set their own.
APPRAISAL_SETTINGS = tuple(ENVIRONMENT)


def clean_env(**settings: str) -> dict[str, str]:
    """A copy of this process's environment without any appraisal setting,
    plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if k not in APPRAISAL_SETTINGS}
    env.update(settings)
    return env


def run(
    *args: str, env: Mapping[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``appraisal *args`` to completion and capture its output."""
    return subprocess.run(
        [str(APPRAISAL), *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_ok(
    *args: str, env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    result = run(*args, env=env, cwd=cwd)
    assert result.returncode == 0, (
        f"appraisal {' '.join(args)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def stored_event_count(data_dir: Path) -> int:
    """How many events the SQLite store in ``data_dir`` holds."""
    with closing(sqlite3.connect(data_dir / "events.sqlite")) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()
    return int(count)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll ``condition`` until it holds; fail (with the process log) if it
    does not within ``timeout`` or if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(
                f"{what}: the process exited with {process.returncode}\n{_tail(log)}",
                pytrace=False,
            )
        if time.monotonic() >= deadline:
            pytest.fail(f"{what}: not within {timeout} s\n{_tail(log)}", pytrace=False)
        time.sleep(0.1)


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(encoding="utf-8", errors="replace")[-4000:]


class Background:
    """``appraisal *args`` running in the background, its output in a log file."""

    def __init__(self, *args: str, env: Mapping[str, str], cwd: Path, log: Path):
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [str(APPRAISAL), *args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return _tail(self.log)

    def terminate(self, timeout: float = 10) -> int | None:
        """SIGTERM and wait; kill if it does not stop. The exit code, or None
        if it had to be killed."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    return self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=timeout)
                    return None
            return self.process.returncode
        finally:
            self._log_file.close()


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        return json.loads(self.body)


def http_get(url: str, token: str | None = None, timeout: float = 10) -> Response:
    """GET ``url``; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, method="GET")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, dict(error.headers), error.read())


@contextmanager
def serving_demo(
    env: Mapping[str, str],
    data_dir: Path,
    workdir: Path,
    background: Callable[..., Background],
    within: float,
) -> Iterator[tuple[str, dict[str, str], Background]]:
    """``appraisal demo``, then ``appraisal serve`` until ``/health`` answers
    (in ``within`` seconds): its base URL, the demo tokens and the server."""
    run_ok("demo", env=env, cwd=workdir)
    tokens = json.loads((data_dir / "demo-tokens.json").read_text(encoding="utf-8"))
    port = free_port()
    server = background("serve", "--port", str(port), env=env, cwd=workdir)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return http_get(f"{base}/health", timeout=2).status == 200
        except OSError:
            return False

    wait_until(healthy, within, "GET /health", server.process, server.log)
    yield base, tokens, server


@dataclass(frozen=True)
class ServedDemo:
    """The demo department served as a deployment serves it."""

    backend: str
    base: str
    tokens: dict[str, str]
    env: dict[str, str]
    """the environment an ``appraisal`` command beside it runs in"""
    cwd: Path


@contextmanager
def demo_service(
    root: Path, postgres_url: str | None = None, within: float = 60
) -> Iterator[ServedDemo]:
    """The demo department on SQLite files under ``root`` (``appraisal
    serve`` folds the events itself), or in a schema of its own of the
    PostgreSQL database ``postgres_url`` (``appraisal migrate``, then ``serve``
    beside ``appraisal project``, as the compose file runs them)."""
    data_dir, workdir = root / "data", root / "cwd"
    workdir.mkdir()
    env = clean_env(APPRAISAL_DATA_DIR=str(data_dir))
    if postgres_url is not None:
        schema = f"t_{os.urandom(8).hex()}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        env |= {"DATABASE_URL": postgres_url, "APPRAISAL_POSTGRES_SCHEMA": schema}
    started: list[Background] = []

    def background(*args: str, env: Any, cwd: Path) -> Background:
        log = root / f"{args[0]}-{len(started)}.log"
        running = Background(*args, env=env, cwd=cwd, log=log)
        started.append(running)
        return running

    try:
        if postgres_url is not None:
            run_ok("migrate", env=env, cwd=workdir)
            background("project", env=env, cwd=workdir)
        backend = "postgres" if postgres_url else "sqlite"
        serving = serving_demo(env, data_dir, workdir, background, within)
        with serving as (base, tokens, _):
            yield ServedDemo(backend, base, tokens, env, workdir)
    finally:
        for running in started:
            running.terminate()
