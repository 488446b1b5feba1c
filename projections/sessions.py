"""Signed-in sessions of the pages: which token a browser signed in with.

Operational state, not a fact (like token use), so a table beside the event
store rather than an event. The browser holds only a random session id; the
table keeps its SHA-256, the SHA-256 of the token it signed in with (what the
event log already keeps of every token) and the session's CSRF token. A
session ends when it is signed out of, after ``IDLE`` without a request, or
``LONGEST`` after sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from projections.migrate import SideTable

IDLE = timedelta(hours=8)
LONGEST = timedelta(hours=24)
# A request refreshes a session's last use at most this often (one write).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class PageSession:
    token_hash: str
    csrf: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class PageSessions(SideTable):
    NAME = "appraisal_page_sessions"
    COLUMNS = (
        "session_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, "
        "csrf TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL"
    )

    def open(self, token_hash: str) -> tuple[str, PageSession]:
        """A new session for the token: its id (for the cookie) and its state.
        Sessions that have ended are deleted on the way."""
        session_id = secrets.token_urlsafe(32)
        found = PageSession(token_hash, secrets.token_urlsafe(32))
        now = datetime.now(UTC)
        m = self.mark
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} "
                f"WHERE last_seen_at < {m} OR created_at < {m}",
                ((now - IDLE).isoformat(), (now - LONGEST).isoformat()),
            )
            cursor.execute(
                f"INSERT INTO {self.table} (session_hash, token_hash, csrf, "
                f"created_at, last_seen_at) VALUES ({m}, {m}, {m}, {m}, {m})",
                (_digest(session_id), token_hash, found.csrf, now.isoformat(),
                 now.isoformat()),
            )  # fmt: skip
        return session_id, found

    def find(self, session_id: str) -> PageSession | None:
        """The session, if it has not ended; a use of it is noted."""
        now = datetime.now(UTC)
        m = self.mark
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT token_hash, csrf, created_at, last_seen_at FROM {self.table} "
                f"WHERE session_hash = {m}",
                (_digest(session_id),),
            )
            row = cursor.fetchone()
        if row is None:
            return None
        seen = datetime.fromisoformat(row["last_seen_at"])
        created = datetime.fromisoformat(row["created_at"])
        if now - seen > IDLE or now - created > LONGEST:
            self.close(session_id)
            return None
        if now - seen > TOUCH_EVERY:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(
                    f"UPDATE {self.table} SET last_seen_at = {m} "
                    f"WHERE session_hash = {m}",
                    (now.isoformat(), _digest(session_id)),
                )
        return PageSession(row["token_hash"], row["csrf"])

    def close(self, session_id: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE session_hash = {self.mark}",
                (_digest(session_id),),
            )
