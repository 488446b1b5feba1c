"""The scoreboard read model: roster, fact ledger, rulebook versions, monthly
scorecards and rankings.

The projection turns events into rows (``fold``); the view stores them and
re-scores every agent-month the rows touch, in the same transaction as the
tracking position. Scorecards are re-derived from the ledger with the pure
``domain.scoring.score`` so reads, rebuilds and previews cannot disagree.

Each generation of the read models is a projection of its own (``scoreboard``,
``scoreboard_g2``, ...) honouring the rulebook versions of its lineage.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import singledispatch
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking, TrackingRecorder

from domain.agent import Agent
from domain.application import event_id
from domain.contributions import contribution
from domain.deduction import Deduction
from domain.derived import Derived, Occurs, Samples
from domain.month import Month
from domain.orders import Order
from domain.periods import CompanyCalendar, Period
from domain.plans import ImprovementPlan
from domain.ranking import rank
from domain.register import ROOT_GENERATION, Catalog, Publication, RulesRegister
from domain.rulebook import Rulebook
from domain.scoring import Fact, Scorecard, score
from projections.calendar import WorkingCalendar
from projections.sql_disputes import moment_text

if TYPE_CHECKING:
    from projections.sql_cycle import PeriodRecord, PlanRecord
    from projections.sql_disputes import DisputeRecord, LogEntry

NOW = 2**62  # an "as of" position later than any event


@dataclass(frozen=True)
class AgentRecord:
    agent_id: str
    name: str
    team: str
    supervisor: str
    joined_on: date | None
    registered_at: datetime
    position: int
    left_on: date | None = None

    def present_in(self, month: Month) -> bool:
        joined = self.joined_on is None or self.joined_on <= month.last_day
        return joined and (self.left_on is None or self.left_on >= month.first_day)

    def working_days_in(self, month: Month, calendar: WorkingCalendar) -> int:
        """The month's working days between joining and leaving."""
        first = max(self.joined_on or month.first_day, month.first_day)
        last = min(self.left_on or month.last_day, month.last_day)
        return calendar.working_days(first, last)


@dataclass(frozen=True)
class DeductionRecord:
    deduction_id: str
    agent_id: str
    item: str
    occurred_on: date
    quantity: Decimal
    severity: str | None
    note: str
    evidence_ref: str | None
    recorded_by: str
    recorded_at: datetime
    event_id: str
    position: int
    excluded: str | None = None
    """Why the deduction does not count (recorded into a closed month), if so."""


@dataclass(frozen=True)
class RankingEntry:
    """An agent present in the month: ranked, or listed unranked because they
    were present fewer working days than the rulebook's minimum."""

    agent_id: str
    name: str
    team: str
    total: Decimal
    rank: int | None
    present_days: int = 0


@dataclass(frozen=True)
class OrderRecord:
    order_no: str
    owner: str
    submitted_on: date
    amount: Decimal
    steps: list[dict[str, Any]]
    position: int


@dataclass(frozen=True)
class FactEntry:
    """A ledger row as history: the fact, what produced it, whether it counts."""

    fact: Fact
    source: str
    superseded_by: int | None
    excluded: str | None


@dataclass(frozen=True)
class PublicationRecord:
    """A published rulebook version as this generation of the read models sees it."""

    publication: Publication
    honoured: bool
    published_at: datetime | None
    position: int


@dataclass
class Changes:
    """Rows folded from a run of events, applied to a view in one transaction."""

    agents: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)
    publications: list[dict[str, Any]] = field(default_factory=list)
    order_steps: list[dict[str, Any]] = field(default_factory=list)
    departures: list[dict[str, Any]] = field(default_factory=list)
    period_events: list[dict[str, Any]] = field(default_factory=list)
    closed_days: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    resolutions: list[dict[str, Any]] = field(default_factory=list)

    def agent_months(self) -> set[tuple[str, str]]:
        return {(f["agent_id"], f["month"]) for f in self.facts}


