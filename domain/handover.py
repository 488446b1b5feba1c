"""Aggregates a batch wrote, kept for the next batch that writes them.

An import changes the same orders chunk after chunk; reading each order's
whole history again for every chunk cost a third of an order import. A batch
that saved aggregates hands them over here, and the next batch that reads one
takes it: taking removes it, so one batch at a time holds each and it needs no
copy. The taker still asks the store for the events after the version it
took (see ``AppraisalBase.read_many``), so a change made elsewhere meanwhile
is applied, never missed; and a batch whose save fails hands nothing back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from threading import Lock
from typing import Any
from uuid import UUID

HANDOVER_SIZE = 5000  # aggregates kept, least recently handed over dropped first


class Handover:
    """The aggregates batches handed over, least recently handed first."""

    def __init__(self, size: int = HANDOVER_SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = Lock()

    def take(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Any]:
        """The kept aggregates among ``aggregate_ids``, no longer kept."""
        with self._lock:
            kept = self._kept
            return {i: kept.pop(i) for i in aggregate_ids if i in kept}

    def give(self, aggregates: Iterable[Any]) -> None:
        """Keep ``aggregates`` (saved, their pending events collected) unless
        a later version of one is kept already."""
        with self._lock:
            kept = self._kept
            for aggregate in aggregates:
                held = kept.get(aggregate.id)
                if held is None or held.version <= aggregate.version:
                    kept[aggregate.id] = aggregate
                    kept.move_to_end(aggregate.id)
            while len(kept) > self.size:
                kept.popitem(last=False)
