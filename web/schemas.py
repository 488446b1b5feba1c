"""Request and response schemas. Inputs reject unknown fields; decimals are strings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    error="Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use a month as YYYY-MM.")


def _text(max_length: int) -> validate.Validator:
    return validate.And(
        validate.Length(min=1, max=max_length),
        validate.Regexp(r"\S", error="Must not be blank."),
    )


class Points(fields.Decimal):
    """Points and money travel as strings with two decimals: "39.00"."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(places=2, as_string=True, **kwargs)  # type: ignore[arg-type]


# Agents


class AgentIn(Schema):
    agent_id = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=_text(100))
    team = fields.String(required=True, validate=CODE)
    supervisor = fields.String(required=True, validate=CODE)
    joined_on = fields.Date(load_default=None, allow_none=True)


class AgentOut(Schema):
    agent_id = fields.String()
    name = fields.String()
    team = fields.String()
    supervisor = fields.String()
    joined_on = fields.Date(allow_none=True)
    registered_at = fields.DateTime()
    position = fields.Integer()


class AgentQuery(Schema):
    team = fields.String(validate=CODE)


class AgentList(Schema):
    agents = fields.List(fields.Nested(AgentOut))


# Deductions


class DeductionIn(Schema):
    agent_id = fields.String(required=True, validate=CODE)
    item = fields.String(required=True, validate=CODE)
    occurred_on = fields.Date(required=True)
    quantity = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=1000)
    )
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    evidence_ref = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=500)
    )
    severity = fields.String(load_default=None, allow_none=True, validate=CODE)


class DeductionOut(Schema):
    deduction_id = fields.String()
    agent_id = fields.String()
    item = fields.String()
    occurred_on = fields.Date()
    quantity = fields.Integer()
    note = fields.String()
    evidence_ref = fields.String(allow_none=True)
    severity = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    event_id = fields.String()
    position = fields.Integer()


# Scorecards and rankings


class RulebookRef(Schema):
    id = fields.String()
    version = fields.Integer()


class LineOut(Schema):
    item = fields.String(attribute="fact.item")
    item_name = fields.String()
    quantity = fields.Integer(attribute="fact.quantity")
    points = Points()
    remark = fields.String()
    occurred_on = fields.Date(attribute="fact.occurred_on")
    fact_id = fields.String(attribute="fact.fact_id")
    event_id = fields.String(attribute="fact.event_id")
    position = fields.Integer(attribute="fact.position")
    recorded_by = fields.String(attribute="fact.recorded_by")
    recorded_at = fields.DateTime(attribute="fact.recorded_at")


class CategoryOut(Schema):
    code = fields.String()
    name = fields.String()
    max = Points()
    score = Points()
    floor_applied = fields.Boolean()
    lines = fields.List(fields.Nested(LineOut))


class ScorecardOut(Schema):
    agent_id = fields.String()
    month = fields.String()
    rulebook = fields.Nested(RulebookRef)
    total = Points()
    categories = fields.List(fields.Nested(CategoryOut))
    unscored = fields.List(fields.Nested(LineOut))
    position = fields.Integer(
        metadata={"description": "Log position the read reflects"}
    )


class RankingQuery(Schema):
    team = fields.String(validate=CODE)


class RankingEntryOut(Schema):
    rank = fields.Integer()
    agent_id = fields.String()
    name = fields.String()
    team = fields.String()
    total = Points()


class RankingOut(Schema):
    month = fields.String()
    team = fields.String(allow_none=True)
    rulebook = fields.Nested(RulebookRef)
    entries = fields.List(fields.Nested(RankingEntryOut))
    position = fields.Integer()


class Health(Schema):
    status = fields.String()
    backend = fields.String()
    position = fields.Integer()
