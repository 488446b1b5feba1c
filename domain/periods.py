"""The monthly appraisal period: open while the month runs and in its review
window, then closed, published (the monthly report is issued), and reopened by
an admin with a reason when something must be corrected.

Facts for a closed or published month are refused. The review window for month
M is the first five working days of M+1 under the company's calendar (mainland
China's public holidays and official make-up working days, plus the company's
own closed days).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError
from domain.month import Month
from domain.text import N_

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:period")
REVIEW_DAYS = 5
PLAN_DAYS = 7


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"
    REOPENED = "reopened"

    @property
    def accepts_facts(self) -> bool:
        return self in (Status.OPEN, Status.REOPENED)


class PeriodClosedError(ConflictError):
    """Raised when a fact falls in a month whose period is closed or published."""


def review_window(
    month: Month, is_working_day: Callable[[date], bool], days: int = REVIEW_DAYS
) -> tuple[date, date]:
    """The first ``days`` working days of the month after ``month``."""
    found: list[date] = []
    day = month.next().first_day
    while len(found) < days:
        if is_working_day(day):
            found.append(day)
        day += timedelta(days=1)
    return found[0], found[-1]


def dispute_deadline(
    month: Month, dispute_days: int | None, is_working_day: Callable[[date], bool]
) -> date:
    """The last day a deduction of ``month`` may be disputed: the end of its
    review window, or ``dispute_days`` after the month when the rulebook says so."""
    if dispute_days is not None:
        return month.last_day + timedelta(days=dispute_days)
    return review_window(month, is_working_day)[1]


class Period(Aggregate):
    """One month's appraisal period."""

    @staticmethod
    @cache  # a pure function, asked once per fact of a batch
    def create_id(month: str) -> UUID:
        return uuid5(_NAMESPACE, month)

    class Opened(Aggregate.Created):
        month: str

    @event(Opened)
    def __init__(self, month: str) -> None:
        self.month = month
        self.status = Status.OPEN

    def refuse_facts(self) -> None:
        """Raise unless facts may still be recorded for this month."""
        if not self.status.accepts_facts:
            raise PeriodClosedError(
                N_(
                    "the {month} period is {status}; an admin can reopen it "
                    "(POST /periods/{month}/reopen) to record this"
                ),
                month=self.month,
                status=self.status.value,
                field="occurred_on",
            )

    def close(self, by: str, today: date) -> None:
        if Month.parse(self.month).last_day >= today:
            raise ConflictError(
                N_("{month} has not ended; it can be closed from {first_day}"),
                month=self.month,
                first_day=Month.parse(self.month).next().first_day,
                field="month",
            )
        if not self.status.accepts_facts:
            raise ConflictError(
                N_("the {month} period is already {status}"),
                month=self.month,
                status=self.status,
            )
        self._closed(by=by)

    class Closed(Aggregate.Event):
        becomes: ClassVar[Status] = Status.CLOSED
        by: str

        def apply(self, period: Period) -> None:
            period.status = self.becomes

    def _closed(self, by: str) -> None:
        self.trigger_event(self.Closed, by=by)

    def publish(self, by: str, today: date, chain_head: dict[str, Any]) -> None:
        """Issue the month's report; ``chain_head`` is the hash chain's last
        link (position and hash) at that moment, so the report anchors the log."""
        if self.status is not Status.CLOSED:
            raise ConflictError(
                N_("the {month} period is {status}; close it before publishing"),
                month=self.month,
                status=self.status,
            )
        self.trigger_event(
            self.Published, by=by, published_on=today, chain_head=chain_head
        )

    class Published(Aggregate.Event):
        becomes: ClassVar[Status] = Status.PUBLISHED
        class_version = 2
        by: str
        published_on: date
        chain_head: dict[str, Any] | None
        """``{"position": n, "hash": "..."}``; None for reports issued before
        publications recorded it"""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["chain_head"] = None

        def apply(self, period: Period) -> None:
            period.status = self.becomes

    def reopen(self, by: str, reason: str) -> None:
        if self.status.accepts_facts:
            raise ConflictError(
                N_("the {month} period is {status}"),
                month=self.month,
                status=self.status,
            )
        self.trigger_event(self.Reopened, by=by, reason=reason)

    class Reopened(Aggregate.Event):
        becomes: ClassVar[Status] = Status.REOPENED
        by: str
        reason: str

        def apply(self, period: Period) -> None:
            period.status = self.becomes


Period.TRANSITIONS = (Period.Closed, Period.Published, Period.Reopened)


class CompanyCalendar(Aggregate):
    """The company's own closed days, on top of the public holiday calendar."""

    ID = uuid5(NAMESPACE_URL, "appraisal:company-calendar")

    @staticmethod
    def create_id() -> UUID:
        return CompanyCalendar.ID

    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.closed: dict[str, str] = {}

    def close_day(self, day: date, reason: str, by: str) -> bool:
        if day.isoformat() in self.closed:
            return False
        self.trigger_event(self.DayClosed, day=day, reason=reason, by=by)
        return True

    class DayClosed(Aggregate.Event):
        day: date
        reason: str
        by: str

        def apply(self, calendar: CompanyCalendar) -> None:
            calendar.closed[self.day.isoformat()] = self.reason
