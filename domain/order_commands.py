"""Orders: submitted, stepped through their workflow, imported from export rows
(part of AppraisalApp)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.access import Principal
from domain.agent import Agent
from domain.commands import ORDER_STEPS, NewOrder, Observed, OrderRow, Recorded
from domain.errors import (
    ConflictError,
    InvalidFactError,
    NotFoundError,
    NotPermittedError,
)
from domain.guards import guarded
from domain.order_steps import STEPS
from domain.orders import Order, StepBy
from domain.roster_commands import RosterCommands
from domain.rules_commands import RulesCommands
from domain.text import N_


class OrderNotFoundError(NotFoundError):
    """Raised when a step names an order that was never submitted."""


Outcome = tuple[str, UUID, int | None]


class OrderCommands(RosterCommands, RulesCommands):
    """Orders and their steps."""

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
                N_("order {order_no!r} was already submitted"),
                order_no=new.order_no,
                field="order_no",
            ) from None
        return Recorded.of(recording, new.order_no).judged(self.verdict_of(recording))

    def get_order(self, order_no: str) -> Order:
        try:
            order: Order = self._read(Order.create_id(order_no))
        except AggregateNotFoundError:
            raise OrderNotFoundError(
                N_("no order {order_no!r} was submitted"),
                order_no=order_no,
                field="order_no",
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
        spec = STEPS.get(step)
        if spec is None or not spec.api_step:
            raise InvalidFactError(
                N_("unknown order step {step!r}"), step=step, field="step"
            )
        version = order.version
        getattr(order, spec.command)(**fields, step=by)
        if order.version == version:
            raise ConflictError(
                N_("order {order_no!r} is already so"), order_no=order_no, field="step"
            )
        (recording,) = self.save(order)
        return Recorded.of(recording, order_no).judged(self.verdict_of(recording))

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
        with self.reads_once(Order.create_id(row.order_no) for row in rows):
            self._read_together(self._agents_of(rows), shared=True)
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
            for r in self.save(*touched, hand_over=True)
        }
        return [
            Observed(r[0], r[1], positions[(r[1], r[2])] if r[2] else None)
            if isinstance(r, tuple)
            else r
            for r in results
        ]

    def _agents_of(self, rows: Sequence[OrderRow]) -> list[UUID]:
        """The agents the rows name and the owners of the orders read so far."""
        named = [row.agent_id for row in rows if row.agent_id is not None]
        orders = (self._find(Order.create_id(row.order_no)) for row in rows)
        owners = [order.owner for order in orders if order is not None]
        return [Agent.create_id(a) for a in dict.fromkeys(named + owners)]

    def _order_row(
        self, principal: Principal, row: OrderRow, orders: dict[str, Order | None]
    ) -> Outcome:
        if row.step not in ORDER_STEPS:
            raise InvalidFactError(
                N_("unknown order step {step!r}"), step=row.step, field="step"
            )
        if row.order_no not in orders:
            orders[row.order_no] = self._find(Order.create_id(row.order_no))
        order = orders[row.order_no]
        if order is None:
            if row.step != "submit":
                raise OrderNotFoundError(
                    N_("order {order_no!r} was never submitted"),
                    order_no=row.order_no,
                    field="order_no",
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
            raise InvalidFactError(
                N_("a submit row needs {name}"), name=missing, field=missing
            )
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
            N_(
                "order {order_no} step {step} was recorded as {before}; this row "
                "says {now}; only a submitted amount can be corrected"
            ),
            order_no=order.order_no,
            step=row.key(),
            before=before,
            now=now,
            field=field,
        )

    @staticmethod
    def _apply_step(order: Order, row: OrderRow, by: StepBy) -> None:
        def need(name: str) -> Any:
            value = getattr(row, name)
            if value is None:
                raise InvalidFactError(
                    N_("a {step} row needs {name}"),
                    step=row.step,
                    name=name,
                    field=name,
                )
            return value

        spec = STEPS[row.step]
        if row.step == "dispute" and need("number") != len(order.disputes) + 1:
            raise InvalidFactError(
                N_("order {order_no} has {count} disputes; the next is number {next}"),
                order_no=order.order_no,
                count=len(order.disputes),
                next=len(order.disputes) + 1,
                field="number",
            )
        given = {name: need(name) for name in spec.requires}
        given |= {name: getattr(row, name) for name in spec.takes}
        getattr(order, spec.command)(**given, step=by)
