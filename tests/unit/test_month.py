from __future__ import annotations

from datetime import date

import pytest

from domain.month import Month, MonthRange, Quarter, parse_day


def test_a_month_parses_from_and_prints_as_yyyy_mm():
    assert str(Month.parse("2026-02")) == "2026-02"


@pytest.mark.parametrize(
    ("text", "last"), [("2026-02", 28), ("2028-02", 29), ("2026-10", 31)]
)
def test_the_last_day_follows_the_calendar(text, last):
    assert Month.parse(text).last_day == date(int(text[:4]), int(text[5:]), last)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "0000-01"]
)
def test_anything_else_is_not_a_month(text):
    with pytest.raises(ValueError):
        Month.parse(text)


@pytest.mark.parametrize(
    "text",
    ["\uff12\uff10\uff12\uff16-10", "\u0662\u0660\u0662\u0666-10", "2026-1\uff10"],
)
def test_digits_of_other_scripts_are_not_a_month(text):
    with pytest.raises(ValueError):
        Month.parse(text)


@pytest.mark.parametrize(
    "text",
    ["20261120", "2026-11-20T00:00", "2026-W47-5", "\uff12026-11-20", "2026-1-2"],
)
def test_a_day_is_yyyy_mm_dd_and_nothing_else(text):
    with pytest.raises(ValueError):
        parse_day(text)


def test_a_day_parses_from_yyyy_mm_dd():
    assert parse_day("2026-11-20") == date(2026, 11, 20)


def test_december_is_followed_by_january_and_january_preceded_by_december():
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2026, 7).previous() == Month(2026, 6)


def test_a_quarter_names_its_three_months():
    assert Quarter.parse("2026-Q4").months == [Month(2026, m) for m in (10, 11, 12)]
    assert Quarter.parse("2026-Q1").months[0] == Month(2026, 1)


@pytest.mark.parametrize("text", ["2026-Q0", "2026-Q5", "0000-Q1", "2026Q1", "2026-q1"])
def test_anything_else_is_not_a_quarter(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


def test_the_range_of_accepted_months_includes_its_ends_and_nothing_beyond():
    accepted = MonthRange(Month(2000, 1), Month(2100, 12))
    assert accepted.problem(Month(2000, 1)) is None
    assert accepted.problem(date(2100, 12, 31)) is None
    assert "outside" in accepted.problem(Month(1999, 12))
    assert "outside" in accepted.problem(date(2101, 1, 1))
    assert accepted.problem(Quarter(2100, 4)) is None
    assert "outside" in accepted.problem(Quarter(9999, 4))
