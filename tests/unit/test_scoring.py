"""The pure scoring function: rule items turned into points, caps and floors."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.rulebook import Assessor, Rulebook, shipped_document, shipped_rulebook
from domain.scoring import MetricSample, Occurred, Rated, score

SONGSONG = shipped_rulebook()


def fact(item: str, position: int, quantity: int = 1, day: int = 5) -> Occurred:
    return Occurred(
        fact_id=f"f{position}",
        event_id=f"e{position}:1",
        position=position,
        item=item,
        quantity=quantity,
        occurred_on=date(2026, 10, day),
        recorded_by="sup-t1",
        recorded_at=datetime(2026, 10, day, 9, tzinfo=UTC),
    )


def category(card, code):
    return card.category(code)


def test_an_empty_month_scores_every_category_at_its_maximum():
    card = score(SONGSONG, [])
    assert card.total == Decimal(100)
    assert {c.code: c.score for c in card.categories} == {
        "hr": 10,
        "business": 50,
        "orders": 30,
        "promotion": 10,
    }


def test_two_complaints_and_a_missed_target_leave_business_39_and_total_89():
    card = score(
        SONGSONG, [fact("complaint", 1), fact("complaint", 2), fact("target_missed", 3)]
    )
    # business: 50 - 3 - 3 - 5 = 39; the other categories are untouched: 10 + 30 + 10
    assert category(card, "business").score == Decimal(39)
    assert card.total == Decimal(89)


def test_each_line_names_the_fact_and_event_behind_it():
    card = score(SONGSONG, [fact("complaint", 7)])
    (line,) = category(card, "business").lines
    assert (line.fact.fact_id, line.fact.event_id, line.fact.position) == (
        "f7",
        "e7:1",
        7,
    )
    assert line.points == Decimal(-3)


def test_quantity_multiplies_the_points_of_an_occurrence():
    card = score(SONGSONG, [fact("late_early", 1, quantity=3)])
    assert category(card, "hr").score == Decimal(7)


def test_a_once_a_month_item_counts_only_its_first_occurrence():
    card = score(SONGSONG, [fact("target_missed", 4), fact("target_missed", 9)])
    first, second = category(card, "business").lines
    assert (first.points, second.points) == (Decimal(-5), Decimal(0))
    assert second.remark == "already counted once this month"
    assert card.total == Decimal(95)


def test_facts_are_applied_in_log_order_whatever_order_they_arrive_in():
    card = score(
        SONGSONG, [fact("target_missed", 9, day=1), fact("target_missed", 4, day=30)]
    )
    lines = category(card, "business").lines
    assert [line.fact.position for line in lines] == [4, 9]
    assert lines[0].points == Decimal(-5)


def test_a_category_never_drops_below_zero():
    card = score(SONGSONG, [fact("leave_day", 1, quantity=25)])
    hr = category(card, "hr")
    assert hr.score == Decimal(0)
    assert hr.floor_applied
    assert card.total == Decimal(90)


def test_a_monthly_cap_limits_what_one_item_can_take():
    rulebook = Rulebook.from_dict(
        {
            "id": "capped",
            "name": "Capped",
            "categories": [
                {
                    "code": "a",
                    "name": "A",
                    "max": "60",
                    "items": [
                        {
                            "code": "slow",
                            "name": "Slow",
                            "points": "-2",
                            "monthly_cap": "5",
                        }
                    ],
                },
                {"code": "b", "name": "B", "max": "40"},
            ],
        }
    )
    card = score(
        rulebook, [fact("slow", 1), fact("slow", 2), fact("slow", 3), fact("slow", 4)]
    )
    assert [line.points for line in category(card, "a").lines] == [-2, -2, -1, 0]
    assert card.total == Decimal(95)


def test_a_fact_whose_item_the_rulebook_lacks_is_listed_as_unscored():
    card = score(SONGSONG, [fact("retired_item", 1)])
    assert card.total == Decimal(100)
    (line,) = card.unscored
    assert line.points == 0
    assert "not a rule item of songsong-2019 v1" in line.remark


@pytest.mark.parametrize("quantity", [1, 2, 17])
def test_totals_are_the_sum_of_category_scores(quantity):
    card = score(
        SONGSONG, [fact("complaint", 1, quantity), fact("late_early", 2, quantity)]
    )
    assert card.total == sum(c.score for c in card.categories)


# Scheme A: metrics, ratings, accumulate categories

ONLINE = shipped_rulebook("online-cs")


def sample(metric: str, numerator, denominator, position: int) -> MetricSample:
    return MetricSample(
        fact_id=f"m{position}",
        event_id=f"m{position}:1",
        position=position,
        occurred_on=date(2026, 10, 1),
        recorded_by="import",
        recorded_at=datetime(2026, 10, 2, tzinfo=UTC),
        metric=metric,
        numerator=Decimal(numerator),
        denominator=Decimal(denominator),
    )


def rating(assessor: str, rater: str, value, position: int) -> Rated:
    return Rated(
        fact_id=f"r{position}",
        event_id=f"r{position}:1",
        position=position,
        occurred_on=date(2026, 10, 31),
        recorded_by=rater,
        recorded_at=datetime(2026, 11, 2, tzinfo=UTC),
        assessor=Assessor(assessor),
        rater=rater,
        value=Decimal(value),
    )


def line_of(card, code):
    return next(line for c in card.categories for line in c.lines if line.item == code)


def test_a_metric_is_the_sum_of_numerators_over_the_sum_of_denominators():
    # conversion: (30 + 15) / (60 + 40) = 0.45 -> band [0.4, 0.5) -> 6 points
    card = score(
        ONLINE,
        [sample("conversion_rate", 30, 60, 1), sample("conversion_rate", 15, 40, 2)],
    )
    line = line_of(card, "conversion_rate")
    assert line.points == Decimal(6)
    assert dict(line.inputs)["value"] == "0.4500"
    assert dict(line.inputs)["band"] == "[0.4, 0.5)"
    assert [f.fact_id for f in line.facts] == ["m1", "m2"]


def test_a_linear_scale_interpolates_and_is_flat_beyond_its_thresholds():
    # response time scale: 15 s -> 6 points, 90 s -> 0 points
    def at(seconds):
        return line_of(
            score(ONLINE, [sample("response_seconds", seconds, 1, 1)]), "response_time"
        ).points

    assert (at(10), at(15), at(52.5), at(90), at(300)) == (6, 6, 3, 0, 0)


def test_a_metric_without_data_scores_nothing_and_marks_the_card_incomplete():
    card = score(ONLINE, [])
    assert line_of(card, "conversion_rate").points == 0
    assert "conversion_rate" in card.missing
    assert not card.complete


def test_ratings_are_weighted_15_60_25_and_peers_are_averaged():
    facts = [
        rating("self", "a1", 90, 1),
        rating("supervisor", "sup", 80, 2),
        rating("peer", "p1", 60, 3),
        rating("peer", "p2", 80, 4),
    ]
    # 20 points x (0.15 x 0.90 + 0.60 x 0.80 + 0.25 x 0.70) = 20 x 0.79 = 15.80
    assert line_of(score(ONLINE, facts), "assessment").points == Decimal("15.80")


def test_a_later_rating_by_the_same_rater_replaces_the_earlier_one():
    facts = [rating("supervisor", "sup", 50, 1), rating("supervisor", "sup", 100, 2)]
    assert line_of(score(ONLINE, facts), "assessment").points == Decimal(20)


def test_a_missing_assessor_is_renormalised_by_default():
    # only the supervisor rated, 80/100: renormalised weight 1 -> 20 x 0.80
    line = line_of(score(ONLINE, [rating("supervisor", "sup", 80, 1)]), "assessment")
    assert line.points == Decimal(16)


def test_a_missing_assessor_counts_zero_when_the_rulebook_says_incomplete():
    document = copy_with_missing_rule("incomplete")
    card = score(Rulebook.from_dict(document), [rating("supervisor", "sup", 80, 1)])
    assert line_of(card, "assessment").points == Decimal("9.60")  # 20 x 0.6 x 0.8
    assert {"assessment:self", "assessment:peer"} <= set(card.missing)


def copy_with_missing_rule(rule: str) -> dict:
    document = copy.deepcopy(shipped_document("online-cs"))
    document["categories"][5]["items"][0]["missing"] = rule
    return document


def test_an_accumulate_category_never_exceeds_its_maximum():
    facts = [
        sample(m, n, d, i)
        for i, (m, n, d) in enumerate(
            [
                ("conversion_rate", 9, 10),
                ("response_seconds", 1, 1),
                ("churn_rate", 0, 10),
            ],
            1,
        )
    ]
    chat = score(ONLINE, facts).category("chat")
    assert chat.score == Decimal(20)  # 8 + 6 + 6


def test_a_severe_complaint_costs_its_points_and_its_fine():
    severe = Occurred(
        fact_id="c",
        event_id="c:1",
        position=1,
        occurred_on=date(2026, 10, 5),
        recorded_by="sup",
        recorded_at=datetime(2026, 10, 5, tzinfo=UTC),
        item="complaint",
        severity="severe",
    )
    card = score(SONGSONG, [severe])
    assert (card.total, card.fines) == (Decimal(97), Decimal(200))
    assert line_of(card, "complaint").remark == "severity severe"


def test_grade_and_commission_follow_the_total():
    card = score(
        SONGSONG,
        [fact("complaint", 1), fact("target_missed", 2), fact("late_early", 3, 5)],
    )
    # total 100 - 3 - 5 - 5 = 87: grade B (80 <= 87 < 90); commission 3000 x 87 / 100
    assert (card.total, card.grade, card.commission) == (
        Decimal(87),
        "B",
        Decimal("2610.00"),
    )
