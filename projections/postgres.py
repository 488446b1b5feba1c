"""The scoreboard view on PostgreSQL: tables prefixed by the projection name."""

from __future__ import annotations

import re
from typing import Any

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from projections.sql import TABLES, SqlScoreboardView

_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")
INDEXES = (
    "facts_agent_month", "facts_month", "facts_fact_id", "scorecards_month", "log_at",
)  # fmt: skip


class PostgresScoreboardView(SqlScoreboardView, PostgresTrackingRecorder):
    CREATE_TABLES = (
        "CREATE TABLE IF NOT EXISTS {agents} (agent_id TEXT PRIMARY KEY, "
        "name TEXT NOT NULL, team TEXT NOT NULL, supervisor TEXT NOT NULL, "
        "joined_on DATE, registered_at TIMESTAMPTZ NOT NULL, "
        "position BIGINT NOT NULL, left_on DATE, left_position BIGINT)",
        "CREATE TABLE IF NOT EXISTS {facts} (position BIGINT NOT NULL, "
        "ordinal INTEGER NOT NULL, event_id TEXT NOT NULL, fact_id TEXT NOT NULL, "
        "source TEXT NOT NULL, kind TEXT NOT NULL, agent_id TEXT NOT NULL, "
        "month TEXT NOT NULL, occurred_on DATE NOT NULL, item TEXT NOT NULL, "
        "detail TEXT NOT NULL, recorded_by TEXT NOT NULL, "
        "recorded_at TIMESTAMPTZ NOT NULL, superseded_by BIGINT, excluded TEXT, "
        "PRIMARY KEY (position, ordinal))",
        "CREATE INDEX IF NOT EXISTS {facts_agent_month} ON {facts} (agent_id, month)",
        "CREATE INDEX IF NOT EXISTS {facts_month} ON {facts} (month)",
        "CREATE INDEX IF NOT EXISTS {facts_fact_id} ON {facts} (fact_id)",
        "CREATE TABLE IF NOT EXISTS {scorecards} (agent_id TEXT NOT NULL, "
        "month TEXT NOT NULL, total_centi BIGINT NOT NULL, "
        "rulebook_id TEXT NOT NULL, rulebook_version INTEGER NOT NULL, "
        "position BIGINT NOT NULL, "
        "PRIMARY KEY (agent_id, month))",
        "CREATE INDEX IF NOT EXISTS {scorecards_month} ON {scorecards} (month)",
        "CREATE TABLE IF NOT EXISTS {orders} (order_id TEXT PRIMARY KEY, "
        "order_no TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, "
        "submitted_on DATE NOT NULL, amount NUMERIC NOT NULL, steps TEXT NOT NULL, "
        "position BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {periods} (period_id TEXT PRIMARY KEY, "
        "month TEXT NOT NULL UNIQUE, status TEXT NOT NULL, history TEXT NOT NULL, "
        "position BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {closed_days} (day DATE PRIMARY KEY, "
        "reason TEXT NOT NULL, position BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {plans} (month TEXT NOT NULL, "
        "agent_id TEXT NOT NULL, why TEXT NOT NULL, actions TEXT NOT NULL, "
        "submitted_by TEXT NOT NULL, first_submitted_on DATE NOT NULL, "
        "submitted_on DATE NOT NULL, position BIGINT NOT NULL, "
        "PRIMARY KEY (month, agent_id))",
        "CREATE TABLE IF NOT EXISTS {log} (position BIGINT PRIMARY KEY, "
        "topic TEXT NOT NULL, at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {log_at} ON {log} (at)",
        "CREATE TABLE IF NOT EXISTS {disputes} (deduction_id TEXT NOT NULL, "
        "number INTEGER NOT NULL, agent_id TEXT NOT NULL, month TEXT NOT NULL, "
        "disputed_by TEXT NOT NULL, reviewer TEXT, reason TEXT NOT NULL, "
        "evidence TEXT, proposed_quantity INTEGER, proposed_points TEXT, "
        "disputed_at TEXT NOT NULL, disputed_position BIGINT NOT NULL, outcome TEXT, "
        "resolved_by TEXT, resolved_at TEXT, resolved_position BIGINT, note TEXT, "
        "PRIMARY KEY (deduction_id, number))",
        "CREATE TABLE IF NOT EXISTS {publications} (position BIGINT PRIMARY KEY, "
        "rulebook_id TEXT NOT NULL, version INTEGER NOT NULL, "
        "effective_from TEXT NOT NULL, generation INTEGER NOT NULL, "
        "document TEXT NOT NULL, published_by TEXT NOT NULL, "
        "published_at TIMESTAMPTZ NOT NULL)",
    )

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = "scoreboard_tracking",
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        prefix = tracking_table_name.removesuffix("_tracking")
        schema = datastore.schema
        tables = {n: _qualified(schema, f"{prefix}_{n}") for n in TABLES}
        indexes = {i: _quoted(f"{prefix}_{i}") for i in INDEXES}
        for statement in self.CREATE_TABLES:
            self.sql_create_statements.append(
                SQL(statement.format(**tables, **indexes))  # type: ignore[arg-type]
            )
        self._setup(tables)
        self._tracking_table = _qualified(schema, tracking_table_name)

    def _dialect(self, statement: str) -> str:
        return _NAMED_PARAM.sub(r"%(\1)s", statement)

    def drop(self) -> None:
        with self._transaction(commit=True) as cursor:
            for table in (*self.tables.values(), self._tracking_table):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _quoted(name: str) -> str:
    return Identifier(name).as_string()


def _qualified(schema: str, name: str) -> str:
    return f"{_quoted(schema)}.{_quoted(name)}"
