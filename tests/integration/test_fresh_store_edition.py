"""A fresh store starts on songsong-2019 v2, which scores promotion activities
and the six order steps; a store opened before it keeps v1 until an admin
publishes v2. Totals computed by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction, NewObservation, NewOrder
from domain.month import Month
from domain.rulebook import FIRST_EDITION, shipped_rulebook
from projections.runtime import Runtime

ADMIN = Principal("admin", Role.ADMIN)
SUPERVISOR = Principal("sup-t1", Role.SUPERVISOR, "t1")
OCTOBER, NOVEMBER = Month(2026, 10), Month(2026, 11)


def day(n: int, month: int = 10) -> date:
    return date(2026, month, n)


class Today:
    def __init__(self) -> None:
        self.today = day(31)

    def __call__(self) -> date:
        return self.today


def opened(store_config, today: Today) -> Runtime:
    runtime = Runtime(store_config, today=today)
    runtime.app.register_agents(
        ADMIN,
        [NewAgent("a1", "A1", "t1", "sup-t1"), NewAgent("a2", "A2", "t1", "sup-t1")],
    )
    return runtime


def promote(runtime: Runtime, agent: str, on: date, channel: str, ref: str):
    values = {"channel": channel, "reference": ref, "note": ""}
    (observed,) = runtime.app.record_observations(
        SUPERVISOR, "promotion", [NewObservation(agent, on, values)], source="test"
    )
    return observed


def order(runtime: Runtime, order_no: str, on: date, amount: str):
    new = NewOrder(order_no, "a1", "customer", Decimal(amount), on)
    return runtime.app.submit_order(SUPERVISOR, new)


def step(runtime: Runtime, order_no: str, name: str, on: date, **fields):
    return runtime.app.record_order_step(SUPERVISOR, order_no, name, on, None, **fields)


def six_steps(runtime: Runtime) -> list:
    """Three orders of a1 in October, every step of the workflow."""
    answers = [
        order(runtime, "O-1", day(1), "100"),
        step(runtime, "O-1", "process", day(2), case="standard"),
        step(runtime, "O-1", "check", day(2), batch=1, passed=True),
        step(runtime, "O-1", "check", day(2), batch=2, passed=False),  # -2
        step(runtime, "O-1", "feedback", day(5)),  # 3 days after processing: -1
        step(runtime, "O-1", "dispute", day(6), reason="quality"),  # -1
        step(runtime, "O-1", "resolve", day(7), number=1, outcome="customer"),  # -2
        step(runtime, "O-1", "finish", day(8), outcome="redone", cause="agent"),  # -2
    ]
    for order_no, on in (("O-2", 1), ("O-3", 2)):
        order(runtime, order_no, day(on), "200")
        step(runtime, order_no, "process", day(on), case="standard")
        step(runtime, order_no, "feedback", day(on + 1))
        step(runtime, order_no, "finish", day(on + 2), outcome="completed")
    return answers


def subtotals(card) -> dict[str, Decimal]:
    return {c.code: c.score for c in card.categories}


def test_a_fresh_store_scores_a_promotion_activity_and_the_six_order_steps(
    store_config, fresh_edition
):
    runtime = opened(store_config, Today())
    try:
        promotion = [
            promote(runtime, "a1", day(3), "moments", "m-1"),  # +2
            promote(runtime, "a1", day(4), "friends", "f-1"),  # +2
            promote(runtime, "a1", day(5), "moments", "m-2"),  # once a month: 0
            promote(runtime, "a2", day(3), "brand_post", "b-1"),  # +2
        ]
        steps = six_steps(runtime)
        runtime.catch_up()

        a1 = runtime.view.scorecard("a1", OCTOBER)
        assert (a1.rulebook_id, a1.rulebook_version) == ("songsong-2019", 2)
        # orders: 30 - 2 (check batch 2 failed) - 1 (feedback late) - 1 (dispute)
        #   - 2 (dispute settled for the customer) - 2 (redone by the agent)
        #   - 10 (served well 2 of 3 finished: [0.6, 0.7)) = 12; every order
        #   submitted was processed (valid share 1: 0)
        # promotion: moments 2 + friends 2 (the second moments counts 0) = 4
        assert subtotals(a1) == {"hr": 10, "business": 50, "orders": 12, "promotion": 4}
        assert a1.total == Decimal("76.00")
        a2 = runtime.view.scorecard("a2", OCTOBER)
        # no orders: the order metrics have no data (0 points), promotion 2
        assert subtotals(a2) == {"hr": 10, "business": 50, "orders": 30, "promotion": 2}
        assert a2.total == Decimal("92.00")
        assert not a1.unscored and not a2.unscored
        assert all(answer.scored for answer in promotion + steps)
        assert {answer.reason for answer in promotion + steps} == {None}
    finally:
        runtime.close()


def test_a_store_opened_before_version_2_keeps_its_totals_until_it_is_published(
    store_config, monkeypatch
):
    today = Today()
    runtime = opened(store_config, today)  # a store as the previous release made it
    try:
        runtime.app.record_deductions(
            SUPERVISOR, [NewDeduction("a1", "promo_moments_missed", day(30))]
        )
        unscored = promote(runtime, "a1", day(3), "moments", "m-1")
        six_steps(runtime)
        runtime.catch_up()
        before = runtime.view.scorecard("a1", OCTOBER)
        # v1: every category deducts; only the moments deduction counts
        assert (before.rulebook_version, before.total) == (1, Decimal("98.00"))
        assert not unscored.scored
        assert unscored.reason == "promo_moments is not a rule item of songsong-2019 v1"
    finally:
        runtime.close()

    monkeypatch.setattr(Runtime, "first_edition", FIRST_EDITION)
    today.today = day(2, month=11)
    upgraded = Runtime(store_config, today=today)  # this release opens it
    try:
        upgraded.catch_up()
        again = upgraded.view.scorecard("a1", OCTOBER)
        assert (again.rulebook_version, again.total) == (1, Decimal("98.00"))
        november = promote(upgraded, "a1", day(2, 11), "moments", "m-3")
        assert not november.scored

        published = upgraded.app.publish_rulebook(
            ADMIN, shipped_rulebook(FIRST_EDITION), NOVEMBER
        )
        assert (published.rulebook_id, published.version) == ("songsong-2019", 2)
        later = promote(upgraded, "a1", day(2, 11), "friends", "f-3")
        assert (later.scored, later.reason) == (True, None)
        upgraded.catch_up()
        october = upgraded.view.scorecard("a1", OCTOBER)
        assert (october.rulebook_version, october.total) == (1, Decimal("98.00"))
        scored = upgraded.view.scorecard("a1", NOVEMBER)
        # v2 from November: moments 2 + friends 2; no orders (no data: 0)
        assert scored.rulebook_version == 2
        assert subtotals(scored)["promotion"] == 4
        assert scored.total == Decimal("94.00")
    finally:
        upgraded.close()


@pytest.mark.parametrize("edition", ["songsong-2019", "songsong-2019-v2"])
def test_an_order_submitted_says_whether_the_rules_score_it(
    store_config, monkeypatch, edition
):
    monkeypatch.setattr(
        Runtime, "first_edition", None if edition == "songsong-2019" else edition
    )
    runtime = opened(store_config, Today())
    try:
        answer = order(runtime, "O-9", day(1), "100")
        if edition == "songsong-2019":
            assert not answer.scored
            assert answer.reason.startswith("no rule item of songsong-2019 v1 reads ")
            assert "valid_order_share" in answer.reason
        else:
            assert (answer.scored, answer.reason) == (True, None)
    finally:
        runtime.close()
