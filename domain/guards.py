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
from dataclasses import dataclass, field
from functools import wraps
from typing import ParamSpec, TypeVar
from uuid import UUID

from domain.batch_memory import batch_memory
from domain.errors import ConcurrentChangeError, ConflictError
from domain.text import N_

GUARD_ATTEMPTS = 5
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Attempt:
    """One run of a guarded command."""

    read: dict[UUID, int | None] = field(default_factory=dict)
    """What it read and does not write, with the version read (None: missing)."""
    may_trust: bool = True
    """Whether it may decide on kept copies that no notification said changed."""
    trusted: bool = False
    """Whether it did."""
    saved: bool = False


_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("attempt", default=None)


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """A command whose decision rests on aggregates it does not write (the
    period a fact falls in, its agent): saved only if they are unchanged, else
    run again on fresh state. So a fact is recorded before its month's close or
    refused, never recorded after it. A command that refused on kept copies
    (see ``AppraisalBase._read_together``) runs again on the store's: a copy a
    moment old may say an agent is missing who was registered meanwhile."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if _ATTEMPT.get() is not None:  # already inside a guarded command
            return command(*args, **kwargs)
        may_trust = True
        for attempt in range(1, GUARD_ATTEMPTS + 1):
            state = _Attempt(may_trust=may_trust)
            token = _ATTEMPT.set(state)
            try:
                with batch_memory():
                    return command(*args, **kwargs)
            except ConcurrentChangeError:
                if attempt == GUARD_ATTEMPTS:
                    raise ConflictError(
                        N_("what this command depends on kept changing; retry it")
                    ) from None
            except Exception:
                if not state.trusted or state.saved:
                    raise
            finally:
                _ATTEMPT.reset(token)
            may_trust = False
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def guard(aggregate_id: UUID, version: int | None) -> None:
    """Note that the command under way read ``aggregate_id`` at ``version``
    (None: it did not exist)."""
    state = _ATTEMPT.get()
    if state is not None:
        state.read.setdefault(aggregate_id, version)


def may_trust_kept() -> bool:
    """Whether the command under way may decide on kept copies: it is guarded,
    and not running again because a decision on kept copies refused it."""
    state = _ATTEMPT.get()
    return state is not None and state.may_trust


def note_trusted() -> None:
    """The command under way decided on kept copies."""
    state = _ATTEMPT.get()
    if state is not None:
        state.trusted = True


def note_saved() -> None:
    """The command under way saved: it is not run again for a refusal after."""
    state = _ATTEMPT.get()
    if state is not None:
        state.saved = True


def guards() -> dict[UUID, int | None]:
    """What the command under way read, for the store to check."""
    state = _ATTEMPT.get()
    return dict(state.read) if state is not None else {}
