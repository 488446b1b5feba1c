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
- **One transaction per insert** holding the events, the hash-chain links of
  the events (so no event ever exists unlinked) and the command's idempotency
  key; an insert retried after its commit went unacknowledged recognises its
  own events and answers their positions instead of a conflict.
- **Guarded inserts.** A command may name aggregates it read but does not
  write (``expect={id: version}``), such as the period a fact falls in. The
  insert checks, after taking the events table's write lock, that none of
  them changed; otherwise it writes nothing and raises
  ``ConcurrentChangeError``, and the command runs again on fresh state. So a
  fact can never slip in after the close of its month.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
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

from domain.errors import ConcurrentChangeError
from projections.chain import GENESIS, link

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


def _guarded(
    expect: Mapping[UUID, int | None] | None, stored_events: Sequence[StoredEvent]
) -> dict[UUID, int | None]:
    """The expectations about aggregates this insert does not itself write
    (those it writes are checked by the store's own optimistic concurrency)."""
    if not expect:
        return {}
    written = {e.originator_id for e in stored_events}
    return {k: v for k, v in expect.items() if k not in written}


class Linking:
    """What an insert writes beside the events, in its transaction: the checks
    of its guards, the hash-chain links of its events (after any event stored
    unlinked before them), and its idempotency key. Shared by both backends;
    ``mark`` is the backend's parameter marker."""

    mark: str
    id_column: str  # the events' position: notification_id, or SQLite's rowid
    chain_table: str
    keys_table: str
    events_table: str

    def _check_guards(
        self, curs: Any, expect: Any, stored_events: Sequence[StoredEvent]
    ) -> None:
        guarded = _guarded(expect, stored_events)
        if not guarded:
            return
        curs.execute(self._select_versions(len(guarded)), self._ids(guarded))
        found = {_hex(r["id"]): r["version"] for r in curs.fetchall()}
        changed = _changed(guarded, found)
        if changed:
            raise ConcurrentChangeError(changed)

    def _select_versions(self, count: int) -> str:
        return (
            f"SELECT originator_id AS id, MAX(originator_version) AS version "
            f"FROM {self.events_table} WHERE {self._any(count)} GROUP BY originator_id"
        )

    def _any(self, count: int) -> str:
        """``originator_id`` is one of ``count`` parameters (see ``_ids``)."""
        return f"originator_id IN ({', '.join([self.mark] * count)})"

    def _ids(self, keys: Iterable[UUID]) -> list[Any]:
        return [str(k) for k in keys]

    def _link(
        self, curs: Any, stored_events: Sequence[StoredEvent], ids: Sequence[int]
    ) -> None:
        curs.execute(
            f"SELECT position, hash FROM {self.chain_table} "
            "ORDER BY position DESC LIMIT 1"
        )
        row = curs.fetchone()
        position, previous = (row["position"], row["hash"]) if row else (0, GENESIS)
        earlier: list[Notification] = []
        if position < ids[0] - 1:  # stored before events were linked on insert
            m = self.mark
            n = self.id_column
            curs.execute(
                f"SELECT {n} AS notification_id, originator_id, originator_version, "
                f"topic, state FROM {self.events_table} WHERE {n} > {m} AND {n} < {m} "
                f"ORDER BY {n}",
                (position, ids[0]),
            )
            earlier = [_notification(r) for r in curs.fetchall()]
        ours = [
            Notification(
                id=i,
                originator_id=e.originator_id,
                originator_version=e.originator_version,
                topic=e.topic,
                state=e.state,
            )
            for e, i in zip(stored_events, ids, strict=True)
        ]
        rows = []
        for notification in (*earlier, *ours):
            previous = link(previous, notification)
            rows.append((notification.id, previous))
        curs.executemany(
            f"INSERT INTO {self.chain_table} (position, hash) "
            f"VALUES ({self.mark}, {self.mark})",
            rows,
        )

    def chain_head(self) -> tuple[int, str]:
        """The chain's last link: its position and hash."""
        rows = self._read(
            f"SELECT position, hash FROM {self.chain_table} "
            "ORDER BY position DESC LIMIT 1",
            (),
        )
        return (rows[0]["position"], rows[0]["hash"]) if rows else (0, GENESIS)

    def _record_key(self, curs: Any, key: Any, ids: Sequence[int]) -> None:
        if key is None:
            return
        m = self.mark
        curs.execute(
            f"INSERT INTO {self.keys_table} (principal, key, fingerprint, positions, "
            f"created_at) VALUES ({m}, {m}, {m}, {m}, {m})",
            (key.principal, key.key, key.fingerprint, json.dumps(list(ids)),
             datetime.now(UTC).isoformat()),
        )  # fmt: skip

    def find_key(self, principal: str, key: str) -> tuple[str, list[int]] | None:
        """The fingerprint and positions stored with an idempotency key."""
        m = self.mark
        rows = self._read(
            f"SELECT fingerprint, positions FROM {self.keys_table} "
            f"WHERE principal = {m} AND key = {m}",
            (principal, key),
        )
        if not rows:
            return None
        return rows[0]["fingerprint"], json.loads(rows[0]["positions"])

    def stored_ids(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The positions of exactly these events if they are stored already: a
        retried insert whose first attempt committed (its answer was lost)."""
        ids = {e.originator_id for e in stored_events}
        rows = self._read(
            f"SELECT originator_id, originator_version, topic, state, "
            f"{self.id_column} AS notification_id FROM {self.events_table} "
            f"WHERE {self._any(len(ids))}",
            self._ids(ids),
        )
        found = {(_hex(r["originator_id"]), r["originator_version"]): r for r in rows}
        positions = []
        for event in stored_events:
            row = found.get((event.originator_id.hex, event.originator_version))
            if row is None or row["topic"] != event.topic:
                return None
            if bytes(row["state"]) != bytes(event.state):
                return None
            positions.append(row["notification_id"])
        return positions

    def _read(self, statement: str, params: Sequence[Any]) -> list[Any]:
        def once() -> list[Any]:
            with self.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
                curs.execute(statement, params)
                return list(curs.fetchall())

        return retrying(budget_of(self.datastore), once)  # type: ignore[attr-defined]


def _hex(originator_id: Any) -> str:
    return (
        originator_id.hex
        if isinstance(originator_id, UUID)
        else str(originator_id).replace("-", "")
    )


def _notification(row: Any) -> Notification:
    return Notification(
        id=row["notification_id"],
        originator_id=UUID(str(row["originator_id"])),
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _recognising(insert: Callable[..., list[int]]) -> Callable[..., list[int]]:
    """An insert that, when its events turn out to be stored already (a retry
    of an insert whose commit was not acknowledged), answers their positions."""

    def run(self: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        try:
            return insert(self, stored_events, **kwargs)
        except IntegrityError:
            ids = self.stored_ids(stored_events)
            if ids is None:
                raise
            return ids

    return run


# PostgreSQL


class GuardedPostgresRecorder(Linking, PostgresApplicationRecorder):
    """The application recorder with bounded retries, guarded inserts, the
    hash chain linked on insert, idempotency keys and recognised retries."""

    select_events = bounded(PostgresApplicationRecorder.select_events)
    select_notifications = bounded(PostgresApplicationRecorder.select_notifications)
    max_notification_id = bounded(PostgresApplicationRecorder.max_notification_id)
    mark = "%s"
    id_column = "notification_id"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = datastore.schema
        self.events_table = f'"{schema}"."{self.events_table_name}"'
        self.chain_table = f'"{schema}"."appraisal_audit_chain"'
        self.keys_table = f'"{schema}"."appraisal_idempotency"'

    def _any(self, count: int) -> str:
        return "originator_id = ANY(%s)"

    def _ids(self, keys: Iterable[UUID]) -> list[Any]:
        return [list(keys)]

    def stored_ids(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        return super().stored_ids(stored_events)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        return retrying(
            budget_of(self.datastore), self._insert, stored_events, **kwargs
        )

    @_recognising
    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """One transaction: lock, check the guards, insert, link, keep the key.
        Any error rolls all of it back."""
        events = [
            self.construct_pg_stored_event(
                e.originator_id, e.originator_version, e.topic, e.state
            )
            for e in stored_events
        ]
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            self._check_guards(curs, kwargs.get("expect"), stored_events)
            self._notify_channel(curs)
            curs.execute(self.insert_events_statement, (events,), prepare=True)
            ids = [row["notification_id"] for row in curs.fetchall()]
            self._link(curs, stored_events, ids)
            self._record_key(curs, kwargs.get("key"), ids)
        return ids


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


class GuardedSQLiteRecorder(Linking, SQLiteApplicationRecorder):
    """The SQLite application recorder with the same extensions."""

    select_events = bounded(SQLiteApplicationRecorder.select_events)
    select_notifications = bounded(SQLiteApplicationRecorder.select_notifications)
    max_notification_id = bounded(SQLiteApplicationRecorder.max_notification_id)
    mark = "?"
    id_column = "rowid"

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.events_table = self.events_table_name
        self.chain_table = "audit_chain"
        self.keys_table = "appraisal_idempotency"

    def _ids(self, keys: Iterable[UUID]) -> list[Any]:
        return [k.hex for k in keys]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return retrying(
            budget_of(self.datastore), self._insert, stored_events, **kwargs
        )

    @_recognising
    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        return SQLiteApplicationRecorder.insert_events(self, stored_events, **kwargs)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The rows first: the first write takes the database's write lock, so
        what is read after it is the latest committed state."""
        ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events and ids:
            self._check_guards(c, kwargs.get("expect"), stored_events)
            self._link(c, stored_events, ids)
            self._record_key(c, kwargs.get("key"), ids)
        return ids


class SQLiteStore(SQLiteFactory):
    application_recorder_class = GuardedSQLiteRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        budget = float(self.env.get(RETRY_BUDGET) or DEFAULT_RETRY_BUDGET)
        self.datastore.retry_budget = budget  # type: ignore[attr-defined]
