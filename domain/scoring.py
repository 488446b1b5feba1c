"""The single source of truth for points: ``score(rulebook, facts) -> Scorecard``.

Pure and deterministic: the live projection, rebuilds, previews and explanations
all call it, so they cannot disagree. Facts are applied in log order
(notification position); every line keeps the facts behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from domain.metrics import Aggregation, aggregation_of
from domain.rulebook import (
    Assessor,
    Category,
    MetricBands,
    MetricItem,
    MetricScale,
    MissingRatings,
    Mode,
    Occurrence,
    RatingItem,
    Rulebook,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")


def points(value: Decimal) -> Decimal:
    """Round to the scorecard's precision: hundredths, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class Fact:
    """Something recorded about one agent in one month, and where it is in the log."""

    fact_id: str
    event_id: str
    position: int
    occurred_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class Occurred(Fact):
    """An occurrence of a rule item: a deduction, a complaint, a promotion activity."""

    item: str
    quantity: Decimal | int = 1
    severity: str | None = None
    points: Decimal | None = None
    """Points set by a dispute's adjustment, replacing the rule item's."""


@dataclass(frozen=True, kw_only=True)
class MetricSample(Fact):
    """A part of a monthly metric: the month's value is the sum of numerators
    over the sum of denominators (conversions / consultations, say)."""

    metric: str
    numerator: Decimal
    denominator: Decimal


@dataclass(frozen=True, kw_only=True)
class Rated(Fact):
    """One rater's rating of the agent for the month; a later one by the same
    rater and assessor replaces it."""

    assessor: Assessor
    rater: str
    value: Decimal


@dataclass(frozen=True)
class Line:
    """A rule item's effect on the scorecard and the facts behind it."""

    item: str
    item_name: str
    points: Decimal
    facts: tuple[Fact, ...] = ()
    remark: str = ""
    fine: Decimal = ZERO
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def fact(self) -> Fact | None:
        """The one fact behind an occurrence line."""
        return self.facts[0] if len(self.facts) == 1 else None


@dataclass(frozen=True)
class CategoryScore:
    code: str
    name: str
    max: Decimal
    mode: Mode
    score: Decimal
    raw: Decimal
    lines: tuple[Line, ...]

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


@dataclass
class _Month:
    """The facts of an agent-month, sorted into what each kind of item reads."""

    occurrences: dict[str, list[Occurred]] = field(default_factory=dict)
    samples: dict[str, list[MetricSample]] = field(default_factory=dict)
    ratings: dict[tuple[Assessor, str], Rated] = field(default_factory=dict)
    unscored: list[Line] = field(default_factory=list)


def score(rulebook: Rulebook, facts: Iterable[Fact]) -> Scorecard:
    """Value every fact under ``rulebook`` and total the categories."""
    month = _sort(rulebook, facts)
    missing: list[str] = []
    categories = tuple(
        _category(category, month, missing) for category in rulebook.categories
    )
    total = sum((c.score for c in categories), ZERO)
    fines = sum((line.fine for c in categories for line in c.lines), ZERO)
    return Scorecard(
        rulebook_id=rulebook.id,
        rulebook_version=rulebook.version,
        total=total,
        categories=categories,
        unscored=tuple(month.unscored),
        missing=tuple(missing),
        grade=rulebook.grade_for(total),
        commission=points(rulebook.commission_base * total / 100),
        fines=fines,
        currency=rulebook.currency,
    )


def _sort(rulebook: Rulebook, facts: Iterable[Fact]) -> _Month:
    month = _Month()
    for fact in sorted(facts, key=lambda f: f.position):
        if isinstance(fact, Occurred):
            if isinstance(rulebook.item(fact.item), Occurrence):
                month.occurrences.setdefault(fact.item, []).append(fact)
            else:
                remark = f"not a rule item of {rulebook.ref}"
                month.unscored.append(Line(fact.item, fact.item, ZERO, (fact,), remark))
        elif isinstance(fact, MetricSample):
            month.samples.setdefault(fact.metric, []).append(fact)
        elif isinstance(fact, Rated):
            month.ratings[(fact.assessor, fact.rater)] = fact
    return month


def _category(category: Category, month: _Month, missing: list[str]) -> CategoryScore:
    lines: list[Line] = []
    for item in category.items:
        if isinstance(item, Occurrence):
            lines.extend(_occurrences(item, month.occurrences.get(item.code, [])))
        elif isinstance(item, MetricItem):
            lines.append(_metric(item, month.samples.get(item.metric, []), missing))
        elif isinstance(item, RatingItem):
            lines.append(_rating(item, list(month.ratings.values()), missing))
    moved = sum((line.points for line in lines), ZERO)
    raw = category.max + moved if category.mode is Mode.DEDUCT else moved
    return CategoryScore(
        code=category.code,
        name=category.name,
        max=category.max,
        mode=category.mode,
        score=points(min(max(raw, ZERO), category.max)),
        raw=raw,
        lines=tuple(lines),
    )


