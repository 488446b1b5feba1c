"""What was done about each queued delivery: its state and its attempts.

The outbox (``projections.outbox``) says what must be delivered; it is a read
model, folded again by every generation. What the dispatcher did about a
delivery is operational knowledge kept beside the events, keyed by the
delivery id, which every generation derives alike: so a switch to another
generation sends nothing twice.

``appraisal_deliveries`` holds a row per delivery the dispatcher has taken
from the outbox (its status, attempts, when it is next due and who holds it);
``appraisal_delivery_attempts`` one per attempt (time, status code, latency,
an excerpt of the answer or the error); ``appraisal_moment_details`` what a
moment's messages say beyond its event (``projections.moment_details``), kept
the first time it is worked out, so every attempt and every subscription
says the same; ``appraisal_rebuild_changes`` the agent-month totals a
rebuild changed, written before it switches (a ``scores.changed`` moment
names its rebuild); ``appraisal_operator_outbox`` the moments about the
service itself (``projections.operator``), which cannot wait for the read
models: shaped like the outbox's rows, at position 0, one per subscription
and incident.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.migrate import SchemaObject, statement_object
from projections.retry import budget_of, retrying

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
EXCERPT = 500
"""Characters of an answer kept with its attempt."""


def stamp(moment: datetime) -> str:
    """A UTC time as fixed-width text, so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Attempt:
    number: int
    at: datetime
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str | None


@dataclass(frozen=True)
class Delivery:
    """A delivery as the dispatcher sees it."""

    delivery_id: str
    webhook_id: str
    position: int
    kind: str
    status: str
    attempts: int
    next_at: datetime | None
    round_attempts: int
    round_started_at: datetime | None
    delivered_at: datetime | None


DELIVERY_COLUMNS = (
    "delivery_id", "webhook_id", "position", "kind", "status", "attempts",
    "next_at", "round_attempts", "round_started_at", "delivered_at",
    "claimed_until",
)  # fmt: skip
OPERATOR_COLUMNS = (
    "delivery_id", "webhook_id", "position", "kind", "agent_id", "team", "month",
    "moment", "at",
)  # fmt: skip
ATTEMPT_COLUMNS = (
    "delivery_id", "number", "at", "status_code", "latency_ms", "excerpt", "error",
)  # fmt: skip


