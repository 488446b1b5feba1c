"""Commands that record observations, order steps and ratings (part of AppraisalApp)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, suppress
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Recording

from domain.access import Principal, Role
from domain.commands import (
    ORDER_STEPS,
    NewObservation,
    NewOrder,
    NewRating,
    Observed,
    OrderRow,
    RatingOutcome,
    Recorded,
)
from domain.errors import (
    ConflictError,
    InvalidFactError,
    NotFoundError,
    NotPermittedError,
)
from domain.guards import guarded
from domain.month import Month
from domain.observations import KINDS, Kind, Observation, natural_key
from domain.orders import Order, StepBy
from domain.ratings import DIMENSIONS, SCALE, Rating
from domain.rulebook import Assessor

if TYPE_CHECKING:
    from domain.agent import Agent
    from domain.periods import Period


class OrderNotFoundError(NotFoundError):
    """Raised when a step names an order that was never submitted."""


Outcome = tuple[str, UUID, int | None]


def normalise(kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values of a kind in their stored form; raise naming the first bad field."""
    missing = [f.name for f in kind.fields if f.name not in values]
    unknown = sorted(set(values) - {f.name for f in kind.fields})
    if missing or unknown:
        name = (missing or unknown)[0]
        raise InvalidFactError(
            f"{'missing' if missing else 'unknown'} field {name!r}", field=name
        )
    return {f.name: _value(f, values[f.name]) for f in kind.fields}


def _value(field: Any, raw: Any) -> Any:
    def bad(why: str) -> InvalidFactError:
        return InvalidFactError(f"{field.name}: {why}", field=field.name)

    if field.type is bool:
        if not isinstance(raw, bool):
            raise bad("must be true or false")
        return raw
    if field.type is str:
        text = str(raw).strip()
        if field.choices and text not in field.choices:
            raise bad(f"must be one of {', '.join(field.choices)}")
        return text
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise bad(f"{raw!r} is not a number") from None
    if not number.is_finite() or isinstance(raw, bool):
        raise bad(f"{raw!r} is not a number")
    if field.type is int and number != number.to_integral_value():
        raise bad(f"{raw!r} is not a whole number")
    if field.minimum is not None and number < field.minimum:
        raise bad(f"must be at least {field.minimum}")
    if field.maximum is not None and number > field.maximum:
        raise bad(f"must be at most {field.maximum}")
    return int(number) if field.type is int else format(number.normalize(), "f")


