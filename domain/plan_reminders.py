"""Reminders of an improvement plan owed (``projections.cycle.duties``): on
its due date while it is still open (``plan.due``), and once it is overdue
(``plan.overdue``).

A reminder is an event of its own aggregate, whose id is derived from the
duty and the kind: the event store takes the first one only (its key is the
aggregate's id and version), so each is queued exactly once whichever process
queues it, however often, across restarts. The outbox folds it as a moment
like any other.
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from domain.app_base import AppraisalBase

DUE, OVERDUE = "plan.due", "plan.overdue"
_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:plan-reminder")


def reminder_id(duty_id: str, kind: str) -> UUID:
    return uuid5(_NAMESPACE, f"{duty_id}|{kind}")


class PlanReminder(Aggregate):
    """A reminder, queued once, of a plan owed."""

    @staticmethod
    def create_id(duty_id: str, kind: str) -> UUID:
        return reminder_id(duty_id, kind)

    class Queued(Aggregate.Created):
        duty_id: str
        kind: str
        month: str
        agent_id: str
        supervisor: str
        due_on: date
        on: date

    @event(Queued)
    def __init__(
        self,
        duty_id: str,
        kind: str,
        month: str,
        agent_id: str,
        supervisor: str,
        due_on: date,
        on: date,
    ) -> None:
        self.duty_id = duty_id
        self.kind = kind


def queue_reminder(app: AppraisalBase, reminder: PlanReminder) -> bool:
    """Record ``reminder`` unless it was recorded before; whether it was now."""
    try:
        app.save(reminder)
    except IntegrityError:
        return False
    return True


def queued_before(app: AppraisalBase, duty_id: str, kind: str) -> bool:
    return reminder_id(duty_id, kind) in app.repository
