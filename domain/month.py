"""The appraisal month, ``YYYY-MM``: the business period every fact falls in."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


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
        found = _MONTH.match(text)
        if not found:
            raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

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
        return f"{self.year:04d}-{self.month:02d}"
