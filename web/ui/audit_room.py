"""The auditor's room: verify the hash chain (``GET /audit/verify``), export
the events behind an agent-month with their digest (``GET /audit/export``),
a month's period history (``GET /periods/{month}``) and its payroll (``GET
/payroll/{month}.csv``), each read through the API's own view.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request
from werkzeug.datastructures import MultiDict

from web import access, agents, audit, periods
from web.audit_schemas import ExportQuery, VerificationOut
from web.context import principal
from web.cycle_schemas import PayrollQuery, PeriodOut
from web.schemas import AgentList, AgentQuery
from web.ui import reads
from web.ui.admin import command
from web.ui.views import bp


def _auditor() -> None:
    access.require(principal(), access.AUDIT)


@bp.get("/audit")
def audit_room() -> str:
    """The month's period history, its payroll and the export of one of its
    agent-months (with the export's digest when asked for)."""
    _auditor()
    return _page()


@bp.get("/audit/verify")
def verify_chain() -> str:
    """The room, with the hash chain verified over every stored event."""
    _auditor()
    return _page(verification=reads.answer(audit.verify, VerificationOut))


@bp.get("/audit/export")
def download_export() -> Response:
    """The export as a file: JSON Lines, the last line its SHA-256."""
    _auditor()
    found = _export(request.args)
    name = "-".join(filter(None, ("export", request.args.get("month"),
                                  request.args.get("agent_id"))))  # fmt: skip
    found.headers["Content-Disposition"] = f'attachment; filename="{name}.jsonl"'
    return found


@bp.get("/audit/payroll/<month>")
def download_payroll(month: str) -> Response:
    """The payroll of a published month as a file (``format``: csv, xlsx)."""
    _auditor()
    return command(periods.get_payroll, PayrollQuery, request.args, month=month)  # type: ignore[no-any-return]


def _export(args: MultiDict[str, str] | dict[str, str]) -> Response:
    wanted = {k: v for k, v in args.items() if k in ("month", "agent_id") and v}
    return command(audit.export, ExportQuery, wanted)  # type: ignore[no-any-return]


def _summary(args: MultiDict[str, str]) -> dict[str, Any]:
    """The export's own last line: the month, agent, events and SHA-256."""
    lines = _export(args).get_data(as_text=True).splitlines()
    return dict(json.loads(lines[-1])["export"])


def _page(verification: dict[str, Any] | None = None) -> str:
    month = request.args.get("month") or reads.default_month()
    agent_id = request.args.get("agent_id") or ""
    chosen = MultiDict({"month": month, "agent_id": agent_id})
    roster = reads.answer(agents.list_agents, AgentList, AgentQuery)["agents"]
    return render_template(
        "pages/audit.html",
        month=month,
        agent_id=agent_id,
        roster=roster,
        verification=verification,
        period=reads.answer(periods.get_period, PeriodOut, month=month),
        said=reads.period_said,
        export=_summary(chosen) if request.args.get("export") else None,
    )
