"""The scoreboard view in SQL that SQLite and PostgreSQL share.

Statements use ``:name`` parameters and ``{table}`` placeholders; each backend
supplies its table names, column types and parameter style.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

import orjson
from eventsourcing.persistence import Tracking

from domain.derived import positioned
from domain.month import Month
from domain.register import Catalog
from domain.scoring import Fact
from projections.calendar import WorkingCalendar
from projections.fold import Changes
from projections.outbox import OutboxTables
from projections.persistence import budget_of, retrying
from projections.records import (
    AgentRecord,
    FactEntry,
    OrderRecord,
    record,
)
from projections.scoreboard import NOW, ScoreboardView
from projections.sql_cycle import CycleTables
from projections.sql_disputes import DisputeTables
from projections.sql_lists import ListTables
from projections.sql_scores import ScoreTables
from projections.sql_tallies import Tallies
from projections.tables import columns

AGENT_COLUMNS = columns("agents")
FACT_COLUMNS = columns("facts", without=("superseded_by",))
LIVE = "superseded_by IS NULL"
# The facts that counted at position :as_of (NOW for the present).
AS_OF = (
    "position <= :as_of AND (superseded_by IS NULL OR superseded_by > :as_of) "
    "AND excluded IS NULL"
)
ORDER_COLUMNS = columns("orders")
ORDERS_AT_ONCE = 400  # order ids a query names (SQLite takes 999 parameters)


def _params(columns: str) -> str:
    return ", ".join(f":{c.strip()}" for c in columns.split(","))


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC)


def _json(value: Any) -> str:
    """A read model's JSON column (the ledger's details, an order's steps)."""
    return orjson.dumps(value).decode()


def _in(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:p0, :p1, ...)`` and its parameters."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{name}" for name in params), params


