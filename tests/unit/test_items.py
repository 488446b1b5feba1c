"""What every rule item has: its common fields, the kind that reads the rest,
and the modes its points fit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.document import Reader
from domain.errors import RulebookError
from domain.items import Item, ItemType, Mode, a
from domain.rulebook import Rulebook

ITEM = "categories.0.items.0"


def one_category(*items, mode: str = "deduct") -> dict:
    category = {"code": "a", "name": "A", "max": "100", "mode": mode}
    return {"id": "x", "name": "X", "categories": [{**category, "items": list(items)}]}


def slip(**fields) -> dict:
    return {"code": "slip", "name": "Slip", "points": "-1", **fields}


def refusal(document: dict) -> tuple[str | None, str]:
    with pytest.raises(RulebookError) as refused:
        Rulebook.from_dict(document)
    return refused.value.field, str(refused.value)


@pytest.mark.parametrize("item", ["slip", 3, None, ["slip"]])
def test_an_item_that_is_not_an_object_is_refused_naming_it(item):
    assert refusal(one_category(item)) == (ITEM, f"{ITEM}: must be an object")


def test_a_metric_scale_without_its_second_threshold_is_refused_naming_it():
    scale = {
        "code": "speed",
        "name": "Speed",
        "kind": "metric_scale",
        "metric": "response_seconds",
        "from": {"value": "0", "points": "0"},
    }
    field = f"{ITEM}.to"
    assert refusal(one_category(scale, mode="accumulate")) == (
        field,
        f"{field}: is required",
    )


def test_a_name_of_200_characters_and_a_source_of_500_are_accepted():
    item = slip(name="n" * 200, source="s" * 500)
    read = Rulebook.from_dict(one_category(item)).item("slip")
    assert (len(read.name), len(read.source)) == (200, 500)


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("name", 201, "must be at most 200 characters"),
        ("source", 501, "must be at most 500 characters"),
    ],
)
def test_a_name_or_source_one_character_too_long_is_refused(field, length, message):
    document = one_category(slip(**{field: "x" * length}))
    assert refusal(document) == (f"{ITEM}.{field}", f"{ITEM}.{field}: {message}")


@dataclass(frozen=True, kw_only=True)
class Pointless(Item):
    """An item without points of its own (and without a kind: not registered)."""


@pytest.mark.parametrize("mode", list(Mode))
def test_an_item_without_points_fits_a_category_of_either_mode(mode):
    assert Pointless(code="p", name="P").fits(Reader(), mode) is None
    assert Pointless not in Item.registry.values()


def test_an_item_is_described_as_an_object_and_listed_as_objects():
    assert (ItemType().describe(), ItemType().listed()) == ("object", "objects")


@pytest.mark.parametrize(
    ("word", "with_article"),
    [
        ("occurrence", "an occurrence"),
        ("accumulate", "an accumulate"),
        ("credit", "a credit"),
        ("rating", "a rating"),
        ("deduct", "a deduct"),
    ],
)
def test_kinds_and_modes_are_named_with_their_article(word, with_article):
    assert a(word) == with_article
