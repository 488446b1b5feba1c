"""The scoreboard view on PostgreSQL: tables prefixed by the projection name,
in the same schema (and connection pool) as the events."""

from __future__ import annotations

import re
from typing import Any

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import Identifier

from projections.notices import READ_MODELS
from projections.persistence import bounded
from projections.sql import SqlScoreboardView
from projections.tables import POSTGRES_TYPES, TABLES, ddl

_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class PostgresScoreboardView(SqlScoreboardView, PostgresTrackingRecorder):
    MARK_DIRTY_ALL = (
        "INSERT INTO {dirty} (agent_id, month, since) SELECT a, m, :since "
        "FROM unnest(:agent_ids::text[], :months::text[]) AS t(a, m) "
        "ON CONFLICT (agent_id, month) DO NOTHING"
    )
    insert_tracking = bounded(PostgresTrackingRecorder.insert_tracking)
    max_tracking_id = bounded(PostgresTrackingRecorder.max_tracking_id)
    has_tracking_id = bounded(PostgresTrackingRecorder.has_tracking_id)

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
        self.schema_objects = [
            (name, _qualified(schema, f"{prefix}_{name}"), statement)
            for name, statement in ddl(
                POSTGRES_TYPES,
                lambda n: tables[n],
                lambda n: _quoted(f"{prefix}_{n}"),
            )
        ]
        self.tracking_object = _qualified(schema, tracking_table_name)
        self._setup(tables)

    def _mark_dirty(
        self, cursor: Any, touched: set[tuple[str, str]], since: int
    ) -> None:
        """One statement for a batch's agent-months, not one each."""
        agent_ids, months = (list(column) for column in zip(*touched, strict=True))
        params = {"agent_ids": agent_ids, "months": months, "since": since}
        cursor.execute(self.MARK_DIRTY_ALL, params)

    def _announce(self, cursor: Any) -> None:
        cursor.execute(f'NOTIFY "{READ_MODELS}"')

    def _append(
        self, cursor: Any, table: str, statement: str, rows: list[dict[str, Any]]
    ) -> None:
        """``COPY`` the rows in: one round trip for the batch, in the same
        transaction as the tracking row (``statement`` is the fallback of
        other backends)."""
        names = [n for n in TABLES[table].column_names if n in rows[0]]
        copy_statement = f"COPY {self.tables[table]} ({', '.join(names)}) FROM STDIN"
        with cursor.copy(copy_statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])

    def _select_once(self, statement: str, params: dict[str, Any]) -> list[Any]:
        """One statement on an autocommit connection, as the library reads its
        tracking position: no BEGIN and ROLLBACK around it, and a rollback
        would make psycopg drop the connection's prepared statements."""
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

    def _dialect(self, statement: str) -> str:
        return _NAMED_PARAM.sub(r"%(\1)s", statement)

    def drop(self) -> None:
        with self._transaction(commit=True) as cursor:
            for table in (*self.tables.values(), self.tracking_object):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _quoted(name: str) -> str:
    return Identifier(name).as_string()


def _qualified(schema: str, name: str) -> str:
    return f"{_quoted(schema)}.{_quoted(name)}"
