"""Rule items: what every kind of item has, and the registry of kinds.

A kind (``domain.kinds``) is a subclass of ``Item`` declared with ``kind=``. It
owns its fields (declarations that the domain reads documents with, the web
layer validates them with and docs/rulebooks.md lists), the rules across them
(``build``), which of its values are signed points, the category modes it fits,
and how it turns a month's facts into scorecard lines (``lines``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from domain.document import (
    CODE,
    NAME,
    PROVENANCE,
    Field,
    Reader,
    Row,
    Type,
    either,
    read_fields,
)
from domain.facts import ZERO, Line, MonthFacts
from domain.text import N_, Message


class Mode(StrEnum):
    """How a category turns its lines into a score."""

    DEDUCT = "deduct"
    """Start at the maximum, add the (negative) points, never below zero."""
    ACCUMULATE = "accumulate"
    """Start at zero, add the (positive) points, never above the maximum."""

    def start(self, maximum: Decimal) -> Decimal:
        """What a category of this mode scores before any line."""
        return maximum if self is Mode.DEDUCT else ZERO

    def refuses(self, value: Decimal) -> str | None:
        """Why points of ``value`` do not belong in a category of this mode."""
        if self is Mode.DEDUCT and value > 0:
            return N_("must not be positive in a deduct category")
        if self is Mode.ACCUMULATE and value < 0:
            return N_("must not be negative in an accumulate category")
        return None


class MissingRatings(StrEnum):
    """What a rating item does when an assessor has not rated the agent."""

    RENORMALISE = "renormalise"
    """Spread the missing weight over the assessors who did rate."""
    INCOMPLETE = "incomplete"
    """Count the missing rating as zero and mark the scorecard incomplete."""


@dataclass(frozen=True, kw_only=True)
class Item:
    """One rule item. A subclass declared with ``kind=`` is a kind of item."""

    kind: ClassVar[str]
    doc: ClassVar[str] = ""
    """What the kind does, for docs/rulebooks.md."""
    fields: ClassVar[tuple[Field, ...]] = ()
    """The kind's own fields, beside every item's ``COMMON`` ones."""
    modes: ClassVar[frozenset[Mode]] = frozenset(Mode)
    registry: ClassVar[dict[str, type[Item]]] = {}

    code: str
    name: str
    source: str = ""
    default: bool = False

    def __init_subclass__(cls, *, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind:
            cls.kind = kind
            Item.registry[kind] = cls

    @classmethod
    def build(cls, reader: Reader, values: dict[str, Any]) -> Item:
        """The item of its fields' values, checking rules across them."""
        return cls(**values)

    def signed_points(self) -> Iterator[tuple[str, Decimal]]:
        """Each points value with its path, whose sign the category's mode sets."""
        return iter(())

    def fits(self, reader: Reader, mode: Mode) -> None:
        """Deduct categories take points below zero, accumulate ones above."""
        if mode not in self.modes:
            (only,) = self.modes
            belongs = BELONGS[takes_an(self.kind), takes_an(only)]
            raise reader.fail(Message(belongs, kind=self.kind, mode=only.value))
        for path, value in self.signed_points():
            problem = mode.refuses(value)
            if problem:
                raise reader.fail(problem, path)

    def lines(self, month: MonthFacts) -> list[Line]:
        """The item's lines on the scorecard of ``month``."""
        raise NotImplementedError


def a(word: str) -> str:
    """``word`` with its indefinite article: a credit, an occurrence."""
    return f"{'an' if takes_an(word) else 'a'} {word}"


def takes_an(word: str) -> bool:
    return word[0] in "aeiou"


# The messages that name a kind or a mode with its article, one per article.
BELONGS = {
    (False, False): N_("a {kind} item belongs in a {mode} category"),
    (False, True): N_("a {kind} item belongs in an {mode} category"),
    (True, False): N_("an {kind} item belongs in a {mode} category"),
    (True, True): N_("an {kind} item belongs in an {mode} category"),
}
NOT_USED = {
    False: N_("not used by a {kind} item"),
    True: N_("not used by an {kind} item"),
}


DEFAULT_KIND = "occurrence"
COMMON = (
    Field("code", CODE, required=True, doc="the code facts name the item by"),
    Field("name", NAME, required=True, doc="what the item is called"),
    *PROVENANCE,
)


def kinds() -> tuple[str, ...]:
    return tuple(Item.registry)


def kind_fields() -> set[str]:
    """The keys some kind of item declares as its own."""
    return {f.key for kind in Item.registry.values() for f in kind.fields}


@dataclass(frozen=True)
class ItemType(Type):
    """A rule item of any kind: ``kind`` (``occurrence`` if left out) names the
    class that reads the rest; fields of other kinds are refused."""

    def parse(self, reader: Reader, value: Any) -> Item:
        if not isinstance(value, Mapping):
            raise reader.fail(N_("must be an object"))
        name = value.get("kind", DEFAULT_KIND)
        kind = Item.registry.get(name) if isinstance(name, str) else None
        if kind is None:
            raise reader.fail(Message(N_("unknown kind {kind!r}"), kind=name), "kind")
        own = {f.key for f in kind.fields}
        for key in sorted(value.keys() & kind_fields() - own):
            raise reader.fail(Message(NOT_USED[takes_an(name)], kind=name), key)
        return kind.build(reader, read_fields(reader, COMMON + kind.fields, value))

    def describe(self) -> str:
        return "object"

    def listed(self) -> str:
        return "objects"

    def rows(self, path: str) -> Iterator[Row]:
        listed = either(
            kinds(), lambda k: f"`{k}`" + " (default)" * (k == DEFAULT_KIND)
        )
        yield (f"`{path}.kind`", listed, "each kind takes only its own fields")
        for field in COMMON:
            yield from field.rows(path)
        for name, kind in Item.registry.items():
            yield (f"`{name}`", "a `kind`", kind.doc)
            for field in kind.fields:
                for where, value, meaning in field.rows(""):
                    yield (f"`{name}`: {where}", value, meaning)
