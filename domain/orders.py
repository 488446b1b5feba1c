"""Orders and their six-step workflow: submit, process, check (five batches by five
kinds of checker), feedback to the customer, disputes, finish.

The steps' cases are data (``domain/rulebooks/order-workflow.json``). A step
that makes no sense for the order's state is refused with a ``WorkflowError``
naming the field. Every event names the order's owner (the agent who submitted
it, to whom its metrics count) and who handled the step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidFactError

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:order")


class WorkflowError(InvalidFactError):
    """Raised when an order step does not fit the order's state."""


@dataclass(frozen=True)
class Workflow:
    submit_cases: tuple[str, ...]
    process_cases: tuple[str, ...]
    checkers: dict[int, str]
    feedback_days: int
    dispute_reasons: tuple[str, ...]
    dispute_outcomes: tuple[str, ...]
    finish_outcomes: tuple[str, ...]
    document: dict[str, Any]


@cache
def workflow() -> Workflow:
    text = resources.files("domain.rulebooks").joinpath("order-workflow.json")
    data = json.loads(text.read_text(encoding="utf-8"))
    return Workflow(
        submit_cases=tuple(data["submit"]["cases"]),
        process_cases=tuple(data["process"]["cases"]),
        checkers={b["batch"]: b["checker"] for b in data["check"]["batches"]},
        feedback_days=int(data["feedback"]["deadline_days"]),
        dispute_reasons=tuple(data["dispute"]["reasons"]),
        dispute_outcomes=tuple(data["dispute"]["outcomes"]),
        finish_outcomes=tuple(data["finish"]["outcomes"]),
        document=data,
    )


