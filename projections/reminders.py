"""Improvement plan reminders on a schedule: the dispatcher asks at most every
``DeliverySettings.schedule_every`` seconds which plans owed
(``projections.cycle.duties``) are due today or overdue by the service's
business date (the company's time zone, or the pinned day), and queues a
reminder of each that a subscription wants (``domain.plan_reminders``).

- ``plan.due``: on the due date, while the plan is still open;
- ``plan.overdue``: from the day after it, while no plan was submitted, for
  up to ``OVERDUE_DAYS`` days (a dispatcher started after a long pause does
  not send reminders of plans long past).

Each is queued once (the event store keeps the first); what this process has
seen queued it does not ask about again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from domain.plan_reminders import (
    DUE,
    OVERDUE,
    PlanReminder,
    queue_reminder,
    queued_before,
)
from domain.webhooks import DELETED
from projections.cycle import Duty, duties

if TYPE_CHECKING:
    from datetime import date

    from projections.runtime import Runtime

OVERDUE_DAYS = 7


def reminder_kind(duty: Duty, today: date) -> str | None:
    """The reminder a plan owed calls for today, if any."""
    if duty.status == "open" and duty.due_on == today:
        return DUE
    if duty.status == "overdue" and (today - duty.due_on).days <= OVERDUE_DAYS:
        return OVERDUE
    return None


class Reminders:
    def __init__(self, runtime: Runtime, every: float) -> None:
        self.runtime = runtime
        self.every = every
        self.checked: float | None = None
        self.known: set[tuple[str, str]] = set()

    def tick(self, view: Any) -> int:
        """Queue the reminders due, at most every ``every`` seconds; how many
        were queued now."""
        now = time.monotonic()
        if self.checked is not None and now - self.checked < self.every:
            return 0
        self.checked = now
        wanted = {
            kind
            for webhook in view.webhooks()
            if webhook["status"] != DELETED
            for kind in webhook["kinds"]
        } & {DUE, OVERDUE}
        if not wanted:
            return 0
        app = self.runtime.app
        today = app.today()
        queued = 0
        for duty in duties(view, today):
            kind = reminder_kind(duty, today)
            key = (duty.duty_id, kind or "")
            if kind not in wanted or key in self.known:
                continue
            if not queued_before(app, *key):
                reminder = PlanReminder(
                    duty_id=duty.duty_id, kind=kind, month=str(duty.month),
                    agent_id=duty.agent_id, supervisor=duty.supervisor,
                    due_on=duty.due_on, on=today,
                )  # fmt: skip
                queued += queue_reminder(app, reminder)
            self.known.add(key)
        if queued:
            self.runtime.after_command()
        return queued
