"""Schemas of the monthly cycle: periods, rankings' context, quarters, duties."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.inputs import Day, Points, non_blank


class HistoryOut(Schema):
    event = fields.String(metadata={"description": "closed, published, reopened"})
    by = fields.String()
    reason = fields.String(allow_none=True)
    published_on = fields.String(allow_none=True)
    chain_head = fields.Dict(
        allow_none=True,
        metadata={
            "description": "published: the hash chain's last link (position, hash) "
            "when the report was issued; check it with GET /audit/verify"
        },
    )
    at = fields.String()
    position = fields.Integer()


class PeriodOut(Schema):
    month = fields.String()
    status = fields.String(
        metadata={"description": "open, closed, published, reopened"}
    )
    phase = fields.String(
        metadata={
            "description": "in progress, awaiting review, review window, "
            "review overdue, closed, published"
        }
    )
    review_from = fields.Date()
    review_to = fields.Date()
    history = fields.List(fields.Nested(HistoryOut))


class ReopenIn(Schema):
    reason = fields.String(required=True, validate=non_blank(500))


class PeriodChangeOut(Schema):
    month = fields.String()
    status = fields.String()
    position = fields.Integer()


class QuarterStandingOut(Schema):
    agent_id = fields.String()
    totals = fields.List(Points())
    average = Points()
    place = fields.Integer()
    reward = Points(metadata={"description": "What the place earns (provisional)"})


class AwardOut(Schema):
    agent_id = fields.String()
    place = fields.Integer(allow_none=True)
    amount = Points()
    kind = fields.String(metadata={"description": "granted, adjusted"})
    position = fields.Integer()
    reason = fields.String(allow_none=True)


class QuarterOut(Schema):
    quarter = fields.String()
    months = fields.List(fields.String())
    status = fields.String(metadata={"description": "provisional, published"})
    standings = fields.List(fields.Nested(QuarterStandingOut))
    awards = fields.List(fields.Nested(AwardOut))


class DutyQuery(Schema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf(
            ["open", "overdue", "submitted", "submitted late", "withdrawn", "all"]
        ),
    )


class PayrollQuery(Schema):
    format = fields.String(
        validate=validate.OneOf(["csv", "xlsx"]),
        metadata={
            "description": "csv (UTF-8 with a BOM) or xlsx; without it, the "
            "Accept header chooses, and CSV is the default."
        },
    )


class DutyOut(Schema):
    duty_id = fields.String()
    month = fields.String()
    agent_id = fields.String()
    supervisor = fields.String()
    due_on = fields.Date()
    status = fields.String()
    submitted_on = fields.Date(allow_none=True)
    owed_since = fields.Integer(metadata={"description": "position of the report"})


class DutyListOut(Schema):
    duties = fields.List(fields.Nested(DutyOut))


class PlanIn(Schema):
    why = fields.String(required=True, validate=non_blank(4000))
    actions = fields.String(required=True, validate=non_blank(4000))


class LeaveIn(Schema):
    left_on = Day(required=True)


class ClosedDayIn(Schema):
    day = Day(required=True)
    reason = fields.String(required=True, validate=non_blank(200))


class ClosedDayOut(Schema):
    day = fields.Date()
    reason = fields.String()


class ClosedDayListOut(Schema):
    closed_days = fields.List(fields.Nested(ClosedDayOut))
