"""Webhook subscriptions: created, paused, resumed, deleted (part of AppraisalApp)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.access import Principal
from domain.app_base import AppraisalBase
from domain.errors import InvalidFactError
from domain.text import N_
from domain.webhooks import (
    MIN_SECRET,
    Subscription,
    WebhookNotFoundError,
    check_choices,
    check_url,
)

SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class NewWebhook:
    url: str
    kinds: list[str]
    team: str | None = None
    secret: str | None = None
    """None: one is generated, and answered once."""
    format: str = "json"
    language: str = "zh-CN"


@dataclass(frozen=True)
class CreatedWebhook:
    webhook_id: UUID
    secret: str
    position: int


class WebhookCommands(AppraisalBase):
    """Subscriptions to moments, each an aggregate of its own."""

    def create_webhook(self, principal: Principal, new: NewWebhook) -> CreatedWebhook:
        self._require_admin(principal, N_("manage webhooks"))
        check_url(new.url)
        check_choices(new.kinds, new.format, new.language)
        secret = new.secret or SECRET_PREFIX + secrets.token_urlsafe(32)
        if len(secret) < MIN_SECRET:
            raise InvalidFactError(
                N_("a secret has at least {n} characters"), n=MIN_SECRET, field="secret"
            )
        subscription = Subscription(
            url=new.url,
            kinds=list(dict.fromkeys(new.kinds)),
            team=new.team,
            secret=secret,
            format=new.format,
            language=new.language,
            created_by=principal.user,
        )
        (recording,) = self.save(subscription)
        return CreatedWebhook(subscription.id, secret, recording.notification.id)

    def pause_webhook(self, principal: Principal, webhook_id: UUID) -> int:
        self._require_admin(principal, N_("manage webhooks"))
        subscription = self._subscription(webhook_id)
        subscription.pause(principal.user)
        return self._saved(subscription)

    def resume_webhook(self, principal: Principal, webhook_id: UUID) -> int:
        self._require_admin(principal, N_("manage webhooks"))
        subscription = self._subscription(webhook_id)
        subscription.resume(principal.user)
        return self._saved(subscription)

    def delete_webhook(self, principal: Principal, webhook_id: UUID) -> int:
        self._require_admin(principal, N_("manage webhooks"))
        subscription = self._subscription(webhook_id)
        subscription.delete(principal.user)
        return self._saved(subscription)

    def _subscription(self, webhook_id: UUID) -> Subscription:
        try:
            found = self.repository.get(webhook_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, Subscription):
            raise WebhookNotFoundError(
                N_("no webhook {id}"), id=str(webhook_id), field="webhook_id"
            )
        return found

    def _saved(self, subscription: Subscription) -> int:
        (recording,) = self.save(subscription)
        return int(recording.notification.id)