def fold_event(event: Any, position: int, changes: Changes) -> None:
    """Every event goes to the log (its type and time); what it means, to ``fold``."""
    changes.log.append(
        {"position": position, "topic": type(event).__qualname__,
         "at": moment_text(event.timestamp)}
    )  # fmt: skip
    fold(event, position, changes)


@singledispatch
def fold(event: DomainEventProtocol[Any], position: int, changes: Changes) -> None:
    """Facts about agents go to the ledger; other events this view does not show
    only advance its tracking position."""
    fold_fact(event, position, changes)


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
            "left_on": None,
            "left_position": None,
        }
    )


def fold_fact(event: Any, position: int, changes: Changes) -> bool:
    """Ledger rows for an event that is a fact about an agent; False if it is not."""
    found = contribution(event)
    if found is None:
        return False
    base = {
        "position": position,
        "event_id": event_id(event),
        "fact_id": str(event.originator_id),
        "source": found.source,
        "agent_id": found.agent_id,
        "month": str(Month.of(found.occurred_on)),
        "occurred_on": found.occurred_on.isoformat(),
        "recorded_by": found.recorded_by,
        "recorded_at": event.timestamp.isoformat(),
        "excluded": None,
    }
    for ordinal, derived in enumerate(found.derived):
        changes.facts.append(base | {"ordinal": ordinal} | _ledger(derived))
    if found.replaces_earlier:
        changes.superseded.append({"fact_id": base["fact_id"], "position": position})
    return True


def _ledger(derived: Derived) -> dict[str, Any]:
    if isinstance(derived, Occurs):
        detail = {"quantity": str(derived.quantity), **derived.detail}
        if derived.severity:
            detail["severity"] = derived.severity
        if derived.points is not None:
            detail["points"] = str(derived.points)
        return {"kind": "occurred", "item": derived.item, "detail": detail}
    if isinstance(derived, Samples):
        detail = {
            "numerator": str(derived.numerator),
            "denominator": str(derived.denominator),
            **derived.detail,
        }
        return {"kind": "sample", "item": derived.metric, "detail": detail}
    detail = {"rater": derived.rater, "value": str(derived.value), **derived.detail}
    return {"kind": "rated", "item": derived.assessor, "detail": detail}


_STEP_NAMES: dict[type, str] = {
    Order.Submitted: "submit",
    Order.Processed: "process",
    Order.Checked: "check",
    Order.Paid: "pay",
    Order.FeedbackGiven: "feedback",
    Order.DisputeOpened: "dispute",
    Order.DisputeResolved: "resolve",
    Order.Finished: "finish",
    Order.AmountCorrected: "correct_amount",
}
_STEP_COMMON = {
    "originator_id", "originator_version", "timestamp", "originator_topic",
    "order_no", "owner", "occurred_on", "handled_by", "recorded_by",
}  # fmt: skip


def _order_step(event: Any, position: int, changes: Changes) -> None:
    """Order events go to the ledger (their metric samples) and to the orders table."""
    fold_fact(event, position, changes)
    values = {
        f.name: _plain(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in _STEP_COMMON
    }
    changes.order_steps.append(
        {
            "order_id": str(event.originator_id),
            "order_no": getattr(event, "order_no", None),
            "owner": event.owner,
            "step": _STEP_NAMES[type(event)],
            "values": values,
            "occurred_on": event.occurred_on.isoformat(),
            "handled_by": event.handled_by,
            "recorded_by": event.recorded_by,
            "event_id": event_id(event),
            "position": position,
        }
    )


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | str) or value is None else str(value)


for _event_class in _STEP_NAMES:
    fold.register(_event_class, _order_step)


@fold.register
def _(event: Deduction.Disputed, position: int, changes: Changes) -> None:
    changes.disputes.append(
        {
            "deduction_id": str(event.originator_id),
            "number": event.number,
            "agent_id": event.agent_id,
            "month": str(Month.of(event.occurred_on)),
            "disputed_by": event.by,
            "reviewer": event.reviewer,
            "reason": event.reason,
            "evidence": event.evidence,
            "proposed_quantity": event.proposed_quantity,
            "proposed_points": _plain(event.proposed_points),
            "disputed_at": moment_text(event.timestamp),
            "disputed_position": position,
        }
    )


