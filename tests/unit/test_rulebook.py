"""The shipped songsong-2019 rulebook and the invariants every rulebook keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import RulebookError
from domain.rulebook import (
    Assessor,
    Credit,
    MissingRatings,
    Mode,
    Occurrence,
    Rulebook,
    Severity,
    shipped_rulebook,
)

SONGSONG = shipped_rulebook("songsong-2019")


def test_songsong_has_the_four_categories_of_scheme_b():
    assert [(c.code, c.max, c.mode) for c in SONGSONG.categories] == [
        ("hr", 10, Mode.DEDUCT),
        ("business", 50, Mode.DEDUCT),
        ("orders", 30, Mode.DEDUCT),
        ("promotion", 10, Mode.DEDUCT),
    ]


def test_a_complaint_costs_three_business_points_per_occurrence():
    assert SONGSONG.category_of("complaint").code == "business"
    assert SONGSONG.item("complaint").points == Decimal(-3)
    assert not SONGSONG.item("complaint").once_per_month


def test_a_missed_sales_target_costs_five_business_points_once_a_month():
    item = SONGSONG.item("target_missed")
    assert (item.points, item.once_per_month) == (Decimal(-5), True)
    assert SONGSONG.category_of("target_missed").code == "business"


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("late_early", "hr"),
        ("leave_day", "hr"),
        ("conduct_breach", "hr"),
        ("execution_failure", "hr"),
        ("training_missed", "hr"),
        ("impolite_language", "business"),
        ("script_not_used", "business"),
        ("slow_reply", "business"),
        ("follow_up_missed", "business"),
        ("customer_info_missing", "business"),
    ],
)
def test_the_hr_and_business_items_of_the_brief_are_rule_items(code, category):
    assert SONGSONG.category_of(code).code == category


def test_values_the_source_does_not_give_are_marked_as_defaults():
    assert SONGSONG.item("late_early").default
    assert not SONGSONG.item("complaint").default
    assert all(i.source for c in SONGSONG.categories for i in c.items)


def _book(*maxima: str, items=()):
    return {
        "id": "x",
        "name": "X",
        "categories": [
            {
                "code": f"c{n}",
                "name": f"C{n}",
                "max": m,
                "items": list(items) if n == 0 else [],
            }
            for n, m in enumerate(maxima)
        ],
    }


def test_a_rulebook_whose_maxima_do_not_add_up_to_100_is_refused():
    with pytest.raises(RulebookError, match="add up to 90"):
        Rulebook.from_dict(_book("50", "40"))


def test_an_item_code_defined_twice_is_refused():
    item = {"code": "dup", "name": "D", "points": "-1"}
    with pytest.raises(RulebookError, match="'dup' is defined twice"):
        Rulebook.from_dict(_book("100", items=[item, item]))


def test_the_rulebook_doc_lists_every_item_of_both_schemes_with_its_points():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    doc = (docs / "rulebooks.md").read_text("utf-8")
    shipped = ("songsong-2019-v2", "online-cs")
    for rulebook in (SONGSONG, *(shipped_rulebook(name) for name in shipped)):
        for category, item in rulebook.items():
            row = f"| `{item.code}` | `{category.code}` | {item.kind} |"
            assert row in doc, item.code
            if isinstance(item, Occurrence):
                line = next(x for x in doc.splitlines() if row in x)
                assert f"| {item.points} per" in line, item.code


def one_category(*items: dict, mode: str = "deduct", **fields) -> dict:
    category = {"code": "a", "name": "A", "max": "100", "mode": mode}
    return {
        "id": "x",
        "name": "X",
        "categories": [{**category, "items": list(items)}],
        **fields,
    }


def test_a_document_is_read_with_every_field_it_gives():
    document = one_category(
        {
            "code": "slip",
            "name": "Slip",
            "source": "handbook 2.1",
            "default": True,
            "points": "-2",
            "once_per_month": True,
            "monthly_cap": "6",
            "fine": "50",
            "severities": [{"code": "severe", "points": "-4", "fine": "200"}],
        },
        source="handbook",
        grades=[{"code": "B", "min_total": "80"}, {"code": "A", "min_total": "90"}],
        money={
            "currency": "EUR",
            "commission_base": "1500",
            "quarter_rewards": ["30", "20.5"],
        },
        bottom_group=2,
        min_working_days=12,
        dispute_days=7,
    )
    rulebook = Rulebook.from_dict(document, version=3)
    assert (rulebook.id, rulebook.version, rulebook.name, rulebook.source) == (
        "x",
        3,
        "X",
        "handbook",
    )
    assert rulebook.ref == "x v3"
    assert [(g.code, g.min_total) for g in rulebook.grades] == [("A", 90), ("B", 80)]
    assert (rulebook.currency, rulebook.commission_base, rulebook.quarter_rewards) == (
        "EUR",
        Decimal(1500),
        (Decimal(30), Decimal("20.5")),
    )
    assert (rulebook.bottom_group, rulebook.min_working_days) == (2, 12)
    assert rulebook.dispute_days == 7
    item = rulebook.item("slip")
    assert (item.name, item.source, item.default) == ("Slip", "handbook 2.1", True)
    assert (item.points, item.once_per_month, item.monthly_cap, item.fine) == (
        Decimal(-2),
        True,
        Decimal(6),
        Decimal(50),
    )
    assert item.severity("severe") == Severity(
        code="severe", points=Decimal(-4), fine=Decimal(200)
    )
    assert item.severity("mild") is None


def test_fields_a_document_leaves_out_take_their_defaults():
    rulebook = Rulebook.from_dict(
        one_category({"code": "slip", "name": "Slip", "points": "-2"})
    )
    assert (rulebook.version, rulebook.source, rulebook.grades) == (1, "", ())
    assert (rulebook.currency, rulebook.commission_base, rulebook.quarter_rewards) == (
        "CNY",
        0,
        (),
    )
    assert (rulebook.bottom_group, rulebook.min_working_days) == (3, 10)
    assert rulebook.dispute_days is None
    assert rulebook.categories[0].mode is Mode.DEDUCT
    item = rulebook.item("slip")
    assert type(item) is Occurrence
    assert (item.source, item.default, item.once_per_month) == ("", False, False)
    assert (item.monthly_cap, item.fine, item.severities) == (None, 0, ())


def test_a_rating_item_spreads_missing_weight_unless_told_otherwise():
    review = rating(
        max_points="100",
        scale_max="5",
        weights={"supervisor": "0.75", "peer": "0.25"},
    )
    item = Rulebook.from_dict(accumulating(review)).item("review")
    assert item.missing is MissingRatings.RENORMALISE
    assert (item.max_points, item.scale_max) == (Decimal(100), Decimal(5))
    assert item.weights == (
        (Assessor.SUPERVISOR, Decimal("0.75")),
        (Assessor.PEER, Decimal("0.25")),
    )


@pytest.mark.parametrize("scale_max", ["1", "0.5", "10"])
def test_any_positive_rating_scale_is_accepted(scale_max):
    rulebook = Rulebook.from_dict(accumulating(rating(scale_max=scale_max)))
    assert rulebook.item("review").scale_max == Decimal(scale_max)


def test_a_credit_item_is_read_as_a_credit():
    credit = {"code": "promo", "name": "Promo", "kind": "credit", "points": "2"}
    rulebook = Rulebook.from_dict(one_category(credit, mode="accumulate"))
    assert isinstance(rulebook.item("promo"), Credit)


def test_a_category_may_have_a_maximum_below_one_point():
    document = _book("0.5", "99.5")
    assert [c.max for c in Rulebook.from_dict(document).categories] == [
        Decimal("0.5"),
        Decimal("99.5"),
    ]


def test_the_rulebook_keeps_its_document_as_json_and_fingerprints_it():
    document = one_category({"code": "slip", "name": "Slip", "points": Decimal(-2)})
    rulebook = Rulebook.from_dict(document)
    assert rulebook.document["categories"][0]["items"][0]["points"] == "-2"
    assert rulebook.document["id"] == "x"
    same = Rulebook.from_dict(
        one_category({"code": "slip", "name": "Slip", "points": "-2"})
    )
    other = Rulebook.from_dict(
        one_category({"code": "slip", "name": "Slip", "points": "-3"})
    )
    assert rulebook.digest == same.digest != other.digest


def test_looking_up_an_unknown_item_finds_nothing():
    assert SONGSONG.item("no_such_item") is None
    assert SONGSONG.category_of("no_such_item") is None


def test_every_rule_item_is_listed_with_its_category():
    listed = [(c.code, i.code) for c, i in SONGSONG.items()]
    assert listed == [(c.code, i.code) for c in SONGSONG.categories for i in c.items]
    assert ("business", "complaint") in listed


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", "A"),
        ("90", "A"),
        ("89.99", "B"),
        ("80", "B"),
        ("70", "C"),
        ("69.99", "D"),
        ("0", "D"),
    ],
)
def test_a_total_exactly_on_a_grade_threshold_gets_that_grade(total, grade):
    assert SONGSONG.grade_for(Decimal(total)) == grade


def test_a_total_below_every_grade_has_no_grade():
    document = one_category(grades=[{"code": "pass", "min_total": "60"}])
    rulebook = Rulebook.from_dict(document)
    assert rulebook.grade_for(Decimal("59.99")) is None
    assert rulebook.grade_for(Decimal(60)) == "pass"
    assert Rulebook.from_dict(one_category()).grade_for(Decimal(100)) is None


BANDS = {
    "code": "conv",
    "name": "Conversion",
    "kind": "metric_bands",
    "metric": "conversion_rate",
    "bands": [
        {"min": "0.5", "max": "0.8", "points": "8"},
        {"min": "0.2", "max": "0.5", "points": "5"},
        {"max": "0.2", "points": "1"},
    ],
}


@pytest.mark.parametrize(
    ("value", "earned"),
    [
        ("-5", 1),
        ("0.1999", 1),
        ("0.2", 5),  # a band's low edge is in it
        ("0.4999", 5),
        ("0.5", 8),  # its high edge is in the next band
        ("0.7999", 8),
        ("0.8", None),  # beyond the last band's high edge
        ("3", None),
    ],
)
def test_a_band_holds_its_low_edge_but_not_its_high_edge(value, earned):
    item = Rulebook.from_dict(one_category(BANDS, mode="accumulate")).item("conv")
    band = item.band_for(Decimal(value))
    assert (band.points if band else None) == earned


def test_bands_are_kept_from_the_lowest_up():
    item = Rulebook.from_dict(one_category(BANDS, mode="accumulate")).item("conv")
    assert [(b.low, b.high) for b in item.bands] == [
        (None, Decimal("0.2")),
        (Decimal("0.2"), Decimal("0.5")),
        (Decimal("0.5"), Decimal("0.8")),
    ]


ITEM = "categories.0.items.0"


def occurrence(**fields) -> dict:
    return {"code": "slip", "name": "Slip", "points": "-1", **fields}


def bands(*ranges: tuple[str | None, str | None], points="0") -> dict:
    return {
        "code": "conv",
        "name": "Conversion",
        "kind": "metric_bands",
        "metric": "conversion_rate",
        "bands": [
            {
                **({"min": low} if low else {}),
                **({"max": high} if high else {}),
                "points": points,
            }
            for low, high in ranges
        ],
    }


def scale(start: str = "0", end: str = "10", points=("0", "5")) -> dict:
    return {
        "code": "speed",
        "name": "Speed",
        "kind": "metric_scale",
        "metric": "response_seconds",
        "from": {"value": start, "points": points[0]},
        "to": {"value": end, "points": points[1]},
    }


def rating(**fields) -> dict:
    return {
        "code": "review",
        "name": "Review",
        "kind": "rating",
        "max_points": "20",
        "scale_max": "100",
        "weights": {"supervisor": "1"},
        **fields,
    }


def accumulating(item: dict) -> dict:
    return one_category(item, mode="accumulate")


def categories(*categories) -> dict:
    return {"id": "x", "name": "X", "categories": list(categories)}


HALF = {"code": "a", "name": "A", "max": "50"}
REFUSALS = [
    # the document as a whole
    (categories(), "categories", "a rulebook needs at least one category"),
    ({"id": "x", "name": "X"}, "categories", "a rulebook needs at least one category"),
    ({"id": "x", "name": "X", "categories": {}}, "categories", "must be a list"),
    (categories("a"), "categories.0", "must be an object"),
    ({"name": "X", "categories": [HALF, {**HALF, "code": "b"}]}, "id", "is required"),
    ({"id": "x", "categories": [HALF, {**HALF, "code": "b"}]}, "name", "is required"),
    (categories(HALF, HALF), "categories", "category code 'a' is defined twice"),
    (
        one_category(occurrence(), occurrence()),
        "categories",
        "rule item code 'slip' is defined twice",
    ),
    (
        one_category(grades=[{"code": "A", "min_total": "9"}, {"code": "B"}]),
        "grades.1.min_total",
        "is required",
    ),
    (
        one_category(grades=[{"min_total": "9"}]),
        "grades.0.code",
        "is required",
    ),
    (
        one_category(
            grades=[{"code": "A", "min_total": "90"}, {"code": "B", "min_total": "90"}]
        ),
        "grades",
        "two grades share a min_total",
    ),
    # categories
    (categories({"name": "A", "max": "100"}), "categories.0.code", "is required"),
    (categories({"code": "a", "max": "100"}), "categories.0.name", "is required"),
    (categories({"code": "a", "name": "A"}), "categories.0.max", "is required"),
    (categories({**HALF, "max": "0"}), "categories.0.max", "must be more than 0"),
    (categories({**HALF, "max": "-1"}), "categories.0.max", "must be more than 0"),
    (
        categories({**HALF, "max": "lots"}),
        "categories.0.max",
        "'lots' is not a number",
    ),
    (categories({**HALF, "max": "NaN"}), "categories.0.max", "'NaN' is not a number"),
    (
        categories({**HALF, "max": "Infinity"}),
        "categories.0.max",
        "'Infinity' is not a number",
    ),
    (categories({**HALF, "max": True}), "categories.0.max", "True is not a number"),
    (
        categories({**HALF, "max": "100", "mode": "sideways"}),
        "categories.0.mode",
        "must be 'deduct' or 'accumulate'",
    ),
    (
        categories({**HALF, "max": "100", "items": "slip"}),
        "categories.0.items",
        "must be a list",
    ),
    # every kind of item
    (one_category({"name": "Slip", "points": "-1"}), f"{ITEM}.code", "is required"),
    (one_category({"code": "slip", "points": "-1"}), f"{ITEM}.name", "is required"),
    (
        one_category(occurrence(kind="lottery")),
        f"{ITEM}.kind",
        "unknown kind 'lottery'",
    ),
    # occurrences and credits
    (one_category({"code": "s", "name": "S"}), f"{ITEM}.points", "is required"),
    (
        one_category(occurrence(points="-one")),
        f"{ITEM}.points",
        "'-one' is not a number",
    ),
    (
        one_category(occurrence(monthly_cap="0")),
        f"{ITEM}.monthly_cap",
        "must be more than 0",
    ),
    (
        one_category(occurrence(fine="much")),
        f"{ITEM}.fine",
        "'much' is not a number",
    ),
    (
        one_category(occurrence(severities={"code": "severe"})),
        f"{ITEM}.severities",
        "must be a list",
    ),
    (
        one_category(occurrence(severities=[{"code": "severe"}])),
        f"{ITEM}.severities.0.points",
        "is required",
    ),
    (
        one_category(occurrence(points="0.5")),
        f"{ITEM}.points",
        "must not be positive in a deduct category",
    ),
    (
        one_category(occurrence(severities=[{"code": "severe", "points": "1"}])),
        f"{ITEM}.severities.0.points",
        "must not be positive in a deduct category",
    ),
    (
        one_category(occurrence(kind="credit", points="2")),
        ITEM,
        "a credit item belongs in an accumulate category",
    ),
    (
        accumulating(occurrence(kind="credit", points="-0.5")),
        f"{ITEM}.points",
        "must not be negative in an accumulate category",
    ),
    # metric bands
    (one_category(bands()), f"{ITEM}.bands", "needs at least one band"),
    (
        accumulating({**bands(("0", None)), "bands": None}),
        f"{ITEM}.bands",
        "must be a list",
    ),
    (
        accumulating(bands(("0", "0.5"), ("0.4", None))),
        f"{ITEM}.bands",
        "bands overlap",
    ),
    (
        accumulating(bands(("0", None), ("0.5", None))),
        f"{ITEM}.bands",
        "bands overlap",
    ),
    (
        accumulating(bands((None, "0.2"), (None, "0.5"))),
        f"{ITEM}.bands",
        "bands overlap",
    ),
    (
        accumulating(bands(("0", "1"), points="-1")),
        f"{ITEM}.bands.0.points",
        "must not be negative in an accumulate category",
    ),
    (
        one_category(bands(("0", "1"), points="1")),
        f"{ITEM}.bands.0.points",
        "must not be positive in a deduct category",
    ),
    # metric scales
    (
        accumulating(scale("10", "10.0")),
        f"{ITEM}.to.value",
        "the two thresholds must differ",
    ),
    (
        accumulating(scale(points=("-1", "5"))),
        f"{ITEM}.from.points",
        "must not be negative in an accumulate category",
    ),
    (
        accumulating(scale(points=("5", "-1"))),
        f"{ITEM}.to.points",
        "must not be negative in an accumulate category",
    ),
    (
        one_category(scale(points=("0", "1"))),
        f"{ITEM}.to.points",
        "must not be positive in a deduct category",
    ),
    # ratings
    (
        accumulating(rating(weights={})),
        f"{ITEM}.weights",
        "must map assessors to weights",
    ),
    (
        accumulating(rating(weights=["supervisor"])),
        f"{ITEM}.weights",
        "must map assessors to weights",
    ),
    (
        accumulating(rating(weights={"boss": "1"})),
        f"{ITEM}.weights",
        "unknown assessor 'boss'",
    ),
    (
        accumulating(rating(weights={"self": "0.5", "peer": "0.4"})),
        f"{ITEM}.weights",
        "weights must be non-negative and add up to 1",
    ),
    (
        accumulating(rating(weights={"self": "-0.5", "peer": "1.5"})),
        f"{ITEM}.weights",
        "weights must be non-negative and add up to 1",
    ),
    (
        accumulating(rating(missing="sometimes")),
        f"{ITEM}.missing",
        "must be 'renormalise' or 'incomplete'",
    ),
    (accumulating(rating(scale_max="0")), f"{ITEM}.scale_max", "must be more than 0"),
    (
        accumulating(rating(scale_max="-5")),
        f"{ITEM}.scale_max",
        "must be more than 0",
    ),
    (
        accumulating(rating(max_points="-20")),
        f"{ITEM}.max_points",
        "must not be negative in an accumulate category",
    ),
    (one_category(rating()), ITEM, "a rating item belongs in an accumulate category"),
]


@pytest.mark.parametrize(("document", "field", "message"), REFUSALS)
def test_a_document_that_breaks_a_rule_is_refused_naming_the_field_and_why(
    document, field, message
):
    with pytest.raises(RulebookError) as refused:
        Rulebook.from_dict(document)
    assert (refused.value.field, str(refused.value)) == (field, f"{field}: {message}")
