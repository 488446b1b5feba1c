"""The scoreboard view in SQL that SQLite and PostgreSQL share.

Statements use ``:name`` parameters and ``{table}`` placeholders; each backend
supplies its table names, column types and parameter style.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import Tracking

from domain.month import Month
from domain.scoring import CENT, Fact, score
from projections.scoreboard import (
    AgentRecord,
    Changes,
    DeductionRecord,
    RankingEntry,
    Rulebooks,
    ScoreboardView,
)

AGENT_COLUMNS = "agent_id, name, team, supervisor, joined_on, registered_at, position"
FACT_COLUMNS = (
    "position, event_id, fact_id, kind, agent_id, month, occurred_on, item, "
    "quantity, note, evidence_ref, recorded_by, recorded_at"
)


def _params(columns: str) -> str:
    return ", ".join(f":{c.strip()}" for c in columns.split(","))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC)


RESCORE_CHUNK = 500  # agent-months per ledger query; keeps bound parameters < 1,000


class SqlScoreboardView(ScoreboardView):
    """Scoreboard queries and updates written once for both SQL backends."""

    INSERT_AGENT = (
        f"INSERT INTO {{agents}} ({AGENT_COLUMNS}) VALUES ({_params(AGENT_COLUMNS)}) "
        "ON CONFLICT (agent_id) DO NOTHING"
    )
    INSERT_FACT = (
        f"INSERT INTO {{facts}} ({FACT_COLUMNS}) VALUES ({_params(FACT_COLUMNS)})"
    )
    SELECT_AGENT = f"SELECT {AGENT_COLUMNS} FROM {{agents}} WHERE agent_id = :agent_id"
    SELECT_AGENTS = (
        f"SELECT {AGENT_COLUMNS} FROM {{agents}} "
        "WHERE (CAST(:team AS TEXT) IS NULL OR team = :team) ORDER BY agent_id"
    )
    SELECT_DEDUCTION = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} "
        "WHERE fact_id = :fact_id AND kind = 'deduction' ORDER BY position LIMIT 1"
    )
    SELECT_FACTS = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} "
        "WHERE agent_id = :agent_id AND month = :month ORDER BY position"
    )
    # {pairs} is filled per batch with "(:a0, :m0), (:a1, :m1), ..."
    SELECT_FACTS_OF = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} "
        "WHERE (agent_id, month) IN (VALUES {pairs}) ORDER BY position"
    )
    UPSERT_SCORECARD = (
        "INSERT INTO {scorecards} "
        "(agent_id, month, total_centi, rulebook_id, rulebook_version, position) "
        "VALUES (:agent_id, :month, :total_centi, :rulebook_id, :rulebook_version, "
        ":position) ON CONFLICT (agent_id, month) DO UPDATE SET "
        "total_centi = excluded.total_centi, rulebook_id = excluded.rulebook_id, "
        "rulebook_version = excluded.rulebook_version, position = excluded.position"
    )
    # Agents with no scorecard row for the month had no facts: they score what
    # the rulebook gives an empty month (:empty_centi).
    SELECT_RANKING = (
        "SELECT agent_id, name, team, total_centi, "
        "RANK() OVER (ORDER BY total_centi DESC) AS rank FROM ("
        "  SELECT a.agent_id, a.name, a.team, "
        "  COALESCE(s.total_centi, :empty_centi) AS total_centi "
        "  FROM {agents} a LEFT JOIN {scorecards} s "
        "  ON s.agent_id = a.agent_id AND s.month = :month "
        "  WHERE (a.joined_on IS NULL OR a.joined_on <= :month_end) "
        "  AND (CAST(:team AS TEXT) IS NULL OR a.team = :team)"
        ") present ORDER BY total_centi DESC, agent_id"
    )

    def _setup(self, tables: dict[str, str]) -> None:
        """Bind table names and parameter style into every statement."""
        self.rulebooks = Rulebooks()
        for name in (
            "INSERT_AGENT",
            "INSERT_FACT",
            "SELECT_AGENT",
            "SELECT_AGENTS",
            "SELECT_DEDUCTION",
            "SELECT_FACTS",
            "UPSERT_SCORECARD",
            "SELECT_RANKING",
        ):
            setattr(self, name, self._dialect(getattr(self, name).format(**tables)))
        self.SELECT_FACTS_OF = self.SELECT_FACTS_OF.format(**tables, pairs="{pairs}")

    def _dialect(self, statement: str) -> str:
        return statement

    def _transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)  # type: ignore[attr-defined, no-any-return]

    # Writes

    def apply(self, changes: Changes, tracking: Tracking) -> None:
        with self._transaction(commit=True) as cursor:
            # Tracking first: it takes the write lock, and it fails (rolling
            # everything back) when another process already applied this position.
            self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]
            if changes.agents:
                cursor.executemany(self.INSERT_AGENT, changes.agents)
            if changes.facts:
                cursor.executemany(self.INSERT_FACT, changes.facts)
            touched = sorted(changes.agent_months())
            if touched:
                self._rescore(cursor, touched)

    def _rescore(self, cursor: Any, touched: list[tuple[str, str]]) -> None:
        """Score every touched agent-month from its whole ledger, set-wise."""
        ledgers: dict[tuple[str, str], list[Fact]] = {key: [] for key in touched}
        for start in range(0, len(touched), RESCORE_CHUNK):
            chunk = touched[start : start + RESCORE_CHUNK]
            params: dict[str, str] = {}
            for i, (agent_id, month) in enumerate(chunk):
                params[f"a{i}"], params[f"m{i}"] = agent_id, month
            pairs = ", ".join(f"(:a{i}, :m{i})" for i in range(len(chunk)))
            cursor.execute(
                self._dialect(self.SELECT_FACTS_OF.format(pairs=pairs)), params
            )
            for row in cursor.fetchall():
                ledgers[(row["agent_id"], row["month"])].append(self._fact(row))
        cursor.executemany(
            self.UPSERT_SCORECARD,
            [self._scorecard_row(key, facts) for key, facts in ledgers.items()],
        )

    def _scorecard_row(self, key: tuple[str, str], facts: list[Fact]) -> dict[str, Any]:
        agent_id, month = key
        card = score(self.rulebooks.for_month(Month.parse(month)), facts)
        return {
            "agent_id": agent_id,
            "month": month,
            "total_centi": _centi(card.total),
            "rulebook_id": card.rulebook_id,
            "rulebook_version": card.rulebook_version,
            "position": max(f.position for f in facts),
        }

    # Reads

    def _select(self, statement: str, params: dict[str, Any]) -> list[Any]:
        with self._transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

    def agent(self, agent_id: str) -> AgentRecord | None:
        rows = self._select(self.SELECT_AGENT, {"agent_id": agent_id})
        return self._agent(rows[0]) if rows else None

    def agents(self, team: str | None = None) -> list[AgentRecord]:
        return [
            self._agent(r) for r in self._select(self.SELECT_AGENTS, {"team": team})
        ]

    def deduction(self, deduction_id: str) -> DeductionRecord | None:
        rows = self._select(self.SELECT_DEDUCTION, {"fact_id": deduction_id})
        if not rows:
            return None
        row = rows[0]
        return DeductionRecord(
            deduction_id=row["fact_id"],
            agent_id=row["agent_id"],
            item=row["item"],
            occurred_on=_date(row["occurred_on"]),  # type: ignore[arg-type]
            quantity=row["quantity"],
            note=row["note"],
            evidence_ref=row["evidence_ref"],
            recorded_by=row["recorded_by"],
            recorded_at=_datetime(row["recorded_at"]),
            event_id=row["event_id"],
            position=row["position"],
        )

    def facts(self, agent_id: str, month: Month) -> list[Fact]:
        params = {"agent_id": agent_id, "month": str(month)}
        return [self._fact(r) for r in self._select(self.SELECT_FACTS, params)]

    def ranking(self, month: Month, team: str | None = None) -> list[RankingEntry]:
        empty = score(self.rulebooks.for_month(month), ())
        params = {
            "month": str(month),
            "month_end": month.last_day.isoformat(),
            "team": team,
            "empty_centi": _centi(empty.total),
        }
        return [
            RankingEntry(
                agent_id=r["agent_id"],
                name=r["name"],
                team=r["team"],
                total=Decimal(r["total_centi"]) * CENT,
                rank=r["rank"],
            )
            for r in self._select(self.SELECT_RANKING, params)
        ]

    # Row mapping

    @staticmethod
    def _agent(row: Any) -> AgentRecord:
        return AgentRecord(
            agent_id=row["agent_id"],
            name=row["name"],
            team=row["team"],
            supervisor=row["supervisor"],
            joined_on=_date(row["joined_on"]),
            registered_at=_datetime(row["registered_at"]),
            position=row["position"],
        )

    @staticmethod
    def _fact(row: Any) -> Fact:
        return Fact(
            fact_id=row["fact_id"],
            event_id=row["event_id"],
            position=row["position"],
            item=row["item"],
            quantity=row["quantity"],
            occurred_on=_date(row["occurred_on"]),  # type: ignore[arg-type]
            recorded_by=row["recorded_by"],
            recorded_at=_datetime(row["recorded_at"]),
        )


def _centi(value: Decimal) -> int:
    return int(value / CENT)
