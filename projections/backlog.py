"""How far webhook delivery is behind, for ``/health``.

Pending is what active subscriptions are still owed: deliveries the
dispatcher took and has not delivered or failed yet (moments about the
service itself among them), and what the outbox queued after the last one it
took (a dispatcher that is not running takes nothing). Its age is the time
since the oldest of those moments happened. A paused subscription's held
deliveries are not behind: they wait for it to be resumed. A subscription
is failing while one of its deliveries is being retried, or failed (until it
is redelivered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.webhooks import ACTIVE, DELETED
from projections.deliveries import FAILED, PENDING, DeliveryStore, parse_stamp


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_pending_seconds: float | None
    failing: list[dict[str, Any]] = field(default_factory=list)

    def behind(self, threshold: float) -> bool:
        """Whether the oldest pending delivery waits longer than ``threshold``
        seconds."""
        oldest = self.oldest_pending_seconds
        return oldest is not None and oldest > threshold


def backlog(view: Any, store: DeliveryStore, now: datetime) -> Backlog:
    webhooks = {w["webhook_id"]: w for w in view.webhooks()}
    active = {i for i, w in webhooks.items() if w["status"] == ACTIVE}
    pending, first = 0, None
    failing: dict[str, dict[str, Any]] = {}
    for row in store.unsettled():
        webhook_id = row["webhook_id"]
        if webhook_id not in webhooks or webhooks[webhook_id]["status"] == DELETED:
            continue
        counts = failing.setdefault(webhook_id, {"failed": 0, "retrying": 0})
        if row["status"] == FAILED:
            counts["failed"] += int(row["n"])
        elif row["status"] == PENDING and webhook_id in active:
            pending += int(row["n"])
            if row["first"] is not None:
                first = min(first or row["first"], row["first"])
            counts["retrying"] += int(row["retrying"] or 0)
    for webhook_id, (count, position) in view.waiting(store.cursor()).items():
        if webhook_id in active:
            pending += count
            first = min(first or position, position)
    moments = [view.moment_at(first)] if first is not None else []
    moments += [at for i, at in store.operator_pending_since().items() if i in active]
    at = min((m for m in moments if m), default=None)
    oldest = (now - parse_stamp(at)).total_seconds() if at else None  # type: ignore[operator]
    return Backlog(
        pending=pending,
        oldest_pending_seconds=None if oldest is None else round(max(oldest, 0.0), 1),
        failing=[
            {"webhook_id": i, "url": webhooks[i]["url"], **counts}
            for i, counts in failing.items()
            if counts["failed"] or counts["retrying"]
        ],
    )