@fold.register
def _(event: Deduction.DisputeResolved, position: int, changes: Changes) -> None:
    fold_fact(event, position, changes)
    changes.resolutions.append(
        {
            "deduction_id": str(event.originator_id),
            "number": event.number,
            "outcome": event.outcome,
            "resolved_by": event.by,
            "resolved_at": moment_text(event.timestamp),
            "resolved_position": position,
            "note": event.note,
        }
    )


@fold.register
def _(event: Agent.Left, position: int, changes: Changes) -> None:
    changes.departures.append(
        {
            "agent_id": event.agent_id,
            "left_on": event.left_on.isoformat(),
            "left_position": position,
        }
    )


def _period_event(kind: str) -> Any:
    def folded(event: Any, position: int, changes: Changes) -> None:
        published_on = getattr(event, "published_on", None)
        changes.period_events.append(
            {
                "period_id": str(event.originator_id),
                "month": getattr(event, "month", None),
                "event": kind,
                "by": getattr(event, "by", "system"),
                "reason": getattr(event, "reason", None),
                "published_on": published_on.isoformat() if published_on else None,
                "chain_head": getattr(event, "chain_head", None),
                "at": event.timestamp.isoformat(),
                "position": position,
            }
        )

    return folded


fold.register(Period.Opened, _period_event("opened"))
fold.register(Period.Closed, _period_event("closed"))
fold.register(Period.Published, _period_event("published"))
fold.register(Period.Reopened, _period_event("reopened"))


@fold.register
def _(event: CompanyCalendar.DayClosed, position: int, changes: Changes) -> None:
    changes.closed_days.append(
        {"day": event.day.isoformat(), "reason": event.reason, "position": position}
    )


def _plan(event: Any, position: int, changes: Changes) -> None:
    changes.plans.append(
        {
            "month": event.month,
            "agent_id": event.agent_id,
            "why": event.why,
            "actions": event.actions,
            "submitted_by": event.submitted_by,
            "submitted_on": event.submitted_on.isoformat(),
            "position": position,
        }
    )


fold.register(ImprovementPlan.Submitted, _plan)
fold.register(ImprovementPlan.Revised, _plan)


@fold.register
def _(event: RulesRegister.Published, position: int, changes: Changes) -> None:
    changes.publications.append(
        {
            "rulebook_id": event.rulebook_id,
            "version": event.version,
            "effective_from": event.effective_from,
            "generation": event.generation,
            "document": event.document,
            "published_by": event.published_by,
            "published_at": event.timestamp.isoformat(),
            "position": position,
        }
    )


