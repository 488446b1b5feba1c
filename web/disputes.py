"""Disputes: a supervisor contests a deduction; an admin or reviewer resolves it,
and the answer shows what that did to everyone's standing."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.commands import NewDispute, Resolution
from domain.errors import NotVisibleError
from domain.month import Month
from domain.text import N_
from projections.explain import cascade
from projections.resolution_preview import preview
from projections.sql_disputes import DisputeRecord
from projections.sql_lists import DISPUTE_FILTERS
from web import access
from web.agents import known_team
from web.api import UUID_PATTERN, Blueprint, created
from web.audit_schemas import (
    DisputedOut,
    DisputeFilter,
    DisputeIn,
    DisputeListOut,
    DisputeOut,
    DisputeQuery,
    DisputeSummaryOut,
    ResolutionIn,
    ResolvedOut,
)
from web.context import principal, read_position, read_view, runtime, settings
from web.pages import page

blp = Blueprint("disputes", __name__, description="Disputes of deductions")
OUTCOMES = ("upheld", "overturned", "adjusted")
MAX_DISPUTE_NUMBER = 2**31 - 1


def _deduction_id(text: str) -> UUID:
    if not re.fullmatch(UUID_PATTERN, text):
        raise NotVisibleError(N_("No deduction {id!r}."), id=text, field="deduction_id")
    return UUID(text)


@blp.route("/deductions/<deduction_id>/disputes", methods=["POST"])
@blp.arguments(DisputeIn)
@blp.response(201, DisputedOut)
def dispute(data: dict[str, Any], deduction_id: str) -> Any:
    """Dispute a deduction of your team (supervisor, admin), with a reason,
    optional evidence, a proposed quantity or points, and a named reviewer.
    The answer names the dispute and the day it must be resolved by."""
    new = NewDispute(_deduction_id(deduction_id), **data)
    opened = runtime().app.dispute_deduction(principal(), new)
    runtime().after_command()
    body = {**vars(opened), "deduction_id": str(new.deduction_id)}
    return created(
        body,
        "disputes.get_dispute",
        deduction_id=new.deduction_id,
        number=opened.number,
    )


@blp.route("/deductions/<deduction_id>/disputes/<int:number>", methods=["GET"])
@blp.response(200, DisputeOut)
def get_dispute(deduction_id: str, number: int) -> dict[str, Any]:
    """One dispute of a deduction, by its number (1 for the first), with its
    deadline and how it was resolved."""
    view = read_view()
    named = str(_deduction_id(deduction_id))
    found = access.owned(
        principal(),
        view.dispute(named, number) if number <= MAX_DISPUTE_NUMBER else None,
        lambda record: record.agent_id,
        f"No dispute {number} of deduction {deduction_id!r} is visible to you.",
        field="number",
    )
    team = getattr(view.agent(found.agent_id), "team", None)
    return _shown(found, team, view.dispute_deadlines([found.month]))


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


@blp.route("/deductions/<deduction_id>/disputes/resolution/preview", methods=["POST"])
@blp.arguments(ResolutionIn)
@blp.response(200, ResolvedOut)
@blp.refuses(409)
def preview_resolution(data: dict[str, Any], deduction_id: str) -> dict[str, Any]:
    """What resolving the open dispute so would do, recording nothing: the
    same checks as resolving it (who may, what outcome), and the cascade it
    would answer, from the read models at ``position`` (honours
    Min-Position)."""
    resolution = Resolution(_deduction_id(deduction_id), **data)
    resolved = runtime().app.resolved(principal(), resolution)
    (event,) = resolved.collect_events()
    return {
        "deduction_id": deduction_id,
        "outcome": data["outcome"],
        "position": read_position(),
        "cascade": preview(read_view(), event, read_position()),
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


def _shown(
    record: DisputeRecord, team: str | None, deadlines: dict[str, date]
) -> dict[str, Any]:
    return {
        **vars(record),
        "team": team,
        "age_days": _age(record, datetime.now(UTC)),
        "deadline": deadlines[record.month],
    }


@blp.route("/disputes", methods=["GET"])
@blp.arguments(DisputeQuery, location="query")
@blp.response(200, DisputeListOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def list_disputes(query: dict[str, Any]) -> dict[str, Any]:
    """Disputes, newest first: open by default, resolved, by outcome or all;
    per team, reviewer, agent or month, or due before a day; with their age in
    days and their deadline."""
    view = read_view()
    known_team(query.get("team"))
    filters = {name: query.get(name) for name in DISPUTE_FILTERS}
    filters["month"] = str(query["month"]) if "month" in query else None
    deadlines = view.dispute_deadlines(view.dispute_months())
    due = query.get("due_before")
    months = None if due is None else [m for m, d in deadlines.items() if d < due]
    state = None if query["status"] == "all" else query["status"]
    limit = query["limit"]
    found = view.dispute_page(filters, limit + 1, query.get("after"), state, months)
    shown, following = page(found, limit, lambda record: record.disputed_position)
    return {
        "disputes": [_shown(d, d.team, deadlines) for d in shown],
        "next": following,
    }


@blp.route("/disputes/summary", methods=["GET"])
@blp.arguments(DisputeFilter, location="query")
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
