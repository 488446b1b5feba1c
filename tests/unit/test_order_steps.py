"""The order steps' declaration agrees with the order it describes: an export
row's fields are its columns, every order event is a step, and what a row says
a step records is what the order keeps of it."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal

from domain.commands import OrderRow
from domain.order_steps import COLUMNS, STEPS
from domain.orders import Order, StepBy

D1, D2 = date(2026, 10, 1), date(2026, 10, 2)


def test_an_export_row_has_the_declared_columns():
    assert tuple(f.name for f in fields(OrderRow)) == COLUMNS


def test_every_order_event_is_the_event_of_one_step():
    events = {Order.Submitted, *Order.Step.__subclasses__()}
    assert sorted(e.__name__ for e in events) == sorted(
        s.event.__name__ for s in STEPS.values()
    )


def test_a_row_records_what_the_order_keeps_of_its_step():
    order = Order.submit("O-1", "a1", "agent", Decimal("100.00"), StepBy(D1, "sup"))
    by = StepBy(D2, "sup")
    order.process("standard", by)
    order.check(2, False, by, "scratched")
    order.pay(by)
    order.give_feedback(by)
    order.open_dispute("quality", by)
    order.resolve_dispute(1, "compromise", by)
    order.finish("completed", by)
    rows = [
        OrderRow("O-1", "submit", D1, "a1", "agent", Decimal("100")),
        OrderRow("O-1", "process", D2, case="standard"),
        OrderRow("O-1", "check", D2, batch=2, passed=False, note="scratched"),
        OrderRow("O-1", "pay", D2),
        OrderRow("O-1", "feedback", D2),
        OrderRow("O-1", "dispute", D2, reason="quality", number=1),
        OrderRow("O-1", "resolve", D2, number=1, outcome="compromise"),
        OrderRow("O-1", "finish", D2, outcome="completed"),
    ]
    assert {row.key(): row.values() for row in rows} == order.recorded
