"""What each fact event contributes to scoring: which agent, which business date,
which rule items and metrics. Pure; the projection gives it a log position."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import singledispatch
from typing import Any

from domain.deduction import Deduction
from domain.derived import Derived, Occurs, Rates, Samples
from domain.month import Month
from domain.observations import KINDS, Observation
from domain.orders import Order
from domain.ratings import Rating, rating_value

ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True)
class Contribution:
    agent_id: str
    occurred_on: date
    derived: list[Derived]
    source: str
    replaces_earlier: bool = False
    """A correction: the facts this aggregate contributed before no longer count."""
    recorded_by: str = "system"
    detail: dict[str, Any] = field(default_factory=dict)


@singledispatch
def contribution(event: Any) -> Contribution | None:
    """Events that are not facts about an agent contribute nothing."""
    return None


@contribution.register
def _(event: Deduction.Recorded) -> Contribution:
    detail = {"note": event.note, "evidence_ref": event.evidence_ref}
    occurs = Occurs(event.item, Decimal(event.quantity), event.severity, detail)
    return Contribution(
        event.agent_id, event.occurred_on, [occurs], "deduction",
        recorded_by=event.recorded_by,
    )  # fmt: skip


@contribution.register
def _(event: Deduction.DisputeResolved) -> Contribution | None:
    """An upheld deduction stands; an overturned one stops counting; an adjusted
    one counts from now on with its new quantity or points."""
    if event.outcome == "upheld":
        return None
    derived: list[Derived] = []
    if event.outcome == "adjusted":
        detail = {"dispute": event.number, "note": event.note}
        derived.append(
            Occurs(event.item, Decimal(event.quantity), event.severity, detail,
                   None if event.points is None else Decimal(event.points))
        )  # fmt: skip
    return Contribution(
        event.agent_id, event.occurred_on, derived, "deduction",
        replaces_earlier=True, recorded_by=event.by,
    )  # fmt: skip


@contribution.register
def _(event: Observation.Recorded) -> Contribution:
    return Contribution(
        event.agent_id,
        event.occurred_on,
        KINDS[event.kind].derive(event.values),
        event.kind,
        recorded_by=event.recorded_by,
    )


@contribution.register
def _(event: Observation.Corrected) -> Contribution:
    return Contribution(
        event.agent_id,
        event.occurred_on,
        KINDS[event.kind].derive(event.values),
        event.kind,
        replaces_earlier=True,
        recorded_by=event.recorded_by,
    )


def _rating(event: Any, revision: bool) -> Contribution:
    rates = Rates(
        event.assessor,
        event.rater,
        rating_value(event.dimensions),
        {"dimensions": event.dimensions, "comment": event.comment},
    )
    return Contribution(
        event.agent_id,
        Month.parse(event.month).last_day,
        [rates],
        "rating",
        replaces_earlier=revision,
        recorded_by=event.rater,
    )


@contribution.register
def _(event: Rating.Given) -> Contribution:
    return _rating(event, revision=False)


@contribution.register
def _(event: Rating.Revised) -> Contribution:
    return _rating(event, revision=True)


def _order(
    event: Any,
    samples: list[tuple[str, Decimal, Decimal]],
    occurs: tuple[Occurs, ...] = (),
) -> Contribution:
    derived: list[Derived] = [Samples(metric, n, d) for metric, n, d in samples]
    return Contribution(
        event.owner,
        event.occurred_on,
        [*derived, *occurs],
        "order",
        recorded_by=event.recorded_by,
    )


def _step(item: str, happened: bool, **detail: Any) -> Occurs:
    """An occurrence of a step's rule item, one when ``happened`` (a failed
    check, a late feedback) and none, so a 0-point line, when the step went
    well: the step is valued either way."""
    return Occurs(item, ONE if happened else ZERO, detail=detail)


@contribution.register
def _(event: Order.Submitted) -> Contribution:
    amount = Decimal(event.amount)
    return _order(
        event,
        [
            ("order_amount", amount, ONE),
            ("order_count", ONE, ONE),
            ("average_order_value", amount, ONE),
            ("valid_order_share", ZERO, ONE),
            ("payment_ratio", ZERO, ONE),
            ("abnormal_order_share", ZERO, ONE),
            ("complaint_share", ZERO, ONE),
        ],
    )


@contribution.register
def _(event: Order.Processed) -> Contribution:
    return _order(event, [("valid_order_share", ONE, ZERO)])


@contribution.register
def _(event: Order.Checked) -> Contribution:
    return _order(
        event,
        [("abnormal_order_share", ONE, ZERO)] * event.first_abnormality,
        (_step("order_check_failed", not event.passed, batch=event.batch),),
    )


@contribution.register
def _(event: Order.Paid) -> Contribution:
    return _order(event, [("payment_ratio", ONE, ZERO), ("refund_ratio", ZERO, ONE)])


@contribution.register
def _(event: Order.FeedbackGiven) -> Contribution:
    return _order(event, [], (_step("order_feedback_overdue", not event.timely),))


@contribution.register
def _(event: Order.DisputeOpened) -> Contribution:
    return _order(
        event,
        [("disputes", ONE, ONE)],
        (_step("order_disputed", True, number=event.number, reason=event.reason),),
    )


@contribution.register
def _(event: Order.DisputeResolved) -> Contribution:
    lost = event.outcome == "customer"
    return _order(event, [], (_step("order_dispute_lost", lost, number=event.number),))


@contribution.register
def _(event: Order.Finished) -> Contribution:
    samples = [("served_well_share", ONE if event.served_well else ZERO, ONE)]
    if event.outcome == "refunded":
        samples.append(("refund_ratio", ONE, ZERO))
    if event.first_abnormality:
        samples.append(("abnormal_order_share", ONE, ZERO))
    occurs = ()
    if event.outcome in ("redone", "refunded") and event.cause == "agent":
        occurs = (_step(f"order_{event.outcome}_by_agent", True),)
    return _order(event, samples, occurs)


@contribution.register
def _(event: Order.AmountCorrected) -> Contribution:
    change = Decimal(event.amount) - Decimal(event.previous)
    return _order(
        event, [("order_amount", change, ZERO), ("average_order_value", change, ZERO)]
    )
