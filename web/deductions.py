"""Deductions: a rule item breached, recorded by the authenticated supervisor."""

from __future__ import annotations

from typing import Any

from flask import url_for

from domain.commands import NewDeduction
from projections.scoreboard import DeductionRecord
from web import access
from web.api import Blueprint
from web.context import principal, read_view, runtime
from web.schemas import DeductionIn, DeductionOut

blp = Blueprint(
    "deductions", __name__, url_prefix="/deductions", description="Recorded deductions"
)


@blp.route("", methods=["POST"])
@blp.arguments(DeductionIn)
@blp.response(201, DeductionOut)
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
    }
    location = url_for("deductions.get_deduction", deduction_id=recorded.id)
    return body, 201, {"Location": location}


@blp.route("/<deduction_id>", methods=["GET"])
@blp.response(200, DeductionOut)
def get_deduction(deduction_id: str) -> DeductionRecord:
    """One recorded deduction."""
    return access.owned(
        principal(),
        read_view().deduction(deduction_id),
        lambda found: found.agent_id,
        f"No deduction {deduction_id!r} is visible to you.",
        field="deduction_id",
    )
