"""Operational errors in one line: what is wrong and what to do.

A command-line user who starts a command against a store that is down, full,
missing or misconfigured gets a sentence, not a traceback.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.conninfo import conninfo_to_dict

from domain.text import printable
from projections.migrate import SchemaMissingError
from projections.persistence import StoreUnavailableError
from projections.retry import first_line

# Words in a PostgreSQL error, and what to do about it.
_HINTS = (
    ("too many clients", "the server has no free connection (max_connections): "
     "stop something, or lower APPRAISAL_DB_POOL_SIZE"),
    ("remaining connection slots", "the server has no free connection "
     "(max_connections): stop something, or lower APPRAISAL_DB_POOL_SIZE"),
    ("does not exist", "create it, or fix DATABASE_URL"),
    ("password authentication failed", "check the user and password in DATABASE_URL"),
    ("connection refused", "is PostgreSQL running, and is DATABASE_URL right?"),
    ("timeout", "is PostgreSQL running and reachable?"),
    ("could not translate host name", "fix the host in DATABASE_URL"),
)  # fmt: skip


def operational_message(error: BaseException, settings: Any) -> str | None:
    """One line for an operational error, or None if ``error`` is not one."""
    if isinstance(error, SchemaMissingError):
        return str(error)
    if isinstance(error, sqlite3.Error | OSError) and not _postgres(settings):
        where = getattr(settings, "data_dir", "the data directory")
        return f"cannot use the SQLite store in {where}: {_line(error)}"
    if not isinstance(error, StoreUnavailableError | PersistenceError | psycopg.Error):
        return None
    text = _line(error)
    if "couldn't get a connection" in text and _postgres(settings):
        # The pool keeps the reason a connection failed to itself: ask again.
        text = _connect_error(settings.database_url) or text
    hint = next((h for words, h in _HINTS if words in text.lower()), None)
    where = _where(settings)
    return f"cannot use the event store{where}: {text}" + (f" ({hint})" if hint else "")


def _connect_error(url: str) -> str | None:
    """Why a new connection to ``url`` fails now, or None if it succeeds."""
    try:
        with psycopg.connect(url, connect_timeout=2):
            return None
    except psycopg.Error as error:
        return _line(error).removeprefix("connection failed: ")


def _postgres(settings: Any) -> bool:
    return bool(getattr(settings, "database_url", None))


def _where(settings: Any) -> str:
    url = getattr(settings, "database_url", None)
    if not url:
        return f" in {getattr(settings, 'data_dir', 'data')}"
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return ""
    host = params.get("host", "localhost")
    return f" at {host}:{params.get('port', 5432)}/{params.get('dbname', '')}"


def _line(error: BaseException) -> str:
    return printable(first_line(error))
