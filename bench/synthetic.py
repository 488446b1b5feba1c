"""Deterministic synthetic appraisal data that benchmarks share.

``generate(events=..., agents=..., seed=...)`` always returns the same roster
and the same deductions for the same arguments: ids, items, dates and notes all
come from one ``random.Random(seed)``. Deductions fall on real dates of one
year, use the rule items of the shipped rulebook (quantity 1 for items that
count once a month, 1-3 otherwise) and are ordered by date, the way they are
recorded in practice.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from domain.rulebook import FIRST_EDITION, Occurrence, Rulebook, shipped_rulebook

DEFAULT_SEED = 2025
DEFAULT_TEAMS = 10
DEFAULT_YEAR = 2025
QUANTITIES = (1, 2, 3)
QUANTITY_WEIGHTS = (6, 3, 1)
NOTES = (
    "",
    "",
    "customer complaint",
    "found in QA review",
    "reported by the supervisor",
    "system alert",
    "see ticket",
)
EVIDENCE_SHARE = 0.3


@dataclass(frozen=True)
class Dataset:
    """A roster and the deductions recorded against it."""

    agents: tuple[NewAgent, ...]
    deductions: tuple[NewDeduction, ...]
    seed: int

    @property
    def teams(self) -> frozenset[str]:
        return frozenset(agent.team for agent in self.agents)

    def agent_months(self) -> frozenset[tuple[str, str]]:
        """Every (agent id, ``YYYY-MM``) that has at least one deduction."""
        return frozenset(
            (d.agent_id, str(Month.of(d.occurred_on))) for d in self.deductions
        )


def generate(
    *,
    events: int,
    agents: int,
    teams: int = DEFAULT_TEAMS,
    seed: int = DEFAULT_SEED,
    year: int = DEFAULT_YEAR,
    rulebook: Rulebook | None = None,
) -> Dataset:
    """``events`` deductions over ``year`` for ``agents`` agents in ``teams`` teams."""
    if events < 0 or agents < 1 or teams < 1:
        raise ValueError("need events >= 0, agents >= 1 and teams >= 1")
    rng = random.Random(seed)
    roster = make_agents(agents, min(teams, agents))
    items = rule_items(rulebook or shipped_rulebook(FIRST_EDITION))
    deductions = make_deductions(rng, roster, items, events, year)
    return Dataset(agents=tuple(roster), deductions=tuple(deductions), seed=seed)


def make_agents(count: int, teams: int) -> list[NewAgent]:
    """Agents ``A00001``... spread round-robin over ``team-01``...``team-NN``."""
    roster = []
    for number in range(1, count + 1):
        team = (number - 1) % teams + 1
        roster.append(
            NewAgent(
                agent_id=f"A{number:05d}",
                name=f"Agent {number:05d}",
                team=f"team-{team:02d}",
                supervisor=f"supervisor-{team:02d}",
                joined_on=None,
            )
        )
    return roster


def rule_items(rulebook: Rulebook) -> tuple[Occurrence, ...]:
    """Every deduction item of the rulebook, in the rulebook's order."""
    return tuple(
        item
        for category in rulebook.categories
        for item in category.items
        if isinstance(item, Occurrence) and item.points <= 0
    )


def make_deductions(
    rng: random.Random,
    roster: Sequence[NewAgent],
    items: Sequence[Occurrence],
    count: int,
    year: int,
) -> list[NewDeduction]:
    """``count`` deductions on random real dates of ``year``, sorted by date."""
    deductions = [_deduction(rng, roster, items, year) for _ in range(count)]
    deductions.sort(key=lambda d: d.occurred_on)  # stable: ties keep their order
    return deductions


def _deduction(
    rng: random.Random,
    roster: Sequence[NewAgent],
    items: Sequence[Occurrence],
    year: int,
) -> NewDeduction:
    agent = rng.choice(roster)
    item = rng.choice(items)
    deduction_id = UUID(int=rng.getrandbits(128), version=4)
    return NewDeduction(
        agent_id=agent.agent_id,
        item=item.code,
        occurred_on=random_day(rng, year),
        quantity=quantity_for(rng, item),
        note=rng.choice(NOTES),
        evidence_ref=_evidence(rng, deduction_id),
        deduction_id=deduction_id,
    )


def random_day(rng: random.Random, year: int) -> date:
    """A real date: a month of ``year``, then a day that month has."""
    month = rng.randint(1, 12)
    return date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))


def quantity_for(rng: random.Random, item: Occurrence) -> int:
    """1 for items that count once a month (the application insists), else 1-3."""
    if item.once_per_month:
        return 1
    return rng.choices(QUANTITIES, weights=QUANTITY_WEIGHTS)[0]


def _evidence(rng: random.Random, deduction_id: UUID) -> str | None:
    if rng.random() >= EVIDENCE_SHARE:
        return None
    return f"evidence/{deduction_id.hex[:12]}.png"
