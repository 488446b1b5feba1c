"""Rulebooks are data: categories with a maximum, and the rule items that move them.

A rulebook says what each kind of fact is worth. Facts never carry points, so
the same facts can be scored again under a later version of the rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from typing import Any

from domain.errors import RulebookError

DEFAULT_RULEBOOK_ID = "songsong-2019"
TOTAL_POINTS = Decimal(100)


class Mode(StrEnum):
    """How a category turns its lines into a score."""

    DEDUCT = "deduct"
    """Start at the maximum, subtract deductions, never go below zero."""


@dataclass(frozen=True)
class Item:
    """One rule item: what a single occurrence of a fact is worth."""

    code: str
    name: str
    points: Decimal
    once_per_month: bool = False
    monthly_cap: Decimal | None = None
    source: str = ""
    default: bool = False


@dataclass(frozen=True)
class Category:
    """A scorecard category with its maximum and its rule items."""

    code: str
    name: str
    max: Decimal
    mode: Mode
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Rulebook:
    """A named, versioned set of categories whose maxima add up to 100."""

    id: str
    version: int
    name: str
    categories: tuple[Category, ...]
    source: str = ""
    _items: dict[str, tuple[Category, Item]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        items: dict[str, tuple[Category, Item]] = {}
        for category in self.categories:
            for item in category.items:
                if item.code in items:
                    raise RulebookError(f"rule item {item.code!r} is defined twice")
                items[item.code] = (category, item)
        total = sum((c.max for c in self.categories), Decimal(0))
        if total != TOTAL_POINTS:
            raise RulebookError(f"category maxima add up to {total}, not 100")
        object.__setattr__(self, "_items", items)

    def item(self, code: str) -> Item | None:
        found = self._items.get(code)
        return found[1] if found else None

    def category_of(self, code: str) -> Category | None:
        found = self._items.get(code)
        return found[0] if found else None

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, version: int = 1) -> Rulebook:
        """Build a rulebook from its document form (see docs/rulebooks.md)."""
        return cls(
            id=data["id"],
            version=version,
            name=data["name"],
            source=data.get("source", ""),
            categories=tuple(_category(c) for c in data["categories"]),
        )


def _category(data: dict[str, Any]) -> Category:
    return Category(
        code=data["code"],
        name=data["name"],
        max=Decimal(str(data["max"])),
        mode=Mode(data.get("mode", Mode.DEDUCT)),
        items=tuple(_item(i) for i in data.get("items", ())),
    )


def _item(data: dict[str, Any]) -> Item:
    cap = data.get("monthly_cap")
    return Item(
        code=data["code"],
        name=data["name"],
        points=Decimal(str(data["points"])),
        once_per_month=bool(data.get("once_per_month", False)),
        monthly_cap=None if cap is None else Decimal(str(cap)),
        source=data.get("source", ""),
        default=bool(data.get("default", False)),
    )


def shipped_rulebook(rulebook_id: str = DEFAULT_RULEBOOK_ID) -> Rulebook:
    """Load one of the rulebooks that ship with the product."""
    text = resources.files("domain.rulebooks").joinpath(f"{rulebook_id}.json")
    return Rulebook.from_dict(json.loads(text.read_text(encoding="utf-8")))
