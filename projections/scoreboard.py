"""The scoreboard read model: roster, fact ledger, monthly scorecards, rankings.

The projection turns events into rows (``fold``); the view stores them and
re-scores every agent-month the rows touch, in the same transaction as the
tracking position. Scorecards are re-derived from the ledger with the pure
``domain.scoring.score`` so reads, rebuilds and previews cannot disagree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import singledispatch
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.projection import Projection

from domain.agent import Agent
from domain.application import event_id
from domain.deduction import Deduction
from domain.month import Month
from domain.rulebook import Rulebook, shipped_rulebook
from domain.scoring import Fact, Scorecard, score


@dataclass(frozen=True)
class AgentRecord:
    agent_id: str
    name: str
    team: str
    supervisor: str
    joined_on: date | None
    registered_at: datetime
    position: int

    def present_in(self, month: Month) -> bool:
        return self.joined_on is None or self.joined_on <= month.last_day


@dataclass(frozen=True)
class DeductionRecord:
    deduction_id: str
    agent_id: str
    item: str
    occurred_on: date
    quantity: int
    note: str
    evidence_ref: str | None
    recorded_by: str
    recorded_at: datetime
    event_id: str
    position: int


@dataclass(frozen=True)
class RankingEntry:
    agent_id: str
    name: str
    team: str
    total: Decimal
    rank: int


@dataclass
class Changes:
    """Rows folded from a run of events, applied to a view in one transaction."""

    agents: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)

    def agent_months(self) -> set[tuple[str, str]]:
        return {(f["agent_id"], f["month"]) for f in self.facts}


@singledispatch
def fold(event: DomainEventProtocol[Any], position: int, changes: Changes) -> None:
    """Events this view does not show only advance its tracking position."""


@fold.register
def _(event: Agent.Registered, position: int, changes: Changes) -> None:
    changes.agents.append(
        {
            "agent_id": event.agent_id,
            "name": event.name,
            "team": event.team,
            "supervisor": event.supervisor,
            "joined_on": event.joined_on.isoformat() if event.joined_on else None,
            "registered_at": event.timestamp.isoformat(),
            "position": position,
        }
    )


@fold.register
def _(event: Deduction.Recorded, position: int, changes: Changes) -> None:
    changes.facts.append(
        {
            "position": position,
            "event_id": event_id(event),
            "fact_id": str(event.originator_id),
            "kind": "deduction",
            "agent_id": event.agent_id,
            "month": str(Month.of(event.occurred_on)),
            "occurred_on": event.occurred_on.isoformat(),
            "item": event.item,
            "quantity": event.quantity,
            "note": event.note,
            "evidence_ref": event.evidence_ref,
            "recorded_by": event.recorded_by,
            "recorded_at": event.timestamp.isoformat(),
        }
    )


class Rulebooks:
    """The rulebook in force for each month (the shipped default, for now)."""

    def __init__(self, default: Rulebook | None = None) -> None:
        self.default = default or shipped_rulebook()

    def for_month(self, month: Month) -> Rulebook:
        return self.default


class ScoreboardView(TrackingRecorder, ABC):
    """Abstract scoreboard view; SQLite and PostgreSQL implement it."""

    rulebooks: Rulebooks

    @abstractmethod
    def apply(self, changes: Changes, tracking: Tracking) -> None:
        """Store the rows, re-score touched agent-months, record tracking."""

    @abstractmethod
    def agent(self, agent_id: str) -> AgentRecord | None: ...

    @abstractmethod
    def agents(self, team: str | None = None) -> list[AgentRecord]: ...

    @abstractmethod
    def deduction(self, deduction_id: str) -> DeductionRecord | None: ...

    @abstractmethod
    def facts(self, agent_id: str, month: Month) -> list[Fact]: ...

    @abstractmethod
    def ranking(self, month: Month, team: str | None = None) -> list[RankingEntry]:
        """Competition ranking (1, 2, 2, 4) of the agents present in ``month``;
        ties are listed by agent id."""

    def scorecard(self, agent_id: str, month: Month) -> Scorecard:
        """The agent's scorecard for the month, from the ledger."""
        return score(self.rulebooks.for_month(month), self.facts(agent_id, month))


class ScoreboardProjection(Projection[ScoreboardView]):
    """Folds the appraisal application's events into a scoreboard view."""

    name = "scoreboard"

    def process_event(
        self, domain_event: DomainEventProtocol[Any], tracking: Tracking
    ) -> None:
        changes = Changes()
        fold(domain_event, tracking.notification_id, changes)
        self.view.apply(changes, tracking)
