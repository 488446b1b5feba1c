"""How a score was reached: every event behind an agent-month, in log order, with
the points it moved and a running total that ends at the scorecard's total; and
what resolving a dispute did to everyone's standing.

Both read the ledger as of a position (a filter, not a replay), and both score
with ``domain.scoring.score``, so they cannot disagree with the scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.month import Month
from domain.ranking import bottom
from domain.scoring import ZERO, Line, points
from projections.cycle import quarter_months, quarter_standings
from projections.preview import Change, Standing
from projections.scoreboard import NOW, ScoreboardView


@dataclass(frozen=True)
class Entry:
    """One event in the story of a score."""

    position: int | None
    event_type: str
    what: str
    points: Decimal = ZERO
    running_total: Decimal = ZERO
    status: str = "counted"
    category: str | None = None
    item: str | None = None
    rulebook: str | None = None
    occurred_on: str | None = None
    recorded_by: str | None = None
    recorded_at: str | None = None
    event_id: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    facts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    agent_id: str
    month: str
    rulebook: str
    as_of: int
    start: Decimal
    entries: list[Entry]
    total: Decimal
    provisional: bool


def explain(
    view: ScoreboardView, agent_id: str, month: Month, as_of: int = NOW
) -> Explanation:
    rulebook = view.catalog(as_of).for_month(month)
    card = view.scorecard(agent_id, month, as_of)
    start = sum((c.start for c in card.categories), ZERO)
    scored: list[tuple[int, Entry]] = []
    for category in card.categories:
        for line in category.lines:
            scored.append(_line(line, category.code, rulebook.ref))
    for line in card.unscored:
        at, unscored = _line(line, None, rulebook.ref)
        scored.append((at, Entry(**{**unscored.__dict__, "status": "unscored"})))
    history = _history(view, agent_id, month, as_of)
    timeline = sorted(scored + history, key=lambda pair: pair[0])
    running = start
    entries: list[Entry] = []
    for _, step in timeline:
        running += step.points
        entries.append(Entry(**{**step.__dict__, "running_total": running}))
    for category in card.categories:  # caps and floors, applied last
        bounded = category.bounded
        if bounded:
            running += bounded
            rule = "floor of 0" if bounded > 0 else f"maximum of {category.max}"
            entries.append(
                Entry(None, "rule", f"category {category.code}: {rule} applied",
                      points(bounded), running, "applied", category.code)
            )  # fmt: skip
    open_disputes = [d for d in view.disputes(agent_id, str(month)) if d.open_at(as_of)]
    return Explanation(
        agent_id, str(month), rulebook.ref, as_of, start, entries, running,
        provisional=bool(open_disputes),
    )  # fmt: skip


def _line(line: Line, category: str | None, rulebook: str) -> tuple[int, Entry]:
    """A scorecard line as an entry at the position of its last fact."""
    facts = [
        {"fact_id": f.fact_id, "event_id": f.event_id, "position": f.position,
         "occurred_on": f.occurred_on.isoformat(), "recorded_by": f.recorded_by}
        for f in line.facts
    ]  # fmt: skip
    last = max(line.facts, key=lambda f: f.position) if line.facts else None
    what = f"{line.item_name}" + (f" ({line.remark})" if line.remark else "")
    entry = Entry(
        position=last.position if last else None,
        event_type="fact" if len(line.facts) == 1 else "facts",
        what=what,
        points=line.points,
        category=category,
        item=line.item,
        rulebook=rulebook,
        occurred_on=last.occurred_on.isoformat() if last else None,
        recorded_by=last.recorded_by if last else None,
        recorded_at=last.recorded_at.isoformat() if last else None,
        event_id=last.event_id if last else None,
        inputs=dict(line.inputs),
        facts=facts,
    )
    return (last.position if last else 2**62, entry)


def _history(
    view: ScoreboardView, agent_id: str, month: Month, as_of: int
) -> list[tuple[int, Entry]]:
    """What no longer counts, disputes, and the period's closes and reopenings."""
    return [
        *_no_longer_counting(view, agent_id, month, as_of),
        *_disputes(view, agent_id, month, as_of),
        *_period_events(view, month, as_of),
    ]


