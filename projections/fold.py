"""Events into rows: what each event of the log means to the read models.

``fold_event`` turns one event into rows of ``Changes`` (the agents, the fact
ledger, orders, periods, disputes, publications, the log); a view applies a
run of them in one transaction with its tracking position
(``ScoreboardView.apply``). Folding reads nothing and writes nothing, so
replaying the log always gives the same rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import singledispatch
from typing import Any, ClassVar

from eventsourcing.domain import DomainEventProtocol

from domain.agent import Agent
from domain.commands import event_id
from domain.contributions import contribution
from domain.deduction import Deduction
from domain.month import Month
from domain.order_steps import EVENT_COMMON, STEPS
from domain.periods import CompanyCalendar, Period
from domain.plans import ImprovementPlan
from domain.register import RulesRegister
from projections.outbox import notice
from projections.records import moment_text

EVERY_MONTH = "*"
"""The scope of a change to what every month's reads show (``Changes.scopes``)."""


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
    webhook_changes: list[dict[str, Any]] = field(default_factory=list)
    moments: list[dict[str, Any]] = field(default_factory=list)
    """What webhooks are told of (``projections.outbox``)."""
    follows: int | None = None
    """The tracked position the run follows, as its catch-up read it (None:
    not known; the running totals of ``projections.sql_tallies`` then start
    again)."""

    # What the reads a serving process keeps between changes depend on
    # (``web.kept_reads``: scorecards, explanations, rankings, each of a month).
    # Every list is named once: rows of a month change that month's reads;
    # agents, rules, periods, the calendar, plans and resolutions change what
    # every month shows; superseded facts' months are the agent-months the
    # view re-scores for them; the rest no kept read reads.
    OF_THEIR_MONTH: ClassVar = ("facts", "disputes")
    OF_EVERY_MONTH: ClassVar = (
        "agents", "departures", "publications", "period_events", "closed_days",
        "plans", "resolutions",
    )  # fmt: skip
    OF_RESCORED_MONTHS: ClassVar = ("superseded",)
    UNKEPT: ClassVar = ("order_steps", "log", "moments", "webhook_changes")

    def scopes(self) -> set[str]:
        """The months whose kept reads this run may change (``EVERY_MONTH``
        for all of them), beside those the view re-scores."""
        found = {
            row["month"] for name in self.OF_THEIR_MONTH for row in getattr(self, name)
        }
        if any(getattr(self, name) for name in self.OF_EVERY_MONTH):
            found.add(EVERY_MONTH)
        return found


def fold_event(event: Any, position: int, changes: Changes) -> None:
    """Every event goes to the log (its type and time); what it means, to ``fold``."""
    changes.log.append(
        {"position": position, "topic": type(event).__qualname__,
         "at": moment_text(event.timestamp)}
    )  # fmt: skip
    fold(event, position, changes)
    notice(event, position, changes)


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
        changes.facts.append(base | {"ordinal": ordinal} | derived.ledger())
    if found.replaces_earlier:
        changes.superseded.append({"fact_id": base["fact_id"], "position": position})
    return True


_STEP_NAMES: dict[type, str] = {step.event: step.name for step in STEPS.values()}


def _order_step(event: Any, position: int, changes: Changes) -> None:
    """Order events go to the ledger (their metric samples) and to the orders table."""
    fold_fact(event, position, changes)
    values = {
        f.name: _plain(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in EVENT_COMMON
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
for _transition in Period.TRANSITIONS:  # history entries are named by the status
    fold.register(_transition, _period_event(_transition.becomes.value))


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
