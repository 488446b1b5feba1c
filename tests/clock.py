"""A clock the tests set, and the service's own idea of "today"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from web.config import Settings


class Clock:
    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


def service_clock() -> Callable[[], date]:
    """The service's clock as the environment sets it: the company's time
    zone (``APPRAISAL_TIMEZONE``), or the day ``APPRAISAL_TODAY`` pins."""
    return Settings.from_env().clock


def service_today() -> date:
    """Today as the service sees it (the company's time zone, or the pinned
    day), never the machine's."""
    return service_clock()()
