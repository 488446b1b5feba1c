"""The event store, extended for a service that must stay up.

eventsourcing's recorders, subclassed (their guarantees kept) for three things:

- **Bounded waits.** The library retries a failed call ten times and a pool
  waits 30 s for a connection, so an outage hung every request for a minute.
  Here every transient error (a lost connection, a deadlock, a lock or
  statement timeout) is retried only until a budget is spent, then
  ``StoreUnavailableError`` says so. Connections time out connecting and
  statements time out running; a pool gives up reconnecting after a few
  seconds and grows again on the next request, so the service answers within
  seconds of the database coming back.
- **Small pools.** One pool per process, shared by the application and every
  read model in the same database, sized by the settings.
- **Guarded inserts.** A command may name aggregates it read but does not
  write (``expect={id: version}``), such as the period a fact falls in. The
  insert checks, after taking the events table's write lock, that none of
  them changed; otherwise it writes nothing and raises
  ``ConcurrentChangeError``, and the command runs again on fresh state. So a
  fact can never slip in after the close of its month.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
)
from psycopg.sql import SQL, Identifier

from domain.errors import ConcurrentChangeError

logger = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT = (OperationalError, InterfaceError)
# Settings this module reads from the eventsourcing environment.
RETRY_BUDGET = "APPRAISAL_RETRY_BUDGET"
STATEMENT_TIMEOUT = "APPRAISAL_STATEMENT_TIMEOUT"
DEFAULT_RETRY_BUDGET = 2.0


class StoreUnavailableError(Exception):
    """Raised when the store cannot be reached (or keeps failing) for longer
    than the retry budget allows."""


def retrying(budget: float, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, retried on transient store errors with short,
    growing, jittered pauses until ``budget`` seconds are spent."""
    deadline = time.monotonic() + budget
    pause = 0.05
    while True:
        try:
            return call(*args, **kwargs)
        except TRANSIENT as error:
            if not transient(error):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreUnavailableError(_first_line(error)) from error
            logger.debug("transient store error, retrying: %s", error)
            time.sleep(min(pause * (0.5 + random.random()), left))
            pause = min(pause * 2, 0.5)


def transient(error: BaseException) -> bool:
    """Whether trying again may succeed: a lost or refused connection, a
    deadlock, a lock or statement timeout; on SQLite, a busy database (a
    missing table is an SQLite "operational" error too, but not transient)."""
    if not isinstance(error, TRANSIENT):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        text = str(cause).lower()
        return "locked" in text or "busy" in text
    return True


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def budget_of(datastore: Any) -> float:
    return float(getattr(datastore, "retry_budget", DEFAULT_RETRY_BUDGET))


def bounded(method: Any) -> Any:
    """The library's method without its own retries, within this store's budget."""
    undecorated = getattr(method, "__wrapped__", method)

    def bounded(self: Any, *args: Any, **kwargs: Any) -> Any:
        return retrying(budget_of(self.datastore), undecorated, self, *args, **kwargs)

    bounded.__name__ = method.__name__
    bounded.__doc__ = method.__doc__
    return bounded


def _changed(expect: Mapping[UUID, int | None], found: Mapping[str, int]) -> list[UUID]:
    return [key for key, version in expect.items() if found.get(key.hex) != version]


# PostgreSQL


class GuardedPostgresRecorder(PostgresApplicationRecorder):
    """The application recorder with bounded retries and guarded inserts."""

    insert_events = bounded(PostgresApplicationRecorder.insert_events)
    select_events = bounded(PostgresApplicationRecorder.select_events)
    select_notifications = bounded(PostgresApplicationRecorder.select_notifications)
    max_notification_id = bounded(PostgresApplicationRecorder.max_notification_id)

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.select_versions_statement = SQL(
            "SELECT originator_id::text AS id, MAX(originator_version) AS version "
            "FROM {schema}.{table} WHERE originator_id = ANY(%s) GROUP BY 1"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
        )

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Inside the insert's transaction, before its rows: once the table's
        write lock is held, no other insert can commit, so what the check reads
        is what the insert follows."""
        expect = _guarded(kwargs.get("expect"), stored_events)
        if expect:
            self._lock_table(curs)
            curs.execute(self.select_versions_statement, ([*expect],))
            found = {r["id"].replace("-", ""): r["version"] for r in curs.fetchall()}
            changed = _changed(expect, found)
            if changed:
                raise ConcurrentChangeError(changed)
        super()._insert_events(curs, stored_events, **kwargs)


def _guarded(
    expect: Mapping[UUID, int | None] | None, stored_events: Sequence[StoredEvent]
) -> dict[UUID, int | None]:
    """The expectations about aggregates this insert does not itself write
    (those it writes are checked by the store's own optimistic concurrency)."""
    if not expect:
        return {}
    written = {e.originator_id for e in stored_events}
    return {k: v for k, v in expect.items() if k not in written}


class PostgresStore(PostgresFactory):
    """eventsourcing's PostgreSQL factory with timeouts, a small pool that
    reconnects quickly, and the guarded recorder."""

    application_recorder_class = GuardedPostgresRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        datastore = self.datastore
        budget = float(self.env.get(RETRY_BUDGET) or DEFAULT_RETRY_BUDGET)
        statement_ms = int(float(self.env.get(STATEMENT_TIMEOUT) or 30) * 1000)
        datastore.retry_budget = budget  # type: ignore[attr-defined]
        pool = datastore.pool
        # The pool is not open yet: what a new connection is given.
        assert isinstance(pool.kwargs, dict)
        pool.kwargs["connect_timeout"] = max(1, round(budget))
        pool.kwargs["options"] = f"-c statement_timeout={statement_ms}"
        pool.kwargs["application_name"] = (
            self.env.get("APPLICATION_NAME") or "appraisal"
        )
        # Give up a failed reconnection soon: the next request starts a new
        # attempt at once, instead of waiting out an ever longer backoff.
        pool.reconnect_timeout = max(budget, 1.0)


# SQLite


class GuardedSQLiteRecorder(SQLiteApplicationRecorder):
    """The SQLite application recorder with bounded retries and guarded inserts."""

    insert_events = bounded(SQLiteApplicationRecorder.insert_events)
    select_events = bounded(SQLiteApplicationRecorder.select_events)
    select_notifications = bounded(SQLiteApplicationRecorder.select_notifications)
    max_notification_id = bounded(SQLiteApplicationRecorder.max_notification_id)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The rows first: the first write takes the database's write lock, so
        the check after it reads the latest committed state."""
        ids = super()._insert_events(c, stored_events, **kwargs)
        expect = _guarded(kwargs.get("expect"), stored_events)
        if expect:
            marks = ", ".join("?" * len(expect))
            c.execute(
                f"SELECT originator_id AS id, MAX(originator_version) AS version "
                f"FROM {self.events_table_name} WHERE originator_id IN ({marks}) "
                "GROUP BY originator_id",
                [key.hex for key in expect],
            )
            found = {r["id"]: r["version"] for r in c.fetchall()}
            changed = _changed(expect, found)
            if changed:
                raise ConcurrentChangeError(changed)
        return ids


class SQLiteStore(SQLiteFactory):
    application_recorder_class = GuardedSQLiteRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        budget = float(self.env.get(RETRY_BUDGET) or DEFAULT_RETRY_BUDGET)
        self.datastore.retry_budget = budget  # type: ignore[attr-defined]
