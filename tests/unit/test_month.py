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
    assert accepted.problem(date(2000, 1, 1)) is None
    assert "outside" in accepted.problem(date(1999, 12, 31))
    assert accepted.problem(Quarter(2100, 4)) is None
    assert "outside" in accepted.problem(Quarter(9999, 4))


@pytest.mark.parametrize(
    ("month", "following", "preceding"),
    [
        (Month(2026, 1), Month(2026, 2), Month(2025, 12)),
        (Month(2026, 2), Month(2026, 3), Month(2026, 1)),
        (Month(2026, 11), Month(2026, 12), Month(2026, 10)),
        (Month(2026, 12), Month(2027, 1), Month(2026, 11)),
    ],
)
def test_next_and_previous_step_one_month_across_the_turn_of_the_year(
    month, following, preceding
):
    assert month.next() == following
    assert month.previous() == preceding
    assert following.previous() == month
    assert preceding.next() == month


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        (
            Month(2026, 11),
            Month(2027, 2),
            ["2026-11", "2026-12", "2027-01", "2027-02"],
        ),
        (Month(2026, 5), Month(2026, 5), ["2026-05"]),
        (Month(2026, 5), Month(2026, 4), []),
    ],
)
def test_a_span_lists_every_month_from_first_to_last_both_included(first, last, months):
    assert [str(m) for m in Month.span(first, last)] == months


@pytest.mark.parametrize(
    ("year", "month", "text"),
    [(1, 1, "0001-01"), (9999, 12, "9999-12"), (2026, 1, "2026-01")],
)
def test_every_month_of_the_years_1_to_9999_is_a_month(year, month, text):
    assert str(Month(year, month)) == text
    assert Month.parse(text) == Month(year, month)


@pytest.mark.parametrize(
    ("year", "month", "message"),
    [
        (0, 1, "0000-01 is not a month"),
        (10000, 1, "10000-01 is not a month"),
        (2026, 0, "2026-00 is not a month"),
        (2026, 13, "2026-13 is not a month"),
    ],
)
def test_a_month_off_the_calendar_or_outside_years_1_to_9999_cannot_be_made(
    year, month, message
):
    with pytest.raises(ValueError, match=message):
        Month(year, month)


@pytest.mark.parametrize("text", [None, 202610, date(2026, 10, 1)])
def test_a_month_is_parsed_from_text_only(text):
    with pytest.raises(ValueError, match="is not a month in the form YYYY-MM"):
        Month.parse(text)


def test_the_refusal_of_a_month_quotes_the_text():
    with pytest.raises(ValueError) as refused:
        Month.parse("2026/10")
    assert str(refused.value) == "'2026/10' is not a month in the form YYYY-MM"


def test_the_refusal_of_a_day_quotes_the_text():
    with pytest.raises(ValueError) as refused:
        parse_day("20261120")
    assert str(refused.value) == "'20261120' is not a date in the form YYYY-MM-DD"


@pytest.mark.parametrize("text", [None, 20261120, "2026-02-30", "2026-13-01"])
def test_a_day_that_is_not_text_or_not_on_the_calendar_is_refused(text):
    with pytest.raises(ValueError):
        parse_day(text)


@pytest.mark.parametrize(
    ("year", "number", "message"),
    [
        (2026, 0, "2026-Q0 is not a quarter"),
        (2026, 5, "2026-Q5 is not a quarter"),
        (0, 1, "0000-Q1 is not a quarter"),
        (10000, 1, "10000-Q1 is not a quarter"),
    ],
)
def test_a_quarter_outside_q1_to_q4_of_the_years_1_to_9999_cannot_be_made(
    year, number, message
):
    with pytest.raises(ValueError, match=message):
        Quarter(year, number)


@pytest.mark.parametrize(
    ("text", "quarter", "months"),
    [
        ("0001-Q1", Quarter(1, 1), [(1, 1), (1, 2), (1, 3)]),
        ("2026-Q2", Quarter(2026, 2), [(2026, 4), (2026, 5), (2026, 6)]),
        ("9999-Q4", Quarter(9999, 4), [(9999, 10), (9999, 11), (9999, 12)]),
    ],
)
def test_a_quarter_parses_from_and_prints_as_yyyy_qn(text, quarter, months):
    assert Quarter.parse(text) == quarter
    assert str(quarter) == text
    assert quarter.months == [Month(y, m) for y, m in months]


@pytest.mark.parametrize("text", [None, 20261])
def test_a_quarter_is_parsed_from_text_only(text):
    with pytest.raises(ValueError, match="is not a quarter in the form YYYY-Qn"):
        Quarter.parse(text)


def test_the_refusal_of_a_quarter_quotes_the_text():
    with pytest.raises(ValueError) as refused:
        Quarter.parse("2026-Q5")
    assert str(refused.value) == "'2026-Q5' is not a quarter in the form YYYY-Qn"


def test_a_value_outside_the_range_is_refused_saying_which_and_the_range():
    accepted = MonthRange(Month(2020, 1), Month(2030, 12))
    assert str(accepted) == "2020-01 to 2030-12"
    assert accepted.problem(Month(2031, 1)) == (
        "2031-01 is outside the accepted range 2020-01 to 2030-12"
    )
    assert accepted.problem(Quarter(2019, 4)) == (
        "2019-Q4 is outside the accepted range 2020-01 to 2030-12"
    )


def test_the_default_range_accepts_2000_to_2100():
    assert str(MonthRange()) == "2000-01 to 2100-12"


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (Month.parse, "2020-01", Month(2020, 1)),
        (Month.parse, "2030-12", Month(2030, 12)),
        (parse_day, "2030-12-31", date(2030, 12, 31)),
        (Quarter.parse, "2030-Q4", Quarter(2030, 4)),
    ],
)
def test_reading_a_value_inside_the_range_returns_it_parsed(parse, text, value):
    assert MonthRange(Month(2020, 1), Month(2030, 12)).read(parse, text) == value


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (
            Month.parse,
            "2019-12",
            "2019-12 is outside the accepted range 2020-01 to 2030-12",
        ),
        (
            parse_day,
            "2031-01-01",
            "2031-01-01 is outside the accepted range 2020-01 to 2030-12",
        ),
        (
            Quarter.parse,
            "2031-Q1",
            "2031-Q1 is outside the accepted range 2020-01 to 2030-12",
        ),
        (Month.parse, "2026-1", "'2026-1' is not a month in the form YYYY-MM"),
    ],
)
def test_reading_a_value_outside_the_range_is_refused_saying_why(parse, text, message):
    with pytest.raises(ValueError) as refused:
        MonthRange(Month(2020, 1), Month(2030, 12)).read(parse, text)
    assert str(refused.value) == message
