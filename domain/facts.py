"""What scoring reads and writes: the facts of an agent-month, sorted into what
each kind of rule item reads, and the lines they become."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

ZERO = Decimal(0)
CENT = Decimal("0.01")


def points(value: Decimal) -> Decimal:
    """Round to the scorecard's precision: hundredths, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Assessor(StrEnum):
    """Who rates an agent, as far as a rating item's weights go."""

    SELF = "self"
    SUPERVISOR = "supervisor"
    PEER = "peer"


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where a fact sits in the log: what every fact has, whatever its kind."""

    fact_id: str
    event_id: str
    position: int
    occurred_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, kw_only=True)
class Fact(Place):
    """Something recorded about one agent in one month, and where it is in the log."""

    def file(self, month: MonthFacts) -> None:
        """Put the fact where the rule items that read it look (a fact of no
        kind an item reads goes nowhere)."""


@dataclass(frozen=True, kw_only=True)
class Occurred(Fact):
    """An occurrence of a rule item: a deduction, a complaint, a promotion activity."""

    item: str
    quantity: Decimal | int = 1
    severity: str | None = None
    points: Decimal | None = None
    """Points set by a dispute's adjustment, replacing the rule item's."""

    def file(self, month: MonthFacts) -> None:
        month.occurrences.setdefault(self.item, []).append(self)


@dataclass(frozen=True, kw_only=True)
class MetricSample(Fact):
    """A part of a monthly metric: the month's value is the sum of numerators
    over the sum of denominators (conversions / consultations, say)."""

    metric: str
    numerator: Decimal
    denominator: Decimal

    def file(self, month: MonthFacts) -> None:
        month.samples.setdefault(self.metric, []).append(self)


@dataclass(frozen=True, kw_only=True)
class Rated(Fact):
    """One rater's rating of the agent for the month; a later one by the same
    rater and assessor replaces it."""

    assessor: Assessor
    rater: str
    value: Decimal

    def file(self, month: MonthFacts) -> None:
        month.ratings[(self.assessor, self.rater)] = self


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


@dataclass
class MonthFacts:
    """The facts of an agent-month in log order (notification position), sorted
    into what each kind of item reads; and what the items found missing."""

    occurrences: dict[str, list[Occurred]] = field(default_factory=dict)
    samples: dict[str, list[MetricSample]] = field(default_factory=dict)
    ratings: dict[tuple[Assessor, str], Rated] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, facts: Iterable[Fact]) -> MonthFacts:
        month = cls()
        for fact in sorted(facts, key=lambda f: f.position):
            fact.file(month)
        return month

    def take(self, item: str) -> list[Occurred]:
        """The occurrences of ``item``, which no other item then reads."""
        return self.occurrences.pop(item, [])

    def untaken(self) -> list[Occurred]:
        """Occurrences no rule item took, in log order."""
        left = [fact for facts in self.occurrences.values() for fact in facts]
        return sorted(left, key=lambda f: f.position)
