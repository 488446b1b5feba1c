"""Fields shared by every schema: identifiers and decimals.

A field whose accepted values a type alone cannot say documents itself with
``openapi(months)``: the JSON Schema keywords ``web.api`` gives it in the
OpenAPI document, from the very pattern the field checks.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from domain.month import MonthRange
from web.patterns import FRACTION_DIGITS, INTEGER_DIGITS, anchored, decimal_pattern


class Matching(validate.Regexp):
    """The whole value matches the pattern, as JSON Schema reads it (a closing
    ``$`` admits no final newline, unlike ``re.match``)."""

    def __call__(self, value: str) -> str:
        if not isinstance(value, str) or self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


CODE = Matching(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    error="Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
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
        "type": 'Send the number as a string, e.g. "12.5".',
        "invalid": 'Use a decimal such as "12.5"{bounds}, with at most {places} '
        "decimals.",
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
