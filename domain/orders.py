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
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidFactError
from domain.text import N_

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
    finish_causes: tuple[str, ...]
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
        finish_causes=tuple(data["finish"]["causes"]),
        document=data,
    )


@dataclass(frozen=True)
class StepBy:
    """When a step happened, the agent who handled it (default: the order's
    owner), and who recorded it."""

    on: date
    recorded_by: str
    handled_by: str | None = None


def _one_of(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise WorkflowError(
            N_("{value!r} is not one of {allowed}"),
            value=value,
            allowed=", ".join(allowed),
            field=field,
        )


class Order(Aggregate):
    """An order taken by an agent, known by the order system's number."""

    @staticmethod
    @lru_cache(maxsize=65536)  # a pure function, asked several times per row
    def create_id(order_no: str) -> UUID:
        return uuid5(_NAMESPACE, order_no)

    class Submitted(Aggregate.Created):
        order_no: str
        owner: str
        case: str
        amount: Decimal
        occurred_on: date
        handled_by: str
        recorded_by: str

    @event(Submitted)
    def __init__(
        self,
        order_no: str,
        owner: str,
        case: str,
        amount: Decimal,
        occurred_on: date,
        handled_by: str,
        recorded_by: str,
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
        self.recorded: dict[str, dict[str, Any]] = {
            "submit": {
                "owner": owner,
                "case": case,
                "amount": format(Decimal(amount).normalize(), "f"),
                "on": str(occurred_on),
            }
        }

    def recorded_as(self, key: str) -> dict[str, Any] | None:
        """What a step (``process``, ``check:3``, ``dispute:2``...) recorded, if any."""
        return self.recorded.get(key)

    @classmethod
    def submit(
        cls, order_no: str, owner: str, case: str, amount: Decimal, step: StepBy
    ) -> Order:
        _one_of(case, workflow().submit_cases, "case")
        if amount < 0:
            raise WorkflowError(
                N_("an order amount cannot be negative"), field="amount"
            )
        return cls(
            order_no=order_no,
            owner=owner,
            case=case,
            amount=amount,
            occurred_on=step.on,
            handled_by=step.handled_by or owner,
            recorded_by=step.recorded_by,
        )

    class Step(Aggregate.Event):
        """Every step after submission: when, by whom, for whose order."""

        occurred_on: date
        handled_by: str
        owner: str
        recorded_by: str

        def remember(self, order: Order, key: str, **values: Any) -> None:
            order.recorded[key] = {**values, "on": str(self.occurred_on)}

    def _step(self, event_class: type[Order.Step], step: StepBy, **fields: Any) -> None:
        if step.on < self.submitted_on:
            raise WorkflowError(
                N_("{day} is before order {order_no} was submitted ({submitted_on})"),
                day=step.on,
                order_no=self.order_no,
                submitted_on=self.submitted_on,
                field="occurred_on",
            )
        self.trigger_event(
            event_class,
            occurred_on=step.on,
            handled_by=step.handled_by or self.owner,
            owner=self.owner,
            recorded_by=step.recorded_by,
            **fields,
        )

    def _require_processed(self, step: str) -> date:
        if self.processed_on is None:
            raise WorkflowError(
                N_("order {order_no} has not been processed, so it cannot be {step}"),
                order_no=self.order_no,
                step=step,
                field="step",
            )
        return self.processed_on

    def _require_open(self, step: str) -> None:
        if self.finished is not None:
            raise WorkflowError(
                N_(
                    "order {order_no} is already finished ({finished}); it cannot "
                    "be {step}"
                ),
                order_no=self.order_no,
                finished=self.finished,
                step=step,
                field="step",
            )

    # Step 2: process

    def process(self, case: str, step: StepBy) -> None:
        _one_of(case, workflow().process_cases, "case")
        self._require_open("processed")
        if self.processed_on is not None:
            raise WorkflowError(
                N_("order {order_no} was already processed on {processed_on}"),
                order_no=self.order_no,
                processed_on=self.processed_on,
                field="step",
            )
        self._step(self.Processed, step, case=case)

    class Processed(Step):
        case: str

        def apply(self, order: Order) -> None:
            order.processed_on = self.occurred_on
            self.remember(order, "process", case=self.case)

    # Step 3: check, in numbered batches by kinds of checker

    def check(self, batch: int, passed: bool, step: StepBy, note: str = "") -> None:
        checkers = workflow().checkers
        if batch not in checkers:
            raise WorkflowError(
                N_("there are {count} check batches; there is no batch {batch}"),
                count=len(checkers),
                batch=batch,
                field="batch",
            )
        self._require_processed("checked")
        if batch in self.checks:
            raise WorkflowError(
                N_("check batch {batch} of order {order_no} was already recorded"),
                batch=batch,
                order_no=self.order_no,
                field="batch",
            )
        self._step(
            self.Checked,
            step,
            batch=batch,
            checker=checkers[batch],
            passed=passed,
            note=note,
            first_abnormality=not passed and not self.abnormal,
        )

    class Checked(Step):
        batch: int
        checker: str
        passed: bool
        note: str
        first_abnormality: bool

        def apply(self, order: Order) -> None:
            order.checks[self.batch] = self.passed
            order.abnormal = order.abnormal or not self.passed
            self.remember(order, f"check:{self.batch}", passed=self.passed)

    # Payment (not a step of its own in the source, but what the ratios count)

    def pay(self, step: StepBy) -> None:
        if self.paid:
            raise WorkflowError(
                N_("order {order_no} is already paid"),
                order_no=self.order_no,
                field="step",
            )
        self._step(self.Paid, step)

    class Paid(Step):
        def apply(self, order: Order) -> None:
            order.paid = True
            self.remember(order, "pay")

    # Step 4: tell the customer promptly

    def give_feedback(self, step: StepBy) -> None:
        processed_on = self._require_processed("given feedback")
        if self.feedback_timely is not None:
            raise WorkflowError(
                N_("the customer of order {order_no} was already told"),
                order_no=self.order_no,
                field="step",
            )
        timely = (step.on - processed_on).days <= workflow().feedback_days
        self._step(self.FeedbackGiven, step, timely=timely)

    class FeedbackGiven(Step):
        timely: bool

        def apply(self, order: Order) -> None:
            order.feedback_timely = self.timely
            self.remember(order, "feedback")

    # Step 5: disputes

    def open_dispute(self, reason: str, step: StepBy) -> int:
        _one_of(reason, workflow().dispute_reasons, "reason")
        number = len(self.disputes) + 1
        self._step(self.DisputeOpened, step, number=number, reason=reason)
        return number

    class DisputeOpened(Step):
        number: int
        reason: str

        def apply(self, order: Order) -> None:
            order.disputes[self.number] = None
            self.remember(order, f"dispute:{self.number}", reason=self.reason)

    def resolve_dispute(self, number: int, outcome: str, step: StepBy) -> None:
        _one_of(outcome, workflow().dispute_outcomes, "outcome")
        if number not in self.disputes:
            raise WorkflowError(
                N_("order {order_no} has no dispute {number}"),
                order_no=self.order_no,
                number=number,
                field="number",
            )
        if self.disputes[number] is not None:
            raise WorkflowError(
                N_("dispute {number} of order {order_no} is already resolved"),
                number=number,
                order_no=self.order_no,
                field="number",
            )
        self._step(self.DisputeResolved, step, number=number, outcome=outcome)

    class DisputeResolved(Step):
        number: int
        outcome: str

        def apply(self, order: Order) -> None:
            order.disputes[self.number] = self.outcome
            self.remember(order, f"resolve:{self.number}", outcome=self.outcome)

    # Step 6: finish

    def finish(self, outcome: str, step: StepBy, cause: str | None = None) -> None:
        _one_of(outcome, workflow().finish_outcomes, "outcome")
        if cause is not None:
            _one_of(cause, workflow().finish_causes, "cause")
        self._require_processed("finished")
        self._require_open("finished again")
        if outcome == "refunded" and not self.paid:
            raise WorkflowError(
                N_("order {order_no} was never paid, so it cannot be refunded"),
                order_no=self.order_no,
                field="outcome",
            )
        served_well = (
            outcome == "completed" and not self.disputes and bool(self.feedback_timely)
        )
        self._step(
            self.Finished,
            step,
            outcome=outcome,
            served_well=served_well,
            first_abnormality=outcome == "redone" and not self.abnormal,
            cause=cause,
        )

    class Finished(Step):
        outcome: str
        served_well: bool
        first_abnormality: bool
        cause: str | None
        """Who caused a refund or a redo (``agent``, ``customer``, ``other``),
        if said; orders finished before it was asked have None."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["cause"] = None

        def apply(self, order: Order) -> None:
            order.finished = self.outcome
            order.abnormal = order.abnormal or self.first_abnormality
            self.remember(order, "finish", outcome=self.outcome, cause=self.cause)

    # Corrections from a re-imported export

    def correct_amount(self, amount: Decimal, step: StepBy) -> bool:
        if amount < 0:
            raise WorkflowError(
                N_("an order amount cannot be negative"), field="amount"
            )
        if amount == self.amount:
            return False
        self._step(self.AmountCorrected, step, amount=amount, previous=self.amount)
        return True

    class AmountCorrected(Step):
        amount: Decimal
        previous: Decimal

        def apply(self, order: Order) -> None:
            order.amount = self.amount
            order.recorded["submit"]["amount"] = format(
                Decimal(self.amount).normalize(), "f"
            )
