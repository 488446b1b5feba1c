"""Request and response schemas of agents, deductions, scorecards and rankings,
health, rulebooks and rebuilds. Inputs reject unknown fields; decimals are
strings. The fields they share are in ``web.inputs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from projections.sql_lists import DEDUCTION_STATUSES
from web.errors import ProblemSchema
from web.fact_schemas import scored_fields
from web.fast_dump import compiled
from web.i18n import Localized, LocalName
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
from web.preview_schemas import ReachOut
from web.rulebook_schema import RulebookSchema, rulebook_of

# Agents


class AgentIn(Schema):
    agent_id = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=non_blank(100))
    team = fields.String(required=True, validate=CODE)
    supervisor = fields.String(required=True, validate=CODE)
    joined_on = Day(load_default=None, allow_none=True)


class AgentOut(Schema):
    agent_id = fields.String()
    name = fields.String()
    team = fields.String()
    supervisor = fields.String()
    joined_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)
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
    occurred_on = Day(required=True)
    quantity = WholeNumber(load_default=1, validate=validate.Range(min=1, max=1000))
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
    excluded = fields.String(
        allow_none=True, metadata={"description": "Why it does not count, if so"}
    )


class RecordedDeductionOut(DeductionOut, Schema.from_dict(scored_fields())):  # type: ignore[misc]
    """A deduction just recorded: always scored (refused unless its item is a
    rule item of its month)."""


class DeductionQuery(PageQuery):
    agent_id = fields.String(validate=CODE)
    team = fields.String(validate=CODE)
    month = MonthField(metadata={"description": "The month it counts in"})
    item = fields.String(validate=CODE, metadata={"description": "The rule item"})
    status = fields.String(
        validate=validate.OneOf(DEDUCTION_STATUSES),
        metadata={
            "description": "standing (never disputed, or upheld), disputed (a "
            "dispute is open), overturned or adjusted"
        },
    )


class ListedDeductionOut(DeductionOut):
    team = fields.String()
    month = fields.String(metadata={"description": "The month it counts in"})
    status = fields.String(validate=validate.OneOf(DEDUCTION_STATUSES))


class DeductionListOut(PageOut):
    deductions = fields.List(fields.Nested(ListedDeductionOut))


# Scorecards and rankings


class RulebookRef(Schema):
    id = fields.String()
    version = fields.Integer()


class FactRefOut(Schema):
    """An event behind a line."""

    fact_id = fields.String()
    event_id = fields.String()
    position = fields.Integer()
    occurred_on = fields.Date()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class LineOut(Schema):
    """A rule item's effect. Lines of one occurrence repeat its fact's details
    at the top level; every line lists all its facts under ``facts``."""

    item = fields.String()
    item_name = LocalName(metadata={"description": "In the asked language"})
    quantity = DecimalString(
        minimum=0,
        attribute="fact.quantity",
        metadata={"description": "How many occurrences: 1, 3, 0.5 (days of leave)"},
    )
    severity = fields.String(attribute="fact.severity", allow_none=True)
    points = Points()
    fine = Points()
    remark = Localized(metadata={"description": "Why the points are what they are"})
    inputs = fields.Function(lambda line: dict(line.inputs))
    facts = fields.List(fields.Nested(FactRefOut))
    occurred_on = fields.Date(attribute="fact.occurred_on")
    fact_id = fields.String(attribute="fact.fact_id")
    event_id = fields.String(attribute="fact.event_id")
    position = fields.Integer(attribute="fact.position")
    recorded_by = fields.String(attribute="fact.recorded_by")
    recorded_at = fields.DateTime(attribute="fact.recorded_at")


class CategoryOut(Schema):
    code = fields.String()
    name = LocalName(metadata={"description": "In the asked language"})
    max = Points()
    score = Points()
    floor_applied = fields.Boolean()
    lines = fields.List(fields.Nested(LineOut))


class ScorecardOut(Schema):
    agent_id = fields.String()
    month = fields.String()
    rulebook = fields.Nested(RulebookRef)
    total = Points(attribute="card.total")
    categories = fields.List(fields.Nested(CategoryOut), attribute="card.categories")
    unscored = fields.List(fields.Nested(LineOut), attribute="card.unscored")
    grade = fields.String(allow_none=True, attribute="card.grade")
    commission = Points(attribute="card.commission")
    fines = Points(attribute="card.fines")
    currency = fields.String(attribute="card.currency")
    complete = fields.Boolean(
        attribute="card.complete",
        metadata={"description": "No metric or rating missing"},
    )
    missing = fields.List(fields.String(), attribute="card.missing")
    period = fields.String(metadata={"description": "The period's status"})
    provisional = fields.Boolean(metadata={"description": "A dispute is open"})
    disputed = fields.List(
        fields.String(), metadata={"description": "Deductions with an open dispute"}
    )
    published_total = Points(
        allow_none=True, metadata={"description": "The total when first published"}
    )
    changed_after_publication = fields.Boolean()
    reopenings = fields.List(fields.Dict(), metadata={"description": "by, reason, at"})
    position = fields.Integer(
        metadata={"description": "Log position the read reflects"}
    )

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """marshmallow's document, written by ``web.fast_dump`` (a scorecard
        holds some 700 values: marshmallow took over half of a first read)."""
        fast = None if many else compiled(self)
        return super().dump(obj, many=many) if fast is None else fast(obj)


class RankingQuery(Schema):
    team = fields.String(validate=CODE)
    as_of = Moment(metadata={"description": "A past time"})
    position = fields.Integer(
        validate=validate.Range(min=0, max=2**62),
        metadata={"description": "A past notification position"},
    )


class RankingEntryOut(Schema):
    rank = fields.Integer(
        allow_none=True,
        metadata={"description": "null: present too few working days to be ranked"},
    )
    present_days = fields.Integer(metadata={"description": "working days present"})
    agent_id = fields.String()
    name = fields.String()
    team = fields.String()
    total = Points()


class RankingOut(Schema):
    month = fields.String()
    period = fields.String(metadata={"description": "The period's status"})
    team = fields.String(allow_none=True)
    rulebook = fields.Nested(RulebookRef)
    entries = fields.List(fields.Nested(RankingEntryOut))
    note = fields.String(
        allow_none=True,
        metadata={"description": "Why nobody is ranked: no fact of the month "
                  "is recorded (everyone would show the empty score)"},
    )  # fmt: skip
    position = fields.Integer()


class ReadModelHealth(Schema):
    name = fields.String()
    position = fields.Integer()
    lag = fields.Integer(metadata={"description": "events not yet folded in"})
    live = fields.Boolean()


class ProjectorHealth(Schema):
    name = fields.String()
    process = fields.String(metadata={"description": "host:pid of the projector"})
    position = fields.Integer()
    seen_at = fields.String(metadata={"description": "its last heartbeat (UTC)"})
    stalled_at = fields.Integer(allow_none=True)
    stalled_topic = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


class ReplicaHealth(Schema):
    status = fields.String(
        validate=validate.OneOf(["ok", "degraded", "unreachable"]),
        metadata={"description": "ok; degraded (replay paused or far behind, "
                  "or a read failed just now); unreachable (reads go to the "
                  "primary)"},
    )  # fmt: skip
    detail = fields.String(allow_none=True)
    in_recovery = fields.Boolean(
        metadata={"description": "a standby replaying the primary's log"}
    )
    replay_paused = fields.Boolean()
    position = fields.Integer(metadata={"description": "its live read models'"})
    lag = fields.Integer(
        metadata={"description": "positions behind the primary's live read models"}
    )
    lag_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "age of the last transaction it replayed, "
                  "0 when it has replayed everything it received"},
    )  # fmt: skip
    reads_from = fields.String(
        validate=validate.OneOf(["replica", "primary"]),
        metadata={"description": "where this worker's reads go now"},
    )


class FailingWebhook(Schema):
    webhook_id = fields.String()
    url = fields.String()
    failed = fields.Integer(metadata={"description": "deliveries failed"})
    retrying = fields.Integer(
        metadata={"description": "pending deliveries whose last attempt failed"}
    )


class DeliveryBacklog(Schema):
    """Webhook deliveries active subscriptions are still owed."""

    pending = fields.Integer()
    oldest_pending_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "since the oldest pending moment happened; "
                  "null when nothing is pending"},
    )  # fmt: skip
    threshold_seconds = fields.Float(
        metadata={"description": "APPRAISAL_WEBHOOK_BACKLOG_SECONDS"}
    )
    behind = fields.Boolean(
        metadata={"description": "the oldest pending waits past the threshold"}
    )
    failing = fields.List(fields.Nested(FailingWebhook))


class Health(Schema):
    status = fields.String(
        metadata={"description": "ok; degraded when the read replica is not "
                  "serving reads (they go to the primary) or webhook deliveries "
                  "wait past APPRAISAL_WEBHOOK_BACKLOG_SECONDS"}
    )  # fmt: skip
    backend = fields.String()
    position = fields.Integer(metadata={"description": "the live read models'"})
    head = fields.Integer(metadata={"description": "the last event in the log"})
    lag = fields.Integer()
    read_models = fields.List(fields.Nested(ReadModelHealth))
    projectors = fields.List(fields.Nested(ProjectorHealth))
    replica = fields.Nested(
        ReplicaHealth,
        metadata={"description": "only when DATABASE_READ_URL names one"},
    )
    webhooks = fields.Nested(DeliveryBacklog)


class HealthProblem(ProblemSchema):
    """What is wrong, with the members of a health report (those the store
    could tell; none if it is unreachable)."""

    status = fields.Integer(required=True, validate=validate.Equal(503))
    code = fields.String(
        required=True,
        validate=validate.OneOf(
            ["store_unreachable", "read_side_stalled", "projector_not_running"]
        ),
    )
    backend = fields.String()
    position = fields.Integer()
    head = fields.Integer()
    lag = fields.Integer()
    read_models = fields.List(fields.Nested(ReadModelHealth))
    projectors = fields.List(fields.Nested(ProjectorHealth))
    replica = fields.Nested(
        ReplicaHealth,
        metadata={"description": "only when DATABASE_READ_URL names one"},
    )
    webhooks = fields.Nested(DeliveryBacklog)


# Rulebooks, previews and rebuilds


class RulebookField(fields.Nested):
    """A rulebook document (docs/rulebooks.md), documented and checked by
    ``RulebookSchema``; it loads as the document itself. Its rules (maxima
    adding up to 100, ...) are the domain's, checked once the whole request
    is valid (``RulebookIn``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(RulebookSchema, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError("Must be an object.")
        super()._deserialize(value, attr, data, **kwargs)
        return value


class RulebookIn(Schema):
    """A request carrying a rulebook: once its fields are valid, the document
    becomes a ``Rulebook``; a broken rule is the domain's refusal
    (``RulebookError``, 422 ``rule_violated``), naming ``rulebook.<path>``."""

    @post_load
    def rulebook_rules(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return data | {"rulebook": rulebook_of(data["rulebook"], "rulebook")}


class PublishIn(RulebookIn):
    rulebook = RulebookField(required=True)
    effective_from = MonthField(required=True)


class PublishedOut(Schema):
    rulebook_id = fields.String()
    version = fields.Integer()
    effective_from = MonthField()
    generation = fields.Integer()
    position = fields.Integer()


class VersionOut(Schema):
    rulebook_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    effective_from = fields.String()
    generation = fields.Integer()
    honoured = fields.Boolean(
        metadata={"description": "Whether the live read models apply it"}
    )
    published_by = fields.String()
    published_at = fields.DateTime(allow_none=True)
    position = fields.Integer()
    digest = fields.String()


class VersionDetailOut(VersionOut):
    document = fields.Dict()


class RulebookListOut(Schema):
    versions = fields.List(fields.Nested(VersionOut))
    in_force = fields.Nested(VersionOut, metadata={"description": "This month's"})


class PreviewIn(RulebookIn):
    rulebook = RulebookField(required=True)
    from_ = MonthField(required=True, data_key="from")
    to = MonthField(required=True)
    effective_from = MonthField(
        load_default=None,
        metadata={"description": "The month the candidate would be published "
                  "from; default: from"},
    )  # fmt: skip


class RebuildIn(PublishIn):
    reason = fields.String(
        load_default=None,
        validate=non_blank(500),
        metadata={"description": "Why the rules are re-applied (kept with it)"},
    )


class RebuildRequestOut(Schema):
    """Which rules a rebuild applies, who asked for it, when and why."""

    rebuild_id = fields.UUID()
    generation = fields.Integer()
    parent = fields.Integer(metadata={"description": "The generation it replaces"})
    status = fields.String(metadata={"description": "running, completed, abandoned"})
    rulebook_id = fields.String()
    version = fields.Integer()
    effective_from = fields.String()
    requested_by = fields.String()
    requested_at = fields.DateTime()
    reason = fields.String(allow_none=True)


class RebuildListOut(PageOut):
    rebuilds = fields.List(fields.Nested(RebuildRequestOut))


class RebuildOut(RebuildRequestOut, ReachOut):
    events_done = fields.Integer(attribute="done")
    events_total = fields.Integer(attribute="total")
    rate_per_second = fields.Float(attribute="rate")
    seconds_remaining = fields.Float(attribute="remaining_seconds", allow_none=True)
    started_at = fields.DateTime()
    result = fields.Dict()


class ReasonIn(Schema):
    reason = fields.String(required=True, validate=non_blank(500))


class GenerationOut(Schema):
    generation = fields.Integer()
    parent = fields.Integer(allow_none=True)
    live = fields.Boolean()
    building = fields.Boolean()
    dropped = fields.Boolean()
    rebuild = fields.Nested(
        RebuildRequestOut,
        allow_none=True,
        metadata={"description": "The rebuild that made it; null for the first"},
    )


class GenerationListOut(Schema):
    generations = fields.List(fields.Nested(GenerationOut))


class PositionOut(Schema):
    position = fields.Integer()
