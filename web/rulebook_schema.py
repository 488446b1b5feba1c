"""The rulebook document format, validated with marshmallow.

The schemas are made from the document's field declarations (``RULEBOOK`` in
``domain.rulebook``, each item kind's in ``domain.kinds``), so they say what the
domain reads. They check the shape (types, required and unknown fields, each
item kind's own fields), and the OpenAPI document says the same (``ItemSchema``
becomes one object per kind); ``domain.rulebook.Rulebook.from_dict`` then
checks the rules (maxima add up to 100, points fit the category's mode, bands
do not overlap, weights add up to 1). Either way, every error names the path of
the bad field. Numbers are decimal strings (``"-3"``, ``"0.15"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from copy import deepcopy
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.document import (
    Choice,
    Code,
    Day,
    Field,
    Flag,
    ListOf,
    Map,
    Number,
    Object,
    Text,
    Type,
    Whole,
)
from domain.errors import RulebookError
from domain.items import COMMON, DEFAULT_KIND, Item, ItemType, kinds, takes_an
from domain.month import MonthRange
from domain.rulebook import RULEBOOK, Rulebook
from domain.text import N_
from web import inputs
from web.inputs import CODE, DecimalString, Matching, WholeNumber

KINDS = kinds()
KIND_FIELDS = {
    name: {f.key for f in kind.fields} for name, kind in Item.registry.items()
}
REQUIRED = {
    name: {f.key for f in kind.fields if f.required}
    for name, kind in Item.registry.items()
}
SPECIFIC = set().union(*KIND_FIELDS.values())
# Said of a field by its item's kind, with the kind's article.
NOT_USED = {
    False: N_("Not used by a {kind} item."),
    True: N_("Not used by an {kind} item."),
}
REQUIRED_FOR = {
    False: N_("Required for a {kind} item."),
    True: N_("Required for an {kind} item."),
}


def marshmallow_field(field: Field, *, required: bool | None = None) -> fields.Field:
    """The marshmallow field of a declared field; an item kind's own fields are
    required by ``ItemSchema`` for that kind only."""
    wanted = field.required if required is None else required
    return marshmallow_value(field.type, required=wanted)


def marshmallow_value(declared: Type, **options: Any) -> fields.Field:
    return CONVERTERS[type(declared)](declared, **options)


def _number(declared: Number, **options: Any) -> fields.Field:
    return DecimalString(
        minimum=declared.minimum,
        maximum=declared.maximum,
        exclusive_minimum=declared.exclusive_minimum,
        allow_none=declared.nullable,
        **options,
    )


def _whole(declared: Whole, **options: Any) -> fields.Field:
    bounds = validate.Range(min=declared.minimum, max=declared.maximum)
    return WholeNumber(validate=bounds, **options)


def _text(declared: Text, **options: Any) -> fields.Field:
    if declared.pattern:
        return fields.String(validate=Matching(declared.pattern), **options)
    length = validate.Length(min=declared.min_length or None, max=declared.max_length)
    return fields.String(validate=length, **options)


def _list(declared: ListOf, **options: Any) -> fields.Field:
    least = validate.Length(min=declared.min_items) if declared.min_items else None
    return fields.List(marshmallow_value(declared.element), validate=least, **options)


def _map(declared: Map, **options: Any) -> fields.Field:
    keys = fields.String(validate=validate.OneOf([m.value for m in declared.key]))
    values = marshmallow_value(declared.values)
    return fields.Dict(keys=keys, values=values, **options)


SCHEMAS: dict[str, type[Schema]] = {}


def schema_of(declared: Object) -> type[Schema]:
    """The schema of a declared object, one per name (an OpenAPI component)."""
    if declared.name not in SCHEMAS:
        made = {field.key: marshmallow_field(field) for field in declared.fields}
        SCHEMAS[declared.name] = Schema.from_dict(made, name=f"{declared.name}Schema")
    return SCHEMAS[declared.name]


CONVERTERS: dict[type[Type], Callable[[Any], fields.Field]] = {
    Number: _number,
    Whole: _whole,
    Text: _text,
    Code: lambda declared, **options: fields.String(validate=CODE, **options),
    Flag: lambda declared, **options: fields.Boolean(**options),
    Day: lambda declared, **options: inputs.Day(**options),
    Choice: lambda declared, **options: fields.String(
        validate=validate.OneOf(declared.values), **options
    ),
    ListOf: _list,
    Map: _map,
    Object: lambda declared, **options: fields.Nested(schema_of(declared), **options),
    ItemType: lambda declared, **options: fields.Nested(ItemSchema, **options),
}


class ItemRules(Schema):
    """What an item's fields must be for its kind."""

    @validates_schema
    def fields_fit_the_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("kind", DEFAULT_KIND)
        errors: dict[str, list[str]] = {}
        for name in sorted(SPECIFIC & set(data) - KIND_FIELDS[kind]):
            errors[name] = [NOT_USED[takes_an(kind)].format(kind=kind)]
        for name in sorted(REQUIRED[kind] - set(data)):
            errors[name] = [REQUIRED_FOR[takes_an(kind)].format(kind=kind)]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def openapi(definition: dict[str, Any], months: MonthRange) -> dict[str, Any]:
        """One object per kind, with its own fields only and those it requires
        (``occurrence`` when ``kind`` is left out)."""
        properties = definition["properties"]
        common = [name for name in properties if name not in SPECIFIC]
        variants = []
        for kind in KINDS:
            names = common + sorted(KIND_FIELDS[kind])
            shape = {name: deepcopy(properties[name]) for name in names}
            shape["kind"] = {"type": "string", "const": kind}
            required = [*definition.get("required", []), *REQUIRED[kind]]
            if kind != DEFAULT_KIND:
                required.append("kind")
            variants.append(
                {"type": "object", "title": f"{kind} item", "properties": shape,
                 "required": sorted(set(required)), "additionalProperties": False}
            )  # fmt: skip
        return {"oneOf": variants}


