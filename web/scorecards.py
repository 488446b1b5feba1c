"""Monthly scorecards and rankings, read from the scoreboard view."""

from __future__ import annotations

from typing import Any

from domain.month import Month
from projections import cycle
from web.agents import readable_agent
from web.api import Blueprint
from web.context import read_position, runtime
from web.errors import fail
from web.schemas import RankingOut, RankingQuery, ScorecardOut

blp = Blueprint("scorecards", __name__, description="Scorecards and rankings")


def month_param(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        fail(
            400,
            f"{text!r} is not a month; use YYYY-MM.",
            code="validation_failed",
            field="month",
        )


@blp.route("/agents/<agent_id>/scorecards/<month>")
@blp.response(200, ScorecardOut)
def get_scorecard(agent_id: str, month: str) -> dict[str, Any]:
    """An agent's scorecard for a month: total, categories and the lines behind them."""
    period = month_param(month)
    readable_agent(agent_id, period)
    view = runtime().view
    card = view.scorecard(agent_id, period)
    published = cycle.after_publication(view, agent_id, period, card)
    return {
        "agent_id": agent_id,
        "month": str(period),
        "rulebook": {"id": card.rulebook_id, "version": card.rulebook_version},
        "card": card,
        "period": view.period(period).status.value,
        "published_total": published.published_total,
        "changed_after_publication": published.changed,
        "reopenings": published.reopenings,
        "position": read_position(),
    }


@blp.route("/rankings/<month>")
@blp.arguments(RankingQuery, location="query")
@blp.response(200, RankingOut)
def get_ranking(query: dict[str, Any], month: str) -> dict[str, Any]:
    """The month's ranking, department-wide or for one team (1, 2, 2, 4 on ties)."""
    period = month_param(month)
    rulebook = runtime().view.catalog().for_month(period)
    return {
        "month": str(period),
        "team": query.get("team"),
        "rulebook": {"id": rulebook.id, "version": rulebook.version},
        "entries": runtime().view.ranking(period, query.get("team")),
        "period": runtime().view.period(period).status.value,
        "position": read_position(),
    }
