"""A batch saves the events of its new aggregates without building them: the
event is the one the aggregate's constructor records, and it makes the same
aggregate."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from domain.app_base import creation
from domain.deduction import Deduction

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
