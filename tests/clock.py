"""A clock the tests set: the application's idea of "today"."""

from __future__ import annotations

from datetime import date

from domain.clock import company_today


class Clock:
    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today


def service_today() -> date:
    """Today as the service sees it (the company's time zone), never the machine's."""
    return company_today()()
