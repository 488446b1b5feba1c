"""Request and response schemas of webhook subscriptions and their deliveries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.webhooks import FORMATS, KINDS, LANGUAGES, MAX_URL, MIN_SECRET
from web.inputs import CODE

STATUSES = ("active", "paused")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookIn(Schema):
    url = fields.String(
        required=True,
        # What makes a URL acceptable is the domain's rule (invalid_fact).
        validate=validate.Length(min=1, max=MAX_URL),
        metadata={"description": "An http or https URL that receives POSTs"},
    )
    kinds = fields.List(
        fields.String(validate=validate.OneOf(KINDS)),
        required=True,
        validate=validate.Length(min=1, max=len(KINDS)),
        metadata={"description": "The moments wanted"},
    )
    team = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={"description": "Only moments about agents of this team "
                  "(department-wide moments, like a period's, always)"},
    )  # fmt: skip
    secret = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=MIN_SECRET, max=200),
        metadata={"description": "Signs every delivery; without one, one is "
                  "generated. Answered once, here, never again."},
    )  # fmt: skip
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(LANGUAGES))


class WebhookOut(Schema):
    webhook_id = fields.String()
    url = fields.String()
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)))
    team = fields.String(allow_none=True)
    format = fields.String(validate=validate.OneOf(FORMATS))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    secret = fields.String(metadata={"description": "Masked: its last 4 characters"})
    created_by = fields.String()
    created_at = fields.String()
    position = fields.Integer()


class WebhookCreatedOut(WebhookOut):
    secret = fields.String(
        metadata={"description": "The secret, in full: this once only"}
    )


class WebhookListOut(Schema):
    webhooks = fields.List(fields.Nested(WebhookOut))


class AttemptOut(Schema):
    number = fields.Integer()
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer()
    excerpt = fields.String()
    error = fields.String(allow_none=True)


class DeliveryOut(Schema):
    delivery_id = fields.String()
    webhook_id = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
    position = fields.Integer(
        metadata={"description": "the moment's place in the event log; 0 for a "
                  "moment about the service itself (projector.stalled, "
                  "store.unreachable)"}
    )  # fmt: skip
    agent_id = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    month = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    next_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptOut))


class DeliveryQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class DeliveryListOut(Schema):
    deliveries = fields.List(fields.Nested(DeliveryOut))
