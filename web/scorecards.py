"""Monthly scorecards and rankings, read from the scoreboard view."""

from __future__ import annotations

from typing import Any

from domain.errors import NotFoundError
from domain.text import N_
from projections import cycle
from projections.scoreboard import NOW, ScoreboardView
from web.agents import readable_agent
from web.api import Blueprint
from web.audit_schemas import AsOfQuery
from web.context import read_position, read_view, runtime
from web.inputs import month_in_path
from web.kept_reads import kept_read
from web.schemas import RankingOut, RankingQuery, ScorecardOut

blp = Blueprint("scorecards", __name__, description="Scorecards and rankings")


def view_as_of(query: dict[str, Any]) -> tuple[ScoreboardView, int]:
    """The view and position to read: the present, or as it stood at the
    ``as_of`` time or ``position`` the query names (exactly what readers saw)."""
    if "as_of" in query:
        position = read_view().position_at(query["as_of"])
    elif "position" in query:
        position = query["position"]
        if position > read_position():
            # Well-formed, but no such position has been read yet: it names
            # something unknown, like an agent nobody registered.
            detail = N_("position {position} is ahead of the read models")
            raise NotFoundError(detail, field="position", position=position)
    else:
        return read_view(), NOW
    return runtime().view_as_of(position), position


@blp.route("/agents/<agent_id>/scorecards/<month>")
@kept_read
@blp.arguments(AsOfQuery, location="query")
@blp.response(200, ScorecardOut)
@blp.refuses(403)
def get_scorecard(query: dict[str, Any], agent_id: str, month: str) -> dict[str, Any]:
    """An agent's scorecard for a month: total, categories and the lines behind
    them; ``as_of`` (a time) or ``position`` read it as it stood then."""
    period = month_in_path(month)
    readable_agent(agent_id, period)
    view, position = view_as_of(query)
    card = view.scorecard(agent_id, period, position)
    state = view.period(period).as_of(position)
    published = cycle.after_publication(view, agent_id, period, card, position, state)
    disputes = [d for d in view.disputes(agent_id, str(period)) if d.open_at(position)]
    return {
        "agent_id": agent_id,
        "month": str(period),
        "rulebook": {"id": card.rulebook_id, "version": card.rulebook_version},
        "card": card,
        "period": state.status.value,
        "provisional": bool(disputes),
        "disputed": [d.deduction_id for d in disputes],
        "published_total": published.published_total,
        "changed_after_publication": published.changed,
        "reopenings": published.reopenings,
        "position": position if position != NOW else read_position(),
    }


@blp.route("/rankings/<month>")
@kept_read
@blp.arguments(RankingQuery, location="query")
@blp.response(200, RankingOut)
def get_ranking(query: dict[str, Any], month: str) -> dict[str, Any]:
    """The month's ranking, department-wide or for one team (1, 2, 2, 4 on ties);
    ``as_of`` (a time) or ``position`` read it as it stood then."""
    period = month_in_path(month)
    view, position = view_as_of(query)
    rulebook = view.catalog(position).for_month(period)
    return {
        "month": str(period),
        "team": query.get("team"),
        "rulebook": {"id": rulebook.id, "version": rulebook.version},
        "entries": view.ranking(period, query.get("team"), position),
        "period": view.period(period).as_of(position).status.value,
        "position": position if position != NOW else read_position(),
    }
