"""A quarter through the monthly cycle on SQLite and PostgreSQL: periods close and
publish, facts for published months are refused until a reopening, the quarter's
top three are rewarded once (a later correction is an adjustment), the bottom
three's supervisors owe plans by a due date, and the payroll reconciles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from domain.periods import PeriodClosedError
from projections import cycle
from projections.runtime import Runtime
from tests.clock import Clock

ADMIN = Principal("admin", Role.ADMIN)
JUL, AUG, SEP = Month(2026, 7), Month(2026, 8), Month(2026, 9)


@pytest.fixture
def clock():
    return Clock(date(2026, 10, 10))


@pytest.fixture
def runtime(store_config, clock):
    opened = Runtime(store_config, today=clock)
    teams = {"a1": "t1", "a2": "t1", "a3": "t1", "a4": "t2", "a5": "t2", "a6": "t2"}
    opened.app.register_agents(
        ADMIN, [NewAgent(a, a.upper(), t, f"sup-{t}") for a, t in teams.items()]
    )
    yield opened
    opened.close()


def deduct(runtime, month: Month, *facts: tuple[str, str, int]) -> None:
    day = date(month.year, month.month, 15)
    runtime.app.record_deductions(
        ADMIN, [NewDeduction(a, item, day, quantity=q) for a, item, q in facts]
    )


def quarter_of_facts(runtime) -> None:
    """Monthly totals (hand-computed):
            Jul  Aug  Sep   average
        a1  100   96   96   97.33   (late_early x4 in Aug, slow_reply x4 in Sep)
        a2   96  100   96   97.33   (slow_reply x4 in Jul, late_early x4 in Sep)
        a3   95   97   97   96.33   (target_missed Jul, complaint Aug, Sep)
        a4   94   94   95   94.33
        a5   90   92   91   91.00
        a6   88   89   90   89.00
    a1 and a2 tie on the average and on September; August decides: a2 first."""
    deduct(
        runtime,
        JUL,
        ("a2", "slow_reply", 4),
        ("a3", "target_missed", 1),
        ("a4", "slow_reply", 6),
        ("a5", "slow_reply", 10),
        ("a6", "slow_reply", 12),
    )
    deduct(
        runtime,
        AUG,
        ("a1", "late_early", 4),
        ("a3", "complaint", 1),
        ("a4", "slow_reply", 6),
        ("a5", "slow_reply", 8),
        ("a6", "slow_reply", 11),
    )
    deduct(runtime, SEP, ("a1", "slow_reply", 4), ("a2", "late_early", 4),
           ("a3", "complaint", 1), ("a4", "target_missed", 1), ("a5", "slow_reply", 9),
           ("a6", "slow_reply", 10))  # fmt: skip


def publish(runtime, *months: Month) -> None:
    for month in months:
        runtime.app.close_period(ADMIN, month)
        runtime.app.publish_period(ADMIN, month)
    runtime.catch_up()


def awards(runtime) -> list[tuple[str, int | None, Decimal, str]]:
    quarter = cycle.quarter_view(runtime.view, 2026, 3)
    return [(a.agent_id, a.place, a.amount, a.kind) for a in quarter.awards]


def test_the_quarters_top_three_are_rewarded_once_ties_broken_by_the_later_month(
    runtime, clock
):
    quarter_of_facts(runtime)
    runtime.catch_up()
    provisional = cycle.quarter_view(runtime.view, 2026, 3)
    assert provisional.status == "provisional" and provisional.awards == []
    assert [(s.agent_id, s.average) for s in provisional.standings[:4]] == [
        ("a2", Decimal("97.33")),
        ("a1", Decimal("97.33")),
        ("a3", Decimal("96.33")),
        ("a4", Decimal("94.33")),
    ]

    publish(runtime, JUL, AUG, SEP)
    assert awards(runtime) == [
        ("a1", 2, Decimal(200), "granted"),
        ("a2", 1, Decimal(300), "granted"),
        ("a3", 3, Decimal(100), "granted"),
    ]
    runtime.catch_up()  # replaying or catching up again grants nothing more
    assert len(awards(runtime)) == 3


def test_bottom_three_owe_plans_within_seven_days_of_publication(runtime, clock):
    quarter_of_facts(runtime)
    clock.today = date(2026, 10, 14)
    publish(runtime, JUL, AUG, SEP)

    september = [d for d in cycle.duties(runtime.view, clock.today) if d.month == SEP]
    assert {(d.agent_id, d.supervisor, d.due_on, d.status) for d in september} == {
        ("a4", "sup-t2", date(2026, 10, 21), "open"),
        ("a5", "sup-t2", date(2026, 10, 21), "open"),
        ("a6", "sup-t2", date(2026, 10, 21), "open"),
    }
    supervisor = Principal("sup-t2", Role.SUPERVISOR, "t2")
    clock.today = date(2026, 10, 18)
    runtime.app.submit_plan(supervisor, SEP, "a5", "slow replies", "reply drills")
    runtime.catch_up()
    clock.today = date(2026, 10, 25)
    status = {d.agent_id: d.status for d in cycle.duties(runtime.view, clock.today)
              if d.month == SEP}  # fmt: skip
    assert status == {"a4": "overdue", "a5": "submitted", "a6": "overdue"}
    with pytest.raises(Exception, match="supervisor"):
        runtime.app.submit_plan(Principal("sup-t1", Role.SUPERVISOR, "t1"), SEP, "a6",
                                "x", "y")  # fmt: skip


def test_a_correction_after_reopening_is_an_adjustment_everywhere(runtime, clock):
    quarter_of_facts(runtime)
    clock.today = date(2026, 10, 14)
    publish(runtime, JUL, AUG, SEP)

    with pytest.raises(PeriodClosedError, match="reopen"):
        deduct(runtime, SEP, ("a3", "complaint", 2))
    clock.today = date(2026, 10, 20)
    runtime.app.reopen_period(ADMIN, SEP, "two complaints against a3 came in late")
    deduct(runtime, SEP, ("a3", "complaint", 1), ("a3", "complaint", 1))
    runtime.app.close_period(ADMIN, SEP)
    runtime.app.publish_period(ADMIN, SEP)
    runtime.catch_up()

    # a3: September 97 - 3 - 3 = 91, average (95 + 97 + 91) / 3 = 94.33, tied with
    # a4 (94.33); a4's September (95) beats a3's (91): a4 takes third place
    assert awards(runtime) == [
        ("a1", 2, Decimal(200), "granted"),
        ("a2", 1, Decimal(300), "granted"),
        ("a3", 3, Decimal(100), "granted"),
        ("a3", None, Decimal(-100), "adjusted"),
        ("a4", 3, Decimal(100), "adjusted"),
    ]
    adjustment = cycle.quarter_view(runtime.view, 2026, 3).awards[-1]
    assert adjustment.reason == "two complaints against a3 came in late"

    card = runtime.view.scorecard("a3", SEP)
    published = cycle.after_publication(runtime.view, "a3", SEP, card)
    assert (published.published_total, card.total, published.changed) == (
        Decimal(97), Decimal(91), True,
    )  # fmt: skip
    ranking = {e.agent_id: e.rank for e in runtime.view.ranking(SEP)}
    assert ranking["a3"] == 4

    owed = cycle.duties(runtime.view, clock.today)
    duties = {d.agent_id: (d.status, d.due_on) for d in owed if d.month == SEP}
    assert duties == {
        "a4": ("withdrawn", date(2026, 10, 21)),  # lifted out of the bottom three
        "a3": ("open", date(2026, 10, 27)),  # owed since the second report
        "a5": ("open", date(2026, 10, 21)),
        "a6": ("open", date(2026, 10, 21)),
    }

    payroll = {line.agent_id: line for line in cycle.payroll(runtime.view, SEP)}
    assert {a: payroll[a].rewards for a in ("a1", "a2", "a3", "a4")} == {
        "a1": Decimal(200), "a2": Decimal(300), "a3": Decimal(0), "a4": Decimal(100),
    }  # fmt: skip
    for agent, line in payroll.items():  # reconciles with the scorecards
        card = runtime.view.scorecard(agent, SEP)
        assert (line.total, line.commission, line.fines) == (
            card.total, card.commission, card.fines,
        )  # fmt: skip
        assert line.net == card.commission - card.fines + line.rewards


def test_a_fact_that_races_a_close_is_kept_but_never_counted(runtime, clock):
    quarter_of_facts(runtime)
    runtime.catch_up()
    before = runtime.view.scorecard("a6", SEP).total
    # The close is recorded first; a fact checked before it lands after it.
    runtime.app.close_period(ADMIN, SEP)
    from domain.deduction import Deduction

    late = Deduction(agent_id="a6", item="complaint", occurred_on=date(2026, 9, 30),
                     quantity=1, note="", evidence_ref=None, severity=None,
                     recorded_by="admin")  # fmt: skip
    runtime.app.save(late)
    runtime.catch_up()
    assert runtime.view.scorecard("a6", SEP).total == before
    assert "period was closed" in (runtime.view.deduction(str(late.id)).excluded or "")
