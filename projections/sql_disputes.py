"""Disputes and the event log's timeline, shared by both SQL backends and mixed
into the scoreboard view.

The ``log`` table keeps every folded event's position, type and time, so "as it
stood at time T" is the position of the last event at or before T, and the
explanation of a score can name every event behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

DISPUTE_COLUMNS = (
    "deduction_id, number, agent_id, month, disputed_by, reviewer, reason, "
    "evidence, proposed_quantity, proposed_points, disputed_at, disputed_position, "
    "outcome, resolved_by, resolved_at, resolved_position, note"
)


@dataclass(frozen=True)
class DisputeRecord:
    deduction_id: str
    number: int
    agent_id: str
    month: str
    disputed_by: str
    reviewer: str | None
    reason: str
    evidence: str | None
    proposed_quantity: int | None
    proposed_points: Decimal | None
    disputed_at: datetime
    disputed_position: int
    outcome: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolved_position: int | None
    note: str | None

    def open_at(self, position: int) -> bool:
        return self.disputed_position <= position and (
            self.resolved_position is None or self.resolved_position > position
        )


@dataclass(frozen=True)
class LogEntry:
    position: int
    topic: str
    at: datetime


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
    DISPUTE_STATEMENTS = (
        "INSERT_LOG",
        "SELECT_POSITION_AT",
        "SELECT_LOG",
        "INSERT_DISPUTE",
        "RESOLVE_DISPUTE",
        "SELECT_DISPUTES",
    )

    _select: Any

    def _fold_disputes(self, cursor: Any, changes: Any) -> None:
        if changes.log:
            cursor.executemany(self.INSERT_LOG, changes.log)
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
        return {
            r["position"]: LogEntry(r["position"], r["topic"], _moment(r["at"]))
            for r in rows
        }

    def disputes(
        self, agent_id: str | None = None, month: str | None = None
    ) -> list[DisputeRecord]:
        rows = self._select(
            self.SELECT_DISPUTES, {"agent_id": agent_id, "month": month}
        )
        return [_dispute(r) for r in rows]


def moment_text(moment: datetime) -> str:
    """A UTC time as sortable text, the same in both databases."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _utc(moment: datetime) -> datetime:
    return (
        moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    )


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _dispute(row: Any) -> DisputeRecord:
    points = row["proposed_points"]
    return DisputeRecord(
        deduction_id=row["deduction_id"],
        number=row["number"],
        agent_id=row["agent_id"],
        month=row["month"],
        disputed_by=row["disputed_by"],
        reviewer=row["reviewer"],
        reason=row["reason"],
        evidence=row["evidence"],
        proposed_quantity=row["proposed_quantity"],
        proposed_points=None if points is None else Decimal(points),
        disputed_at=_moment(row["disputed_at"]),
        disputed_position=row["disputed_position"],
        outcome=row["outcome"],
        resolved_by=row["resolved_by"],
        resolved_at=None if row["resolved_at"] is None else _moment(row["resolved_at"]),
        resolved_position=row["resolved_position"],
        note=row["note"],
    )
