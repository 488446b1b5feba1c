"""The shipped songsong-2019 rulebook and the invariants every rulebook keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import RulebookError
from domain.rulebook import Mode, Occurrence, Rulebook, shipped_rulebook

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
    for rulebook in (SONGSONG, shipped_rulebook("online-cs")):
        for category, item in rulebook.items():
            row = f"| `{item.code}` | `{category.code}` | {item.kind} |"
            assert row in doc, item.code
            if isinstance(item, Occurrence):
                line = next(x for x in doc.splitlines() if row in x)
                assert f"| {item.points} per" in line, item.code
