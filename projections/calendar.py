"""Working days: mainland China's public holidays and official make-up working
days (the ``holidays`` library), plus the company's own closed days.

A month's working days are worked out once: the public calendar's once per
process (it never changes), the company's closed days taken out once per month
per ``WorkingCalendar`` (a read builds one from the closed days as of its
position). Counting the working days of a span is then two bisections per
month, not a walk through its days.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from calendar import monthrange
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache

import holidays

from domain.month import Month


@cache
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


@cache
def _public_working_days(year: int, month: int) -> tuple[date, ...]:
    """The month's public working days in order: weekdays that are not
    holidays, and official make-up working days."""
    public, first = _china(year), date(year, month, 1)
    length = monthrange(year, month)[1]
    days = (first + timedelta(days=i) for i in range(length))
    return tuple(day for day in days if public.is_working_day(day))


class WorkingCalendar:
    def __init__(self, closed_days: Mapping[date, str] | None = None) -> None:
        self.closed_days = dict(closed_days or {})
        self._months: dict[tuple[int, int], tuple[date, ...]] = {}

    def is_working_day(self, day: date) -> bool:
        """Weekdays that are not holidays, and official make-up working days,
        unless the company closed that day."""
        if day in self.closed_days:
            return False
        return bool(_china(day.year).is_working_day(day))

    def _days(self, year: int, month: int) -> tuple[date, ...]:
        found = self._months.get((year, month))
        if found is None:
            closed = self.closed_days
            found = tuple(
                day for day in _public_working_days(year, month) if day not in closed
            )
            self._months[year, month] = found
        return found

    def days_in(self, month: Month) -> tuple[date, ...]:
        """The month's working days in order, worked out once per calendar."""
        return self._days(month.year, month.month)

    def working_days(self, first: date, last: date) -> int:
        """The working days from ``first`` to ``last``, both included."""
        if first > last:
            return 0
        count, year, month = 0, first.year, first.month
        while True:
            days = self._days(year, month)
            count += bisect_right(days, last) - bisect_left(days, first)
            if (year, month) >= (last.year, last.month):
                return count
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def working_days_in(self, month: Month) -> int:
        return len(self.days_in(month))
