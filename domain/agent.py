"""The roster: agents, their team and their supervisor."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:agent")


class Agent(Aggregate):
    """A customer-service agent, known by the company's own agent id."""

    @staticmethod
    def create_id(agent_id: str) -> UUID:
        return uuid5(_NAMESPACE, agent_id)

    class Registered(Aggregate.Created):
        agent_id: str
        name: str
        team: str
        supervisor: str
        joined_on: date | None
        registered_by: str

    @event(Registered)
    def __init__(
        self,
        agent_id: str,
        name: str,
        team: str,
        supervisor: str,
        joined_on: date | None,
        registered_by: str,
    ) -> None:
        self.agent_id = agent_id
        self.name = name
        self.team = team
        self.supervisor = supervisor
        self.joined_on = joined_on
        self.registered_by = registered_by
