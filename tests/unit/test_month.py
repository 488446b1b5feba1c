from __future__ import annotations

from datetime import date

import pytest

from domain.month import Month


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
