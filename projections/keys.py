"""Idempotency keys, kept beside the events (``domain.idempotency``).

A key's row is written by the insert that records the keyed command's events,
in the same transaction (``positions``), so it exists exactly when the command
was recorded. Once the answer has been sent, the web layer adds it to the row
(``status``, ``headers``, ``body``), so a retry gets the very same answer.
Keys are kept for ``KEEP_DAYS`` days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.migrate import SchemaObject, statement_object
from projections.persistence import budget_of, retrying

KEEP_DAYS = 7


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    positions: list[int]
    status: int | None
    headers: dict[str, str]
    body: bytes | None


class KeyStore:
    """The keys table, which the application recorder writes on insert."""

    def __init__(self, recorder: Any, postgres: bool) -> None:
        self.datastore = recorder.datastore
        self.postgres = postgres
        self.table = recorder.keys_table
        self.mark = recorder.mark

    def schema_objects_of(self) -> list[SchemaObject]:
        blob = "BYTEA" if self.postgres else "BLOB"
        return [
            statement_object(
                self.datastore,
                self.table,
                f"CREATE TABLE IF NOT EXISTS {self.table} (principal TEXT NOT NULL, "
                "key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                "positions TEXT NOT NULL, created_at TEXT NOT NULL, status INTEGER, "
                f"headers TEXT, body {blob}, PRIMARY KEY (principal, key))",
            )
        ]

    def lookup(self, principal: str, key: str) -> KeyRecord | None:
        return retrying(budget_of(self.datastore), self._lookup, principal, key)

    def _lookup(self, principal: str, key: str) -> KeyRecord | None:
        m = self.mark
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT fingerprint, positions, status, headers, body FROM "
                f"{self.table} WHERE principal = {m} AND key = {m}",
                (principal, key),
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return KeyRecord(
            fingerprint=row["fingerprint"],
            positions=json.loads(row["positions"]),
            status=row["status"],
            headers=json.loads(row["headers"] or "{}"),
            body=bytes(row["body"]) if row["body"] is not None else None,
        )

    def answered(
        self,
        principal: str,
        key: str,
        fingerprint: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        """Keep the answer sent for a keyed request (adding the row if the
        command recorded nothing, so a retry still gets the same answer)."""
        m = self.mark
        row = (principal, key, fingerprint, "[]", _now(), status,
               json.dumps(headers), body)  # fmt: skip
        statement = (
            f"INSERT INTO {self.table} (principal, key, fingerprint, positions, "
            f"created_at, status, headers, body) VALUES ({', '.join([m] * 8)}) "
            "ON CONFLICT (principal, key) DO UPDATE SET status = excluded.status, "
            "headers = excluded.headers, body = excluded.body"
        )
        retrying(budget_of(self.datastore), self._execute, statement, row)

    def prune(self, now: datetime | None = None) -> None:
        """Forget keys older than ``KEEP_DAYS`` days."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=KEEP_DAYS)
        self._execute(
            f"DELETE FROM {self.table} WHERE created_at < {self.mark}",
            (cutoff.isoformat(),),
        )

    def _execute(self, statement: str, params: tuple[Any, ...]) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, params)


def _now() -> str:
    return datetime.now(UTC).isoformat()
