"""The transactional outbox: which subscription is to be told which moment.

Folding an event adds what it means to webhooks to ``Changes``: a change of a
subscription (``webhook_changes``) or a moment someone may want to hear of
(``moments``). The view applies them in the same transaction as its tracking
position (``OutboxTables._fold_outbox``), in log order: a moment is queued for
every subscription that exists at its position, is not deleted, wants its kind
and, when it names a team, the moment's team. So a moment is queued exactly
once and never lost to a crash, and a subscription created after an event is
not sent it. A paused subscription's moments are queued and held: the
dispatcher sends them once it is resumed.

Period transitions do not carry their month: it is read from the periods
table, which the view folds first.

The delivery id is derived from the subscription and the position, so every
generation of the read models (a rebuild folds the log again) queues the same
deliveries under the same ids, and the dispatcher (``projections.dispatcher``)
sends each once.
"""

from __future__ import annotations

import json
from functools import singledispatch
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.deduction import Deduction
from domain.month import Month
from domain.periods import Period
from domain.plan_reminders import PlanReminder
from domain.rebuild import Rebuild
from domain.webhooks import ACTIVE, DELETED, PAUSED, Subscription
from projections.records import moment_text
from projections.tables import columns

_NAMESPACE = uuid5(NAMESPACE_URL, "appraisal:webhook-delivery")
WEBHOOK_COLUMNS = columns("webhooks")
OUTBOX_COLUMNS = columns("outbox")


def delivery_id(webhook_id: str, position: int) -> str:
    """The delivery of the moment at ``position`` to a subscription: the same
    in every generation of the read models."""
    return str(uuid5(_NAMESPACE, f"{webhook_id}/{position}"))


def _text(value: Any) -> Any:
    return value if isinstance(value, bool | int | str) or value is None else str(value)


# What an event means to webhooks


@singledispatch
def notice(event: Any, position: int, changes: Any) -> None:
    """Most events are no moment anyone subscribes to."""


def _moment(
    event: Any, position: int, kind: str, data: dict[str, Any], **where: Any
) -> dict[str, Any]:
    return {
        "position": position,
        "kind": kind,
        "agent_id": where.get("agent_id"),
        "month": where.get("month"),
        "at": moment_text(event.timestamp),
        "data": {k: _text(v) for k, v in data.items()},
    }


@notice.register
def _(event: Deduction.Disputed, position: int, changes: Any) -> None:
    month = str(Month.of(event.occurred_on))
    data = {
        "deduction_id": str(event.originator_id), "number": event.number,
        "disputed_by": event.by, "reason": event.reason, "reviewer": event.reviewer,
        "evidence": event.evidence, "proposed_quantity": event.proposed_quantity,
        "proposed_points": event.proposed_points,
    }  # fmt: skip
    changes.moments.append(
        _moment(event, position, "dispute.filed", data,
                agent_id=event.agent_id, month=month)
    )  # fmt: skip


@notice.register
def _(event: Deduction.DisputeResolved, position: int, changes: Any) -> None:
    month = str(Month.of(event.occurred_on))
    data = {
        "deduction_id": str(event.originator_id), "number": event.number,
        "outcome": event.outcome, "resolved_by": event.by, "note": event.note,
        "item": event.item, "quantity": event.quantity, "points": event.points,
    }  # fmt: skip
    changes.moments.append(
        _moment(event, position, "dispute.resolved", data,
                agent_id=event.agent_id, month=month)
    )  # fmt: skip


@notice.register
def _(event: Period.Closed, position: int, changes: Any) -> None:
    moment = _moment(event, position, "period.closed", {"by": event.by})
    changes.moments.append(moment | {"period_id": str(event.originator_id)})


@notice.register
def _(event: Period.Published, position: int, changes: Any) -> None:
    data = {"by": event.by, "published_on": event.published_on.isoformat()}
    moment = _moment(event, position, "period.published", data)
    changes.moments.append(moment | {"period_id": str(event.originator_id)})


@notice.register
def _(event: Rebuild.Completed, position: int, changes: Any) -> None:
    """A rebuild switched live: a moment when it changed any total (which
    ones the dispatcher reads from ``appraisal_rebuild_changes``)."""
    summary = event.summary
    if not summary.get("agent_months_changed"):
        return
    data = {
        "rebuild_id": str(event.originator_id),
        "generation": summary.get("generation"),
        "replaces_generation": summary.get("replaces_generation"),
        "rulebook": summary.get("rulebook"),
        "agent_months_changed": summary["agent_months_changed"],
        "agents_changed": summary.get("agents_changed"),
    }
    changes.moments.append(_moment(event, position, "scores.changed", data))


