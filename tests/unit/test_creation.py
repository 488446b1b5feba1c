"""A batch saves the events of its new aggregates without building them: the
event is the one the aggregate's constructor records, and it makes the same
aggregate."""

from __future__ import annotations

from contextlib import closing
from dataclasses import FrozenInstanceError, InitVar, dataclass, field
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import Notification, Recording, StoredEvent

from domain.app_base import creation
from domain.application import AppraisalApp
from domain.built import _shape_of, built
from domain.commands import Recorded
from domain.deduction import Deduction
from domain.lean_store import LeanEventStore
from projections.config import StoreConfig
from projections.runtime import Runtime

FIELDS = {
    "agent_id": "a1",
    "item": "late",
    "occurred_on": date(2026, 3, 4),
    "quantity": 2,
    "note": "twice",
    "evidence_ref": None,
    "severity": "minor",
    "recorded_by": "admin",
}


def _state(event_or_aggregate: object) -> dict[str, object]:
    kept = dict(vars(event_or_aggregate))
    for moment in ("timestamp", "_created_on", "_modified_on", "_pending_events"):
        kept.pop(moment, None)
    return kept


def test_the_creation_event_is_the_one_the_constructor_records():
    deduction_id = uuid4()
    built = Deduction(**FIELDS, id=deduction_id)
    (recorded,) = built.collect_events()
    created = creation(Deduction, Deduction.Recorded, deduction_id, **FIELDS)
    assert type(created) is type(recorded)
    assert _state(created) == _state(recorded)
    assert _state(created.mutate(None)) == _state(built)


def test_an_aggregate_given_no_id_gets_a_new_one():
    first = creation(Deduction, Deduction.Recorded, **FIELDS)
    second = creation(Deduction, Deduction.Recorded, **FIELDS)
    assert first.originator_id != second.originator_id
    assert first.originator_version == 1


def test_an_event_for_a_missing_field_or_an_unknown_one_is_refused_as_its_init_would():
    missing = {k: v for k, v in FIELDS.items() if k != "agent_id"}
    with pytest.raises(TypeError, match="agent_id"):
        creation(Deduction, Deduction.Recorded, **missing)
    with pytest.raises(TypeError, match="colour"):
        creation(Deduction, Deduction.Recorded, **FIELDS, colour="red")


def test_an_event_whose_id_is_not_a_uuid_is_refused_by_its_post_init():
    with pytest.raises(TypeError, match="non-UUID"):
        creation(Deduction, Deduction.Recorded, "D-1", **FIELDS)  # type: ignore[arg-type]


def test_built_fills_defaults_and_equals_what_init_builds():
    at = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    fast = built(
        Recorded, {"id": "a", "position": 7, "recorded_at": at, "event_id": "a:1"}
    )
    assert fast == Recorded(id="a", position=7, recorded_at=at, event_id="a:1")
    assert fast.scored is None and fast.reason is None
    with pytest.raises(FrozenInstanceError):
        fast.position = 8  # type: ignore[misc]


def test_events_and_the_librarys_records_are_built_without_their_init():
    for cls in (Deduction.Recorded, Recorded, StoredEvent, Notification, Recording):
        assert _shape_of(cls).plain, cls


def test_a_class_with_a_default_factory_is_built_by_its_init():
    @dataclass(frozen=True)
    class Listed:
        name: str
        items: list[str] = field(default_factory=list)

    first, second = built(Listed, {"name": "a"}), built(Listed, {"name": "b"})
    assert first.items == [] and first.items is not second.items


def test_the_lean_store_saves_and_reads_back_what_the_library_would(tmp_path):
    with closing(Runtime(StoreConfig(data_dir=tmp_path))) as runtime:
        _saved_and_read(runtime.app)


def _saved_and_read(app: AppraisalApp) -> None:
    assert type(app.events) is LeanEventStore
    event = creation(Deduction, Deduction.Recorded, uuid4(), **FIELDS)
    (recording,) = app.save(event)
    assert recording.domain_event is event
    assert recording.notification.id == app.recorder.max_notification_id()
    (notification,) = app.recorder.select_notifications(0, 1)
    assert recording.notification == notification
    (read,) = app.events.get(event.originator_id)
    assert _state(read) | {"timestamp": None} == _state(event) | {"timestamp": None}
    assert read.timestamp == event.timestamp


def test_a_class_with_an_init_only_value_is_built_by_its_init():
    @dataclass(frozen=True)
    class Scaled:
        value: int
        factor: InitVar[int] = 2

        def __post_init__(self, factor: int) -> None:
            object.__setattr__(self, "value", self.value * factor)

    assert built(Scaled, {"value": 3}).value == 6
    assert built(Scaled, {"value": 3, "factor": 10}).value == 30
