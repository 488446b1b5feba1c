"""Field types for the cells of an import: a CSV cell arrives as text and is
converted here, a JSON Lines value as it was written."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

from domain.text import N_


class WholeNumber(fields.Field[int]):
    default_error_messages = {"invalid": N_("Not a whole number.")}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        number = _number(value)
        if number is None or number != number.to_integral_value():
            raise self.make_error("invalid")
        return int(number)


class Number(fields.Field[Decimal]):
    """A decimal number, in its shortest form ("100.00" is 100), so that a value
    written differently in two exports is still the same value."""

    default_error_messages = {"invalid": N_("Not a number.")}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        number = _number(value)
        if number is None:
            raise self.make_error("invalid")
        return Decimal(format(number.normalize(), "f")) if number else Decimal(0)


def _number(value: Any) -> Decimal | None:
    """A finite decimal with at most 16 digits before the point and 10 after,
    or None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() > 15:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        return None
    return number


class Flag(fields.Field[bool]):
    """true/false, 1/0 or yes/no, in any case."""

    TRUE = frozenset({"true", "1", "yes"})
    FALSE = frozenset({"false", "0", "no"})
    default_error_messages = {  # noqa: RUF012
        "invalid": "Not a boolean: use true/false, 1/0 or yes/no."
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str | int) else ""
        if text in self.TRUE or text in self.FALSE:
            return text in self.TRUE
        raise self.make_error("invalid")


class Text(fields.String):
    """Text with surrounding whitespace removed."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).strip()


def _not_blank(value: str) -> None:
    if not value:
        raise ValidationError(N_("Must not be blank."))


def key_text(max_length: int = 200, **kwargs: Any) -> Text:
    """Required text that is not blank."""
    return Text(
        required=True,
        validate=[_not_blank, validate.Length(max=max_length)],
        **kwargs,
    )


def optional_text(default: str | None, max_length: int = 2000, **kwargs: Any) -> Text:
    return Text(
        load_default=default,
        allow_none=default is None,
        validate=validate.Length(max=max_length),
        **kwargs,
    )