@notice.register
def _(event: PlanReminder.Queued, position: int, changes: Any) -> None:
    data = {
        "duty_id": event.duty_id, "supervisor": event.supervisor,
        "due_on": event.due_on.isoformat(), "on": event.on.isoformat(),
    }  # fmt: skip
    changes.moments.append(
        _moment(event, position, event.kind, data,
                agent_id=event.agent_id, month=event.month)
    )  # fmt: skip


def _subscription_change(change: str) -> Any:
    def folded(event: Any, position: int, changes: Any) -> None:
        row = {"webhook_id": str(event.originator_id), "change": change,
               "position": position}  # fmt: skip
        if change == "created":
            row |= {
                "url": event.url, "kinds": list(event.kinds), "team": event.team,
                "secret": event.secret, "format": event.format,
                "language": event.language, "created_by": event.created_by,
                "created_at": event.timestamp.isoformat(),
            }  # fmt: skip
        changes.webhook_changes.append(row)

    return folded


notice.register(Subscription.Created, _subscription_change("created"))
notice.register(Subscription.Paused, _subscription_change(PAUSED))
notice.register(Subscription.Resumed, _subscription_change(ACTIVE))
notice.register(Subscription.Deleted, _subscription_change(DELETED))


# Applying them to a view


class OutboxTables:
    """Statements and folding for subscriptions and the outbox, mixed into the
    scoreboard view."""

    SELECT_WEBHOOKS = f"SELECT {WEBHOOK_COLUMNS} FROM {{webhooks}} ORDER BY position"
    SELECT_WEBHOOK = (
        f"SELECT {WEBHOOK_COLUMNS} FROM {{webhooks}} WHERE webhook_id = :webhook_id"
    )
    UPSERT_WEBHOOK = (
        f"INSERT INTO {{webhooks}} ({WEBHOOK_COLUMNS}) VALUES ("
        + ", ".join(f":{c.strip()}" for c in WEBHOOK_COLUMNS.split(","))
        + ") ON CONFLICT (webhook_id) DO UPDATE SET status = excluded.status, "
        "changed_position = excluded.changed_position"
    )
    INSERT_OUTBOX = (
        f"INSERT INTO {{outbox}} ({OUTBOX_COLUMNS}) VALUES ("
        + ", ".join(f":{c.strip()}" for c in OUTBOX_COLUMNS.split(","))
        + ")"
    )
    SELECT_AGENT_TEAM = "SELECT name, team FROM {agents} WHERE agent_id = :agent_id"
    SELECT_PERIOD_MONTH = "SELECT month FROM {periods} WHERE period_id = :period_id"
    SELECT_OUTBOX_AFTER = (
        f"SELECT {OUTBOX_COLUMNS} FROM {{outbox}} WHERE position > :after "
        "ORDER BY position, delivery_id LIMIT :limit"
    )
    SELECT_OUTBOX_OF = (
        f"SELECT {OUTBOX_COLUMNS} FROM {{outbox}} WHERE webhook_id = :webhook_id "
        "ORDER BY position DESC LIMIT :limit"
    )
    SELECT_DELIVERY = (
        f"SELECT {OUTBOX_COLUMNS} FROM {{outbox}} WHERE delivery_id = :delivery_id"
    )
    SELECT_WAITING = (
        "SELECT webhook_id, COUNT(*) AS n, MIN(position) AS first FROM {outbox} "
        "WHERE position > :after GROUP BY webhook_id"
    )
    SELECT_MOMENT_AT = "SELECT at FROM {outbox} WHERE position = :position LIMIT 1"

    _select: Any

    def _fold_outbox(self, cursor: Any, changes: Any) -> None:
        """Subscriptions as they change, and a row per subscription told of
        each moment, in log order (after the batch's agents are stored)."""
        if not changes.webhook_changes and not changes.moments:
            return
        cursor.execute(self.SELECT_WEBHOOKS, {})
        webhooks = {r["webhook_id"]: dict(r) for r in cursor.fetchall()}
        changed: dict[str, dict[str, Any]] = {}
        queued: list[dict[str, Any]] = []
        items = sorted(
            [*changes.webhook_changes, *changes.moments], key=lambda i: i["position"]
        )
        for item in items:
            if "change" in item:
                changed[item["webhook_id"]] = webhooks[item["webhook_id"]] = (
                    self._changed(webhooks.get(item["webhook_id"]), item)
                )
            else:
                queued += self._queued(cursor, item, webhooks.values())
        if changed:
            cursor.executemany(self.UPSERT_WEBHOOK, list(changed.values()))
        if queued:
            cursor.executemany(self.INSERT_OUTBOX, queued)

    @staticmethod
    def _changed(row: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any]:
        if change["change"] == "created":
            fields = {k: v for k, v in change.items() if k != "change"}
            return fields | {
                "kinds": json.dumps(change["kinds"]), "status": ACTIVE,
                "changed_position": change["position"],
            }  # fmt: skip
        assert row is not None, "a subscription changes only after it is created"
        return row | {
            "status": change["change"],
            "changed_position": change["position"],
        }

    def _queued(
        self, cursor: Any, moment: dict[str, Any], webhooks: Any
    ) -> list[dict[str, Any]]:
        agent = None
        if moment["agent_id"] is not None:
            cursor.execute(self.SELECT_AGENT_TEAM, {"agent_id": moment["agent_id"]})
            found = cursor.fetchone()
            agent = dict(found) if found else None
        team = agent["team"] if agent else None
        if moment.get("period_id"):  # the periods are folded before the outbox
            cursor.execute(self.SELECT_PERIOD_MONTH, {"period_id": moment["period_id"]})
            moment = moment | {"month": cursor.fetchone()["month"]}
        data = moment["data"] | ({"agent_name": agent["name"]} if agent else {})
        rows = []
        for webhook in webhooks:
            if webhook["status"] == DELETED:
                continue
            if moment["kind"] not in json.loads(webhook["kinds"]):
                continue
            if webhook["team"] is not None and team not in (None, webhook["team"]):
                continue
            rows.append(
                {
                    "delivery_id": delivery_id(
                        webhook["webhook_id"], moment["position"]
                    ),
                    "webhook_id": webhook["webhook_id"],
                    "position": moment["position"],
                    "kind": moment["kind"],
                    "agent_id": moment["agent_id"],
                    "team": team,
                    "month": moment["month"],
                    "moment": json.dumps(data, ensure_ascii=False),
                    "at": moment["at"],
                }
            )
        return rows

    # Reads

    def webhooks(self) -> list[dict[str, Any]]:
        """Every subscription, deleted ones too, oldest first."""
        return [_webhook(r) for r in self._select(self.SELECT_WEBHOOKS, {})]

    def webhook(self, webhook_id: str) -> dict[str, Any] | None:
        rows = self._select(self.SELECT_WEBHOOK, {"webhook_id": webhook_id})
        return _webhook(rows[0]) if rows else None

    def outbox_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Queued deliveries after a position, in log order."""
        rows = self._select(self.SELECT_OUTBOX_AFTER, {"after": after, "limit": limit})
        return [_outbox(r) for r in rows]

    def outbox_of(self, webhook_id: str, limit: int) -> list[dict[str, Any]]:
        """A subscription's queued deliveries, newest first."""
        params = {"webhook_id": webhook_id, "limit": limit}
        return [_outbox(r) for r in self._select(self.SELECT_OUTBOX_OF, params)]

    def waiting(self, after: int) -> dict[str, tuple[int, int]]:
        """Per subscription, how many deliveries were queued after a position
        and the first one's position."""
        rows = self._select(self.SELECT_WAITING, {"after": after})
        return {r["webhook_id"]: (int(r["n"]), int(r["first"])) for r in rows}

    def moment_at(self, position: int) -> str | None:
        """When the moment queued at ``position`` happened (UTC text)."""
        rows = self._select(self.SELECT_MOMENT_AT, {"position": position})
        return rows[0]["at"] if rows else None

    def queued(self, delivery_id: str) -> dict[str, Any] | None:
        rows = self._select(self.SELECT_DELIVERY, {"delivery_id": delivery_id})
        return _outbox(rows[0]) if rows else None


def _webhook(row: Any) -> dict[str, Any]:
    return dict(row) | {"kinds": json.loads(row["kinds"])}


def _outbox(row: Any) -> dict[str, Any]:
    return dict(row) | {"moment": json.loads(row["moment"])}
