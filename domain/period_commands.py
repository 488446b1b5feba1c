"""Each month's period (closed, published, reopened) and the company calendar
(part of AppraisalApp)."""

from __future__ import annotations

from datetime import date
from typing import Protocol, cast

from eventsourcing.application import AggregateNotFoundError

from domain.access import Principal
from domain.app_base import AppraisalBase
from domain.errors import InvalidFactError
from domain.guards import guard
from domain.month import Month
from domain.periods import CompanyCalendar, Period
from domain.text import N_


class ChainedRecorder(Protocol):
    def chain_head(self) -> tuple[int, str]:
        """The hash chain's last link: its position and hash."""


class PeriodCommands(AppraisalBase):
    """Periods and the company's closed days."""

    def period(self, month: Month) -> Period:
        """The month's period (open, if nothing was done to it yet)."""
        return self._stored_period(month) or Period(month=str(month))

    def refuse_facts_in(self, month: Month) -> None:
        """Refuse a fact of ``month`` if its period is closed or published (a
        period nothing was done to is open)."""
        found = self._stored_period(month)
        if found is not None:
            found.refuse_facts()

    def _stored_period(self, month: Month) -> Period | None:
        """The month's period if anything was done to it; the command that
        reads it is guarded by what it read."""
        self.check_range(month, "month")
        period_id = Period.create_id(str(month))
        found: Period | None = self._find(period_id)
        guard(period_id, found.version if found is not None else None)
        return found

    def close_period(self, principal: Principal, month: Month) -> int:
        self._require_admin(principal, N_("close periods"))
        period = self.period(month)
        period.close(principal.user, self.today())
        (*_, recording) = self.save(period)
        return recording.notification.id

    def publish_period(self, principal: Principal, month: Month) -> int:
        """Issue the monthly report: rankings, rewards and duties follow from it."""
        self._require_admin(principal, N_("publish periods"))
        period = self.period(month)
        recorder = cast(ChainedRecorder, self.recorder)
        position, digest = recorder.chain_head()
        head = {"position": position, "hash": digest}
        period.publish(principal.user, self.today(), head)
        (recording,) = self.save(period)
        return recording.notification.id

    def reopen_period(self, principal: Principal, month: Month, reason: str) -> int:
        self._require_admin(principal, N_("reopen periods"))
        if not reason.strip():
            raise InvalidFactError(N_("say why the period is reopened"), field="reason")
        period = self.period(month)
        period.reopen(principal.user, reason)
        (recording,) = self.save(period)
        return recording.notification.id

    def is_working_day(self, day: date) -> bool:
        try:
            calendar: CompanyCalendar = self._read(CompanyCalendar.ID)
        except AggregateNotFoundError:
            return self.public_working_day(day)
        return day.isoformat() not in calendar.closed and self.public_working_day(day)

    def close_day(self, principal: Principal, day: date, reason: str) -> int | None:
        """Add a company closed day (not a working day for review windows)."""
        self._require_admin(principal, N_("change the company calendar"))
        self.check_range(day, "day")
        try:
            calendar: CompanyCalendar = self.repository.get(CompanyCalendar.ID)
        except AggregateNotFoundError:
            calendar = CompanyCalendar()
        if not calendar.close_day(day, reason, principal.user):
            return None
        (*_, recording) = self.save(calendar)
        return recording.notification.id
