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
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

import psycopg

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
                    str(error).strip().splitlines()[0] if str(error) else error,
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
