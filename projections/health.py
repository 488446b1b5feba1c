"""What the read side is doing, kept where every process can see it.

A projector writes a heartbeat (its position, the log's head) every few
seconds into a small status table beside the events, and the stall it is in,
if an event cannot be folded: the position, the event's type and the error.
``/health`` reads it, so any web worker can say whether the read side keeps
up, however many processes serve the API.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.migrate import SchemaObject, statement_object
from projections.persistence import budget_of, retrying

HEARTBEAT_SECONDS = 2.0
STATUS_COLUMNS = (
    "name", "process", "position", "head", "seen_at",
    "stalled_at", "stalled_topic", "error", "stalled_since",
)  # fmt: skip


class StalledError(Exception):
    """Raised when an event cannot be folded into a read model; the read model
    stays at the position before it."""

    def __init__(self, position: int, topic: str, error: BaseException) -> None:
        text = (str(error).strip() or type(error).__name__).splitlines()[0]
        super().__init__(
            f"cannot fold the event at position {position} ({topic}): "
            f"{type(error).__name__}: {text}"
        )
        self.position = position
        self.topic = topic
        self.error = f"{type(error).__name__}: {text}"


@dataclass(frozen=True)
class ProjectorStatus:
    name: str
    process: str
    position: int
    head: int
    seen_at: datetime
    stalled_at: int | None = None
    stalled_topic: str | None = None
    error: str | None = None
    stalled_since: datetime | None = None

    @property
    def stalled(self) -> bool:
        return self.stalled_at is not None

    def age(self, now: datetime) -> float:
        return (now - self.seen_at).total_seconds()


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class StatusStore:
    """The status table in the events database."""

    def __init__(self, datastore: Any, postgres: bool) -> None:
        self.datastore = datastore
        self.postgres = postgres
        self.table = (
            f'"{datastore.schema}"."appraisal_projectors"'
            if postgres
            else "appraisal_projectors"
        )
        marks = ", ".join(("%s" if postgres else "?") for _ in STATUS_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in STATUS_COLUMNS[1:])
        self.upsert = (
            f"INSERT INTO {self.table} ({', '.join(STATUS_COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT (name) DO UPDATE SET {updates}"
        )
        self._written: dict[str, tuple[float, tuple[Any, ...]]] = {}

    def schema_objects_of(self) -> list[SchemaObject]:
        bigint = "BIGINT" if self.postgres else "INTEGER"
        return [
            statement_object(
                self.datastore,
                self.table,
                f"CREATE TABLE IF NOT EXISTS {self.table} (name TEXT PRIMARY KEY, "
                f"process TEXT NOT NULL, position {bigint} NOT NULL, "
                f"head {bigint} NOT NULL, seen_at TEXT NOT NULL, "
                f"stalled_at {bigint}, stalled_topic TEXT, error TEXT, "
                "stalled_since TEXT)",
            )
        ]

    def record(
        self, name: str, position: int, head: int, stall: StalledError | None = None
    ) -> None:
        """Write a heartbeat: at once when something changed, else every few
        seconds."""
        state = (position, head, stall.position if stall else None)
        last = self._written.get(name)
        now = time.monotonic()
        if last and last[1] == state and now - last[0] < HEARTBEAT_SECONDS:
            return
        since = None
        if stall is not None:
            previous = self.read().get(name)
            keep = previous and previous.stalled_at == stall.position
            since = previous.stalled_since if keep and previous else None
        moment = datetime.now(UTC)
        row = (
            name, this_process(), position, head, moment.isoformat(),
            stall.position if stall else None, stall.topic if stall else None,
            stall.error if stall else None,
            (since or moment).isoformat() if stall else None,
        )  # fmt: skip
        retrying(budget_of(self.datastore), self._write, row)
        self._written[name] = (now, state)

    def _write(self, row: tuple[Any, ...]) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self.upsert, row)

    def read(self) -> dict[str, ProjectorStatus]:
        return retrying(budget_of(self.datastore), self._read)

    def _read(self) -> dict[str, ProjectorStatus]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT {', '.join(STATUS_COLUMNS)} FROM {self.table}")
            return {row["name"]: status_of(row) for row in cursor.fetchall()}


def status_of(row: Any) -> ProjectorStatus:
    since = row["stalled_since"]
    return ProjectorStatus(
        name=row["name"],
        process=row["process"],
        position=row["position"],
        head=row["head"],
        seen_at=datetime.fromisoformat(row["seen_at"]),
        stalled_at=row["stalled_at"],
        stalled_topic=row["stalled_topic"],
        error=row["error"],
        stalled_since=datetime.fromisoformat(since) if since else None,
    )
