"""A small team's month under each shipped scheme, computed by hand, matches the
service to the cent on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction, NewObservation, NewRating, OrderRow
from domain.month import Month
from domain.rulebook import Assessor, shipped_rulebook
from projections.runtime import Runtime

ADMIN = Principal("admin", Role.ADMIN)
SUPERVISOR = Principal("sup-t1", Role.SUPERVISOR, "t1")
OCTOBER = Month(2026, 10)


def day(n: int) -> date:
    return date(2026, 10, n)


@pytest.fixture
def runtime(store_config):
    opened = Runtime(store_config, today=lambda: date(2026, 10, 31))
    opened.app.register_agents(
        ADMIN,
        [
            NewAgent("a1", "A1", "t1", "sup-t1"),
            NewAgent("a2", "A2", "t1", "sup-t1"),
            NewAgent("a3", "A3", "t1", "sup-t1"),
            NewAgent("b1", "B1", "t2", "sup-t2"),
        ],
    )
    yield opened
    opened.close()


def observe(runtime: Runtime, kind: str, *rows: tuple[str, int, dict]) -> None:
    batch = [NewObservation(agent, day(d), values) for agent, d, values in rows]
    runtime.app.record_observations(ADMIN, kind, batch, source="test")


def card(runtime: Runtime, agent: str):
    return runtime.view.scorecard(agent, OCTOBER)


def subtotals(scorecard) -> dict[str, Decimal]:
    return {c.code: c.score for c in scorecard.categories}


def test_scheme_b_songsong_2019_month(runtime):
    deduct = runtime.app.record_deductions
    deduct(
        SUPERVISOR,
        [
            NewDeduction("a1", "target_missed", day(10)),
            NewDeduction("a1", "follow_up_missed", day(11)),
            NewDeduction("a1", "promo_moments_missed", day(30)),
            NewDeduction("a2", "slow_reply", day(12), quantity=3),
            NewDeduction("a2", "order_check_missed", day(13)),
            NewDeduction("a2", "conduct_breach", day(14)),
        ],
    )
    complaint = {"severity": "normal", "order_no": "", "description": "rude"}
    observe(
        runtime,
        "complaints",
        ("a1", 5, complaint | {"complaint": "C-1"}),
        ("a1", 6, complaint | {"complaint": "C-2", "severity": "severe"}),
    )
    clock = {"late_minutes": 0, "early_leave_minutes": 0, "leave_days": "0"}
    observe(
        runtime,
        "clock",
        ("a1", 7, clock | {"late_minutes": 5, "early_leave_minutes": 10}),
        ("a2", 8, clock | {"leave_days": "1"}),
        ("a2", 9, clock | {"leave_days": "0.5"}),
    )
    runtime.catch_up()

    a1, a2, a3 = (card(runtime, a) for a in ("a1", "a2", "a3"))
    # a1 hr: 10 - 1 x 2 (late and early on the 7th) = 8
    #    business: 50 - 3 (complaint) - 3 (severe complaint) - 5 (target) - 2 = 37
    #    orders 30; promotion: 10 - 2 (moments not maintained) = 8
    assert subtotals(a1) == {"hr": 8, "business": 37, "orders": 30, "promotion": 8}
    assert a1.total == Decimal("83.00")
    assert a1.fines == Decimal("200.00")  # the severe complaint's fine
    assert a1.commission == Decimal("2490.00")  # 3000 x 83 / 100
    assert a1.grade == "B"
    # a2 hr: 10 - 1 x 1.5 days of leave - 2 (conduct) = 6.5; business: 50 - 1 x 3 = 47
    #    orders: 30 - 2 (check missed) = 28; promotion 10
    assert subtotals(a2) == {
        "hr": Decimal("6.5"), "business": 47, "orders": 28, "promotion": 10,
    }  # fmt: skip
    assert (a2.total, a2.commission, a2.grade) == (
        Decimal("91.50"),
        Decimal("2745.00"),  # 3000 x 91.5 / 100
        "A",
    )
    assert (a3.total, a3.commission) == (Decimal(100), Decimal("3000.00"))
    ranking = runtime.view.ranking(OCTOBER, "t1")
    assert [(e.agent_id, e.rank) for e in ranking] == [("a3", 1), ("a2", 2), ("a1", 3)]


def test_scheme_a_online_cs_month(runtime):
    runtime.app.publish_rulebook(ADMIN, shipped_rulebook("online-cs"), OCTOBER)
    observe(
        runtime,
        "chat",
        ("a1", 1, {"consultations": 60, "conversions": 30,
                   "avg_response_seconds": "20", "customers_lost": 3}),
        ("a1", 2, {"consultations": 40, "conversions": 15,
                   "avg_response_seconds": "45", "customers_lost": 2}),
        ("a2", 1, {"consultations": 100, "conversions": 55,
                   "avg_response_seconds": "10", "customers_lost": 0}),
    )  # fmt: skip
    steps = [
        OrderRow("O1", "submit", day(3), "a1", "customer", Decimal(3000)),
        OrderRow("O1", "process", day(3), case="standard"),
        OrderRow("O1", "pay", day(3)),
        OrderRow("O1", "feedback", day(4)),
        OrderRow("O1", "finish", day(6), outcome="completed"),
        OrderRow("O2", "submit", day(8), "a1", "customer", Decimal(1000)),
        OrderRow("O2", "process", day(8), case="substitute"),
        OrderRow("O2", "pay", day(8)),
        OrderRow("O2", "check", day(9), batch=1, passed=False, note="wrong item"),
        OrderRow("O2", "finish", day(12), outcome="refunded"),
        OrderRow("O3", "submit", day(20), "a1", "agent", Decimal(2000)),
    ]
    outcomes = runtime.app.import_order_rows(ADMIN, steps, source="test")
    assert all(getattr(o, "outcome", None) == "recorded" for o in outcomes), outcomes
    complaint = {"complaint": "C-9", "severity": "normal", "order_no": "O2"}
    observe(runtime, "complaints", ("a1", 13, complaint | {"description": ""}))
    report = {"report": "weekly-42", "on_time": False, "complete": False}
    observe(runtime, "reports", ("a1", 15, report | {"truthful": True}))
    clock = {"late_minutes": 12, "early_leave_minutes": 0, "leave_days": "0"}
    observe(runtime, "clock", ("a1", 16, clock))
    observe(
        runtime,
        "exams",
        ("a1", 17, {"exam": "products", "score": "85"}),
        ("a1", 18, {"exam": "service", "score": "70"}),
    )
    check = {"check": "S-1", "kind": "simulated_reception", "passed": False}
    observe(runtime, "spot_checks", ("a1", 19, check | {"note": "curt"}))
    for rater, assessor, dimensions in (
        (Principal("a1", Role.AGENT), Assessor.SELF, {"task_completion": 90}),
        (SUPERVISOR, Assessor.SUPERVISOR, {"performance": 80, "ability": 70}),
        (Principal("a2", Role.AGENT), Assessor.PEER,
         {"collaboration": 60, "service": 80}),
        (Principal("a3", Role.AGENT), Assessor.PEER,
         {"collaboration": 90, "service": 90}),
    ):  # fmt: skip
        scores = {name: Decimal(value) for name, value in dimensions.items()}
        runtime.app.rate(rater, NewRating("a1", OCTOBER, assessor, scores))
    runtime.catch_up()

    a1 = card(runtime, "a1")
    assert (a1.rulebook_id, a1.rulebook_version) == ("online-cs", 1)
    # chat: conversion (30 + 15) / (60 + 40) = 0.45 -> [0.4, 0.5) -> 6
    #       response (20 x 60 + 45 x 40) / 100 = 30 s
    #                -> 6 + (30 - 15) / (90 - 15) x (0 - 6) = 4.8
    #       churn (3 + 2) / 100 = 0.05 -> [0.05, 0.1) -> 4;   6 + 4.8 + 4 = 14.8
    # orders: amount 6000 -> 7 x 6000 / 100000 = 0.42; valid 2/3 -> 0; paid 2/3 -> 0;
    #         refunded 1/2 -> 0; average 2000 -> capped at 500 -> 4;   4.42
    # other (deduct 10): complaints 1/3 -> -10; abnormal 1/3 -> -5; floor -> 0
    # management (15): report late -3, incomplete -2 -> 10
    # standards (10): late -1; exams (85 + 70) / 2 = 77.5 -> -2;
    #                 simulated reception failed -2 -> 5
    # assessment: 20 x (0.15 x 0.90 + 0.60 x 0.75 + 0.25 x (0.70 + 0.90) / 2)
    #             = 20 x 0.785 = 15.70
    assert subtotals(a1) == {
        "chat": Decimal("14.8"), "orders": Decimal("4.42"), "other": 0,
        "management": 10, "standards": 5, "assessment": Decimal("15.7"),
    }  # fmt: skip
    assert a1.total == Decimal("49.92")
    assert a1.commission == Decimal("1497.60")  # 3000 x 49.92 / 100
    assert a1.grade == "D"
    assert a1.category("other").floor_applied
    line = next(x for x in a1.category("chat").lines if x.item == "conversion_rate")
    assert dict(line.inputs) | {"band": "[0.4, 0.5)"} == {
        "metric": "conversion_rate", "numerator": "45", "denominator": "100",
        "value": "0.4500", "band": "[0.4, 0.5)",
    }  # fmt: skip

    a2 = card(runtime, "a2")
    # chat: 0.55 -> 8; 10 s -> 6 (flat beyond 15 s); churn 0 -> 6 = 20. No orders,
    # exams or ratings: accumulate categories 0, deduct ones untouched: 10 + 15 + 10
    assert a2.total == Decimal(55)
    assert not a2.complete
    assert "order_amount" in a2.missing
