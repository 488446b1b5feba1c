"""Wiring: the application, its scoreboard views, and how the views keep up.

SQLite (the embedded default) cannot push new events, so the view is brought
up to date by pulling the notification log: after every command (read-your-
writes) and before every read. On PostgreSQL the projector runs in its own
process (``appraisal project``): it catches up in batches whenever
LISTEN/NOTIFY (or a short poll) says there is something new, and readers wait
for a position.

The projector survives what a deployment throws at it: a transient store error
(a lost connection, a restart, a deadlock) is retried with backoff; an event
it cannot fold stalls it at that position, reported in its log and in
``/health``, and it tries again by itself until the cause is fixed.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    Notification,
    Tracking,
)
from eventsourcing.utils import Environment
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from domain.application import AppraisalApp
from domain.month import MonthRange
from domain.register import ROOT_GENERATION
from projections.audit import ChainStore
from projections.calendar import WorkingCalendar
from projections.fold import Changes, fold_event
from projections.health import ProjectorStatus, StalledError, StatusStore, status_of
from projections.keys import KeyStore
from projections.migrate import (
    Migrations,
    SchemaObject,
    check_schema,
    statement_object,
)
from projections.persistence import TRANSIENT, StoreUnavailableError
from projections.postgres import PostgresScoreboardView
from projections.scoreboard import ScoreboardView, projection_name
from projections.sqlite import SQLiteScoreboardView
from projections.usage import TokenUse

logger = logging.getLogger(__name__)
BATCH_SIZE = 5000
UNAVAILABLE = (*TRANSIENT, StoreUnavailableError)
# A projector not heard from for this long, with events waiting, is not running.
PROJECTOR_SILENCE = 15.0


class ReadTimeoutError(Exception):
    """Raised when the read models do not reach a position within the timeout."""

    def __init__(self, wanted: int, reached: int, stall: str | None = None) -> None:
        why = f"; {stall}" if stall else ""
        super().__init__(
            f"read models are at position {reached}, not yet {wanted}{why}"
        )
        self.wanted = wanted
        self.reached = reached


@dataclass(frozen=True)
class StoreConfig:
    """Where events and read models live (no database URL means SQLite files),
    and how this process connects: its pool size, how long it retries a store
    that does not answer, how long a statement may run."""

    database_url: str | None = None
    data_dir: Path = Path("data")
    postgres_schema: str = ""
    inline_projection: bool | None = None
    pool_size: int = 4
    retry_budget: float = 2.0
    statement_timeout: float = 30.0

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
        common = {"CREATE_TABLE": "no", "RETRY_BUDGET": str(self.retry_budget)}
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return common | {
                "PERSISTENCE_MODULE": "projections.persistence:SQLiteStore",
                "SQLITE_DBNAME": str(self.data_dir / "events.sqlite"),
            }
        params = conninfo_to_dict(self.database_url)
        return common | {
            "PERSISTENCE_MODULE": "projections.persistence:PostgresStore",
            "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
            "POSTGRES_HOST": str(params.get("host", "localhost")),
            "POSTGRES_PORT": str(params.get("port", "5432")),
            "POSTGRES_USER": str(params.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(params.get("password", "")),
            "POSTGRES_SCHEMA": self.postgres_schema,
            # One connection kept open, up to pool_size under load; a request
            # waits for one no longer than it retries.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": str(max(self.pool_size - 1, 0)),
            "POSTGRES_CONNECT_TIMEOUT": str(max(1, math.ceil(self.retry_budget))),
            "STATEMENT_TIMEOUT": str(self.statement_timeout),
        }


@dataclass
class Backoff:
    """Growing pauses between attempts: ``first`` doubling up to ``most``."""

    first: float
    most: float
    _next: float = field(default=0.0, init=False)

    def pause(self) -> float:
        self._next = min(self._next * 2, self.most) if self._next else self.first
        return self._next

    def reset(self) -> None:
        self._next = 0.0


class Runtime:
    """The application and its scoreboard views, opened once per process.

    Readers use the live generation of the read models; a rebuild builds
    another generation beside it (see ``projections.rebuild``).
    """

    def __init__(
        self,
        config: StoreConfig,
        *,
        today: Callable[[], date] | None = None,
        months: MonthRange | None = None,
    ) -> None:
        self.config = config
        self.env = config.environment()
        self.app = AppraisalApp(
            self.env,
            today=today,
            working_day=WorkingCalendar().is_working_day,
            months=months,
        )
        self.datastore: Any = self.app.factory.datastore  # type: ignore[attr-defined]
        self.chain = ChainStore(self.app.recorder, config.is_postgres)
        self.status = StatusStore(self.datastore, config.is_postgres)
        self.keys = KeyStore(self.app.recorder, config.is_postgres)
        self.usage = TokenUse(self.datastore, config.is_postgres)
        self._views: dict[int, ScoreboardView] = {}
        self._factories: list[InfrastructureFactory[Any]] = []
        self._locks: dict[int, threading.Lock] = {}
        self._opening = threading.Lock()
        self._live = ROOT_GENERATION
        self._next_housekeeping = 0.0
        self.stall: StalledError | None = None  # of the inline catch-up
        self.background: dict[Any, threading.Thread] = {}
        self.background_lock = threading.Lock()
        if config.is_postgres:
            check_schema(self.datastore)
        self.created: list[str] = self.migrations().ensure()
        if config.is_postgres:
            self.datastore.register_type_adapters()
        self.view_for(ROOT_GENERATION)

    # Schema

    def _store_objects(self) -> list[SchemaObject]:
        recorder: Any = self.app.recorder
        events = (
            f'"{self.datastore.schema}"."{recorder.events_table_name}"'
            if self.config.is_postgres
            else recorder.events_table_name
        )
        return [
            SchemaObject(
                events, lambda present: events in present, recorder.create_table
            ),
            *self.chain.schema_objects_of(),
            *self.status.schema_objects_of(),
            *self.keys.schema_objects_of(),
            *self.usage.schema_objects_of(),
        ]

    def migrations(self, views: Sequence[ScoreboardView] = ()) -> Migrations:
        """The store's own objects and those of ``views`` (default: every view
        this process has opened)."""

        def components() -> list[tuple[Any, Sequence[SchemaObject]]]:
            chosen = views or list(self._views.values())
            return [(self.datastore, self._store_objects())] + [
                (view.datastore, view_objects(view)) for view in chosen
            ]

        return Migrations(
            components,
            self.config.is_postgres,
            self.config.database_url,
            self.config.retry_budget,
        )

    # Views

    @property
    def live_generation(self) -> int:
        self._live = self.app.rules_register().live
        return self._live

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
                lineage = tuple(self.app.rules_register().lineage(generation))
                view = self.open_view(projection_name(generation), lineage)
                self._views[generation] = view
            return self._views[generation]

    def open_view(self, name: str, lineage: Sequence[int]) -> ScoreboardView:
        """A scoreboard view under projection ``name`` honouring ``lineage``,
        its tables created if missing."""
        view: ScoreboardView
        if self.config.is_postgres:  # the same database: share the pool
            view = PostgresScoreboardView(
                self.datastore, tracking_table_name=f"{name}_tracking"
            )
        else:
            env = {**self.env, "SQLITE_DBNAME": self.sqlite_file(name)}
            factory = InfrastructureFactory.construct(Environment(name, env))
            view = factory.tracking_recorder(SQLiteScoreboardView)  # type: ignore[assignment]
            self._factories.append(factory)
        view.lineage = tuple(lineage)
        self.created += self.migrations([view]).ensure()
        return view

    def sqlite_file(self, name: str) -> str:
        return str(self.config.data_dir / f"{name}.sqlite")

    def position_of(self, view: ScoreboardView) -> int:
        return view.max_tracking_id(self.app.name) or 0

    @property
    def position(self) -> int:
        """The last notification the live read models include."""
        return self.position_of(self.view)

    def _lock_for(self, view: ScoreboardView) -> threading.Lock:
        """One catch-up at a time per view in this process."""
        with self._opening:
            return self._locks.setdefault(id(view), threading.Lock())

    def generation_of(self, view: ScoreboardView) -> int:
        return next(g for g, v in self._views.items() if v is view)

    # Keeping up

    def catch_up(
        self,
        view: ScoreboardView | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Fold every event not yet in the view (the live one by default), in
        batches of one transaction each; return the position reached. An event
        that cannot be folded raises ``StalledError``, the view left just
        before it."""
        view = view or self.view
        with self._lock_for(view):
            while True:
                start = self.position_of(view)
                notifications = self.app.recorder.select_notifications(
                    start, limit=batch_size, inclusive_of_start=False
                )
                if not notifications:
                    return start
                try:
                    self._apply(view, notifications)
                except UNAVAILABLE:
                    raise
                except Exception:
                    if self.position_of(view) == start:
                        # Not another process ahead of us: find the event.
                        self._apply_singly(view, notifications)
                if progress:
                    progress(notifications[-1].id, self.head)

    def _apply(
        self, view: ScoreboardView, notifications: Sequence[Notification]
    ) -> None:
        changes = Changes()
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            fold_event(event, notification.id, changes)
        view.apply(changes, Tracking(self.app.name, notifications[-1].id))

    def _apply_singly(
        self, view: ScoreboardView, notifications: Sequence[Notification]
    ) -> None:
        """Fold a batch one event a transaction, to stop just before the one
        that fails."""
        for notification in notifications:
            if self.position_of(view) >= notification.id:
                continue
            try:
                self._apply(view, [notification])
            except UNAVAILABLE:
                raise
            except IntegrityError as error:
                if self.position_of(view) < notification.id:
                    raise StalledError(
                        notification.id, notification.topic, error
                    ) from error
            except Exception as error:
                raise StalledError(
                    notification.id, notification.topic, error
                ) from error

    @property
    def head(self) -> int:
        """The last notification in the event log."""
        return self.app.recorder.max_notification_id() or 0

    def after_command(self) -> None:
        """Read-your-writes on the embedded default. The command is recorded
        (and linked into the hash chain) whatever happens here."""
        if self.config.projects_inline:
            self._inline_catch_up(self.view)

    def _inline_catch_up(self, view: ScoreboardView) -> int:
        """Catch up in this process; a stall is reported, not raised: readers
        keep the read models as they stand."""
        name = projection_name(self.generation_of(view))
        try:
            reached = self.catch_up(view)
        except StalledError as stall:
            reached = self.position_of(view)
            if self.stall is None or self.stall.position != stall.position:
                logger.error("read side stalled: %s", stall)
            self.stall = stall
            self.status.record(name, reached, self.head, stall)
            return reached
        if self.stall is not None:
            logger.warning("read side resumed at position %s", reached)
            self.stall = None
            self.status.record(name, reached, self.head)
        return reached

    def wait_for(self, position: int | None, timeout: float) -> int:
        """Block until the live read models include ``position``; return where
        they are."""
        return self.read(position, timeout)[1]

    def read(self, position: int | None, timeout: float) -> tuple[ScoreboardView, int]:
        """The live view once it includes ``position``, and where it is: a
        reader reads that view, so what it reads matches the position it reports."""
        view = self.view
        inline = self.config.projects_inline
        reached = self._inline_catch_up(view) if inline else self.position_of(view)
        if position is not None and reached < position:
            stall = self.stall_of(view)
            if stall is not None:  # it will not get there by waiting
                raise ReadTimeoutError(position, reached, stall)
        deadline = time.monotonic() + timeout
        pause = 0.005
        while position is not None and reached < position:
            if time.monotonic() >= deadline:
                raise ReadTimeoutError(position, reached, self.stall_of(view))
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
            view = self.view
            reached = self.position_of(view)
        return view, reached

    def stall_of(self, view: ScoreboardView) -> str | None:
        """The stall the view's projector reports, if any, in words."""
        if self.stall is not None:
            return str(self.stall)
        found = self.status.read().get(projection_name(self.generation_of(view)))
        if found and found.stalled:
            return (
                f"the read side is stalled at position {found.stalled_at} "
                f"({found.stalled_topic}): {found.error}"
            )
        return None

    # The projector

    def run_projector(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Keep the live read models up to date until ``stop`` is set, following
        the live generation when readers are switched to another one. Nothing
        ends this but ``stop``: store errors are retried with backoff, and an
        event that cannot be folded is retried until it can be."""
        waiter = _Waiter(self)
        transient = Backoff(0.1, 2.0)
        stalled = Backoff(1.0, 30.0)
        reported: tuple[int, str] | None = None
        try:
            while not stop.is_set():
                try:
                    waiter.listen()
                    view = self.view
                    name = projection_name(self.generation_of(view))
                    reached = self.catch_up(view)
                    self._housekeeping()
                    if reported:
                        logger.warning("%s resumed at position %s", name, reached)
                        reported = None
                    self.status.record(name, reached, self.head)
                    transient.reset()
                    stalled.reset()
                    waiter.wait(stop, poll)
                except StalledError as stall:
                    if reported != (stall.position, stall.error):
                        logger.error("%s stalled: %s", name, stall)
                        reported = (stall.position, stall.error)
                    self._record_quietly(name, stall)
                    stop.wait(stalled.pause())
                except UNAVAILABLE as error:
                    pause = transient.pause()
                    logger.warning(
                        "store unavailable (%s); retrying in %.1f s",
                        str(error).strip().splitlines()[0] if str(error) else error,
                        pause,
                    )
                    waiter.close()
                    stop.wait(pause)
                except Exception:
                    pause = stalled.pause()
                    logger.exception("projector error; retrying in %.1f s", pause)
                    waiter.close()
                    stop.wait(pause)
        finally:
            waiter.close()

    def _housekeeping(self) -> None:
        """Now and then: link events stored before inserts linked them, forget
        old idempotency keys."""
        now = time.monotonic()
        if now < self._next_housekeeping:
            return
        self.chain.extend()
        self.keys.prune()
        self._next_housekeeping = now + 3600

    def _record_quietly(self, name: str, stall: StalledError) -> None:
        with contextlib.suppress(*UNAVAILABLE):
            self.status.record(name, stall.position - 1, self.head, stall)

    # Health

    def health(self) -> Health:
        """Whether the store answers, how far each read model is behind, and
        whether the projector keeps up; never waits more than about a second
        for a store that does not answer."""
        try:
            if self.config.projects_inline:
                self._inline_catch_up(self.view)
            head, positions, statuses = self._probe()
        except (*UNAVAILABLE, psycopg.Error) as error:
            text = (str(error).strip() or type(error).__name__).splitlines()[0]
            return Health(self._backend, reachable=False, error=text)
        live = projection_name(self._live)
        return Health(
            self._backend,
            reachable=True,
            head=head,
            live=live,
            positions=positions,
            statuses=statuses,
            inline=self.config.projects_inline,
            stall=self.stall,
        )

    @property
    def _backend(self) -> str:
        return "postgresql" if self.config.is_postgres else "sqlite"

    def _probe(self) -> tuple[int, dict[str, int], dict[str, ProjectorStatus]]:
        names = {projection_name(g): view for g, view in self._views.items()}
        if not self.config.is_postgres:
            positions = {n: self.position_of(v) for n, v in names.items()}
            return self.head, positions, self.status.read()
        # A connection of its own, not the pool's: a quick and honest answer
        # even when the pool is exhausted or its connections are broken.
        recorder: Any = self.app.recorder
        schema = self.datastore.schema
        with psycopg.connect(
            self.config.database_url or "",
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
                    (self.app.name,),
                ).fetchone()
                positions[name] = (row or {}).get("n") or 0
            rows = conn.execute(f"SELECT * FROM {self.status.table}").fetchall()
        return (
            (head or {}).get("n") or 0,
            positions,
            {r["name"]: status_of(r) for r in rows},
        )

    # Generations

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


def view_objects(view: ScoreboardView) -> list[SchemaObject]:
    """A view's tracking table (made by eventsourcing) and its own tables."""
    tracking: Any = view
    objects = [
        SchemaObject(
            tracking.tracking_object,
            lambda present: tracking.tracking_object in present,
            tracking.create_table,
        )
    ]
    return objects + [
        statement_object(view.datastore, physical, statement)  # type: ignore[attr-defined]
        for _, physical, statement in tracking.schema_objects
    ]


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

    @property
    def position(self) -> int:
        return self.positions.get(self.live, 0)

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)

    def problems(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """``(code, what is wrong)`` for every problem; none when all is well."""
        if not self.reachable:
            return [
                ("store_unreachable", f"The event store is unreachable: {self.error}")
            ]
        found = []
        status = self.statuses.get(self.live)
        if self.stall is not None:
            found.append(
                ("read_side_stalled", f"The read side is stalled: {self.stall}.")
            )
        elif status is not None and status.stalled:
            found.append(
                (
                    "read_side_stalled",
                    f"The read side is stalled at position {status.stalled_at} "
                    f"({status.stalled_topic}) since {status.stalled_since}: "
                    f"{status.error}.",
                )
            )
        if not self.inline and self.lag > 0 and not found:
            age = status.age(now or datetime.now(UTC)) if status else None
            if age is None or age > PROJECTOR_SILENCE:
                seen = f"last seen {age:.0f} s ago" if age is not None else "never seen"
                found.append(
                    (
                        "projector_not_running",
                        f"The read models are {self.lag} events behind and the "
                        f"projector ({self.live}) was {seen}: start "
                        "'appraisal project'.",
                    )
                )
        return found


class _Waiter:
    """Wakes the projector when events are inserted: LISTEN/NOTIFY on a
    connection of its own (PostgreSQL), else a short sleep."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.conn: psycopg.Connection[Any] | None = None

    def listen(self) -> None:
        if not self.runtime.config.is_postgres or self.conn is not None:
            return
        recorder: Any = self.runtime.app.recorder
        try:
            conn = psycopg.connect(
                self.runtime.config.database_url or "",
                autocommit=True,
                connect_timeout=max(2, math.ceil(self.runtime.config.retry_budget)),
                application_name="appraisal-projector-listen",
            )
            conn.execute(f'LISTEN "{recorder.channel_name}"')
        except psycopg.Error as error:
            raise StoreUnavailableError(str(error).strip()) from None
        self.conn = conn

    def wait(self, stop: threading.Event, poll: float) -> None:
        if self.conn is None:
            stop.wait(poll)
            return
        try:
            for _ in self.conn.notifies(timeout=poll, stop_after=1):
                pass
        except psycopg.Error:
            self.close()
            raise StoreUnavailableError("lost the LISTEN connection") from None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
