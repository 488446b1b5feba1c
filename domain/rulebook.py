"""Rulebooks are data: categories with a maximum, and the rule items that move them.

A rulebook says what each kind of fact is worth. Facts never carry points, so
the same facts can be scored again under a later version of the rules. The
document format is described in docs/rulebooks.md; ``Rulebook.from_dict``
builds one and refuses any document that breaks a rule, naming the path of the
offending field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from itertools import pairwise
from typing import Any, ClassVar

from domain.errors import RulebookError

DEFAULT_RULEBOOK_ID = "songsong-2019"
SHIPPED_RULEBOOKS = ("songsong-2019", "songsong-2019-workflow", "online-cs")
TOTAL_POINTS = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)


class Mode(StrEnum):
    """How a category turns its lines into a score."""

    DEDUCT = "deduct"
    """Start at the maximum, add the (negative) points, never below zero."""
    ACCUMULATE = "accumulate"
    """Start at zero, add the (positive) points, never above the maximum."""


class Assessor(StrEnum):
    SELF = "self"
    SUPERVISOR = "supervisor"
    PEER = "peer"


class MissingRatings(StrEnum):
    """What a rating item does when an assessor has not rated the agent."""

    RENORMALISE = "renormalise"
    """Spread the missing weight over the assessors who did rate."""
    INCOMPLETE = "incomplete"
    """Count the missing rating as zero and mark the scorecard incomplete."""


@dataclass(frozen=True, kw_only=True)
class Item:
    """One rule item. Subclasses say how facts turn into points."""

    kind: ClassVar[str]
    code: str
    name: str
    source: str = ""
    default: bool = False


@dataclass(frozen=True, kw_only=True)
class Severity:
    code: str
    points: Decimal
    fine: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class Occurrence(Item):
    """Points per occurrence of a fact: negative deducts (a complaint, -3)."""

    kind: ClassVar[str] = "occurrence"
    points: Decimal
    once_per_month: bool = False
    monthly_cap: Decimal | None = None
    fine: Decimal = ZERO
    severities: tuple[Severity, ...] = ()

    def severity(self, code: str | None) -> Severity | None:
        return next((s for s in self.severities if s.code == code), None)


@dataclass(frozen=True, kw_only=True)
class Credit(Occurrence):
    """Points earned per occurrence (a promotion activity), up to the maximum."""

    kind: ClassVar[str] = "credit"


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


@dataclass(frozen=True, kw_only=True)
class MetricItem(Item):
    """Points from a monthly metric: the sum of numerators over the sum of
    denominators of the month's samples (a rate, an average or a total)."""

    metric: str


@dataclass(frozen=True, kw_only=True)
class MetricBands(MetricItem):
    kind: ClassVar[str] = "metric_bands"
    bands: tuple[Band, ...]

    def band_for(self, value: Decimal) -> Band | None:
        return next((b for b in self.bands if b.contains(value)), None)


@dataclass(frozen=True, kw_only=True)
class MetricScale(MetricItem):
    """Linear between two thresholds, flat beyond them."""

    kind: ClassVar[str] = "metric_scale"
    from_value: Decimal
    from_points: Decimal
    to_value: Decimal
    to_points: Decimal

    def points_for(self, value: Decimal) -> Decimal:
        low, high = sorted((self.from_value, self.to_value))
        clamped = min(max(value, low), high)
        share = (clamped - self.from_value) / (self.to_value - self.from_value)
        return self.from_points + share * (self.to_points - self.from_points)


@dataclass(frozen=True, kw_only=True)
class RatingItem(Item):
    """Weighted ratings by assessor: ``max_points`` x sum(weight x rating / scale)."""

    kind: ClassVar[str] = "rating"
    max_points: Decimal
    scale_max: Decimal
    weights: tuple[tuple[Assessor, Decimal], ...]
    missing: MissingRatings = MissingRatings.RENORMALISE


