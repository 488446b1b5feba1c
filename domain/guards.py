"""Commands that rest on aggregates they read but do not write.

A fact may be recorded only while its month's period accepts facts, but the
fact's command does not write the period. So the command notes the period's
version when it reads it (``guard``), the application hands those versions to
the store with its events (``guards``), and the store writes the events only
if no guarded aggregate changed meanwhile; otherwise ``guarded`` runs the
command again on fresh state, which then refuses the fact or records it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar
from uuid import UUID

from domain.batch_memory import batch_memory
from domain.errors import ConcurrentChangeError, ConflictError
from domain.text import N_

# Aggregates the command under way read but does not write, with the version
# read (None: it did not exist); the store checks them when it saves.
_GUARDS: ContextVar[dict[UUID, int | None] | None] = ContextVar("guards", default=None)
GUARD_ATTEMPTS = 5
P = ParamSpec("P")
R = TypeVar("R")


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """A command whose decision rests on an aggregate it does not write (the
    period a fact falls in): saved only if that aggregate is unchanged, else run
    again on fresh state. So a fact is recorded before its month's close or
    refused, never recorded after it."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _GUARDS.get() is not None:  # already inside a guarded command
            return command(*args, **kwargs)
        for attempt in range(1, GUARD_ATTEMPTS + 1):
            token = _GUARDS.set({})
            try:
                with batch_memory():
                    return command(*args, **kwargs)
            except ConcurrentChangeError:
                if attempt == GUARD_ATTEMPTS:
                    raise ConflictError(
                        N_("what this command depends on kept changing; retry it")
                    ) from None
            finally:
                _GUARDS.reset(token)
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def guard(aggregate_id: UUID, version: int | None) -> None:
    """Note that the command under way read ``aggregate_id`` at ``version``
    (None: it did not exist)."""
    noted = _GUARDS.get()
    if noted is not None:
        noted.setdefault(aggregate_id, version)


def guards() -> dict[UUID, int | None]:
    """What the command under way read, for the store to check."""
    return dict(_GUARDS.get() or {})
