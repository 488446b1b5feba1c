"""360 ratings: self, supervisor and peer."""

from __future__ import annotations

from typing import Any

from domain.commands import NewRating
from domain.rulebook import Assessor
from web.api import Blueprint, created
from web.context import principal, runtime
from web.fact_schemas import RatingIn, RatingOut

blp = Blueprint("ratings", __name__, url_prefix="/ratings", description="360 ratings")


@blp.route("", methods=["POST"])
@blp.arguments(RatingIn)
@blp.response(201, RatingOut)
@blp.alt_response(200, schema=RatingOut, description="The same rating as before")
def rate(data: dict[str, Any]) -> tuple[Any, ...]:
    """Rate an agent for a month as self (the agent), supervisor (the team's) or
    peer (anyone else); rating again revises it. The rater is you."""
    new = NewRating(**data | {"assessor": Assessor(data["assessor"])})
    rated = runtime().app.rate(principal(), new)
    runtime().after_command()
    recorded = rated.recorded
    body = {
        "outcome": rated.outcome,
        "rating_id": recorded.id if recorded else None,
        "position": recorded.position if recorded else None,
        "scored": recorded.scored if recorded else None,
        "reason": recorded.reason if recorded else None,
    }
    if recorded is None:
        return body, 200
    return created(body, "observations.get_fact", fact_id=recorded.id)
