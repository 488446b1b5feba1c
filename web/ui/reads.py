"""What the pages show, read through the API's own views.

A page calls the function of the API view that answers the same question
(unwrapped from its HTTP decorators, down to its access check:
``web.access.checked_view``), with a query parsed by that view's own schema,
and dumps the answer with the view's own response schema: the page
shows exactly what ``GET /rankings/{month}`` or ``GET
/agents/{id}/scorecards/{month}/explain`` would answer the same principal, in
the same language. What a page adds (movement since last month, the top and
bottom groups, the steps of a waterfall) is worked out here from those
answers and from the projection functions the API uses for the same notions
(``projections.explain.standings_at``), never in a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError

from domain.errors import DomainError, NotVisibleError
from domain.month import Month
from domain.text import N_
from projections.explain import standings_at
from web import access, agents, audit, scorecards
from web.audit_schemas import AsOfQuery, ExplanationOut
from web.context import principal, runtime
from web.i18n import translate
from web.inputs import Points
from web.schemas import (
    AgentQuery,
    RankingOut,
    RankingQuery,
    ScorecardOut,
)


def answer(
    view: Callable[..., Any],
    out: type[Schema],
    query: type[Schema] | None = None,
    args: Mapping[str, str] | None = None,
    **path: str,
) -> dict[str, Any]:
    """What the API ``view`` answers for ``args`` (its query) and ``path``."""
    return dict(out().dump(found_by(view, query, args, **path)))


def found_by(
    view: Callable[..., Any],
    query: type[Schema] | None = None,
    args: Mapping[str, str] | None = None,
    **path: str,
) -> Any:
    """What the API ``view`` finds for ``args`` and ``path``, before its
    response schema dumps it (for a page that needs only part of it)."""
    parsed = [query().load(dict(args or {}))] if query is not None else []
    return access.checked_view(view)(*parsed, **path)


def default_month() -> str:
    """The month a board opens on: the last one, the month being reviewed."""
    return str(Month.of(runtime().app.today()).previous())


def teams() -> list[str]:
    """The teams the principal may see on the roster, for the team picker."""
    roster = found_by(agents.list_agents, AgentQuery)
    return sorted({agent.team for agent in roster["agents"]})


def board(month: str, team: str | None, when: Mapping[str, str]) -> dict[str, Any]:
    """The month's ranking as ``GET /rankings/{month}`` answers it, each entry
    with its grade, whether it is in the month's top places or bottom group,
    and its move since last month; unranked agents apart. ``when`` (``as_of``
    or ``position``, as the API takes them) reads it all as it stood then."""
    args = {**({"team": team} if team else {}), **when}
    ranking = _ranking(month, args)
    period = Month.parse(ranking["month"])
    view, at = scorecards.view_as_of({"position": ranking["position"]} if when else {})
    standing = standings_at(view, period, at) if ranking["entries"] else {}
    before = _ranks(str(period.previous()), args)
    rows = []
    for entry in ranking["entries"]:
        found = standing.get(entry["agent_id"])
        rows.append(
            {
                **entry,
                "grade": found.grade if found else None,
                "top": bool(found and found.in_top_of_month and entry["rank"]),
                "bottom": bool(found and found.in_bottom),
                "movement": _movement(entry["rank"], before.get(entry["agent_id"])),
            }
        )
    ranked = [row for row in rows if row["rank"] is not None]
    return {
        **ranking,
        "previous": str(period.previous()),
        "period_said": period_said(ranking["period"]),
        "ranked": ranked,
        "unranked": [row for row in rows if row["rank"] is None],
        "chart": {
            "labels": [row["name"] for row in ranked],
            "totals": [row["total"] for row in ranked],
            "groups": [_group(row) for row in ranked],
        },
    }


def _ranking(month: str, args: Mapping[str, str]) -> dict[str, Any]:
    return answer(scorecards.get_ranking, RankingOut, RankingQuery, args, month=month)


def _ranks(month: str, args: Mapping[str, str]) -> dict[str, int | None]:
    """Each agent's rank in ``month``, read as the API reads it; none if that
    month cannot be read (before the accepted months, say)."""
    try:
        found = found_by(
            scorecards.get_ranking, RankingQuery, args, month=month
        )  # fmt: skip
    except DomainError:
        return {}
    return {entry.agent_id: entry.rank for entry in found["entries"]}


def _movement(rank: int | None, before: int | None) -> dict[str, Any] | None:
    """Places gained (positive) or lost since last month; ``new`` if the
    agent was not ranked then."""
    if rank is None:
        return None
    if before is None:
        return {"kind": "new", "places": 0}
    places = before - rank
    kind = "up" if places > 0 else "down" if places < 0 else "same"
    return {"kind": kind, "places": abs(places)}


def _group(row: Mapping[str, Any]) -> str:
    return "top" if row["top"] else "bottom" if row["bottom"] else "middle"


def agent_month(agent_id: str, month: str, when: Mapping[str, str]) -> dict[str, Any]:
    """An agent's scorecard and its explanation, as the API answers them
    (as they stood ``when``, if given), the explanation's steps as a waterfall
    from the start to the total, the positions of the month's events (for the
    timeline) and the agent's totals in each month of the year so far."""
    card = _scorecard(agent_id, month, when)
    trail = _explanation(agent_id, month, when)
    present = _explanation(agent_id, month, {}) if when else trail
    agent = agents.readable_agent(agent_id)
    return {
        "agent": {"agent_id": agent.agent_id, "name": agent.name, "team": agent.team},
        "card": card,
        "period_said": period_said(card["period"]),
        "trail": trail,
        "waterfall": waterfall(trail),
        "timeline": _positions(present),
        "year": year_of(agent_id, Month.parse(card["month"]), when),
        "department": principal().may_read_department,
    }


