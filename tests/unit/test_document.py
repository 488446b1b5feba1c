"""The declarations a rulebook document is read with: how each type describes
itself in the fields table, and what it refuses, naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.document import (
    Field,
    Flag,
    ListOf,
    Number,
    Object,
    Reader,
    Text,
    Whole,
    either,
    table,
)
from domain.errors import RulebookError


@pytest.mark.parametrize(
    ("declared", "shown"),
    [
        (Number(), "decimal"),
        (Number(minimum=0), "decimal ≥ 0"),
        (Number(minimum=0, exclusive_minimum=True), "decimal > 0"),
        (Number(maximum=5), "decimal ≤ 5"),
        (Number(minimum=0, maximum=1), "decimal from 0 to 1"),
        (Number(nullable=True), "decimal or null (open)"),
        (Whole(minimum=1), "whole number ≥ 1"),
        (Whole(maximum=31), "whole number ≤ 31"),
        (Whole(minimum=0, maximum=100), "whole number from 0 to 100"),
        (Text(), "text"),
        (Text(max_length=500), "text of at most 500 characters"),
        (Text(min_length=1, max_length=200), "text of 1 to 200 characters"),
        (Text(pattern="^[A-Z]{3}$"), "text matching `^[A-Z]{3}$`"),
        (Flag(), "`true` or `false`"),
        (ListOf(element=Number()), "list of decimal"),
        (ListOf(element=Number(), min_items=2), "list of decimal (at least 2)"),
    ],
)
def test_each_type_describes_its_values_and_bounds_for_the_fields_table(
    declared, shown
):
    assert declared.describe() == shown


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Field("on", Flag(), default=True), "`true` or `false`; default `true`"),
        (Field("off", Flag(), default=False), "`true` or `false`; default `false`"),
        (Field("n", Number(), default=Decimal(3)), "decimal; default `3`"),
        (Field("n", Number(), required=True), "decimal, required"),
        (Field("t", Text(), default=""), "text"),
        (Field("xs", ListOf(element=Number()), default=()), "list of decimal"),
    ],
)
def test_a_fields_value_column_shows_whether_it_is_required_or_its_default(
    field, value
):
    assert field.value() == value


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (("a",), "`a`"),
        (("a", "b"), "`a` or `b`"),
        (("a", "b", "c"), "`a`, `b` or `c`"),
    ],
)
def test_alternatives_are_listed_with_or_before_the_last(values, shown):
    assert either(values, lambda v: f"`{v}`") == shown


@pytest.mark.parametrize(
    ("declared", "number", "problem"),
    [
        (Number(minimum=1), Decimal("0.5"), "must be at least 1"),
        (Number(minimum=0), Decimal("-0.5"), "must not be negative"),
        (Number(minimum=0, exclusive_minimum=True), Decimal(0), "must be more than 0"),
        (Number(maximum=1), Decimal("1.5"), "must be at most 1"),
        (Number(minimum=1, maximum=1), Decimal(1), None),
        (Whole(minimum=2), 1, "must be at least 2"),
    ],
)
def test_a_number_out_of_bounds_says_which_bound_it_breaks(declared, number, problem):
    assert declared.problem(number) == problem


def test_a_required_list_left_out_is_refused_naming_it():
    field = Field("xs", ListOf(element=Number()), required=True)
    with pytest.raises(RulebookError) as refused:
        field.read(Reader(), {})
    assert (refused.value.field, str(refused.value)) == ("xs", "xs: is required")


def test_an_optional_list_left_out_takes_its_default():
    field = Field("xs", ListOf(element=Number()), default=())
    assert field.read(Reader(), {}) == ()


PAIR = Object(
    name="Pair",
    fields=(
        Field("left", Number(), required=True, doc="one side"),
        Field("right", Number(), default=Decimal(0), doc="the other"),
    ),
    build=lambda reader, values: (values["left"], values["right"]),
)


def test_a_required_object_left_out_is_refused_naming_it_not_its_fields():
    field = Field("pair", PAIR, required=True)
    reader = Reader()
    with reader.at("outer"), pytest.raises(RulebookError) as refused:
        field.read(reader, {})
    assert (refused.value.field, str(refused.value)) == (
        "outer.pair",
        "outer.pair: is required",
    )


def test_an_optional_object_left_out_is_read_as_an_empty_one():
    optional = Object(
        name="Optional",
        fields=(Field("right", Number(), default=Decimal(0)),),
        build=lambda reader, values: values["right"],
    )
    assert Field("pair", optional).read(Reader(), {}) == Decimal(0)


def test_the_fields_table_lists_an_objects_fields_by_path():
    root = Object(
        name="Root",
        fields=(Field("pair", PAIR, required=True, doc="a pair"),),
        build=lambda reader, values: values,
    )
    assert table(root) == (
        "| field | value | meaning |\n"
        "| --- | --- | --- |\n"
        "| `pair` | object, required | a pair |\n"
        "| `pair.left` | decimal, required | one side |\n"
        "| `pair.right` | decimal; default `0` | the other |\n"
    )


def test_the_reader_names_the_document_itself_when_no_field_is_being_read():
    error = Reader().fail("must be an object")
    assert (error.field, str(error)) == ("rulebook", "rulebook: must be an object")
