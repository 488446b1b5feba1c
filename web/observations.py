"""Complaints and promotion activities, one at a time (bulk: /imports)."""

from __future__ import annotations

import re
from typing import Any

from domain.commands import NewObservation
from web import access
from web.api import UUID_PATTERN, Blueprint, created
from web.context import principal, read_view, runtime
from web.fact_schemas import ComplaintIn, FactOut, ObservedOut, PromotionIn

blp = Blueprint("observations", __name__, description="Complaints and promotion")


def _observe(kind: str, data: dict[str, Any]) -> tuple[Any, ...]:
    agent_id, occurred_on = data.pop("agent_id"), data.pop("occurred_on")
    (observed,) = runtime().app.record_observations(
        principal(), kind, [NewObservation(agent_id, occurred_on, data)], source="api"
    )
    runtime().after_command()
    if observed.outcome != "recorded":
        return observed, 200
    return created(observed, "observations.get_fact", fact_id=observed.observation_id)


@blp.route("/facts/<fact_id>", methods=["GET"])
@blp.response(200, FactOut)
def get_fact(fact_id: str) -> dict[str, Any]:
    """One recorded fact (a complaint, a promotion activity, a rating, any
    observation or deduction) with every ledger row it made, counted or not."""
    rows = read_view().fact_rows(fact_id) if re.fullmatch(UUID_PATTERN, fact_id) else []
    first = access.owned(
        principal(),
        rows[0] if rows else None,
        lambda row: row["agent_id"],
        f"No fact {fact_id!r} is visible to you.",
        field="fact_id",
    )
    return {**first, "rows": rows}


@blp.route("/complaints", methods=["POST"])
@blp.arguments(ComplaintIn)
@blp.response(201, ObservedOut)
@blp.alt_response(200, schema=ObservedOut, description="Corrected or unchanged")
def record_complaint(data: dict[str, Any]) -> tuple[Any, ...]:
    """Record a customer complaint, by its number (admin, the team's supervisor).
    Posting the same number again with other details records a correction."""
    return _observe("complaints", data)


@blp.route("/promotion-activities", methods=["POST"])
@blp.arguments(PromotionIn)
@blp.response(201, ObservedOut)
@blp.alt_response(200, schema=ObservedOut, description="Corrected or unchanged")
def record_promotion(data: dict[str, Any]) -> tuple[Any, ...]:
    """Record promotion work on one of the five channels (the agent, the team's
    supervisor, admin)."""
    return _observe("promotion", data)
