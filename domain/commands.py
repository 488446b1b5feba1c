"""What the commands of ``AppraisalApp`` take and what they answer: plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEvent, DomainEventProtocol
from eventsourcing.persistence import Recording

from domain.built import built
from domain.month import Month
from domain.order_steps import ORDER_STEPS as ORDER_STEPS
from domain.order_steps import STEPS
from domain.rulebook import Assessor
from domain.scoring import Verdict


@dataclass(frozen=True)
class Recorded:
    """What a command returns: the id it created and the log position of its event."""

    id: str
    position: int
    recorded_at: datetime
    event_id: str
    scored: bool | None = None
    """Whether the rules in force for its month score it (None: not asked)."""
    reason: str | None = None
    """Why not, when it is not scored."""

    def judged(self, verdict: Verdict) -> Recorded:
        """The same answer, saying whether the fact is scored and why not."""
        return replace(self, scored=verdict.scored, reason=verdict.reason)

    @classmethod
    def of(cls, recording: Recording[UUID], id: str | None = None) -> Recorded:
        event = cast(DomainEvent, recording.domain_event)
        originator = str(event.originator_id)  # 1 µs each time: once
        return built(
            cls,
            {"id": id or originator, "position": recording.notification.id,
             "recorded_at": event.timestamp,
             "event_id": event_id(event, originator)},
        )  # fmt: skip


def event_id(event: DomainEventProtocol[Any], originator: str | None = None) -> str:
    """An event's identity in the store: its aggregate id (``originator``,
    if the caller has it as text already) and version."""
    return f"{originator or event.originator_id}:{event.originator_version}"


# Roster and deductions


@dataclass(frozen=True)
class NewAgent:
    agent_id: str
    name: str
    team: str
    supervisor: str
    joined_on: date | None = None


@dataclass(frozen=True)
class NewDeduction:
    agent_id: str
    item: str
    occurred_on: date
    quantity: int = 1
    note: str = ""
    evidence_ref: str | None = None
    severity: str | None = None
    deduction_id: UUID | None = None


@dataclass(frozen=True)
class NewDispute:
    deduction_id: UUID
    reason: str
    evidence: str | None = None
    proposed_quantity: int | None = None
    proposed_points: Decimal | None = None
    reviewer: str | None = None


@dataclass(frozen=True)
class DisputeOpened(Recorded):
    """A dispute recorded: its ``id`` is ``<deduction id>:<number>``; its
    ``deadline`` is the end of its month's review window (or the rulebook's
    dispute days), by which disputes of the month are raised and settled."""

    number: int = 1
    deadline: date | None = None


@dataclass(frozen=True)
class Resolution:
    deduction_id: UUID
    outcome: str
    note: str = ""
    quantity: int | None = None
    points: Decimal | None = None


# Rules


@dataclass(frozen=True)
class Published:
    rulebook_id: str
    version: int
    effective_from: Month
    generation: int
    position: int


@dataclass(frozen=True)
class RebuildRequested:
    rebuild_id: UUID
    generation: int
    published: Published


# Observations


@dataclass(frozen=True)
class NewObservation:
    agent_id: str
    occurred_on: date
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Observed:
    """What recording one observation did: ``recorded``, ``corrected`` or
    ``unchanged`` (an identical row, already known)."""

    outcome: str
    observation_id: UUID
    position: int | None
    scored: bool | None = None
    """Whether the rules in force for its month score it (None: unchanged)."""
    reason: str | None = None
    """Why not, when it is not scored."""


# Orders


@dataclass(frozen=True)
class NewOrder:
    order_no: str
    agent_id: str
    case: str
    amount: Decimal
    occurred_on: date
    handled_by: str | None = None


@dataclass(frozen=True)
class OrderRow:
    """One row of an order-system export: a step of an order. ``agent_id`` is
    the owner for ``submit`` and the handling agent otherwise (default: owner).
    Its fields are the export's columns (``domain.order_steps.COLUMNS``)."""

    order_no: str
    step: str
    occurred_on: date
    agent_id: str | None = None
    case: str | None = None
    amount: Decimal | None = None
    batch: int | None = None
    passed: bool | None = None
    note: str = ""
    reason: str | None = None
    number: int | None = None
    outcome: str | None = None
    cause: str | None = None

    def key(self) -> str:
        """The step's key in ``Order.recorded_as``: ``check:3``, ``dispute:2``."""
        step = STEPS.get(self.step)
        return self.step if step is None else step.key(self)

    def values(self) -> dict[str, Any]:
        """What the step records, as ``Order.recorded_as`` keeps it."""
        step = STEPS.get(self.step)
        return {"on": str(self.occurred_on)} if step is None else step.values(self)


# Ratings


@dataclass(frozen=True)
class NewRating:
    agent_id: str
    month: Month
    assessor: Assessor
    dimensions: Mapping[str, Decimal]
    comment: str = ""


@dataclass(frozen=True)
class RatingOutcome:
    outcome: str
    """given, revised or unchanged"""
    recorded: Recorded | None