def _scorecard(agent_id: str, month: str, when: Mapping[str, str]) -> dict[str, Any]:
    return answer(
        scorecards.get_scorecard, ScorecardOut, AsOfQuery, when,
        agent_id=agent_id, month=month,
    )  # fmt: skip


def _explanation(agent_id: str, month: str, when: Mapping[str, str]) -> dict[str, Any]:
    return answer(
        audit.explain_scorecard, ExplanationOut, AsOfQuery, when,
        agent_id=agent_id, month=month,
    )  # fmt: skip


def _positions(trail: Mapping[str, Any]) -> list[int]:
    """The positions of the events in the trail, in log order, each once."""
    found = (entry["position"] for entry in trail["entries"])
    return sorted({position for position in found if position is not None})


# A total as the API writes it ("88.00"), for a chart that needs only that.
TOTAL = Points()


def year_of(agent_id: str, month: Month, when: Mapping[str, str]) -> dict[str, Any]:
    """The agent's total in each month of ``month``'s year up to the service's
    month, each read as ``GET /agents/{id}/scorecards/{month}`` answers it; a
    month the API does not read for them (before the accepted months, before
    they were registered) has none."""
    last = min(Month(month.year, 12), Month.of(runtime().app.today()))
    labels, totals = [], []
    for each in Month.span(Month(month.year, 1), last):
        labels.append(str(each))
        try:
            found = found_by(
                scorecards.get_scorecard, AsOfQuery, when,
                agent_id=agent_id, month=str(each),
            )  # fmt: skip
        except (DomainError, ValidationError):
            totals.append(None)
        else:
            totals.append(TOTAL.serialize("total", found["card"]))
    return {"labels": labels, "totals": totals, "month": str(month)}


# A period's statuses, phases and history events, as ``GET /periods/{month}``
# names them, and how the pages say them (in their language).
PERIOD_WORDS = {
    "open": N_("not closed yet"), "closed": N_("closed"),
    "published": N_("published"), "reopened": N_("reopened"),
    "in progress": N_("in progress"), "awaiting review": N_("awaiting review"),
    "review window": N_("review window"), "review overdue": N_("review overdue"),
}  # fmt: skip


def period_said(word: str) -> str:
    return translate(PERIOD_WORDS[word]) if word in PERIOD_WORDS else word


