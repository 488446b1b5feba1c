"""Fields shared by every schema: identifiers, text, decimals and points,
months, dates and times, and the months and quarters named in paths.

A field whose accepted values a type alone cannot say (months, dates and times
within the accepted months, decimals within bounds) documents itself with
``openapi(months)``: the JSON Schema keywords ``web.api`` gives it in the
OpenAPI document, from the very pattern the field checks (``web.patterns``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from marshmallow import ValidationError, fields, validate

from domain.clock import DEFAULT_TIMEZONE
from domain.errors import NotVisibleError
from domain.month import Month, MonthRange, Quarter, parse_day
from domain.text import N_
from web.patterns import (
    FRACTION_DIGITS,
    INTEGER_DIGITS,
    OFFSET,
    SPACES,
    TIME,
    anchored,
    date_pattern,
    decimal_pattern,
    moment_pattern,
    month_pattern,
)

T = TypeVar("T")


class Matching(validate.Regexp):
    """The whole value matches the pattern, as JSON Schema reads it (a closing
    ``$`` admits no final newline, unlike ``re.match``)."""

    def __call__(self, value: str) -> str:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


CODE = Matching(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    error=N_(
        "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."
    ),
)


class WholeNumber(fields.Integer):
    """A whole number as JSON and JSON Schema have it: ``3`` or ``3.0`` (the
    same number), never ``"3"``, ``3.5`` or ``true``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)  # type: ignore[no-any-return]


