"""What a serving process keeps, and when it may have changed: PostgreSQL's
LISTEN/NOTIFY, heard by a thread of the process on a connection of its own.

A web worker keeps the token, the rules register, the agents and periods a
command reads (``AppraisalBase.current``) and the live read models' positions
(``Runtime.position_of``); reading them again on every request cost two
statements of a read's three. Instead, each channel has a count that goes up
with every notification on it: the changed aggregates' (``CHANGED``, notified
by every insert that changes an aggregate already stored) and the read
models' (``READ_MODELS``, notified by every fold and every scoring, in its
transaction). Something kept at a channel's count is still current while the
count is unchanged. The count is taken before the read it guards, so a change
heard during that read makes the next request read again.

While the connection is not listening (not yet, lost, or the store is down)
there is no count and everything is read as before; when it listens again
every count moves on, so nothing kept before is trusted. A notification
reaches other processes a moment after the commit: a read there may answer
the state of a moment ago, as any read may, and a client that must see its
own write sends ``Min-Position`` (the wait re-reads the positions). The
process that wrote forgets what it kept at once (``forget``).

On SQLite there is no LISTEN: ``FileChanges`` keeps the same counts by asking
each file whether another connection committed to it since (``PRAGMA
data_version``), which sees every commit made before the question.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from projections.retry import first_line

logger = logging.getLogger(__name__)
READ_MODELS = "appraisal_read_models"
"""The channel every fold and scoring of a read model notifies."""
CHANGED = "appraisal_changed"
"""The channel every insert that changes an aggregate already stored notifies
(an event after its first): what a process keeps of the log is aggregates
(a token, the rules register, agents, periods), and an insert that only
creates new ones (a deduction, a rating, a fact of an import) leaves every
kept copy current."""
PROBE_SECONDS = 5.0  # a quiet connection is checked this often
RETRY_SECONDS = (0.2, 5.0)  # the pause after a lost connection: first, most


class Notices:
    """Counts of notifications per channel, from a daemon thread started at
    the first question in each process (after a fork, again)."""

    every_insert = False
    """Whether ``CHANGED`` moves with every insert, a creation too."""

    def __init__(self, url: str, channels: tuple[str, ...], timeout: float) -> None:
        self.url = url
        self.channels = channels
        self.timeout = timeout
        self.listening = False
        self._counts = dict.fromkeys(channels, 0)
        self._local = 0  # this process's own writes: see forget
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def count(self, channel: str) -> tuple[int, int] | None:
        """Where ``channel`` stands; None while not listening (read afresh)."""
        self._start()
        with self._lock:
            if not self.listening:
                return None
            return (self._counts[channel], self._local)

    def forget(self) -> None:
        """This process wrote: nothing it kept is trusted any longer."""
        with self._lock:
            self._local += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(self.timeout + PROBE_SECONDS)

    def _start(self) -> None:
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.listening = False
            self._thread = threading.Thread(
                target=self._run, name="notices", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        pause = RETRY_SECONDS[0]
        while not self._stop.is_set():
            try:
                self._listen()
                pause = RETRY_SECONDS[0]
            except psycopg.Error as error:
                logger.warning(
                    "not listening for changes (%s); reads re-read each request",
                    first_line(error),
                )
            finally:
                with self._lock:
                    self.listening = False
            self._stop.wait(pause)
            pause = min(pause * 2, RETRY_SECONDS[1])

    def _listen(self) -> None:
        with psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=max(2, math.ceil(self.timeout)),
            application_name="appraisal-notices",
        ) as conn:
            for channel in self.channels:
                conn.execute(f'LISTEN "{channel}"')
            with self._lock:  # whatever was kept before may have changed
                for channel in self.channels:
                    self._counts[channel] += 1
                self.listening = True
            probe = time.monotonic() + PROBE_SECONDS
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=0.5):
                    self._heard(notice)
                if time.monotonic() >= probe:
                    conn.execute("SELECT 1")  # a connection lost quietly raises
                    probe = time.monotonic() + PROBE_SECONDS

    def _heard(self, notice: Any) -> None:
        with self._lock:
            if notice.channel in self._counts:
                self._counts[notice.channel] += 1


class FileChanges:
    """The same counts on the embedded default, from the SQLite files
    themselves: ``PRAGMA data_version`` on a connection of this process that
    never writes changes whenever any other connection (of any process)
    committed to the file since it was last asked. Each channel watches its
    files (``CHANGED``: the event log's, which every insert changes, a
    creation too; ``READ_MODELS``: every view's); asking is a statement per
    file, no transaction, and sees every commit made before it (where
    PostgreSQL's notifications reach a process a moment later)."""

    every_insert = True

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._files: dict[str, list[str]] = {}
        self._connections: dict[str, sqlite3.Connection] = {}
        self._versions: dict[str, int] = {}
        self._counts: dict[str, int] = {}
        self._local = 0
        self._lock = threading.Lock()
        self._pid = os.getpid()

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._files)

    def watch(self, channel: str, path: str) -> None:
        """Count commits to the SQLite file at ``path`` on ``channel``."""
        with self._lock:
            files = self._files.setdefault(channel, [])
            if path not in files:
                files.append(path)
                self._counts[channel] = self._counts.get(channel, 0) + 1

    def count(self, channel: str) -> tuple[int, int] | None:
        """Where ``channel`` stands; None when a file cannot be asked (read
        afresh)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked child: connections of its own
                self._connections, self._versions, self._pid = {}, {}, os.getpid()
            try:
                for path in self._files.get(channel, ()):
                    version = self._version(path)
                    if self._versions.get(path) != version:
                        self._versions[path] = version
                        self._counts[channel] += 1
            except sqlite3.Error:
                self._connections.pop(path, None)
                self._versions.pop(path, None)
                return None
            return (self._counts.get(channel, 0), self._local)

    def _version(self, path: str) -> int:
        connection = self._connections.get(path)
        if connection is None:
            connection = sqlite3.connect(  # never creates a file that is gone
                f"{Path(path).resolve().as_uri()}?mode=rw",
                uri=True,
                timeout=self.timeout,
                check_same_thread=False,
            )
            self._connections[path] = connection
        return int(connection.execute("PRAGMA data_version").fetchone()[0])

    def forget(self) -> None:
        """This process wrote: nothing it kept is trusted any longer."""
        with self._lock:
            self._local += 1

    def close(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                for connection in self._connections.values():
                    connection.close()
            self._connections = {}
