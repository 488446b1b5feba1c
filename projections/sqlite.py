"""The scoreboard view on SQLite: one database file per projection name.

Its agent-months are re-scored ``RESCORE_AT_ONCE`` at a time: the embedded
default scores in the process that imports (a worker, or the process of a big
import), and each agent-month's whole ledger is held while it is scored
(some 700 facts an agent-month of order steps: 100 at once took 100 MiB).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.persistence import bounded
from projections.sql import SqlScoreboardView
from projections.tables import SQLITE_TYPES, TABLES, ddl

RESCORE_AT_ONCE = 25


class SQLiteScoreboardView(SqlScoreboardView, SQLiteTrackingRecorder):
    insert_tracking = bounded(SQLiteTrackingRecorder.insert_tracking)
    max_tracking_id = bounded(SQLiteTrackingRecorder.max_tracking_id)
    rescore_chunk = RESCORE_AT_ONCE

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.schema_objects = [
            (name, name, statement) for name, statement in ddl(SQLITE_TYPES, str, str)
        ]
        self.tracking_object = "tracking"
        self._setup({name: name for name in TABLES})

    def drop(self) -> None:
        with self._transaction(commit=True) as cursor:
            for table in (*TABLES, "tracking"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
