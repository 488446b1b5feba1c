"""Moments about the service itself, for whoever runs it: the dispatcher
queues them straight beside its deliveries (``DeliveryStore.queue_operator``)
rather than through the event log, since the read side that folds the log may
be the thing that is stuck.

- ``projector.stalled``: a projector's status (``projections.health``) says
  it is stalled on an event it cannot fold. An incident is the projector, the
  position and the time it stalled there; the delivery id is derived from the
  subscription and the incident, so each is queued once however often the
  dispatcher looks, and across its restarts. Once the projector carries on,
  the incident is over: stalling again later is another one.
- ``store.unreachable``: the dispatcher could not reach the event store for
  at least ``DeliverySettings.unreachable_after`` seconds. Nothing can be
  queued or recorded while it is unreachable, so this is queued once the
  dispatcher reaches it again, saying from when to when and why.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, uuid5

from domain.webhooks import DELETED
from projections.deliveries import DeliveryStore, stamp

if TYPE_CHECKING:
    from projections.runtime import Runtime

STALLED, UNREACHABLE = "projector.stalled", "store.unreachable"
_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:operator-moment")


def operator_delivery_id(webhook_id: str, incident: str) -> str:
    return str(uuid5(_NAMESPACE, f"{webhook_id}/{incident}"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Watch:
    """What the dispatcher notices about the service, queued once per incident."""

    def __init__(
        self,
        runtime: Runtime,
        store: DeliveryStore,
        every: float,
        unreachable_after: float,
        own_status: str,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.every = every
        self.unreachable_after = unreachable_after
        self.own_status = own_status
        self.checked: float | None = None
        self.known: set[str] = set()
        self.down_since: datetime | None = None
        self.down_error = ""

    def unreachable(self, error: str, now: datetime) -> None:
        """The store did not answer (again)."""
        if self.down_since is None:
            self.down_since = now
        self.down_error = error

    def reached(self, view: Any, now: datetime) -> None:
        """The store answered: an outage long enough is an incident."""
        since = self.down_since
        if since is None:
            return
        seconds = (now - since).total_seconds()
        if seconds >= self.unreachable_after:
            data = {"since": _iso(since), "until": _iso(now),
                    "seconds": round(seconds), "error": self.down_error}  # fmt: skip
            self.queue(view, UNREACHABLE, f"store@{_iso(since)}", data, since)
        self.down_since = None

    def tick(self, view: Any, now: datetime) -> None:
        """At most every ``every`` seconds: a stalled projector's incident."""
        clock = time.monotonic()
        if self.checked is not None and clock - self.checked < self.every:
            return
        self.checked = clock
        for status in self.runtime.status.read().values():
            if status.name == self.own_status or not status.stalled:
                continue
            since = status.stalled_since or status.seen_at
            incident = f"{status.name}@{status.stalled_at}@{_iso(since)}"
            if incident in self.known:
                continue
            data = {"projector": status.name, "position": status.stalled_at,
                    "topic": status.stalled_topic, "error": status.error,
                    "since": _iso(since)}  # fmt: skip
            self.queue(view, STALLED, incident, data, since)
            self.known.add(incident)

    def queue(
        self, view: Any, kind: str, incident: str, data: dict[str, Any], at: datetime
    ) -> None:
        rows = [
            {"delivery_id": operator_delivery_id(w["webhook_id"], incident),
             "webhook_id": w["webhook_id"], "position": 0, "kind": kind,
             "agent_id": None, "team": None, "month": None, "moment": data,
             "at": stamp(at)}
            for w in view.webhooks()
            if w["status"] != DELETED and kind in w["kinds"]
        ]  # fmt: skip
        self.store.queue_operator(rows, datetime.now(UTC))


def queued_delivery(
    view: Any, store: DeliveryStore, delivery_id: str
) -> dict[str, Any] | None:
    """A queued delivery: of the outbox, or of the service's own moments."""
    return view.queued(delivery_id) or store.operator_queued(delivery_id)


def queued_of(
    view: Any, store: DeliveryStore, webhook_id: str, limit: int
) -> list[dict[str, Any]]:
    """A subscription's queued deliveries, newest first: the outbox's, then
    (by time) the service's own moments among them."""
    outbox = view.outbox_of(webhook_id, limit)
    own = store.operator_of(webhook_id, limit)
    if not own:
        return outbox
    return sorted(outbox + own, key=lambda q: q["at"], reverse=True)[:limit]
