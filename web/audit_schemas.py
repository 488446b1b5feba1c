"""Schemas of disputes, explanations, time travel and audits."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.deduction import OUTCOMES
from domain.month import MonthRange
from domain.text import N_
from projections.sql_lists import DISPUTE_STATES
from web.i18n import LocalLead, LocalName
from web.inputs import (
    CODE,
    Day,
    DecimalString,
    Moment,
    MonthField,
    Points,
    WholeNumber,
    non_blank,
)
from web.pages import PageOut, PageQuery
from web.preview_schemas import CascadeChangeOut

# Points a dispute proposes or a resolution sets for a deduction.
DEDUCTION_POINTS = {"minimum": -100, "maximum": 0}


class AsOfQuery(Schema):
    """Read the score as it stood at a past time or log position (one of them)."""

    EXCLUSIVE = ("as_of", "position")

    as_of = Moment(metadata={"description": "A past time, e.g. 2026-11-03T10:00:00Z"})
    position = fields.Integer(
        strict=False, validate=validate.Range(min=0, max=2**62),
        metadata={"description": "A past notification position"},
    )  # fmt: skip

    @validates_schema
    def one_or_none(self, data: dict[str, Any], **_: Any) -> None:
        if all(name in data for name in self.EXCLUSIVE):
            raise ValidationError(N_("Give as_of or position, not both."), "position")

    @classmethod
    def openapi(cls, definition: dict[str, Any], months: MonthRange) -> dict[str, Any]:
        return definition | {"not": {"required": list(cls.EXCLUSIVE)}}


class DisputeIn(Schema):
    reason = fields.String(required=True, validate=non_blank(2000))
    evidence = fields.String(
        load_default=None, validate=validate.Length(min=1, max=500)
    )
    proposed_quantity = WholeNumber(
        load_default=None, validate=validate.Range(min=0, max=1000)
    )
    proposed_points = DecimalString(load_default=None, **DEDUCTION_POINTS)
    reviewer = fields.String(load_default=None, validate=CODE)


class ResolutionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    quantity = WholeNumber(load_default=None, validate=validate.Range(min=0, max=1000))
    points = DecimalString(load_default=None, **DEDUCTION_POINTS)


class DisputedOut(Schema):
    dispute_id = fields.String(
        attribute="id", metadata={"description": "<deduction_id>:<number>"}
    )
    deduction_id = fields.String()
    number = fields.Integer(metadata={"description": "1 for its first dispute"})
    deadline = fields.Date(
        metadata={"description": "The end of the month's review window"}
    )
    position = fields.Integer()


class ResolvedOut(Schema):
    deduction_id = fields.String()
    outcome = fields.String()
    position = fields.Integer()
    cascade = fields.List(
        fields.Nested(CascadeChangeOut),
        metadata={"description": "Every agent whose standing changed: before, after"},
    )


class DisputeFilter(Schema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf([*DISPUTE_STATES, "all"]),
        metadata={"description": "open, resolved (any outcome), one outcome, or all"},
    )
    team = fields.String(validate=CODE)
    reviewer = fields.String(validate=CODE)
    agent_id = fields.String(validate=CODE)
    month = MonthField()


class DisputeQuery(DisputeFilter, PageQuery):
    due_before = Day(
        metadata={"description": "Only disputes whose deadline is before this day"}
    )


class DisputeOut(Schema):
    dispute_id = fields.Function(
        lambda d: f"{d['deduction_id']}:{d['number']}",
        metadata={"description": "<deduction_id>:<number>"},
    )
    deduction_id = fields.String()
    number = fields.Integer()
    agent_id = fields.String()
    team = fields.String()
    month = fields.String()
    disputed_by = fields.String()
    reviewer = fields.String(allow_none=True)
    reason = fields.String()
    evidence = fields.String(allow_none=True)
    proposed_quantity = fields.Integer(allow_none=True)
    proposed_points = Points(allow_none=True)
    disputed_at = fields.DateTime()
    disputed_position = fields.Integer()
    outcome = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolved_position = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    age_days = fields.Float(metadata={"description": "Days open, or taken to resolve"})
    deadline = fields.Date(
        metadata={"description": "The end of the month's review window"}
    )


class DisputeListOut(PageOut):
    disputes = fields.List(fields.Nested(DisputeOut))


class DisputeSummaryOut(Schema):
    open = fields.Integer()
    resolved = fields.Integer()
    median_days_to_resolve = fields.Float(allow_none=True)
    shares = fields.Dict(
        keys=fields.String(), values=fields.Float(),
        metadata={"description": "Share of resolved disputes per outcome"},
    )  # fmt: skip


class EntryOut(Schema):
    position = fields.Integer(allow_none=True)
    event_type = fields.String()
    what = LocalLead(
        "item_name",
        metadata={"description": "What happened; a rule item's name in the "
                  "asked language"},
    )  # fmt: skip
    item_name = LocalName(
        allow_none=True, metadata={"description": "In the asked language"}
    )
    points = Points()
    running_total = Points()
    status = fields.String()
    category = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    rulebook = fields.String(allow_none=True)
    occurred_on = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True)
    recorded_at = fields.String(allow_none=True)
    event_id = fields.String(allow_none=True)
    inputs = fields.Dict()
    facts = fields.List(
        fields.Dict(),
        metadata={"description": "Each fact behind it: ids, position, what it "
                  "was (detail) and the positions it corrected (replaces)"},
    )  # fmt: skip
    detail = fields.Dict(
        metadata={"description": "What the fact was: a deduction's note and "
                  "evidence, a complaint's number and text, ..."},
    )  # fmt: skip
    replaces = fields.List(
        fields.Integer(),
        metadata={"description": "Positions of the rows this correction replaced"},
    )


class ExplanationOut(Schema):
    agent_id = fields.String()
    month = fields.String()
    rulebook = fields.String()
    as_of = fields.Integer(metadata={"description": "The position it stood at"})
    start = Points(metadata={"description": "Sum of the deduct categories' maxima"})
    entries = fields.List(fields.Nested(EntryOut))
    total = Points()
    provisional = fields.Boolean(metadata={"description": "A dispute is open"})


class VerificationOut(Schema):
    ok = fields.Boolean()
    events = fields.Integer()
    seconds = fields.Float()
    first_bad = fields.Dict(allow_none=True)


class ExportQuery(Schema):
    month = MonthField(required=True)
    agent_id = fields.String(validate=CODE)
