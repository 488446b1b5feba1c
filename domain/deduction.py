"""Deductions: a rule item breached by an agent on a business date."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event


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