class DeliveryStore:
    """The deliveries and attempts tables in the events database."""

    def __init__(self, datastore: Any, postgres: bool) -> None:
        self.datastore = datastore
        self.postgres = postgres
        self.mark = "%s" if postgres else "?"

        def table(name: str) -> str:
            return f'"{datastore.schema}"."{name}"' if postgres else name

        self.deliveries = table("appraisal_deliveries")
        self.attempts = table("appraisal_delivery_attempts")
        self.details = table("appraisal_moment_details")
        self.rebuild_changes = table("appraisal_rebuild_changes")
        self.operator = table("appraisal_operator_outbox")

    def schema_objects_of(self) -> list[SchemaObject]:
        bigint = "BIGINT" if self.postgres else "INTEGER"
        index = (
            f'"{self.datastore.schema}"."appraisal_deliveries_due"'
            if self.postgres
            else "appraisal_deliveries_due"
        )
        return [
            statement_object(
                self.datastore,
                self.deliveries,
                f"CREATE TABLE IF NOT EXISTS {self.deliveries} ("
                "delivery_id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, "
                f"position {bigint} NOT NULL, kind TEXT NOT NULL, "
                "status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at TEXT, "
                "round_attempts INTEGER NOT NULL, round_started_at TEXT, "
                "delivered_at TEXT, claimed_until TEXT)",
            ),
            statement_object(
                self.datastore,
                index,
                f"CREATE INDEX IF NOT EXISTS {index.split('.')[-1]} ON "
                f"{self.deliveries} (status, next_at)",
            ),
            statement_object(
                self.datastore,
                self.attempts,
                f"CREATE TABLE IF NOT EXISTS {self.attempts} ("
                "delivery_id TEXT NOT NULL, number INTEGER NOT NULL, at TEXT NOT NULL, "
                "status_code INTEGER, latency_ms INTEGER NOT NULL, "
                "excerpt TEXT NOT NULL, error TEXT, PRIMARY KEY (delivery_id, number))",
            ),
            statement_object(
                self.datastore,
                self.details,
                f"CREATE TABLE IF NOT EXISTS {self.details} ("
                f"position {bigint} PRIMARY KEY, details TEXT NOT NULL)",
            ),
            statement_object(
                self.datastore,
                self.rebuild_changes,
                f"CREATE TABLE IF NOT EXISTS {self.rebuild_changes} ("
                "rebuild_id TEXT PRIMARY KEY, changes TEXT NOT NULL)",
            ),
            statement_object(
                self.datastore,
                self.operator,
                f"CREATE TABLE IF NOT EXISTS {self.operator} ("
                "delivery_id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, "
                f"position {bigint} NOT NULL, kind TEXT NOT NULL, agent_id TEXT, "
                "team TEXT, month TEXT, moment TEXT NOT NULL, at TEXT NOT NULL)",
            ),
        ]

    # Taking deliveries from the outbox

    def cursor(self) -> int:
        """The last outbox position taken."""
        rows = self._query(f"SELECT MAX(position) AS p FROM {self.deliveries}", ())
        return int(rows[0]["p"] or 0)

    def take(self, queued: Sequence[dict[str, Any]], now: datetime) -> None:
        """Add deliveries from the outbox, due now; those already taken stay as
        they are (another dispatcher may have taken them first)."""
        if not queued:
            return
        marks = ", ".join([self.mark] * 7)
        statement = (
            f"INSERT INTO {self.deliveries} (delivery_id, webhook_id, position, kind, "
            "status, attempts, next_at, round_attempts) "
            f"VALUES ({marks}, 0) ON CONFLICT (delivery_id) DO NOTHING"
        )
        rows = [
            (q["delivery_id"], q["webhook_id"], q["position"], q["kind"], PENDING, 0,
             stamp(now))
            for q in queued
        ]  # fmt: skip
        self._write_many(statement, rows)

    # Claiming and recording

    def claim(
        self, webhook_ids: Iterable[str], now: datetime, lease: float, limit: int
    ) -> list[Delivery]:
        """Due deliveries of ``webhook_ids``, held by this dispatcher for
        ``lease`` seconds: one that is not recorded by then (its dispatcher
        died) is due again. Other dispatchers skip what this one holds."""
        ids = list(webhook_ids)
        if not ids or limit <= 0:
            return []
        if self.postgres:
            among, params = "webhook_id = ANY(%s)", [ids]
            lock = "FOR UPDATE SKIP LOCKED"
        else:
            among = f"webhook_id IN ({', '.join('?' * len(ids))})"
            params, lock = ids, ""
        columns = ", ".join(DELIVERY_COLUMNS)
        m = self.mark
        statement = (
            f"UPDATE {self.deliveries} SET claimed_until = {m} WHERE delivery_id IN ("
            f"SELECT delivery_id FROM {self.deliveries} WHERE status = '{PENDING}' "
            f"AND next_at <= {m} AND (claimed_until IS NULL OR claimed_until < {m}) "
            f"AND {among} ORDER BY next_at, position LIMIT {m} {lock}) "
            f"RETURNING {columns}"
        )
        held = stamp(now + timedelta(seconds=lease))
        rows = retrying(
            budget_of(self.datastore),
            self._write_returning,
            statement,
            (held, stamp(now), stamp(now), *params, limit),
        )
        return sorted((_delivery(r) for r in rows), key=lambda d: d.position)

    def record(
        self,
        delivery: Delivery,
        attempt: Attempt,
        outcome: str,
        next_at: datetime | None,
    ) -> None:
        """An attempt, and what it left the delivery as: delivered, failed, or
        pending again from ``next_at``."""
        m = self.mark
        round_started = delivery.round_started_at or attempt.at
        update = (
            f"UPDATE {self.deliveries} SET status = {m}, attempts = {m}, "
            f"next_at = {m}, round_attempts = {m}, round_started_at = {m}, "
            f"delivered_at = {m}, claimed_until = NULL WHERE delivery_id = {m}"
        )
        insert = (
            f"INSERT INTO {self.attempts} ({', '.join(ATTEMPT_COLUMNS)}) "
            f"VALUES ({', '.join([m] * len(ATTEMPT_COLUMNS))}) "
            "ON CONFLICT (delivery_id, number) DO NOTHING"
        )
        retrying(
            budget_of(self.datastore),
            self._write_pair,
            (insert, (
                delivery.delivery_id, attempt.number, stamp(attempt.at),
                attempt.status_code, attempt.latency_ms, attempt.excerpt,
                attempt.error,
            )),
            (update, (
                outcome, attempt.number, stamp(next_at) if next_at else None,
                delivery.round_attempts + 1, stamp(round_started),
                stamp(attempt.at) if outcome == DELIVERED else None,
                delivery.delivery_id,
            )),
        )  # fmt: skip

    def redeliver(self, delivery_id: str, now: datetime) -> bool:
        """Send a delivery again from now, with a fresh round of retries;
        False if the dispatcher has not taken it yet (it is due anyway)."""
        m = self.mark
        statement = (
            f"UPDATE {self.deliveries} SET status = '{PENDING}', next_at = {m}, "
            "round_attempts = 0, round_started_at = NULL, claimed_until = NULL "
            f"WHERE delivery_id = {m} RETURNING delivery_id"
        )
        rows = retrying(
            budget_of(self.datastore),
            self._write_returning,
            statement,
            (stamp(now), delivery_id),
        )
        return bool(rows)

    def details_of(
        self, position: int, work_out: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """What the moment at ``position`` says beyond its event: as kept, or
        worked out now and kept (the first keeper wins)."""
        m = self.mark
        select = f"SELECT details FROM {self.details} WHERE position = {m}"
        rows = self._query(select, (position,))
        if not rows:
            statement = (
                f"INSERT INTO {self.details} (position, details) VALUES ({m}, {m}) "
                "ON CONFLICT (position) DO NOTHING"
            )
            found = json.dumps(work_out(), ensure_ascii=False)
            self._write_many(statement, [(position, found)])
            rows = self._query(select, (position,))
        return dict(json.loads(rows[0]["details"]))

    def keep_changes(self, rebuild_id: str, changes: list[dict[str, Any]]) -> None:
        """The agent-month totals a rebuild changed (a rebuild run again
        writes them again)."""
        m = self.mark
        statement = (
            f"INSERT INTO {self.rebuild_changes} (rebuild_id, changes) "
            f"VALUES ({m}, {m}) ON CONFLICT (rebuild_id) "
            "DO UPDATE SET changes = excluded.changes"
        )
        self._write_many(statement, [(rebuild_id, json.dumps(changes))])

    def changes_of(self, rebuild_id: str) -> list[dict[str, Any]]:
        table, m = self.rebuild_changes, self.mark
        rows = self._query(
            f"SELECT changes FROM {table} WHERE rebuild_id = {m}", (rebuild_id,)
        )
        return list(json.loads(rows[0]["changes"])) if rows else []

    # Moments about the service itself

    def queue_operator(self, queued: Sequence[dict[str, Any]], now: datetime) -> None:
        """Queue outbox-shaped rows (each kept once, by its delivery id) and
        take them for delivery."""
        if not queued:
            return
        columns = OPERATOR_COLUMNS
        statement = (
            f"INSERT INTO {self.operator} ({', '.join(columns)}) "
            f"VALUES ({', '.join([self.mark] * len(columns))}) "
            "ON CONFLICT (delivery_id) DO NOTHING"
        )
        rows = [
            tuple(json.dumps(q[c], ensure_ascii=False) if c == "moment" else q[c]
                  for c in columns)
            for q in queued
        ]  # fmt: skip
        self._write_many(statement, rows)
        self.take(queued, now)

    def operator_queued(self, delivery_id: str) -> dict[str, Any] | None:
        rows = self._query(
            f"SELECT {', '.join(OPERATOR_COLUMNS)} FROM {self.operator} "
            f"WHERE delivery_id = {self.mark}",
            (delivery_id,),
        )
        return _queued(rows[0]) if rows else None

    def operator_of(self, webhook_id: str, limit: int) -> list[dict[str, Any]]:
        """A subscription's moments about the service, newest first."""
        rows = self._query(
            f"SELECT {', '.join(OPERATOR_COLUMNS)} FROM {self.operator} "
            f"WHERE webhook_id = {self.mark} ORDER BY at DESC LIMIT {self.mark}",
            (webhook_id, limit),
        )
        return [_queued(r) for r in rows]

    # Reads

    def unsettled(self) -> list[dict[str, Any]]:
        """Per subscription: pending deliveries (how many, the first position
        in the log, how many are being retried) and failed ones."""
        rows = self._query(
            "SELECT webhook_id, status, COUNT(*) AS n, "
            "MIN(CASE WHEN position > 0 THEN position END) AS first, "
            "SUM(CASE WHEN round_attempts > 0 THEN 1 ELSE 0 END) AS retrying "
            f"FROM {self.deliveries} WHERE status IN ('{PENDING}', '{FAILED}') "
            "GROUP BY webhook_id, status",
            (),
        )
        return [dict(r) for r in rows]

    def operator_pending_since(self) -> dict[str, str]:
        """Per subscription, when its oldest pending moment about the service
        happened (UTC text)."""
        rows = self._query(
            f"SELECT o.webhook_id, MIN(o.at) AS at FROM {self.operator} o "
            f"JOIN {self.deliveries} d ON d.delivery_id = o.delivery_id "
            f"WHERE d.status = '{PENDING}' GROUP BY o.webhook_id",
            (),
        )
        return {r["webhook_id"]: r["at"] for r in rows}

    def states(self, delivery_ids: Sequence[str]) -> dict[str, Delivery]:
        if not delivery_ids:
            return {}
        marks = ", ".join([self.mark] * len(delivery_ids))
        rows = self._query(
            f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM {self.deliveries} "
            f"WHERE delivery_id IN ({marks})",
            tuple(delivery_ids),
        )
        return {r["delivery_id"]: _delivery(r) for r in rows}

    def attempts_of(self, delivery_ids: Sequence[str]) -> dict[str, list[Attempt]]:
        if not delivery_ids:
            return {}
        marks = ", ".join([self.mark] * len(delivery_ids))
        rows = self._query(
            f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM {self.attempts} "
            f"WHERE delivery_id IN ({marks}) ORDER BY delivery_id, number",
            tuple(delivery_ids),
        )
        found: dict[str, list[Attempt]] = {i: [] for i in delivery_ids}
        for r in rows:
            found[r["delivery_id"]].append(
                Attempt(
                    r["number"], parse_stamp(r["at"]), r["status_code"],  # type: ignore[arg-type]
                    r["latency_ms"], r["excerpt"], r["error"],
                )
            )  # fmt: skip
        return found

    # Plumbing

    def _query(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        return retrying(budget_of(self.datastore), self._select, statement, params)

    def _select(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

    def _write_returning(self, statement: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, tuple(params))
            return list(cursor.fetchall())

    def _write_many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        def write() -> None:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.executemany(statement, rows)

        retrying(budget_of(self.datastore), write)

    def _write_pair(
        self, first: tuple[str, tuple[Any, ...]], second: tuple[str, tuple[Any, ...]]
    ) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(*first)
            cursor.execute(*second)


def report(store: DeliveryStore, queued: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Queued deliveries (outbox rows) with what the dispatcher did about them;
    one it has not taken yet is pending, with no attempts."""
    ids = [q["delivery_id"] for q in queued]
    states = store.states(ids)
    attempts = store.attempts_of(ids)
    shown = []
    for q in queued:
        state = states.get(q["delivery_id"])
        shown.append(
            {
                **{k: q[k] for k in ("delivery_id", "webhook_id", "kind", "position",
                                     "agent_id", "team", "month")},
                "status": state.status if state else PENDING,
                "next_at": state.next_at if state else None,
                "delivered_at": state.delivered_at if state else None,
                "attempts": [vars(a) for a in attempts.get(q["delivery_id"], [])],
            }
        )  # fmt: skip
    return shown


def _queued(row: Any) -> dict[str, Any]:
    return dict(row) | {"moment": json.loads(row["moment"])}


def _delivery(row: Any) -> Delivery:
    return Delivery(
        delivery_id=row["delivery_id"],
        webhook_id=row["webhook_id"],
        position=row["position"],
        kind=row["kind"],
        status=row["status"],
        attempts=row["attempts"],
        next_at=parse_stamp(row["next_at"]),
        round_attempts=row["round_attempts"],
        round_started_at=parse_stamp(row["round_started_at"]),
        delivered_at=parse_stamp(row["delivered_at"]),
    )
