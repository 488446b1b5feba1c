"""The pure scoring function: rule items turned into points, caps and floors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.rulebook import Rulebook, shipped_rulebook
from domain.scoring import Occurred, score

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
