"""The single source of truth for points: ``score(rulebook, facts) -> Scorecard``.

Pure and deterministic: the live projection, rebuilds and previews all call it,
so they cannot disagree. Facts are applied in log order (notification position).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from domain.rulebook import Category, Item, Rulebook

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Fact:
    """A recorded occurrence of a rule item for one agent in one month."""

    fact_id: str
    event_id: str
    position: int
    item: str
    quantity: int
    occurred_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Line:
    """One fact as the rulebook valued it."""

    fact: Fact
    item_name: str
    points: Decimal
    remark: str = ""


@dataclass(frozen=True)
class CategoryScore:
    code: str
    name: str
    max: Decimal
    score: Decimal
    floor_applied: bool
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Scorecard:
    rulebook_id: str
    rulebook_version: int
    total: Decimal
    categories: tuple[CategoryScore, ...]
    unscored: tuple[Line, ...]


def points(value: Decimal) -> Decimal:
    """Round to the scorecard's precision: hundredths, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def score(rulebook: Rulebook, facts: Iterable[Fact]) -> Scorecard:
    """Value every fact under ``rulebook`` and total the categories."""
    lines: dict[str, list[Line]] = {c.code: [] for c in rulebook.categories}
    unscored: list[Line] = []
    moved: dict[str, Decimal] = {}
    for fact in sorted(facts, key=lambda f: f.position):
        category, item = rulebook.category_of(fact.item), rulebook.item(fact.item)
        if category is None or item is None:
            remark = f"not a rule item of {rulebook.id} v{rulebook.version}"
            unscored.append(Line(fact, fact.item, ZERO, remark))
            continue
        line = _value(item, fact, moved.get(item.code))
        moved[item.code] = moved.get(item.code, ZERO) + line.points
        lines[category.code].append(line)
    categories = tuple(_total(c, lines[c.code]) for c in rulebook.categories)
    return Scorecard(
        rulebook_id=rulebook.id,
        rulebook_version=rulebook.version,
        total=sum((c.score for c in categories), ZERO),
        categories=categories,
        unscored=tuple(unscored),
    )


def _value(item: Item, fact: Fact, moved_so_far: Decimal | None) -> Line:
    """Points of one fact, given what earlier facts of the same item already moved."""
    if item.once_per_month and moved_so_far is not None:
        return Line(fact, item.name, ZERO, "already counted once this month")
    wanted = item.points * (1 if item.once_per_month else fact.quantity)
    if item.monthly_cap is None:
        return Line(fact, item.name, wanted)
    room = item.monthly_cap - abs(moved_so_far or ZERO)
    if abs(wanted) <= room:
        return Line(fact, item.name, wanted)
    capped = room.copy_sign(wanted) if room > 0 else ZERO
    return Line(fact, item.name, capped, f"monthly cap of {item.monthly_cap} reached")


def _total(category: Category, lines: list[Line]) -> CategoryScore:
    raw = category.max + sum((line.points for line in lines), ZERO)
    bounded = min(max(raw, ZERO), category.max)
    return CategoryScore(
        code=category.code,
        name=category.name,
        max=category.max,
        score=points(bounded),
        floor_applied=raw < ZERO,
        lines=tuple(lines),
    )
