"""Reads from a PostgreSQL streaming replica (``DATABASE_READ_URL``).

The replica is a hot standby of the primary: PostgreSQL replays the primary's
write-ahead log, read models and their tracking rows included, each
transaction whole. So a view on the replica is a view as the primary had it a
moment ago, and its tracking position says exactly which events it includes:
a reader waits on it for ``Min-Position`` as it would on the primary.

Nothing is written here. The replica's views refuse to fold, settle, drop or
create tables, and its connections open read-only transactions; schema
changes are made on the primary and replicate. The pool is a second, small
one: one connection kept open, more under load.

A replica that does not answer is not an outage: for a while readers fall
back to the primary's views (which include everything the replica would
have), and ``/health`` says so.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import Environment
from psycopg.rows import dict_row

from projections.config import StoreConfig
from projections.persistence import PostgresStore, StoreUnavailableError
from projections.postgres import PostgresScoreboardView
from projections.retry import first_line
from projections.scoreboard import ScoreboardView, projection_name

logger = logging.getLogger(__name__)
# After the replica fails a read, readers use the primary for this long.
FAILOVER_SECONDS = 5.0
# A replica whose replay is further behind than this is reported degraded.
LAG_LIMIT_SECONDS = 30.0
FAILING = (PersistenceError, StoreUnavailableError)
REPLAY = """
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused()
            ELSE false END AS paused,
       CASE WHEN NOT pg_is_in_recovery()
                 OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
       END::float8 AS lag_seconds
"""


class ReadOnlyReplicaError(RuntimeError):
    """Raised when something tries to write to the read replica."""


class ReplicaScoreboardView(PostgresScoreboardView):
    """A scoreboard view on the replica: it reads, and refuses every write."""

    def _refuse(self, *_: Any, **__: Any) -> None:
        raise ReadOnlyReplicaError(
            "the read replica is read-only: fold, settle and migrate on the primary"
        )

    apply = _refuse  # type: ignore[assignment]
    settle = _refuse
    drop = _refuse
    create_table = _refuse
    insert_tracking = _refuse


@dataclass(frozen=True)
class ReplicaHealth:
    """What ``/health`` says about the replica."""

    reachable: bool
    error: str | None = None
    in_recovery: bool = False
    paused: bool = False
    position: int = 0
    """The live read models' position on the replica."""
    lag: int = 0
    """Positions it is behind the primary's live read models."""
    lag_seconds: float | None = None
    """How long ago the replica replayed the last transaction it has been
    sent (0 when it has replayed all it has received)."""
    failing_over: bool = False
    """Whether readers use the primary for now, the replica having failed."""

    @property
    def status(self) -> str:
        if not self.reachable:
            return "unreachable"
        return "degraded" if self.problem else "ok"

    @property
    def reads_from(self) -> str:
        """Where this process's reads go now."""
        failed = not self.reachable or self.failing_over
        return "primary" if failed else "replica"

    @property
    def problem(self) -> str | None:
        """Why the replica is not serving reads as it should, in words."""
        if not self.reachable:
            return (
                f"The read replica is unreachable ({self.error}): reads go to "
                "the primary."
            )
        if self.error:
            return f"The read replica cannot be read ({self.error})."
        if self.paused:
            return (
                "The read replica's WAL replay is paused: reads asking for a "
                "later Min-Position wait and time out."
            )
        if self.lag_seconds is not None and self.lag_seconds > LAG_LIMIT_SECONDS:
            return f"The read replica is {self.lag_seconds:.0f} s behind the primary."
        if self.failing_over:
            return "The read replica failed a read just now: reads go to the primary."
        return None


class Replica:
    """The read models on a streaming replica: a view per generation over a
    small pool of its own, and a fallback to the primary while it fails."""

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        env = config.replica_environment()
        self.factory = PostgresStore(Environment("Appraisal", env))
        self.datastore: Any = self.factory.datastore
        pool_kwargs = self.datastore.pool.kwargs
        # Belt and braces: even a replica that is not in recovery is not written.
        pool_kwargs["options"] += " -c default_transaction_read_only=on"
        self.views: dict[int, ScoreboardView] = {}
        self._lock = threading.Lock()
        self._failed_until = 0.0

    def view_for(self, generation: int, lineage: tuple[int, ...]) -> ScoreboardView:
        """The replica's view of ``generation`` (no tables are created: they
        replicate from the primary)."""
        with self._lock:
            if generation not in self.views:
                name = projection_name(generation)
                view = ReplicaScoreboardView(
                    self.datastore, tracking_table_name=f"{name}_tracking"
                )
                view.lineage = lineage
                self.views[generation] = view
            return self.views[generation]

    @property
    def failing_over(self) -> bool:
        return time.monotonic() < self._failed_until

    def reader(
        self, generation: int, primary: ScoreboardView, upstream: str
    ) -> tuple[ScoreboardView, int] | None:
        """The replica's view of ``generation`` and the last position it
        includes in full; ``None`` while the replica fails (read the primary)."""
        if self.failing_over:
            return None
        view = self.view_for(generation, tuple(primary.lineage))
        view.upstream = upstream
        try:
            return view, view.positions(upstream)[1]
        except FAILING as error:
            self._failed_until = time.monotonic() + FAILOVER_SECONDS
            logger.warning(
                "the read replica failed (%s): reading from the primary for %.0f s",
                first_line(error),
                FAILOVER_SECONDS,
            )
            return None

    def health(self, generation: int, upstream: str, primary: int) -> ReplicaHealth:
        """Whether the replica answers, whether it replays, and how far its
        live read models are behind the primary's (at ``primary``); with a
        connection of its own, within about a second."""
        name = projection_name(generation)
        try:
            with psycopg.connect(
                self.config.read_url or "",
                connect_timeout=2,
                options="-c statement_timeout=1000",
                autocommit=True,
                row_factory=dict_row,
                application_name="appraisal-health",
            ) as conn:
                replay = conn.execute(REPLAY).fetchone() or {}
                try:
                    row = conn.execute(
                        f'SELECT notification_id AS n FROM "{self.datastore.schema}".'
                        f'"{name}_tracking" WHERE application_name = %s',
                        (upstream,),
                    ).fetchone()
                except psycopg.Error as error:  # e.g. its tables not there
                    return self._replayed(replay, error=first_line(error))
        except psycopg.Error as error:
            return ReplicaHealth(
                reachable=False,
                error=first_line(error),
                failing_over=self.failing_over,
            )
        position = int((row or {}).get("n") or 0)
        return self._replayed(replay, position, max(primary - position, 0))

    def _replayed(
        self,
        replay: dict[str, Any],
        position: int = 0,
        lag: int = 0,
        error: str | None = None,
    ) -> ReplicaHealth:
        seconds = replay.get("lag_seconds")
        return ReplicaHealth(
            reachable=True,
            error=error,
            in_recovery=bool(replay.get("in_recovery")),
            paused=bool(replay.get("paused")),
            position=position,
            lag=lag,
            lag_seconds=None if seconds is None else round(float(seconds), 3),
            failing_over=self.failing_over,
        )

    def close(self) -> None:
        self.factory.close()
