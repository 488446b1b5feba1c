"""Monthly scorecards and rankings, read from the scoreboard view."""

from __future__ import annotations

from typing import Any

from domain.errors import NotFoundError
from domain.month import Month
from domain.rulebook import Rulebook
from domain.scoring import score
from domain.text import N_
from projections import cycle
from projections.records import RankingEntry
from projections.scoreboard import NOW, ScoreboardView
from web.agents import known_team, readable_agent
from web.api import Blueprint
from web.audit_schemas import AsOfQuery
from web.context import read_position, read_view, runtime
from web.i18n import translate
from web.inputs import begun, month_in_path
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
@kept_read("position")
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
@kept_read("position")
@blp.arguments(RankingQuery, location="query")
@blp.response(200, RankingOut)
@blp.refuses(404)
def get_ranking(query: dict[str, Any], month: str) -> dict[str, Any]:
    """The month's ranking, department-wide or for one team (1, 2, 2, 4 on ties);
    ``as_of`` (a time) or ``position`` read it as it stood then."""
    period = begun(month_in_path(month))
    known_team(query.get("team"))
    view, position = view_as_of(query)
    rulebook = view.catalog(position).for_month(period)
    entries = view.ranking(period, query.get("team"), position)
    unranked = nothing_to_rank(view, period, position, rulebook, entries)
    return {
        "month": str(period),
        "team": query.get("team"),
        "rulebook": {"id": rulebook.id, "version": rulebook.version},
        "entries": [] if unranked else entries,
        "note": unranked,
        "period": view.period(period).as_of(position).status.value,
        "position": position if position != NOW else read_position(),
    }


def nothing_to_rank(
    view: ScoreboardView,
    month: Month,
    position: int,
    rulebook: Rulebook,
    entries: list[RankingEntry],
) -> str | None:
    """Why the month ranks nobody, if no fact of it is recorded (by
    ``position``): a ranking of empty scorecards would put everyone first."""
    empty = score(rulebook, ()).total
    if any(entry.total != empty for entry in entries):
        return None
    if position == NOW:
        recorded = bool(view.totals(month))
    else:
        recorded = bool(view.facts_of_months([month], position))
    if recorded:
        return None
    if position != NOW:
        by = N_(
            "No fact of {month} is recorded by position {position}: nothing to rank."
        )
        return translate(by, {"month": month, "position": position})
    if month == Month.of(runtime().app.today()):
        return translate(N_("No fact of {month} is recorded yet: nothing to rank."),
                         {"month": month})  # fmt: skip
    return translate(N_("No fact of {month} is recorded: nothing to rank."),
                     {"month": month})  # fmt: skip
