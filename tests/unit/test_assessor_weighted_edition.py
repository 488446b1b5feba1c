"""Scheme A's two readings of the 360 weights, on one agent-month: the worked
example of docs/rulebooks.md."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain.facts import Assessor, MetricSample, Occurred, Rated
from domain.rulebook import shipped_rulebook
from domain.scoring import score

PLACE = {"event_id": "", "occurred_on": date(2026, 10, 15), "recorded_by": "t",
         "recorded_at": datetime(2026, 10, 15)}  # fmt: skip


def month() -> list:
    facts: list = []

    def add(kind, **values):
        n = len(facts) + 1
        facts.append(kind(fact_id=f"f{n}", position=n, **PLACE, **values))

    for metric, numerator, denominator in (
        ("conversion_rate", 45, 100),
        ("response_seconds", 2000, 100),  # 20 s on average
        ("churn_rate", 3, 100),
        ("order_amount", 50000, 1),
        ("valid_order_share", 19, 20),
        ("payment_ratio", 18, 20),
        ("refund_ratio", 1, 18),
        ("average_order_value", 50000, 20),
        ("complaint_share", 0, 20),
        ("abnormal_order_share", 1, 20),
        ("exam_score", 85, 1),
    ):
        add(MetricSample, metric=metric, numerator=Decimal(numerator),
            denominator=Decimal(denominator))  # fmt: skip
    add(Occurred, item="report_late")
    add(Occurred, item="late_early", quantity=2)
    for assessor, rater, value in (
        (Assessor.SELF, "a1", 80),
        (Assessor.SUPERVISOR, "sup", 70),
        (Assessor.PEER, "p1", 90),
        (Assessor.PEER, "p2", 70),
    ):
        add(Rated, assessor=assessor, rater=rater, value=Decimal(value))
    return facts


def subtotals(card) -> dict[str, Decimal]:
    return {c.code: c.score for c in card.categories}


def test_online_cs_weighs_the_assessors_inside_its_20_point_360_category():
    card = score(shipped_rulebook("online-cs"), month())
    assert subtotals(card) == {
        "chat": Decimal("17.60"),  # 6 + 6 x 70 / 75 + 6
        "orders": Decimal("19.50"),  # 3.5 + 5 + 5 + 2 + 4
        "other": Decimal("5.00"),  # 10 - 5 (abnormal share 0.05)
        "management": Decimal("12.00"),  # 15 - 3 (a late report)
        "standards": Decimal("6.00"),  # 10 - 2 (exam 85) - 1 x 2 (late twice)
        "assessment": Decimal("14.80"),  # 20 x (.15 x .8 + .6 x .7 + .25 x .8)
    }
    assert card.total == Decimal("74.90")


def test_online_cs_by_assessor_weighs_the_whole_appraisal_15_60_25():
    card = score(shipped_rulebook("online-cs-by-assessor"), month())
    assert subtotals(card) == {
        "self": Decimal("12.00"),  # 15 x 80 / 100
        "chat": Decimal("10.56"),  # 0.6 x 17.6
        "orders": Decimal("11.70"),  # 0.6 x 19.5
        "other": Decimal("3.00"),  # 6 - 3
        "management": Decimal("7.20"),  # 9 - 1.8
        "standards": Decimal("3.60"),  # 6 - 1.2 - 0.6 x 2
        "supervisor": Decimal("8.40"),  # 12 x 70 / 100
        "peer": Decimal("20.00"),  # 25 x (90 + 70) / 2 / 100
    }
    # 0.15 x 80 (self) + 0.60 x (60.1 + 14) (the superior's appraisal out of
    # 100: the data's 80 points and the superior's 20) + 0.25 x 80 (group)
    assert card.total == Decimal("76.46")
    assert not card.missing and not card.unscored