def _one_of(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise WorkflowError(
            f"{value!r} is not one of {', '.join(allowed)}", field=field
        )


class Order(Aggregate):
    """An order taken by an agent, known by the order system's number."""

    @staticmethod
    def create_id(order_no: str) -> UUID:
        return uuid5(_NAMESPACE, order_no)

    class Submitted(Aggregate.Created):
        order_no: str
        owner: str
        case: str
        amount: Decimal
        occurred_on: date
        handled_by: str

    @event(Submitted)
    def __init__(
        self,
        order_no: str,
        owner: str,
        case: str,
        amount: Decimal,
        occurred_on: date,
        handled_by: str,
    ) -> None:
        self.order_no = order_no
        self.owner = owner
        self.amount = amount
        self.submitted_on = occurred_on
        self.processed_on: date | None = None
        self.paid = False
        self.checks: dict[int, bool] = {}
        self.feedback_timely: bool | None = None
        self.disputes: dict[int, str | None] = {}
        self.finished: str | None = None
        self.abnormal = False

    @classmethod
    def submit(
        cls, order_no: str, owner: str, case: str, amount: Decimal, on: date
    ) -> Order:
        _one_of(case, workflow().submit_cases, "case")
        if amount < 0:
            raise WorkflowError("an order amount cannot be negative", field="amount")
        return cls(
            order_no=order_no,
            owner=owner,
            case=case,
            amount=amount,
            occurred_on=on,
            handled_by=owner,
        )

    # Guards

    def _not_before_submission(self, on: date) -> None:
        if on < self.submitted_on:
            raise WorkflowError(
                f"{on} is before order {self.order_no} was submitted "
                f"({self.submitted_on})",
                field="occurred_on",
            )

    def _processed(self, step: str) -> date:
        if self.processed_on is None:
            raise WorkflowError(
                f"order {self.order_no} has not been processed, so it cannot be {step}",
                field="step",
            )
        return self.processed_on

    def _open(self, step: str) -> None:
        if self.finished is not None:
            raise WorkflowError(
                f"order {self.order_no} is already finished ({self.finished}); it "
                f"cannot be {step}",
                field="step",
            )

    # Steps

    def process(self, case: str, on: date, by: str) -> None:
        _one_of(case, workflow().process_cases, "case")
        self._not_before_submission(on)
        self._open("processed")
        if self.processed_on is not None:
            raise WorkflowError(
                f"order {self.order_no} was already processed on {self.processed_on}",
                field="step",
            )
        self._processed_event(
            case=case, occurred_on=on, handled_by=by, owner=self.owner
        )

    class Processed(Aggregate.Event):
        case: str
        occurred_on: date
        handled_by: str
        owner: str

    @event(Processed)
    def _processed_event(
        self, case: str, occurred_on: date, handled_by: str, owner: str
    ) -> None:
        self.processed_on = occurred_on

    def check(self, batch: int, passed: bool, note: str, on: date, by: str) -> None:
        checkers = workflow().checkers
        if batch not in checkers:
            raise WorkflowError(
                f"there are {len(checkers)} check batches; there is no batch {batch}",
                field="batch",
            )
        self._processed("checked")
        self._not_before_submission(on)
        if batch in self.checks:
            raise WorkflowError(
                f"check batch {batch} of order {self.order_no} was already recorded",
                field="batch",
            )
        self._checked(
            batch=batch,
            checker=checkers[batch],
            passed=passed,
            note=note,
            occurred_on=on,
            handled_by=by,
            owner=self.owner,
            first_abnormality=not passed and not self.abnormal,
        )

    class Checked(Aggregate.Event):
        batch: int
        checker: str
        passed: bool
        note: str
        occurred_on: date
        handled_by: str
        owner: str
        first_abnormality: bool

    @event(Checked)
    def _checked(
        self,
        batch: int,
        checker: str,
        passed: bool,
        note: str,
        occurred_on: date,
        handled_by: str,
        owner: str,
        first_abnormality: bool,
    ) -> None:
        self.checks[batch] = passed
        self.abnormal = self.abnormal or not passed

    def pay(self, on: date, by: str) -> None:
        self._not_before_submission(on)
        if self.paid:
            raise WorkflowError(f"order {self.order_no} is already paid", field="step")
        self._paid(occurred_on=on, handled_by=by, owner=self.owner)

    class Paid(Aggregate.Event):
        occurred_on: date
        handled_by: str
        owner: str

    @event(Paid)
    def _paid(self, occurred_on: date, handled_by: str, owner: str) -> None:
        self.paid = True

    def give_feedback(self, on: date, by: str) -> None:
        processed_on = self._processed("given feedback")
        self._not_before_submission(on)
        if self.feedback_timely is not None:
            raise WorkflowError(
                f"the customer of order {self.order_no} was already told", field="step"
            )
        timely = (on - processed_on).days <= workflow().feedback_days
        self._feedback(occurred_on=on, handled_by=by, owner=self.owner, timely=timely)

    class FeedbackGiven(Aggregate.Event):
        occurred_on: date
        handled_by: str
        owner: str
        timely: bool

    @event(FeedbackGiven)
    def _feedback(
        self, occurred_on: date, handled_by: str, owner: str, timely: bool
    ) -> None:
        self.feedback_timely = timely

    def open_dispute(self, reason: str, on: date, by: str) -> int:
        _one_of(reason, workflow().dispute_reasons, "reason")
        self._not_before_submission(on)
        number = len(self.disputes) + 1
        self._dispute_opened(
            number=number,
            reason=reason,
            occurred_on=on,
            handled_by=by,
            owner=self.owner,
        )
        return number

    class DisputeOpened(Aggregate.Event):
        number: int
        reason: str
        occurred_on: date
        handled_by: str
        owner: str

    @event(DisputeOpened)
    def _dispute_opened(
        self, number: int, reason: str, occurred_on: date, handled_by: str, owner: str
    ) -> None:
        self.disputes[number] = None

    def resolve_dispute(self, number: int, outcome: str, on: date, by: str) -> None:
        _one_of(outcome, workflow().dispute_outcomes, "outcome")
        if number not in self.disputes:
            raise WorkflowError(
                f"order {self.order_no} has no dispute {number}", field="number"
            )
        if self.disputes[number] is not None:
            raise WorkflowError(
                f"dispute {number} of order {self.order_no} is already resolved",
                field="number",
            )
        self._not_before_submission(on)
        self._dispute_resolved(
            number=number,
            outcome=outcome,
            occurred_on=on,
            handled_by=by,
            owner=self.owner,
        )

    class DisputeResolved(Aggregate.Event):
        number: int
        outcome: str
        occurred_on: date
        handled_by: str
        owner: str

    @event(DisputeResolved)
    def _dispute_resolved(
        self, number: int, outcome: str, occurred_on: date, handled_by: str, owner: str
    ) -> None:
        self.disputes[number] = outcome

    def finish(self, outcome: str, on: date, by: str) -> None:
        _one_of(outcome, workflow().finish_outcomes, "outcome")
        self._processed("finished")
        self._open("finished again")
        self._not_before_submission(on)
        if outcome == "refunded" and not self.paid:
            raise WorkflowError(
                f"order {self.order_no} was never paid, so it cannot be refunded",
                field="outcome",
            )
        served_well = (
            outcome == "completed" and not self.disputes and bool(self.feedback_timely)
        )
        self._finished(
            outcome=outcome,
            occurred_on=on,
            handled_by=by,
            owner=self.owner,
            served_well=served_well,
            first_abnormality=outcome == "redone" and not self.abnormal,
        )

    class Finished(Aggregate.Event):
        outcome: str
        occurred_on: date
        handled_by: str
        owner: str
        served_well: bool
        first_abnormality: bool

    @event(Finished)
    def _finished(
        self,
        outcome: str,
        occurred_on: date,
        handled_by: str,
        owner: str,
        served_well: bool,
        first_abnormality: bool,
    ) -> None:
        self.finished = outcome
        self.abnormal = self.abnormal or first_abnormality

    def correct_amount(self, amount: Decimal, on: date, by: str) -> bool:
        if amount < 0:
            raise WorkflowError("an order amount cannot be negative", field="amount")
        if amount == self.amount:
            return False
        self._amount_corrected(
            amount=amount,
            previous=self.amount,
            occurred_on=on,
            handled_by=by,
            owner=self.owner,
        )
        return True

    class AmountCorrected(Aggregate.Event):
        amount: Decimal
        previous: Decimal
        occurred_on: date
        handled_by: str
        owner: str

    @event(AmountCorrected)
    def _amount_corrected(
        self,
        amount: Decimal,
        previous: Decimal,
        occurred_on: date,
        handled_by: str,
        owner: str,
    ) -> None:
        self.amount = amount
