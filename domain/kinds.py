"""The kinds of rule item. Each is one class: its ``kind`` name, its fields,
the rules across them, its signed points, the modes it fits and its scorer.
Adding a kind is adding a class here and regenerating the fields table of
docs/rulebooks.md (``python -m domain.rulebook``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from domain.document import (
    CODE,
    Choice,
    Field,
    Flag,
    ListOf,
    Map,
    Number,
    Object,
    Reader,
)
from domain.facts import (
    ZERO,
    Assessor,
    Fact,
    Line,
    MonthFacts,
    Occurred,
    Rated,
    points,
)
from domain.items import Item, MissingRatings, Mode
from domain.metrics import Aggregation, aggregation_of
from domain.text import N_

ONE = Decimal(1)
Seen = tuple[int, Decimal]
"""Occurrences of an item so far this month, and how far they moved its category."""
UNSEEN: Seen = (0, ZERO)


@dataclass(frozen=True, kw_only=True)
class Severity:
    code: str
    points: Decimal
    fine: Decimal = ZERO


AT_LEAST_0 = Number(minimum=0)
ABOVE_0 = Number(minimum=0, exclusive_minimum=True)
SEVERITY = Object(
    name="Severity",
    fields=(
        Field("code", CODE, required=True, doc="the severity a fact names"),
        Field("points", Number(), required=True, doc="in place of `points`"),
        Field("fine", AT_LEAST_0, default=ZERO, doc="in place of `fine`"),
    ),
    build=lambda reader, values: Severity(**values),
)
POINTS = Field(
    "points",
    Number(),
    required=True,
    doc="points of one occurrence (≤ 0 in a deduct category, ≥ 0 in an accumulate "
    "one); a fact's `quantity` multiplies it",
)
ONCE = Field(
    "once_per_month",
    Flag(),
    default=False,
    doc="only the first occurrence in a month counts; later ones show as 0-point lines",
)
CAP = Field(
    "monthly_cap", ABOVE_0, doc="the most the item can move its category a month"
)


@dataclass(frozen=True, kw_only=True)
class Occurrence(Item, kind="occurrence"):
    """Points per occurrence of a fact: negative deducts (a complaint, -3)."""

    doc = "points per occurrence of a fact (a complaint, -3)"
    fields = (
        POINTS,
        ONCE,
        CAP,
        Field("fine", AT_LEAST_0, default=ZERO, doc="money deducted per occurrence"),
        Field(
            "severities",
            ListOf(element=SEVERITY),
            default=(),
            doc="a severity (`code`, `points`, `fine`) replaces the item's points "
            "and fine for a fact recorded with that severity",
        ),
    )
    points: Decimal
    once_per_month: bool = False
    monthly_cap: Decimal | None = None
    fine: Decimal = ZERO
    severities: tuple[Severity, ...] = ()

    def severity(self, code: str | None) -> Severity | None:
        if code is None or not self.severities:
            return None
        return next((s for s in self.severities if s.code == code), None)

    def signed_points(self) -> Iterator[tuple[str, Decimal]]:
        yield "points", self.points
        for index, severity in enumerate(self.severities):
            yield f"severities.{index}.points", severity.points

    def lines(self, month: MonthFacts) -> list[Line]:
        """One line per fact; once-a-month items and monthly caps limit the points."""
        lines, seen = [], UNSEEN
        for fact in month.take(self.code):
            line, seen = self.next_line(fact, seen)
            lines.append(line)
        return lines

    def next_line(self, fact: Occurred, seen: Seen) -> tuple[Line, Seen]:
        """The line of the month's next occurrence after ``seen`` (how many
        came before it and how far they moved the category), and what is
        seen after it: ``lines`` and a running total (``domain.tally``) both
        score occurrences through here."""
        index, moved = seen
        if self.once_per_month and index > 0:
            remark = N_("already counted once this month")
            return Line(self.code, self.name, ZERO, (fact,), remark), (index + 1, moved)
        wanted, fine, remark = self._wanted(fact)
        if self.monthly_cap is not None and abs(moved + wanted) > self.monthly_cap:
            room = max(self.monthly_cap - abs(moved), ZERO)
            wanted = room.copy_sign(wanted) if room else ZERO
            remark = N_("monthly cap of {cap} reached").format(cap=self.monthly_cap)
        fined = fine * fact.quantity
        line = Line(self.code, self.name, points(wanted), (fact,), remark, fined)
        return line, (index + 1, moved + wanted)

    def _wanted(self, fact: Occurred) -> tuple[Decimal, Decimal, str]:
        """The points and fine of one fact, and why, before any cap."""
        severity = self.severity(fact.severity)
        each, fine = (
            (severity.points, severity.fine) if severity else (self.points, self.fine)
        )
        if fact.points is not None:
            return fact.points, fine, N_("points set when a dispute was resolved")
        remark = N_("severity {code}").format(code=severity.code) if severity else ""
        return each * (1 if self.once_per_month else fact.quantity), fine, remark


@dataclass(frozen=True, kw_only=True)
class Credit(Occurrence, kind="credit"):
    """Points earned per occurrence (a promotion activity), up to the maximum."""

    doc = "an occurrence that earns points (> 0), only in accumulate categories"
    fields = (POINTS, ONCE, CAP)
    modes = frozenset({Mode.ACCUMULATE})


# Metrics


@dataclass(frozen=True, kw_only=True)
class Band:
    """Values from ``low`` (inclusive) up to ``high`` (exclusive) score ``points``."""

    low: Decimal | None
    high: Decimal | None
    points: Decimal

    def contains(self, value: Decimal) -> bool:
        return (self.low is None or value >= self.low) and (
            self.high is None or value < self.high
        )

    def text(self) -> str:
        low, high = self.low, self.high
        return f"[{'-inf' if low is None else low}, {'inf' if high is None else high})"


BAND = Object(
    name="Band",
    fields=(
        Field("min", Number(nullable=True), doc="the band's lowest value"),
        Field("max", Number(nullable=True), doc="the value above the band"),
        Field("points", Number(), required=True, doc="points of the band"),
    ),
    build=lambda reader, v: Band(low=v["min"], high=v["max"], points=v["points"]),
)
THRESHOLD = Object(
    name="Threshold",
    fields=(
        Field("value", Number(), required=True, doc="the metric's value"),
        Field("points", Number(), required=True, doc="its points"),
    ),
    build=lambda reader, values: (values["value"], values["points"]),
)
METRIC = Field(
    "metric",
    CODE,
    required=True,
    doc="the month's value: the sum of its samples' numerators over the sum of "
    "their denominators",
)


@dataclass(frozen=True, kw_only=True)
class MetricItem(Item):
    """Points from a monthly metric: the sum of numerators over the sum of
    denominators of the month's samples (a rate, an average or a total)."""

    metric: str

    def lines(self, month: MonthFacts) -> list[Line]:
        samples = month.samples.get(self.metric, [])
        numerator = sum((s.numerator for s in samples), ZERO)
        denominator = sum((s.denominator for s in samples), ZERO)
        line = self.line_of(numerator, denominator, len(samples), tuple(samples))
        if not self.measured(len(samples), denominator):
            month.missing.append(self.code)
        return [line]

    @property
    def summed(self) -> bool:
        """Whether the metric's value is its numerators' sum (else a ratio)."""
        return aggregation_of(self.metric) is Aggregation.SUM

    def measured(self, count: int, denominator: Decimal) -> bool:
        """Whether the month has a value: samples, and a denominator unless
        the metric is a sum."""
        return count > 0 and (denominator != 0 or self.summed)

    def line_of(
        self,
        numerator: Decimal,
        denominator: Decimal,
        count: int,
        samples: tuple[Fact, ...] = (),
    ) -> Line:
        """The line of ``count`` samples summing to ``numerator`` over
        ``denominator``: ``lines`` and a running total both score through here."""
        if not self.measured(count, denominator):
            remark = N_("no data for {metric}").format(metric=self.metric)
            return Line(self.code, self.name, ZERO, samples, remark)
        value = numerator if self.summed else numerator / denominator
        earned, shown = self.earned(value)
        inputs = (
            ("metric", self.metric),
            ("numerator", str(numerator)),
            ("denominator", str(denominator)),
            ("value", str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))),
            shown,
        )
        return Line(self.code, self.name, points(earned), samples, inputs=inputs)

    def earned(self, value: Decimal) -> tuple[Decimal, tuple[str, str]]:
        """The points of the month's value, and how they were found."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class MetricBands(MetricItem, kind="metric_bands"):
    doc = (
        "the month's metric value falls in one band (`min` inclusive, `max` "
        "exclusive, either open) and scores its `points`; bands may not overlap"
    )
    fields = (
        METRIC,
        Field(
            "bands",
            ListOf(element=BAND, min_items=1, too_few=N_("needs at least one band")),
            required=True,
            doc="the bands, in any order",
        ),
    )
    bands: tuple[Band, ...]

    @classmethod
    def build(cls, reader: Reader, values: dict[str, Any]) -> Item:
        ordered = sorted(
            values["bands"],
            key=lambda b: b.low if b.low is not None else Decimal("-Inf"),
        )
        for earlier, later in pairwise(ordered):
            if earlier.high is None or later.low is None or later.low < earlier.high:
                raise reader.fail(N_("bands overlap"), "bands")
        return cls(**{**values, "bands": tuple(ordered)})

    def band_for(self, value: Decimal) -> Band | None:
        return next((b for b in self.bands if b.contains(value)), None)

    def signed_points(self) -> Iterator[tuple[str, Decimal]]:
        for index, band in enumerate(self.bands):
            yield f"bands.{index}.points", band.points

    def earned(self, value: Decimal) -> tuple[Decimal, tuple[str, str]]:
        band = self.band_for(value)
        if band is None:
            return ZERO, ("band", "outside every band")
        return band.points, ("band", band.text())


@dataclass(frozen=True, kw_only=True)
class MetricScale(MetricItem, kind="metric_scale"):
    """Linear between two thresholds, flat beyond them."""

    doc = "linear between two thresholds (`value`, `points`), flat beyond them"
    fields = (
        METRIC,
        Field("from", THRESHOLD, required=True, doc="one threshold"),
        Field("to", THRESHOLD, required=True, doc="the other threshold"),
    )
    from_value: Decimal
    from_points: Decimal
    to_value: Decimal
    to_points: Decimal

    @classmethod
    def build(cls, reader: Reader, values: dict[str, Any]) -> Item:
        (start, at_start), (end, at_end) = values.pop("from"), values.pop("to")
        if start == end:
            raise reader.fail(N_("the two thresholds must differ"), "to", "value")
        return cls(
            **values,
            from_value=start,
            from_points=at_start,
            to_value=end,
            to_points=at_end,
        )

    def points_for(self, value: Decimal) -> Decimal:
        low, high = sorted((self.from_value, self.to_value))
        clamped = min(max(value, low), high)
        share = (clamped - self.from_value) / (self.to_value - self.from_value)
        return self.from_points + share * (self.to_points - self.from_points)

    def signed_points(self) -> Iterator[tuple[str, Decimal]]:
        yield "from.points", self.from_points
        yield "to.points", self.to_points

    def earned(self, value: Decimal) -> tuple[Decimal, tuple[str, str]]:
        start, end = (
            (self.from_value, self.from_points),
            (self.to_value, self.to_points),
        )
        scale = f"{start[0]}->{start[1]} .. {end[0]}->{end[1]}"
        return self.points_for(value), ("scale", scale)


# Ratings

WEIGHTS = Map(
    Assessor,
    Number(minimum=0, maximum=1),
    not_a_map=N_("must map assessors to weights"),
    unknown=N_("unknown assessor {key!r}"),
)


@dataclass(frozen=True, kw_only=True)
class RatingItem(Item, kind="rating"):
    """Weighted ratings by assessor: ``max_points`` x sum(weight x rating / scale)."""

    doc = (
        "each assessor's raters are averaged; the points are `max_points` times "
        "the weighted sum of the averages, each over `scale_max`. Only in "
        "accumulate categories. Who may rate, "
        "whatever the rulebook: **self** the agent; **supervisor** the supervisor "
        "of the agent's team (or an admin); **peer** another agent of the agent's "
        "own team, the group that works with them (scheme A's 小组) — not a "
        "supervisor, reviewer, admin or an agent of another team"
    )
    fields = (
        Field("weights", WEIGHTS, required=True, doc="they add up to 1"),
        Field("scale_max", ABOVE_0, required=True, doc="the highest rating"),
        Field("max_points", AT_LEAST_0, required=True, doc="points of top ratings"),
        Field(
            "missing",
            Choice(MissingRatings),
            default=MissingRatings.RENORMALISE,
            doc="an assessor who did not rate: `renormalise` spreads its weight over "
            "the others, `incomplete` counts it as 0 and marks the scorecard "
            "incomplete",
        ),
    )
    modes = frozenset({Mode.ACCUMULATE})
    max_points: Decimal
    scale_max: Decimal
    weights: tuple[tuple[Assessor, Decimal], ...]
    missing: MissingRatings = MissingRatings.RENORMALISE

    @classmethod
    def build(cls, reader: Reader, values: dict[str, Any]) -> Item:
        weights = [w for _, w in values["weights"]]
        if sum(weights) != ONE or any(w < 0 for w in weights):
            weights = N_("weights must be non-negative and add up to 1")
            raise reader.fail(weights, "weights")
        return cls(**values)

    def signed_points(self) -> Iterator[tuple[str, Decimal]]:
        yield "max_points", self.max_points

    def lines(self, month: MonthFacts) -> list[Line]:
        return [self.line_of(list(month.ratings.values()), month.missing)]

    def line_of(self, ratings: list[Rated], missing: list[str]) -> Line:
        """Average each assessor's raters, weight the averages, scale to
        max_points. Assessors with weight 0 do not count. What is missing is
        added to ``missing``. ``lines`` and a running total both score here."""
        weights = {a: w for a, w in self.weights if w > 0}
        averages = _averages(weights, ratings)
        absent = [a for a in weights if a not in averages]
        if not averages:
            missing.append(self.code)
        elif self.missing is MissingRatings.INCOMPLETE:
            missing.extend(f"{self.code}:{a.value}" for a in absent)
        share = dict(weights)
        if self.missing is MissingRatings.RENORMALISE and averages:
            present = sum((weights[a] for a in averages), ZERO)
            share = {a: weights[a] / present for a in averages}
        weighted = sum(
            (share[a] * averages[a] / self.scale_max for a in averages), ZERO
        )
        inputs = tuple(
            (a.value, f"avg {averages[a]:.2f} x weight {share[a]:.4f}")
            for a in averages
        ) + tuple((a.value, "not rated") for a in absent)
        used = tuple(r for r in ratings if r.assessor in weights)
        earned = points(self.max_points * weighted)
        remark = "" if averages else N_("no ratings")
        return Line(self.code, self.name, earned, used, remark, inputs=inputs)


def _averages(
    weights: dict[Assessor, Decimal], ratings: list[Rated]
) -> dict[Assessor, Decimal]:
    """Each weighted assessor's average rating, if anyone rated as them."""
    averages: dict[Assessor, Decimal] = {}
    for assessor in weights:
        given = [r.value for r in ratings if r.assessor is assessor]
        if given:
            averages[assessor] = sum(given, ZERO) / len(given)
    return averages
