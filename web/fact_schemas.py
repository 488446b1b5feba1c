"""Schemas of the facts beyond deductions: orders, observations (complaints,
promotion activities) and 360 ratings."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.commands import ORDER_STEPS
from domain.month import MonthRange
from domain.observations import KINDS
from domain.observations import Field as KindField
from domain.orders import workflow
from domain.ratings import DIMENSIONS, SCALE
from domain.rulebook import Assessor
from web.inputs import CODE, Day, DecimalString, MonthField, Points, WholeNumber

REFERENCE = validate.Length(min=1, max=100)


def Amount(**kwargs: Any) -> DecimalString:
    """An order's amount: a decimal string from 0 to 1,000,000,000."""
    return DecimalString(minimum=0, maximum=10**9, **kwargs)


STEP_FIELDS = {
    "process": {"case"},
    "check": {"batch", "passed"},
    "pay": set(),
    "feedback": set(),
    "dispute": {"reason"},
    "resolve": {"number", "outcome"},
    "finish": {"outcome"},
    "correct_amount": {"amount"},
}


class OrderIn(Schema):
    order_no = fields.String(required=True, validate=REFERENCE)
    agent_id = fields.String(required=True, validate=CODE)
    case = fields.String(
        required=True, validate=validate.OneOf(workflow().submit_cases)
    )
    amount = Amount(required=True)
    occurred_on = Day(required=True)
    handled_by = fields.String(validate=CODE, load_default=None)


class OrderStepIn(Schema):
    step = fields.String(
        required=True,
        validate=validate.OneOf(
            [s for s in ORDER_STEPS if s != "submit"] + ["correct_amount"]
        ),
    )
    occurred_on = Day(required=True)
    handled_by = fields.String(validate=CODE, load_default=None)
    case = fields.String(validate=validate.OneOf(workflow().process_cases))
    batch = WholeNumber(validate=validate.Range(min=1, max=100))
    passed = fields.Boolean()
    note = fields.String(validate=validate.Length(max=2000))
    reason = fields.String(validate=validate.OneOf(workflow().dispute_reasons))
    number = WholeNumber(validate=validate.Range(min=1, max=10_000))
    outcome = fields.String(validate=validate.Length(min=1, max=40))
    amount = Amount()

    @validates_schema
    def fields_fit_the_step(self, data: dict[str, Any], **_: Any) -> None:
        step = data.get("step")
        if step not in STEP_FIELDS:
            return
        given = set(data) - {"step", "occurred_on", "handled_by"}
        errors = {
            name: [f"Not used by a {step} step."] for name in given - _allowed(step)
        }
        errors |= {
            name: [f"Required for a {step} step."] for name in STEP_FIELDS[step] - given
        }
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def openapi(definition: dict[str, Any], months: MonthRange) -> dict[str, Any]:
        """One object per step, with the fields that step takes and requires."""
        properties = definition["properties"]
        common = ["step", "occurred_on", "handled_by"]
        variants = []
        for step in properties["step"]["enum"]:
            names = common + sorted(_allowed(step))
            shape = {name: deepcopy(properties[name]) for name in names}
            shape["step"] = {"type": "string", "const": step}
            required = sorted({"step", "occurred_on", *STEP_FIELDS[step]})
            variants.append(
                {"type": "object", "title": f"{step} step", "properties": shape,
                 "required": required, "additionalProperties": False}
            )  # fmt: skip
        return {"oneOf": variants}


def _allowed(step: str) -> set[str]:
    """The fields a step takes beside step, occurred_on and handled_by."""
    return STEP_FIELDS[step] | ({"note"} if step == "check" else set())


class OrderStepOut(Schema):
    step = fields.String()
    values = fields.Dict()
    occurred_on = fields.String(metadata={"format": "date"})
    handled_by = fields.String()
    recorded_by = fields.String()
    event_id = fields.String()
    position = fields.Integer()


class OrderOut(Schema):
    order_no = fields.String()
    owner = fields.String()
    submitted_on = fields.Date()
    amount = Points()
    steps = fields.List(fields.Nested(OrderStepOut))
    position = fields.Integer()


class RecordedOut(Schema):
    id = fields.String()
    event_id = fields.String()
    position = fields.Integer()
    recorded_at = fields.DateTime()


def _observed(spec: KindField) -> fields.Field:
    """A field of an observation kind, named as the API names it and loaded
    under its own name."""
    given: dict[str, Any] = (
        {"required": True} if spec.required else {"load_default": spec.default}
    )
    if spec.called:
        given["data_key"] = spec.called
    if spec.type is bool:
        return fields.Boolean(**given)
    if spec.type is int:
        low, high = spec.minimum, spec.maximum
        return WholeNumber(validate=validate.Range(min=low, max=high), **given)
    if spec.type is not str:
        low, high = (
            None if b is None else int(b) for b in (spec.minimum, spec.maximum)
        )
        return DecimalString(minimum=low, maximum=high, **given)
    if spec.choices:
        return fields.String(validate=validate.OneOf(spec.choices), **given)
    shortest = 1 if spec.required else None
    length = validate.Length(min=shortest, max=spec.max_length)
    return fields.String(validate=length, **given)


def observation_in(kind: str, name: str) -> type[Schema]:
    """The body that records one observation of ``kind``: the agent, the
    business date and the kind's own fields, from its ``Kind``."""
    shape: dict[str, fields.Field] = {
        "agent_id": fields.String(required=True, validate=CODE),
        "occurred_on": Day(required=True),
    }
    shape |= {spec.name: _observed(spec) for spec in KINDS[kind].fields}
    return Schema.from_dict(shape, name=name)


ComplaintIn = observation_in("complaints", "ComplaintIn")
PromotionIn = observation_in("promotion", "PromotionIn")


class ObservedOut(Schema):
    outcome = fields.String(metadata={"description": "recorded, corrected, unchanged"})
    observation_id = fields.UUID()
    position = fields.Integer(allow_none=True)


class RatingIn(Schema):
    agent_id = fields.String(required=True, validate=CODE)
    month = MonthField(required=True)
    assessor = fields.String(
        required=True, validate=validate.OneOf([a.value for a in Assessor])
    )
    dimensions = fields.Dict(
        required=True,
        keys=fields.String(
            validate=validate.OneOf(
                sorted({d for ds in DIMENSIONS.values() for d in ds})
            )
        ),
        values=DecimalString(minimum=0, maximum=int(SCALE)),
    )
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class RatingOut(Schema):
    outcome = fields.String(metadata={"description": "given, revised, unchanged"})
    rating_id = fields.String(allow_none=True)
    position = fields.Integer(allow_none=True)
