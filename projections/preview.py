"""What-if: score the recorded facts under a candidate rulebook and diff the result
against the rules in force. Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.month import Month
from domain.ranking import bottom, rank, top
from domain.rulebook import Rulebook
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
    in_top: bool
    in_bottom: bool

    def outcome(self) -> tuple[object, ...]:
        """What is compared: the rulebook's name is not an outcome."""
        return (
            self.total,
            self.categories,
            self.rank,
            self.grade,
            self.commission,
            self.in_top,
            self.in_bottom,
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
    def top(self) -> str | None:
        return _movement(self.before.in_top, self.after.in_top)

    @property
    def bottom(self) -> str | None:
        return _movement(self.before.in_bottom, self.after.in_bottom)


def _movement(before: bool, after: bool) -> str | None:
    if before == after:
        return None
    return "enters" if after else "leaves"


@dataclass(frozen=True)
class Preview:
    months: tuple[str, ...]
    compared: int
    changes: tuple[Change, ...]

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
            in_top=r.agent_id in leaders,
            in_bottom=r.agent_id in laggards,
        )
        for r in ranked
    }


def preview(
    view: ScoreboardView, candidate: Rulebook, months: Sequence[Month]
) -> Preview:
    """Every agent-month of ``months``: the rules in force against ``candidate``."""
    catalog = view.catalog()
    ledgers = view.facts_of_months(months)
    roster = view.agents()
    changes: list[Change] = []
    compared = 0
    for month in months:
        present = {
            a.agent_id: ledgers.get((a.agent_id, str(month)), [])
            for a in roster
            if a.present_in(month)
        }
        before = standings(catalog.for_month(month), present)
        after = standings(candidate, present)
        compared += len(present)
        changes.extend(
            Change(agent, str(month), before[agent], after[agent])
            for agent in sorted(present)
            if before[agent].outcome() != after[agent].outcome()
        )
    return Preview(tuple(str(m) for m in months), compared, tuple(changes))
