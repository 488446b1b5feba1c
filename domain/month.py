"""The appraisal month, ``YYYY-MM``: the business period every fact falls in.

Months, days and quarters are read in their ASCII ISO forms only (``YYYY-MM``,
``YYYY-MM-DD``, ``YYYY-Qn``): full-width digits or ``20261120`` are refused,
and a ``MonthRange`` bounds what the service accepts at all.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from typing import TypeVar

from domain.text import N_

T = TypeVar("T")

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in the company's time zone."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a month")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``; raise ``ValueError`` for anything else."""
        found = _MONTH.fullmatch(text) if isinstance(text, str) else None
        if not found:
            raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return _month(cls, day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(
            self.year, self.month, calendar.monthrange(self.year, self.month)[1]
        )

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @staticmethod
    def span(first: Month, last: Month) -> list[Month]:
        """Every month from ``first`` to ``last``, both included."""
        months = []
        current = first
        while current <= last:
            months.append(current)
            current = current.next()
        return months

    def __str__(self) -> str:
        return _text(self.year, self.month)


@cache
def _text(year: int, month: int) -> str:
    """``YYYY-MM``, made once per month: folding names a month per fact."""
    return f"{year:04d}-{month:02d}"


def parse_day(text: str) -> date:
    """Parse ``YYYY-MM-DD`` (ASCII digits); raise ``ValueError`` for anything else."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    return date.fromisoformat(text)


@dataclass(frozen=True, order=True)
class Quarter:
    """Three months of a year: ``YYYY-Qn``."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4 or not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year:04d}-Q{self.number} is not a quarter")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        found = _QUARTER.fullmatch(text) if isinstance(text, str) else None
        if not found:
            raise ValueError(f"{text!r} is not a quarter in the form YYYY-Qn")
        return cls(int(found.group(1)), int(found.group(2)))

    @property
    def months(self) -> list[Month]:
        first = 3 * self.number - 2
        return [Month(self.year, m) for m in range(first, first + 3)]

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"


@cache
def _month(cls: type[Month], year: int, month: int) -> Month:
    """Months are immutable: a batch asks for the same few again and again."""
    return cls(year, month)


@dataclass(frozen=True)
class MonthRange:
    """The months the service accepts facts, periods and reads for."""

    first: Month = Month(2000, 1)
    last: Month = Month(2100, 12)

    def problem(self, value: Month | date | Quarter) -> str | None:
        """Why ``value`` is outside the range, or None."""
        if type(value) is date and self._days[0] <= value <= self._days[1]:
            return None  # asked of every fact of a batch: no month built
        if isinstance(value, Quarter):
            months = value.months
        else:
            months = [Month.of(value) if isinstance(value, date) else value]
        for month in months:
            if not self.first <= month <= self.last:
                return N_("{value} is outside the accepted range {accepted}").format(
                    value=value, accepted=self
                )
        return None

    @cached_property
    def _days(self) -> tuple[date, date]:
        return self.first.first_day, self.last.last_day

    def read(self, parse: Callable[[str], T], text: str) -> T:
        """``parse(text)``, refused (``ValueError``) outside the range."""
        value = parse(text)
        problem = self.problem(value)  # type: ignore[arg-type]
        if problem:
            raise ValueError(problem)
        return value

    def __str__(self) -> str:
        return f"{self.first} to {self.last}"