def _item_fields() -> dict[str, fields.Field]:
    """Every item's fields, then each kind's own (the first declaration of a
    key shared by kinds: they must agree)."""
    made = {field.key: marshmallow_field(field) for field in COMMON}
    made["kind"] = fields.String(validate=validate.OneOf(KINDS))
    declared: dict[str, Field] = {}
    for kind in Item.registry.values():
        for field in kind.fields:
            if declared.setdefault(field.key, field) != field:
                raise TypeError(f"item kinds declare {field.key!r} differently")
            made.setdefault(field.key, marshmallow_field(field, required=False))
    return made


ItemSchema = ItemRules.from_dict(_item_fields(), name="ItemSchema")
RulebookSchema = schema_of(RULEBOOK)


def parse_rulebook(document: Any) -> Rulebook:
    """Validate a rulebook document; raise ``ValidationError`` keyed by field paths."""
    if not isinstance(document, Mapping):
        raise ValidationError({"rulebook": [N_("Must be an object.")]})
    RulebookSchema().load(document)
    try:
        return rulebook_of(document)
    except RulebookError as error:
        raise ValidationError({error.field or "rulebook": [error.message]}) from None


def rulebook_of(document: Mapping[str, Any], prefix: str = "") -> Rulebook:
    """The rulebook of a document of the right shape, or ``RulebookError``
    naming the field that breaks a rule (``prefix.path``) and why."""
    try:
        return Rulebook.from_dict(document)
    except RulebookError as error:
        field = error.field or "rulebook"
        path = f"{prefix}.{field}" if prefix and error.field else prefix or field
        problem = error.params.get("problem", error.message)
        template = getattr(problem, "template", problem)
        params = getattr(problem, "params", {})
        raise RulebookError(template, field=path, **params) from None
