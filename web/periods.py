"""The monthly cycle: periods, quarterly rewards, improvement plans, payroll and
the company calendar."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from domain.errors import NotVisibleError
from domain.month import Month
from projections import cycle
from web import access, payroll_files
from web.api import Blueprint, created
from web.context import principal, read_view, runtime
from web.cycle_schemas import (
    ClosedDayIn,
    ClosedDayListOut,
    DutyListOut,
    DutyOut,
    DutyQuery,
    PayrollQuery,
    PeriodChangeOut,
    PeriodOut,
    PlanIn,
    QuarterOut,
    ReopenIn,
)
from web.fact_schemas import RecordedOut
from web.inputs import month_in_path, quarter_param

blp = Blueprint("periods", __name__, description="The monthly cycle")


@blp.route("/periods/<month>", methods=["GET"])
@blp.response(200, PeriodOut)
def get_period(month: str) -> cycle.PeriodView:
    """A month's period: status, review window (first five working days of the
    next month), and every close, publication and reopening."""
    return cycle.period_view(read_view(), month_in_path(month), runtime().app.today())


def _changed(month: Month, position: int) -> dict[str, Any]:
    runtime().after_command()
    status = runtime().app.period(month).status
    return {"month": str(month), "status": status.value, "position": position}


@blp.route("/periods/<month>/close", methods=["POST"])
@blp.response(200, PeriodChangeOut)
def close_period(month: str) -> dict[str, Any]:
    """Close a month that has ended: facts for it are refused from now on (admin)."""
    period = month_in_path(month)
    return _changed(period, runtime().app.close_period(principal(), period))


@blp.route("/periods/<month>/publish", methods=["POST"])
@blp.response(200, PeriodChangeOut)
def publish_period(month: str) -> dict[str, Any]:
    """Issue the monthly report of a closed month (admin). Its bottom group's
    supervisors then owe improvement plans; the quarter's last month grants the
    quarter's rewards."""
    period = month_in_path(month)
    return _changed(period, runtime().app.publish_period(principal(), period))


@blp.route("/periods/<month>/reopen", methods=["POST"])
@blp.arguments(ReopenIn)
@blp.response(200, PeriodChangeOut)
def reopen_period(data: dict[str, Any], month: str) -> dict[str, Any]:
    """Reopen a closed or published month, saying why (admin)."""
    period = month_in_path(month)
    position = runtime().app.reopen_period(principal(), period, data["reason"])
    return _changed(period, position)


@blp.route("/quarters/<quarter>/rewards", methods=["GET"])
@blp.response(200, QuarterOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def get_rewards(quarter: str) -> dict[str, Any]:
    """A quarter's standings (average of three monthly totals) and the rewards
    granted with its last month's report, with any later adjustment."""
    found = quarter_param(quarter)
    view = cycle.quarter_view(read_view(), found.year, found.number)
    return {
        **view.__dict__,
        "quarter": quarter,
        "months": [str(m) for m in view.months],
    }


@blp.route("/improvement-plans", methods=["GET"])
@blp.arguments(DutyQuery, location="query")
@blp.response(200, DutyListOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def list_duties(query: dict[str, Any]) -> dict[str, Any]:
    """Improvement plans owed by supervisors of published months' bottom groups."""
    view = read_view()
    teams = {a.agent_id: a.team for a in view.agents()}
    found = cycle.duties(view, runtime().app.today())
    wanted = [d for d in found if query["status"] in ("all", d.status)]
    return {"duties": access.team_duties(principal(), wanted, teams)}


@blp.route("/improvement-plans/<duty_id>", methods=["POST"])
@blp.arguments(PlanIn)
@blp.response(201, RecordedOut)
def submit_plan(data: dict[str, Any], duty_id: str) -> Any:
    """Submit (or revise) the plan owed for a duty: why the agent fell behind and
    what will change (the agent's supervisor, admin)."""
    duties = cycle.duties(runtime().view, runtime().app.today())
    duty = next((d for d in duties if d.duty_id == duty_id), None)
    if duty is None or duty.status == "withdrawn":
        raise NotVisibleError(f"No improvement plan is owed for {duty_id!r}.")
    recorded = runtime().app.submit_plan(
        principal(), duty.month, duty.agent_id, data["why"], data["actions"]
    )
    runtime().after_command()
    return created(recorded, "periods.get_duty", duty_id=duty_id)


@blp.route("/improvement-plans/<duty_id>", methods=["GET"])
@blp.response(200, DutyOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def get_duty(duty_id: str) -> cycle.Duty:
    """One improvement-plan duty: who owes it, by when, and its status."""
    view = read_view()
    teams = {a.agent_id: a.team for a in view.agents()}
    found = [
        d for d in cycle.duties(view, runtime().app.today()) if d.duty_id == duty_id
    ]
    for duty in access.team_duties(principal(), found, teams):
        return duty
    raise NotVisibleError(f"No improvement plan {duty_id!r} is visible to you.")


PAYROLL_FILES = {
    "200": {
        "content": {
            payroll_files.CSV: {"schema": {"type": "string"}},
            payroll_files.XLSX: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}


@blp.route("/payroll/<month>.csv", methods=["GET"])
@blp.arguments(PayrollQuery, location="query")
@blp.refuses(403, 409)
@blp.doc(responses=PAYROLL_FILES)
@access.only(access.AUDIT)
def get_payroll(query: dict[str, Any], month: str) -> Response:
    """The payroll of a published month as CSV or an Excel workbook: commission,
    fines, rewards and net per agent, with a total row (admin, auditor)."""
    published = month_in_path(month)
    form = query.get("format") or _accepted_form()
    body = payroll_files.payroll_file(read_view(), published, form)
    disposition = f'attachment; filename="payroll-{published}.{form}"'
    return Response(
        body,
        mimetype=payroll_files.MEDIA_TYPES[form],
        headers={"Content-Disposition": disposition},
    )


def _accepted_form() -> str:
    """The file format the Accept header prefers: CSV unless it asks for xlsx."""
    files = {media_type: form for form, media_type in payroll_files.MEDIA_TYPES.items()}
    best = request.accept_mimetypes.best_match(list(files), default=payroll_files.CSV)
    return files[best]


@blp.route("/calendar/closed-days", methods=["GET"])
@blp.response(200, ClosedDayListOut)
def list_closed_days() -> dict[str, Any]:
    """The company's own closed days (not working days in review windows)."""
    days = read_view().closed_days(cycle.NOW)
    return {"closed_days": [{"day": d, "reason": r} for d, r in sorted(days.items())]}


@blp.route("/calendar/closed-days", methods=["POST"])
@blp.arguments(ClosedDayIn)
@blp.response(201, PeriodChangeOut)
def add_closed_day(data: dict[str, Any]) -> dict[str, Any]:
    """Close the company for a day (admin)."""
    position = runtime().app.close_day(principal(), data["day"], data["reason"])
    runtime().after_command()
    body = {"month": str(Month.of(data["day"])), "status": "closed day",
            "position": position or runtime().position}  # fmt: skip
    return created(body, "periods.list_closed_days")
