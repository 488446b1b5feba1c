"""The fields of a rulebook document, each declared once.

A declaration (``Field`` with its ``Type``) is plain data. The domain reads
documents with it (``Reader``), the web layer turns it into marshmallow fields
and the OpenAPI document, and ``table`` renders it for docs/rulebooks.md. A
type checks what a value is and refuses it at once; its bounds are checked
later (``Reader.settle``), after the rules that say more about a value (a
points value's sign in its category's mode, weights adding up to 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.errors import RulebookError
from domain.month import parse_day
from domain.text import N_, Message

Row = tuple[str, str, str]
"""A line of the fields table: the field's path, its value, what it means."""


class Reader:
    """Reads a document, keeping the path of the field being read."""

    def __init__(self) -> None:
        self.path: list[str] = []
        self.pending: list[RulebookError] = []

    @contextmanager
    def at(self, *keys: str | int) -> Iterator[None]:
        self.path += [str(k) for k in keys]
        try:
            yield
        finally:
            del self.path[len(self.path) - len(keys) :]

    def fail(self, problem: str, *at: str | int) -> RulebookError:
        """The field's ``problem`` (a marked template, or a ``Message``)."""
        where = ".".join([*self.path, *(str(p) for p in at)]) or "rulebook"
        return RulebookError(
            N_("{path}: {problem}"), field=where, path=where, problem=problem
        )

    def later(self, problem: str | None) -> None:
        """Keep a value's out-of-bounds problem for ``settle``."""
        if problem:
            self.pending.append(self.fail(problem))

    def settle(self) -> None:
        """Refuse the first out-of-bounds value read so far."""
        if self.pending:
            first, self.pending = self.pending[0], []
            raise first


class Type:
    """What a field's value is. ``parse`` refuses a value of another type."""

    nullable = False

    def read(self, reader: Reader, value: Any) -> Any:
        if value is None and self.nullable:
            return None
        return self.parse(reader, value)

    def parse(self, reader: Reader, value: Any) -> Any:
        raise NotImplementedError

    def absent(self, reader: Reader, field: Field) -> Any:
        """The value of a field the document leaves out."""
        if field.required:
            raise reader.fail(N_("is required"), field.key)
        return field.default

    def describe(self) -> str:
        raise NotImplementedError

    def listed(self) -> str:
        """What a list of such values is a list of."""
        return self.describe()

    def rows(self, path: str) -> Iterator[Row]:
        """Rows of the fields table for the fields inside this value."""
        return iter(())


@dataclass(frozen=True)
class Field:
    """A field of a document object: its key, type, default and meaning."""

    key: str
    type: Type
    _: KW_ONLY
    required: bool = False
    default: Any = None
    doc: str = ""

    def read(self, reader: Reader, data: Mapping[str, Any]) -> Any:
        if self.key not in data:
            return self.type.absent(reader, self)
        with reader.at(self.key):
            return self.type.read(reader, data[self.key])

    def value(self) -> str:
        """The value column of the fields table."""
        shown = self.type.describe()
        if self.required:
            return f"{shown}, required"
        if self.default not in (None, "", ()):
            return f"{shown}; default {_literal(self.default)}"
        return shown

    def rows(self, path: str) -> Iterator[Row]:
        where = f"{path}.{self.key}" if path else self.key
        yield (f"`{where}`", self.value(), self.doc)
        yield from self.type.rows(where)


def read_fields(
    reader: Reader, fields: tuple[Field, ...], data: Mapping[str, Any]
) -> dict[str, Any]:
    return {field.key: field.read(reader, data) for field in fields}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def _bounds(low: Any, high: Any, exclusive: bool) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" {'>' if exclusive else '≥'} {low}"
    return f" ≤ {high}" if high is not None else ""


