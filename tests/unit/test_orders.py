"""The six-step order workflow: steps that fit are recorded, others refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.contributions import contribution
from domain.derived import Samples
from domain.orders import Order, StepBy, WorkflowError, workflow

D1, D2, D3, D9 = (date(2026, 10, d) for d in (1, 2, 3, 9))


def by(on: date, handler: str | None = None) -> StepBy:
    return StepBy(on, "sup", handler)


def order(amount: str = "100") -> Order:
    return Order.submit("O-1", "a1", "customer", Decimal(amount), by(D1))


def samples(event) -> dict[str, tuple[Decimal, Decimal]]:
    return {
        s.metric: (s.numerator, s.denominator)
        for s in contribution(event).derived
        if isinstance(s, Samples)
    }


def test_the_workflow_defines_the_cases_the_source_counts():
    steps = workflow()
    assert len(steps.submit_cases) == 2
    assert len(steps.process_cases) == 4
    assert len(steps.checkers) == 5
    assert set(steps.finish_outcomes) == {"completed", "refunded", "redone"}


def test_finishing_an_order_never_processed_is_refused():
    with pytest.raises(WorkflowError, match="has not been processed") as refused:
        order().finish("completed", by(D2))
    assert refused.value.field == "step"


def test_a_sixth_check_batch_is_refused_and_a_batch_is_checked_once():
    placed = order()
    placed.process("standard", by(D1))
    placed.check(5, True, by(D2), "")
    with pytest.raises(WorkflowError, match="no batch 6"):
        placed.check(6, True, by(D2), "")
    with pytest.raises(WorkflowError, match="already recorded"):
        placed.check(5, True, by(D2), "")


def test_a_step_before_the_submission_date_is_refused():
    placed = Order.submit("O-2", "a1", "agent", Decimal(5), by(D2))
    with pytest.raises(WorkflowError) as refused:
        placed.process("standard", by(D1))
    assert refused.value.field == "occurred_on"


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (lambda o: o.process("teleport", by(D1)), "case"),
        (lambda o: o.open_dispute("boredom", by(D1)), "reason"),
        (lambda o: o.resolve_dispute(7, "customer", by(D1)), "number"),
    ],
)
def test_cases_reasons_and_numbers_not_in_the_workflow_are_refused(step, field):
    with pytest.raises(WorkflowError) as refused:
        step(order())
    assert refused.value.field == field


def test_an_unpaid_order_cannot_be_refunded():
    placed = order()
    placed.process("standard", by(D1))
    with pytest.raises(WorkflowError, match="never paid"):
        placed.finish("refunded", by(D2))


def test_an_order_completed_with_timely_feedback_and_no_dispute_was_served_well():
    placed = order()
    placed.process("standard", by(D1))
    placed.give_feedback(by(D2))
    placed.finish("completed", by(D3))
    assert samples(placed.pending_events[-1])["served_well_share"] == (1, 1)


def test_late_feedback_or_a_dispute_means_not_served_well():
    late = order()
    late.process("standard", by(D1))
    late.give_feedback(by(D9))
    late.finish("completed", by(D9))
    disputed = order()
    disputed.process("standard", by(D1))
    disputed.give_feedback(by(D1))
    disputed.open_dispute("delay", by(D2))
    disputed.finish("completed", by(D3))
    for placed in (late, disputed):
        assert samples(placed.pending_events[-1])["served_well_share"] == (0, 1)


def test_an_order_counts_as_abnormal_once_however_often_it_goes_wrong():
    placed = order()
    placed.process("standard", by(D1))
    placed.check(1, False, by(D1), "wrong address")
    placed.check(2, False, by(D2), "still wrong")
    placed.finish("redone", by(D3))
    abnormal = [samples(e).get("abnormal_order_share") for e in placed.pending_events]
    assert [a for a in abnormal if a] == [(0, 1), (1, 0)]


def test_a_submission_counts_its_amount_and_a_correction_only_the_difference():
    placed = order("120")
    assert samples(placed.pending_events[0])["order_amount"] == (120, 1)
    assert placed.correct_amount(Decimal(150), by(D2))
    assert samples(placed.pending_events[-1])["order_amount"] == (30, 0)
    assert not placed.correct_amount(Decimal(150), by(D2))


def test_steps_are_handled_by_the_owner_unless_someone_else_is_named():
    placed = order()
    placed.process("escalated", by(D1, handler="a7"))
    placed.give_feedback(by(D1))
    processed, told = placed.pending_events[1:]
    assert (processed.handled_by, told.handled_by) == ("a7", "a1")
    assert processed.owner == "a1"
