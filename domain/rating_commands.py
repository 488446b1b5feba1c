"""360 ratings: given and revised (part of AppraisalApp)."""

from __future__ import annotations

from decimal import Decimal

from eventsourcing.application import AggregateNotFoundError

from domain.access import Principal, Role
from domain.agent import Agent
from domain.commands import NewRating, RatingOutcome, Recorded
from domain.errors import InvalidFactError, NotFoundError, NotPermittedError
from domain.guards import guarded
from domain.month import Month
from domain.ratings import DIMENSIONS, SCALE, Rating
from domain.roster_commands import RosterCommands
from domain.rulebook import Assessor
from domain.rules_commands import RulesCommands
from domain.text import N_


class RatingCommands(RosterCommands, RulesCommands):
    """Ratings by the agent, the supervisor and peers."""

    @guarded
    def rate(self, principal: Principal, new: NewRating) -> RatingOutcome:
        """Give or revise a 360 rating (unchanged if it is the same as before)."""
        agent = self.get_agent(new.agent_id)
        self._may_rate(principal, agent, new.assessor)
        self._check_rating(agent, new)
        dimensions = {
            k: format(Decimal(v).normalize(), "f") for k, v in new.dimensions.items()
        }
        key = Rating.create_id(
            new.agent_id, str(new.month), new.assessor.value, principal.user
        )
        try:
            rating: Rating = self.repository.get(key)
        except AggregateNotFoundError:
            rating = Rating(
                agent_id=new.agent_id,
                month=str(new.month),
                assessor=new.assessor.value,
                rater=principal.user,
                dimensions=dimensions,
                comment=new.comment,
            )
            outcome = "given"
        else:
            if not rating.revise(dimensions, new.comment):
                return RatingOutcome("unchanged", None)
            outcome = "revised"
        (recording,) = self.save(rating)
        recorded = Recorded.of(recording).judged(self.verdict_of(recording))
        return RatingOutcome(outcome, recorded)

    def _may_rate(self, principal: Principal, agent: Agent, assessor: Assessor) -> None:
        """Self: the agent; supervisor: the team's supervisor (or an admin);
        peer: another agent of the same team (the group the agent works with)."""
        own = principal.user == agent.agent_id
        allowed = {
            Assessor.SELF: lambda: principal.role is Role.AGENT and own,
            Assessor.SUPERVISOR: lambda: principal.may_record_for(agent.team),
            Assessor.PEER: lambda: (
                principal.role is Role.AGENT
                and not own
                and self._team_of(principal.user) == agent.team
            ),
        }[assessor]()
        if not allowed:
            raise NotPermittedError(
                N_("{user} may not give {agent_id} a {assessor} rating"),
                user=principal.user,
                agent_id=agent.agent_id,
                assessor=assessor.value,
            )

    def _team_of(self, agent_id: str) -> str | None:
        try:
            return self.get_agent(agent_id).team
        except NotFoundError:
            return None

    def _check_rating(self, agent: Agent, new: NewRating) -> None:
        expected = set(DIMENSIONS[new.assessor])
        if set(new.dimensions) != expected:
            raise InvalidFactError(
                N_("a {assessor} rating rates {dimensions}"),
                assessor=new.assessor.value,
                dimensions=", ".join(sorted(expected)),
                field="dimensions",
            )
        for name, value in new.dimensions.items():
            if not Decimal(0) <= Decimal(value) <= SCALE:
                raise InvalidFactError(
                    N_("{name} must be between 0 and {scale}"),
                    name=name,
                    scale=SCALE,
                    field=f"dimensions.{name}",
                )
        if new.month > Month.of(self.today()):
            raise InvalidFactError(
                N_("{month} has not begun"), month=new.month, field="month"
            )
        self.period(new.month).refuse_facts()  # ratings are accepted until it closes
        if agent.joined_on and new.month.last_day < agent.joined_on:
            raise InvalidFactError(
                N_("{agent_id} joined on {joined_on}, after {month}"),
                agent_id=agent.agent_id,
                joined_on=agent.joined_on,
                month=new.month,
                field="month",
            )
