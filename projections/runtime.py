"""Wiring: the application, its scoreboard view, and how the view keeps up.

SQLite (the embedded default) cannot push new events, so the view is brought
up to date by pulling the notification log: after every command (read-your-
writes) and before every read. On PostgreSQL the projector runs in its own
process (``appraisal project``): a batched catch-up, then eventsourcing's
``ProjectionRunner`` pushed by LISTEN/NOTIFY; readers wait for a position.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import psycopg
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    OperationalError,
    Tracking,
)
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment
from psycopg.conninfo import conninfo_to_dict

from domain.application import AppraisalApp
from domain.register import ROOT_GENERATION
from projections.audit import ChainStore
from projections.calendar import WorkingCalendar
from projections.postgres import PostgresScoreboardView
from projections.scoreboard import (
    Changes,
    ScoreboardView,
    fold_event,
    projection_for,
    projection_name,
)
from projections.sqlite import SQLiteScoreboardView

BATCH_SIZE = 5000
_SCHEMA_LOCK_KEY = 0x61707072  # any constant shared by every process of this service


class ReadTimeoutError(Exception):
    """Raised when the read models do not reach a position within the timeout."""

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(f"read models are at position {reached}, not yet {wanted}")
        self.wanted = wanted
        self.reached = reached


@dataclass(frozen=True)
class StoreConfig:
    """Where events and read models live. No database URL means SQLite files."""

    database_url: str | None = None
    data_dir: Path = Path("data")
    postgres_schema: str = ""
    inline_projection: bool | None = None

    @property
    def is_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def projects_inline(self) -> bool:
        """SQLite folds events in the web process; PostgreSQL leaves it to a worker."""
        if self.inline_projection is None:
            return not self.is_postgres
        return self.inline_projection

    def environment(self) -> dict[str, str]:
        """The eventsourcing settings for the application and its views."""
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.data_dir / "events.sqlite"),
                "SCOREBOARD_SQLITE_DBNAME": str(self.data_dir / "scoreboard.sqlite"),
            }
        params = conninfo_to_dict(self.database_url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
            "POSTGRES_HOST": str(params.get("host", "localhost")),
            "POSTGRES_PORT": str(params.get("port", "5432")),
            "POSTGRES_USER": str(params.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(params.get("password", "")),
            "POSTGRES_SCHEMA": self.postgres_schema,
        }

    @property
    def view_class(self) -> type[ScoreboardView]:
        return PostgresScoreboardView if self.is_postgres else SQLiteScoreboardView


@contextmanager
def _schema_lock(config: StoreConfig) -> Iterator[None]:
    """Serialise table creation: processes starting together (the API and the
    projector) would otherwise race on PostgreSQL's catalogue."""
    if not config.database_url:
        yield
        return
    with psycopg.connect(config.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK_KEY,))


