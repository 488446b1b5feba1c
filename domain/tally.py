"""A running total: what ``score(rulebook, facts).total`` is for the facts of an
agent-month added so far, in log order, each fact added at a cost that does not
grow with how many the month already holds.

The live read models re-score an agent-month whenever a fact is added to it;
reading and scoring the whole month again costs more the more it holds (an
agent with a thousand order steps a month). A ``Tally`` keeps what each rule
item has seen instead: an occurrence item how many occurrences and how far
they moved its category, a metric item its sums, a rating item the latest
rating of each rater. Every item still scores through its own kind's code
(``Occurrence.next_line``, ``MetricItem.line_of``, ``RatingItem.line_of``)
and every category through ``scoring.bounded``, as ``score`` does, so the two
cannot disagree (tests/unit/test_tally.py checks it on generated months).
It only adds: a fact corrected away or excluded needs the month scored anew.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal

from domain.facts import ZERO, Assessor, Fact, MetricSample, Occurred, Rated
from domain.kinds import UNSEEN, MetricItem, Occurrence, RatingItem, Seen
from domain.rulebook import Rulebook
from domain.scoring import bounded

KNOWN = (Occurrence, MetricItem, RatingItem)
_READERS: dict[int, tuple[Rulebook, Readers]] = {}
_READERS_KEPT = 64  # rulebooks: a catalog read again makes new ones


@dataclass(frozen=True)
class Readers:
    """Which items of a rulebook read which facts: occurrence items by their
    code, metric items by their metric, rating items every rating."""

    occurring: dict[str, Occurrence]
    metered: dict[str, list[MetricItem]]
    rating: list[RatingItem]
    known: bool
    """Whether every item is of a kind a tally keeps."""

    @classmethod
    def of(cls, rulebook: Rulebook) -> Readers:
        items = [item for c in rulebook.categories for item in c.items]
        metered: dict[str, list[MetricItem]] = {}
        for item in items:
            if isinstance(item, MetricItem):
                metered.setdefault(item.metric, []).append(item)
        return cls(
            {i.code: i for i in items if isinstance(i, Occurrence)},
            metered,
            [i for i in items if isinstance(i, RatingItem)],
            all(isinstance(i, KNOWN) for i in items),
        )

    def plainly_read(self, fact: Fact) -> bool:
        """An occurrence of an occurrence item, or a sample of a metric an
        item reads: a line of that item shows it, whatever it scores (whether
        a rating counts depends on its assessor's weight: ``verdict`` says)."""
        if isinstance(fact, Occurred):
            return fact.item in self.occurring
        return isinstance(fact, MetricSample) and fact.metric in self.metered


def readers(rulebook: Rulebook) -> Readers:
    """``Readers.of(rulebook)``, made once per rulebook object."""
    found = _READERS.get(id(rulebook))
    if found is None or found[0] is not rulebook:
        if len(_READERS) >= _READERS_KEPT:
            _READERS.clear()
        found = _READERS[id(rulebook)] = (rulebook, Readers.of(rulebook))
    return found[1]


class Tally:
    """The total of an agent-month's facts under ``rulebook``, kept as facts
    are added (``add``) in log order."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        self.position = 0
        """The position of the last fact added."""
        self._readers = readers(rulebook)
        self._points: dict[str, Decimal] = {}
        self._seen: dict[str, Seen] = {}
        self._sums: dict[str, tuple[Decimal, Decimal, int]] = {}
        self._ratings: dict[tuple[Assessor, str], Rated] = {}

    @staticmethod
    def keeps(rulebook: Rulebook) -> bool:
        """Whether every item of ``rulebook`` is of a kind a tally keeps."""
        return readers(rulebook).known

    def add(self, fact: Fact) -> None:
        self.position = fact.position
        if isinstance(fact, Occurred):
            item = self._readers.occurring.get(fact.item)
            if item is not None:
                line, self._seen[item.code] = item.next_line(
                    fact, self._seen.get(item.code, UNSEEN)
                )
                self._points[item.code] = (
                    self._points.get(item.code, ZERO) + line.points
                )
        elif isinstance(fact, MetricSample):
            numerator, denominator, count = self._sums.get(fact.metric, (ZERO, ZERO, 0))
            summed = (
                numerator + fact.numerator,
                denominator + fact.denominator,
                count + 1,
            )
            self._sums[fact.metric] = summed
            for metric_item in self._readers.metered.get(fact.metric, ()):
                self._points[metric_item.code] = metric_item.line_of(*summed).points
        elif isinstance(fact, Rated):
            self._ratings[(fact.assessor, fact.rater)] = fact
            ratings = list(self._ratings.values())  # as MonthFacts.ratings
            for rating_item in self._readers.rating:
                self._points[rating_item.code] = rating_item.line_of(ratings, []).points

    @property
    def total(self) -> Decimal:
        points = self._points
        return sum(
            (
                bounded(
                    category,
                    category.mode.start(category.max)
                    + sum((points.get(i.code, ZERO) for i in category.items), ZERO),
                )
                for category in self.rulebook.categories
            ),
            ZERO,
        )

    def copy(self) -> Tally:
        """A tally to add to without changing this one."""
        copied = copy.copy(self)
        copied._points = dict(self._points)
        copied._seen = dict(self._seen)
        copied._sums = dict(self._sums)
        copied._ratings = dict(self._ratings)
        return copied
