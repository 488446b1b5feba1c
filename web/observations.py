"""Complaints and promotion activities, one at a time (bulk: /imports)."""

from __future__ import annotations

from typing import Any

from domain.commands import NewObservation, Observed
from web.api import Blueprint
from web.context import principal, runtime
from web.fact_schemas import ComplaintIn, ObservedOut, PromotionIn

blp = Blueprint("observations", __name__, description="Complaints and promotion")


def _observe(kind: str, data: dict[str, Any]) -> tuple[Observed, int]:
    agent_id, occurred_on = data.pop("agent_id"), data.pop("occurred_on")
    (observed,) = runtime().app.record_observations(
        principal(), kind, [NewObservation(agent_id, occurred_on, data)], source="api"
    )
    runtime().after_command()
    return observed, 201 if observed.outcome == "recorded" else 200


@blp.route("/complaints", methods=["POST"])
@blp.arguments(ComplaintIn)
@blp.response(201, ObservedOut)
@blp.alt_response(200, schema=ObservedOut, description="Corrected or unchanged")
def record_complaint(data: dict[str, Any]) -> tuple[Observed, int]:
    """Record a customer complaint, by its number (admin, the team's supervisor).
    Posting the same number again with other details records a correction."""
    return _observe("complaints", data)


@blp.route("/promotion-activities", methods=["POST"])
@blp.arguments(PromotionIn)
@blp.response(201, ObservedOut)
@blp.alt_response(200, schema=ObservedOut, description="Corrected or unchanged")
def record_promotion(data: dict[str, Any]) -> tuple[Observed, int]:
    """Record promotion work on one of the five channels (the agent, the team's
    supervisor, admin)."""
    return _observe("promotion", data)
