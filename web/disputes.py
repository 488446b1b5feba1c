"""Disputes: a supervisor contests a deduction; an admin or reviewer resolves it,
and the answer shows what that did to everyone's standing."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.commands import NewDispute, Resolution
from domain.errors import NotVisibleError
from domain.month import Month
from projections.explain import cascade
from projections.sql_disputes import DisputeRecord
from web import access
from web.api import UUID_PATTERN, Blueprint
from web.audit_schemas import (
    DisputedOut,
    DisputeIn,
    DisputeListOut,
    DisputeQuery,
    DisputeSummaryOut,
    ResolutionIn,
    ResolvedOut,
)
from web.context import principal, read_view, runtime, settings

blp = Blueprint("disputes", __name__, description="Disputes of deductions")
OUTCOMES = ("upheld", "overturned", "adjusted")


def _deduction_id(text: str) -> UUID:
    if not re.fullmatch(UUID_PATTERN, text):
        raise NotVisibleError(f"No deduction {text!r}.", field="deduction_id")
    return UUID(text)


@blp.route("/deductions/<deduction_id>/disputes", methods=["POST"])
@blp.arguments(DisputeIn)
@blp.response(201, DisputedOut)
def dispute(data: dict[str, Any], deduction_id: str) -> dict[str, Any]:
    """Dispute a deduction of your team (supervisor, admin), with a reason,
    optional evidence, a proposed quantity or points, and a named reviewer."""
    new = NewDispute(_deduction_id(deduction_id), **data)
    recorded = runtime().app.dispute_deduction(principal(), new)
    runtime().after_command()
    return {"deduction_id": deduction_id, "position": recorded.position}


@blp.route("/deductions/<deduction_id>/disputes/resolution", methods=["POST"])
@blp.arguments(ResolutionIn)
@blp.response(200, ResolvedOut)
def resolve(data: dict[str, Any], deduction_id: str) -> dict[str, Any]:
    """Resolve the open dispute: upheld, overturned, or adjusted with a new
    quantity or points (admin, or the named reviewer; never the disputer). The
    answer lists every agent whose total, rank, commission, top or bottom
    place changed."""
    resolution = Resolution(_deduction_id(deduction_id), **data)
    recorded = runtime().app.resolve_dispute(principal(), resolution)
    runtime().after_command()
    view, _ = runtime().read(recorded.position, settings().read_timeout)
    deduction = runtime().app.get_deduction(resolution.deduction_id)
    month = Month.of(deduction.occurred_on)
    changes = cascade(view, month, recorded.position - 1, recorded.position)
    return {
        "deduction_id": deduction_id,
        "outcome": data["outcome"],
        "position": recorded.position,
        "cascade": changes,
    }


def _visible(query: dict[str, Any]) -> list[tuple[DisputeRecord, str]]:
    view = read_view()
    month = query.get("month")
    teams = {a.agent_id: a.team for a in view.agents()}
    found = view.disputes(query.get("agent_id"), str(month) if month else None)
    return [
        (d, teams.get(d.agent_id, ""))
        for d in found
        if query.get("team") in (None, teams.get(d.agent_id))
        and query.get("reviewer") in (None, d.reviewer)
    ]


def _age(record: DisputeRecord, now: datetime) -> float:
    end = record.resolved_at or now
    return round((end - record.disputed_at).total_seconds() / 86400, 2)


@blp.route("/disputes", methods=["GET"])
@blp.arguments(DisputeQuery, location="query")
@blp.response(200, DisputeListOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def list_disputes(query: dict[str, Any]) -> dict[str, Any]:
    """Disputes, open by default, per team, reviewer, agent or month, with their
    age in days."""
    now = datetime.now(UTC)
    wanted = query["status"]
    return {
        "disputes": [
            {**record.__dict__, "team": team, "age_days": _age(record, now)}
            for record, team in _visible(query)
            if wanted == "all" or (wanted == "open") == (record.outcome is None)
        ]
    }


@blp.route("/disputes/summary", methods=["GET"])
@blp.arguments(DisputeQuery, location="query")
@blp.response(200, DisputeSummaryOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def summarise(query: dict[str, Any]) -> dict[str, Any]:
    """Open count, median days to resolve, and the share of each outcome."""
    records = [record for record, _ in _visible(query)]
    resolved = [r for r in records if r.outcome is not None]
    days = [_age(r, datetime.now(UTC)) for r in resolved]
    return {
        "open": len(records) - len(resolved),
        "resolved": len(resolved),
        "median_days_to_resolve": statistics.median(days) if days else None,
        "shares": {
            outcome: round(
                sum(r.outcome == outcome for r in resolved) / len(resolved), 4
            )
            for outcome in OUTCOMES
        }
        if resolved
        else {},
    }
