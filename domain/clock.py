"""The company's business date: today, in its time zone."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from domain.month import parse_day

DEFAULT_TIMEZONE = "Asia/Shanghai"
# An ISO 8601 moment: a date, a time and, if it is not local time, its offset.
_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


def company_today(timezone: str = DEFAULT_TIMEZONE) -> Callable[[], date]:
    """Today's business date in the company's time zone. Every fact of a batch
    asks (1.5 µs through the zone's rules): the day is kept while the clock
    stays inside it."""
    zone = ZoneInfo(timezone)
    kept: tuple[float, float, date] = (0.0, 0.0, date.min)

    def today() -> date:
        nonlocal kept
        now = time.time()
        since, until, day = kept
        if since <= now < until:
            return day
        day = datetime.now(zone).date()
        start = datetime.combine(day, dt_time(), zone)
        end = datetime.combine(day + timedelta(days=1), dt_time(), zone)
        kept = (start.timestamp(), end.timestamp(), day)
        return day

    return today


def business_date(moment: date, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The business date of ``moment``: a date is its own; a datetime's is its
    date in the company's time zone (a datetime without an offset is taken as
    the company's local time)."""
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(timezone)).date()


def parse_today(text: str) -> date:
    """A pinned "today": ``YYYY-MM-DD``, or a moment in ISO 8601
    (``2026-11-30T20:00:00Z``; without an offset, the company's local time)."""
    if _MOMENT.fullmatch(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parse_day(text)
