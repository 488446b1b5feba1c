"""Schemas of the facts beyond deductions: orders, observations (complaints,
promotion activities) and 360 ratings."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.document import Choice, Type
from domain.month import MonthRange
from domain.observations import KINDS
from domain.observations import Field as KindField
from domain.order_steps import API_COMMON, API_STEPS, FIELDS, STEPS, first_used
from domain.ratings import DIMENSIONS, SCALE
from domain.rulebook import Assessor
from domain.text import N_
from web.inputs import CODE, Day, DecimalString, MonthField, Points, WholeNumber
from web.rulebook_schema import marshmallow_value


def _api_type(name: str, steps: tuple[str, ...]) -> Type:
    """What the API takes for ``name`` in the bodies of ``steps``: its declared
    type, else the one set of values the workflow gives it in those steps
    (``step`` itself: one of them)."""
    spec = FIELDS[name]
    if spec.type is not None:
        return spec.type
    if name == "step":
        return Choice(steps)
    chosen = {STEPS[s].choices(name) for s in steps if name in STEPS[s].fields}
    if len(chosen) != 1 or None in chosen:
        raise TypeError(f"order steps {steps} give {name!r} no one set of values")
    return Choice(chosen.pop())


def _common(name: str, steps: tuple[str, ...]) -> fields.Field:
    """A field of every body of ``steps``: required, or None when left out."""
    given = {"required": True} if FIELDS[name].required else {"load_default": None}
    return marshmallow_value(_api_type(name, steps), **given)


def _order_in() -> type[Schema]:
    """The body of ``POST /orders``: the order, the submit step's fields, when
    and by whom."""
    submit = STEPS["submit"]
    shape = {"order_no": _common("order_no", (submit.name,))}
    shape |= {
        name: marshmallow_value(
            _api_type(name, (submit.name,)), required=name in submit.requires
        )
        for name in submit.fields
    }
    shape |= {
        name: _common(name, (submit.name,)) for name in API_COMMON if name != "step"
    }
    return Schema.from_dict(shape, name="OrderIn")


OrderIn = _order_in()
STEP_FIELDS = {name: set(STEPS[name].requires) for name in API_STEPS}
"""The fields each step of ``POST /orders/{order_no}/steps`` requires."""


class OrderStepRules(Schema):
    """Which fields each step takes and requires (``domain.order_steps``)."""

    @validates_schema
    def fields_fit_the_step(self, data: dict[str, Any], **_: Any) -> None:
        step = data.get("step")
        if step not in STEP_FIELDS:
            return
        given = set(data) - set(API_COMMON)
        unused = N_("Not used by a {step} step.")
        needed = N_("Required for a {step} step.")
        errors = {name: [unused.format(step=step)] for name in given - _allowed(step)}
        errors |= {
            name: [needed.format(step=step)] for name in STEP_FIELDS[step] - given
        }
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def openapi(definition: dict[str, Any], months: MonthRange) -> dict[str, Any]:
        """One object per step, with the fields that step takes and requires."""
        properties = definition["properties"]
        common = list(API_COMMON)
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
    return set(STEPS[step].fields)


OrderStepIn = OrderStepRules.from_dict(
    {name: _common(name, API_STEPS) for name in API_COMMON}
    | {
        name: marshmallow_value(_api_type(name, API_STEPS))
        for name in first_used(API_STEPS)
    },
    name="OrderStepIn",
)


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


def scored_fields() -> dict[str, fields.Field]:
    """Whether the rules in force for the fact's month score it, and why not."""
    return {
        "scored": fields.Boolean(
            allow_none=True,
            metadata={
                "description": "Whether the rulebook in force for the fact's month "
                "scores it; false: recorded all the same, worth nothing until "
                "a rulebook that scores it is in force"
            },
        ),
        "reason": fields.String(
            allow_none=True,
            metadata={"description": "Why it is not scored (null when it is)"},
        ),
    }


class RecordedOut(Schema.from_dict(scored_fields())):  # type: ignore[misc]
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


class FactRowOut(Schema):
    """A ledger row of a fact: what it contributes, and whether it counts."""

    position = fields.Integer()
    ordinal = fields.Integer()
    event_id = fields.String()
    kind = fields.String()
    item = fields.String()
    month = fields.String()
    occurred_on = fields.Date()
    detail = fields.Dict()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    superseded_by = fields.Integer(
        allow_none=True, metadata={"description": "The position that replaced it"}
    )
    excluded = fields.String(
        allow_none=True, metadata={"description": "Why it does not count, if so"}
    )


class FactOut(Schema):
    fact_id = fields.String()
    agent_id = fields.String()
    source = fields.String(
        metadata={"description": "deduction, complaints, promotion, rating, ..."}
    )
    rows = fields.List(fields.Nested(FactRowOut))


class ObservedOut(Schema.from_dict(scored_fields())):  # type: ignore[misc]
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


class RatingOut(Schema.from_dict(scored_fields())):  # type: ignore[misc]
    outcome = fields.String(metadata={"description": "given, revised, unchanged"})
    rating_id = fields.String(allow_none=True)
    position = fields.Integer(allow_none=True)
