"""The company's business date: today, in its time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def company_today(timezone: str = DEFAULT_TIMEZONE) -> Callable[[], date]:
    """Today's business date in the company's time zone."""
    zone = ZoneInfo(timezone)
    return lambda: datetime.now(zone).date()
