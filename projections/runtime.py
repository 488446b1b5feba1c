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

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    Notification,
    Tracking,
)
from eventsourcing.utils import Environment

from domain.application import AppraisalApp
from domain.batch_memory import batch_memory
from domain.month import MonthRange
from domain.register import ROOT_GENERATION
from domain.rulebook import FIRST_EDITION
from domain.text import N_, Message
from projections.audit import ChainStore
from projections.calendar import WorkingCalendar
from projections.config import StoreConfig
from projections.deliveries import DeliveryStore
from projections.fold import Changes, fold_event
from projections.health import (
    Health,
    ReadTimeoutError,
    StalledError,
    StatusStore,
    probe,
)
from projections.import_jobs import ImportJobStore
from projections.keys import KeyStore
from projections.migrate import (
    Migrations,
    SchemaObject,
    check_schema,
    statement_object,
)
from projections.notices import CHANGED, READ_MODELS, FileChanges, Notices
from projections.postgres import PostgresScoreboardView
from projections.projector import UNAVAILABLE, Projector
from projections.replica import Replica
from projections.scoreboard import ScoreboardView, projection_name
from projections.sessions import PageSessions
from projections.sign_in_codes import SignInCodes
from projections.sqlite import SQLiteScoreboardView
from projections.usage import TokenUse

logger = logging.getLogger(__name__)
BATCH_SIZE = 5000
# A reader on the embedded default folds a backlog this small itself (the
# commands just before it: read-your-writes); a longer one (an import's, a
# restart's) is folded by a thread of its own while readers answer.
READER_BACKLOG = 200
CLOSE_WAIT_SECONDS = 30.0


@contextmanager
def _held(lock: threading.Lock) -> Iterator[None]:
    """Release ``lock``, acquired before, on the way out."""
    try:
        yield
    finally:
        lock.release()


class ClosingError(RuntimeError):
    """The runtime is closing: a background catch-up stops between batches."""


