"""The review window of month M: the first five working days of M+1 under the
mainland-China calendar (public holidays, official make-up working days) and
the company's own closed days."""

from __future__ import annotations

from datetime import date

from domain.month import Month
from domain.periods import review_window
from projections.calendar import WorkingCalendar


def window(month: Month, calendar: WorkingCalendar | None = None):
    return review_window(month, (calendar or WorkingCalendar()).is_working_day)


def test_october_2026_is_reviewed_on_the_first_five_working_days_of_november():
    # 1 November 2026 is a Sunday: Monday 2 to Friday 6
    assert window(Month(2026, 10)) == (date(2026, 11, 2), date(2026, 11, 6))


def test_september_2026_is_reviewed_after_the_national_day_holiday():
    # 1-7 October 2026 are holidays; Saturday 10 October is an official make-up
    # working day, so the five working days are the 8th, 9th, 10th, 12th, 13th
    assert window(Month(2026, 9)) == (date(2026, 10, 8), date(2026, 10, 13))


def test_a_company_closed_day_pushes_the_window_back():
    closed = WorkingCalendar({date(2026, 11, 4): "company outing"})
    assert window(Month(2026, 10), closed) == (date(2026, 11, 2), date(2026, 11, 9))


def test_working_days_count_make_up_saturdays_and_skip_holidays():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert not calendar.is_working_day(date(2026, 10, 5))  # National Day holiday
    assert calendar.working_days_in(Month(2026, 10)) == 18