class SqlScoreboardView(
    ScoreTables, CycleTables, DisputeTables, ListTables, OutboxTables, ScoreboardView
):
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
        "WHERE (CAST(:team AS TEXT) IS NULL OR team = :team) "
        "AND position <= :as_of ORDER BY agent_id"
    )
    RECORD_DEPARTURE = (
        "UPDATE {agents} SET left_on = :left_on, left_position = :left_position "
        "WHERE agent_id = :agent_id"
    )
    SELECT_FACTS = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} "
        f"WHERE agent_id = :agent_id AND month = :month AND {AS_OF} "
        "ORDER BY position, ordinal"
    )
    # {pairs} is filled per batch with "(:a0, :m0), (:a1, :m1), ..."
    SELECT_FACT_HISTORY = (
        f"SELECT {FACT_COLUMNS}, superseded_by FROM {{facts}} "
        "WHERE agent_id = :agent_id AND month = :month ORDER BY position, ordinal"
    )
    SELECT_FACTS_OF = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} "
        f"WHERE (agent_id, month) IN (VALUES {{pairs}}) AND {AS_OF} "
        "ORDER BY position, ordinal"
    )
    SELECT_FACTS_IN_MONTHS = (
        f"SELECT {FACT_COLUMNS} FROM {{facts}} WHERE month IN ({{months}}) "
        f"AND {AS_OF} ORDER BY position, ordinal"
    )
    SELECT_AGENT_MONTHS_FROM = (
        f"SELECT DISTINCT agent_id, month FROM {{facts}} WHERE month >= :month "
        f"AND {AS_OF}"
    )
    SELECT_SUPERSEDED = (
        "SELECT DISTINCT agent_id, month FROM {facts} "
        f"WHERE fact_id = :fact_id AND position < :position AND {LIVE}"
    )
    SUPERSEDE = (
        "UPDATE {facts} SET superseded_by = :position "
        f"WHERE fact_id = :fact_id AND position < :position AND {LIVE}"
    )
    SELECT_ORDERS = (
        f"SELECT {ORDER_COLUMNS} FROM {{orders}} WHERE order_id IN ({{ids}})"
    )
    SELECT_ORDER = f"SELECT {ORDER_COLUMNS} FROM {{orders}} WHERE order_no = :order_no"
    UPSERT_ORDER = (
        f"INSERT INTO {{orders}} ({ORDER_COLUMNS}) VALUES ({_params(ORDER_COLUMNS)}) "
        "ON CONFLICT (order_id) DO UPDATE SET amount = excluded.amount, "
        "steps = excluded.steps, position = excluded.position"
    )

    def _setup(self, tables: dict[str, str]) -> None:
        """Bind table names and parameter style into every statement (the
        upper-case class attributes); templates keep their ``{pairs}``,
        ``{months}`` or ``{ids}`` to be completed per call."""
        self.tables = tables
        self._cached: tuple[int, Catalog] | None = None
        self.tallies = Tallies()
        later = {"pairs": "{pairs}", "months": "{months}", "ids": "{ids}"}
        for name in dir(type(self)):
            statement = getattr(type(self), name)
            if not (name.isupper() and isinstance(statement, str)):
                continue
            bound = statement.format(**tables, tracking=self.tracking_object, **later)
            setattr(self, name, bound if "{" in bound else self._dialect(bound))

    def _dialect(self, statement: str) -> str:
        return statement

    def _transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)  # type: ignore[attr-defined, no-any-return]

    # Writes

    def _append(
        self, cursor: Any, table: str, statement: str, rows: list[dict[str, Any]]
    ) -> None:
        """Insert new ``rows`` into ``table`` by its plain ``INSERT``
        ``statement``; PostgreSQL's view sends them by ``COPY`` instead."""
        cursor.executemany(statement, rows)

    def apply(
        self, changes: Changes, tracking: Tracking, defer_from: int | None = None
    ) -> None:
        with (
            self._tallying(tracking.notification_id) as batch,
            self._transaction(commit=True) as cursor,
        ):
            # Tracking first: it takes the write lock, and it fails (rolling
            # everything back) when another process already applied this position.
            self._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]
            batch.tallied = self._tallied(cursor, changes.follows)
            if changes.agents:
                cursor.executemany(self.INSERT_AGENT, changes.agents)
            if changes.departures:
                cursor.executemany(self.RECORD_DEPARTURE, changes.departures)
            self._fold_cycle(cursor, changes)  # before the facts: it may exclude some
            self._fold_disputes(cursor, changes)
            self._fold_outbox(cursor, changes)  # after agents and periods
            if changes.facts:
                self._append(
                    cursor,
                    "facts",
                    self.INSERT_FACT,
                    [f | {"detail": _json(f["detail"])} for f in changes.facts],
                )
            if changes.order_steps:
                self._fold_orders(cursor, changes.order_steps)
            changed = set()  # months a batch does more to than add facts
            for superseded in changes.superseded:  # in log order, after the inserts
                cursor.execute(self.SELECT_SUPERSEDED, superseded)
                changed |= {(r["agent_id"], r["month"]) for r in cursor.fetchall()}
                cursor.execute(self.SUPERSEDE, superseded)
            if changes.publications:
                cursor.executemany(
                    self.INSERT_PUBLICATION,
                    [
                        p | {"document": json.dumps(p["document"])}
                        for p in changes.publications
                    ],
                )
                changed |= self._months_under_new_rules(cursor, changes)
            batch.changed = changed
            for fact in changes.facts:
                key = (fact["agent_id"], fact["month"])
                batch.appended.setdefault(key, []).append(fact)
            touched = batch.appended.keys() | changed
            scored = self._score_touched(cursor, touched, defer_from, batch)
            self._record_moves(cursor, scored, changes.scopes())

    def _fold_orders(self, cursor: Any, steps: list[dict[str, Any]]) -> None:
        """Append each step to its order's row (the orders submitted before the
        batch read in one query a few hundred, each written once a batch)."""
        first: dict[str, str] = {}
        for step in steps:
            first.setdefault(step["order_id"], step["step"])
        earlier = [i for i, kind in first.items() if kind != "submit"]
        orders: dict[str, dict[str, Any]] = {}
        for start in range(0, len(earlier), ORDERS_AT_ONCE):
            ids, params = _in("o", earlier[start : start + ORDERS_AT_ONCE])
            cursor.execute(self._dialect(self.SELECT_ORDERS.format(ids=ids)), params)
            for row in cursor.fetchall():
                orders[row["order_id"]] = dict(row)
                orders[row["order_id"]]["steps"] = orjson.loads(row["steps"])
        missing = set(earlier) - orders.keys()
        if missing:  # a step of an order never submitted: it cannot be folded
            raise LookupError(f"no submitted order {sorted(missing)[0]}")
        for step in steps:
            order = orders.get(step["order_id"])
            if order is None:
                order = {
                    "order_id": step["order_id"],
                    "order_no": step["order_no"],
                    "owner": step["owner"],
                    "submitted_on": step["occurred_on"],
                    "amount": step["values"]["amount"],
                    "steps": [],
                }
            if step["step"] == "correct_amount":
                order["amount"] = step["values"]["amount"]
            order["steps"].append({k: v for k, v in step.items() if k != "order_id"})
            order["position"] = step["position"]
            orders[step["order_id"]] = order
        cursor.executemany(
            self.UPSERT_ORDER,
            [
                o | {"steps": _json(o["steps"]), "amount": str(o["amount"])}
                for o in orders.values()
            ],
        )

    def order(self, order_no: str) -> OrderRecord | None:
        rows = self._select(self.SELECT_ORDER, {"order_no": order_no})
        if not rows:
            return None
        return record(OrderRecord, rows[0])

    # Reads

    def _select(self, statement: str, params: dict[str, Any]) -> list[Any]:
        return retrying(
            budget_of(self.datastore),  # type: ignore[attr-defined]
            self._select_once,
            statement,
            params,
        )

    def _select_once(self, statement: str, params: dict[str, Any]) -> list[Any]:
        with self._transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

    def agent(self, agent_id: str) -> AgentRecord | None:
        rows = self._select(self.SELECT_AGENT, {"agent_id": agent_id})
        return self._agent(rows[0]) if rows else None

    def agents(self, team: str | None = None, as_of: int = NOW) -> list[AgentRecord]:
        rows = self._select(self.SELECT_AGENTS, {"team": team, "as_of": as_of})
        return [self._agent(r, as_of) for r in rows]

    def facts(self, agent_id: str, month: Month, as_of: int = NOW) -> list[Fact]:
        params = {"agent_id": agent_id, "month": str(month), "as_of": as_of}
        return [self._fact(r) for r in self._select(self.SELECT_FACTS, params)]

    def facts_of_months(
        self, months: Sequence[Month], as_of: int = NOW
    ) -> dict[tuple[str, str], list[Fact]]:
        placeholders, params = _in("m", [str(m) for m in months])
        statement = self._dialect(
            self.SELECT_FACTS_IN_MONTHS.format(months=placeholders)
        )
        ledgers: dict[tuple[str, str], list[Fact]] = {}
        for row in self._select(statement, params | {"as_of": as_of}):
            key = (row["agent_id"], row["month"])
            ledgers.setdefault(key, []).append(self._fact(row))
        return ledgers

    def fact_history(self, agent_id: str, month: Month) -> list[FactEntry]:
        params = {"agent_id": agent_id, "month": str(month)}
        return [
            FactEntry(
                self._fact(r),
                r["source"],
                r["superseded_by"],
                r["excluded"],
                json.loads(r["detail"]),
            )
            for r in self._select(self.SELECT_FACT_HISTORY, params)
        ]

    def calendar(self, as_of: int = NOW) -> WorkingCalendar:
        return WorkingCalendar(self.closed_days(as_of))

    # Row mapping

    @staticmethod
    def _agent(row: Any, as_of: int = NOW) -> AgentRecord:
        left = row["left_position"] is not None and row["left_position"] <= as_of
        return record(AgentRecord, row, **({} if left else {"left_on": None}))

    @staticmethod
    def _fact(row: Any) -> Fact:
        place = {
            "fact_id": row["fact_id"],
            "event_id": row["event_id"],
            "position": row["position"],
            "occurred_on": _date(row["occurred_on"]),
            "recorded_by": row["recorded_by"],
            "recorded_at": _datetime(row["recorded_at"]),
        }
        detail = row["detail"]  # stored JSON, or a fold's own dict
        if not isinstance(detail, dict):
            detail = orjson.loads(detail)
        return positioned(place, row["kind"], row["item"], detail)
