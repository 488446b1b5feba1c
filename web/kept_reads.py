"""Reads worked out once per read position.

A scorecard, its explanation or a ranking is a function of the read models at
the positions they had reached, of who asks (what they may see), of what is
asked (path, query, ``Accept``, ``Accept-Language``) and of the service's day.
Each process keeps the answers to such reads under all of these and answers the
same read at the same positions from them: every fold and every re-score moves
the view's positions (see ``ScoreboardView.seen``), so a kept answer is never
given for a state it was not worked out from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request

from web.context import EXTENSION, principal, read_view, runtime

KEPT_BYTES = 32 * 1024 * 1024  # per process
Kept = tuple[bytes, int, list[tuple[str, str]]]
Moment = tuple[Hashable, Any]
"""The read models' generation and the positions an answer was worked out at."""


class KeptReads:
    """Answers by key, the least recently used dropped beyond a byte budget.
    Each answer belongs to a moment: the read models' generation and
    positions it was worked out at. Once a generation's positions move on,
    its answers of the moment before can never be asked for again (every key
    holds the positions), so they are dropped at once instead of filling the
    budget: a long import moves the positions every few hundred rows."""

    def __init__(self, budget: int = KEPT_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self._kept: OrderedDict[tuple[Moment, Hashable], Kept] = OrderedDict()
        self._latest: dict[Hashable, Any] = {}  # generation -> its last positions
        self._lock = threading.Lock()

    def get(self, moment: Moment, read: Hashable) -> Kept | None:
        with self._lock:
            found = self._kept.get((moment, read))
            if found is not None:
                self._kept.move_to_end((moment, read))
            return found

    def put(self, moment: Moment, read: Hashable, kept: Kept) -> None:
        generation, seen = moment
        with self._lock:
            latest = self._latest.get(generation)
            if latest is not None and seen < latest:
                return  # worked out at positions already left behind
            if latest is None or seen > latest:
                self._latest[generation] = seen
                for old in [k for k in self._kept if k[0][0] == generation]:
                    self._drop(old)
            if (moment, read) in self._kept:
                return
            self._kept[(moment, read)] = kept
            self.size += len(kept[0])
            while self.size > self.budget and self._kept:
                self._drop(next(iter(self._kept)))

    def _drop(self, key: tuple[Moment, Hashable]) -> None:
        body, _, _ = self._kept.pop(key)
        self.size -= len(body)


def _kept_reads() -> KeptReads:
    extension: dict[str, Any] = current_app.extensions[EXTENSION]
    return extension.setdefault("kept_reads", KeptReads())


def _key() -> tuple[Moment, Hashable] | None:
    """The moment the read reads at and what it asks; None for a read of the
    past (``as_of``, ``position``): it may read another generation's view,
    whose positions are not the live one's."""
    view = read_view()
    if view.seen is None or "as_of" in request.args or "position" in request.args:
        return None
    who = principal()
    read = (
        request.endpoint,
        request.full_path,
        request.headers.get("Accept"),
        request.headers.get("Accept-Language"),
        (who.user, who.role, who.team),
        runtime().app.today(),
    )
    return (runtime().generation_of(view), view.seen), read


def kept_read(view_func: Callable[..., Any]) -> Callable[..., Response]:
    """Answer a read from what the same read at the same positions answered."""

    @wraps(view_func)
    def read(*args: Any, **kwargs: Any) -> Response:
        key = _key()
        if key is not None:
            found = _kept_reads().get(*key)
            if found is not None:
                body, status, headers = found
                return current_app.response_class(body, status=status, headers=headers)
        response = make_response(view_func(*args, **kwargs))
        if key is not None and response.status_code == 200:
            kept = (response.get_data(), response.status_code, list(response.headers))
            _kept_reads().put(*key, kept)
        return response

    return read
