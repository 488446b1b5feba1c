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

from domain.facts import Fact
from domain.month import Month
from domain.ranking import bottom
from domain.scoring import ZERO, Line, points
from projections.cycle import quarter_months, quarter_standings
from projections.preview import Change, Standing
from projections.records import FactEntry
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
    detail: dict[str, Any] = field(default_factory=dict)
    """What the fact was (an entry of one fact): a deduction's note and
    evidence, a complaint's number and text, ..."""
    replaces: list[int] = field(default_factory=list)
    """The positions of the rows this fact corrected (they no longer count)."""
    item_name: str | None = None
    """The rule item's name as the rulebook writes it (``what`` begins with
    it), so that a reader gets it in their language."""


class Ledger:
    """The agent-month's ledger rows as of a position: each fact's detail, and
    which rows a correction replaced."""

    def __init__(self, history: list[FactEntry], as_of: int) -> None:
        self.rows = [row for row in history if row.fact.position <= as_of]
        self.as_of = as_of
        self.details = {(r.fact.position, _item(r.fact)): r.detail for r in self.rows}
        self.replaced: dict[int, list[int]] = {}
        for row in self.rows:
            if row.superseded_by is not None and row.superseded_by <= as_of:
                replaced = self.replaced.setdefault(row.superseded_by, [])
                if row.fact.position not in replaced:
                    replaced.append(row.fact.position)

    def detail(self, fact: Fact) -> dict[str, Any]:
        return dict(self.details.get((fact.position, _item(fact)), {}))

    def live(self, row: FactEntry) -> bool:
        gone = row.superseded_by is not None and row.superseded_by <= self.as_of
        return not (gone or row.excluded)


def _item(fact: Fact) -> str:
    """The ledger's item of a fact: its rule item, metric or assessor."""
    for name in ("item", "metric", "assessor"):
        if getattr(fact, name, None) is not None:
            return str(getattr(fact, name))
    return ""


# Kept in the ledger for scoring rather than said by the fact itself.
_NOT_CONTENT = frozenset({"quantity", "numerator", "denominator", "points"})


def content(detail: dict[str, Any]) -> str:
    """A fact's own content in words: ``note: rude reply; evidence_ref: T-9``;
    a metric's part as ``numerator/denominator``."""
    said = [
        f"{key}: {value}"
        for key, value in detail.items()
        if key not in _NOT_CONTENT and value not in ("", None)
    ]
    if "numerator" in detail and "denominator" in detail:
        said.insert(0, f"{detail['numerator']}/{detail['denominator']}")
    return "; ".join(said)


def _said(what: str, detail: dict[str, Any], replaces: list[int]) -> str:
    """``what``, with the fact's content and what it corrected."""
    said = content(detail)
    if replaces:
        replaced = ", ".join(map(str, replaces))
        said = "; ".join(filter(None, [said, f"corrects position {replaced}"]))
    return f"{what}: {said}" if said else what


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
    ledger = Ledger(view.fact_history(agent_id, month), as_of)
    start = sum((c.start for c in card.categories), ZERO)
    scored: list[tuple[int, Entry]] = []
    for category in card.categories:
        for line in category.lines:
            scored.append(_line(line, category.code, rulebook.ref, ledger))
    for line in card.unscored:
        at, unscored = _line(line, None, rulebook.ref, ledger)
        scored.append((at, Entry(**{**unscored.__dict__, "status": "unscored"})))
    covered = {
        (f.position, _item(f))
        for line in [*card.unscored, *(ln for c in card.categories for ln in c.lines)]
        for f in line.facts
    }
    history = [
        *_corrections_not_scored(ledger, covered, rulebook.ref),
        *_history(view, agent_id, month, ledger),
    ]
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


def _line(
    line: Line, category: str | None, rulebook: str, ledger: Ledger
) -> tuple[int, Entry]:
    """A scorecard line as an entry at the position of its last fact; each
    fact with what it was and what it corrected."""
    facts = [
        {"fact_id": f.fact_id, "event_id": f.event_id, "position": f.position,
         "occurred_on": f.occurred_on.isoformat(), "recorded_by": f.recorded_by,
         "detail": ledger.detail(f), "replaces": ledger.replaced.get(f.position, [])}
        for f in line.facts
    ]  # fmt: skip
    last = max(line.facts, key=lambda f: f.position) if line.facts else None
    what = f"{line.item_name}" + (f" ({line.remark})" if line.remark else "")
    one = facts[0] if len(facts) == 1 else {"detail": {}, "replaces": []}
    entry = Entry(
        position=last.position if last else None,
        event_type="fact" if len(line.facts) == 1 else "facts",
        what=_said(what, one["detail"], one["replaces"]),
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
        detail=one["detail"],
        replaces=one["replaces"],
        item_name=line.item_name,
    )
    return (last.position if last else 2**62, entry)