class Runtime:
    """The application and its scoreboard views, opened once per process.

    Readers use the live generation of the read models; a rebuild builds
    another generation beside it (see ``projections.rebuild``).
    """

    def __init__(
        self, config: StoreConfig, *, today: Callable[[], date] | None = None
    ) -> None:
        self.config = config
        self.env = config.environment()
        with _schema_lock(config):
            self.app = AppraisalApp(
                self.env, today=today, working_day=WorkingCalendar().is_working_day
            )
            self.chain = ChainStore(self.app.recorder, config.is_postgres)
            self.chain.install()
        self._views: dict[int, ScoreboardView] = {}
        self._factories: list[InfrastructureFactory[Any]] = []
        self._locks: dict[int, threading.Lock] = {}
        self._opening = threading.Lock()
        self.background: dict[Any, threading.Thread] = {}
        self.background_lock = threading.Lock()
        self.view_for(ROOT_GENERATION)

    # Views

    @property
    def live_generation(self) -> int:
        return self.app.rules_register().live

    @property
    def view(self) -> ScoreboardView:
        """The live generation's view: what readers see."""
        return self.view_for(self.live_generation)

    def generation_at(self, position: int) -> int:
        """The generation readers used right after the event at ``position``."""
        topic = "domain.register:RulesRegister.Switched"
        switches = self.app.recorder.select_notifications(
            None, limit=1_000_000, stop=position, topics=[topic]
        )
        if not switches:
            return ROOT_GENERATION
        switched: Any = self.app.mapper.to_domain_event(switches[-1])
        return int(switched.generation)

    def view_as_of(self, position: int) -> ScoreboardView:
        """The view readers used at ``position``: read it ``as_of`` that position."""
        return self.view_for(self.generation_at(position))

    def view_for(self, generation: int) -> ScoreboardView:
        """Open (and create, if needed) the view of a generation."""
        with self._opening:
            if generation not in self._views:
                self._views[generation] = self._open(generation)
                self._locks[generation] = threading.Lock()
            return self._views[generation]

    def _open(self, generation: int) -> ScoreboardView:
        lineage = tuple(self.app.rules_register().lineage(generation))
        name = projection_name(generation)
        env = {**self.env, f"{name.upper()}_SQLITE_DBNAME": self.sqlite_file(name)}
        with _schema_lock(self.config):
            factory = InfrastructureFactory.construct(Environment(name, env))
            view = cast(
                ScoreboardView, factory.tracking_recorder(self.config.view_class)
            )
        view.lineage = lineage
        self._factories.append(factory)
        return view

    def sqlite_file(self, name: str) -> str:
        return str(self.config.data_dir / f"{name}.sqlite")

    def position_of(self, view: ScoreboardView) -> int:
        return view.max_tracking_id(self.app.name) or 0

    @property
    def position(self) -> int:
        """The last notification the live read models include."""
        return self.position_of(self.view)

    # Keeping up

    def catch_up(
        self,
        view: ScoreboardView | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Fold every event not yet in the view (the live one by default), in
        batches of one transaction each; return the position reached."""
        view = view or self.view
        generation = next(g for g, v in self._views.items() if v is view)
        with self._locks[generation]:
            while True:
                start = self.position_of(view)
                notifications = self.app.recorder.select_notifications(
                    start, limit=batch_size, inclusive_of_start=False
                )
                if not notifications:
                    return start
                changes = Changes()
                for notification in notifications:
                    event = self.app.mapper.to_domain_event(notification)
                    fold_event(event, notification.id, changes)
                tracking = Tracking(self.app.name, notifications[-1].id)
                try:
                    view.apply(changes, tracking)
                except (IntegrityError, OperationalError):
                    # Another process applied these positions first; re-read.
                    if self.position_of(view) == start:
                        raise
                if progress:
                    progress(notifications[-1].id, self.head)

    @property
    def head(self) -> int:
        """The last notification in the event log."""
        return self.app.recorder.max_notification_id() or 0

    def after_command(self) -> None:
        """Read-your-writes on the embedded default; link new events into the
        audit chain."""
        if self.config.projects_inline:
            self.catch_up()
            self.chain.extend()

    def wait_for(self, position: int | None, timeout: float) -> int:
        """Block until the live read models include ``position``; return where
        they are."""
        return self.read(position, timeout)[1]

    def read(self, position: int | None, timeout: float) -> tuple[ScoreboardView, int]:
        """The live view once it includes ``position``, and where it is: a
        reader reads that view, so what it reads matches the position it reports."""
        view = self.view
        inline = self.config.projects_inline
        reached = self.catch_up(view) if inline else self.position_of(view)
        deadline = time.monotonic() + timeout
        pause = 0.005
        while position is not None and reached < position:
            if time.monotonic() >= deadline:
                raise ReadTimeoutError(position, reached)
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
            view = self.view
            reached = self.position_of(view)
        return view, reached

    def run_projector(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Keep the live read models up to date until ``stop`` is set, following
        the live generation when readers are switched to another one."""
        while not stop.is_set():
            generation = self.live_generation
            self.catch_up(self.view_for(generation))
            self.chain.extend()
            if not self.config.is_postgres:
                stop.wait(poll)
                continue
            self._run_pushed(generation, stop, poll)

    def _run_pushed(self, generation: int, stop: threading.Event, poll: float) -> None:
        """ProjectionRunner, pushed by LISTEN/NOTIFY, until stopped or switched."""
        lineage = tuple(self.app.rules_register().lineage(generation))
        with ProjectionRunner(
            application_class=AppraisalApp,
            projection_class=projection_for(lineage),
            view_class=PostgresScoreboardView,
            env={**self.env, "CREATE_TABLE": "no"},  # view_for() made them
        ) as runner:
            while not stop.is_set() and self.live_generation == generation:
                runner.run_forever(timeout=poll)
                self.chain.extend()
                if runner.is_interrupted.is_set():
                    break

    def drop_view(self, generation: int) -> None:
        """Remove a generation's tables (after the register recorded the drop)."""
        view = self.view_for(generation)
        view.drop()
        with self._opening:
            del self._views[generation]

    def close(self) -> None:
        self.app.close()
        for factory in self._factories:
            factory.close()