class ScoreboardView(TrackingRecorder, ABC):
    """Abstract scoreboard view; SQLite and PostgreSQL implement it.

    Reads take ``as_of``, a log position: the view as it stood after that event
    (the present by default), as a filter over the ledger, not a replay.
    """

    lineage: tuple[int, ...] = (ROOT_GENERATION,)
    """The generations whose rulebook versions this view honours."""

    @abstractmethod
    def apply(self, changes: Changes, tracking: Tracking) -> None:
        """Store the rows, re-score touched agent-months, record tracking."""

    @abstractmethod
    def catalog(self, as_of: int = NOW) -> Catalog:
        """The rulebook versions this view honours."""

    @abstractmethod
    def publications(self, as_of: int = NOW) -> list[PublicationRecord]: ...

    @abstractmethod
    def agent(self, agent_id: str) -> AgentRecord | None: ...

    @abstractmethod
    def agents(
        self, team: str | None = None, as_of: int = NOW
    ) -> list[AgentRecord]: ...

    @abstractmethod
    def order(self, order_no: str) -> OrderRecord | None: ...

    @abstractmethod
    def deduction(self, deduction_id: str) -> DeductionRecord | None: ...

    @abstractmethod
    def facts(self, agent_id: str, month: Month, as_of: int = NOW) -> list[Fact]: ...

    @abstractmethod
    def facts_of_months(
        self, months: Sequence[Month], as_of: int = NOW
    ) -> dict[tuple[str, str], list[Fact]]:
        """Every agent-month's ledger in the given months."""

    @abstractmethod
    def totals(self, month: Month) -> dict[str, Decimal]:
        """Stored totals of the month's scorecards (agents with facts)."""

    @abstractmethod
    def calendar(self, as_of: int = NOW) -> WorkingCalendar: ...

    @abstractmethod
    def scorecard_rows(self) -> list[tuple[str, str, int, str, int]]:
        """(agent, month, total in hundredths, rulebook id, version) for every
        stored scorecard, in order: what a rebuild's digest is taken over."""

    @abstractmethod
    def drop(self) -> None:
        """Remove this view's tables and tracking."""

    @abstractmethod
    def period(self, month: Month) -> PeriodRecord: ...

    @abstractmethod
    def periods(self) -> list[PeriodRecord]: ...

    @abstractmethod
    def plans(self) -> list[PlanRecord]: ...

    @abstractmethod
    def closed_days(self, as_of: int) -> dict[date, str]: ...

    @abstractmethod
    def disputes(
        self, agent_id: str | None = None, month: str | None = None
    ) -> list[DisputeRecord]: ...

    @abstractmethod
    def position_at(self, at: datetime) -> int:
        """The last event recorded at or before ``at``."""

    @abstractmethod
    def log_entries(self, first: int, last: int) -> dict[int, LogEntry]: ...

    @abstractmethod
    def fact_history(self, agent_id: str, month: Month) -> list[FactEntry]:
        """Every ledger row of the agent-month, counted or not, in log order."""

    def scorecard(self, agent_id: str, month: Month, as_of: int = NOW) -> Scorecard:
        """The agent's scorecard for the month, from the ledger."""
        rulebook = self.catalog(as_of).for_month(month)
        return score(rulebook, self.facts(agent_id, month, as_of))

    def _month_totals(
        self, month: Month, rulebook: Rulebook, agents: list[str], as_of: int
    ) -> dict[str, Decimal]:
        """Each agent's total for the month, those without facts included: stored
        totals for the present, the ledger as of a past position otherwise."""
        empty = score(rulebook, ()).total
        if as_of == NOW:
            stored = self.totals(month)
            return {a: stored.get(a, empty) for a in agents}
        ledgers = self.facts_of_months([month], as_of)
        return {
            a: score(rulebook, ledgers.get((a, str(month)), ())).total for a in agents
        }

    def ranking(
        self, month: Month, team: str | None = None, as_of: int = NOW
    ) -> list[RankingEntry]:
        """Competition ranking (1, 2, 2, 4) of the agents present in ``month``,
        ties listed by agent id; agents present fewer working days than the
        rulebook's minimum follow, unranked."""
        rulebook = self.catalog(as_of).for_month(month)
        calendar = self.calendar(as_of)
        present = [a for a in self.agents(as_of=as_of) if a.present_in(month)]
        totals = self._month_totals(
            month, rulebook, [a.agent_id for a in present], as_of
        )
        roster = {a.agent_id: a for a in present if team is None or a.team == team}
        days = {a: roster[a].working_days_in(month, calendar) for a in roster}
        eligible = {
            a: totals[a] for a in roster if days[a] >= rulebook.min_working_days
        }
        entries = [
            RankingEntry(
                r.agent_id, roster[r.agent_id].name, roster[r.agent_id].team,
                r.total, r.rank, days[r.agent_id],
            )
            for r in rank(eligible)
        ]  # fmt: skip
        unranked = sorted(set(roster) - set(eligible), key=lambda a: (-totals[a], a))
        return entries + [
            RankingEntry(a, roster[a].name, roster[a].team, totals[a], None, days[a])
            for a in unranked
        ]


def projection_name(generation: int) -> str:
    """``scoreboard`` for the first generation, ``scoreboard_g<n>`` after it."""
    return (
        "scoreboard" if generation == ROOT_GENERATION else f"scoreboard_g{generation}"
    )
