"""The command side: one Application whose methods are get -> act -> save."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Protocol, cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Recording,
    Transcoding,
)

from domain import idempotency
from domain.access import Principal, Role
from domain.agent import Agent
from domain.commands import (
    NewAgent,
    NewDeduction,
    NewDispute,
    Published,
    RebuildRequested,
    Recorded,
    Resolution,
)
from domain.deduction import Deduction
from domain.errors import (
    AgentAlreadyRegisteredError,
    AgentNotFoundError,
    ConflictError,
    DeductionNotFoundError,
    InvalidFactError,
    NotPermittedError,
    RebuildNotFoundError,
)
from domain.guards import guard, guarded, guards
from domain.month import Month, MonthRange
from domain.periods import CompanyCalendar, Period, Status, review_window
from domain.plans import ImprovementPlan
from domain.rebuild import Rebuild
from domain.recording import FactRecording
from domain.register import Catalog, RulesRegister
from domain.rulebook import Occurrence, Rulebook
from domain.tokens import TokenCommands

DEFAULT_TIMEZONE = "Asia/Shanghai"
# Aggregates read by the batch command under way in this thread (see reads_once).
_BATCH_READS: ContextVar[dict[UUID, Any] | None] = ContextVar(
    "batch_reads", default=None
)


class DateAsISO(Transcoding):
    """Stores business dates (``occurred_on``, ``joined_on``) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ChainedRecorder(Protocol):
    def chain_head(self) -> tuple[int, str]:
        """The hash chain's last link: its position and hash."""


def company_today(timezone: str = DEFAULT_TIMEZONE) -> Callable[[], date]:
    """Today's business date in the company's time zone."""
    zone = ZoneInfo(timezone)
    return lambda: datetime.now(zone).date()


