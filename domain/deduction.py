"""Deductions: a rule item breached by an agent on a business date, and the
disputes a supervisor may raise against one.

A dispute is resolved by an admin or reviewer who is not the disputer: upheld
(the deduction stands), overturned (it no longer counts) or adjusted (it counts
with a new quantity or a new number of points). One dispute is open at a time;
an upheld dispute is reopened only with new evidence. Every step is an event;
the recorded deduction itself is never edited.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError, InvalidFactError, NotPermittedError
from domain.text import N_

NO_OPEN_DISPUTE = N_("this deduction has no open dispute")


class Deduction(Aggregate):
    """A recorded breach of a rule item. It carries the fact, never the points:
    the rulebook in force for the month values it."""

    class Recorded(Aggregate.Created):
        agent_id: str
        item: str
        occurred_on: date
        quantity: int
        note: str
        evidence_ref: str | None
        severity: str | None
        recorded_by: str

    @event(Recorded)
    def __init__(
        self,
        agent_id: str,
        item: str,
        occurred_on: date,
        quantity: int,
        note: str,
        evidence_ref: str | None,
        severity: str | None,
        recorded_by: str,
        id: UUID | None = None,  # chosen by the caller: retries are idempotent
    ) -> None:
        self.agent_id = agent_id
        self.item = item
        self.occurred_on = occurred_on
        self.quantity = quantity
        self.note = note
        self.evidence_ref = evidence_ref
        self.severity = severity
        self.recorded_by = recorded_by
        self.disputes: list[dict[str, Any]] = []

    # Disputes

    @property
    def open_dispute(self) -> dict[str, Any] | None:
        last = self.disputes[-1] if self.disputes else None
        return last if last and last["outcome"] is None else None

    def dispute(
        self,
        by: str,
        reason: str,
        evidence: str | None,
        proposed_quantity: int | None,
        proposed_points: Decimal | None,
        reviewer: str | None,
    ) -> int:
        self._check_disputable(evidence)
        number = len(self.disputes) + 1
        self.trigger_event(
            self.Disputed,
            agent_id=self.agent_id,
            occurred_on=self.occurred_on,
            number=number,
            by=by,
            reason=reason,
            evidence=evidence,
            proposed_quantity=proposed_quantity,
            proposed_points=proposed_points,
            reviewer=reviewer,
        )
        return number

    def _check_disputable(self, evidence: str | None) -> None:
        """One dispute at a time; none after an overturn or an adjustment; after
        an upheld dispute, only with evidence not given before."""
        if self.open_dispute is not None:
            number = self.open_dispute["number"]
            raise ConflictError(
                N_("dispute {number} of this deduction is still open"),
                number=number,
                field="deduction_id",
            )
        last = self.disputes[-1] if self.disputes else None
        if last is not None and last["outcome"] in ("overturned", "adjusted"):
            raise ConflictError(
                N_("this deduction was already {outcome}"),
                outcome=last["outcome"],
                field="deduction_id",
            )
        seen = {d["evidence"] for d in self.disputes}
        if (
            last is not None
            and last["outcome"] == "upheld"
            and (not evidence or evidence in seen)
        ):
            raise InvalidFactError(
                N_("the deduction was upheld; dispute it again only with new evidence"),
                field="evidence",
            )

    class Disputed(Aggregate.Event):
        agent_id: str
        occurred_on: date
        number: int
        by: str
        reason: str
        evidence: str | None
        proposed_quantity: int | None
        proposed_points: Decimal | None
        reviewer: str | None

        def apply(self, deduction: Deduction) -> None:
            deduction.disputes.append(
                {"number": self.number, "by": self.by, "evidence": self.evidence,
                 "reviewer": self.reviewer, "outcome": None}
            )  # fmt: skip

    def resolve(
        self,
        by: str,
        outcome: str,
        note: str,
        quantity: int | None = None,
        points: Decimal | None = None,
    ) -> None:
        open_dispute = self._dispute_to_resolve(by)
        _check_resolution(outcome, quantity, points)
        self.trigger_event(
            self.DisputeResolved,
            agent_id=self.agent_id,
            item=self.item,
            occurred_on=self.occurred_on,
            number=open_dispute["number"],
            by=by,
            outcome=outcome,
            note=note,
            quantity=self.quantity if quantity is None else quantity,
            points=points,
            severity=self.severity,
        )

    def _dispute_to_resolve(self, by: str) -> dict[str, Any]:
        """The open dispute, when ``by`` may resolve it: not its disputer."""
        open_dispute = self.open_dispute
        if open_dispute is None:
            raise ConflictError(NO_OPEN_DISPUTE, field="deduction_id")
        if by == open_dispute["by"]:
            raise NotPermittedError(N_("the disputer cannot resolve their own dispute"))
        return open_dispute

    class DisputeResolved(Aggregate.Event):
        agent_id: str
        item: str
        occurred_on: date
        number: int
        by: str
        outcome: str
        note: str
        quantity: int
        """The quantity that counts from now on."""
        points: Decimal | None
        """Points that replace the rule item's, when the reviewer set them."""
        severity: str | None

        def apply(self, deduction: Deduction) -> None:
            deduction.disputes[-1]["outcome"] = self.outcome
            deduction.quantity = self.quantity


OUTCOMES = ("upheld", "overturned", "adjusted")


def _check_resolution(
    outcome: str, quantity: int | None, points: Decimal | None
) -> None:
    """An outcome of ``OUTCOMES``; an adjustment, and only an adjustment, gives
    a new quantity or new points, one of the two."""
    if outcome not in OUTCOMES:
        raise InvalidFactError(
            N_("{outcome!r} is not one of {outcomes}"),
            outcome=outcome,
            outcomes=", ".join(OUTCOMES),
            field="outcome",
        )
    if outcome == "adjusted" and (quantity is None) == (points is None):
        raise InvalidFactError(
            N_("an adjustment gives a new quantity or new points, one of the two"),
            field="quantity",
        )
    if outcome != "adjusted" and (quantity is not None or points is not None):
        raise InvalidFactError(
            N_("only an adjustment changes the quantity or points, not {outcome!r}"),
            outcome=outcome,
            field="outcome",
        )
