"""A throwaway PostgreSQL server of a test's own, to stop, restart or starve.

Tests that break PostgreSQL never touch the shared server: they start one of
these from the installed binaries (``initdb``, ``pg_ctl``), on a free port,
with a data directory of its own, and remove it afterwards. ``initdb`` refuses
to run as root, so as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def _bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True)
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """``with ThrowawayPostgres(max_connections=30) as server: server.url()``"""

    def __init__(self, **settings: object) -> None:
        self.bindir = _bindir()
        self.port = _free_port()
        self.settings = {"max_connections": 40, "fsync": "off", **settings}
        self.root = Path(tempfile.mkdtemp(prefix="appraisal-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user: str | None = None
        if os.geteuid() == 0:  # initdb will not run as root
            self._user = "postgres"
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.user = self._user or pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check)

    def __enter__(self) -> ThrowawayPostgres:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user,
                  "--no-sync")  # fmt: skip
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self) -> None:
        options = " ".join(
            [f"-p {self.port}", "-c listen_addresses=127.0.0.1",
             f"-c unix_socket_directories={self.root}"]
            + [f"-c {k}={v}" for k, v in self.settings.items()]
        )  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    @property
    def running(self) -> bool:
        result = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
        return result.returncode == 0

    def standby(self) -> ThrowawayPostgres:
        """A streaming replica of this server (a hot standby), started on a
        port of its own: ``pg_basebackup -R`` copies the data directory and
        writes the connection to follow. This server needs ``wal_level`` at
        least ``replica`` and WAL senders (PostgreSQL's defaults), and a
        replication entry in ``pg_hba.conf`` (``initdb -A trust`` writes one
        for 127.0.0.1). Stop it (``__exit__``) before this one."""
        replica = ThrowawayPostgres(**self.settings)
        replica._run("pg_basebackup", "-R", "-D", str(replica.data),
                     "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                     "-X", "stream", "--checkpoint=fast", "--no-sync")  # fmt: skip
        replica.start()
        return replica

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.Error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
