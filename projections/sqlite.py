"""The scoreboard view on SQLite: one database file per projection name."""

from __future__ import annotations

from typing import Any

from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.sql import SqlScoreboardView

TABLES = {"agents": "agents", "facts": "facts", "scorecards": "scorecards"}


class SQLiteScoreboardView(SqlScoreboardView, SQLiteTrackingRecorder):
    CREATE_TABLES = (
        "CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, "
        "name TEXT NOT NULL, team TEXT NOT NULL, supervisor TEXT NOT NULL, "
        "joined_on TEXT, registered_at TEXT NOT NULL, position INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS facts (position INTEGER PRIMARY KEY, "
        "event_id TEXT NOT NULL, fact_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "agent_id TEXT NOT NULL, month TEXT NOT NULL, occurred_on TEXT NOT NULL, "
        "item TEXT NOT NULL, quantity INTEGER NOT NULL, note TEXT NOT NULL, "
        "evidence_ref TEXT, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS facts_agent_month ON facts (agent_id, month)",
        "CREATE INDEX IF NOT EXISTS facts_fact_id ON facts (fact_id)",
        "CREATE TABLE IF NOT EXISTS scorecards (agent_id TEXT NOT NULL, "
        "month TEXT NOT NULL, total_centi INTEGER NOT NULL, "
        "rulebook_id TEXT NOT NULL, rulebook_version INTEGER NOT NULL, "
        "position INTEGER NOT NULL, PRIMARY KEY (agent_id, month))",
        "CREATE INDEX IF NOT EXISTS scorecards_month ON scorecards (month)",
    )

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._setup(TABLES)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.CREATE_TABLES]
