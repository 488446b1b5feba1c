"""One-time sign-in codes: a short code the command line prints for a token's
holder, which the pages' sign-in form accepts instead of the token itself.

Operational state like the page sessions (``projections.sessions``), so a
table beside the event store. It keeps the SHA-256 of each code, never the
code, with the SHA-256 of the token it stands for and when it expires
(``LIFETIME`` after it was made). A code is used up by signing in with it:
taking it deletes its row, so a second use finds nothing; a code past its
time is refused and deleted.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.migrate import SideTable

LIFETIME = timedelta(minutes=5)
# Letters and digits that cannot be read as one another (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def normalised(text: str) -> str:
    """A code as typed (any case, spaces or dashes) in the form it is stored."""
    return "".join(c for c in text.upper() if c.isalnum())


def spelled(code: str) -> str:
    """A code as printed, in groups of five: ``ABCDE-FGHJK``."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


class SignInCodes(SideTable):
    NAME = "appraisal_sign_in_codes"
    COLUMNS = (
        "code_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, expires_at TEXT NOT NULL"
    )

    def __init__(
        self, datastore: Any, postgres: bool, now: Callable[[], datetime] = _now
    ) -> None:
        super().__init__(datastore, postgres)
        self.now = now

    def make(self, token_hash: str) -> tuple[str, datetime]:
        """A new code for the token (as printed) and when it expires; codes
        that expired are deleted on the way."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        now = self.now()
        expires = now + LIFETIME
        m = self.mark
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE expires_at < {m}", (now.isoformat(),)
            )
            cursor.execute(
                f"INSERT INTO {self.table} (code_hash, token_hash, expires_at) "
                f"VALUES ({m}, {m}, {m})",
                (_digest(code), token_hash, expires.isoformat()),
            )
        return spelled(code), expires

    def take(self, text: str) -> str | None:
        """The token hash a code stands for, once: the code is deleted as it
        is taken; None if it is unknown, used or expired."""
        code = normalised(text)
        if len(code) != LENGTH:
            return None
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE code_hash = {self.mark} "
                "RETURNING token_hash, expires_at",
                (_digest(code),),
            )
            row = cursor.fetchone()
        if row is None or datetime.fromisoformat(row["expires_at"]) <= self.now():
            return None
        return str(row["token_hash"])