@dataclass(frozen=True, kw_only=True)
class Number(Type):
    """A decimal, within bounds; sent as a string, read from a number too."""

    minimum: int | None = None
    maximum: int | None = None
    exclusive_minimum: bool = False
    nullable: bool = False

    def parse(self, reader: Reader, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(
            value, str | int | float | Decimal
        ):
            raise reader.fail(_not_a_number(value))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise reader.fail(_not_a_number(value)) from None
        if not number.is_finite():
            raise reader.fail(_not_a_number(value))
        reader.later(self.problem(number))
        return number

    def problem(self, number: Decimal | int) -> str | None:
        low, high = self.minimum, self.maximum
        if low is not None and self.exclusive_minimum and number <= low:
            return Message(N_("must be more than {low}"), low=low)
        if low is not None and number < low:
            if low == 0:
                return N_("must not be negative")
            return Message(N_("must be at least {low}"), low=low)
        if high is not None and number > high:
            return Message(N_("must be at most {high}"), high=high)
        return None

    def describe(self) -> str:
        bounds = _bounds(self.minimum, self.maximum, self.exclusive_minimum)
        return f"decimal{bounds}" + (" or null (open)" if self.nullable else "")


@dataclass(frozen=True, kw_only=True)
class Whole(Number):
    """A whole number, a JSON number (``3`` or ``3.0``)."""

    def parse(self, reader: Reader, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise reader.fail(N_("must be a whole number"))
        reader.later(self.problem(value))
        return value

    def describe(self) -> str:
        return "whole number" + _bounds(self.minimum, self.maximum, False)


@dataclass(frozen=True, kw_only=True)
class Text(Type):
    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None

    def parse(self, reader: Reader, value: Any) -> str:
        if not isinstance(value, str):
            raise reader.fail(N_("must be text"))
        if len(value) < self.min_length:
            reader.later(N_("must not be empty"))
        if self.max_length is not None and len(value) > self.max_length:
            most = N_("must be at most {count} characters")
            reader.later(Message(most, count=self.max_length))
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            reader.later(Message(N_("must match {pattern}"), pattern=self.pattern))
        return value

    def describe(self) -> str:
        if self.pattern:
            return f"text matching `{self.pattern}`"
        if self.max_length is None:
            return "text"
        low = f"{self.min_length} to " if self.min_length else "at most "
        return f"text of {low}{self.max_length} characters"


@dataclass(frozen=True, kw_only=True)
class Code(Text):
    """An identifier: letters, digits, '.', '_' or '-' (the API checks which)."""

    def describe(self) -> str:
        return "code"


@dataclass(frozen=True)
class Flag(Type):
    def parse(self, reader: Reader, value: Any) -> bool:
        if not isinstance(value, bool):
            raise reader.fail(N_("must be true or false"))
        return value

    def describe(self) -> str:
        return "`true` or `false`"


@dataclass(frozen=True)
class Choice(Type):
    """One of an enumeration's values, or of values that are data (a tuple:
    an order workflow's cases, say)."""

    of: type[StrEnum] | tuple[str, ...]

    @property
    def values(self) -> tuple[str, ...]:
        if isinstance(self.of, tuple):
            return self.of
        return tuple(member.value for member in self.of)

    def parse(self, reader: Reader, value: Any) -> str:
        if value not in self.values:
            must = N_("must be {choices}")
            raise reader.fail(Message(must, choices=_or(self.values)))
        return value if isinstance(self.of, tuple) else self.of(value)

    def describe(self) -> str:
        return either(self.values, lambda v: f"`{v}`")


@dataclass(frozen=True)
class Day(Type):
    """A date, ``YYYY-MM-DD``."""

    def parse(self, reader: Reader, value: Any) -> date:
        try:
            return parse_day(value)
        except ValueError:
            raise reader.fail(N_("must be a date, YYYY-MM-DD")) from None

    def describe(self) -> str:
        return "date, YYYY-MM-DD"


def either(values: tuple[str, ...], show: Callable[[str], str]) -> str:
    shown = [show(v) for v in values]
    return ", ".join(shown[:-1]) + f" or {shown[-1]}" if len(shown) > 1 else shown[0]


def _or(values: tuple[str, ...]) -> str:
    """``either`` of quoted values, as a message (its "or" is translated)."""
    shown = [repr(v) for v in values]
    if len(shown) == 1:
        return shown[0]
    return Message(N_("{some} or {last}"), some=", ".join(shown[:-1]), last=shown[-1])


def _not_a_number(value: Any) -> Message:
    return Message(N_("{value} is not a number"), value=_shown(value))


@dataclass(frozen=True, kw_only=True)
class ListOf(Type):
    """A list; ``too_few`` refuses one shorter than ``min_items``, or left out."""

    element: Type
    min_items: int = 0
    too_few: str = ""

    def absent(self, reader: Reader, field: Field) -> Any:
        if not self.min_items:
            return super().absent(reader, field)
        with reader.at(field.key):
            return self.counted(reader, ())

    def parse(self, reader: Reader, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise reader.fail(N_("must be a list"))
        read = []
        for index, element in enumerate(value):
            with reader.at(index):
                read.append(self.element.read(reader, element))
        return self.counted(reader, tuple(read))

    def counted(self, reader: Reader, read: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(read) < self.min_items:
            raise reader.fail(self.too_few)
        return read

    def describe(self) -> str:
        least = f" (at least {self.min_items})" if self.min_items else ""
        return f"list of {self.element.listed()}{least}"

    def rows(self, path: str) -> Iterator[Row]:
        return self.element.rows(f"{path}[]")


@dataclass(frozen=True, kw_only=True)
class Object(Type):
    """An object of named fields, built into a value by ``build``. One left
    out takes its fields' defaults unless it is required."""

    name: str
    fields: tuple[Field, ...]
    build: Callable[[Reader, dict[str, Any]], Any]

    def absent(self, reader: Reader, field: Field) -> Any:
        return (
            super().absent(reader, field) if field.required else self.parse(reader, {})
        )

    def parse(self, reader: Reader, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise reader.fail(N_("must be an object"))
        return self.build(reader, read_fields(reader, self.fields, value))

    def describe(self) -> str:
        return "object"

    def listed(self) -> str:
        return "objects"

    def rows(self, path: str) -> Iterator[Row]:
        for field in self.fields:
            yield from field.rows(path)


@dataclass(frozen=True)
class Map(Type):
    """An object whose keys are chosen from an enumeration (``key``) and
    whose values are all of one type: assessors to weights, say. ``not_a_map``
    and ``unknown`` (of ``{key!r}``) are its messages, marked templates."""

    key: type[StrEnum]
    values: Type
    not_a_map: str
    unknown: str

    def parse(self, reader: Reader, value: Any) -> tuple[tuple[StrEnum, Any], ...]:
        if not isinstance(value, Mapping) or not value:
            raise reader.fail(self.not_a_map)
        known = {member.value for member in self.key}
        read = []
        for key, element in value.items():
            if key not in known:
                raise reader.fail(Message(self.unknown, key=key))
            with reader.at(key):
                read.append((self.key(key), self.values.read(reader, element)))
        return tuple(read)

    def describe(self) -> str:
        keys = either(tuple(m.value for m in self.key), lambda v: f"`{v}`")
        return f"object of {keys} to {self.values.describe()}"


CODE = Code()
NAME = Text(min_length=1, max_length=200)
SOURCE = Text(max_length=500)
PROVENANCE = (
    Field("source", SOURCE, default="", doc="the source fact behind a value"),
    Field(
        "default",
        Flag(),
        default=False,
        doc="`true` marks a value the sources do not give",
    ),
)


def table(root: Object) -> str:
    """The fields table of documents of ``root``, in markdown."""
    lines = ["| field | value | meaning |", "| --- | --- | --- |"]
    for path, value, meaning in root.rows(""):
        lines.append(f"| {path} | {value} | {meaning} |")
    return "\n".join(lines) + "\n"
