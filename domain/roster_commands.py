"""Agents: registered, read, leaving; who may record a fact about one, and for
which days; improvement plans (part of AppraisalApp)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.access import Principal
from domain.agent import Agent
from domain.commands import NewAgent, Recorded
from domain.errors import (
    AgentAlreadyRegisteredError,
    AgentNotFoundError,
    InvalidFactError,
    NotPermittedError,
)
from domain.month import Month
from domain.period_commands import PeriodCommands
from domain.periods import Period, Status
from domain.plans import ImprovementPlan
from domain.register import RulesRegister
from domain.text import N_


class RosterCommands(PeriodCommands):
    """The roster, and the check every fact about an agent passes."""

    def register_agent(self, principal: Principal, new: NewAgent) -> Recorded:
        (recorded,) = self.register_agents(principal, [new])
        return recorded

    def register_agents(
        self, principal: Principal, batch: Sequence[NewAgent]
    ) -> list[Recorded]:
        """Register many agents in one transaction: all of them or none."""
        if not principal.may_register_agents:
            raise NotPermittedError(N_("only an admin may register agents"))
        for new in batch:
            if new.joined_on is not None:
                self.check_range(new.joined_on, "joined_on")
        agents = [
            Agent(
                agent_id=new.agent_id,
                name=new.name,
                team=new.team,
                supervisor=new.supervisor,
                joined_on=new.joined_on,
                registered_by=principal.user,
            )
            for new in batch
        ]
        try:
            recordings = self.save(*agents)
        except IntegrityError:
            ids = ", ".join(repr(new.agent_id) for new in batch)
            raise AgentAlreadyRegisteredError(
                N_("agent id already registered: {ids}"), ids=ids, field="agent_id"
            ) from None
        return [
            Recorded.of(r, a.agent_id) for r, a in zip(recordings, agents, strict=True)
        ]

    def get_agent(self, agent_id: str) -> Agent:
        try:
            agent: Agent = self._read(Agent.create_id(agent_id))
        except AggregateNotFoundError:
            raise AgentNotFoundError(
                N_("no agent is registered as {agent_id!r}"),
                agent_id=agent_id,
                field="agent_id",
            ) from None
        return agent

    def record_leaving(
        self, principal: Principal, agent_id: str, left_on: date
    ) -> Recorded:
        self._require_admin(principal, N_("record that an agent left"))
        self.check_range(left_on, "left_on")
        agent = self.get_agent(agent_id)
        agent.leave(left_on, principal.user)
        (recording,) = self.save(agent)
        return Recorded.of(recording, agent_id)

    @staticmethod
    def reads_of_facts(facts: Iterable[tuple[str, date]]) -> list[UUID]:
        """What checking facts of these agents on these days reads: the agents,
        the periods of their months and the rules register (to read at once)."""
        agents, months = set(), set()
        for agent_id, on in facts:
            agents.add(agent_id)
            months.add(str(Month.of(on)))
        return [
            *(Agent.create_id(a) for a in sorted(agents)),
            *(Period.create_id(m) for m in sorted(months)),
            RulesRegister.ID,
        ]

    def check_fact(
        self,
        principal: Principal,
        agent: Agent,
        on: date,
        *,
        self_service: bool = False,
    ) -> None:
        """Who may record a fact about ``agent`` dated ``on``, and when it may fall:
        not in the future, not outside the agent's time with the company, not in
        a month whose period is closed or published."""
        self.check_range(on, "occurred_on")
        own = self_service and principal.user == agent.agent_id
        if not (own or principal.may_record_for(agent.team)):
            raise NotPermittedError(
                N_("{user} may not record facts for team {team!r}"),
                user=principal.user,
                team=agent.team,
            )
        if on > self.today():
            raise InvalidFactError(
                N_("{day} is in the future"), day=on, field="occurred_on"
            )
        if agent.joined_on and on < agent.joined_on:
            raise InvalidFactError(
                N_("{day} is before {agent_id} joined on {joined_on}"),
                day=on,
                agent_id=agent.agent_id,
                joined_on=agent.joined_on,
                field="occurred_on",
            )
        if agent.left_on and on > agent.left_on:
            raise InvalidFactError(
                N_("{day} is after {agent_id} left on {left_on}"),
                day=on,
                agent_id=agent.agent_id,
                left_on=agent.left_on,
                field="occurred_on",
            )
        self.refuse_facts_in(Month.of(on))

    def submit_plan(
        self, principal: Principal, month: Month, agent_id: str, why: str, actions: str
    ) -> Recorded:
        """The improvement plan owed for a bottom-group agent of a published month."""
        agent = self.get_agent(agent_id)
        if not principal.may_record_for(agent.team):
            raise NotPermittedError(
                N_("only {agent_id}'s supervisor or an admin may submit the plan"),
                agent_id=agent.agent_id,
            )
        if self.period(month).status is not Status.PUBLISHED:
            raise InvalidFactError(
                N_("{month} has not been published"), month=month, field="month"
            )
        plan_id = ImprovementPlan.create_id(str(month), agent_id)
        try:
            plan: ImprovementPlan = self.repository.get(plan_id)
        except AggregateNotFoundError:
            plan = ImprovementPlan(
                month=str(month),
                agent_id=agent_id,
                why=why,
                actions=actions,
                submitted_by=principal.user,
                submitted_on=self.today(),
            )
        else:
            plan.revise(why, actions, principal.user, self.today())
        (recording,) = self.save(plan)
        return Recorded.of(recording)
