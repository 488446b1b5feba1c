"""Working days: mainland China's public holidays and official make-up working
days (the ``holidays`` library), plus the company's own closed days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache

import holidays

from domain.month import Month


@cache
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


class WorkingCalendar:
    def __init__(self, closed_days: Mapping[date, str] | None = None) -> None:
        self.closed_days = dict(closed_days or {})

    def is_working_day(self, day: date) -> bool:
        """Weekdays that are not holidays, and official make-up working days,
        unless the company closed that day."""
        if day in self.closed_days:
            return False
        return bool(_china(day.year).is_working_day(day))

    def working_days(self, first: date, last: date) -> int:
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def working_days_in(self, month: Month) -> int:
        return self.working_days(month.first_day, month.last_day)
