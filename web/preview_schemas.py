"""Schemas of a diff between two standings: previews and dispute cascades."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from web.inputs import Points

MOVEMENT = {"description": "enters, leaves"}


class StandingOut(Schema):
    rulebook = fields.String()
    total = Points()
    categories = fields.Method("_categories")
    rank = fields.Integer()
    grade = fields.String(allow_none=True)
    commission = Points()
    in_top_of_month = fields.Boolean(
        metadata={"description": "Ranked within the month's top places (as many "
                  "as the quarter rewards, default 3)"},
    )  # fmt: skip
    in_bottom = fields.Boolean()

    def _categories(self, standing: Any) -> dict[str, str]:
        return {code: f"{score:.2f}" for code, score in standing.categories}


class CascadeStandingOut(StandingOut):
    rewarded = fields.Boolean(
        metadata={"description": "In the quarter's rewarded places"}
    )


class ChangeOut(Schema):
    agent_id = fields.String()
    month = fields.String()
    delta = Points()
    top_of_month = fields.String(allow_none=True, metadata=MOVEMENT)
    bottom = fields.String(allow_none=True, metadata=MOVEMENT)
    before = fields.Nested(StandingOut)
    after = fields.Nested(StandingOut)


class CascadeChangeOut(ChangeOut):
    """A change of standing a dispute's answer caused, rewards included."""

    rewarded = fields.String(allow_none=True, metadata=MOVEMENT)
    before = fields.Nested(CascadeStandingOut)
    after = fields.Nested(CascadeStandingOut)


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


class CandidateOut(Schema):
    """The candidate, numbered as the version it would be published as."""

    id = fields.String()
    version = fields.Integer()
    name = fields.String()
    candidate = fields.Constant(True)


class GovernsOut(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String(
        allow_none=True, metadata={"description": "null: every month on"}
    )


class KeptByOut(Schema):
    rulebook_id = fields.String()
    version = fields.Integer()
    effective_from = fields.String()


class ReachOut(Schema):
    """Which months a version governs, and the later versions that keep theirs."""

    governs = fields.Nested(GovernsOut)
    kept_by = fields.List(fields.Nested(KeptByOut))
    warning = fields.String(
        allow_none=True,
        metadata={"description": "Names the later versions in force that keep "
                  "months the version will not govern; null when none does"},
    )  # fmt: skip


class PreviewOut(Schema):
    rulebook = fields.Nested(CandidateOut, attribute="reach.rulebook")
    effective_from = fields.String(attribute="reach.effective_from")
    months = fields.List(fields.String())
    months_governed = fields.List(fields.String(), attribute="governed")
    scored_under = fields.Method("_scored_under")
    governs = fields.Nested(GovernsOut, attribute="described.governs")
    kept_by = fields.List(fields.Nested(KeptByOut), attribute="described.kept_by")
    warning = fields.String(
        allow_none=True,
        attribute="described.warning",
        metadata={"description": "Names the later versions in force that keep "
                  "months of the preview the candidate will not govern"},
    )  # fmt: skip
    summary = fields.Function(lambda preview: PreviewSummaryOut().dump(preview))
    changes = fields.List(fields.Nested(ChangeOut))

    def _scored_under(self, preview: Any) -> list[dict[str, Any]]:
        return [
            {
                "month": month,
                "rulebook_id": rulebook.id,
                "version": rulebook.version,
                "candidate": candidate,
            }
            for month, rulebook, candidate in preview.scored_under
        ]
