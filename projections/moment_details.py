"""What a moment's messages say beyond its event, read from the read models at
the moment's position (a filter of the ledger, not a replay):

- ``dispute.resolved``: the cascade, each agent of the month whose total,
  rank, top place, rewarded place or bottom group the resolution changed (the
  API's answer to the resolution, ``projections.explain.cascade``);
- ``period.published``: the month's top places and bottom group as published
  (``projections.explain.standings_at``);
- ``scores.changed``: every agent-month total the rebuild changed, before and
  after, as the rebuild wrote them (``projections.rebuild.changed_totals``).

The dispatcher keeps what it works out the first time (``DeliveryStore.
details_of``), so every attempt of every subscription's delivery says the same.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.month import Month
from projections.deliveries import DeliveryStore
from projections.explain import cascade, standings_at
from projections.preview import Change, Standing
from projections.scoreboard import ScoreboardView

DETAILED = ("dispute.resolved", "period.published", "scores.changed")
"""The kinds whose messages carry details."""


def work_out(
    view: ScoreboardView, store: DeliveryStore, queued: dict[str, Any]
) -> dict[str, Any]:
    """The details of the moment an outbox row queued; none for most kinds."""
    kind, position = queued["kind"], queued["position"]
    if kind == "scores.changed":
        agents = {a.agent_id: a for a in view.agents()}
        found = store.changes_of(queued["moment"]["rebuild_id"])
        return {
            "changes": [
                change
                | {
                    "agent_name": getattr(agents.get(change["agent_id"]), "name", None),
                    "team": getattr(agents.get(change["agent_id"]), "team", None),
                }
                for change in found
            ]
        }
    if kind == "dispute.resolved":
        month = Month.parse(queued["month"])
        names = _names(view, month, position)
        changes = cascade(view, month, position - 1, position)
        return {"cascade": [_change(c, names) for c in changes]}
    if kind == "period.published":
        return _groups(view, Month.parse(queued["month"]), position)
    return {}


def _points(value: Decimal) -> str:
    return f"{value:.2f}"


def _names(view: ScoreboardView, month: Month, as_of: int) -> dict[str, Any]:
    return {e.agent_id: e for e in view.ranking(month, as_of=as_of)}


def _change(change: Change, names: dict[str, Any]) -> dict[str, Any]:
    entry = names.get(change.agent_id)
    before, after = change.before, change.after
    return {
        "agent_id": change.agent_id,
        "agent_name": entry.name if entry else None,
        "total_before": _points(before.total),
        "total_after": _points(after.total),
        "delta": _points(change.delta),
        "rank_before": before.rank or None,
        "rank_after": after.rank or None,
        "top_of_month": change.top_of_month,
        "rewarded": change.rewarded,
        "bottom": change.bottom,
    }


def _groups(view: ScoreboardView, month: Month, as_of: int) -> dict[str, Any]:
    standings = standings_at(view, month, as_of)
    names = _names(view, month, as_of)

    def group(wanted: list[tuple[str, Standing]]) -> list[dict[str, Any]]:
        ordered = sorted(wanted, key=lambda pair: (pair[1].rank or 10**9, pair[0]))
        return [
            {
                "agent_id": agent_id,
                "agent_name": names[agent_id].name,
                "team": names[agent_id].team,
                "total": _points(standing.total),
                "rank": standing.rank or None,
            }
            for agent_id, standing in ordered
        ]

    pairs = list(standings.items())
    return {
        "top": group([p for p in pairs if p[1].in_top_of_month]),
        "bottom": group([p for p in pairs if p[1].in_bottom]),
    }