class DecimalString(fields.Field):
    """A decimal sent as a JSON string in plain form: ``"12.5"``, ``"-3"``,
    ``"0.15"`` (no exponent, no ``+``, no leading zeros, no spaces), with at
    most ``places`` digits after the point, within whole-number bounds. A JSON
    number is refused: decimals are strings, in and out."""

    default_error_messages = {  # noqa: RUF012
        "type": N_('Send the number as a string, e.g. "12.5".'),
        "invalid": N_(
            'Use a decimal such as "12.5"{bounds}, with at most {places} decimals.'
        ),
    }

    def __init__(
        self,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        exclusive_minimum: bool = False,
        places: int = FRACTION_DIGITS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.places = places
        self.pattern = anchored(
            decimal_pattern(
                minimum, maximum, exclusive_minimum=exclusive_minimum, places=places
            )
        )
        self._regex = re.compile(self.pattern)
        if minimum is not None and maximum is not None:
            low = "above" if exclusive_minimum else "from"
            self._bounds = f" {low} {minimum} to {maximum}"
        elif minimum is not None:
            low = "above" if exclusive_minimum else "of at least"
            self._bounds = f" {low} {minimum}"
        elif maximum is not None:
            self._bounds = f" of at most {maximum}"
        else:
            self._bounds = f" of at most {INTEGER_DIGITS} digits before the point"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise self.make_error("type")
        if not self._regex.fullmatch(value):
            raise self.make_error("invalid", bounds=self._bounds, places=self.places)
        return Decimal(value)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def openapi(self, months: MonthRange) -> dict[str, Any]:
        return {"pattern": self.pattern}


# Text must not be blank: its first character is not whitespace.
NOT_BLANK = validate.Regexp(f"^[^{SPACES}]", error=N_("Must not be blank."))


def non_blank(max_length: int) -> list[validate.Validator]:
    """Text of 1 to ``max_length`` characters, not starting with whitespace."""
    return [validate.Length(min=1, max=max_length), NOT_BLANK]


class Points(fields.Decimal):
    """Points and money travel as strings with two decimals: "39.00"."""

    PATTERN = anchored("-?(?:0|[1-9][0-9]*)\\.[0-9]{2}")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(places=2, as_string=True, **kwargs)  # type: ignore[arg-type]

    def openapi(self, months: MonthRange) -> dict[str, Any]:
        return {"pattern": self.PATTERN}


def accepted_months() -> MonthRange:
    """The months this service accepts (``APPRAISAL_FIRST_MONTH`` to
    ``APPRAISAL_LAST_MONTH``); outside a request, the default range."""
    if has_app_context() and "appraisal" in current_app.extensions:
        months: MonthRange = current_app.extensions["appraisal"]["runtime"].app.months
        return months
    return MonthRange()


def begun(month: Month) -> Month:
    """``month`` if it has begun by the service's today; a month still to come
    has no scores to read (its agents would all show the empty score): 404."""
    today = current_app.extensions["appraisal"]["runtime"].app.today()
    if month > Month.of(today):
        detail = N_("{month} has not begun: today is {today}.")
        raise NotVisibleError(detail, field="month", month=month, today=today)
    return month


def company_zone() -> ZoneInfo:
    """The company's time zone (``APPRAISAL_TIMEZONE``); outside a request,
    the default one."""
    if has_app_context() and "appraisal" in current_app.extensions:
        return ZoneInfo(current_app.extensions["appraisal"]["settings"].timezone)
    return ZoneInfo(DEFAULT_TIMEZONE)


class MonthField(fields.Field):
    """A month as ``YYYY-MM`` (ASCII digits), within the accepted months."""

    default_error_messages = {"invalid": N_("Use a month as YYYY-MM.")}  # noqa: RUF012

    def openapi(self, months: MonthRange) -> dict[str, Any]:
        return {"pattern": anchored(month_pattern(months))}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Month:
        try:
            month = Month.parse(value)
        except ValueError:
            raise self.make_error("invalid") from None
        _in_range(month)
        return month

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class Day(fields.Date):
    """A business date as ``YYYY-MM-DD`` (ASCII digits, no other form), within
    the accepted months."""

    PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    default_error_messages = {  # noqa: RUF012
        "invalid": N_("Not a date: use YYYY-MM-DD."),
        "no_such_date": N_("No such date: {reason}."),
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not self.PATTERN.fullmatch(value):
            raise self.make_error("invalid")
        try:
            day = parse_day(value)
        except ValueError as error:
            raise self.make_error("no_such_date", reason=str(error)) from None
        _in_range(day)
        return day

    def openapi(self, months: MonthRange) -> dict[str, Any]:
        return {"pattern": anchored(date_pattern(months))}


class Moment(fields.AwareDateTime):
    """A time in RFC 3339 form (``2026-11-03T10:00:00+08:00``, seconds
    required, up to microseconds, ``Z`` for UTC), within the accepted months.
    Without an offset (``2026-11-03T10:00:00``) it is the company's local time
    (``APPRAISAL_TIMEZONE``, Asia/Shanghai)."""

    PATTERN = re.compile(f"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{TIME}(?:{OFFSET})?")
    default_error_messages = {  # noqa: RUF012
        "invalid": "Use a time such as 2026-11-03T10:00:00+08:00, or "
        "2026-11-03T10:00:00 for the company's local time.",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not self.PATTERN.fullmatch(value):
            raise self.make_error("invalid")
        moment: datetime = fields.DateTime._deserialize(
            self, value, attr, data, **kwargs
        )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=company_zone())
        _in_range(moment.date())
        return moment

    def openapi(self, months: MonthRange) -> dict[str, Any]:
        return {"pattern": anchored(moment_pattern(months))}


def quarter_param(text: str) -> Quarter:
    """A quarter in a path, ``YYYY-Qn``, within the accepted months."""
    return _path_param("quarter", Quarter.parse, text, N_("Use a quarter as YYYY-Qn."))


def month_in_path(text: str) -> Month:
    """A month in a path, ``YYYY-MM``, within the accepted months."""
    return _path_param("month", Month.parse, text, N_("Use a month as YYYY-MM."))


def _path_param(name: str, parse: Callable[[str], T], text: str, form: str) -> T:
    try:
        parse(text)
    except ValueError:
        raise ValidationError({name: [form]}) from None
    try:
        return accepted_months().read(parse, text)
    except ValueError as error:
        raise ValidationError({name: [str(error)]}) from None


def _in_range(value: Month | date) -> None:
    problem = accepted_months().problem(value)
    if problem:
        raise ValidationError(problem)
