"""The rulebook document format, validated with marshmallow.

The schema checks the shape (types, required and unknown fields, each item
kind's own fields), and the OpenAPI document says the same (``ItemSchema``
becomes one object per kind); ``domain.rulebook.Rulebook.from_dict`` then
checks the rules (maxima add up to 100, points fit the category's mode, bands
do not overlap, weights add up to 1). Either way, every error names the path of
the bad field. Numbers are decimal strings (``"-3"``, ``"0.15"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.errors import RulebookError
from domain.month import MonthRange
from domain.rulebook import Assessor, MissingRatings, Mode, Rulebook
from web.inputs import CODE, DecimalString, Matching, WholeNumber

KINDS = ("occurrence", "credit", "metric_bands", "metric_scale", "rating")
KIND_FIELDS = {
    "occurrence": {"points", "once_per_month", "monthly_cap", "fine", "severities"},
    "credit": {"points", "once_per_month", "monthly_cap"},
    "metric_bands": {"metric", "bands"},
    "metric_scale": {"metric", "from_", "to"},
    "rating": {"weights", "scale_max", "max_points", "missing"},
}
REQUIRED = {
    "occurrence": {"points"},
    "credit": {"points"},
    "metric_bands": {"metric", "bands"},
    "metric_scale": {"metric", "from_", "to"},
    "rating": {"weights", "scale_max", "max_points"},
}


def Number(**kwargs: Any) -> DecimalString:
    """A decimal, as a string."""
    return DecimalString(**kwargs)


class Provenance(Schema):
    source = fields.String(validate=validate.Length(max=500))
    default = fields.Boolean()


class SeveritySchema(Schema):
    code = fields.String(required=True, validate=CODE)
    points = Number(required=True)
    fine = Number(minimum=0)


class BandSchema(Schema):
    min = Number(allow_none=True)
    max = Number(allow_none=True)
    points = Number(required=True)


class ThresholdSchema(Schema):
    value = Number(required=True)
    points = Number(required=True)


class ItemSchema(Provenance):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(KINDS))
    points = Number()
    once_per_month = fields.Boolean()
    monthly_cap = Number(minimum=0, exclusive_minimum=True)
    fine = Number(minimum=0)
    severities = fields.List(fields.Nested(SeveritySchema))
    metric = fields.String(validate=CODE)
    bands = fields.List(fields.Nested(BandSchema), validate=validate.Length(min=1))
    from_ = fields.Nested(ThresholdSchema, data_key="from")
    to = fields.Nested(ThresholdSchema)
    weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf([a.value for a in Assessor])),
        values=Number(minimum=0, maximum=1),
    )
    scale_max = Number(minimum=0, exclusive_minimum=True)
    max_points = Number(minimum=0)
    missing = fields.String(validate=validate.OneOf([m.value for m in MissingRatings]))

    @validates_schema
    def fields_fit_the_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("kind", "occurrence")
        specific = set().union(*KIND_FIELDS.values())
        errors: dict[str, list[str]] = {}
        for name in specific & set(data) - KIND_FIELDS[kind]:
            errors[_key(name)] = [f"Not used by a {kind} item."]
        for name in REQUIRED[kind] - set(data):
            errors[_key(name)] = [f"Required for a {kind} item."]
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def openapi(definition: dict[str, Any], months: MonthRange) -> dict[str, Any]:
        """One object per kind, with its own fields only and those it requires
        (``occurrence`` when ``kind`` is left out)."""
        properties = definition["properties"]
        specific = {_key(name) for name in set().union(*KIND_FIELDS.values())}
        common = [name for name in properties if name not in specific]
        variants = []
        for kind in KINDS:
            names = common + [_key(n) for n in sorted(KIND_FIELDS[kind])]
            shape = {name: deepcopy(properties[name]) for name in names}
            shape["kind"] = {"type": "string", "const": kind}
            required = [*definition.get("required", []), *map(_key, REQUIRED[kind])]
            if kind != "occurrence":
                required.append("kind")
            variants.append(
                {"type": "object", "title": f"{kind} item", "properties": shape,
                 "required": sorted(set(required)), "additionalProperties": False}
            )  # fmt: skip
        return {"oneOf": variants}


def _key(name: str) -> str:
    return "from" if name == "from_" else name


class CategorySchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    max = Number(required=True, minimum=0, exclusive_minimum=True)
    mode = fields.String(validate=validate.OneOf([m.value for m in Mode]))
    items = fields.List(fields.Nested(ItemSchema))


class GradeSchema(Provenance):
    code = fields.String(required=True, validate=CODE)
    min_total = Number(required=True, minimum=0, maximum=100)


class MoneySchema(Provenance):
    currency = fields.String(validate=Matching(r"^[A-Z]{3}$"))
    commission_base = Number(minimum=0)
    quarter_rewards = fields.List(Number(minimum=0))


class RulebookSchema(Schema):
    id = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source = fields.String(validate=validate.Length(max=500))
    categories = fields.List(
        fields.Nested(CategorySchema), required=True, validate=validate.Length(min=1)
    )
    grades = fields.List(fields.Nested(GradeSchema))
    money = fields.Nested(MoneySchema)
    bottom_group = WholeNumber(validate=validate.Range(min=0, max=100))
    min_working_days = WholeNumber(validate=validate.Range(min=0, max=31))
    dispute_days = WholeNumber(validate=validate.Range(min=0, max=366))


def parse_rulebook(document: Any) -> Rulebook:
    """Validate a rulebook document; raise ``ValidationError`` keyed by field paths."""
    if not isinstance(document, Mapping):
        raise ValidationError({"rulebook": ["Must be an object."]})
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
        message = error.message.removeprefix(f"{field}: ")
        path = f"{prefix}.{field}" if prefix and error.field else prefix or field
        raise RulebookError(message, field=path) from None