def _corrections_not_scored(
    ledger: Ledger, covered: set[tuple[int, str]], rulebook: str
) -> list[tuple[int, Entry]]:
    """Corrections that feed nothing the rulebook scores (chat statistics
    under a rulebook that reads no chat metric): shown beside the rows they
    replaced, which are listed as no longer counting."""
    found: list[tuple[int, Entry]] = []
    for position, replaces in ledger.replaced.items():
        rows = [
            r for r in ledger.rows
            if r.fact.position == position and ledger.live(r)
            and (position, _item(r.fact)) not in covered
        ]  # fmt: skip
        if not rows:
            continue
        fact = rows[0].fact
        items = ", ".join(_item(r.fact) for r in rows)
        detail = {_item(r.fact): r.detail for r in rows}
        what = f"{rows[0].source} corrected, not scored by {rulebook}"
        parts = "; ".join(f"{_item(r.fact)} {content(r.detail)}" for r in rows)
        replaced = ", ".join(map(str, replaces))
        found.append(
            (position, Entry(
                position, rows[0].source,
                f"{what}: {parts}; corrects position {replaced}",
                status="not scored", item=items, rulebook=rulebook,
                occurred_on=fact.occurred_on.isoformat(), recorded_by=fact.recorded_by,
                recorded_at=fact.recorded_at.isoformat(), event_id=fact.event_id,
                facts=[{"fact_id": r.fact.fact_id, "event_id": r.fact.event_id,
                        "position": position, "item": _item(r.fact),
                        "detail": r.detail} for r in rows],
                detail=detail, replaces=replaces,
            ))
        )  # fmt: skip
    return found


def _history(
    view: ScoreboardView, agent_id: str, month: Month, ledger: Ledger
) -> list[tuple[int, Entry]]:
    """What no longer counts, disputes, and the period's closes and reopenings."""
    return [
        *_no_longer_counting(ledger),
        *_disputes(view, agent_id, month, ledger.as_of),
        *_period_events(view, month, ledger.as_of),
    ]


def _no_longer_counting(ledger: Ledger) -> list[tuple[int, Entry]]:
    """Facts superseded or excluded by the ledger's position, with what they were."""
    found: list[tuple[int, Entry]] = []
    for row in ledger.rows:
        if ledger.live(row):
            continue
        fact = row.fact
        gone = row.superseded_by is not None and row.superseded_by <= ledger.as_of
        status = f"superseded at position {row.superseded_by}" if gone else row.excluded
        item = _item(fact)
        found.append(
            (fact.position, Entry(
                fact.position, row.source,
                _said(f"{item} no longer counts", row.detail, []),
                status=status or "excluded", item=item,
                occurred_on=fact.occurred_on.isoformat(), recorded_by=fact.recorded_by,
                recorded_at=fact.recorded_at.isoformat(), event_id=fact.event_id,
                detail=dict(row.detail),
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
    are in the month's top places, in the quarter's rewarded places and in the
    month's bottom group."""
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
            in_top_of_month=e.rank is not None and e.rank <= places,
            in_bottom=e.agent_id in laggards,
            rewarded=e.agent_id in leaders,
        )
        for e in ranking
    }


def cascade(
    view: ScoreboardView, month: Month, before: int, after: int
) -> list[Change]:
    """Each agent whose standing differs between two log positions."""
    return differences(
        month, standings_at(view, month, before), standings_at(view, month, after)
    )


def differences(
    month: Month, old: dict[str, Standing], new: dict[str, Standing]
) -> list[Change]:
    """Each agent whose standing in ``month`` differs from ``old`` to ``new``."""
    return [
        Change(agent, str(month), old[agent], new[agent])
        for agent in sorted(old.keys() & new.keys())
        if old[agent].outcome() != new[agent].outcome()
    ]
