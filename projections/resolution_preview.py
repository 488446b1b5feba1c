"""What resolving a dispute would do to everyone's standing, before it is
recorded. Nothing is stored.

The resolution is the domain's own (``AppraisalApp.resolved``: the same checks
and the same event as ``resolve_dispute``, left pending); its event becomes
ledger rows as the projection would fold it (``domain.contributions``), and the
month is scored and ranked from the read models with the deduction's rows
replaced by those, the way ``projections.scoreboard`` ranks a month. The
answer is compared as a recorded resolution's cascade is
(``projections.explain.differences``), so the two cannot disagree.
"""

from __future__ import annotations

from typing import Any

from domain.commands import event_id
from domain.contributions import contribution
from domain.deduction import Deduction
from domain.derived import positioned
from domain.facts import Fact, Place
from domain.month import Month
from domain.scoring import score
from projections.explain import differences, standings_at
from projections.preview import Change
from projections.scoreboard import NOW, ScoreboardView


def preview(
    view: ScoreboardView, event: Deduction.DisputeResolved, position: int
) -> list[Change]:
    """Each agent whose standing in the deduction's month would change if
    ``event`` were recorded after ``position`` (the read models' position)."""
    month = Month.of(event.occurred_on)
    found = contribution(event)
    if found is None:  # upheld: the deduction stands, nothing moves
        return []
    fact_id = str(event.originator_id)
    place = Place(
        fact_id=fact_id,
        event_id=event_id(event),
        position=position + 1,
        occurred_on=found.occurred_on,
        recorded_by=found.recorded_by,
        recorded_at=event.timestamp,
    )
    kept = [f for f in view.facts(event.agent_id, month) if f.fact_id != fact_id]
    added = [
        positioned(place, row["kind"], row["item"], row["detail"])
        for row in (derived.ledger() for derived in found.derived)
    ]
    resolved = _Resolved(view, event.agent_id, month, [*kept, *added])
    return differences(
        month, standings_at(view, month, NOW), standings_at(resolved, month, NOW)
    )


class _Resolved:
    """The read models as they would read once the resolution is folded: one
    agent-month's ledger replaced, everything else as it is."""

    def __init__(
        self, view: ScoreboardView, agent_id: str, month: Month, facts: list[Fact]
    ) -> None:
        self._view = view
        self._agent_id = agent_id
        self._month = month
        self._facts = facts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    def facts(self, agent_id: str, month: Month, as_of: int = NOW) -> list[Fact]:
        if (agent_id, month) == (self._agent_id, self._month) and as_of == NOW:
            return list(self._facts)
        return self._view.facts(agent_id, month, as_of)

    def totals(self, month: Month) -> dict[str, Any]:
        found = dict(self._view.totals(month))
        if month == self._month:
            rulebook = self._view.catalog().for_month(month)
            found[self._agent_id] = score(rulebook, self._facts).total
        return found

    def ranking(self, month: Month, team: str | None = None, as_of: int = NOW) -> Any:
        if month != self._month or as_of != NOW:
            return self._view.ranking(month, team, as_of)
        return ScoreboardView._ranking(self, month, team, as_of)  # type: ignore[arg-type]

    _month_totals = ScoreboardView._month_totals
