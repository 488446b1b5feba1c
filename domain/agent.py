"""The roster: agents, their team and their supervisor."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError, InvalidFactError
from domain.text import N_

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:agent")


class Agent(Aggregate):
    """A customer-service agent, known by the company's own agent id."""

    @staticmethod
    @lru_cache(maxsize=65536)  # a pure function, asked once per fact of a batch
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
        self.left_on: date | None = None

    def leave(self, left_on: date, by: str) -> None:
        """Record the agent's last working day."""
        if self.joined_on and left_on < self.joined_on:
            raise InvalidFactError(
                N_("{agent_id} joined on {joined_on}, after {left_on}"),
                agent_id=self.agent_id,
                joined_on=self.joined_on,
                left_on=left_on,
                field="left_on",
            )
        if self.left_on is not None:
            raise ConflictError(
                N_("{agent_id} left on {left_on}"),
                agent_id=self.agent_id,
                left_on=self.left_on,
                field="left_on",
            )
        self.trigger_event(self.Left, agent_id=self.agent_id, left_on=left_on, by=by)

    class Left(Aggregate.Event):
        agent_id: str
        left_on: date
        by: str

        def apply(self, agent: Agent) -> None:
            agent.left_on = self.left_on
