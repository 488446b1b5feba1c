"""Rulebooks are data: categories with a maximum, and the rule items that move them.

A rulebook says what each kind of fact is worth. Facts never carry points, so
the same facts can be scored again under a later version of the rules. The
document format is described in docs/rulebooks.md, whose fields table is
rendered from the declarations here and in ``domain.kinds`` (``python -m
domain.rulebook docs/rulebooks.md`` rewrites it). ``Rulebook.from_dict`` builds
one and refuses any document that breaks a rule, naming the path of the
offending field.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from domain.document import (
    CODE,
    NAME,
    PROVENANCE,
    SOURCE,
    Choice,
    Field,
    ListOf,
    Number,
    Object,
    Reader,
    Text,
    Whole,
    table,
)
from domain.errors import RulebookError
from domain.facts import Assessor
from domain.items import Item, ItemType, MissingRatings, Mode
from domain.kinds import (
    Band,
    Credit,
    MetricBands,
    MetricItem,
    MetricScale,
    Occurrence,
    RatingItem,
    Severity,
)
from domain.text import N_, Message

__all__ = [
    "DEFAULT_RULEBOOK_ID",
    "FIRST_EDITION",
    "SHIPPED_RULEBOOKS",
    "TOTAL_POINTS",
    "Assessor",
    "Band",
    "Category",
    "Credit",
    "Grade",
    "Item",
    "MetricBands",
    "MetricItem",
    "MetricScale",
    "MissingRatings",
    "Mode",
    "Occurrence",
    "RatingItem",
    "Rulebook",
    "Severity",
    "fields_table",
    "shipped_document",
    "shipped_rulebook",
    "with_fields_table",
]

DEFAULT_RULEBOOK_ID = "songsong-2019"
"""The rulebook whose shipped file is version 1, in force wherever nothing
else is: every month of a store opened before ``FIRST_EDITION`` shipped."""
FIRST_EDITION = "songsong-2019-v2"
"""The shipped edition a fresh store records as its first event (see
``RulesCommands.open_store``): songsong-2019 with orders and promotion scored."""
SHIPPED_RULEBOOKS = (
    "songsong-2019",
    "songsong-2019-v2",
    "online-cs",
    "online-cs-by-assessor",
)
"""The shipped documents, by file name (``domain/rulebooks/<name>.json``)."""
TOTAL_POINTS = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class Category:
    """A scorecard category with its maximum and its rule items."""

    code: str
    name: str
    max: Decimal
    mode: Mode
    items: tuple[Item, ...]


@dataclass(frozen=True, kw_only=True)
class Grade:
    code: str
    min_total: Decimal


@dataclass(frozen=True, kw_only=True)
class Rulebook:
    """A named, versioned set of categories whose maxima add up to 100, with
    what follows from a total: grade, commission, quarterly rewards, and the
    size of the bottom group that owes improvement plans."""

    id: str
    version: int
    name: str
    categories: tuple[Category, ...]
    source: str = ""
    grades: tuple[Grade, ...] = ()
    currency: str = "CNY"
    commission_base: Decimal = ZERO
    quarter_rewards: tuple[Decimal, ...] = ()
    bottom_group: int = 3
    min_working_days: int = 10
    """Agents present fewer working days in a month are listed but not ranked."""
    dispute_days: int | None = None
    """Days after the month's end to dispute its deductions; None: until the
    end of its review window."""
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _items: dict[str, tuple[Category, Item]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        items: dict[str, tuple[Category, Item]] = {}
        for category in self.categories:
            for item in category.items:
                items[item.code] = (category, item)
        object.__setattr__(self, "_items", items)

    def item(self, code: str) -> Item | None:
        found = self._items.get(code)
        return found[1] if found else None

    def category_of(self, code: str) -> Category | None:
        found = self._items.get(code)
        return found[0] if found else None

    def items(self) -> Iterator[tuple[Category, Item]]:
        yield from self._items.values()

    def grade_for(self, total: Decimal) -> str | None:
        return next((g.code for g in self.grades if total >= g.min_total), None)

    @property
    def ref(self) -> str:
        return f"{self.id} v{self.version}"

    @property
    def digest(self) -> str:
        """A fingerprint of the document: equal documents, equal digests."""
        canonical = json.dumps(self.document, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int = 1) -> Rulebook:
        """Build a rulebook from its document; raise ``RulebookError`` naming the
        path of the first field that breaks a rule."""
        reader = Reader()
        values = RULEBOOK.read(reader, data)
        reader.settle()
        document = json.loads(json.dumps(data, default=str))
        return cls(version=version, document=document, **values)


# The document


def _category(reader: Reader, values: dict[str, Any]) -> Category:
    """A category whose items' points fit its mode."""
    category = Category(**values)
    for index, item in enumerate(category.items):
        with reader.at("items", index):
            item.fits(reader, category.mode)
    reader.settle()
    return category


def _rulebook(reader: Reader, values: dict[str, Any]) -> dict[str, Any]:
    """The rulebook's fields, once its maxima add up to 100, its codes are
    unique and no two grades share a minimum."""
    reader.settle()
    categories = values["categories"]
    total = sum((c.max for c in categories), ZERO)
    if total != TOTAL_POINTS:
        maxima = N_("category maxima add up to {total}, not 100")
        raise reader.fail(Message(maxima, total=total), "categories")
    twice = N_("category code {code!r} is defined twice")
    _unique(reader, [c.code for c in categories], twice)
    twice = N_("rule item code {code!r} is defined twice")
    _unique(reader, [i.code for c in categories for i in c.items], twice)
    grades = sorted(values["grades"], key=lambda g: g.min_total, reverse=True)
    if len({g.min_total for g in grades}) < len(grades):
        raise reader.fail(N_("two grades share a min_total"), "grades")
    money = values.pop("money")
    return {**values, **money, "grades": tuple(grades)}