# The explanation's codes (an entry's ``event_type`` and ``status``) as a page
# says them; a code not listed is shown as the API gives it.
CODES = {
    "fact": N_("a fact"),
    "facts": N_("facts"),
    "deduction": N_("a deduction"),
    "Deduction.Disputed": N_("a dispute filed"),
    "Deduction.DisputeResolved": N_("a dispute resolved"),
    "Period.Closed": N_("the month closed"),
    "Period.Published": N_("the month published"),
    "Period.Reopened": N_("the month reopened"),
    "counted": N_("counted"),
    "unscored": N_("not scored"),
    "not scored": N_("not scored"),
    "excluded": N_("no longer counts"),
    "open": N_("awaiting review"),
    "resolved": N_("resolved"),
    "upheld": N_("upheld"),
    "overturned": N_("overturned"),
    "adjusted": N_("adjusted"),
    **{event: PERIOD_WORDS[event] for event in ("closed", "published", "reopened")},
}
SUPERSEDED = re.compile(r"superseded at position (\d+)")


def said(code: str | None) -> str:
    """An explanation's code in the page's language."""
    if not code:
        return ""
    found = SUPERSEDED.fullmatch(code)
    if found:
        return translate(
            N_("superseded at position {position}"), {"position": found.group(1)}
        )
    return translate(CODES[code]) if code in CODES else code


# The names of a fact's own content (``EntryOut.detail``), as a page shows them.
DETAIL_NAMES = {
    "quantity": N_("Quantity"),
    "note": N_("Note"),
    "evidence_ref": N_("Evidence"),
    "complaint": N_("Complaint number"),
    "order_no": N_("Order number"),
    "description": N_("Complaint text"),
    "channel": N_("Channel"),
    "reference": N_("Reference"),
    "report": N_("Report"),
    "dispute": N_("Dispute"),
    "check": N_("Check"),
    "kind": N_("Kind"),
    "comment": N_("Comment"),
    "dimensions": N_("Dimensions"),
}


def event(
    agent_id: str, month: str, position: int, when: Mapping[str, str]
) -> dict[str, Any]:
    """One event behind an agent's month, as the month's explanation
    (``GET /agents/{id}/scorecards/{month}/explain``) answers it: who recorded
    it and when, its rule item, rulebook version and points, and the fact's
    own content, each part named; not found if the explanation has none at
    ``position`` (as it stood ``when``)."""
    trail = _explanation(agent_id, month, when)
    found = [entry for entry in trail["entries"] if entry["position"] == position]
    if not found:
        detail = N_("No event at position {position} is behind this month.")
        raise NotVisibleError(detail, position=position)
    entry = found[0]
    agent = agents.readable_agent(agent_id)
    return {
        "agent": {"agent_id": agent.agent_id, "name": agent.name, "team": agent.team},
        "month": trail["month"],
        "as_of": trail["as_of"],
        "entry": entry,
        "what": said(entry["event_type"]),
        "status": said(entry["status"]),
        "detail": _named(entry["detail"]),
        "facts": [
            {**fact, "named": _named(fact.get("detail") or {})}
            for fact in entry["facts"]
        ],
    }


def _named(detail: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A fact's content as (name in the asked language, value) pairs."""
    return [
        (translate(DETAIL_NAMES[key]) if key in DETAIL_NAMES else key, value)
        for key, value in detail.items()
        if value not in ("", None)
    ]


def waterfall(trail: Mapping[str, Any]) -> dict[str, Any]:
    """The explanation's steps that moved the score, each as a floating bar
    from the running total before it to the one after, between a bar for the
    start and one for the total; each step names the event (its position)."""
    steps = [
        {"label": translate(N_("Start")), "from": "0", "to": trail["start"],
         "kind": "start", "position": None},
    ]  # fmt: skip
    for entry in trail["entries"]:
        moved = Decimal(entry["points"])
        if not moved:
            continue
        after = Decimal(entry["running_total"])
        steps.append(
            {
                "label": f"{entry['position']} {entry['item'] or entry['event_type']}",
                "from": str(after - moved),
                "to": entry["running_total"],
                "kind": "up" if moved > 0 else "down",
                "position": entry["position"],
            }
        )
    steps.append(
        {"label": translate(N_("Total")), "from": "0", "to": trail["total"],
         "kind": "total", "position": None},
    )  # fmt: skip
    return {"steps": steps}