def _occurrences(item: Occurrence, facts: Sequence[Occurred]) -> list[Line]:
    """One line per fact; once-a-month items and monthly caps limit the points."""
    lines = []
    moved = ZERO
    for index, fact in enumerate(facts):
        severity = item.severity(fact.severity)
        each, fine = (
            (severity.points, severity.fine) if severity else (item.points, item.fine)
        )
        remark = f"severity {severity.code}" if severity else ""
        if item.once_per_month and index > 0:
            lines.append(
                Line(
                    item.code,
                    item.name,
                    ZERO,
                    (fact,),
                    "already counted once this month",
                )
            )
            continue
        wanted = each * (1 if item.once_per_month else fact.quantity)
        if fact.points is not None:
            wanted, remark = fact.points, "points set when a dispute was resolved"
        if item.monthly_cap is not None and abs(moved + wanted) > item.monthly_cap:
            room = max(item.monthly_cap - abs(moved), ZERO)
            wanted = room.copy_sign(wanted) if room else ZERO
            remark = f"monthly cap of {item.monthly_cap} reached"
        moved += wanted
        lines.append(
            Line(
                item.code,
                item.name,
                points(wanted),
                (fact,),
                remark,
                fine * fact.quantity,
            )
        )
    return lines


def _metric(
    item: MetricItem, samples: Sequence[MetricSample], missing: list[str]
) -> Line:
    numerator = sum((s.numerator for s in samples), ZERO)
    denominator = sum((s.denominator for s in samples), ZERO)
    summed = aggregation_of(item.metric) is Aggregation.SUM
    if not samples or (denominator == 0 and not summed):
        missing.append(item.code)
        return Line(
            item.code, item.name, ZERO, tuple(samples), f"no data for {item.metric}"
        )
    value = numerator if summed else numerator / denominator
    inputs = [
        ("metric", item.metric),
        ("numerator", str(numerator)),
        ("denominator", str(denominator)),
        ("value", str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))),
    ]
    if isinstance(item, MetricBands):
        band = item.band_for(value)
        earned = band.points if band else ZERO
        inputs.append(("band", _band_text(band) if band else "outside every band"))
    elif isinstance(item, MetricScale):
        earned = item.points_for(value)
        inputs.append(
            (
                "scale",
                f"{item.from_value}->{item.from_points} .. "
                f"{item.to_value}->{item.to_points}",
            )
        )
    else:  # pragma: no cover - every metric item is bands or a scale
        raise TypeError(item)
    return Line(
        item.code, item.name, points(earned), tuple(samples), inputs=tuple(inputs)
    )


def _band_text(band: object) -> str:
    low = getattr(band, "low", None)
    high = getattr(band, "high", None)
    return f"[{'-inf' if low is None else low}, {'inf' if high is None else high})"


def _rating(item: RatingItem, ratings: Sequence[Rated], missing: list[str]) -> Line:
    """Average each assessor's raters, weight the averages, scale to max_points.
    Assessors with weight 0 do not count."""
    weights = {a: w for a, w in item.weights if w > 0}
    averages: dict[Assessor, Decimal] = {}
    for assessor in weights:
        given = [r.value for r in ratings if r.assessor is assessor]
        if given:
            averages[assessor] = sum(given, ZERO) / len(given)
    absent = [a for a in weights if a not in averages]
    if not averages:
        missing.append(item.code)
    elif item.missing is MissingRatings.INCOMPLETE:
        missing.extend(f"{item.code}:{a.value}" for a in absent)
    share = dict(weights)
    if item.missing is MissingRatings.RENORMALISE and averages:
        present = sum((weights[a] for a in averages), ZERO)
        share = {a: weights[a] / present for a in averages}
    weighted = sum((share[a] * averages[a] / item.scale_max for a in averages), ZERO)
    inputs = tuple(
        (a.value, f"avg {averages[a]:.2f} x weight {share[a]:.4f}") for a in averages
    ) + tuple((a.value, "not rated") for a in absent)
    used = tuple(r for r in ratings if r.assessor in weights)
    return Line(
        item.code,
        item.name,
        points(item.max_points * weighted),
        used,
        "" if averages else "no ratings",
        inputs=inputs,
    )
