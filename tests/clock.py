"""A clock the tests set: the application's idea of "today"."""

from __future__ import annotations

from datetime import date


class Clock:
    def __init__(self, today: date) -> None:
        self.today = today

    def __call__(self) -> date:
        return self.today