class FactRecording:
    """Observations, orders and ratings. Mixed into ``AppraisalApp``, whose
    ``get_agent``, ``check_fact``, ``today``, ``repository`` and ``save`` it uses."""

    get_agent: Callable[[str], Agent]
    reads_once: Callable[[], AbstractContextManager[None]]
    period: Callable[[Month], Period]
    check_fact: Callable[..., None]
    today: Callable[[], date]
    repository: Any
    save: Callable[..., list[Recording[UUID]]]

    # Observations

    def check_observation(
        self, principal: Principal, kind: str, new: NewObservation
    ) -> dict[str, Any]:
        """Refuse an observation that may not be recorded; return its stored values."""
        if kind not in KINDS:
            raise InvalidFactError(f"unknown kind {kind!r}", field="kind")
        agent = self.get_agent(new.agent_id)
        self.check_fact(
            principal, agent, new.occurred_on, self_service=kind == "promotion"
        )
        return normalise(KINDS[kind], new.values)

    @guarded
    def record_observations(
        self,
        principal: Principal,
        kind: str,
        batch: Sequence[NewObservation],
        source: str,
    ) -> list[Observed]:
        """Record a batch in one transaction. A row whose natural key is known
        is unchanged if equal, else recorded as a correction."""
        with self.reads_once():
            rows = [
                (new, self.check_observation(principal, kind, new)) for new in batch
            ]
        try:
            return self._observe(principal, kind, rows, source, known={})
        except IntegrityError:
            # Some rows were known already: load those and try again.
            known = self._known_observations(kind, rows)
            return self._observe(principal, kind, rows, source, known)

    def _observation_id(
        self, kind: str, new: NewObservation, values: Mapping[str, Any]
    ) -> UUID:
        return Observation.create_id(
            kind, new.agent_id, new.occurred_on, natural_key(KINDS[kind], values)
        )

    def _known_observations(
        self, kind: str, rows: Sequence[tuple[NewObservation, dict[str, Any]]]
    ) -> dict[UUID, Observation]:
        known: dict[UUID, Observation] = {}
        for new, values in rows:
            key = self._observation_id(kind, new, values)
            if key not in known:
                with suppress(AggregateNotFoundError):
                    known[key] = self.repository.get(key)
        return known

    def _observe(
        self,
        principal: Principal,
        kind: str,
        rows: Sequence[tuple[NewObservation, dict[str, Any]]],
        source: str,
        known: dict[UUID, Observation],
    ) -> list[Observed]:
        touched: dict[UUID, Observation] = {}
        outcomes: list[tuple[str, UUID, int | None]] = []
        for new, values in rows:
            key = self._observation_id(kind, new, values)
            found = touched.get(key) or known.get(key)
            if found is None:
                found = Observation(
                    kind=kind,
                    agent_id=new.agent_id,
                    occurred_on=new.occurred_on,
                    key=natural_key(KINDS[kind], values),
                    values=values,
                    recorded_by=principal.user,
                    source=source,
                )
                outcomes.append(("recorded", key, found.version))
            elif found.correct(values, principal.user, source):
                outcomes.append(("corrected", key, found.version))
            else:
                outcomes.append(("unchanged", key, None))
                continue
            touched[key] = found
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): (
                r.notification.id
            )
            for r in self.save(*touched.values())
        }
        return [
            Observed(outcome, key, positions[(key, version)] if version else None)
            for outcome, key, version in outcomes
        ]

    # Orders

    @guarded
    def submit_order(self, principal: Principal, new: NewOrder) -> Recorded:
        agent = self.get_agent(new.agent_id)
        self.check_fact(principal, agent, new.occurred_on)
        order = Order.submit(
            new.order_no,
            new.agent_id,
            new.case,
            new.amount,
            StepBy(new.occurred_on, principal.user, new.handled_by),
        )
        try:
            (recording,) = self.save(order)
        except IntegrityError:
            raise ConflictError(
                f"order {new.order_no!r} was already submitted", field="order_no"
            ) from None
        return Recorded.of(recording, new.order_no)

    def get_order(self, order_no: str) -> Order:
        try:
            order: Order = self.repository.get(Order.create_id(order_no))
        except AggregateNotFoundError:
            raise OrderNotFoundError(
                f"no order {order_no!r} was submitted", field="order_no"
            ) from None
        return order

    @guarded
    def record_order_step(
        self,
        principal: Principal,
        order_no: str,
        step: str,
        on: date,
        handled_by: str | None = None,
        **fields: Any,
    ) -> Recorded:
        """One step of an order's workflow (process, check, pay, feedback,
        dispute, resolve, finish, correct_amount)."""
        order = self.get_order(order_no)
        self.check_fact(principal, self.get_agent(order.owner), on)
        if handled_by is not None:
            self.get_agent(handled_by)
        by = StepBy(on, principal.user, handled_by)
        steps: dict[str, Callable[..., Any]] = {
            "process": order.process,
            "check": order.check,
            "pay": order.pay,
            "feedback": order.give_feedback,
            "dispute": order.open_dispute,
            "resolve": order.resolve_dispute,
            "finish": order.finish,
            "correct_amount": order.correct_amount,
        }
        if step not in steps:
            raise InvalidFactError(f"unknown order step {step!r}", field="step")
        version = order.version
        steps[step](**fields, step=by)
        if order.version == version:
            raise ConflictError(f"order {order_no!r} is already so", field="step")
        (recording,) = self.save(order)
        return Recorded.of(recording, order_no)

    @guarded
    def import_order_rows(
        self, principal: Principal, rows: Sequence[OrderRow], source: str
    ) -> list[Observed | InvalidFactError | NotFoundError | NotPermittedError]:
        """Apply export rows to their orders, in one transaction. A step already
        recorded the same way is unchanged; a changed amount is a correction; a
        row that contradicts what was recorded, or does not fit, is refused."""
        orders: dict[str, Order | None] = {}
        results: list[
            Outcome | InvalidFactError | NotFoundError | NotPermittedError
        ] = []
        with self.reads_once():
            for row in rows:
                try:
                    results.append(self._order_row(principal, row, orders))
                except (InvalidFactError, NotFoundError, NotPermittedError) as refused:
                    results.append(refused)
        touched = [o for o in orders.values() if o is not None and o.pending_events]
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): (
                r.notification.id
            )
            for r in self.save(*touched)
        }
        return [
            Observed(r[0], r[1], positions[(r[1], r[2])] if r[2] else None)
            if isinstance(r, tuple)
            else r
            for r in results
        ]

    def _order_row(
        self, principal: Principal, row: OrderRow, orders: dict[str, Order | None]
    ) -> Outcome:
        if row.step not in ORDER_STEPS:
            raise InvalidFactError(f"unknown order step {row.step!r}", field="step")
        if row.order_no not in orders:
            try:
                orders[row.order_no] = self.get_order(row.order_no)
            except OrderNotFoundError:
                orders[row.order_no] = None
        order = orders[row.order_no]
        if order is None:
            if row.step != "submit":
                raise OrderNotFoundError(
                    f"order {row.order_no!r} was never submitted", field="order_no"
                )
            order = self._submitted(principal, row)
            orders[row.order_no] = order
            return ("recorded", order.id, order.version)
        before = order.recorded_as(row.key())
        if before is not None:
            return self._again(principal, order, row, before)
        owner = self.get_agent(order.owner)
        self.check_fact(principal, owner, row.occurred_on)
        if row.agent_id is not None:
            self.get_agent(row.agent_id)
        self._apply_step(
            order, row, StepBy(row.occurred_on, principal.user, row.agent_id)
        )
        return ("recorded", order.id, order.version)

    def _submitted(self, principal: Principal, row: OrderRow) -> Order:
        if row.agent_id is None or row.amount is None or row.case is None:
            missing = next(
                f for f in ("agent_id", "amount", "case") if getattr(row, f) is None
            )
            raise InvalidFactError(f"a submit row needs {missing}", field=missing)
        self.check_fact(principal, self.get_agent(row.agent_id), row.occurred_on)
        return Order.submit(
            row.order_no,
            row.agent_id,
            row.case,
            row.amount,
            StepBy(row.occurred_on, principal.user),
        )

    def _again(
        self, principal: Principal, order: Order, row: OrderRow, before: dict[str, Any]
    ) -> Outcome:
        """A step the order already has: unchanged, an amount correction, or refused."""
        now = row.values()
        if now == before:
            return ("unchanged", order.id, None)
        differs = sorted(k for k in now if now[k] != before.get(k))
        if row.step == "submit" and differs == ["amount"] and row.amount is not None:
            if not order.correct_amount(
                row.amount, StepBy(row.occurred_on, principal.user)
            ):
                return ("unchanged", order.id, None)
            return ("corrected", order.id, order.version)
        field = "occurred_on" if differs[0] == "on" else differs[0]
        raise InvalidFactError(
            f"order {order.order_no} step {row.key()} was recorded as {before}; "
            f"this row says {now}; only a submitted amount can be corrected",
            field=field,
        )

    @staticmethod
    def _apply_step(order: Order, row: OrderRow, by: StepBy) -> None:
        def need(name: str) -> Any:
            value = getattr(row, name)
            if value is None:
                raise InvalidFactError(f"a {row.step} row needs {name}", field=name)
            return value

        if row.step == "dispute" and need("number") != len(order.disputes) + 1:
            raise InvalidFactError(
                f"order {order.order_no} has {len(order.disputes)} disputes; the next "
                f"is number {len(order.disputes) + 1}",
                field="number",
            )
        {
            "process": lambda: order.process(need("case"), by),
            "check": lambda: order.check(need("batch"), need("passed"), by, row.note),
            "pay": lambda: order.pay(by),
            "feedback": lambda: order.give_feedback(by),
            "dispute": lambda: order.open_dispute(need("reason"), by),
            "resolve": lambda: order.resolve_dispute(
                need("number"), need("outcome"), by
            ),
            "finish": lambda: order.finish(need("outcome"), by),
        }[row.step]()

    # Ratings

    @guarded
    def rate(self, principal: Principal, new: NewRating) -> RatingOutcome:
        """Give or revise a 360 rating (unchanged if it is the same as before)."""
        agent = self.get_agent(new.agent_id)
        self._may_rate(principal, agent, new.assessor)
        self._check_rating(agent, new)
        dimensions = {
            k: format(Decimal(v).normalize(), "f") for k, v in new.dimensions.items()
        }
        key = Rating.create_id(
            new.agent_id, str(new.month), new.assessor.value, principal.user
        )
        try:
            rating: Rating = self.repository.get(key)
        except AggregateNotFoundError:
            rating = Rating(
                agent_id=new.agent_id,
                month=str(new.month),
                assessor=new.assessor.value,
                rater=principal.user,
                dimensions=dimensions,
                comment=new.comment,
            )
            outcome = "given"
        else:
            if not rating.revise(dimensions, new.comment):
                return RatingOutcome("unchanged", None)
            outcome = "revised"
        (recording,) = self.save(rating)
        return RatingOutcome(outcome, Recorded.of(recording))

    def _may_rate(self, principal: Principal, agent: Agent, assessor: Assessor) -> None:
        """Self: the agent; supervisor: the team's supervisor (or an admin);
        peer: another agent of the same team (the group the agent works with)."""
        own = principal.user == agent.agent_id
        allowed = {
            Assessor.SELF: lambda: principal.role is Role.AGENT and own,
            Assessor.SUPERVISOR: lambda: principal.may_record_for(agent.team),
            Assessor.PEER: lambda: (
                principal.role is Role.AGENT
                and not own
                and self._team_of(principal.user) == agent.team
            ),
        }[assessor]()
        if not allowed:
            raise NotPermittedError(
                f"{principal.user} may not give {agent.agent_id} a "
                f"{assessor.value} rating"
            )

    def _team_of(self, agent_id: str) -> str | None:
        try:
            return self.get_agent(agent_id).team
        except NotFoundError:
            return None

    def _check_rating(self, agent: Agent, new: NewRating) -> None:
        expected = set(DIMENSIONS[new.assessor])
        if set(new.dimensions) != expected:
            raise InvalidFactError(
                f"a {new.assessor.value} rating rates {', '.join(sorted(expected))}",
                field="dimensions",
            )
        for name, value in new.dimensions.items():
            if not Decimal(0) <= Decimal(value) <= SCALE:
                raise InvalidFactError(
                    f"{name} must be between 0 and {SCALE}", field=f"dimensions.{name}"
                )
        if new.month > Month.of(self.today()):
            raise InvalidFactError(f"{new.month} has not begun", field="month")
        self.period(new.month).refuse_facts()  # ratings are accepted until it closes
        if agent.joined_on and new.month.last_day < agent.joined_on:
            raise InvalidFactError(
                f"{agent.agent_id} joined on {agent.joined_on}, after {new.month}",
                field="month",
            )