class Runtime:
    """The application and its scoreboard views, opened once per process.

    Readers use the live generation of the read models; a rebuild builds
    another generation beside it (see ``projections.rebuild``).
    """

    first_edition: str | None = FIRST_EDITION
    """The shipped edition a fresh store starts on (None: songsong-2019 v1,
    as stores opened before it shipped)."""

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
        self.page_sessions = PageSessions(self.datastore, config.is_postgres)
        self.sign_in_codes = SignInCodes(self.datastore, config.is_postgres)
        self.import_jobs = ImportJobStore(self.datastore, config.is_postgres)
        self.deliveries = DeliveryStore(self.datastore, config.is_postgres)
        self.views: dict[int, ScoreboardView] = {}
        self._factories: list[InfrastructureFactory[Any]] = []
        self._locks: dict[int, threading.Lock] = {}
        self._opening = threading.Lock()
        self.last_live = ROOT_GENERATION
        self._next_housekeeping = 0.0
        self.stall: StalledError | None = None  # of the inline catch-up
        self.background: dict[Any, threading.Thread] = {}
        self.background_lock = threading.Lock()
        self.deferring = 0  # imports running whose scores wait for their end
        self.closing = threading.Event()
        self.replica = Replica(config) if config.reads_from_replica else None
        self.notices: Notices | FileChanges | None = None  # see follow_notices
        if config.is_postgres:
            check_schema(self.datastore)
        self.created: list[str] = self.migrations().ensure()
        if config.is_postgres:
            self.datastore.register_type_adapters()
        self.app.open_store(self.first_edition)  # a fresh store's rules
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
            *self.page_sessions.schema_objects_of(),
            *self.sign_in_codes.schema_objects_of(),
            *self.import_jobs.schema_objects_of(),
            *self.deliveries.schema_objects_of(),
        ]

    def migrations(self, views: Sequence[ScoreboardView] = ()) -> Migrations:
        """The store's own objects and those of ``views`` (default: every view
        this process has opened)."""

        def components() -> list[tuple[Any, Sequence[SchemaObject]]]:
            chosen = views or list(self.views.values())
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
        self.last_live = self.app.current_register().live
        return self.last_live

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
            if generation not in self.views:
                lineage = tuple(self.app.rules_register().lineage(generation))
                view = self.open_view(projection_name(generation), lineage)
                self.views[generation] = view
            return self.views[generation]

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
        view.upstream = self.app.name
        self.created += self.migrations([view]).ensure()
        self._watch(name)
        return view

    def _watch(self, name: str) -> None:
        """On SQLite, count commits to the view ``name``'s file as changes."""
        if isinstance(self.notices, FileChanges):
            self.notices.watch(READ_MODELS, self.sqlite_file(name))

    def sqlite_file(self, name: str) -> str:
        return str(self.config.data_dir / f"{name}.sqlite")

    def follow_notices(self) -> None:
        """Keep the token, the rules register and the read models' positions
        between requests, read again only when PostgreSQL's notifications (or,
        on SQLite, its files) say they may have changed
        (``projections.notices``): for serving processes."""
        if self.notices is not None:
            return
        notices: Notices | FileChanges
        if self.config.is_postgres:
            notices = Notices(
                self.config.database_url or "",
                (CHANGED, READ_MODELS),
                self.config.retry_budget,
            )
        else:
            notices = FileChanges(self.config.retry_budget)
            notices.watch(CHANGED, self.env["SQLITE_DBNAME"])
        self.notices = notices
        self.app.log_count = lambda: notices.count(CHANGED)
        with self._opening:  # the views opened since are watched as they open
            for generation in self.views:
                self._watch(projection_name(generation))

    def _moved(self) -> None:
        """This process folded or scored: the positions it kept are old."""
        if self.notices is not None:
            self.notices.forget()

    def position_of(self, view: ScoreboardView, fresh: bool = False) -> int:
        """The last position the view includes in full, its scores too: what a
        reader may rely on. Unless ``fresh``, the one read last while no
        notification since says the read models moved."""
        count = None
        if self.notices is not None and not fresh:
            count = self.notices.count(READ_MODELS)
            kept = view.kept_position
            if count is not None and kept is not None and kept[0] == count:
                return kept[1]
        settled = view.positions(self.app.name)[1]
        if count is not None:  # taken before the read: a move since reads again
            view.kept_position = (count, settled)
        return settled

    def folded_of(self, view: ScoreboardView) -> int:
        """The last position folded into the view (its scores may wait)."""
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
        replica = self.replica.views.items() if self.replica else ()
        return next(g for g, v in (*self.views.items(), *replica) if v is view)

    # Keeping up

    def catch_up(
        self,
        view: ScoreboardView | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int, int], None] | None = None,
        wait: bool = True,
        at_most: int | None = None,
        settle: bool = True,
    ) -> int:
        """Fold every event not yet in the view (the live one by default), in
        batches of one transaction each; return the position reached. An event
        that cannot be folded raises ``StalledError``, the view left just
        before it. Unless ``wait``, a catch-up another thread of this process
        is running (an import's, say) is left to it: the position the view
        has reached is answered at once. With ``at_most`` (a reader's), a
        backlog longer than that is left to a thread of its own
        (``catch_up_behind``), and any backlog to an import under way (in a
        thread or a process of its own: see ``deferring_scores``).
        Unless ``settle``, the agent-months folded are marked for scoring,
        not scored (an import's chunks: it settles once, after its last)."""
        view = view or self.view
        lock = self._lock_for(view)
        if not lock.acquire(blocking=wait):
            return self.position_of(view)
        with _held(lock):
            while True:
                # The batch's objects, the notifications read first too, die
                # together: collection paused from the read (domain.batch_memory).
                with batch_memory():
                    if self.closing.is_set():
                        raise ClosingError("the runtime is closing")
                    start, settled = view.positions(self.app.name)
                    if at_most is not None and self.deferring:
                        return settled  # an import folds its own chunks
                    notifications = self.app.recorder.select_notifications(
                        start,
                        limit=batch_size if at_most is None else at_most + 1,
                        inclusive_of_start=False,
                    )
                    if at_most is not None and len(notifications) > at_most:
                        self.catch_up_behind(view)
                        return settled
                    if not notifications:
                        if settled == start:
                            return start
                        # A long catch-up (or an import) left scores to do: its
                        # own, unless a reader's (a thread of its own does them)
                        # or an import's that has more to come.
                        if at_most is not None:
                            self.catch_up_behind(view)
                            return settled
                        if not settle:
                            return settled
                        try:
                            view.settle()
                        finally:
                            self._moved()
                        return start
                    # A full batch has more behind it: its scores wait for the last.
                    defer = not settle or len(notifications) == batch_size
                    try:
                        self._apply(view, notifications, defer, follows=start)
                    except UNAVAILABLE:
                        raise
                    except Exception:
                        if self.folded_of(view) == start:
                            # Not another process ahead of us: find the event.
                            self._apply_singly(view, notifications)
                    finally:
                        self._moved()
                if progress:
                    progress(notifications[-1].id, self.head)

    def _apply(
        self,
        view: ScoreboardView,
        notifications: Sequence[Notification],
        defer: bool = False,
        follows: int | None = None,
    ) -> None:
        changes = Changes(follows=follows)
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            fold_event(event, notification.id, changes)
        tracking = Tracking(self.app.name, notifications[-1].id)
        view.apply(changes, tracking, notifications[0].id if defer else None)

    def _apply_singly(
        self, view: ScoreboardView, notifications: Sequence[Notification]
    ) -> None:
        """Fold a batch one event a transaction, to stop just before the one
        that fails."""
        for notification in notifications:
            if self.folded_of(view) >= notification.id:
                continue
            try:
                self._apply(view, [notification])
            except UNAVAILABLE:
                raise
            except IntegrityError as error:
                if self.folded_of(view) < notification.id:
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

    def after_command(self, settle: bool = True) -> None:
        """Read-your-writes on the embedded default. The command is recorded
        (and linked into the hash chain) whatever happens here. An import's
        chunks fold without ``settle``: see ``deferring_scores``."""
        if self.config.projects_inline:
            self.inline_catch_up(self.view, settle=settle)

    @contextmanager
    def deferring_scores(self) -> Iterator[None]:
        """While an import runs, its chunks' agent-months are scored once at
        its end, not after every chunk (each score reads its month's whole
        ledger), and readers leave them to it."""
        with self.background_lock:
            self.deferring += 1
        try:
            yield
        finally:
            with self.background_lock:
                self.deferring -= 1

    def inline_catch_up(
        self,
        view: ScoreboardView,
        wait: bool = True,
        at_most: int | None = None,
        settle: bool = True,
    ) -> int:
        """Catch up in this process; a stall is reported, not raised: readers
        keep the read models as they stand."""
        name = projection_name(self.generation_of(view))
        try:
            reached = self.catch_up(view, wait=wait, at_most=at_most, settle=settle)
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

    def read(self, position: int | None, timeout: float) -> tuple[ScoreboardView, int]:
        """The live view once it includes ``position``, and where it is: a
        reader reads that view, so what it reads matches the position it reports."""
        # A client waiting for its write is never answered from kept positions.
        fresh = position is not None
        view, reached = self.reader(self.config.projects_inline, fresh)
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
            view, reached = self.reader(fresh=True)
        return view, reached

    def reader(
        self, catch_up: bool = False, fresh: bool = False
    ) -> tuple[ScoreboardView, int]:
        """The live view readers read and the last position it includes: the
        read replica's when there is one and it answers (the primary folds
        and migrates; see ``projections.replica``), else the primary's,
        caught up first in this process when ``catch_up``."""
        view = self.view
        if self.replica is not None:
            found = self.replica.reader(self.last_live, view, self.app.name)
            if found is not None:
                return found
        if catch_up:  # never behind another thread's catch-up: see Runtime.read
            return view, self._caught_up(view, fresh)
        return view, self.position_of(view, fresh)

    def _caught_up(self, view: ScoreboardView, fresh: bool) -> int:
        """A reader's catch-up in this process; unless ``fresh``, what the last
        one reached while neither the log nor the read models changed since,
        where the counts of changes move with every insert (SQLite's files:
        ``projections.notices.FileChanges``; PostgreSQL notifies no creation)."""
        counts = None
        if self.notices is not None and self.notices.every_insert and not fresh:
            counts = (self.notices.count(CHANGED), self.notices.count(READ_MODELS))
            kept = view.kept_caught_up
            if kept is not None and kept[0] == counts and None not in counts:
                return kept[1]
        reached = self.inline_catch_up(view, wait=False, at_most=READER_BACKLOG)
        if counts is not None and None not in counts:  # taken before: a change since
            view.kept_caught_up = (counts, reached)  # catches up again
        return reached

    def catch_up_behind(self, view: ScoreboardView) -> None:
        """Fold ``view``'s backlog in a thread of this process (one at a time),
        which ends when the view holds the log; closing the runtime stops it
        between batches."""
        key = ("catch-up", self.generation_of(view))

        def fold() -> None:
            try:  # scoring waits for an import's end, if one started since
                self.inline_catch_up(view, settle=not self.deferring)
            except ClosingError:
                pass
            except Exception:  # a thread has no caller: readers try again
                logger.exception("catching up %s failed", key)
            finally:
                with self.background_lock:
                    self.background.pop(key, None)

        with self.background_lock:
            if key in self.background or self.closing.is_set():
                return
            thread = threading.Thread(target=fold, name="catch-up", daemon=True)
            self.background[key] = thread
            thread.start()

    def stall_of(self, view: ScoreboardView) -> str | None:
        """The stall the view's projector reports, if any, in words."""
        if self.stall is not None:
            return self.stall.said
        found = self.status.read().get(projection_name(self.generation_of(view)))
        if found and found.stalled:
            return Message(
                N_(
                    "the read side is stalled at position {position} ({topic}): {error}"
                ),
                position=found.stalled_at,
                topic=found.stalled_topic,
                error=found.error,
            )
        return None

    # The projector and health

    def run_projector(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Keep the live read models up to date until ``stop`` is set (see
        ``projections.projector``)."""
        Projector(self).run(stop, poll)

    def health(self) -> Health:
        """See ``projections.health.probe``."""
        return probe(self)

    # Generations

    def drop_view(self, generation: int) -> None:
        """Remove a generation's tables (after the register recorded the drop)."""
        view = self.view_for(generation)
        view.drop()
        with self._opening:
            del self.views[generation]

    def close(self) -> None:
        """Stop background work between its batches, wait for it, then close
        the connections it would otherwise still be using."""
        self.closing.set()
        with self.background_lock:
            threads = list(self.background.values())
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.notices is not None:
            self.notices.close()
        self.app.close()
        if self.replica is not None:
            self.replica.close()
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
