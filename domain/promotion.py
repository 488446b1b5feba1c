"""Promotion activities on the five channels of scheme B, scored as credits."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

CHANNELS = {
    "own_channel": "soft article on a self-built channel",
    "paid_article": "paid soft article on the company platform",
    "brand_post": "brand post on a self-media platform",
    "friends": "likely customers added as QQ/WeChat friends",
    "moments": "service account moments/space maintained",
}


def credit_item(channel: str) -> str:
    """The rule item a channel's activity counts towards."""
    return f"promo_{channel}"


class PromotionActivity(Aggregate):
    """One piece of promotion work by an agent."""

    class Recorded(Aggregate.Created):
        agent_id: str
        channel: str
        occurred_on: date
        reference: str | None
        note: str
        recorded_by: str

    @event(Recorded)
    def __init__(
        self,
        agent_id: str,
        channel: str,
        occurred_on: date,
        reference: str | None,
        note: str,
        recorded_by: str,
        id: UUID | None = None,  # chosen by the caller: retries are idempotent
    ) -> None:
        self.agent_id = agent_id
        self.channel = channel
        self.occurred_on = occurred_on
