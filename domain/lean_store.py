"""The library's mapper and event store, building what they return without
the frozen dataclasses' ``__init__`` (``domain.built``).

A batch of a thousand deductions makes three of the library's objects per
event on its way into the store (a ``StoredEvent``, a ``Notification``, a
``Recording``), about 4 µs of ``object.__setattr__`` an event. These
subclasses do exactly what the library's ``Mapper.to_stored_event`` and
``EventStore.put`` do, building the same objects with ``built``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
)
from eventsourcing.utils import get_topic

from domain.built import built_of


class LeanMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        topic = get_topic(domain_event.__class__)
        event_state = dict(vars(domain_event))
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        stored_state = self.transcoder.encode(event_state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return built_of(
            StoredEvent,
            {"originator_id": originator_id, "originator_version": originator_version,
             "topic": topic, "state": stored_state},
        )  # fmt: skip


class LeanEventStore(EventStore[UUID]):
    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        stored_events = list(map(self.mapper.to_stored_event, domain_events))
        ids = self.recorder.insert_events(stored_events, **kwargs)
        if not ids:
            return []
        assert len(ids) == len(stored_events)
        return [
            built_of(Recording, {"domain_event": d, "notification": built_of(
                Notification,
                {"originator_id": s.originator_id,
                 "originator_version": s.originator_version,
                 "topic": s.topic, "state": s.state, "id": n},
            )})
            for d, s, n in zip(domain_events, stored_events, ids, strict=True)
        ]  # fmt: skip