@dataclass(frozen=True, kw_only=True)
class Category:
    """A scorecard category with its maximum and its rule items."""

    code: str
    name: str
    max: Decimal
    mode: Mode
    items: tuple[Item, ...]


@dataclass(frozen=True, kw_only=True)
class Grade:
    code: str
    min_total: Decimal


@dataclass(frozen=True, kw_only=True)
class Rulebook:
    """A named, versioned set of categories whose maxima add up to 100, with
    what follows from a total: grade, commission, quarterly rewards, and the
    size of the bottom group that owes improvement plans."""

    id: str
    version: int
    name: str
    categories: tuple[Category, ...]
    source: str = ""
    grades: tuple[Grade, ...] = ()
    currency: str = "CNY"
    commission_base: Decimal = ZERO
    quarter_rewards: tuple[Decimal, ...] = ()
    bottom_group: int = 3
    min_working_days: int = 10
    """Agents present fewer working days in a month are listed but not ranked."""
    dispute_days: int | None = None
    """Days after the month's end to dispute its deductions; None: until the
    end of its review window."""
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _items: dict[str, tuple[Category, Item]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        items: dict[str, tuple[Category, Item]] = {}
        for category in self.categories:
            for item in category.items:
                items[item.code] = (category, item)
        object.__setattr__(self, "_items", items)

    def item(self, code: str) -> Item | None:
        found = self._items.get(code)
        return found[1] if found else None

    def category_of(self, code: str) -> Category | None:
        found = self._items.get(code)
        return found[0] if found else None

    def items(self) -> Iterator[tuple[Category, Item]]:
        yield from self._items.values()

    def grade_for(self, total: Decimal) -> str | None:
        return next((g.code for g in self.grades if total >= g.min_total), None)

    @property
    def ref(self) -> str:
        return f"{self.id} v{self.version}"

    @property
    def digest(self) -> str:
        """A fingerprint of the document: equal documents, equal digests."""
        canonical = json.dumps(self.document, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int = 1) -> Rulebook:
        """Build a rulebook from its document; raise ``RulebookError`` naming the
        path of the first field that breaks a rule."""
        return _Parser().rulebook(data, version)


class _Parser:
    """Reads a rulebook document, keeping the path of the field being read."""

    def __init__(self) -> None:
        self.path: list[str] = []

    def fail(self, message: str, *at: str | int) -> RulebookError:
        where = ".".join(str(p) for p in [*self.path, *at]) or "rulebook"
        return RulebookError(f"{where}: {message}", field=where)

    def get(self, data: Mapping[str, Any], key: str, default: Any = ...) -> Any:
        if key in data:
            return data[key]
        if default is ...:
            raise self.fail("is required", key)
        return default

    def decimal(self, data: Mapping[str, Any], key: str, default: Any = ...) -> Any:
        value = self.get(data, key, default)
        if value is None or value is default:
            return value
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(f"{value!r} is not a number", key) from None
        if not number.is_finite() or isinstance(value, bool):
            raise self.fail(f"{value!r} is not a number", key)
        return number

    def each(
        self, data: Mapping[str, Any], key: str, read: Callable[[Any], Any]
    ) -> tuple[Any, ...]:
        values = self.get(data, key, [])
        if not isinstance(values, list):
            raise self.fail("must be a list", key)
        out = []
        for index, value in enumerate(values):
            self.path += [key, str(index)]
            try:
                if not isinstance(value, Mapping):
                    raise self.fail("must be an object")
                out.append(read(value))
            finally:
                del self.path[-2:]
        return tuple(out)

    def rulebook(self, data: Mapping[str, Any], version: int) -> Rulebook:
        categories = self.each(data, "categories", self.category)
        if not categories:
            raise self.fail("a rulebook needs at least one category", "categories")
        total = sum((c.max for c in categories), ZERO)
        if total != TOTAL_POINTS:
            raise self.fail(f"category maxima add up to {total}, not 100", "categories")
        self._unique([c.code for c in categories], "categories", "category code")
        codes = [i.code for c in categories for i in c.items]
        self._unique(codes, "categories", "rule item code")
        money = self.get(data, "money", {})
        rewards = self.get(money, "quarter_rewards", [])
        return Rulebook(
            id=self.get(data, "id"),
            version=version,
            name=self.get(data, "name"),
            source=self.get(data, "source", ""),
            categories=categories,
            grades=self._grades(data),
            currency=self.get(money, "currency", "CNY"),
            commission_base=self.decimal(money, "commission_base", ZERO),
            quarter_rewards=tuple(Decimal(str(r)) for r in rewards),
            bottom_group=int(self.get(data, "bottom_group", 3)),
            min_working_days=int(self.get(data, "min_working_days", 10)),
            dispute_days=self.get(data, "dispute_days", None),
            document=json.loads(json.dumps(data, default=str)),
        )

    def _unique(self, codes: list[str], at: str, what: str) -> None:
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise self.fail(f"{what} {code!r} is defined twice", at)
            seen.add(code)

    def _grades(self, data: Mapping[str, Any]) -> tuple[Grade, ...]:
        grades = self.each(
            data,
            "grades",
            lambda g: Grade(
                code=self.get(g, "code"), min_total=self.decimal(g, "min_total")
            ),
        )
        ordered = sorted(grades, key=lambda g: g.min_total, reverse=True)
        if [g.min_total for g in ordered] != sorted(
            {g.min_total for g in grades}, reverse=True
        ):
            raise self.fail("two grades share a min_total", "grades")
        return tuple(ordered)

    def category(self, data: Mapping[str, Any]) -> Category:
        maximum = self.decimal(data, "max")
        if maximum <= 0:
            raise self.fail("must be more than 0", "max")
        try:
            mode = Mode(self.get(data, "mode", Mode.DEDUCT))
        except ValueError:
            raise self.fail("must be 'deduct' or 'accumulate'", "mode") from None
        category = Category(
            code=self.get(data, "code"),
            name=self.get(data, "name"),
            max=maximum,
            mode=mode,
            items=self.each(data, "items", lambda i: self.item(i, mode)),
        )
        return category

    def item(self, data: Mapping[str, Any], mode: Mode) -> Item:
        kind = self.get(data, "kind", "occurrence")
        readers: dict[str, Callable[[Mapping[str, Any], dict[str, Any]], Item]] = {
            "occurrence": self._occurrence,
            "credit": self._occurrence,
            "metric_bands": self._bands,
            "metric_scale": self._scale,
            "rating": self._rating,
        }
        if kind not in readers:
            raise self.fail(f"unknown kind {kind!r}", "kind")
        common = {
            "code": self.get(data, "code"),
            "name": self.get(data, "name"),
            "source": self.get(data, "source", ""),
            "default": bool(self.get(data, "default", False)),
        }
        item = readers[kind](data, common)
        self._fits(item, mode)
        return item

    def _occurrence(self, data: Mapping[str, Any], common: dict[str, Any]) -> Item:
        severities = self.each(
            data,
            "severities",
            lambda s: Severity(
                code=self.get(s, "code"),
                points=self.decimal(s, "points"),
                fine=self.decimal(s, "fine", ZERO),
            ),
        )
        cap = self.decimal(data, "monthly_cap", None)
        if cap is not None and cap <= 0:
            raise self.fail("must be more than 0", "monthly_cap")
        item_class = Credit if data.get("kind") == "credit" else Occurrence
        return item_class(
            **common,
            points=self.decimal(data, "points"),
            once_per_month=bool(self.get(data, "once_per_month", False)),
            monthly_cap=cap,
            fine=self.decimal(data, "fine", ZERO),
            severities=severities,
        )

    def _bands(self, data: Mapping[str, Any], common: dict[str, Any]) -> Item:
        bands = self.each(
            data,
            "bands",
            lambda b: Band(
                low=self.decimal(b, "min", None),
                high=self.decimal(b, "max", None),
                points=self.decimal(b, "points"),
            ),
        )
        if not bands:
            raise self.fail("needs at least one band", "bands")
        ordered = sorted(
            bands, key=lambda b: b.low if b.low is not None else Decimal("-Inf")
        )
        for earlier, later in pairwise(ordered):
            if earlier.high is None or later.low is None or later.low < earlier.high:
                raise self.fail("bands overlap", "bands")
        return MetricBands(
            **common, metric=self.get(data, "metric"), bands=tuple(ordered)
        )

    def _scale(self, data: Mapping[str, Any], common: dict[str, Any]) -> Item:
        start, end = self.get(data, "from"), self.get(data, "to")
        from_value, to_value = self.decimal(start, "value"), self.decimal(end, "value")
        if from_value == to_value:
            raise self.fail("the two thresholds must differ", "to", "value")
        return MetricScale(
            **common,
            metric=self.get(data, "metric"),
            from_value=from_value,
            from_points=self.decimal(start, "points"),
            to_value=to_value,
            to_points=self.decimal(end, "points"),
        )

    def _rating(self, data: Mapping[str, Any], common: dict[str, Any]) -> Item:
        raw = self.get(data, "weights")
        if not isinstance(raw, Mapping) or not raw:
            raise self.fail("must map assessors to weights", "weights")
        weights = []
        for assessor, _ in raw.items():
            if assessor not in set(Assessor):
                raise self.fail(f"unknown assessor {assessor!r}", "weights")
            weights.append((Assessor(assessor), self.decimal(raw, assessor)))
        if sum(w for _, w in weights) != ONE or any(w < 0 for _, w in weights):
            raise self.fail("weights must be non-negative and add up to 1", "weights")
        try:
            missing = MissingRatings(
                self.get(data, "missing", MissingRatings.RENORMALISE)
            )
        except ValueError:
            raise self.fail(
                "must be 'renormalise' or 'incomplete'", "missing"
            ) from None
        scale_max = self.decimal(data, "scale_max")
        if scale_max <= 0:
            raise self.fail("must be more than 0", "scale_max")
        return RatingItem(
            **common,
            max_points=self.decimal(data, "max_points"),
            scale_max=scale_max,
            weights=tuple(weights),
            missing=missing,
        )

    def _fits(self, item: Item, mode: Mode) -> None:
        """Deduct categories take points below zero, accumulate ones above."""
        if isinstance(item, Credit | RatingItem) and mode is Mode.DEDUCT:
            raise self.fail(f"a {item.kind} item belongs in an accumulate category")
        for name, value in _signed_points(item):
            if mode is Mode.DEDUCT and value > 0:
                raise self.fail("must not be positive in a deduct category", name)
            if mode is Mode.ACCUMULATE and value < 0:
                raise self.fail("must not be negative in an accumulate category", name)


def _signed_points(item: Item) -> Iterator[tuple[str, Decimal]]:
    if isinstance(item, Occurrence):
        yield "points", item.points
        for index, severity in enumerate(item.severities):
            yield f"severities.{index}.points", severity.points
    elif isinstance(item, MetricBands):
        for index, band in enumerate(item.bands):
            yield f"bands.{index}.points", band.points
    elif isinstance(item, MetricScale):
        yield "from.points", item.from_points
        yield "to.points", item.to_points
    elif isinstance(item, RatingItem):
        yield "max_points", item.max_points


def shipped_document(rulebook_id: str) -> dict[str, Any]:
    """The document of a rulebook that ships with the product."""
    text = resources.files("domain.rulebooks").joinpath(f"{rulebook_id}.json")
    return dict(json.loads(text.read_text(encoding="utf-8")))


def shipped_rulebook(rulebook_id: str = DEFAULT_RULEBOOK_ID) -> Rulebook:
    """Load one of the rulebooks that ship with the product, as version 1."""
    return Rulebook.from_dict(shipped_document(rulebook_id))
