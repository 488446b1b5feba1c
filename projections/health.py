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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row

from domain.text import N_, Message
from projections.migrate import SideTable
from projections.persistence import (
    TRANSIENT,
    StoreUnavailableError,
    budget_of,
    retrying,
)
from projections.retry import first_line
from projections.scoreboard import projection_name

if TYPE_CHECKING:
    from projections.replica import ReplicaHealth
    from projections.runtime import Runtime

UNAVAILABLE = (*TRANSIENT, StoreUnavailableError)
# A projector not heard from for this long, with events waiting, is not running.
PROJECTOR_SILENCE = 15.0

HEARTBEAT_SECONDS = 2.0
STATUS_COLUMNS = (
    "name", "process", "position", "head", "seen_at",
    "stalled_at", "stalled_topic", "error", "stalled_since",
)  # fmt: skip


class ReadTimeoutError(Exception):
    """Raised when the read models do not reach a position within the timeout."""

    def __init__(self, wanted: int, reached: int, stall: str | None = None) -> None:
        # A template and its values, as a domain error has (the stall may be
        # a ``Message``): the web layer answers in the reader's language.
        self.template = N_("read models are at position {reached}, not yet {wanted}")
        self.params: dict[str, object] = {"reached": reached, "wanted": wanted}
        if stall:
            self.template = N_(
                "read models are at position {reached}, not yet {wanted}; {stall}"
            )
            self.params["stall"] = stall
        super().__init__(self.template.format(**self.params))
        self.wanted = wanted
        self.reached = reached


class StalledError(Exception):
    """Raised when an event cannot be folded into a read model; the read model
    stays at the position before it."""

    def __init__(self, position: int, topic: str, error: BaseException) -> None:
        self.error = f"{type(error).__name__}: {first_line(error)}"
        self.said = Message(
            N_("cannot fold the event at position {position} ({topic}): {error}"),
            position=position,
            topic=topic,
            error=self.error,
        )
        super().__init__(str(self.said))
        self.position = position
        self.topic = topic


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


class StatusStore(SideTable):
    """The status table in the events database."""

    NAME = "appraisal_projectors"

    def __init__(self, datastore: Any, postgres: bool) -> None:
        super().__init__(datastore, postgres)
        marks = ", ".join(self.mark for _ in STATUS_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in STATUS_COLUMNS[1:])
        self.upsert = (
            f"INSERT INTO {self.table} ({', '.join(STATUS_COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT (name) DO UPDATE SET {updates}"
        )
        self._written: dict[str, tuple[float, tuple[Any, ...]]] = {}

    def columns(self) -> str:
        bigint = "BIGINT" if self.postgres else "INTEGER"
        return (
            f"name TEXT PRIMARY KEY, process TEXT NOT NULL, "
            f"position {bigint} NOT NULL, head {bigint} NOT NULL, "
            f"seen_at TEXT NOT NULL, stalled_at {bigint}, stalled_topic TEXT, "
            "error TEXT, stalled_since TEXT"
        )

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


@dataclass(frozen=True)
class Health:
    backend: str
    reachable: bool
    error: str | None = None
    head: int = 0
    live: str = ""
    positions: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, ProjectorStatus] = field(default_factory=dict)
    inline: bool = True
    stall: StalledError | None = None
    replica: ReplicaHealth | None = None
    """The read replica's state, when readers use one (it never makes the
    service unavailable: reads fall back to the primary)."""

    @property
    def position(self) -> int:
        return self.positions.get(self.live, 0)

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)

    def problems(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """``(code, what is wrong)`` for every problem; none when all is well."""
        if not self.reachable:
            unreachable = N_("The event store is unreachable: {error}")
            return [("store_unreachable", Message(unreachable, error=self.error))]
        found = []
        status = self.statuses.get(self.live)
        if self.stall is not None:
            stalled = N_("The read side is stalled: {stall}.")
            found.append(("read_side_stalled", Message(stalled, stall=self.stall.said)))
        elif status is not None and status.stalled:
            stalled = N_(
                "The read side is stalled at position {position} ({topic}) "
                "since {since}: {error}."
            )
            found.append(
                (
                    "read_side_stalled",
                    Message(
                        stalled,
                        position=status.stalled_at,
                        topic=status.stalled_topic,
                        since=status.stalled_since,
                        error=status.error,
                    ),
                )
            )
        if not self.inline and self.lag > 0 and not found:
            age = status.age(now or datetime.now(UTC)) if status else None
            if age is None or age > PROJECTOR_SILENCE:
                behind = N_(
                    "The read models are {lag} events behind and the projector "
                    "({name}) was never seen: start 'appraisal project'."
                )
                params: dict[str, object] = {"lag": self.lag, "name": self.live}
                if age is not None:
                    behind = N_(
                        "The read models are {lag} events behind and the projector "
                        "({name}) was last seen {age} s ago: start "
                        "'appraisal project'."
                    )
                    params["age"] = f"{age:.0f}"
                found.append(("projector_not_running", Message(behind, **params)))
        return found


def probe(runtime: Runtime) -> Health:
    """Whether the store answers, how far each read model is behind, and
    whether the projector keeps up; never waits more than about a second
    for a store that does not answer."""
    try:
        if runtime.config.projects_inline:
            runtime.inline_catch_up(runtime.view)
        head, positions, statuses = _read(runtime)
    except (*UNAVAILABLE, psycopg.Error) as error:
        return Health(_backend(runtime), reachable=False, error=first_line(error))
    live = projection_name(runtime.last_live)
    replica = None
    if runtime.replica is not None:
        replica = runtime.replica.health(
            runtime.last_live, runtime.app.name, positions.get(live, 0)
        )
    return Health(
        _backend(runtime),
        reachable=True,
        head=head,
        live=live,
        positions=positions,
        statuses=statuses,
        inline=runtime.config.projects_inline,
        stall=runtime.stall,
        replica=replica,
    )


def _backend(runtime: Runtime) -> str:
    return "postgresql" if runtime.config.is_postgres else "sqlite"


def _read(runtime: Runtime) -> tuple[int, dict[str, int], dict[str, ProjectorStatus]]:
    names = {projection_name(g): view for g, view in runtime.views.items()}
    if not runtime.config.is_postgres:
        positions = {n: runtime.position_of(v) for n, v in names.items()}
        return runtime.head, positions, runtime.status.read()
    # A connection of its own, not the pool's: a quick and honest answer
    # even when the pool is exhausted or its connections are broken.
    recorder: Any = runtime.app.recorder
    schema = runtime.datastore.schema
    with psycopg.connect(
        runtime.config.database_url or "",
        connect_timeout=2,
        options="-c statement_timeout=1000",
        autocommit=True,
        row_factory=dict_row,
        application_name="appraisal-health",
    ) as conn:
        head = conn.execute(
            f'SELECT max(notification_id) AS n FROM "{schema}"."'
            f'{recorder.events_table_name}"'
        ).fetchone()
        positions = {}
        for name in names:
            row = conn.execute(
                f'SELECT notification_id AS n FROM "{schema}"."{name}_tracking" '
                "WHERE application_name = %s",
                (runtime.app.name,),
            ).fetchone()
            positions[name] = (row or {}).get("n") or 0
        rows = conn.execute(f"SELECT * FROM {runtime.status.table}").fetchall()
    return (
        (head or {}).get("n") or 0,
        positions,
        {r["name"]: status_of(r) for r in rows},
    )
