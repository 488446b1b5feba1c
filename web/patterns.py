"""Regular expressions that say exactly what an input field accepts.

The OpenAPI document gives every month, quarter, date, time and decimal a
``pattern``, and the fields that parse them check the same pattern, so the
contract and the behaviour cannot drift apart. Ranges are written into the
patterns themselves: the months between ``APPRAISAL_FIRST_MONTH`` and
``APPRAISAL_LAST_MONTH`` (real calendar dates only: no 2026-02-30, 29 February
in leap years alone), and decimal bounds such as 0 to 100.

The patterns are plain: digits, classes, groups and alternation, no lookaround
and no flags, so they mean the same to Python's ``re`` and to ECMA-262 (the
dialect of JSON Schema). They are unanchored here; ``anchored`` adds ``^``/``$``
for the document, and the fields match with ``re.fullmatch``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from domain.month import MonthRange

NOTHING = "[^\\s\\S]"  # matches no string at all
_MONTH_DAYS = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30,
               7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}  # fmt: skip
_LONGEST = {31: "(?:0[1-9]|[12][0-9]|3[01])", 30: "(?:0[1-9]|[12][0-9]|30)",
            28: "(?:0[1-9]|1[0-9]|2[0-8])"}  # fmt: skip
# Times of day and offsets in RFC 3339 form (seconds required, up to
# microseconds, an offset or Z).
TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
# Decimals: at most this many digits before and after the point.
INTEGER_DIGITS = 15
FRACTION_DIGITS = 10


def _class_of(test: str) -> str:
    """The BMP characters for which ``str.<test>()`` holds, as the contents of
    a character class written with escapes."""
    codes = [c for c in range(0x10000) if getattr(chr(c), test)()]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges
    )


# Whitespace as Python's ``str.isspace`` (and ``\\s``) knows it, spelt out so that
# every regex dialect agrees on it.
SPACES = _class_of("isspace")
# A character the store cannot keep (``domain.text``): NUL. Unpaired
# surrogates cannot be written in a pattern at all (they are no Unicode scalar
# values), so the document names them in words.
UNSTORABLE = "\\x00"


def anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"


def alternatives(parts: Iterable[str]) -> str:
    """``a|b|c`` as one group (a single part as it is; none: matches nothing)."""
    unique = list(dict.fromkeys(parts))
    if not unique:
        return NOTHING
    return unique[0] if len(unique) == 1 else f"(?:{'|'.join(unique)})"


def _digits(low: str, high: str) -> str:
    if low == high:
        return low
    return "[0-9]" if (low, high) == ("0", "9") else f"[{low}-{high}]"


def _any_digits(count: int) -> str:
    return "[0-9]" if count == 1 else f"[0-9]{{{count}}}"


def _same_width(low: str, high: str) -> list[str]:
    """Alternatives matching the digit strings from ``low`` to ``high``, both
    of the same width (leading zeros included)."""
    width = len(low)
    if low == high:
        return [low]
    if width == 1:
        return [_digits(low, high)]
    rest = width - 1
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return [f"{_digits(low[0], high[0])}{_any_digits(rest)}"]
    if low[0] == high[0]:
        return [low[0] + alternatives(_same_width(low[1:], high[1:]))]
    parts = []
    first, last = int(low[0]), int(high[0])
    if low[1:] == "0" * rest:
        first -= 1  # the whole first decade goes in the middle
    else:
        parts.append(low[0] + alternatives(_same_width(low[1:], "9" * rest)))
    if high[1:] == "9" * rest:
        last += 1
        tail = None
    else:
        tail = high[0] + alternatives(_same_width("0" * rest, high[1:]))
    if first + 1 <= last - 1:
        parts.append(f"{_digits(str(first + 1), str(last - 1))}{_any_digits(rest)}")
    if tail:
        parts.append(tail)
    return parts


def integer_range(low: int, high: int, width: int | None = None) -> str:
    """The whole numbers from ``low`` to ``high`` (non-negative): written with
    exactly ``width`` digits (zero-padded) if given, else without leading zeros."""
    if not 0 <= low <= high:
        return NOTHING
    if width is not None:
        if len(str(high)) > width:
            raise ValueError(f"{high} has more than {width} digits")
        return alternatives(_same_width(f"{low:0{width}d}", f"{high:0{width}d}"))
    size = len(str(high))
    if low <= 1 and high == 10**size - 1 and size > 1:  # every number of 1-size digits
        tail = f"[1-9][0-9]{{0,{size - 1}}}"
        return f"(?:0|{tail})" if low == 0 else tail
    parts = []
    for size in range(len(str(low)), len(str(high)) + 1):
        start = max(low, 10 ** (size - 1) if size > 1 else 0)
        end = min(high, 10**size - 1)
        parts += _same_width(str(start), str(end))
    return alternatives(parts)


# Months, quarters and dates within a range


def _year_spans(months: MonthRange) -> list[tuple[int, int, int, int]]:
    """The range as (first year, last year, first month, last month) blocks:
    a partial first year, the whole years between, a partial last year."""
    first, last = months.first, months.last
    if first.year == last.year:
        return [(first.year, first.year, first.month, last.month)]
    spans = []
    whole_from, whole_to = first.year + 1, last.year - 1
    if first.month == 1:
        whole_from = first.year
    else:
        spans.append((first.year, first.year, first.month, 12))
    if last.month == 12:
        whole_to = last.year
    if whole_from <= whole_to:
        spans.append((whole_from, whole_to, 1, 12))
    if last.month != 12:
        spans.append((last.year, last.year, 1, last.month))
    return spans


def _years(low: int, high: int) -> str:
    return integer_range(low, high, 4)


def _months(numbers: Iterable[int]) -> str:
    return alternatives(f"{m:02d}" for m in numbers)


@cache
def month_pattern(months: MonthRange) -> str:
    """``YYYY-MM`` for every month of the range and nothing else."""
    return alternatives(
        f"{_years(y1, y2)}-{integer_range(m1, m2, 2)}"
        for y1, y2, m1, m2 in _year_spans(months)
    )


@cache
def quarter_pattern(months: MonthRange) -> str:
    """``YYYY-Qn`` for every quarter whose three months lie in the range."""
    first, last = months.first, months.last

    def quarters(year: int) -> str | None:
        low = (first.month + 4) // 3 if year == first.year else 1
        high = last.month // 3 if year == last.year else 4
        return f"{year:04d}-Q{_digits(str(low), str(high))}" if low <= high else None

    parts = [quarters(first.year)]
    if last.year - first.year >= 2:
        parts.append(f"{_years(first.year + 1, last.year - 1)}-Q[1-4]")
    if last.year != first.year:
        parts.append(quarters(last.year))
    return alternatives(p for p in parts if p)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


_LEAP_CENTURY = "(?:0[48]|[2468][048]|[13579][26])"  # leap years within a century


def _leap_years(low: int, high: int) -> str:
    """The leap years from ``low`` to ``high``, four digits each."""
    parts = []
    for century in range(low // 100, high // 100 + 1):
        start, end = max(low, century * 100), min(high, century * 100 + 99)
        years = [y for y in range(start, end + 1) if _leap(y)]
        if not years:
            continue
        ends = [y % 100 for y in years]
        whole = list(range(4, 100, 4))
        if [e for e in ends if e] == whole:
            inner = f"{_LEAP_CENTURY}|00" if 0 in ends else _LEAP_CENTURY
            parts.append(f"{century:02d}(?:{inner})")
        else:
            parts.append(f"{century:02d}{alternatives(f'{e:02d}' for e in ends)}")
    return alternatives(parts)


@cache
def date_pattern(months: MonthRange) -> str:
    """``YYYY-MM-DD`` for every real calendar date in the range and nothing else."""
    parts = []
    for y1, y2, m1, m2 in _year_spans(months):
        span = range(m1, m2 + 1)
        by_length = [
            (_months(m for m in span if _MONTH_DAYS[m] == days), _LONGEST[days])
            for days in (31, 30, 28)
            if any(_MONTH_DAYS[m] == days for m in span)
        ]
        days = alternatives(f"{m}-{d}" for m, d in by_length)
        parts.append(f"{_years(y1, y2)}-{days}")
        if 2 in span and any(_leap(y) for y in range(y1, y2 + 1)):
            parts.append(f"{_leap_years(y1, y2)}-02-29")
    return alternatives(parts)


@cache
def moment_pattern(months: MonthRange) -> str:
    """An RFC 3339 date and time, dated within the range; its offset may be
    left out (the company's local time)."""
    return f"{date_pattern(months)}{TIME}(?:{OFFSET})?"


# Decimals


def _fraction(places: int) -> str:
    return f"(?:\\.[0-9]{{1,{places}}})?" if places else ""


def _zero_fraction(places: int) -> str:
    return f"(?:\\.0{{1,{places}}})?" if places else ""


def _nonzero_fraction(places: int) -> str:
    """``.`` and 1 to ``places`` digits, not all zero."""
    return "\\." + alternatives(
        f"{'0' * zeros}[1-9]" + (f"[0-9]{{0,{rest}}}" if rest else "")
        for zeros in range(places)
        for rest in [places - 1 - zeros]
    )


def _magnitudes(
    bottom: int, top: int | None, *, inclusive: bool, places: int, digits: int
) -> list[str]:
    """Unsigned decimals ``I[.F]`` from ``bottom`` (excluded unless
    ``inclusive``) to ``top`` (included; ``None``: as many digits as allowed)."""
    fraction = _fraction(places)
    largest = 10**digits - 1
    if top is not None and (top < bottom or (top == bottom and not inclusive)):
        return []
    parts = []
    if not inclusive and places:
        parts.append(f"{bottom}{_nonzero_fraction(places)}")  # just above bottom
    first = bottom if inclusive else bottom + 1
    if top is None:
        parts.append(f"{integer_range(first, largest)}{fraction}")
        return parts
    if first <= top - 1:
        parts.append(f"{integer_range(first, top - 1)}{fraction}")
    if first <= top:
        parts.append(f"{top}{_zero_fraction(places)}")
    return parts


def decimal_pattern(
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    *,
    exclusive_minimum: bool = False,
    places: int = FRACTION_DIGITS,
    digits: int = INTEGER_DIGITS,
) -> str:
    """Plain decimal strings (``-12.5``: no exponent, no ``+``, no leading
    zeros, no spaces) with 1 to ``digits`` digits before the point and at most
    ``places`` after it, whose value lies within whole-number bounds. A minus
    sign is allowed wherever the range reaches below zero (``-0`` included)."""
    bounds = [b for b in (minimum, maximum) if b is not None]
    if any(Decimal(b) != Decimal(b).to_integral_value() for b in bounds):
        raise ValueError(f"decimal bounds must be whole numbers, not {bounds}")
    low = None if minimum is None else int(minimum)
    high = None if maximum is None else int(maximum)
    if exclusive_minimum and (low is None or low < 0):
        raise ValueError("an exclusive minimum must be 0 or more")
    size = {"places": places, "digits": digits}
    parts = []
    if high is None or high >= 0:
        parts += _magnitudes(
            max(low or 0, 0), high, inclusive=not exclusive_minimum, **size
        )
    if low is None or low < 0:
        bottom = 0 if high is None or high >= 0 else -high
        top = None if low is None else -low
        negative = _magnitudes(bottom, top, inclusive=True, **size)
        parts.append(f"-{alternatives(negative)}")
    return alternatives(parts)


def matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None
