"""When each bearer token was last used: operational knowledge for an admin
reviewing tokens (``appraisal token list``), not a fact, so not an event. Each
process writes it at most every few minutes per token."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from projections.migrate import SideTable
from projections.persistence import budget_of, retrying

EVERY_SECONDS = 300.0


class TokenUse(SideTable):
    NAME = "appraisal_token_use"
    COLUMNS = "token_id TEXT PRIMARY KEY, last_used_at TEXT NOT NULL"

    def __init__(self, datastore: Any, postgres: bool) -> None:
        super().__init__(datastore, postgres)
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def seen(self, token_id: str | None) -> None:
        """Note a use of the token (written now and then, never failing a
        request)."""
        now = time.monotonic()
        with self._lock:
            if (
                token_id is None
                or now - self._written.get(token_id, -1e9) < EVERY_SECONDS
            ):
                return
            self._written[token_id] = now
        m = self.mark
        statement = (
            f"INSERT INTO {self.table} (token_id, last_used_at) VALUES ({m}, {m}) "
            "ON CONFLICT (token_id) DO UPDATE SET last_used_at = excluded.last_used_at"
        )
        try:
            retrying(budget_of(self.datastore), self._execute, statement,
                     (token_id, datetime.now(UTC).isoformat()))  # fmt: skip
        except Exception:
            with self._lock:
                self._written.pop(token_id, None)

    def last_used(self) -> dict[str, datetime]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT token_id, last_used_at FROM {self.table}")
            return {
                r["token_id"]: datetime.fromisoformat(r["last_used_at"])
                for r in cursor.fetchall()
            }

    def _execute(self, statement: str, params: tuple[Any, ...]) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, params)
