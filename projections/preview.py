"""What-if: score the recorded facts under a candidate rulebook and diff the result
against the rules in force. Nothing is stored.

The candidate is taken as published now from an effective month: it changes
only the months it would govern (``domain.reach``), as a rebuild of the same
document would; later versions already in force keep theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.month import Month
from domain.ranking import bottom, rank, top
from domain.reach import Reach, reach
from domain.register import next_version
from domain.rulebook import Rulebook, rulebook_of
from domain.scoring import Fact, score
from projections.scoreboard import ScoreboardView

LARGEST_MOVES = 5
"""How many of the largest score moves a preview or a rebuild reports."""


@dataclass(frozen=True)
class Standing:
    """One agent-month under one rulebook: everything a rule change can move."""

    rulebook: str
    total: Decimal
    categories: tuple[tuple[str, Decimal], ...]
    rank: int
    grade: str | None
    commission: Decimal
    in_top_of_month: bool
    """Ranked within the month's top places (as many as the quarter rewards)."""
    in_bottom: bool
    rewarded: bool | None = None
    """In the quarter's rewarded places; None where only a month is scored."""

    def outcome(self) -> tuple[object, ...]:
        """What is compared: the rulebook's name is not an outcome."""
        return (
            self.total,
            self.categories,
            self.rank,
            self.grade,
            self.commission,
            self.in_top_of_month,
            self.in_bottom,
            self.rewarded,
        )


@dataclass(frozen=True)
class Change:
    agent_id: str
    month: str
    before: Standing
    after: Standing

    @property
    def delta(self) -> Decimal:
        return self.after.total - self.before.total

    @property
    def top_of_month(self) -> str | None:
        return _movement(self.before.in_top_of_month, self.after.in_top_of_month)

    @property
    def rewarded(self) -> str | None:
        before, after = self.before.rewarded, self.after.rewarded
        return None if before is None or after is None else _movement(before, after)

    @property
    def bottom(self) -> str | None:
        return _movement(self.before.in_bottom, self.after.in_bottom)


def _movement(before: bool | None, after: bool | None) -> str | None:
    if before == after:
        return None
    return "enters" if after else "leaves"


@dataclass(frozen=True)
class Preview:
    months: tuple[str, ...]
    compared: int
    changes: tuple[Change, ...]
    reach: Reach

    @property
    def scored_under(self) -> tuple[tuple[str, Rulebook, bool], ...]:
        """Each month, the version it would be scored under, and whether that
        is the candidate."""
        return tuple(
            (month, self.reach.scored_under(found), self.reach.governs(found))
            for month in self.months
            for found in [Month.parse(month)]
        )

    @property
    def governed(self) -> tuple[str, ...]:
        """The months the candidate would govern: the only ones that can change."""
        return tuple(m for m in self.months if self.reach.governs(Month.parse(m)))

    @property
    def described(self) -> dict[str, Any]:
        """The reach as a rebuild's summary states it, warning of this range."""
        return reach_summary(self.reach, [Month.parse(m) for m in self.months])

    @property
    def agents_changed(self) -> int:
        return len({c.agent_id for c in self.changes})

    @property
    def largest_moves(self) -> tuple[Change, ...]:
        ordered = sorted(
            self.changes, key=lambda c: (-abs(c.delta), c.month, c.agent_id)
        )
        return tuple(ordered[:LARGEST_MOVES])


def standings(
    rulebook: Rulebook, ledgers: Mapping[str, Sequence[Fact]]
) -> dict[str, Standing]:
    """Score and rank the agents of one month (``ledgers`` keyed by agent id)."""
    cards = {agent: score(rulebook, facts) for agent, facts in ledgers.items()}
    ranked = rank({agent: card.total for agent, card in cards.items()})
    places = len(rulebook.quarter_rewards) or 3
    leaders, laggards = top(ranked, places), bottom(ranked, rulebook.bottom_group)
    return {
        r.agent_id: Standing(
            rulebook=rulebook.ref,
            total=r.total,
            categories=tuple((c.code, c.score) for c in cards[r.agent_id].categories),
            rank=r.rank,
            grade=cards[r.agent_id].grade,
            commission=cards[r.agent_id].commission,
            in_top_of_month=r.agent_id in leaders,
            in_bottom=r.agent_id in laggards,
        )
        for r in ranked
    }


def preview(
    view: ScoreboardView,
    candidate: Rulebook,
    months: Sequence[Month],
    effective_from: Month | None = None,
) -> Preview:
    """Every agent-month of ``months``: the rules in force against the same
    rules with ``candidate`` published from ``effective_from`` (default: the
    first of ``months``)."""
    catalog = view.catalog()
    published = (
        (r.publication.rulebook_id, r.publication.version) for r in view.publications()
    )
    numbered = rulebook_of(candidate.document, next_version(candidate.id, published))
    reached = reach(catalog, numbered, effective_from or months[0])
    governed = [m for m in months if reached.governs(m)]
    ledgers = view.facts_of_months(governed) if governed else {}
    roster = view.agents()
    changes: list[Change] = []
    compared = 0
    for month in months:
        present = {
            a.agent_id: ledgers.get((a.agent_id, str(month)), [])
            for a in roster
            if a.present_in(month)
        }
        compared += len(present)
        if not reached.governs(month):
            continue  # scored as it is now: nothing to compare
        before = standings(catalog.for_month(month), present)
        after = standings(reached.scored_under(month), present)
        changes.extend(
            Change(agent, str(month), before[agent], after[agent])
            for agent in sorted(present)
            if before[agent].outcome() != after[agent].outcome()
        )
    return Preview(tuple(str(m) for m in months), compared, tuple(changes), reached)


def reach_summary(
    reached: Reach, months: Sequence[Month] | None = None
) -> dict[str, Any]:
    """What a preview and a rebuild both say of a version's reach: the months it
    governs (``to`` null: every month on), the later versions in force that keep
    theirs, and a warning when they keep some (of ``months``, if given)."""
    last = reached.last()
    return {
        "governs": {
            "from": str(reached.effective_from),
            "to": None if last is None else str(last),
        },
        "kept_by": [
            {
                "rulebook_id": p.rulebook_id,
                "version": p.version,
                "effective_from": str(p.effective_from),
            }
            for p in reached.kept_by
        ],
        "warning": reached.warning(months),
    }
