"""Health: whether the store answers and the read side keeps up."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import psycopg
from flask import Response

from projections.backlog import backlog
from projections.health import UNAVAILABLE
from web.api import Blueprint
from web.context import runtime, settings
from web.errors import PROBLEM_JSON, problem_response
from web.i18n import translate
from web.schemas import Health, HealthProblem

blp = Blueprint("health", __name__, description="Service health")


@blp.route("/health")
@blp.doc(security=[])
@blp.response(200, Health)
@blp.alt_response(
    503,
    schema=HealthProblem,
    content_type=PROBLEM_JSON,
    description="The store is unreachable or the read side is "
    "stalled or not running; the body names the problem",
)
def health() -> Any:
    """200 when all is well: the store answers, and the read models keep up with
    the log (no stall, a projector heard from recently). Otherwise 503 with a
    problem document that says what is wrong, within about two seconds. A read
    replica that fails is reported (status degraded) but answers 200: reads
    fall back to the primary. So is a webhook delivery backlog: how many
    deliveries are pending, how long the oldest has waited (degraded past
    APPRAISAL_WEBHOOK_BACKLOG_SECONDS) and which subscriptions are failing."""
    report = runtime().health()
    body: dict[str, Any] = {
        "status": "ok",
        "backend": report.backend,
        "position": report.position,
        "head": report.head,
        "lag": report.lag,
        "read_models": [
            {"name": name, "position": position, "live": name == report.live,
             "lag": max(report.head - position, 0)}
            for name, position in sorted(report.positions.items())
        ],
        "projectors": [
            {"name": s.name, "process": s.process, "position": s.position,
             "seen_at": s.seen_at.isoformat(), "stalled_at": s.stalled_at,
             "stalled_topic": s.stalled_topic, "error": s.error}
            for s in report.statuses.values()
        ],
    }  # fmt: skip
    behind = False
    if report.reachable:
        with contextlib.suppress(*UNAVAILABLE, psycopg.Error):
            body["webhooks"] = _deliveries()
            behind = body["webhooks"]["behind"]
    replica = report.replica
    if replica is not None:
        body["replica"] = {
            "status": replica.status, "detail": replica.problem,
            "in_recovery": replica.in_recovery, "replay_paused": replica.paused,
            "position": replica.position, "lag": replica.lag,
            "lag_seconds": replica.lag_seconds,
            "reads_from": replica.reads_from,
        }  # fmt: skip
    problems = report.problems()
    if not problems:
        if behind or (replica is not None and replica.status != "ok"):
            body["status"] = "degraded"
        return body
    body["status"] = "unavailable"
    response: Response = problem_response(
        503,
        " ".join(translate(detail.template, detail.params) for _, detail in problems),
        code=problems[0][0],
        headers={"Retry-After": "2"},
        extensions=body,
    )
    return response


def _deliveries() -> dict[str, Any]:
    """The webhook delivery backlog, against its threshold."""
    found = backlog(runtime().view, runtime().deliveries, datetime.now(UTC))
    threshold = settings().webhook_backlog_seconds
    return vars(found) | {
        "threshold_seconds": threshold,
        "behind": found.behind(threshold),
    }
