"""The rulebook document format, validated with marshmallow.

The schema checks the shape (types, required and unknown fields, each item
kind's own fields); ``domain.rulebook.Rulebook.from_dict`` then checks the rules
(maxima add up to 100, points fit the category's mode, bands do not overlap,
weights add up to 1). Either way, every error names the path of the bad field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.errors import RulebookError
from domain.rulebook import Assessor, MissingRatings, Mode, Rulebook

CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    error="Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
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


def Number(**kwargs: Any) -> fields.Decimal:
    """A decimal given as a JSON number or string; never NaN or infinite."""
    return fields.Decimal(allow_nan=False, **kwargs)


class Provenance(Schema):
    source = fields.String(validate=validate.Length(max=500))
    default = fields.Boolean()


class SeveritySchema(Schema):
    code = fields.String(required=True, validate=CODE)
    points = Number(required=True)
    fine = Number(validate=validate.Range(min=0))


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
    monthly_cap = Number(validate=validate.Range(min=0, min_inclusive=False))
    fine = Number(validate=validate.Range(min=0))
    severities = fields.List(fields.Nested(SeveritySchema))
    metric = fields.String(validate=CODE)
    bands = fields.List(fields.Nested(BandSchema), validate=validate.Length(min=1))
    from_ = fields.Nested(ThresholdSchema, data_key="from")
    to = fields.Nested(ThresholdSchema)
    weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf([a.value for a in Assessor])),
        values=Number(validate=validate.Range(min=0, max=1)),
    )
    scale_max = Number(validate=validate.Range(min=0, min_inclusive=False))
    max_points = Number(validate=validate.Range(min=0))
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


def _key(name: str) -> str:
    return "from" if name == "from_" else name


class CategorySchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    max = Number(required=True, validate=validate.Range(min=0, min_inclusive=False))
    mode = fields.String(validate=validate.OneOf([m.value for m in Mode]))
    items = fields.List(fields.Nested(ItemSchema))


class GradeSchema(Provenance):
    code = fields.String(required=True, validate=CODE)
    min_total = Number(required=True, validate=validate.Range(min=0, max=100))


class MoneySchema(Provenance):
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    commission_base = Number(validate=validate.Range(min=0))
    quarter_rewards = fields.List(Number(validate=validate.Range(min=0)))


class RulebookSchema(Schema):
    id = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source = fields.String(validate=validate.Length(max=500))
    categories = fields.List(
        fields.Nested(CategorySchema), required=True, validate=validate.Length(min=1)
    )
    grades = fields.List(fields.Nested(GradeSchema))
    money = fields.Nested(MoneySchema)
    bottom_group = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    min_working_days = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=31)
    )
    dispute_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=366))


def parse_rulebook(document: Any) -> Rulebook:
    """Validate a rulebook document; raise ``ValidationError`` keyed by field paths."""
    if not isinstance(document, Mapping):
        raise ValidationError({"rulebook": ["Must be an object."]})
    RulebookSchema().load(document)
    try:
        return Rulebook.from_dict(document)
    except RulebookError as error:
        field = error.field or "rulebook"
        message = error.message.removeprefix(f"{field}: ")
        raise ValidationError({field: [message]}) from None
