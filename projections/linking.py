"""What an insert writes beside the events, in its transaction: the checks of
its guards, the hash-chain links of its events, and its idempotency key; and
how a retried insert recognises its own events. Shared by both backends'
recorders (``projections.persistence``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Notification, StoredEvent

from domain.errors import ConcurrentChangeError
from projections.chain import GENESIS, link, link_at
from projections.retry import budget_of, retrying


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
        self._verify_guards(guarded, curs.fetchall())

    @staticmethod
    def _verify_guards(guarded: Mapping[UUID, int | None], rows: Any) -> None:
        """Raise if an aggregate ``guarded`` names is not at the version the
        command read it at (``rows``: the versions found)."""
        found = {_hex(r["id"]): r["version"] for r in rows}
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

    def _chain_head_statement(self) -> str:
        return (
            f"SELECT position, hash FROM {self.chain_table} "
            "ORDER BY position DESC LIMIT 1"
        )

    def _link(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],
        ids: Sequence[int],
        head: Any = None,
        *,
        read: bool = True,
    ) -> None:
        """Link the events at ``ids`` after the chain's head (read here, or
        already read under the same lock: ``head``, with ``read=False``)."""
        if read:
            curs.execute(self._chain_head_statement())
            head = curs.fetchone()
        row = head
        position, previous = (row["position"], row["hash"]) if row else (0, GENESIS)
        rows = []
        if position < ids[0] - 1:  # stored before events were linked on insert
            m = self.mark
            n = self.id_column
            curs.execute(
                f"SELECT {n} AS notification_id, originator_id, originator_version, "
                f"topic, state FROM {self.events_table} WHERE {n} > {m} AND {n} < {m} "
                f"ORDER BY {n}",
                (position, ids[0]),
            )
            for row in curs.fetchall():
                previous = link(previous, _notification(row))
                rows.append((row["notification_id"], previous))
        for event, at in zip(stored_events, ids, strict=True):
            previous = link_at(previous, at, event)
            rows.append((at, previous))
        self._insert_links(curs, rows)

    def _insert_links(self, curs: Any, rows: Sequence[tuple[int, str]]) -> None:
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


def recognising(insert: Callable[..., list[int]]) -> Callable[..., list[int]]:
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
