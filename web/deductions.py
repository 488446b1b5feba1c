"""Deductions: a rule item breached, recorded by the authenticated supervisor."""

from __future__ import annotations

from typing import Any

from domain.commands import NewDeduction
from projections.scoreboard import DeductionRecord
from projections.sql_lists import DEDUCTION_FILTERS
from web import access
from web.agents import known_team
from web.api import Blueprint, created
from web.context import principal, read_view, runtime
from web.pages import page
from web.schemas import (
    DeductionIn,
    DeductionListOut,
    DeductionQuery,
    ListedDeductionOut,
    RecordedDeductionOut,
)

blp = Blueprint(
    "deductions", __name__, url_prefix="/deductions", description="Recorded deductions"
)


@blp.route("", methods=["POST"])
@blp.arguments(DeductionIn)
@blp.response(201, RecordedDeductionOut)
def record_deduction(
    data: dict[str, Any],
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Record a deduction (admin, or the supervisor of the agent's team)."""
    recorded = runtime().app.record_deduction(principal(), NewDeduction(**data))
    runtime().after_command()
    body = {
        **data,
        "deduction_id": recorded.id,
        "recorded_by": principal().user,
        "recorded_at": recorded.recorded_at,
        "event_id": recorded.event_id,
        "position": recorded.position,
        "excluded": None,
        "scored": recorded.scored,
        "reason": recorded.reason,
    }
    return created(body, "deductions.get_deduction", deduction_id=recorded.id)


@blp.route("", methods=["GET"])
@blp.arguments(DeductionQuery, location="query")
@blp.response(200, DeductionListOut)
@blp.refuses(403)
def list_deductions(query: dict[str, Any]) -> dict[str, Any]:
    """Recorded deductions, newest first, by agent, team, month, rule item or
    status: everyone's for admins, reviewers and auditors, the team's for a
    supervisor, their own for an agent."""
    view = read_view()
    known_team(query.get("team"))
    wanted = {name: query.get(name) for name in DEDUCTION_FILTERS}
    if wanted["month"] is not None:
        wanted["month"] = str(wanted["month"])
    filters = access.within(principal(), wanted, view.agent)
    found = view.deduction_page(filters, query["limit"] + 1, query.get("after"))
    shown, following = page(found, query["limit"], lambda found: found.position)
    return {"deductions": shown, "next": following}


@blp.route("/<deduction_id>", methods=["GET"])
@blp.response(200, ListedDeductionOut)
def get_deduction(deduction_id: str) -> DeductionRecord:
    """One recorded deduction, as recorded, with the agent's team, the month it
    counts in and where its disputes left it (also when overturned)."""
    return access.owned(
        principal(),
        read_view().deduction(deduction_id),
        lambda found: found.agent_id,
        f"No deduction {deduction_id!r} is visible to you.",
        field="deduction_id",
    )
