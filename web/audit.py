"""For auditors: explain a score, verify the log, export the events behind it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Response, stream_with_context

from projections import audit
from projections.explain import Explanation, explain
from projections.scoreboard import NOW
from web import access
from web.agents import readable_agent
from web.api import Blueprint
from web.audit_schemas import AsOfQuery, ExplanationOut, ExportQuery, VerificationOut
from web.context import read_position, runtime
from web.inputs import month_in_path
from web.kept_reads import kept_read
from web.scorecards import view_as_of

blp = Blueprint("audit", __name__, description="Explanations and audits")


@blp.route("/agents/<agent_id>/scorecards/<month>/explain", methods=["GET"])
@kept_read("as_of")
@blp.arguments(AsOfQuery, location="query")
@blp.response(200, ExplanationOut)
@blp.refuses(403)
def explain_scorecard(query: dict[str, Any], agent_id: str, month: str) -> Explanation:
    """Every event behind the scorecard in log order — facts with the rule item,
    rulebook version and points, metric inputs, ratings and weights, disputes,
    corrections and the period's closes — and a running total ending at the
    scorecard's total. ``as_of`` or ``position`` read it as it stood then."""
    period = month_in_path(month)
    readable_agent(agent_id, period)
    view, position = view_as_of(query)
    found = explain(view, agent_id, period, position)
    return found if position != NOW else replace(found, as_of=read_position())


@blp.route("/audit/verify", methods=["GET"])
@blp.response(200, VerificationOut)
@blp.refuses(403)
@access.only(access.AUDIT)
def verify() -> audit.Verification:
    """Recompute the hash chain over every stored event; name the first event
    that does not match (admin, auditor)."""
    return audit.verify(runtime())


@blp.route("/audit/export", methods=["GET"])
@blp.arguments(ExportQuery, location="query")
@blp.refuses(403)
@blp.doc(
    responses={
        "200": {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}
    }
)
@access.only(access.AUDIT)
def export(query: dict[str, Any]) -> Response:
    """The events behind an agent-month, or a whole month, as JSON Lines with
    their chain hashes; the last line carries the SHA-256 of the others
    (admin, auditor)."""
    lines = audit.export(runtime(), query["month"], query.get("agent_id"))
    return Response(stream_with_context(lines), mimetype="application/x-ndjson")
