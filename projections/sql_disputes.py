"""Disputes and the event log's timeline, shared by both SQL backends and mixed
into the scoreboard view.

The ``log`` table keeps every folded event's position, type and time, so "as it
stood at time T" is the position of the last event at or before T, and the
explanation of a score can name every event behind it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections.records import DisputeRecord, LogEntry, moment_text, record
from projections.tables import columns

DISPUTE_COLUMNS = columns("disputes")


class DisputeTables:
    """Statements and folding for disputes and the log."""

    INSERT_LOG = (
        "INSERT INTO {log} (position, topic, at) VALUES (:position, :topic, :at)"
    )
    SELECT_POSITION_AT = "SELECT MAX(position) AS position FROM {log} WHERE at <= :at"
    SELECT_LOG = (
        "SELECT position, topic, at FROM {log} "
        "WHERE position >= :first AND position <= :last ORDER BY position"
    )
    INSERT_DISPUTE = (
        f"INSERT INTO {{disputes}} ({DISPUTE_COLUMNS}) VALUES (:deduction_id, :number, "
        ":agent_id, :month, :disputed_by, :reviewer, :reason, :evidence, "
        ":proposed_quantity, :proposed_points, :disputed_at, :disputed_position, "
        "NULL, NULL, NULL, NULL, NULL)"
    )
    RESOLVE_DISPUTE = (
        "UPDATE {disputes} SET outcome = :outcome, resolved_by = :resolved_by, "
        "resolved_at = :resolved_at, resolved_position = :resolved_position, "
        "note = :note WHERE deduction_id = :deduction_id AND number = :number"
    )
    SELECT_DISPUTES = (
        f"SELECT {DISPUTE_COLUMNS} FROM {{disputes}} "
        "WHERE (CAST(:agent_id AS TEXT) IS NULL OR agent_id = :agent_id) "
        "AND (CAST(:month AS TEXT) IS NULL OR month = :month) "
        "ORDER BY disputed_position"
    )

    _select: Any
    _append: Any

    def _fold_disputes(self, cursor: Any, changes: Any) -> None:
        if changes.log:
            self._append(cursor, "log", self.INSERT_LOG, changes.log)
        if changes.disputes:
            cursor.executemany(self.INSERT_DISPUTE, changes.disputes)
        if changes.resolutions:
            cursor.executemany(self.RESOLVE_DISPUTE, changes.resolutions)

    # Reads

    def position_at(self, at: datetime) -> int:
        """The last event recorded at or before ``at`` (0 before the first)."""
        rows = self._select(self.SELECT_POSITION_AT, {"at": moment_text(at)})
        return int(rows[0]["position"] or 0)

    def log_entries(self, first: int, last: int) -> dict[int, LogEntry]:
        rows = self._select(self.SELECT_LOG, {"first": first, "last": last})
        return {r["position"]: record(LogEntry, r) for r in rows}

    def disputes(
        self, agent_id: str | None = None, month: str | None = None
    ) -> list[DisputeRecord]:
        rows = self._select(
            self.SELECT_DISPUTES, {"agent_id": agent_id, "month": month}
        )
        return [record(DisputeRecord, r) for r in rows]
