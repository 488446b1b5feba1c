"""Improvement plans: what the supervisor of a bottom-group agent submits after
the month is published (why the agent fell behind, what will change)."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:improvement-plan")


def duty_id(month: str, agent_id: str) -> UUID:
    """The duty to plan an agent's improvement after a month's report."""
    return uuid5(_NAMESPACE, f"{month}|{agent_id}")


class ImprovementPlan(Aggregate):
    """A plan submitted against a duty; a later submission revises it."""

    @staticmethod
    def create_id(month: str, agent_id: str) -> UUID:
        return duty_id(month, agent_id)

    class Submitted(Aggregate.Created):
        month: str
        agent_id: str
        why: str
        actions: str
        submitted_by: str
        submitted_on: date

    @event(Submitted)
    def __init__(
        self,
        month: str,
        agent_id: str,
        why: str,
        actions: str,
        submitted_by: str,
        submitted_on: date,
    ) -> None:
        self.month = month
        self.agent_id = agent_id

    def revise(self, why: str, actions: str, submitted_by: str, on: date) -> None:
        self.trigger_event(
            self.Revised,
            month=self.month,
            agent_id=self.agent_id,
            why=why,
            actions=actions,
            submitted_by=submitted_by,
            submitted_on=on,
        )

    class Revised(Aggregate.Event):
        month: str
        agent_id: str
        why: str
        actions: str
        submitted_by: str
        submitted_on: date
