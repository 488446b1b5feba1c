"""The single source of truth for points: ``score(rulebook, facts) -> Scorecard``.

Pure and deterministic: the live projection, rebuilds, previews and explanations
all call it, so they cannot disagree. Facts are applied in log order
(notification position); every line keeps the facts behind it, and each rule
item scores its own (``Item.lines``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.facts import (
    CENT,
    ZERO,
    Fact,
    Line,
    MetricSample,
    MonthFacts,
    Occurred,
    Rated,
    points,
)
from domain.rulebook import Category, Mode, Rulebook

__all__ = [
    "CENT",
    "ZERO",
    "CategoryScore",
    "Fact",
    "Line",
    "MetricSample",
    "Occurred",
    "Rated",
    "Scorecard",
    "Verdict",
    "points",
    "score",
    "verdict",
]


@dataclass(frozen=True)
class CategoryScore:
    """A category's score: where its mode starts (``start``), plus its lines'
    points (``raw``), kept between 0 and its maximum (``score``)."""

    code: str
    name: str
    max: Decimal
    mode: Mode
    score: Decimal
    raw: Decimal
    lines: tuple[Line, ...]

    @property
    def start(self) -> Decimal:
        return self.mode.start(self.max)

    @property
    def bounded(self) -> Decimal:
        """What the floor of 0 (positive) or the maximum (negative) changed."""
        return self.score - self.raw

    @property
    def floor_applied(self) -> bool:
        return self.raw < ZERO

    @property
    def cap_applied(self) -> bool:
        return self.raw > self.max


@dataclass(frozen=True)
class Scorecard:
    rulebook_id: str
    rulebook_version: int
    total: Decimal
    categories: tuple[CategoryScore, ...]
    unscored: tuple[Line, ...]
    missing: tuple[str, ...] = ()
    grade: str | None = None
    commission: Decimal = ZERO
    fines: Decimal = ZERO
    currency: str = "CNY"

    @property
    def complete(self) -> bool:
        return not self.missing

    def category(self, code: str) -> CategoryScore:
        return next(c for c in self.categories if c.code == code)


def score(rulebook: Rulebook, facts: Iterable[Fact]) -> Scorecard:
    """Value every fact under ``rulebook`` and total the categories."""
    month = MonthFacts.of(facts)
    categories = tuple(_category(category, month) for category in rulebook.categories)
    remark = f"not a rule item of {rulebook.ref}"
    unscored = tuple(
        Line(fact.item, fact.item, ZERO, (fact,), remark) for fact in month.untaken()
    )
    total = sum((c.score for c in categories), ZERO)
    fines = sum((line.fine for c in categories for line in c.lines), ZERO)
    return Scorecard(
        rulebook_id=rulebook.id,
        rulebook_version=rulebook.version,
        total=total,
        categories=categories,
        unscored=unscored,
        missing=tuple(month.missing),
        grade=rulebook.grade_for(total),
        commission=points(rulebook.commission_base * total / 100),
        fines=fines,
        currency=rulebook.currency,
    )


@dataclass(frozen=True)
class Verdict:
    """Whether the rules in force score a recorded fact, and if not, why."""

    scored: bool
    reason: str | None = None


def verdict(rulebook: Rulebook, facts: Sequence[Fact]) -> Verdict:
    """Whether ``rulebook`` scores what one recorded fact contributes
    (``facts``): ``score`` values them as a month of their own, so a fact is
    scored when a rule item's line reads it (0 points included: a check that
    passed), and unscored for the reasons ``score`` gives the scorecard."""
    card = score(rulebook, facts)
    read = {id(f) for c in card.categories for line in c.lines for f in line.facts}
    if any(id(f) in read for f in facts):
        return Verdict(True)
    reasons = [f"{line.item} is {line.remark}" for line in card.unscored]
    unread = sorted(
        {f"{f.metric}" for f in facts if isinstance(f, MetricSample)}
        | {f"{f.assessor.value} ratings" for f in facts if isinstance(f, Rated)}
    )
    if unread:
        reasons.append(f"no rule item of {rulebook.ref} reads {', '.join(unread)}")
    return Verdict(False, "; ".join(reasons) or "it contributes to no rule item")


def _category(category: Category, month: MonthFacts) -> CategoryScore:
    lines = tuple(line for item in category.items for line in item.lines(month))
    raw = category.mode.start(category.max) + sum((x.points for x in lines), ZERO)
    return CategoryScore(
        code=category.code,
        name=category.name,
        max=category.max,
        mode=category.mode,
        score=bounded(category, raw),
        raw=raw,
        lines=lines,
    )


def bounded(category: Category, raw: Decimal) -> Decimal:
    """A category's score: its raw points kept between 0 and its maximum."""
    return points(min(max(raw, ZERO), category.max))
