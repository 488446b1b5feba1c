"""The pure scoring function: rule items turned into points, caps and floors."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.rulebook import Assessor, Rulebook, shipped_document, shipped_rulebook
from domain.scoring import MetricSample, Occurred, Rated, points, score

SONGSONG = shipped_rulebook()


def fact(
    item: str,
    position: int,
    quantity: int = 1,
    day: int = 5,
    severity: str | None = None,
) -> Occurred:
    return Occurred(
        fact_id=f"f{position}",
        event_id=f"e{position}:1",
        position=position,
        item=item,
        quantity=quantity,
        severity=severity,
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
    severe = fact("complaint", 1, severity="severe")
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


# Rounding, lines and what a scorecard says about itself


def book(*categories: dict, **fields) -> Rulebook:
    """A rulebook of the given categories; a last category takes up the rest of
    the 100 points."""
    rest = 100 - sum(Decimal(c["max"]) for c in categories)
    extra = [{"code": "rest", "name": "Rest", "max": str(rest)}] if rest else []
    return Rulebook.from_dict(
        {"id": "book", "name": "Book", "categories": [*categories, *extra], **fields}
    )


def deduct(*items: dict, maximum: str = "50") -> dict:
    return {"code": "d", "name": "Deduct", "max": maximum, "items": list(items)}


def accumulate(*items: dict, maximum: str = "50") -> dict:
    return {
        "code": "acc",
        "name": "Accumulate",
        "max": maximum,
        "mode": "accumulate",
        "items": list(items),
    }


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.125", "0.13"),
        ("-0.125", "-0.13"),
        ("2.675", "2.68"),
        ("0.124999", "0.12"),
        ("-0.005", "-0.01"),
        ("7", "7.00"),
    ],
)
def test_points_are_rounded_to_hundredths_half_up(value, rounded):
    assert str(points(Decimal(value))) == rounded


def test_commission_is_rounded_to_the_cent_half_up():
    # commission: 0.5 x 97 / 100 = 0.485 -> 0.49 (half even would give 0.48)
    rulebook = book(
        deduct({"code": "slip", "name": "Slip", "points": "-3"}),
        money={"commission_base": "0.5"},
    )
    card = score(rulebook, [fact("slip", 1)])
    assert (card.total, card.commission) == (Decimal(97), Decimal("0.49"))


def test_a_line_of_half_a_hundredth_rounds_away_from_zero():
    # a scale of 0 -> 0 and 1000 -> 1 point: 5 is worth 0.005 -> 0.01
    rulebook = book(
        accumulate(
            {
                "code": "calls",
                "name": "Calls",
                "kind": "metric_scale",
                "metric": "order_count",
                "from": {"value": "0", "points": "0"},
                "to": {"value": "1000", "points": "1"},
            }
        )
    )
    card = score(rulebook, [sample("order_count", 5, 0, 1)])
    assert line_of(card, "calls").points == Decimal("0.01")
    assert card.category("acc").score == Decimal("0.01")


def test_a_scorecard_names_the_rulebook_version_and_currency_it_was_scored_under():
    rulebook = Rulebook.from_dict(
        {
            "id": "euro",
            "name": "Euro",
            "categories": [{"code": "a", "name": "A", "max": "100"}],
            "money": {"currency": "EUR"},
        },
        version=4,
    )
    card = score(rulebook, [])
    assert (card.rulebook_id, card.rulebook_version, card.currency) == (
        "euro",
        4,
        "EUR",
    )


def test_each_category_score_carries_the_categorys_name_maximum_and_mode():
    card = score(ONLINE, [])
    assert [(c.code, c.name, c.max, c.mode) for c in card.categories] == [
        (c.code, c.name, c.max, c.mode) for c in ONLINE.categories
    ]


def test_an_accumulate_category_starts_from_zero_and_a_deduct_one_from_its_maximum():
    card = score(ONLINE, [])
    assert {c.code: c.score for c in card.categories} == {
        "chat": 0,
        "orders": 0,
        "other": 10,
        "management": 15,
        "standards": 10,
        "assessment": 0,
    }
    assert card.total == Decimal(35)


def test_an_unscored_line_names_the_item_it_was_recorded_for():
    (line,) = score(SONGSONG, [fact("retired_item", 1)]).unscored
    assert (line.item, line.item_name, line.fact.fact_id) == (
        "retired_item",
        "retired_item",
        "f1",
    )


def test_an_occurrence_line_names_its_rule_item_and_has_no_remark():
    (line,) = category(score(SONGSONG, [fact("complaint", 1)]), "business").lines
    item = SONGSONG.item("complaint")
    assert (line.item, line.item_name, line.remark) == ("complaint", item.name, "")


def test_a_once_a_month_item_lists_every_later_occurrence_at_zero():
    card = score(
        SONGSONG,
        [fact("target_missed", 1), fact("target_missed", 2), fact("target_missed", 3)],
    )
    lines = category(card, "business").lines
    name = SONGSONG.item("target_missed").name
    assert [(x.item, x.item_name, x.points, x.fact.fact_id) for x in lines] == [
        ("target_missed", name, Decimal(-5), "f1"),
        ("target_missed", name, Decimal(0), "f2"),
        ("target_missed", name, Decimal(0), "f3"),
    ]


def test_a_once_a_month_item_recorded_with_quantity_2_counts_once():
    card = score(SONGSONG, [fact("target_missed", 1, quantity=2)])
    (line,) = category(card, "business").lines
    assert line.points == Decimal(-5)
    assert card.total == Decimal(95)


def dispute_settled(item: str, position: int, settled: str, quantity: int = 1):
    return Occurred(
        fact_id=f"f{position}",
        event_id=f"e{position}:2",
        position=position,
        item=item,
        quantity=quantity,
        points=Decimal(settled),
        occurred_on=date(2026, 10, 5),
        recorded_by="sup-t1",
        recorded_at=datetime(2026, 10, 5, 9, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("settled", "total"), [("-1", "99"), ("0", "100"), ("-4.5", "95.5")]
)
def test_points_set_by_a_dispute_replace_the_items_points(settled, total):
    card = score(SONGSONG, [dispute_settled("complaint", 1, settled, quantity=3)])
    (line,) = category(card, "business").lines
    assert line.points == Decimal(settled)
    assert line.remark == "points set when a dispute was resolved"
    assert card.total == Decimal(total)


def capped(points_each: str, cap: str) -> Rulebook:
    return book(
        deduct(
            {"code": "slow", "name": "Slow", "points": points_each, "monthly_cap": cap}
        )
    )


def test_a_fact_that_brings_an_item_exactly_to_its_cap_counts_in_full():
    card = score(capped("-1", "2"), [fact("slow", 1), fact("slow", 2), fact("slow", 3)])
    lines = category(card, "d").lines
    assert [(x.points, x.remark) for x in lines] == [
        (Decimal(-1), ""),
        (Decimal(-1), ""),
        (Decimal(0), "monthly cap of 2 reached"),
    ]
    assert {x.item_name for x in lines} == {"Slow"}


def test_a_line_the_cap_leaves_nothing_shows_zero_not_minus_zero():
    card = score(capped("-2", "3"), [fact("slow", 1), fact("slow", 2), fact("slow", 3)])
    shown = [str(x.points) for x in category(card, "d").lines]
    assert shown == ["-2.00", "-1.00", "0.00"]


def test_a_fine_is_multiplied_by_the_quantity():
    severe = fact("complaint", 1, quantity=2, severity="severe")
    card = score(SONGSONG, [severe])
    assert line_of(card, "complaint").fine == Decimal(400)
    assert (card.total, card.fines) == (Decimal(94), Decimal(400))


def test_a_sum_metric_is_the_sum_of_its_numerators_whatever_the_denominators():
    # order amount: 30000 + 20000 = 50000 on the 0 -> 0 .. 100000 -> 7 scale: 3.5
    card = score(
        ONLINE,
        [sample("order_amount", 30000, 3, 1), sample("order_amount", 20000, 0, 2)],
    )
    line = line_of(card, "order_amount")
    assert line.points == Decimal("3.50")
    assert dict(line.inputs)["value"] == "50000.0000"
    assert "order_amount" not in card.missing


def test_a_metric_without_data_says_so_on_a_line_without_facts():
    line = line_of(score(ONLINE, []), "conversion_rate")
    assert (line.item, line.item_name, line.remark, line.facts) == (
        "conversion_rate",
        ONLINE.item("conversion_rate").name,
        "no data for conversion_rate",
        (),
    )


def test_a_metric_line_shows_its_inputs_and_the_band_it_fell_in():
    card = score(
        ONLINE,
        [sample("conversion_rate", 30, 60, 1), sample("conversion_rate", 15, 40, 2)],
    )
    line = line_of(card, "conversion_rate")
    assert (line.item_name, line.remark) == (ONLINE.item("conversion_rate").name, "")
    assert line.inputs == (
        ("metric", "conversion_rate"),
        ("numerator", "45"),
        ("denominator", "100"),
        ("value", "0.4500"),
        ("band", "[0.4, 0.5)"),
    )


@pytest.mark.parametrize(
    ("numerator", "value", "band", "earned"),
    [
        (12345, "0.1235", "[-inf, 0.2)", 0),  # value shown rounded half up
        (12344, "0.1234", "[-inf, 0.2)", 0),
        (90000, "0.9000", "[0.5, inf)", 8),
    ],
)
def test_open_bands_show_infinite_ends(numerator, value, band, earned):
    line = line_of(
        score(ONLINE, [sample("conversion_rate", numerator, 100000, 1)]),
        "conversion_rate",
    )
    assert (dict(line.inputs)["value"], dict(line.inputs)["band"]) == (value, band)
    assert line.points == earned


def test_a_value_outside_every_band_earns_nothing_and_says_so():
    rulebook = book(
        accumulate(
            {
                "code": "conv",
                "name": "Conversion",
                "kind": "metric_bands",
                "metric": "conversion_rate",
                "bands": [{"min": "0.2", "max": "0.5", "points": "5"}],
            }
        )
    )
    inside = line_of(score(rulebook, [sample("conversion_rate", 3, 10, 1)]), "conv")
    outside = line_of(score(rulebook, [sample("conversion_rate", 7, 10, 1)]), "conv")
    assert (inside.points, dict(inside.inputs)["band"]) == (5, "[0.2, 0.5)")
    assert (outside.points, dict(outside.inputs)["band"]) == (0, "outside every band")


def test_a_scale_line_shows_the_scale_it_was_read_on():
    line = line_of(
        score(ONLINE, [sample("response_seconds", 30, 1, 1)]), "response_time"
    )
    assert line.item_name == ONLINE.item("response_time").name
    assert line.points == Decimal("4.80")  # 6 - 6 x (30 - 15) / 75
    assert line.inputs == (
        ("metric", "response_seconds"),
        ("numerator", "30"),
        ("denominator", "1"),
        ("value", "30.0000"),
        ("scale", "15->6 .. 90->0"),
    )


def test_a_rating_line_without_ratings_says_so_and_marks_the_card_incomplete():
    card = score(ONLINE, [])
    line = line_of(card, "assessment")
    assert (line.item_name, line.points, line.remark, line.facts) == (
        ONLINE.item("assessment").name,
        0,
        "no ratings",
        (),
    )
    assert line.inputs == (
        ("self", "not rated"),
        ("supervisor", "not rated"),
        ("peer", "not rated"),
    )
    assert "assessment" in card.missing


def test_a_rating_line_points_to_the_ratings_it_averaged():
    facts = [
        rating("supervisor", "sup", 50, 1),
        rating("peer", "p1", 60, 2),
        rating("supervisor", "sup", 80, 3),
        rating("peer", "p2", 80, 4),
    ]
    line = line_of(score(ONLINE, facts), "assessment")
    assert sorted(f.fact_id for f in line.facts) == ["r2", "r3", "r4"]
    assert line.remark == ""
    assert line.inputs == (
        ("supervisor", "avg 80.00 x weight 0.7059"),
        ("peer", "avg 70.00 x weight 0.2941"),
        ("self", "not rated"),
    )


def rated_by_supervisor_only(scale_max: str) -> Rulebook:
    return book(
        accumulate(
            {
                "code": "review",
                "name": "Review",
                "kind": "rating",
                "max_points": "10",
                "scale_max": scale_max,
                "weights": {"supervisor": "1", "self": "0"},
            },
            maximum="10",
        )
    )


def test_ratings_of_an_assessor_without_weight_are_not_behind_the_rating_line():
    facts = [rating("supervisor", "sup", 80, 1), rating("self", "a1", 10, 2)]
    card = score(rated_by_supervisor_only("100"), facts)
    line = line_of(card, "review")
    assert [f.fact_id for f in line.facts] == ["r1"]
    assert line.points == Decimal(8)
    assert line.inputs == (("supervisor", "avg 80.00 x weight 1.0000"),)


def test_ratings_on_a_scale_of_1_are_fractions_of_the_points():
    card = score(
        rated_by_supervisor_only("1"), [rating("supervisor", "sup", "0.75", 1)]
    )
    assert line_of(card, "review").points == Decimal("7.50")


@pytest.mark.parametrize(
    ("slips", "total", "grade"),
    [(10, "90", "A"), (11, "89", "B"), (20, "80", "B"), (21, "79", "C")],
)
def test_a_total_exactly_on_a_grade_threshold_gets_that_grade(slips, total, grade):
    # script_not_used costs one business point per occurrence
    card = score(SONGSONG, [fact("script_not_used", 1, quantity=slips)])
    assert (card.total, card.grade) == (Decimal(total), grade)
