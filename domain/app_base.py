"""What every command of ``AppraisalApp`` stands on: saving with the command's
guards and idempotency key, reading an aggregate once per batch, the months
accepted, and who may administer."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from copy import deepcopy
from datetime import date
from threading import Lock
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Recording,
    Transcoding,
)
from eventsourcing.utils import get_topic

from domain import idempotency
from domain.access import Principal
from domain.built import built
from domain.clock import company_today
from domain.errors import InvalidFactError, NotPermittedError
from domain.guards import guard, guards, may_trust_kept, note_saved, note_trusted
from domain.handover import Handover
from domain.lean_store import LeanEventStore
from domain.month import Month, MonthRange
from domain.text import N_

# Aggregates read by the batch command under way in this thread (see reads_once).
_BATCH_READS: ContextVar[dict[UUID, Any] | None] = ContextVar(
    "batch_reads", default=None
)
ABSENT_KEPT = 10_000  # aggregates remembered as missing, at most
# Kept aggregates confirmed current in the request under way (see current).
_CONFIRMED: ContextVar[set[UUID] | None] = ContextVar("confirmed", default=None)


class _Collected(ProcessingEvent[UUID]):
    """The library's unit of saving, collecting an aggregate's events by its
    class: the library asks two runtime-checkable protocols per object, about
    90 µs each, more than the rest of a deduction's save."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif isinstance(obj, DomainEvent):
                self.events.append(obj)
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


def creation(
    aggregate_class: type[Aggregate],
    event_class: type[Aggregate.Created],
    aggregate_id: UUID | None = None,
    **fields: Any,
) -> Aggregate.Created:
    """The event that ``aggregate_class(**fields, id=aggregate_id)`` records,
    without the aggregate: its ``@event`` ``__init__`` only keeps what the
    event holds, so a batch that creates many saves just their events (the
    library builds each aggregate, about 14 µs, to collect its event)."""
    return built(
        event_class,
        {
            "originator_id": aggregate_class.create_id()
            if aggregate_id is None
            else aggregate_id,
            "originator_version": aggregate_class.INITIAL_VERSION,
            "timestamp": event_class.create_timestamp(),
            "originator_topic": get_topic(aggregate_class),
            **fields,
        },
    )


