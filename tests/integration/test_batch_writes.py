"""Batches that write the same aggregates chunk after chunk (an import's
orders and observations): each chunk works on the aggregates as the store
holds them, whatever was written between two chunks, on both backends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewObservation, Observed, OrderRow
from domain.orders import Order

ADMIN = Principal("admin", Role.ADMIN)
OCT = date(2026, 10, 5)


@pytest.fixture
def app(runtime):
    runtime.app.register_agents(ADMIN, [NewAgent("a1", "Ann", "t1", "sup-t1")])
    return runtime.app


def _outcomes(results):
    assert all(isinstance(r, Observed) for r in results), results
    return [r.outcome for r in results]


def test_an_order_stepped_between_two_chunks_takes_the_next_chunk_s_step(app):
    submit = [OrderRow("O1", "submit", OCT, "a1", "customer", Decimal(3000))]
    assert _outcomes(app.import_order_rows(ADMIN, submit, "file")) == ["recorded"]
    app.record_order_step(ADMIN, "O1", "process", OCT, None, case="standard")
    chunk = [
        OrderRow("O1", "pay", OCT),
        OrderRow("O1", "process", OCT, case="standard"),
    ]
    assert _outcomes(app.import_order_rows(ADMIN, chunk, "file")) == [
        "recorded",
        "unchanged",
    ]
    order = app.repository.get(Order.create_id("O1"))
    assert order.version == 3
    assert order.recorded_as("pay") is not None


def test_an_amount_corrected_between_two_chunks_is_known_to_the_next(app):
    submit = [OrderRow("O2", "submit", OCT, "a1", "customer", Decimal(1000))]
    app.import_order_rows(ADMIN, submit, "file")
    again = [OrderRow("O2", "submit", OCT, "a1", "customer", Decimal(1200))]
    assert _outcomes(app.import_order_rows(ADMIN, again, "file")) == ["corrected"]
    assert _outcomes(app.import_order_rows(ADMIN, again, "file")) == ["unchanged"]
    assert app.repository.get(Order.create_id("O2")).version == 2


def test_an_observation_imported_twice_is_unchanged_and_corrected_once(app):
    clock = {"late_minutes": 12, "early_leave_minutes": 0, "leave_days": "0"}
    row = NewObservation("a1", OCT, clock)
    assert _outcomes(app.record_observations(ADMIN, "clock", [row], "f")) == [
        "recorded"
    ]
    assert _outcomes(app.record_observations(ADMIN, "clock", [row], "f")) == [
        "unchanged"
    ]
    later = NewObservation("a1", OCT, clock | {"late_minutes": 20})
    assert _outcomes(app.record_observations(ADMIN, "clock", [later], "f")) == [
        "corrected"
    ]
    assert _outcomes(app.record_observations(ADMIN, "clock", [later], "f")) == [
        "unchanged"
    ]
