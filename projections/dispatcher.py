"""The dispatcher (``appraisal deliver``): posts what the outbox queued.

It runs as a process of its own, so a slow or dead receiver never slows the
API or the projector. Each round it takes the deliveries the live read
models queued after the last one it took (``projections.deliveries``),
claims the due ones of active subscriptions for a lease (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so dispatchers may run side by side; on SQLite run
one), and posts each from a small pool of threads, with a short timeout:

- headers ``X-Appraisal-Delivery`` and ``Idempotency-Key`` (the delivery id,
  the same on every attempt), ``X-Appraisal-Event`` (the kind),
  ``X-Appraisal-Timestamp`` (Unix seconds) and ``X-Appraisal-Signature:
  sha256=<hex HMAC-SHA256 of "{timestamp}.{body}" under the subscription's
  secret>``;
- any 2xx answer delivers it; anything else, a timeout or a refused
  connection is retried with exponential backoff and jitter until
  ``max_attempts`` attempts or ``retry_for`` seconds, then it is failed;
- each attempt is recorded (time, status code, latency, an excerpt).

A dispatcher killed mid-delivery leaves its claim to expire: the delivery is
sent again under the same id (at least once; receivers deduplicate by it).
Nothing ends it but ``stop``: store errors are retried with backoff, and what
is wrong is logged and written to the status table ``/health`` shows.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.webhooks import ACTIVE
from projections.deliveries import (
    DELIVERED,
    EXCERPT,
    FAILED,
    PENDING,
    Attempt,
    Delivery,
)
from projections.health import StalledError
from projections.moment_details import DETAILED, work_out
from projections.operator import Watch, queued_delivery
from projections.payloads import body as payload
from projections.projector import UNAVAILABLE, Backoff
from projections.reminders import Reminders
from projections.retry import first_line

if TYPE_CHECKING:
    from projections.runtime import Runtime

logger = logging.getLogger(__name__)
STATUS_NAME = "webhook-dispatcher"
TAKE_BATCH = 500
USER_AGENT = "appraisal-webhooks/1"


@dataclass(frozen=True)
class DeliverySettings:
    timeout: float = 5.0
    """Seconds to connect, and to wait for each read of the answer."""
    max_attempts: int = 20
    retry_for: float = 24 * 3600.0
    """Seconds from a delivery's first attempt after which it is failed."""
    first_retry: float = 10.0
    """Seconds before the first retry; each later one waits twice as long
    (up to ``longest_retry``), less up to half of it at random."""
    longest_retry: float = 3600.0
    workers: int = 8
    base_url: str = ""
    """The API's public URL, to make the links of payloads absolute."""
    poll: float = 0.5
    schedule_every: float = 60.0
    unreachable_after: float = 10.0
    """Seconds the store must not answer for ``store.unreachable``."""
    """Seconds between looks at which improvement plans are due or overdue
    (``projections.reminders``)."""

    @property
    def lease(self) -> float:
        """How long a claim holds: longer than any attempt takes."""
        return self.timeout * 2 + 1


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``{timestamp}.{body}`` under the secret."""
    message = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def retry_delay(attempt: int, settings: DeliverySettings) -> float:
    """The pause after the ``attempt``-th failed attempt of a round:
    exponential, capped, with jitter (half to all of it)."""
    ceiling = min(settings.first_retry * 2 ** (attempt - 1), settings.longest_retry)
    return ceiling * random.uniform(0.5, 1.0)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: not followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    excerpt: str
    error: str | None
    latency_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body``; never raises for what the receiver does."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    status, text, error = None, b"", None
    try:
        with opener.open(request, timeout=timeout) as response:
            status, text = response.status, response.read(EXCERPT * 4)
    except urllib.error.HTTPError as answer:
        status = answer.code
        with contextlib.suppress(OSError, http.client.HTTPException):
            text = answer.read(EXCERPT * 4)
    except (OSError, http.client.HTTPException, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        error = f"{type(reason).__name__}: {reason}".strip()
    latency = round((time.monotonic() - started) * 1000)
    excerpt = text.decode("utf-8", "replace")[:EXCERPT].replace("\x00", "")
    return Answer(status, excerpt, error, latency)


class Dispatcher:
    def __init__(self, runtime: Runtime, settings: DeliverySettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.store = runtime.deliveries
        self.inflight: set[Future[None]] = set()
        self.lock = threading.Lock()
        self.reminders = Reminders(runtime, settings.schedule_every)
        self.watch = Watch(
            runtime, self.store, settings.schedule_every,
            settings.unreachable_after, STATUS_NAME,
        )  # fmt: skip

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; attempts under way are finished and
        recorded before it returns."""
        transient = Backoff(0.1, 2.0)
        failing = Backoff(1.0, 30.0)
        with ThreadPoolExecutor(self.settings.workers, "deliver") as pool:
            while not stop.is_set():
                began = datetime.now(UTC)  # an outage began by this round
                try:
                    self.round(pool)
                    self._heartbeat(None)
                    transient.reset()
                    failing.reset()
                    stop.wait(self.settings.poll)
                except UNAVAILABLE as error:
                    self.watch.unreachable(first_line(error), began)
                    pause = transient.pause()
                    logger.warning(
                        "store unavailable (%s); retrying in %.1f s",
                        first_line(error), pause,
                    )  # fmt: skip
                    stop.wait(pause)
                except Exception as error:
                    pause = failing.pause()
                    logger.exception("dispatcher error; retrying in %.1f s", pause)
                    with contextlib.suppress(Exception):
                        self._heartbeat(error)
                    stop.wait(pause)

    def round(self, pool: ThreadPoolExecutor) -> int:
        """Take what the outbox queued, claim what is due, start posting it;
        the number of deliveries started."""
        view: Any = self.runtime.view
        self.watch.reached(view, datetime.now(UTC))
        self.aside(lambda: self.watch.tick(view, datetime.now(UTC)))
        self.aside(lambda: self.reminders.tick(view))
        self.take(view)
        webhooks = {
            w["webhook_id"]: w for w in view.webhooks() if w["status"] == ACTIVE
        }
        with self.lock:
            self.inflight = {f for f in self.inflight if not f.done()}
            free = self.settings.workers - len(self.inflight)
        now = datetime.now(UTC)
        claimed = self.store.claim(webhooks, now, self.settings.lease, free)
        for delivery in claimed:
            future = pool.submit(
                self._attempt, view, delivery, webhooks[delivery.webhook_id]
            )
            with self.lock:
                self.inflight.add(future)
        return len(claimed)

    def aside(self, action: Callable[[], object]) -> None:
        """Run a scheduled look (reminders, the service's state): what goes
        wrong with it is logged and never holds up deliveries; a store that
        does not answer is for the round to handle."""
        try:
            action()
        except UNAVAILABLE:
            raise
        except Exception:
            logger.exception("scheduled webhook moments: not queued this time")

    def take(self, view: Any) -> None:
        """Copy what the outbox queued since the last position taken."""
        while True:
            queued = view.outbox_after(self.store.cursor(), TAKE_BATCH)
            self.store.take(queued, datetime.now(UTC))
            if len(queued) < TAKE_BATCH:
                return

    def _attempt(self, view: Any, delivery: Delivery, webhook: dict[str, Any]) -> None:
        try:
            self.attempt(view, delivery, webhook)
        except Exception:  # its claim expires and it is tried again
            logger.exception("delivery %s: not recorded", delivery.delivery_id)

    def attempt(self, view: Any, delivery: Delivery, webhook: dict[str, Any]) -> None:
        found = queued_delivery(view, self.store, delivery.delivery_id)
        if found is None:
            logger.error("delivery %s is not in the outbox", delivery.delivery_id)
            return
        body = payload(self.detailed(view, found), webhook, self.settings.base_url)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Appraisal-Delivery": delivery.delivery_id,
            "Idempotency-Key": delivery.delivery_id,
            "X-Appraisal-Event": delivery.kind,
            "X-Appraisal-Timestamp": timestamp,
            "X-Appraisal-Signature": sign(webhook["secret"], timestamp, body),
        }
        at = datetime.now(UTC)
        answer = post(webhook["url"], body, headers, self.settings.timeout)
        outcome, next_at = self.outcome(delivery, answer, at)
        attempt = Attempt(
            delivery.attempts + 1, at, answer.status_code, answer.latency_ms,
            answer.excerpt, answer.error,
        )  # fmt: skip
        self.store.record(delivery, attempt, outcome, next_at)
        if outcome == FAILED:
            logger.warning(
                "delivery %s to %s failed after %s attempts: %s",
                delivery.delivery_id, webhook["url"], delivery.round_attempts + 1,
                answer.error or answer.status_code,
            )  # fmt: skip

    def detailed(self, view: Any, queued: dict[str, Any]) -> dict[str, Any]:
        """The queued moment with what its messages say beyond its event
        (``projections.moment_details``), kept the first time."""
        if queued["kind"] not in DETAILED:
            return queued
        details = self.store.details_of(
            queued["position"], lambda: work_out(view, self.store, queued)
        )
        return queued | {"moment": queued["moment"] | details}

    def outcome(
        self, delivery: Delivery, answer: Answer, at: datetime
    ) -> tuple[str, datetime | None]:
        """Delivered; failed, once the round's attempts or time are spent; else
        pending until the next retry."""
        if answer.ok:
            return DELIVERED, None
        tried = delivery.round_attempts + 1
        started = delivery.round_started_at or at
        pause = retry_delay(tried, self.settings)
        spent = (at - started).total_seconds() + pause
        if tried >= self.settings.max_attempts or spent > self.settings.retry_for:
            return FAILED, None
        return PENDING, at + timedelta(seconds=pause)

    def _heartbeat(self, error: Exception | None) -> None:
        """The dispatcher's position in the status table; what is wrong, if
        anything, beside it."""
        position = self.store.cursor()
        problem = (
            StalledError(position + 1, "webhook delivery", error) if error else None
        )
        self.runtime.status.record(STATUS_NAME, position, self.runtime.head, problem)
