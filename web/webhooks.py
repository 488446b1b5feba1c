"""Webhooks: subscriptions to moments (admin), and what was delivered to each."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from flask import g

from domain.errors import NotVisibleError
from domain.text import N_
from domain.webhook_commands import NewWebhook
from domain.webhooks import DELETED, WebhookNotFoundError, masked
from projections.deliveries import report
from projections.operator import queued_delivery, queued_of
from web import access
from web.api import UUID_PATTERN, Blueprint, created
from web.context import principal, read_view, runtime
from web.schemas import PositionOut
from web.webhook_schemas import (
    DeliveryListOut,
    DeliveryOut,
    DeliveryQuery,
    WebhookCreatedOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
)

blp = Blueprint("webhooks", __name__, description="Webhooks: who is told what")
T = TypeVar("T")


@blp.route("/webhooks", methods=["POST"])
@blp.arguments(WebhookIn)
@blp.response(201, WebhookCreatedOut)
def create_webhook(data: dict[str, Any]) -> Any:
    """Subscribe a URL to moments (admin): the kinds wanted, optionally one
    team, the format (json, wecom, dingtalk) and language (zh-CN, en). The
    answer holds the signing secret in full; it is never shown again."""
    made = runtime().app.create_webhook(principal(), NewWebhook(**data))
    runtime().after_command()
    body = {
        **data, "webhook_id": str(made.webhook_id), "secret": made.secret,
        "status": "active", "created_by": principal().user,
        "created_at": datetime.now(UTC).isoformat(), "position": made.position,
    }  # fmt: skip
    return created(body, "webhooks.get_webhook", webhook_id=made.webhook_id)


@blp.route("/webhooks", methods=["GET"])
@blp.response(200, WebhookListOut)
@blp.refuses(403)
@access.only(access.ADMIN)
def list_webhooks() -> dict[str, Any]:
    """Every subscription that is not deleted, oldest first; secrets masked."""
    found = [w for w in _view().webhooks() if w["status"] != DELETED]
    return {"webhooks": [_shown(w) for w in found]}


@blp.route("/webhooks/<webhook_id>", methods=["GET"])
@blp.response(200, WebhookOut)
@blp.refuses(403)
@access.only(access.ADMIN)
def get_webhook(webhook_id: str) -> dict[str, Any]:
    """One subscription; its secret masked."""
    return _shown(_webhook(webhook_id))


@blp.route("/webhooks/<webhook_id>/pause", methods=["POST"])
@blp.response(200, PositionOut)
def pause_webhook(webhook_id: str) -> dict[str, int]:
    """Hold deliveries to a subscription (admin): moments are still queued,
    and sent once it is resumed."""
    return _command(lambda app: app.pause_webhook, webhook_id)


@blp.route("/webhooks/<webhook_id>/resume", methods=["POST"])
@blp.response(200, PositionOut)
def resume_webhook(webhook_id: str) -> dict[str, int]:
    """Send a paused subscription what it was held, and what follows (admin)."""
    return _command(lambda app: app.resume_webhook, webhook_id)


@blp.route("/webhooks/<webhook_id>", methods=["DELETE"])
@blp.response(200, PositionOut)
def delete_webhook(webhook_id: str) -> dict[str, int]:
    """Delete a subscription (admin): nothing more is queued or sent to it."""
    return _command(lambda app: app.delete_webhook, webhook_id)


@blp.route("/webhooks/<webhook_id>/deliveries", methods=["GET"])
@blp.arguments(DeliveryQuery, location="query")
@blp.response(200, DeliveryListOut)
@blp.refuses(403)
@access.only(access.ADMIN)
def list_deliveries(query: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """A subscription's deliveries, newest first: status, when next due, and
    every attempt (time, status code, latency in ms, an excerpt of the answer
    or the error)."""
    webhook = _webhook(webhook_id)
    queued = queued_of(
        _view(), runtime().deliveries, webhook["webhook_id"], query["limit"]
    )
    shown = _deliveries(queued)
    wanted = query.get("status")
    return {"deliveries": [d for d in shown if wanted in (None, d["status"])]}


@blp.route(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver", methods=["POST"]
)
@blp.response(200, DeliveryOut)
@access.only(access.ADMIN)
def redeliver(webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """Send a delivery again now, with a fresh round of retries (admin): after
    it failed, or to replay one a receiver lost. Its id stays the same."""
    webhook = _webhook(webhook_id)
    found = queued_delivery(
        _view(), runtime().deliveries, _uuid(delivery_id, "delivery_id")
    )
    if found is None or found["webhook_id"] != webhook["webhook_id"]:
        raise NotVisibleError(
            N_("No delivery {id!r}."), id=delivery_id, field="delivery_id"
        )
    runtime().deliveries.redeliver(found["delivery_id"], datetime.now(UTC))
    (shown,) = _deliveries([found])
    return shown


def _deliveries(queued: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return report(runtime().deliveries, queued)


def _view() -> Any:
    """The read models a GET waited for; a command (redeliver) reads the live
    ones as they stand."""
    if g.get("read_view") is not None:
        return read_view()
    return runtime().reader(catch_up=runtime().config.projects_inline)[0]


def _shown(webhook: dict[str, Any]) -> dict[str, Any]:
    return webhook | {"secret": masked(webhook["secret"])}


def _uuid(text: str, field: str) -> str:
    if not re.fullmatch(UUID_PATTERN, text):
        raise NotVisibleError(N_("No webhook {id!r}."), id=text, field=field)
    return str(UUID(text))


def _webhook(text: str) -> dict[str, Any]:
    """The subscription the path names; none, or a deleted one, is a 404."""
    found = _view().webhook(_uuid(text, "webhook_id"))
    if found is None or found["status"] == DELETED:
        raise NotVisibleError(N_("No webhook {id!r}."), id=text, field="webhook_id")
    return found


def _command(command: Callable[[Any], Callable[..., int]], text: str) -> dict[str, int]:
    app = runtime().app
    try:
        position = command(app)(principal(), UUID(_uuid(text, "webhook_id")))
    except WebhookNotFoundError:
        raise NotVisibleError(
            N_("No webhook {id!r}."), id=text, field="webhook_id"
        ) from None
    runtime().after_command()
    return {"position": position}