class AppraisalApp(FactRecording, TokenCommands, Application[UUID]):
    """Records agents, deductions and access tokens as immutable events."""

    name = "Appraisal"
    # The register and the roster are read by nearly every command; cached
    # aggregates are fast-forwarded from the store on each get, never stale.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "1000"}

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

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save, with the guards of the command under way (see ``guarded``) and
        its idempotency key: a command already recorded under the key answers
        what it recorded then, and records nothing."""
        expected = guards()
        if expected:
            kwargs.setdefault("expect", expected)
        key = idempotency.current()
        if key is None:
            return super().save(*objs, **kwargs)
        if key.replay is not None:
            recordings = self.recordings_at(key.replay)
        else:
            try:
                recordings = super().save(*objs, key=key, **kwargs)
            except IntegrityError as error:
                recordings = self._recorded_under(key, error)
        idempotency.spend()
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

    # Rules

    def rules_register(self) -> RulesRegister:
        try:
            register: RulesRegister = self.repository.get(RulesRegister.ID)
        except AggregateNotFoundError:
            register = RulesRegister()
        return register

    def catalog(self) -> Catalog:
        """The rulebook versions the live read models honour."""
        return self.rules_register().catalog()

    def rulebook_for(self, month: Month) -> Rulebook:
        """The rulebook in force for ``month``."""
        return self.catalog().for_month(month)

    def publish_rulebook(
        self, principal: Principal, rulebook: Rulebook, effective_from: Month
    ) -> Published:
        """Publish a version from this month on; past months need a rebuild."""
        self._require_admin(principal, "publish rulebooks")
        self.check_range(effective_from, "effective_from")
        current = Month.of(self.today())
        if effective_from < current:
            raise InvalidFactError(
                f"{effective_from} is before the current month {current}; a version "
                "that reaches into the past is published through a rebuild "
                "(POST /rebuilds, or appraisal rebuild)",
                field="effective_from",
            )
        register = self.rules_register()
        version = register.publish(
            rulebook, effective_from, principal.user, register.live
        )
        (*_, recording) = self.save(register)
        return Published(
            rulebook.id,
            version,
            effective_from,
            register.live,
            recording.notification.id,
        )

    def request_rebuild(
        self, principal: Principal, rulebook: Rulebook, effective_from: Month
    ) -> RebuildRequested:
        """Publish a version (past months allowed) into a new generation of the
        read models; the live generation keeps serving until it is complete."""
        self._require_admin(principal, "rebuild read models")
        self.check_range(effective_from, "effective_from")
        register = self.rules_register()
        rebuild_id = uuid4()
        generation = register.start_generation(rebuild_id)
        version = register.publish(rulebook, effective_from, principal.user, generation)
        rebuild = Rebuild(
            id=rebuild_id,
            generation=generation,
            parent=register.parents[generation] or generation,
            rulebook_id=rulebook.id,
            version=version,
            effective_from=str(effective_from),
            requested_by=principal.user,
        )
        (*_, recording) = self.save(register, rebuild)
        published = Published(
            rulebook.id, version, effective_from, generation, recording.notification.id
        )
        return RebuildRequested(rebuild_id, generation, published)

    def get_rebuild(self, rebuild_id: UUID) -> Rebuild:
        try:
            rebuild: Rebuild = self.repository.get(rebuild_id)
        except AggregateNotFoundError:
            raise RebuildNotFoundError(
                f"no rebuild {rebuild_id}", field="rebuild_id"
            ) from None
        if not isinstance(rebuild, Rebuild):
            raise RebuildNotFoundError(f"no rebuild {rebuild_id}", field="rebuild_id")
        return rebuild

    def complete_rebuild(
        self, rebuild_id: UUID, position: int, digest: str, summary: dict[str, Any]
    ) -> int:
        """Record the result and switch readers to the new generation, atomically."""
        rebuild = self.get_rebuild(rebuild_id)
        rebuild.complete(position, digest, summary)
        register = self.rules_register()
        register.finish_generation(rebuild.generation)
        register.switch(rebuild.generation, "system", f"rebuild {rebuild_id} completed")
        (*_, recording) = self.save(rebuild, register)
        return recording.notification.id

    def abandon_rebuild(
        self, principal: Principal, rebuild_id: UUID, reason: str
    ) -> int:
        self._require_admin(principal, "abandon rebuilds")
        rebuild = self.get_rebuild(rebuild_id)
        rebuild.abandon(principal.user, reason)
        register = self.rules_register()
        register.finish_generation(rebuild.generation)
        (*_, recording) = self.save(rebuild, register)
        return recording.notification.id

    def switch_generation(
        self, principal: Principal, generation: int, reason: str
    ) -> int:
        """Point readers at another generation of the read models."""
        self._require_admin(principal, "switch read models")
        register = self.rules_register()
        register.switch(generation, principal.user, reason)
        (*_, recording) = self.save(register)
        return recording.notification.id

    def drop_generation(self, principal: Principal, generation: int) -> int:
        self._require_admin(principal, "drop read models")
        register = self.rules_register()
        register.drop(generation, principal.user)
        (*_, recording) = self.save(register)
        return recording.notification.id

    @staticmethod
    def _require_admin(principal: Principal, what: str) -> None:
        if not principal.may_administer:
            raise NotPermittedError(f"only an admin may {what}")

    # Roster

    def register_agent(self, principal: Principal, new: NewAgent) -> Recorded:
        (recorded,) = self.register_agents(principal, [new])
        return recorded

    def register_agents(
        self, principal: Principal, batch: Sequence[NewAgent]
    ) -> list[Recorded]:
        """Register many agents in one transaction: all of them or none."""
        if not principal.may_register_agents:
            raise NotPermittedError("only an admin may register agents")
        for new in batch:
            if new.joined_on is not None:
                self.check_range(new.joined_on, "joined_on")
        agents = [
            Agent(
                agent_id=new.agent_id,
                name=new.name,
                team=new.team,
                supervisor=new.supervisor,
                joined_on=new.joined_on,
                registered_by=principal.user,
            )
            for new in batch
        ]
        try:
            recordings = self.save(*agents)
        except IntegrityError:
            ids = ", ".join(repr(new.agent_id) for new in batch)
            raise AgentAlreadyRegisteredError(
                f"agent id already registered: {ids}", field="agent_id"
            ) from None
        return [
            Recorded.of(r, a.agent_id) for r, a in zip(recordings, agents, strict=True)
        ]

    @contextmanager
    def reads_once(self) -> Iterator[None]:
        """Within one batch command, read each agent and period only once."""
        if _BATCH_READS.get() is not None:
            yield
            return
        token = _BATCH_READS.set({})
        try:
            yield
        finally:
            _BATCH_READS.reset(token)

    def _read(self, aggregate_id: UUID) -> Any:
        """An aggregate, from this batch's reads if one is under way."""
        memo = _BATCH_READS.get()
        if memo is None:
            return self.repository.get(aggregate_id)
        if aggregate_id not in memo:
            try:
                memo[aggregate_id] = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                memo[aggregate_id] = None
        if memo[aggregate_id] is None:
            raise AggregateNotFoundError(aggregate_id)
        return memo[aggregate_id]

    def get_agent(self, agent_id: str) -> Agent:
        try:
            agent: Agent = self._read(Agent.create_id(agent_id))
        except AggregateNotFoundError:
            raise AgentNotFoundError(
                f"no agent is registered as {agent_id!r}", field="agent_id"
            ) from None
        return agent

    # Facts

    def record_deduction(self, principal: Principal, new: NewDeduction) -> Recorded:
        (recorded,) = self.record_deductions(principal, [new])
        return recorded

    @guarded
    def record_deductions(
        self, principal: Principal, batch: Sequence[NewDeduction]
    ) -> list[Recorded]:
        """Record many deductions in one transaction: all of them or none."""
        with self.reads_once():
            return self._record_deductions(principal, batch)

    def _record_deductions(
        self, principal: Principal, batch: Sequence[NewDeduction]
    ) -> list[Recorded]:
        agents: dict[str, Agent] = {}
        deductions = []
        catalog = self.catalog()
        for new in batch:
            if new.agent_id not in agents:
                agents[new.agent_id] = self.get_agent(new.agent_id)
            rulebook = catalog.for_month(Month.of(new.occurred_on))
            self._check_deduction(principal, agents[new.agent_id], rulebook, new)
            extra: dict[str, Any] = {"id": new.deduction_id} if new.deduction_id else {}
            deductions.append(
                Deduction(
                    agent_id=new.agent_id,
                    item=new.item,
                    occurred_on=new.occurred_on,
                    quantity=new.quantity,
                    note=new.note,
                    evidence_ref=new.evidence_ref,
                    severity=new.severity,
                    recorded_by=principal.user,
                    **extra,
                )
            )
        try:
            recordings = self.save(*deductions)
        except IntegrityError:
            raise ConflictError(
                "a deduction with this id is already recorded", field="deduction_id"
            ) from None
        return [Recorded.of(r) for r in recordings]

    def check_fact(
        self,
        principal: Principal,
        agent: Agent,
        on: date,
        *,
        self_service: bool = False,
    ) -> None:
        """Who may record a fact about ``agent`` dated ``on``, and when it may fall:
        not in the future, not outside the agent's time with the company, not in
        a month whose period is closed or published."""
        self.check_range(on, "occurred_on")
        own = self_service and principal.user == agent.agent_id
        if not (own or principal.may_record_for(agent.team)):
            raise NotPermittedError(
                f"{principal.user} may not record facts for team {agent.team!r}"
            )
        if on > self.today():
            raise InvalidFactError(f"{on} is in the future", field="occurred_on")
        if agent.joined_on and on < agent.joined_on:
            raise InvalidFactError(
                f"{on} is before {agent.agent_id} joined on {agent.joined_on}",
                field="occurred_on",
            )
        if agent.left_on and on > agent.left_on:
            raise InvalidFactError(
                f"{on} is after {agent.agent_id} left on {agent.left_on}",
                field="occurred_on",
            )
        self.period(Month.of(on)).refuse_facts()

    # Periods

    def period(self, month: Month) -> Period:
        """The month's period (open, if nothing was done to it yet)."""
        self.check_range(month, "month")
        period_id = Period.create_id(str(month))
        try:
            found: Period = self._read(period_id)
        except AggregateNotFoundError:
            guard(period_id, None)
            return Period(month=str(month))
        guard(period_id, found.version)
        return found

    def close_period(self, principal: Principal, month: Month) -> int:
        self._require_admin(principal, "close periods")
        period = self.period(month)
        period.close(principal.user, self.today())
        (*_, recording) = self.save(period)
        return recording.notification.id

    def publish_period(self, principal: Principal, month: Month) -> int:
        """Issue the monthly report: rankings, rewards and duties follow from it."""
        self._require_admin(principal, "publish periods")
        period = self.period(month)
        recorder = cast(ChainedRecorder, self.recorder)
        position, digest = recorder.chain_head()
        head = {"position": position, "hash": digest}
        period.publish(principal.user, self.today(), head)
        (recording,) = self.save(period)
        return recording.notification.id

    def reopen_period(self, principal: Principal, month: Month, reason: str) -> int:
        self._require_admin(principal, "reopen periods")
        if not reason.strip():
            raise InvalidFactError("say why the period is reopened", field="reason")
        period = self.period(month)
        period.reopen(principal.user, reason)
        (recording,) = self.save(period)
        return recording.notification.id

    def is_working_day(self, day: date) -> bool:
        try:
            calendar: CompanyCalendar = self._read(CompanyCalendar.ID)
        except AggregateNotFoundError:
            return self.public_working_day(day)
        return day.isoformat() not in calendar.closed and self.public_working_day(day)

    # Disputes

    def get_deduction(self, deduction_id: UUID) -> Deduction:
        try:
            found = self.repository.get(deduction_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Deduction):
            raise DeductionNotFoundError(
                f"no deduction {deduction_id}", field="deduction_id"
            )
        return found

    @guarded
    def dispute_deduction(self, principal: Principal, new: NewDispute) -> Recorded:
        """The supervisor of the agent's team (or an admin) disputes a deduction,
        by the end of the review window of its month (or the rulebook's days)."""
        deduction = self.get_deduction(new.deduction_id)
        agent = self.get_agent(deduction.agent_id)
        if principal.role is Role.AGENT or not principal.may_record_for(agent.team):
            raise NotPermittedError(
                f"only the supervisor of team {agent.team!r} may dispute this deduction"
            )
        month = Month.of(deduction.occurred_on)
        deadline = self.dispute_deadline(month)
        if self.today() > deadline:
            raise InvalidFactError(
                f"deductions of {month} could be disputed until {deadline}",
                field="deduction_id",
            )
        self.period(month).refuse_facts()
        deduction.dispute(
            principal.user,
            new.reason,
            new.evidence,
            new.proposed_quantity,
            new.proposed_points,
            new.reviewer,
        )
        (recording,) = self.save(deduction)
        return Recorded.of(recording)

    def dispute_deadline(self, month: Month) -> date:
        days = self.rulebook_for(month).dispute_days
        if days is not None:
            return month.last_day + timedelta(days=days)
        return review_window(month, self.is_working_day)[1]

    @guarded
    def resolve_dispute(self, principal: Principal, resolution: Resolution) -> Recorded:
        """An admin, or the reviewer the dispute named, resolves it; never the
        disputer. Overturning or adjusting changes the month's scores."""
        deduction = self.get_deduction(resolution.deduction_id)
        open_dispute = deduction.open_dispute
        named = open_dispute["reviewer"] if open_dispute else None
        allowed = principal.role is Role.ADMIN or (
            principal.may_resolve_disputes and named in (None, principal.user)
        )
        if not allowed:
            raise NotPermittedError(f"{principal.user} may not resolve this dispute")
        if resolution.outcome != "upheld":
            self.period(Month.of(deduction.occurred_on)).refuse_facts()
        deduction.resolve(
            principal.user,
            resolution.outcome,
            resolution.note,
            resolution.quantity,
            resolution.points,
        )
        (recording,) = self.save(deduction)
        return Recorded.of(recording)

    def close_day(self, principal: Principal, day: date, reason: str) -> int | None:
        """Add a company closed day (not a working day for review windows)."""
        self._require_admin(principal, "change the company calendar")
        self.check_range(day, "day")
        try:
            calendar: CompanyCalendar = self.repository.get(CompanyCalendar.ID)
        except AggregateNotFoundError:
            calendar = CompanyCalendar()
        if not calendar.close_day(day, reason, principal.user):
            return None
        (*_, recording) = self.save(calendar)
        return recording.notification.id

    def record_leaving(
        self, principal: Principal, agent_id: str, left_on: date
    ) -> Recorded:
        self._require_admin(principal, "record that an agent left")
        self.check_range(left_on, "left_on")
        agent = self.get_agent(agent_id)
        agent.leave(left_on, principal.user)
        (recording,) = self.save(agent)
        return Recorded.of(recording, agent_id)

    def submit_plan(
        self, principal: Principal, month: Month, agent_id: str, why: str, actions: str
    ) -> Recorded:
        """The improvement plan owed for a bottom-group agent of a published month."""
        agent = self.get_agent(agent_id)
        if not principal.may_record_for(agent.team):
            raise NotPermittedError(
                f"only {agent.agent_id}'s supervisor or an admin may submit the plan"
            )
        if self.period(month).status is not Status.PUBLISHED:
            raise InvalidFactError(f"{month} has not been published", field="month")
        plan_id = ImprovementPlan.create_id(str(month), agent_id)
        try:
            plan: ImprovementPlan = self.repository.get(plan_id)
        except AggregateNotFoundError:
            plan = ImprovementPlan(
                month=str(month),
                agent_id=agent_id,
                why=why,
                actions=actions,
                submitted_by=principal.user,
                submitted_on=self.today(),
            )
        else:
            plan.revise(why, actions, principal.user, self.today())
        (recording,) = self.save(plan)
        return Recorded.of(recording)

    def _check_deduction(
        self, principal: Principal, agent: Agent, rulebook: Rulebook, new: NewDeduction
    ) -> None:
        self.check_fact(principal, agent, new.occurred_on)
        item = rulebook.item(new.item)
        if not isinstance(item, Occurrence) or item.points > 0:
            raise InvalidFactError(
                f"{new.item!r} is not a deduction item of {rulebook.ref}",
                field="item",
            )
        if new.severity is not None and item.severity(new.severity) is None:
            known = ", ".join(s.code for s in item.severities) or "none"
            raise InvalidFactError(
                f"{new.item!r} has no severity {new.severity!r} (known: {known})",
                field="severity",
            )
        if item.once_per_month and new.quantity != 1:
            raise InvalidFactError(
                f"{new.item!r} counts once a month; quantity must be 1",
                field="quantity",
            )
