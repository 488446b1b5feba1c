"""Bounded waits on a store that may be down, restarting or deadlocked.

eventsourcing retries a failing call ten times and its pool waits 30 s for a
connection, so an outage hung every request for a minute. Here a transient
error (a lost or refused connection, a deadlock, a lock or statement timeout,
a busy SQLite database) is retried only until a budget is spent; then
``StoreUnavailableError`` says so.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.persistence import InterfaceError, OperationalError

logger = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (OperationalError, InterfaceError)
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
                raise StoreUnavailableError(first_line(error)) from error
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


def first_line(error: BaseException) -> str:
    """What a log line or a health report says of ``error``: the first line
    of its message, or its type's name if it has none."""
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