def _projected(events: Iterable[Any]) -> Any:
    """An aggregate from its events (the library's ``project_aggregate``
    without its per-event protocol check)."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class DateAsISO(Transcoding):
    """Stores business dates (``occurred_on``, ``joined_on``) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class AppraisalBase(Application[UUID]):
    """The store and the checks the commands of every concern share."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        today: Callable[[], date] | None = None,
        working_day: Callable[[date], bool] | None = None,
        months: MonthRange | None = None,
    ) -> None:
        super().__init__(env)
        self.today = today or company_today()
        self.months = months or MonthRange()
        # The public calendar (holidays, make-up working days); the company's
        # own closed days are added from its calendar aggregate.
        self.public_working_day = working_day or (lambda day: day.weekday() < 5)
        self._kept: dict[UUID, Any] = {}
        self._keeping = Lock()
        self._kept_at: dict[UUID, Hashable] = {}  # the count each was read at
        self._absent_at: dict[UUID, Hashable] = {}  # those found missing
        self._writes = 0  # writes of this process to a kept aggregate
        self._handover = Handover()

    def construct_event_store(self) -> EventStore[UUID]:
        return LeanEventStore(mapper=self.mapper, recorder=self.recorder)

    # Read-mostly aggregates every request reads (its token, the rules
    # register): kept between requests, each read asks the store only for the
    # events after the kept versions, of all of them in one query, and a
    # request asks at most once. What ``current`` answers is shared between
    # threads: read it, never change it (a command reads with ``_read``).

    @contextmanager
    def one_request(self) -> Iterator[None]:
        """A request: each kept aggregate is brought up to date at most once."""
        token = _CONFIRMED.set(set())
        try:
            yield
        finally:
            _CONFIRMED.reset(token)

    log_count: Callable[[], Hashable | None] | None = None
    """How many changes to aggregates that already existed the store has
    announced, if this process can tell without reading it
    (``projections.notices``): None when it cannot. What ``current`` kept at
    the same count (and with no write of this process to it since) is current
    still, and is answered without a read; a batch command's shared reads use
    it too, guarded (see ``_read_together``)."""

    def current(self, *aggregate_ids: UUID) -> dict[UUID, Any]:
        """The aggregates among ``aggregate_ids`` that exist, as the store holds
        them now (or as this request first found them), read-only. Asking for
        one brings ``ALWAYS_CURRENT`` up to date in the same query."""
        count = self._count()
        asked = (*aggregate_ids, *self.ALWAYS_CURRENT)
        if self._vouched_for(asked, count):
            return {i: self._kept[i] for i in aggregate_ids}
        confirmed = _CONFIRMED.get()
        wanted = [
            i for i in dict.fromkeys(asked) if confirmed is None or i not in confirmed
        ]
        self._bring_up_to_date(wanted)
        if confirmed is not None:
            confirmed.update(wanted)
        if count is not None:  # taken before the read: a change since reads again
            self._read_at(asked, count)
        return {i: self._kept[i] for i in aggregate_ids if i in self._kept}

    def _count(self) -> Hashable | None:
        """Where the changes to existing aggregates stand (``log_count``) and
        this process's writes to kept ones; None when the process cannot tell."""
        told = self.log_count() if self.log_count is not None else None
        return None if told is None else (told, self._writes)

    def _vouched_for(
        self, asked: Iterable[UUID], count: Hashable | None, guarded: bool = False
    ) -> bool:
        """Whether every copy ``asked`` for is kept at ``count``: current still.
        For a guarded command, an aggregate found missing at ``count`` counts
        too: its creation notifies nothing, but the insert checks it is still
        missing."""
        if count is None:
            return False
        absent = self._absent_at if guarded else {}
        return all(
            self._kept_at.get(i) == count or absent.get(i) == count for i in asked
        )

    def _bring_up_to_date(self, wanted: Sequence[UUID]) -> None:
        """Bring the kept copies of ``wanted`` up to date, in one query."""
        select = getattr(self.recorder, "select_events_after", None)
        if wanted and select is None:
            for aggregate_id in wanted:
                with suppress(AggregateNotFoundError):
                    self._kept[aggregate_id] = self.repository.get(aggregate_id)
        elif wanted:
            # The copies this thread found: another thread may keep newer ones
            # meanwhile, which the events read after these must not be
            # applied to again.
            found = {i: self._kept.get(i) for i in wanted}
            after = [(i, a.version if a is not None else 0) for i, a in found.items()]
            for aggregate_id, stored in select(after).items():
                if stored:
                    aggregate = deepcopy(found[aggregate_id])
                    for event in stored:
                        aggregate = self.mapper.to_domain_event(event).mutate(aggregate)
                    self._keep(aggregate_id, aggregate)

    def _keep(self, aggregate_id: UUID, aggregate: Any) -> None:
        """Keep ``aggregate`` unless a newer copy is kept already."""
        with self._keeping:
            kept = self._kept.get(aggregate_id)
            if kept is None or kept.version < aggregate.version:
                self._kept[aggregate_id] = aggregate

    ALWAYS_CURRENT: tuple[UUID, ...] = ()

    def save(self, *objs: Any, hand_over: bool = False, **kwargs: Any) -> Any:
        """Save, with the guards of the command under way (see ``guarded``) and
        its idempotency key: a command already recorded under the key answers
        what it recorded then, and records nothing. With ``hand_over``, the
        caller is done with the aggregates: once saved, they wait for the next
        batch that reads them (see ``read_many``)."""
        expected = guards()
        if expected:
            kwargs.setdefault("expect", expected)
        key = idempotency.current()
        if key is not None and key.replay is not None:
            recordings = self.recordings_at(key.replay)
        else:
            if key is not None:
                kwargs["key"] = key
            try:
                recordings = self._save(*objs, **kwargs)
            except IntegrityError as error:
                if key is None:
                    raise
                recordings = self._recorded_under(key, error)
            else:
                if hand_over:
                    saved = (o for o in objs if isinstance(o, Aggregate))
                    self._handover.give(saved)
        note_saved()
        if key is not None:
            idempotency.spend()
        return recordings

    def _save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """``Application.save`` (record, snapshot, notify) with ``_Collected``."""
        processing_event = _Collected()
        processing_event.collect_events(*objs, **kwargs)
        try:
            recordings = self._record(processing_event)
        except BaseException:  # the store may hold more than the kept copies
            self._writes += 1
            raise
        if any(r.domain_event.originator_id in self._kept for r in recordings):
            self._writes += 1  # a kept aggregate is older than the store now
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _recorded_under(
        self, key: idempotency.Key, error: IntegrityError
    ) -> list[Recording[UUID]]:
        """The recordings of a command that committed under ``key`` meanwhile
        (a concurrent duplicate); ``error`` if there is none."""
        recorder = cast(idempotency.KeyedRecorder, self.recorder)
        found = recorder.find_key(key.principal, key.key)
        if found is None:
            raise error
        fingerprint, positions = found
        if fingerprint != key.fingerprint:
            raise idempotency.IdempotencyKeyReusedError(key.key)
        return self.recordings_at(positions)

    def recordings_at(self, positions: Sequence[int]) -> list[Recording[UUID]]:
        """The recordings (event and notification) stored at ``positions``."""
        wanted = set(positions)
        notifications = self.recorder.select_notifications(
            min(wanted), limit=max(wanted) - min(wanted) + 1, stop=max(wanted)
        )
        found = {n.id: n for n in notifications if n.id in wanted}
        return [
            Recording(self.mapper.to_domain_event(found[p]), found[p])
            for p in positions
        ]

    def check_range(self, value: Month | date, field: str) -> None:
        """Refuse a month or date outside the months this service accepts."""
        problem = self.months.problem(value)
        if problem:
            raise InvalidFactError(problem, field=field)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @contextmanager
    def reads_once(
        self, together: Iterable[UUID] = (), *, shared: bool = False
    ) -> Iterator[None]:
        """Within one batch command, read each agent and period only once; the
        aggregates ``together`` names (a batch's agents) in one query. With
        ``shared``, the command only reads them: they come from the kept
        copies, brought up to date (see ``_read_together``)."""
        if _BATCH_READS.get() is not None:
            self._read_together(together, shared=shared)
            yield
            return
        token = _BATCH_READS.set({})
        try:
            self._read_together(together, shared=shared)
            yield
        finally:
            _BATCH_READS.reset(token)

    def _read_together(
        self, aggregate_ids: Iterable[UUID], *, shared: bool = False
    ) -> None:
        """Read the aggregates not read yet in this batch, in one query. With
        ``shared``, from the kept copies (shared between threads: read them,
        never change them), asking the store only for the events after the
        kept versions: a batch of the same agents as the one before reads
        nothing but that answer."""
        memo = _BATCH_READS.get()
        if memo is not None:
            wanted = [i for i in dict.fromkeys(aggregate_ids) if i not in memo]
            if wanted and shared:
                count = self._count()
                vouched = may_trust_kept() and self._vouched_for(wanted, count, True)
                if not vouched:
                    self._bring_up_to_date(wanted)
                    if count is not None:  # taken before the read
                        self._read_at(wanted, count)
                copies = {i: self._kept.get(i) for i in wanted}
                if vouched:
                    # No notification says they changed, but one may be on
                    # its way: the insert checks they did not, and a refusal
                    # is decided again on the store's (see guarded).
                    note_trusted()
                    for aggregate_id, copy in copies.items():
                        guard(aggregate_id, None if copy is None else copy.version)
                memo.update(copies)
            elif wanted:
                found = self.read_many(wanted)
                memo.update({i: found.get(i) for i in wanted})

    def _read_at(self, wanted: Iterable[UUID], count: Hashable) -> None:
        """Note that ``wanted`` were read (found or missing) at ``count``."""
        if len(self._absent_at) > ABSENT_KEPT:  # unknown ids a client sent
            self._absent_at.clear()
        for aggregate_id in wanted:
            if aggregate_id in self._kept:
                self._kept_at[aggregate_id] = count
            else:
                self._absent_at[aggregate_id] = count

    def read_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Any]:
        """The aggregates that exist among ``aggregate_ids``, the caller's own
        to change: one query where the store can (``select_events_of``, see
        ``projections.persistence``), else one read each. Those a batch handed
        over are taken and brought up to date with the events after them."""
        read_events = getattr(self.recorder, "select_events_of", None)
        if read_events is None or len(aggregate_ids) < 2:
            found = {}
            for aggregate_id in aggregate_ids:
                with suppress(AggregateNotFoundError):
                    found[aggregate_id] = self.repository.get(aggregate_id)
            return found
        taken = self._handover.take(aggregate_ids)
        unread = [i for i in aggregate_ids if i not in taken]
        stored = read_events(unread) if unread else {}
        found = {
            aggregate_id: _projected(self.mapper.to_domain_event(e) for e in events)
            for aggregate_id, events in stored.items()
            if events
        }
        if taken:
            after = [(i, a.version) for i, a in taken.items()]
            for aggregate_id, events in self.recorder.select_events_after(
                after
            ).items():  # type: ignore[attr-defined]
                aggregate = taken[aggregate_id]
                for event in events:
                    aggregate = self.mapper.to_domain_event(event).mutate(aggregate)
                found[aggregate_id] = aggregate
        return found

    def _read(self, aggregate_id: UUID) -> Any:
        """An aggregate, from this batch's reads if one is under way."""
        found = self._find(aggregate_id)
        if found is None:
            raise AggregateNotFoundError(aggregate_id)
        return found

    def _find(self, aggregate_id: UUID) -> Any:
        """``_read``, answering None for an aggregate that does not exist (a
        batch asks about the same missing period for each of its facts)."""
        memo = _BATCH_READS.get()
        if memo is None:
            with suppress(AggregateNotFoundError):
                return self.repository.get(aggregate_id)
            return None
        if aggregate_id not in memo:
            try:
                memo[aggregate_id] = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                memo[aggregate_id] = None
        return memo[aggregate_id]

    @staticmethod
    def _require_admin(principal: Principal, what: str) -> None:
        if not principal.may_administer:
            raise NotPermittedError(N_("only an admin may {what}"), what=what)
