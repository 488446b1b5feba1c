"""An observation kind's values in their stored form; a bad one is refused,
naming its field."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import InvalidFactError
from domain.observations import Kind
from domain.text import N_


def normalise(kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
    """Values of a kind in their stored form; raise naming the first bad field."""
    missing = [f.name for f in kind.fields if f.name not in values]
    unknown = sorted(set(values) - {f.name for f in kind.fields})
    if missing or unknown:
        name = (missing or unknown)[0]
        raise InvalidFactError(
            N_("missing field {name!r}") if missing else N_("unknown field {name!r}"),
            name=name,
            field=name,
        )
    return {f.name: _value(f, values[f.name]) for f in kind.fields}


def _value(field: Any, raw: Any) -> Any:
    def bad(why: str) -> InvalidFactError:
        return InvalidFactError(f"{field.name}: {why}", field=field.name)

    if field.type is bool:
        if not isinstance(raw, bool):
            raise bad("must be true or false")
        return raw
    if field.type is str:
        text = str(raw).strip()
        if field.choices and text not in field.choices:
            raise bad(f"must be one of {', '.join(field.choices)}")
        return text
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise bad(f"{raw!r} is not a number") from None
    if not number.is_finite() or isinstance(raw, bool):
        raise bad(f"{raw!r} is not a number")
    if field.type is int and number != number.to_integral_value():
        raise bad(f"{raw!r} is not a whole number")
    if field.minimum is not None and number < field.minimum:
        raise bad(f"must be at least {field.minimum}")
    if field.maximum is not None and number > field.maximum:
        raise bad(f"must be at most {field.maximum}")
    if field.step is not None and number % field.step:
        raise bad(f"{raw} is not {_steps(field)}")
    return int(number) if field.type is int else format(number.normalize(), "f")


def _steps(field: Any) -> str:
    """The values a stepped field takes, said in words: ``0, 0.5 or 1``."""
    low, high, step = field.minimum, field.maximum, field.step
    if low is None or high is None or (high - low) / step > 10:
        return f"a multiple of {step}"
    count = int((high - low) / step) + 1
    values = [format((low + n * step).normalize(), "f") for n in range(count)]
    return f"{', '.join(values[:-1])} or {values[-1]}"
