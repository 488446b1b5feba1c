"""The roster: register agents and look them up."""

from __future__ import annotations

from typing import Any

from domain.commands import NewAgent, Recorded
from domain.errors import NotFoundError, NotVisibleError
from domain.month import Month
from domain.text import N_
from projections.scoreboard import AgentRecord
from web import access
from web.api import Blueprint, created
from web.context import principal, read_view, runtime
from web.cycle_schemas import LeaveIn
from web.fact_schemas import RecordedOut
from web.inputs import begun
from web.schemas import AgentIn, AgentList, AgentOut, AgentQuery

blp = Blueprint("agents", __name__, url_prefix="/agents", description="The roster")


@blp.route("", methods=["POST"])
@blp.arguments(AgentIn)
@blp.response(201, AgentOut)
def register_agent(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Register an agent (admin only)."""
    recorded = runtime().app.register_agent(principal(), NewAgent(**data))
    runtime().after_command()
    body = {
        **data,
        "registered_at": recorded.recorded_at,
        "position": recorded.position,
    }
    return created(body, "agents.get_agent", agent_id=recorded.id)


@blp.route("", methods=["GET"])
@blp.arguments(AgentQuery, location="query")
@blp.response(200, AgentList)
def list_agents(query: dict[str, Any]) -> dict[str, list[AgentRecord]]:
    """The roster, optionally one team. Agents see only themselves."""
    known_team(query.get("team"))
    return {"agents": access.roster(principal(), read_view().agents(query.get("team")))}


@blp.route("/<agent_id>/leave", methods=["POST"])
@blp.arguments(LeaveIn)
@blp.response(201, RecordedOut)
def record_leaving(data: dict[str, Any], agent_id: str) -> tuple[Recorded, ...]:
    """Record an agent's last working day (admin). Later facts are refused; the
    months they worked in part rank them only if present enough working days."""
    recorded = runtime().app.record_leaving(principal(), agent_id, data["left_on"])
    runtime().after_command()
    return created(recorded, "agents.get_agent", agent_id=agent_id)


@blp.route("/<agent_id>", methods=["GET"])
@blp.response(200, AgentOut)
@blp.refuses(403)
def get_agent(agent_id: str) -> AgentRecord:
    """One agent."""
    return readable_agent(agent_id)


def readable_agent(agent_id: str, month: Month | None = None) -> AgentRecord:
    """The agent if the principal may see it (and it was on the roster in month)."""
    access.agent(principal(), agent_id)
    agent = read_view().agent(agent_id)
    if agent is None:
        detail = N_("No agent is registered as {agent_id!r}.")
        raise NotVisibleError(detail, field="agent_id", agent_id=agent_id)
    if month is not None and not agent.present_in(begun(month)):
        detail = N_("{agent_id} joined on {joined_on}, after {month}.")
        raise NotVisibleError(
            detail, field="month", agent_id=agent_id, joined_on=agent.joined_on,
            month=month,
        )  # fmt: skip
    return agent


def known_team(team: str | None) -> None:
    """Refuse a team no agent was ever registered in: a filter naming it
    would answer nothing, as if the team were empty."""
    if team is None:
        return
    teams = {agent.team for agent in read_view().agents()}
    if team not in teams:
        known = ", ".join(sorted(teams)) or N_("none yet")
        detail = N_("No agent is registered in team {team!r} (teams: {known}).")
        raise NotFoundError(detail, field="team", team=team, known=known)
