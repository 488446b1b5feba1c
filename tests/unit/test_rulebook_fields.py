"""The rulebook document's fields, declared once: the kinds' registry, the
schema and the docs table made from it, and field-level errors for every bad
value (never a TypeError)."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

from domain.errors import RulebookError
from domain.items import Item
from domain.rulebook import (
    TABLE_END,
    TABLE_START,
    Credit,
    MetricBands,
    MetricScale,
    Occurrence,
    RatingItem,
    Rulebook,
    fields_table,
    shipped_document,
    with_fields_table,
)
from web import rulebook_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rulebooks.md"
ITEM = "categories.0.items.0"


def test_each_kind_is_registered_under_its_name_in_the_order_declared():
    assert Item.registry == {
        "occurrence": Occurrence,
        "credit": Credit,
        "metric_bands": MetricBands,
        "metric_scale": MetricScale,
        "rating": RatingItem,
    }


def test_the_schema_takes_each_kinds_fields_from_its_class():
    assert tuple(Item.registry) == rulebook_schema.KINDS
    for name, kind in Item.registry.items():
        keys = {f.key for f in kind.fields}
        assert rulebook_schema.KIND_FIELDS[name] == keys
        assert rulebook_schema.REQUIRED[name] == {
            f.key for f in kind.fields if f.required
        }
        assert keys <= set(rulebook_schema.ItemSchema().fields)
    assert rulebook_schema.KIND_FIELDS["credit"] == {
        "points",
        "once_per_month",
        "monthly_cap",
    }


def test_the_docs_hold_exactly_the_rendered_fields_table():
    text = DOCS.read_text("utf-8")
    between = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    assert between == f"\n{fields_table()}", "run: python -m domain.rulebook"
    assert with_fields_table(text) == text


def test_the_fields_table_lists_every_field_of_every_kind():
    table = fields_table()
    for name, kind in Item.registry.items():
        assert f"| `{name}` | a `kind` | {kind.doc} |" in table
        for field in kind.fields:
            assert f"| `{name}`: `{field.key}` | {field.value()} |" in table


def test_a_text_without_the_table_markers_is_refused():
    with pytest.raises(RulebookError, match="markers"):
        with_fields_table("# Rulebooks\n")


def test_a_text_with_a_start_marker_but_no_end_marker_is_refused_not_cut_short():
    text = f"# Rulebooks\n{TABLE_START}\n| old |\n## Later sections\n"
    with pytest.raises(RulebookError, match="markers"):
        with_fields_table(text)


def one_category(*items: dict, mode: str = "deduct", **fields) -> dict:
    category = {"code": "a", "name": "A", "max": "100", "mode": mode}
    return {
        "id": "x",
        "name": "X",
        "categories": [{**category, "items": list(items)}],
        **fields,
    }


def slip(**fields) -> dict:
    return {"code": "slip", "name": "Slip", "points": "-1", **fields}


def bands(*bands: dict) -> dict:
    return {"code": "conv", "name": "Conversion", "kind": "metric_bands",
            "metric": "conversion_rate", "bands": list(bands)}  # fmt: skip


def rating(**fields) -> dict:
    return {"code": "review", "name": "Review", "kind": "rating",
            "max_points": "20", "scale_max": "100", "weights": {"supervisor": "1"},
            **fields}  # fmt: skip


ACCUMULATING = {"mode": "accumulate"}
REFUSALS = [
    # explicit nulls, where a number belongs
    (one_category(slip(points=None)), f"{ITEM}.points", "null is not a number"),
    (one_category(slip(fine=None)), f"{ITEM}.fine", "null is not a number"),
    (
        one_category(slip(monthly_cap=None)),
        f"{ITEM}.monthly_cap",
        "null is not a number",
    ),
    (
        one_category(slip(severities=[{"code": "s", "points": "-1", "fine": None}])),
        f"{ITEM}.severities.0.fine",
        "null is not a number",
    ),
    (
        one_category(bands({"points": None}), **ACCUMULATING),
        f"{ITEM}.bands.0.points",
        "null is not a number",
    ),
    (
        one_category(rating(max_points=None), **ACCUMULATING),
        f"{ITEM}.max_points",
        "null is not a number",
    ),
    (
        one_category(rating(weights={"supervisor": None}), **ACCUMULATING),
        f"{ITEM}.weights.supervisor",
        "null is not a number",
    ),
    (
        one_category(grades=[{"code": "A", "min_total": None}]),
        "grades.0.min_total",
        "null is not a number",
    ),
    (
        {
            "id": "x",
            "name": "X",
            "categories": [{"code": "a", "name": "A", "max": None}],
        },
        "categories.0.max",
        "null is not a number",
    ),
    # the money block
    (one_category(money=None), "money", "must be an object"),
    (one_category(money=["CNY"]), "money", "must be an object"),
    (one_category(money={"currency": 156}), "money.currency", "must be text"),
    (
        one_category(money={"currency": "yuan"}),
        "money.currency",
        "must match ^[A-Z]{3}$",
    ),
    (
        one_category(money={"commission_base": None}),
        "money.commission_base",
        "null is not a number",
    ),
    (
        one_category(money={"commission_base": "-1"}),
        "money.commission_base",
        "must not be negative",
    ),
    (
        one_category(money={"quarter_rewards": "300"}),
        "money.quarter_rewards",
        "must be a list",
    ),
    (
        one_category(money={"quarter_rewards": ["300", "lots"]}),
        "money.quarter_rewards.1",
        "'lots' is not a number",
    ),
    (
        one_category(money={"quarter_rewards": [None]}),
        "money.quarter_rewards.0",
        "null is not a number",
    ),
    (
        one_category(money={"quarter_rewards": ["-100"]}),
        "money.quarter_rewards.0",
        "must not be negative",
    ),
    # whole numbers
    *(
        (one_category(**{name: value}), name, message)
        for name, top in (
            ("bottom_group", 100),
            ("min_working_days", 31),
            ("dispute_days", 366),
        )
        for value, message in (
            (None, "must be a whole number"),
            ("3", "must be a whole number"),
            (2.5, "must be a whole number"),
            (True, "must be a whole number"),
            ([3], "must be a whole number"),
            (-1, "must not be negative"),
            (top + 1, f"must be at most {top}"),
        )
    ),
    # text, flags and choices
    (one_category(slip(name="")), f"{ITEM}.name", "must not be empty"),
    (one_category(slip(name=7)), f"{ITEM}.name", "must be text"),
    ({**one_category(), "id": 7}, "id", "must be text"),
    (
        one_category(slip(source="s" * 501)),
        f"{ITEM}.source",
        "must be at most 500 characters",
    ),
    (one_category(slip(default="no")), f"{ITEM}.default", "must be true or false"),
    (
        one_category(slip(once_per_month=1)),
        f"{ITEM}.once_per_month",
        "must be true or false",
    ),
    (one_category(slip(kind=["credit"])), f"{ITEM}.kind", "unknown kind ['credit']"),
    (
        one_category(rating(missing=None), **ACCUMULATING),
        f"{ITEM}.missing",
        "must be 'renormalise' or 'incomplete'",
    ),
    # fields of another kind
    (
        one_category(slip(kind="credit", points="1", fine="5"), **ACCUMULATING),
        f"{ITEM}.fine",
        "not used by a credit item",
    ),
    (
        one_category(slip(metric="churn_rate")),
        f"{ITEM}.metric",
        "not used by an occurrence item",
    ),
    # the document itself
    (["x"], "rulebook", "must be an object"),
]


@pytest.mark.parametrize(("document", "field", "message"), REFUSALS)
def test_a_bad_value_is_refused_naming_its_field(document, field, message):
    with pytest.raises(RulebookError) as refused:
        Rulebook.from_dict(document)
    assert (refused.value.field, str(refused.value)) == (field, f"{field}: {message}")


def test_whole_numbers_may_be_written_with_a_point_and_dispute_days_may_be_0():
    rulebook = Rulebook.from_dict(
        one_category(bottom_group=2.0, min_working_days=0, dispute_days=0)
    )
    assert (rulebook.bottom_group, rulebook.min_working_days) == (2, 0)
    assert type(rulebook.bottom_group) is int
    assert rulebook.dispute_days == 0


def test_a_band_may_leave_an_edge_open_with_null():
    band = {"min": None, "max": "0.5", "points": "1"}
    rulebook = Rulebook.from_dict(one_category(bands(band), mode="accumulate"))
    assert [(b.low, b.high) for b in rulebook.item("conv").bands] == [
        (None, Decimal("0.5"))
    ]


def test_a_rule_about_a_value_is_named_before_its_bounds():
    weights = {"self": "-0.5", "peer": "1.5"}
    document = one_category(rating(weights=weights), mode="accumulate")
    with pytest.raises(RulebookError, match="add up to 1"):
        Rulebook.from_dict(document)


GARBAGE = [None, True, 0, -1, 2.5, "", "x", "-1", [], [None], {}, {"x": None}]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*path, index))


def _replaced(document, path, value):
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    "rulebook_id", ["songsong-2019-v2", "online-cs", "online-cs-by-assessor"]
)
def test_any_value_anywhere_is_read_or_refused_with_a_field_never_crashes(rulebook_id):
    document = shipped_document(rulebook_id)
    for path in list(_paths(document))[1:]:
        for value in GARBAGE:
            try:
                Rulebook.from_dict(_replaced(document, path, value))
            except RulebookError as refused:
                assert refused.field, (path, value)
