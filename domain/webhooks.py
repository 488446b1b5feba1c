"""Webhook subscriptions: who is told which moments, at which URL, how.

A subscription names the kinds of moment it wants (``KINDS``), optionally one
team, the format its receiver reads (plain JSON, a WeCom or DingTalk group
bot) and the language of the messages. It is created, paused, resumed and
deleted; what it is sent is worked out on the read side (``projections.outbox``).
"""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import ConflictError, InvalidFactError, NotFoundError
from domain.text import N_

KINDS = (
    "dispute.filed",
    "dispute.resolved",
    "period.closed",
    "period.published",
    "scores.changed",
    "plan.due",
    "plan.overdue",
    "projector.stalled",
    "store.unreachable",
)
"""The moments a subscription may ask for, declared once."""
FORMATS = ("json", "wecom", "dingtalk")
LANGUAGES = ("zh-CN", "en")
ACTIVE, PAUSED, DELETED = "active", "paused", "deleted"
MIN_SECRET = 16
MAX_URL = 2000


class WebhookNotFoundError(NotFoundError):
    """Raised when no webhook subscription has the given id."""


def check_url(url: str) -> None:
    """An absolute http or https URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidFactError(
            N_("the URL must be an absolute http or https URL"), field="url"
        )
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        raise InvalidFactError(N_("the URL is not valid"), field="url")


def check_choices(kinds: list[str], format_: str, language: str) -> None:
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise InvalidFactError(
            N_("choose kinds among {kinds}"), kinds=", ".join(KINDS), field="kinds"
        )
    if format_ not in FORMATS:
        raise InvalidFactError(N_("unknown format"), field="format")
    if language not in LANGUAGES:
        raise InvalidFactError(N_("unknown language"), field="language")


class Subscription(Aggregate):
    """A receiver of moments; its secret signs every delivery."""

    class Created(Aggregate.Created):
        url: str
        kinds: list[str]
        team: str | None
        secret: str
        format: str
        language: str
        created_by: str

    @event(Created)
    def __init__(
        self,
        url: str,
        kinds: list[str],
        team: str | None,
        secret: str,
        format: str,
        language: str,
        created_by: str,
    ) -> None:
        self.url = url
        self.kinds = list(kinds)
        self.team = team
        self.secret = secret
        self.format = format
        self.language = language
        self.status = ACTIVE

    @property
    def subscription_id(self) -> UUID:
        return self.id

    def pause(self, by: str) -> None:
        self._refuse_unless(ACTIVE)
        self._paused(by=by)

    def resume(self, by: str) -> None:
        self._refuse_unless(PAUSED)
        self._resumed(by=by)

    def delete(self, by: str) -> None:
        self._refuse_unless(ACTIVE, PAUSED)
        self._deleted(by=by)

    def _refuse_unless(self, *statuses: str) -> None:
        if self.status == DELETED:
            raise WebhookNotFoundError(
                N_("no webhook {id}"), id=str(self.id), field="webhook_id"
            )
        if self.status not in statuses:
            raise ConflictError(
                N_("the webhook is already {status}"), status=self.status
            )

    class Paused(Aggregate.Event):
        by: str

    class Resumed(Aggregate.Event):
        by: str

    class Deleted(Aggregate.Event):
        by: str

    @event(Paused)
    def _paused(self, by: str) -> None:
        self.status = PAUSED

    @event(Resumed)
    def _resumed(self, by: str) -> None:
        self.status = ACTIVE

    @event(Deleted)
    def _deleted(self, by: str) -> None:
        self.status = DELETED


def masked(secret: str) -> str:
    """What is shown of a secret after it was created: its last four characters."""
    return "•" * 8 + secret[-4:]
