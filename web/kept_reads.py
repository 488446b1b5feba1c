"""Reads worked out once and answered again until what they show changes.

A scorecard, its explanation or a ranking is a function of one month's rows in
the read models and of what every month's reads share (agents, rules, periods,
the calendar), of who asks (what they may see), of what is asked (path, query,
``Accept``, ``Accept-Language``) and of the service's day. Each process keeps
the answers to such reads under all but the first, with the counter of the
view's changes the read began at (``ScoreboardView.moved``). Every transaction
that changes what a month's reads show notes the month, or every month, under
a higher counter (``projections.fold.Changes.scopes``); a kept answer is given
again while no change to its month or to every month came after its counter.
So an import into one month, or commands on another, leave a month's kept
answers standing, while a fact of the month itself is seen by the next read.

The answer's body shows the read position it was read at; it is given again
with the position of the read that asks, which shows the same state.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request

from domain.month import Month
from projections.fold import EVERY_MONTH
from projections.scoreboard import ScoreboardView
from web.context import EXTENSION, principal, read_position, read_view, runtime

KEPT_BYTES = 32 * 1024 * 1024  # per process
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_RECOMPUTED = frozenset({"content-length"})


@dataclass(frozen=True)
class Read:
    """A read to answer: what is asked, of which month, and at what moment."""

    generation: Hashable
    asked: Hashable
    month: str
    counter: int
    """``ScoreboardView.moved`` when the read began"""
    position: int
    """the read position it shows"""


@dataclass(frozen=True)
class Answer:
    before: bytes
    """the body up to its read position's digits"""
    after: bytes
    """the body after those digits"""
    status: int
    headers: list[tuple[str, str]]
    counter: int

    @property
    def size(self) -> int:
        return len(self.before) + len(self.after)

    def body(self, position: int) -> bytes:
        return self.before + str(position).encode() + self.after


@dataclass
class _Changes:
    """A generation's changes this process knows of: up to ``known`` (-1:
    none asked yet), the last counter of each month (or ``EVERY_MONTH``)
    that changed."""

    known: int = -1
    last: dict[str, int] = field(default_factory=dict)


class KeptReads:
    """Answers by generation and what was asked, the least recently used
    dropped beyond a byte budget. An answer is given again while no change
    to its month, or to every month, came after its counter."""

    def __init__(self, budget: int = KEPT_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self._kept: OrderedDict[tuple[Hashable, Hashable], Answer] = OrderedDict()
        self._changes: dict[Hashable, _Changes] = {}
        self._lock = threading.Lock()

    def get(
        self, read: Read, moves_since: Callable[[int], dict[str, int]]
    ) -> Answer | None:
        """The kept answer to ``read`` if it still holds; ``moves_since`` (the
        view's) tells what changed after a counter, asked once per counter."""
        key = (read.generation, read.asked)
        with self._lock:
            found = self._kept.get(key)
        if found is None or found.counter > read.counter:  # none, or newer
            return None
        if found.counter < read.counter:
            last = self._changed(read.generation, read.counter, moves_since)
            since = max(last.get(read.month, 0), last.get(EVERY_MONTH, 0))
            if since > found.counter:
                with self._lock:
                    if self._kept.get(key) is found:
                        self._drop(key)
                return None
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
        return found

    def put(self, read: Read, answer: Answer) -> None:
        key = (read.generation, read.asked)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                if kept.counter > answer.counter:
                    return  # worked out before a change the kept one includes
                self._drop(key)
            self._kept[key] = answer
            self.size += answer.size
            while self.size > self.budget and self._kept:
                self._drop(next(iter(self._kept)))

    def _changed(
        self,
        generation: Hashable,
        counter: int,
        moves_since: Callable[[int], dict[str, int]],
    ) -> dict[str, int]:
        """Each month's last change, known up to ``counter`` at least."""
        with self._lock:
            changes = self._changes.setdefault(generation, _Changes())
            known, last = changes.known, changes.last
        if known >= counter:
            return last
        # Everything after what is known; counters commit in their order, so
        # the highest one found is known in full, and ``counter`` was read
        # (committed) before.
        found = moves_since(known)
        with self._lock:
            merged = dict(changes.last)
            for month, at in found.items():
                merged[month] = max(merged.get(month, 0), at)
            changes.last = merged
            changes.known = max(changes.known, counter, *found.values())
            return merged

    def _drop(self, key: tuple[Hashable, Hashable]) -> None:
        self.size -= self._kept.pop(key).size


def _kept_reads() -> KeptReads:
    extension: dict[str, Any] = current_app.extensions[EXTENSION]
    return extension.setdefault("kept_reads", KeptReads())


def _read() -> Read | None:
    """The read asked for; None for a read of the past (``as_of``,
    ``position``: it may read another generation's view) or of no month."""
    view = read_view()
    if view.moved is None or "as_of" in request.args or "position" in request.args:
        return None
    try:
        month = str(Month.parse((request.view_args or {}).get("month", "")))
    except ValueError:
        return None
    who = principal()
    asked = (
        request.endpoint,
        request.full_path,
        request.headers.get("Accept"),
        request.headers.get("Accept-Language"),
        (who.user, who.role, who.team),
        runtime().app.today(),
    )
    generation = runtime().generation_of(view)
    return Read(generation, asked, month, view.moved, read_position())


def _answer(read: Read, response: Response, shows: str) -> Answer | None:
    """The response to keep, its read position (the top-level member
    ``shows`` of its JSON) cut out; None if it is not found there."""
    body = response.get_data()
    headers = [(k, v) for k, v in response.headers if k.lower() not in _RECOMPUTED]
    digits = _shown_at(body, shows, read.position)
    if digits is None:
        return None
    before, after = body[:digits], body[digits + len(str(read.position)) :]
    return Answer(before, after, response.status_code, headers, read.counter)


def _shown_at(body: bytes, name: str, position: int) -> int | None:
    """Where the digits of ``"name": position`` start in the JSON ``body`` at
    its top level (a nested member of the same name may show the same number)."""
    member = re.compile(rb'"%s":\s*(%d)(?=\s*[,}])' % (name.encode(), position))
    for found in member.finditer(body):
        if _depth(body, found.start()) == 1:
            return found.start(1)
    return None


def _depth(body: bytes, at: int) -> int:
    """How many objects and arrays of the JSON ``body`` are open at ``at``
    (outside a string): counted over the shorter side, as the body balances."""
    before = at <= len(body) // 2
    outside = _STRING.sub(b"", body[:at] if before else body[at:])
    opened = outside.count(b"{") + outside.count(b"[")
    closed = outside.count(b"}") + outside.count(b"]")
    return opened - closed if before else closed - opened


def kept_read(shows: str) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Answer a read of a month from the same read's answer while nothing it
    shows has changed; ``shows`` names the member of the answer's JSON that
    shows its read position."""

    def keeping(view_func: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view_func)
        def answered(*args: Any, **kwargs: Any) -> Response:
            read = _read()
            if read is not None:
                view: ScoreboardView = read_view()
                found = _kept_reads().get(read, view.moves_since)
                if found is not None:
                    return current_app.response_class(
                        found.body(read.position), status=found.status,
                        headers=found.headers,
                    )  # fmt: skip
            response = make_response(view_func(*args, **kwargs))
            if read is not None and response.status_code == 200:
                answer = _answer(read, response, shows)
                if answer is not None:
                    _kept_reads().put(read, answer)
            return response

        return answered

    return keeping
