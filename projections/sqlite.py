"""The scoreboard view on SQLite: one database file per projection name."""

from __future__ import annotations

from typing import Any

from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.sql import TABLES, SqlScoreboardView


class SQLiteScoreboardView(SqlScoreboardView, SQLiteTrackingRecorder):
    CREATE_TABLES = (
        "CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, "
        "name TEXT NOT NULL, team TEXT NOT NULL, supervisor TEXT NOT NULL, "
        "joined_on TEXT, registered_at TEXT NOT NULL, position INTEGER NOT NULL, "
        "left_on TEXT, left_position INTEGER)",
        "CREATE TABLE IF NOT EXISTS facts (position INTEGER NOT NULL, "
        "ordinal INTEGER NOT NULL, event_id TEXT NOT NULL, fact_id TEXT NOT NULL, "
        "source TEXT NOT NULL, kind TEXT NOT NULL, agent_id TEXT NOT NULL, "
        "month TEXT NOT NULL, occurred_on TEXT NOT NULL, item TEXT NOT NULL, "
        "detail TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "superseded_by INTEGER, excluded TEXT, PRIMARY KEY (position, ordinal))",
        "CREATE INDEX IF NOT EXISTS facts_agent_month ON facts (agent_id, month)",
        "CREATE INDEX IF NOT EXISTS facts_month ON facts (month)",
        "CREATE INDEX IF NOT EXISTS facts_fact_id ON facts (fact_id)",
        "CREATE TABLE IF NOT EXISTS scorecards (agent_id TEXT NOT NULL, "
        "month TEXT NOT NULL, total_centi INTEGER NOT NULL, "
        "rulebook_id TEXT NOT NULL, rulebook_version INTEGER NOT NULL, "
        "position INTEGER NOT NULL, "
        "PRIMARY KEY (agent_id, month))",
        "CREATE INDEX IF NOT EXISTS scorecards_month ON scorecards (month)",
        "CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, "
        "order_no TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, "
        "submitted_on TEXT NOT NULL, amount TEXT NOT NULL, steps TEXT NOT NULL, "
        "position INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS periods (period_id TEXT PRIMARY KEY, "
        "month TEXT NOT NULL UNIQUE, status TEXT NOT NULL, history TEXT NOT NULL, "
        "position INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS closed_days (day TEXT PRIMARY KEY, "
        "reason TEXT NOT NULL, position INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS plans (month TEXT NOT NULL, "
        "agent_id TEXT NOT NULL, why TEXT NOT NULL, actions TEXT NOT NULL, "
        "submitted_by TEXT NOT NULL, "
        "first_submitted_on TEXT NOT NULL, submitted_on TEXT NOT NULL, "
        "position INTEGER NOT NULL, PRIMARY KEY (month, agent_id))",
        "CREATE TABLE IF NOT EXISTS log (position INTEGER PRIMARY KEY, "
        "topic TEXT NOT NULL, at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS log_at ON log (at)",
        "CREATE TABLE IF NOT EXISTS disputes (deduction_id TEXT NOT NULL, "
        "number INTEGER NOT NULL, agent_id TEXT NOT NULL, month TEXT NOT NULL, "
        "disputed_by TEXT NOT NULL, reviewer TEXT, reason TEXT NOT NULL, "
        "evidence TEXT, proposed_quantity INTEGER, proposed_points TEXT, "
        "disputed_at TEXT NOT NULL, disputed_position INTEGER NOT NULL, outcome TEXT, "
        "resolved_by TEXT, resolved_at TEXT, resolved_position INTEGER, note TEXT, "
        "PRIMARY KEY (deduction_id, number))",
        "CREATE TABLE IF NOT EXISTS publications (position INTEGER PRIMARY KEY, "
        "rulebook_id TEXT NOT NULL, version INTEGER NOT NULL, "
        "effective_from TEXT NOT NULL, generation INTEGER NOT NULL, "
        "document TEXT NOT NULL, published_by TEXT NOT NULL, "
        "published_at TEXT NOT NULL)",
    )

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._setup({name: name for name in TABLES})

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.CREATE_TABLES]

    def drop(self) -> None:
        with self._transaction(commit=True) as cursor:
            for table in (*TABLES, "tracking"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
