"""The projector: keeps the live read models up to date until it is stopped.

A connection of its own LISTENs for new events (PostgreSQL; a short sleep on
SQLite) and each wake-up catches the live generation up in batches. Nothing
ends it but ``stop``: a transient store error (a lost connection, a restart, a
deadlock) is retried with backoff; an event it cannot fold stalls it at that
position, reported in its log and in ``/health``, and retried until it folds.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from projections.health import StalledError
from projections.persistence import TRANSIENT, StoreUnavailableError
from projections.retry import first_line
from projections.scoreboard import projection_name

if TYPE_CHECKING:
    from projections.runtime import Runtime

logger = logging.getLogger(__name__)
UNAVAILABLE = (*TRANSIENT, StoreUnavailableError)


@dataclass
class Backoff:
    """Growing pauses between attempts: ``first`` doubling up to ``most``."""

    first: float
    most: float
    _next: float = field(default=0.0, init=False)

    def pause(self) -> float:
        self._next = min(self._next * 2, self.most) if self._next else self.first
        return self._next

    def reset(self) -> None:
        self._next = 0.0


@dataclass
class _Attempts:
    """What the projector carries from one attempt to the next: the pauses
    after store errors and after stalls, the read model it is following, and
    the stall it last reported."""

    transient: Backoff = field(default_factory=lambda: Backoff(0.1, 2.0))
    stalled: Backoff = field(default_factory=lambda: Backoff(1.0, 30.0))
    name: str = ""
    reported: tuple[int, str] | None = None


class Projector:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._next_housekeeping = 0.0

    def run(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Keep the live read models up to date until ``stop`` is set, following
        the live generation when readers are switched to another one. Nothing
        ends this but ``stop``: store errors are retried with backoff, and an
        event that cannot be folded is retried until it can be."""
        waiter = _Waiter(self.runtime)
        attempts = _Attempts()
        try:
            while not stop.is_set():
                try:
                    self._catch_up(waiter, attempts)
                    waiter.wait(stop, poll)
                except StalledError as stall:
                    self._report_stall(attempts, stall)
                    stop.wait(attempts.stalled.pause())
                except UNAVAILABLE as error:
                    pause = attempts.transient.pause()
                    logger.warning(
                        "store unavailable (%s); retrying in %.1f s",
                        first_line(error),
                        pause,
                    )
                    waiter.close()
                    stop.wait(pause)
                except Exception:
                    pause = attempts.stalled.pause()
                    logger.exception("projector error; retrying in %.1f s", pause)
                    waiter.close()
                    stop.wait(pause)
        finally:
            waiter.close()

    def _catch_up(self, waiter: _Waiter, attempts: _Attempts) -> None:
        """One wake-up: fold what is new into the live generation and record
        where it is; a stall reported before is over, and so are the pauses."""
        waiter.listen()
        view = self.runtime.view
        attempts.name = projection_name(self.runtime.generation_of(view))
        reached = self.runtime.catch_up(view)
        self._housekeeping()
        if attempts.reported:
            logger.warning("%s resumed at position %s", attempts.name, reached)
            attempts.reported = None
        self.runtime.status.record(attempts.name, reached, self.runtime.head)
        attempts.transient.reset()
        attempts.stalled.reset()

    def _report_stall(self, attempts: _Attempts, stall: StalledError) -> None:
        """Log a stall once (again only when it moves or its error changes);
        record it in the status each time, if the store can be reached."""
        if attempts.reported != (stall.position, stall.error):
            logger.error("%s stalled: %s", attempts.name, stall)
            attempts.reported = (stall.position, stall.error)
        self._record_quietly(attempts.name, stall)

    def _housekeeping(self) -> None:
        """Now and then: link events stored before inserts linked them, forget
        old idempotency keys."""
        now = time.monotonic()
        if now < self._next_housekeeping:
            return
        self.runtime.chain.extend()
        self.runtime.keys.prune()
        self._next_housekeeping = now + 3600

    def _record_quietly(self, name: str, stall: StalledError) -> None:
        with contextlib.suppress(*UNAVAILABLE):
            self.runtime.status.record(
                name, stall.position - 1, self.runtime.head, stall
            )


class _Waiter:
    """Wakes the projector when events are inserted: LISTEN/NOTIFY on a
    connection of its own (PostgreSQL), else a short sleep."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.conn: psycopg.Connection[Any] | None = None

    def listen(self) -> None:
        if not self.runtime.config.is_postgres or self.conn is not None:
            return
        recorder: Any = self.runtime.app.recorder
        try:
            conn = psycopg.connect(
                self.runtime.config.database_url or "",
                autocommit=True,
                connect_timeout=max(2, math.ceil(self.runtime.config.retry_budget)),
                application_name="appraisal-projector-listen",
            )
            conn.execute(f'LISTEN "{recorder.channel_name}"')
        except psycopg.Error as error:
            raise StoreUnavailableError(str(error).strip()) from None
        self.conn = conn

    def wait(self, stop: threading.Event, poll: float) -> None:
        if self.conn is None:
            stop.wait(poll)
            return
        try:
            for _ in self.conn.notifies(timeout=poll, stop_after=1):
                pass
        except psycopg.Error:
            self.close()
            raise StoreUnavailableError("lost the LISTEN connection") from None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