def _unique(reader: Reader, codes: list[str], twice: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise reader.fail(Message(twice, code=code), "categories")
        seen.add(code)


GRADE = Object(
    name="Grade",
    fields=(
        Field("code", CODE, required=True, doc="names the grade"),
        Field(
            "min_total",
            Number(minimum=0, maximum=100),
            required=True,
            doc="the least total that earns it; a total gets the highest grade "
            "whose `min_total` it reaches",
        ),
        *PROVENANCE,
    ),
    build=lambda reader, v: Grade(code=v["code"], min_total=v["min_total"]),
)
MONEY = Object(
    name="Money",
    fields=(
        Field(
            "currency", Text(pattern="^[A-Z]{3}$"), default="CNY", doc="of the amounts"
        ),
        Field(
            "commission_base",
            Number(minimum=0),
            default=ZERO,
            doc="commission is base times total / 100, rounded to cents",
        ),
        Field(
            "quarter_rewards",
            ListOf(element=Number(minimum=0)),
            default=(),
            doc="rewards for the quarter's top places (300, 200, 100); their count "
            "is the size of the top group",
        ),
        *PROVENANCE,
    ),
    build=lambda reader, v: {
        k: v[k] for k in ("currency", "commission_base", "quarter_rewards")
    },
)
CATEGORY = Object(
    name="Category",
    fields=(
        Field("code", CODE, required=True, doc="names the category"),
        Field("name", NAME, required=True, doc="what it is called"),
        Field(
            "max",
            Number(minimum=0, exclusive_minimum=True),
            required=True,
            doc="the category's maximum; the maxima of a rulebook add up to 100, "
            "or it is refused",
        ),
        Field(
            "mode",
            Choice(Mode),
            default=Mode.DEDUCT,
            doc="`deduct`: start at the maximum and add the lines' (negative) "
            "points, never below 0. `accumulate`: start at 0 and add the lines' "
            "(positive) points, never above the maximum",
        ),
        Field("items", ListOf(element=ItemType()), default=(), doc="its rule items"),
    ),
    build=_category,
)
RULEBOOK = Object(
    name="Rulebook",
    fields=(
        Field(
            "id", CODE, required=True, doc="names the rulebook; its versions share it"
        ),
        Field("name", NAME, required=True, doc="what it is called"),
        Field("source", SOURCE, default="", doc="where its rules come from"),
        Field(
            "categories",
            ListOf(
                element=CATEGORY,
                min_items=1,
                too_few=N_("a rulebook needs at least one category"),
            ),
            required=True,
            doc="the scorecard's categories",
        ),
        Field("grades", ListOf(element=GRADE), default=(), doc="grades of totals"),
        Field("money", MONEY, doc="what a total is worth"),
        Field(
            "bottom_group",
            Whole(minimum=0, maximum=100),
            default=3,
            doc="how many of the lowest-ranked agents owe an improvement plan",
        ),
        Field(
            "min_working_days",
            Whole(minimum=0, maximum=31),
            default=10,
            doc="agents present fewer working days in a month are listed but not "
            "ranked",
        ),
        Field(
            "dispute_days",
            Whole(minimum=0, maximum=366),
            doc="days after the month's end to dispute its deductions; left out: "
            "until the end of its review window",
        ),
    ),
    build=_rulebook,
)


def shipped_document(name: str) -> dict[str, Any]:
    """The document of a rulebook that ships with the product, by its file
    name (``songsong-2019``, ``songsong-2019-v2``; a fresh copy: the file is
    read once per process)."""
    return dict(json.loads(_shipped_text(name)))


@cache
def _shipped_text(name: str) -> str:
    path = resources.files("domain.rulebooks").joinpath(f"{name}.json")
    return path.read_text(encoding="utf-8")


def rulebook_of(document: Mapping[str, Any], version: int) -> Rulebook:
    """``Rulebook.from_dict``, read once per process for each document and
    version (a rulebook is immutable; commands and reads build the one in force
    over and over)."""
    return _parsed(json.dumps(document, sort_keys=True, default=str), version)


@lru_cache(maxsize=64)
def _parsed(text: str, version: int) -> Rulebook:
    return Rulebook.from_dict(json.loads(text), version=version)


def shipped_rulebook(name: str = DEFAULT_RULEBOOK_ID, version: int = 1) -> Rulebook:
    """Load one of the rulebooks that ship with the product, by its file name."""
    return Rulebook.from_dict(shipped_document(name), version=version)


# The fields table of docs/rulebooks.md

TABLE_START = "<!-- fields table: rendered by `python -m domain.rulebook` -->"
TABLE_END = "<!-- end of fields table -->"


def fields_table() -> str:
    """The table of a rulebook document's fields, in markdown."""
    return table(RULEBOOK)


def with_fields_table(text: str) -> str:
    """``text`` with the fields table between its markers rendered afresh."""
    before, start, rest = text.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not (start and end):
        raise RulebookError(f"the table markers are missing: {TABLE_START}")
    return f"{before}{TABLE_START}\n{fields_table()}{TABLE_END}{after}"


if __name__ == "__main__":  # pragma: no cover - rewrites the docs
    for name in sys.argv[1:] or ["docs/rulebooks.md"]:
        path = Path(name)
        path.write_text(with_fields_table(path.read_text("utf-8")), "utf-8")