def _no_longer_counting(
    view: ScoreboardView, agent_id: str, month: Month, as_of: int
) -> list[tuple[int, Entry]]:
    """Facts superseded or excluded by ``as_of``."""
    found: list[tuple[int, Entry]] = []
    for row in view.fact_history(agent_id, month):
        fact = row.fact
        if fact.position > as_of:
            continue
        gone = row.superseded_by is not None and row.superseded_by <= as_of
        if not (gone or row.excluded):
            continue
        status = f"superseded at position {row.superseded_by}" if gone else row.excluded
        item = getattr(fact, "item", None) or getattr(fact, "metric", None)
        found.append(
            (fact.position, Entry(
                fact.position, row.source, f"{item} no longer counts",
                status=status or "excluded", item=item,
                occurred_on=fact.occurred_on.isoformat(), recorded_by=fact.recorded_by,
                recorded_at=fact.recorded_at.isoformat(), event_id=fact.event_id,
            ))
        )  # fmt: skip
    return found


def _disputes(
    view: ScoreboardView, agent_id: str, month: Month, as_of: int
) -> list[tuple[int, Entry]]:
    """Disputes of the month's deductions and their resolutions, by ``as_of``."""
    found: list[tuple[int, Entry]] = []
    for dispute in view.disputes(agent_id, str(month)):
        if dispute.disputed_position <= as_of:
            what = f"dispute {dispute.number} of deduction {dispute.deduction_id} " \
                   f"by {dispute.disputed_by}: {dispute.reason}"  # fmt: skip
            found.append(
                (dispute.disputed_position, Entry(
                    dispute.disputed_position, "Deduction.Disputed", what,
                    status="open" if dispute.open_at(as_of) else "resolved",
                    recorded_by=dispute.disputed_by,
                    recorded_at=dispute.disputed_at.isoformat(),
                ))
            )  # fmt: skip
        resolved = dispute.resolved_position
        if resolved is not None and resolved <= as_of:
            what = (
                f"dispute {dispute.number} {dispute.outcome} by {dispute.resolved_by}"
            )
            found.append(
                (resolved, Entry(
                    resolved, "Deduction.DisputeResolved",
                    what + (f": {dispute.note}" if dispute.note else ""),
                    status=dispute.outcome or "", recorded_by=dispute.resolved_by,
                    recorded_at=dispute.resolved_at.isoformat() if dispute.resolved_at
                    else None,
                ))
            )  # fmt: skip
    return found


def _period_events(
    view: ScoreboardView, month: Month, as_of: int
) -> list[tuple[int, Entry]]:
    """The period's closes, publications and reopenings, by ``as_of``."""
    found: list[tuple[int, Entry]] = []
    for entry in view.period(month).history:
        if entry["position"] <= as_of:
            reason = f": {entry['reason']}" if entry.get("reason") else ""
            found.append(
                (entry["position"], Entry(
                    entry["position"], f"Period.{entry['event'].capitalize()}",
                    f"{month} {entry['event']} by {entry['by']}{reason}",
                    status=entry["event"], recorded_by=entry["by"],
                    recorded_at=entry["at"],
                ))
            )  # fmt: skip
    return found


# What a change did to everyone


def standings_at(view: ScoreboardView, month: Month, as_of: int) -> dict[str, Standing]:
    """Every agent's total, rank, grade and commission in ``month``, whether they
    are in the quarter's rewarded places and in the month's bottom group."""
    rulebook = view.catalog(as_of).for_month(month)
    ranking = view.ranking(month, as_of=as_of)
    laggards = bottom([e for e in ranking if e.rank is not None], rulebook.bottom_group)
    places = len(rulebook.quarter_rewards) or 3
    months = quarter_months(month.year, (month.month + 2) // 3)
    quarter = quarter_standings(view, months, as_of)
    leaders = {s.agent_id for s in quarter if s.place <= places}
    return {
        e.agent_id: Standing(
            rulebook=rulebook.ref,
            total=e.total,
            categories=(),
            rank=e.rank or 0,
            grade=rulebook.grade_for(e.total),
            commission=points(rulebook.commission_base * e.total / 100),
            in_top=e.agent_id in leaders,
            in_bottom=e.agent_id in laggards,
        )
        for e in ranking
    }


def cascade(
    view: ScoreboardView, month: Month, before: int, after: int
) -> list[Change]:
    """Each agent whose standing differs between two log positions."""
    old, new = standings_at(view, month, before), standings_at(view, month, after)
    return [
        Change(agent, str(month), old[agent], new[agent])
        for agent in sorted(old.keys() & new.keys())
        if old[agent].outcome() != new[agent].outcome()
    ]
