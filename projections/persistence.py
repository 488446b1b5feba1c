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

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent, Transcoder
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
from psycopg.rows import tuple_row

from projections.linking import Linking, _guarded, recognising
from projections.notices import CHANGED
from projections.retry import (
    DEFAULT_RETRY_BUDGET,
    TRANSIENT,
    StoreUnavailableError,
    bounded,
    budget_of,
    retrying,
    transient,
)
from projections.transcoding import FastJSONTranscoder

__all__ = [
    "TRANSIENT",
    "PostgresStore",
    "SQLiteStore",
    "StoreUnavailableError",
    "bounded",
    "budget_of",
    "retrying",
    "transient",
]  # fmt: skip
# Settings this module reads from the eventsourcing environment.
RETRY_BUDGET = "APPRAISAL_RETRY_BUDGET"
STATEMENT_TIMEOUT = "APPRAISAL_STATEMENT_TIMEOUT"


class ReadsTogether:
    """Many aggregates' events in one query, for a batch command that would
    otherwise read each of its agents with a query of its own."""

    datastore: Any
    events_table: str
    mark: str
    _any: Callable[[int], str]
    _ids: Callable[[Iterable[UUID]], list[Any]]
    _id: Callable[[UUID], Any]
    TOGETHER = 500  # aggregates a query (SQLite allows 999 parameters)

    def select_events_of(
        self, originator_ids: Sequence[UUID]
    ) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each aggregate, oldest first; an aggregate
        with none maps to an empty list."""
        found: dict[UUID, list[StoredEvent]] = {i: [] for i in originator_ids}
        for start in range(0, len(originator_ids), self.TOGETHER):
            part = originator_ids[start : start + self.TOGETHER]
            statement = (
                f"SELECT originator_id, originator_version, topic, state "
                f"FROM {self.events_table} WHERE {self._any(len(part))} "
                "ORDER BY originator_id, originator_version"
            )
            self._gather(found, statement, self._ids(part))
        return found

    def select_events_after(
        self, versions: Sequence[tuple[UUID, int]]
    ) -> dict[UUID, list[StoredEvent]]:
        """The events of each aggregate after the version given with it (0:
        all of them), oldest first, in one query: what a copy kept at that
        version lacks."""
        found: dict[UUID, list[StoredEvent]] = {i: [] for i, _ in versions}
        m = self.mark
        pairs = self.TOGETHER // 2  # two parameters each
        for start in range(0, len(versions), pairs):
            part = versions[start : start + pairs]
            after = " OR ".join(
                f"(originator_id = {m} AND originator_version > {m})" for _ in part
            )
            statement = (
                "SELECT originator_id, originator_version, topic, state "
                f"FROM {self.events_table} WHERE {after} "
                "ORDER BY originator_id, originator_version"
            )
            params: list[Any] = []
            for originator_id, version in part:
                params += [self._id(originator_id), version]
            self._gather(found, statement, params)
        return found

    def _gather(
        self, found: dict[UUID, list[StoredEvent]], statement: str, params: list[Any]
    ) -> None:
        rows = retrying(budget_of(self.datastore), self._select_rows, statement, params)
        for row in rows:
            originator_id = _uuid(row["originator_id"])
            found[originator_id].append(
                StoredEvent(
                    originator_id=originator_id,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
            )

    def _select_rows(self, statement: str, params: list[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return list(curs.fetchall())


def _uuid(stored_id: Any) -> UUID:
    return stored_id if isinstance(stored_id, UUID) else UUID(str(stored_id))


# PostgreSQL


class GuardedPostgresRecorder(ReadsTogether, Linking, PostgresApplicationRecorder):
    """The application recorder with bounded retries, guarded inserts, the
    hash chain linked on insert, idempotency keys and recognised retries."""

    def _insert_links(self, curs: Any, rows: Sequence[tuple[int, str]]) -> None:
        curs.execute(
            f"INSERT INTO {self.chain_table} (position, hash) "
            "SELECT * FROM unnest(%b::bigint[], %b::text[])",
            ([r[0] for r in rows], [r[1] for r in rows]),
        )

    select_events = bounded(PostgresApplicationRecorder.select_events)
    select_notifications = bounded(PostgresApplicationRecorder.select_notifications)
    max_notification_id = bounded(PostgresApplicationRecorder.max_notification_id)
    mark = "%s"
    id_column = "notification_id"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = datastore.schema
        self.events_table = f'"{schema}"."{self.events_table_name}"'
        # The library's insert passes an array of a composite type, which
        # psycopg dumps as text through a regular expression per field; four
        # plain arrays, dumped binary (``%b``: ``%s`` dumps a list as text, ten
        # times slower). Same rows, same order, same RETURNING.
        id_type = datastore.originator_id_type
        self.insert_rows_statement = (
            f"INSERT INTO {self.events_table} (originator_id, originator_version, "
            "topic, state) SELECT * FROM unnest("
            f"%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        )
        self.chain_table = f'"{schema}"."appraisal_audit_chain"'
        self.keys_table = f'"{schema}"."appraisal_idempotency"'

    def _any(self, count: int) -> str:
        return "originator_id = ANY(%b)"

    def select_events_after(
        self, versions: Sequence[tuple[UUID, int]]
    ) -> dict[UUID, list[StoredEvent]]:
        """As ``ReadsTogether``'s: first each aggregate's last version (one
        index lookup each), then the events of those that moved on, if any.
        The pairs in one statement, however written (OR-ed, or joined with
        their array), were planned as a scan of the table's whole index: 80
        ms a batch once it held 140,000 events."""
        found: dict[UUID, list[StoredEvent]] = {i: [] for i, _ in versions}
        kept = dict(versions)
        if not kept:
            return found
        statement = self._select_versions(len(kept))
        rows = retrying(
            budget_of(self.datastore), self._select_rows, statement, self._ids(kept)
        )
        last = {_uuid(row["id"]): row["version"] for row in rows}
        behind = [i for i, version in last.items() if version > kept[i]]
        for aggregate_id, events in self.select_events_of(behind).items():
            after = kept[aggregate_id]
            found[aggregate_id] = [e for e in events if e.originator_version > after]
        return found

    def _ids(self, keys: Iterable[UUID]) -> list[Any]:
        return [list(keys)]

    def _id(self, key: UUID) -> Any:
        return key

    def _select_rows(self, statement: str, params: list[Any]) -> list[Any]:
        """One statement on the pool's autocommit connection: no BEGIN and
        ROLLBACK around it (two round trips, and a rollback makes psycopg
        drop the connection's prepared statements)."""
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

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

    @recognising
    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """One transaction: lock, check the guards, insert, link, keep the key.
        Any error rolls all of it back."""
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        guarded = _guarded(kwargs.get("expect"), stored_events)
        with self.datastore.transaction(commit=True) as curs:
            # Everything up to the chain's head in one round trip (a pipeline):
            # the table stays locked for two round trips, not seven.
            connection = curs.connection
            with connection.pipeline():
                self._lock_table(curs)
                versions = connection.cursor()
                if guarded:
                    statement = self._select_versions(len(guarded))
                    versions.execute(statement, self._ids(guarded))
                self._notify_channel(curs)
                if any(e.originator_version > 1 for e in stored_events):
                    curs.execute(f'NOTIFY "{CHANGED}"')  # see projections.notices
                # Positions as plain tuples: a dict a row cost 1 µs an event.
                inserted = connection.cursor(binary=True, row_factory=tuple_row)
                inserted.execute(self.insert_rows_statement, columns)
                head = connection.cursor()
                head.execute(self._chain_head_statement())
            if guarded:  # the insert is rolled back with the transaction
                self._verify_guards(guarded, versions.fetchall())
            ids = [row[0] for row in inserted.fetchall()]
            self._link(curs, stored_events, ids, head.fetchone(), read=False)
            self._record_key(curs, kwargs.get("key"), ids)
        return ids


class PostgresStore(PostgresFactory):
    """eventsourcing's PostgreSQL factory with timeouts, a small pool that
    reconnects quickly, the guarded recorder, and events encoded by orjson
    (``projections.transcoding``)."""

    application_recorder_class = GuardedPostgresRecorder

    def transcoder(self) -> Transcoder:
        if self.env.get(self.TRANSCODER_TOPIC):
            return super().transcoder()
        return FastJSONTranscoder()

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


class GuardedSQLiteRecorder(ReadsTogether, Linking, SQLiteApplicationRecorder):
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
        return [self._id(k) for k in keys]

    def _id(self, key: UUID) -> Any:
        return key.hex

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return retrying(
            budget_of(self.datastore), self._insert, stored_events, **kwargs
        )

    @recognising
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
