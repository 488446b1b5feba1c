"""Commands on the real event store: facts accepted or refused, never half-stored."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.errors import (
    AgentAlreadyRegisteredError,
    AgentNotFoundError,
    ConflictError,
    InvalidFactError,
    NotPermittedError,
)

ADMIN = Principal("admin", Role.ADMIN)
OCT5 = date(2026, 10, 5)


@pytest.fixture
def app(runtime):
    runtime.app.register_agents(
        ADMIN,
        [
            NewAgent("a1", "Ann", "t1", "sup-t1", date(2026, 3, 1)),
            NewAgent("b1", "Bo", "t2", "sup-t2"),
        ],
    )
    return runtime.app


def count(app) -> int:
    return app.recorder.max_notification_id() or 0


def test_registering_an_agent_id_twice_is_a_conflict_and_stores_nothing(app):
    before = count(app)
    with pytest.raises(AgentAlreadyRegisteredError):
        app.register_agent(ADMIN, NewAgent("a1", "Again", "t1", "sup-t1"))
    assert count(app) == before


def test_only_an_admin_registers_agents(app):
    with pytest.raises(NotPermittedError):
        app.register_agent(
            Principal("s", Role.SUPERVISOR, "t1"), NewAgent("x", "X", "t1", "s")
        )


def test_a_supervisor_records_for_their_team_but_not_for_another(app):
    supervisor = Principal("sup-t1", Role.SUPERVISOR, "t1")
    recorded = app.record_deduction(supervisor, NewDeduction("a1", "complaint", OCT5))
    assert recorded.position == count(app)
    with pytest.raises(NotPermittedError):
        app.record_deduction(supervisor, NewDeduction("b1", "complaint", OCT5))


def test_the_recorder_is_the_principal(app):
    supervisor = Principal("sup-t1", Role.SUPERVISOR, "t1")
    recorded = app.record_deduction(supervisor, NewDeduction("a1", "complaint", OCT5))
    stored = app.repository.get(UUID(recorded.id))
    assert stored.recorded_by == "sup-t1"


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (NewDeduction("a1", "no_such_item", OCT5), "item"),
        (NewDeduction("a1", "complaint", date(2099, 1, 1)), "occurred_on"),
        (NewDeduction("a1", "complaint", date(2026, 2, 27)), "occurred_on"),
        (NewDeduction("a1", "target_missed", OCT5, quantity=2), "quantity"),
    ],
)
def test_an_unacceptable_fact_is_refused_naming_its_field(app, new, field):
    before = count(app)
    with pytest.raises(InvalidFactError) as refused:
        app.record_deduction(ADMIN, new)
    assert refused.value.field == field
    assert count(app) == before


def test_a_deduction_for_an_unknown_agent_is_refused(app):
    with pytest.raises(AgentNotFoundError) as refused:
        app.record_deduction(ADMIN, NewDeduction("ghost", "complaint", OCT5))
    assert refused.value.field == "agent_id"


def test_a_batch_with_one_bad_fact_stores_none_of_them(app):
    before = count(app)
    with pytest.raises(InvalidFactError):
        app.record_deductions(
            ADMIN,
            [NewDeduction("a1", "complaint", OCT5), NewDeduction("a1", "nope", OCT5)],
        )
    assert count(app) == before


def test_recording_the_same_deduction_id_twice_stores_it_once(app):
    new = NewDeduction("a1", "complaint", OCT5, deduction_id=uuid4())
    app.record_deduction(ADMIN, new)
    before = count(app)
    with pytest.raises(ConflictError):
        app.record_deduction(ADMIN, new)
    assert count(app) == before


def test_a_token_authenticates_as_its_principal_and_only_its_hash_is_stored(app):
    issued = app.issue_token("sup-t1", Role.SUPERVISOR, "t1", issued_by="test")
    assert app.authenticate(issued.token) == Principal("sup-t1", Role.SUPERVISOR, "t1")
    assert app.authenticate(issued.token + "x") is None
    stored = app.recorder.select_notifications(issued.position, limit=1)[0].state
    assert issued.token.encode() not in stored
