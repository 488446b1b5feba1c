"""The scoreboard read model: roster, fact ledger, rulebook versions, monthly
scorecards and rankings.

The projection turns events into rows (``fold``); the view stores them and
re-scores every agent-month the rows touch, in the same transaction as the
tracking position. Scorecards are re-derived from the ledger with the pure
``domain.scoring.score`` so reads, rebuilds and previews cannot disagree.

Each generation of the read models is a projection of its own (``scoreboard``,
``scoreboard_g2``, ...) honouring the rulebook versions of its lineage.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder

from domain.month import Month
from domain.ranking import rank
from domain.register import ROOT_GENERATION, Catalog
from domain.rulebook import Rulebook
from domain.scoring import Fact, Scorecard, score
from projections.calendar import WorkingCalendar
from projections.fold import Changes
from projections.records import (
    NOW,
    AgentRecord,
    DeductionRecord,
    DisputeRecord,
    FactEntry,
    LogEntry,
    OrderRecord,
    PeriodRecord,
    PlanRecord,
    PublicationRecord,
    RankingEntry,
)
from projections.sql_lists import ListedDispute


class ScoreboardView(TrackingRecorder, ABC):
    """Abstract scoreboard view; SQLite and PostgreSQL implement it.

    Reads take ``as_of``, a log position: the view as it stood after that event
    (the present by default), as a filter over the ledger, not a replay.
    """

    lineage: tuple[int, ...] = (ROOT_GENERATION,)
    """The generations whose rulebook versions this view honours."""
    upstream: str = "Appraisal"
    """The application whose events the view folds (its tracking's name)."""
    RANKINGS_KEPT = 64
    """Rankings remembered per view, each for the position it was read at."""

    @abstractmethod
    def apply(
        self, changes: Changes, tracking: Tracking, defer_from: int | None = None
    ) -> None:
        """Store the rows, re-score touched agent-months (or, with
        ``defer_from``, the batch's first position, mark them to be scored by
        a later batch or ``settle``), record tracking."""

    @abstractmethod
    def settle(self) -> None:
        """Score every agent-month a deferred catch-up left marked."""

    # What ``positions`` last found: everything the view holds was folded or
    # scored in a transaction that moved one of the two, so a result worked
    # out after reading them is the view's state at (at least) that pair.
    seen: tuple[int, int] | None = None
    # The highest counter of changes ``positions`` has found (0: none yet):
    # every transaction that changes what a month's reads show notes the
    # month under the next counter (``moves_since``). Never lowered, so a read
    # that found a position finds at least the counter read with it.
    moved: int | None = None
    # The settled position a serving process read last, and the count of
    # notifications it read it at (``Runtime.position_of``).
    kept_position: tuple[Hashable, int] | None = None
    # What a reader's catch-up in a serving process on SQLite reached, and the
    # counts of changes to the log and the read models it began at
    # (``Runtime.reader``).
    kept_caught_up: tuple[Hashable, int] | None = None

    @abstractmethod
    def positions(self, upstream: str) -> tuple[int, int]:
        """The last position folded, and the last one every score includes."""

    @abstractmethod
    def moves_since(self, counter: int) -> dict[str, int]:
        """Each month (or ``EVERY_MONTH``) whose reads changed after ``counter``,
        with the counter it last changed under."""

    @abstractmethod
    def catalog(self, as_of: int = NOW) -> Catalog:
        """The rulebook versions this view honours."""

    @abstractmethod
    def publications(self, as_of: int = NOW) -> list[PublicationRecord]: ...

    @abstractmethod
    def agent(self, agent_id: str) -> AgentRecord | None: ...

    @abstractmethod
    def agents(
        self, team: str | None = None, as_of: int = NOW
    ) -> list[AgentRecord]: ...

    @abstractmethod
    def order(self, order_no: str) -> OrderRecord | None: ...

    @abstractmethod
    def deduction(self, deduction_id: str) -> DeductionRecord | None: ...

    @abstractmethod
    def facts(self, agent_id: str, month: Month, as_of: int = NOW) -> list[Fact]: ...

    @abstractmethod
    def facts_of_months(
        self, months: Sequence[Month], as_of: int = NOW
    ) -> dict[tuple[str, str], list[Fact]]:
        """Every agent-month's ledger in the given months."""

    @abstractmethod
    def totals(self, month: Month) -> dict[str, Decimal]:
        """Stored totals of the month's scorecards (agents with facts)."""

    @abstractmethod
    def calendar(self, as_of: int = NOW) -> WorkingCalendar: ...

    @abstractmethod
    def scorecard_rows(self) -> list[tuple[str, str, int, str, int]]:
        """(agent, month, total in hundredths, rulebook id, version) for every
        stored scorecard, in order: what a rebuild's digest is taken over."""

    @abstractmethod
    def drop(self) -> None:
        """Remove this view's tables and tracking."""

    @abstractmethod
    def period(self, month: Month) -> PeriodRecord: ...

    @abstractmethod
    def periods(self) -> list[PeriodRecord]: ...

    @abstractmethod
    def plans(self) -> list[PlanRecord]: ...

    @abstractmethod
    def closed_days(self, as_of: int) -> dict[date, str]: ...

    @abstractmethod
    def disputes(
        self, agent_id: str | None = None, month: str | None = None
    ) -> list[DisputeRecord]: ...

    @abstractmethod
    def position_at(self, at: datetime) -> int:
        """The last event recorded at or before ``at``."""

    @abstractmethod
    def log_entries(self, first: int, last: int) -> dict[int, LogEntry]: ...

    @abstractmethod
    def fact_history(self, agent_id: str, month: Month) -> list[FactEntry]:
        """Every ledger row of the agent-month, counted or not, in log order."""

    # Lists in pages (projections.sql_lists)

    @abstractmethod
    def deduction_page(
        self, filters: Mapping[str, Any], limit: int, after: int | None = None
    ) -> list[DeductionRecord]: ...

    @abstractmethod
    def dispute_page(
        self,
        filters: Mapping[str, Any],
        limit: int,
        after: int | None = None,
        state: str | None = None,
        months: Sequence[str] | None = None,
    ) -> list[ListedDispute]: ...

    @abstractmethod
    def dispute(self, deduction_id: str, number: int) -> DisputeRecord | None: ...

    @abstractmethod
    def dispute_months(self) -> list[str]: ...

    @abstractmethod
    def dispute_deadlines(self, months: Sequence[str]) -> dict[str, date]: ...

    @abstractmethod
    def fact_rows(self, fact_id: str) -> list[dict[str, Any]]: ...

    def scorecard(self, agent_id: str, month: Month, as_of: int = NOW) -> Scorecard:
        """The agent's scorecard for the month, from the ledger."""
        rulebook = self.catalog(as_of).for_month(month)
        return score(rulebook, self.facts(agent_id, month, as_of))

    def _month_totals(
        self, month: Month, rulebook: Rulebook, agents: list[str], as_of: int
    ) -> dict[str, Decimal]:
        """Each agent's total for the month, those without facts included: stored
        totals for the present, the ledger as of a past position otherwise."""
        empty = score(rulebook, ()).total
        if as_of == NOW:
            stored = self.totals(month)
            return {a: stored.get(a, empty) for a in agents}
        ledgers = self.facts_of_months([month], as_of)
        return {
            a: score(rulebook, ledgers.get((a, str(month)), ())).total for a in agents
        }

    def ranking(
        self, month: Month, team: str | None = None, as_of: int = NOW
    ) -> list[RankingEntry]:
        """Competition ranking (1, 2, 2, 4) of the agents present in ``month``,
        ties listed by agent id; agents present fewer working days than the
        rulebook's minimum follow, unranked.

        Worked out once per position the view has reached: everything a
        ranking reads is folded in the transaction that records that position,
        so a later read at the same position gets the same entries."""
        reached = self.positions(self.upstream)
        key = (str(month), team, as_of, reached)
        kept: dict[Any, list[RankingEntry]] = self.__dict__.setdefault("_ranked", {})
        entries = kept.get(key)
        if entries is None:
            entries = self._ranking(month, team, as_of)
            with self.__dict__.setdefault("_ranked_lock", threading.Lock()):
                while len(kept) >= self.RANKINGS_KEPT:
                    kept.pop(next(iter(kept)), None)
                kept[key] = entries
        return list(entries)

    def _ranking(
        self, month: Month, team: str | None, as_of: int
    ) -> list[RankingEntry]:
        rulebook = self.catalog(as_of).for_month(month)
        calendar = self.calendar(as_of)
        present = [a for a in self.agents(as_of=as_of) if a.present_in(month)]
        totals = self._month_totals(
            month, rulebook, [a.agent_id for a in present], as_of
        )
        roster = {a.agent_id: a for a in present if team is None or a.team == team}
        days = {a: roster[a].working_days_in(month, calendar) for a in roster}
        eligible = {
            a: totals[a] for a in roster if days[a] >= rulebook.min_working_days
        }
        entries = [
            RankingEntry(
                r.agent_id, roster[r.agent_id].name, roster[r.agent_id].team,
                r.total, r.rank, days[r.agent_id],
            )
            for r in rank(eligible)
        ]  # fmt: skip
        unranked = sorted(set(roster) - set(eligible), key=lambda a: (-totals[a], a))
        return entries + [
            RankingEntry(a, roster[a].name, roster[a].team, totals[a], None, days[a])
            for a in unranked
        ]


def projection_name(generation: int) -> str:
    """``scoreboard`` for the first generation, ``scoreboard_g<n>`` after it."""
    return (
        "scoreboard" if generation == ROOT_GENERATION else f"scoreboard_g{generation}"
    )
