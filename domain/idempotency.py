"""Commands a client may safely send again.

A client that did not hear the answer to a command (a timeout, a reset, a
worker killed mid-request) sends it again with the same ``Idempotency-Key``.
The key travels with the command's events into the store, in the same
transaction, so the store knows exactly which commands it has recorded: the
same key from the same user for the same request answers the original result
and records nothing more; the same key for another request is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Protocol

from domain.errors import DomainError
from domain.text import N_

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Key:
    """A client's key for one command, and what that command is (a digest of
    the request). ``replay`` holds the positions the command recorded when it
    was already recorded."""

    principal: str
    key: str
    fingerprint: str
    replay: tuple[int, ...] | None = None


class IdempotencyKeyReusedError(DomainError):
    """Raised when a key already used for one request comes with another."""

    def __init__(self, key: str) -> None:
        super().__init__(
            N_(
                "the key {key!r} was already used for a different request; use a "
                "new key for a new request"
            ),
            key=key,
            field=HEADER,
        )


class KeyedRecorder(Protocol):
    def find_key(self, principal: str, key: str) -> tuple[str, list[int]] | None:
        """The fingerprint and positions recorded with a key, if any."""


_KEY: ContextVar[Key | None] = ContextVar("idempotency_key", default=None)


@contextmanager
def keyed(key: Key | None) -> Iterator[None]:
    """Run the commands of a request under ``key`` (None: unkeyed)."""
    token = _KEY.set(key)
    try:
        yield
    finally:
        _KEY.reset(token)


def current() -> Key | None:
    """The key of the command under way, if its events are not saved yet."""
    return _KEY.get()


def spend() -> None:
    """The keyed command's events are saved: a later save in the same request
    is not the keyed one (and replays nothing)."""
    _KEY.set(None)


def replaying(key: Key, positions: list[int]) -> Key:
    """``key`` for a command already recorded at ``positions``."""
    return replace(key, replay=tuple(positions))
