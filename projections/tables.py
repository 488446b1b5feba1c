"""Every read-model table, declared once with logical column types.

Both backends' DDL is generated from here: PostgreSQL and SQLite differ only
in how a logical type is spelled. Each statement comes with the name of the
object it creates, so a migration can create just what is missing and never
touch (or lock) what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

POSTGRES_TYPES = {
    "text": "TEXT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "decimal": "NUMERIC",
}
SQLITE_TYPES = {
    "text": "TEXT",
    "integer": "INTEGER",
    "bigint": "INTEGER",
    "date": "TEXT",
    "timestamp": "TEXT",
    "decimal": "TEXT",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    unique: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(name, columns)`` of each index beside the primary key"""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name: str, type_: str = "text", *, null: bool = False, unique: bool = False):
    return Column(name, type_, required=not null, unique=unique)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "agents",
            (
                _c("agent_id"), _c("name"), _c("team"), _c("supervisor"),
                _c("joined_on", "date", null=True), _c("registered_at", "timestamp"),
                _c("position", "bigint"), _c("left_on", "date", null=True),
                _c("left_position", "bigint", null=True),
            ),
            key=("agent_id",),
        ),
        Table(
            "facts",
            (
                _c("position", "bigint"), _c("ordinal", "integer"), _c("event_id"),
                _c("fact_id"), _c("source"), _c("kind"), _c("agent_id"), _c("month"),
                _c("occurred_on", "date"), _c("item"), _c("detail"),
                _c("recorded_by"), _c("recorded_at", "timestamp"),
                _c("superseded_by", "bigint", null=True), _c("excluded", null=True),
            ),
            key=("position", "ordinal"),
            indexes=(
                ("facts_agent_month", ("agent_id", "month")),
                ("facts_month", ("month",)),
                ("facts_fact_id", ("fact_id",)),
                ("facts_source", ("source", "position")),
            ),
        ),
        Table(
            "scorecards",
            (
                _c("agent_id"), _c("month"), _c("total_centi", "bigint"),
                _c("rulebook_id"), _c("rulebook_version", "integer"),
                _c("position", "bigint"),
            ),
            key=("agent_id", "month"),
            indexes=(("scorecards_month", ("month",)),),
        ),
        Table(
            "orders",
            (
                _c("order_id"), _c("order_no", unique=True), _c("owner"),
                _c("submitted_on", "date"), _c("amount", "decimal"), _c("steps"),
                _c("position", "bigint"),
            ),
            key=("order_id",),
        ),
        Table(
            "periods",
            (
                _c("period_id"), _c("month", unique=True), _c("status"),
                _c("history"), _c("position", "bigint"),
            ),
            key=("period_id",),
        ),
        Table(
            "closed_days",
            (_c("day", "date"), _c("reason"), _c("position", "bigint")),
            key=("day",),
        ),
        Table(
            "plans",
            (
                _c("month"), _c("agent_id"), _c("why"), _c("actions"),
                _c("submitted_by"), _c("first_submitted_on", "date"),
                _c("submitted_on", "date"), _c("position", "bigint"),
            ),
            key=("month", "agent_id"),
        ),
        Table(
            "log",
            (_c("position", "bigint"), _c("topic"), _c("at")),
            key=("position",),
            indexes=(("log_at", ("at",)),),
        ),
        Table(
            "disputes",
            (
                _c("deduction_id"), _c("number", "integer"), _c("agent_id"),
                _c("month"), _c("disputed_by"), _c("reviewer", null=True),
                _c("reason"), _c("evidence", null=True),
                _c("proposed_quantity", "integer", null=True),
                _c("proposed_points", null=True), _c("disputed_at"),
                _c("disputed_position", "bigint"), _c("outcome", null=True),
                _c("resolved_by", null=True), _c("resolved_at", null=True),
                _c("resolved_position", "bigint", null=True), _c("note", null=True),
            ),
            key=("deduction_id", "number"),
        ),
        Table(
            "dirty",
            (_c("agent_id"), _c("month"), _c("since", "bigint")),
            key=("agent_id", "month"),
        ),
        Table(
            # Per scope (a month, or "*" for every month) the counter of the
            # last fold or scoring that changed what its reads show; the row
            # of scope "" holds the last counter (``ScoreboardView.moved``).
            "moves",
            (_c("scope"), _c("counter", "bigint")),
            key=("scope",),
        ),
        Table(
            "publications",
            (
                _c("position", "bigint"), _c("rulebook_id"), _c("version", "integer"),
                _c("effective_from"), _c("generation", "integer"), _c("document"),
                _c("published_by"), _c("published_at", "timestamp"),
            ),
            key=("position",),
        ),
        Table(
            "webhooks",
            (
                _c("webhook_id"), _c("url"), _c("kinds"), _c("team", null=True),
                _c("secret"), _c("format"), _c("language"), _c("status"),
                _c("created_by"), _c("created_at", "timestamp"),
                _c("position", "bigint"), _c("changed_position", "bigint"),
            ),
            key=("webhook_id",),
        ),
        Table(
            "outbox",
            (
                _c("delivery_id"), _c("webhook_id"), _c("position", "bigint"),
                _c("kind"), _c("agent_id", null=True), _c("team", null=True),
                _c("month", null=True), _c("moment"), _c("at"),
            ),
            key=("delivery_id",),
            indexes=(
                ("outbox_position", ("position",)),
                ("outbox_webhook", ("webhook_id", "position")),
            ),
        ),
    )
}  # fmt: skip


def ddl(
    types: dict[str, str],
    table_name: Callable[[str], str],
    index_name: Callable[[str], str],
) -> list[tuple[str, str]]:
    """``(object name, CREATE statement)`` for every table and index, in order.
    ``table_name`` and ``index_name`` give a logical name its physical form
    (a prefix, a schema, quoting)."""
    statements = []
    for table in TABLES.values():
        columns = [
            f"{c.name} {types[c.type]}"
            + (" NOT NULL" if c.required else "")
            + (" UNIQUE" if c.unique else "")
            for c in table.columns
        ]
        columns.append(f"PRIMARY KEY ({', '.join(table.key)})")
        statements.append(
            (
                table.name,
                f"CREATE TABLE IF NOT EXISTS {table_name(table.name)} "
                f"({', '.join(columns)})",
            )
        )
        for name, indexed in table.indexes:
            statements.append(
                (
                    name,
                    f"CREATE INDEX IF NOT EXISTS {index_name(name)} ON "
                    f"{table_name(table.name)} ({', '.join(indexed)})",
                )
            )
    return statements


def columns(table: str, *, without: tuple[str, ...] = ()) -> str:
    """``a, b, c``: the columns of ``table`` in order, for statements."""
    return ", ".join(c for c in TABLES[table].column_names if c not in without)
