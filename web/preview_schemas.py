"""Schemas of a diff between two standings: previews and dispute cascades."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from web.inputs import Points


class StandingOut(Schema):
    rulebook = fields.String()
    total = Points()
    categories = fields.Method("_categories")
    rank = fields.Integer()
    grade = fields.String(allow_none=True)
    commission = Points()
    in_top = fields.Boolean()
    in_bottom = fields.Boolean()

    def _categories(self, standing: Any) -> dict[str, str]:
        return {code: f"{score:.2f}" for code, score in standing.categories}


class ChangeOut(Schema):
    agent_id = fields.String()
    month = fields.String()
    delta = Points()
    top = fields.String(allow_none=True, metadata={"description": "enters, leaves"})
    bottom = fields.String(allow_none=True, metadata={"description": "enters, leaves"})
    before = fields.Nested(StandingOut)
    after = fields.Nested(StandingOut)


class MoveOut(Schema):
    agent_id = fields.String()
    month = fields.String()
    delta = Points()


class PreviewSummaryOut(Schema):
    agent_months_compared = fields.Integer(attribute="compared")
    agent_months_changed = fields.Method("_changed")
    agents_changed = fields.Integer()
    largest_moves = fields.List(fields.Nested(MoveOut))

    def _changed(self, preview: Any) -> int:
        return len(preview.changes)


class PreviewOut(Schema):
    months = fields.List(fields.String())
    summary = fields.Function(lambda preview: PreviewSummaryOut().dump(preview))
    changes = fields.List(fields.Nested(ChangeOut))
