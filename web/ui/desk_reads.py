"""What the supervisor's desk and the reviewer's queue show, read through the
API's own views (``web.ui.reads.answer``), and a resolution's preview.

The desk lists what ``GET /deductions``, ``GET /disputes`` and ``GET
/improvement-plans`` answer the principal; each deduction line adds the day
its month's disputes close (``dispute_deadlines``, as ``GET /disputes``
gives each dispute's). The queue is ``GET /disputes`` read to its end and
turned oldest first. A preview is what ``POST .../disputes/resolution/
preview`` answers: the cascade resolving would answer, nothing stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from domain.month import Month
from web import agents, deductions, disputes, periods
from web.audit_schemas import DisputeListOut, DisputeQuery, ResolutionIn, ResolvedOut
from web.context import principal, read_view, runtime
from web.cycle_schemas import DutyListOut, DutyQuery
from web.i18n import LocalName
from web.pages import MAX_LIMIT
from web.schemas import AgentList, AgentQuery, DeductionListOut, DeductionQuery
from web.ui.reads import answer
from web.ui.sessions import CSRF_FIELD

DEDUCTION_FILTERS = ("agent_id", "month", "item", "status")
WHOLE = frozenset({"quantity", "proposed_quantity"})


def desk(args: Mapping[str, str]) -> dict[str, Any]:
    """The team's deductions by ``args`` (the list's own filters), each with
    its month's dispute deadline and whether it may still be disputed; the
    team's open disputes; the improvement plans the team owes."""
    who = principal()
    wanted = {k: v for k, v in args.items() if k in (*DEDUCTION_FILTERS, "after") and v}
    listed = answer(
        deductions.list_deductions, DeductionListOut, DeductionQuery, wanted
    )
    view = read_view()
    months = sorted({d["month"] for d in listed["deductions"]})
    deadlines = {m: d.isoformat() for m, d in view.dispute_deadlines(months).items()}
    today = runtime().app.today().isoformat()
    team = {"team": who.team} if who.team else {}
    roster = answer(agents.list_agents, AgentList, AgentQuery, team)
    agent_names = {agent["agent_id"]: agent["name"] for agent in roster["agents"]}
    item_names = _item_names(view, listed["deductions"])
    lines = [
        {
            **line,
            "agent_name": agent_names.get(line["agent_id"], line["agent_id"]),
            "item_name": item_names[(line["month"], line["item"])],
            "deadline": deadlines.get(line["month"]),
            "disputable": line["status"] == "standing"
            and today <= deadlines.get(line["month"], ""),
        }
        for line in listed["deductions"]
    ]
    open_disputes = _all_disputes({"status": "open", **team})
    duties = answer(periods.list_duties, DutyListOut, DutyQuery, {"status": "all"})
    return {
        "filters": {name: args.get(name, "") for name in DEDUCTION_FILTERS},
        "given": given(args),
        "deductions": lines,
        "next": listed["next"],
        "disputes": open_disputes,
        "duties": duties["duties"],
        "agents": sorted(roster["agents"], key=lambda a: a["agent_id"]),
        "today": today,
    }


def _item_names(view: Any, lines: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Each line's rule item by its name in the rules in force for its month
    (in the page's language, as a scorecard names it); its code if gone."""
    catalog = view.catalog()
    named: dict[tuple[str, str], str] = {}
    for month, code in {(line["month"], line["item"]) for line in lines}:
        item = catalog.for_month(Month.parse(month)).item(code)
        named[(month, code)] = (
            LocalName()._serialize(item.name, None, None) if item else code
        )
    return named


def given(args: Mapping[str, str]) -> dict[str, str]:
    """The deduction filters ``args`` give, to carry on to the page a form
    leads back to."""
    return {name: args[name] for name in DEDUCTION_FILTERS if args.get(name)}


def names() -> dict[str, str]:
    """Each agent's name on the roster the principal reads, by agent id."""
    roster = answer(agents.list_agents, AgentList, AgentQuery)
    return {agent["agent_id"]: agent["name"] for agent in roster["agents"]}


def queue() -> list[dict[str, Any]]:
    """Open disputes the principal may resolve, oldest first."""
    who = principal()
    listed = reversed(_all_disputes({"status": "open"}))
    return [d for d in listed if who.may_resolve(d.get("reviewer"))]


def _all_disputes(args: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every dispute ``GET /disputes`` lists for ``args``, page after page
    (newest first, as it lists them)."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        paged = {**args, "limit": str(MAX_LIMIT), **({"after": after} if after else {})}
        listed = answer(disputes.list_disputes, DisputeListOut, DisputeQuery, paged)
        found.extend(listed["disputes"])
        if not listed["next"]:
            return found
        after = parse_qs(urlsplit(listed["next"]).query)["after"][0]


def dispute(deduction_id: str) -> dict[str, Any] | None:
    """The open dispute of a deduction, as the queue lists it, or None."""
    return next((d for d in queue() if d["deduction_id"] == deduction_id), None)


def preview(deduction_id: str, form: Mapping[str, str]) -> dict[str, Any]:
    """What ``POST .../disputes/resolution/preview`` answers for the form."""
    return answer(
        disputes.preview_resolution, ResolvedOut, ResolutionIn, form_fields(form),
        deduction_id=deduction_id,
    )  # fmt: skip


def form_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """A form's fields as the API's JSON body would carry them: a blank field
    is one not given, a whole number in the quantity fields a number."""
    given: dict[str, Any] = {}
    for name, value in form.items():
        if value.strip() == "" or name == CSRF_FIELD:
            continue
        whole = name in WHOLE and value.strip().isdecimal()
        given[name] = int(value) if whole else value
    return given
