"""Tamper evidence and exports for auditors.

Stored events cannot be updated or deleted through the database: a trigger on
the events table refuses it (SQLite and PostgreSQL). Every event is also linked
into a hash chain, ``hash(n) = sha256(hash(n-1) | position | aggregate |
version | topic | stored state)``, kept in a table beside the events and
protected the same way. ``verify`` recomputes the chain from the stored events
and names the first event that does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, Notification

from domain.month import Month
from projections.chain import GENESIS, link
from projections.migrate import SchemaObject, statement_object

if TYPE_CHECKING:
    from projections.runtime import Runtime

BATCH = 5000


class ChainStore:
    """The chain table and the immutability triggers, in the events database."""

    def __init__(self, recorder: Any, postgres: bool) -> None:
        self.recorder = recorder
        self.postgres = postgres
        schema = self.recorder.datastore.schema if self.postgres else ""
        self.schema = schema
        self.events = (
            f'"{schema}"."{self.recorder.events_table_name}"'
            if self.postgres
            else self.recorder.events_table_name
        )
        self.chain = self.recorder.chain_table
        self.function = f'"{schema}"."appraisal_refuse_change"'
        self.param = "%s" if self.postgres else "?"

    def schema_objects_of(self) -> list[SchemaObject]:
        """The chain table, and the triggers that make both tables append-only."""
        store = self.recorder.datastore
        objects = [
            statement_object(
                store,
                self.chain,
                f"CREATE TABLE IF NOT EXISTS {self.chain} "
                "(position BIGINT PRIMARY KEY, hash TEXT NOT NULL)",
            )
        ]
        return objects + [
            statement_object(store, name, statement)
            for name, statement in self._trigger_statements()
        ]

    def _trigger_statements(self) -> list[tuple[str, str]]:
        if not self.postgres:
            return [
                (
                    f"{table}_refuse_{op.lower()}",
                    f"CREATE TRIGGER IF NOT EXISTS {table}_refuse_{op.lower()} "
                    f"BEFORE {op} ON {table} BEGIN SELECT RAISE(ABORT, "
                    f"'stored events are immutable: {op} refused'); END",
                )
                for table in (self.events, self.chain)
                for op in ("UPDATE", "DELETE")
            ]
        statements = [
            (
                self.function,
                f"CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                "'stored events are immutable: % refused on %', TG_OP, TG_TABLE_NAME; "
                "END $$",
            )
        ]
        for name, table in (("events", self.events), ("chain", self.chain)):
            statements += [
                (
                    f'"{self.schema}"."appraisal_{name}_immutable"',
                    f"CREATE OR REPLACE TRIGGER appraisal_{name}_immutable BEFORE "
                    f"UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION "
                    f"{self.function}()",
                ),
                (
                    f'"{self.schema}"."appraisal_{name}_no_truncate"',
                    f"CREATE OR REPLACE TRIGGER appraisal_{name}_no_truncate BEFORE "
                    f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                    f"{self.function}()",
                ),
            ]
        return statements

    def last(self) -> tuple[int, str]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT position, hash FROM {self.chain} "
                "ORDER BY position DESC LIMIT 1"
            )
            row = cursor.fetchone()
        return (row["position"], row["hash"]) if row else (0, GENESIS)

    def extend(self) -> int:
        """Link every event not yet in the chain; return the chain's last position."""
        position, previous = self.last()
        while True:
            notifications = self.recorder.select_notifications(
                position, limit=BATCH, inclusive_of_start=False
            )
            if not notifications:
                return position
            rows = []
            for notification in notifications:
                previous = link(previous, notification)
                rows.append((notification.id, previous))
            try:
                with self.recorder.datastore.transaction(commit=True) as cursor:
                    cursor.executemany(
                        f"INSERT INTO {self.chain} (position, hash) "
                        f"VALUES ({self.param}, {self.param})",
                        rows,
                    )
            except IntegrityError:  # another process linked them first
                position, previous = self.last()
                continue
            position = notifications[-1].id

    def chain_rows(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT position, hash FROM {self.chain} "
                f"WHERE position > {self.param} ORDER BY position LIMIT {self.param}",
                (after, limit),
            )
            return [(r["position"], r["hash"]) for r in cursor.fetchall()]


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    seconds: float
    first_bad: dict[str, Any] | None = None


def verify(
    runtime: Runtime, progress: Callable[[int, int], None] | None = None
) -> Verification:
    """Link new events, then recompute the whole chain from the stored events."""
    store = runtime.chain
    started = time.monotonic()
    head = store.extend()
    previous, after, checked = GENESIS, 0, 0
    while True:
        chained = store.chain_rows(after, BATCH)
        if not chained:
            break
        stored = {
            n.id: n
            for n in store.recorder.select_notifications(
                after, limit=BATCH * 2, stop=chained[-1][0], inclusive_of_start=False
            )
        }
        for position, expected in chained:
            notification = stored.pop(position, None)
            bad = _check(position, expected, previous, notification)
            if bad:
                return Verification(False, checked, time.monotonic() - started, bad)
            previous, checked = expected, checked + 1
        if stored:  # an event the chain never linked sits between linked ones
            sneaked = stored[min(stored)]
            return Verification(
                False, checked, time.monotonic() - started,
                _bad(sneaked.id, sneaked, "is not in the hash chain"),
            )  # fmt: skip
        after = chained[-1][0]
        if progress:
            progress(after, head)
    rewritten = _anchors_broken(runtime)
    if rewritten:
        return Verification(False, checked, time.monotonic() - started, rewritten)
    return Verification(True, checked, time.monotonic() - started)


def _anchors_broken(runtime: Runtime) -> dict[str, Any] | None:
    """The first published report whose recorded chain head the chain no
    longer holds: the log and its chain were rewritten together since."""
    for period in runtime.view.periods():
        for entry in period.history:
            head = entry.get("chain_head")
            if entry["event"] != "published" or not head or not head["position"]:
                continue
            found = runtime.chain.chain_rows(head["position"] - 1, 1)
            if not found or found[0] != (head["position"], head["hash"]):
                return {
                    "position": head["position"],
                    "reason": f"the chain no longer holds the link at position "
                    f"{head['position']} that the {period.month} report recorded "
                    "when it was published: the log was rewritten",
                }
    return None


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head, signed with a key kept outside the database, so that a
    rewrite of both the events and the chain is caught against a copy kept
    elsewhere."""

    position: int
    hash: str
    signature: str

    @staticmethod
    def sign(key: bytes, position: int, digest: str) -> str:
        return hmac.new(
            key, f"{position}:{digest}".encode(), hashlib.sha256
        ).hexdigest()

    @classmethod
    def of(cls, key: bytes, position: int, digest: str) -> Checkpoint:
        return cls(position, digest, cls.sign(key, position, digest))

    def signed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(
            self.signature, self.sign(key, self.position, self.hash)
        )

    def problem(self, runtime: Runtime, key: bytes) -> str | None:
        """Why the store does not match this checkpoint, or None."""
        if not self.signed_by(key):
            return (
                "the checkpoint's signature does not match: it was altered, or the "
                "key is not the one it was written with"
            )
        if not self.position:
            return None
        found = runtime.chain.chain_rows(self.position - 1, 1)
        if not found or found[0] != (self.position, self.hash):
            return (
                f"the chain no longer holds the link at position {self.position} "
                "that the checkpoint recorded: the log was rewritten"
            )
        return None


def _check(
    position: int, expected: str, previous: str, notification: Notification | None
) -> dict[str, Any] | None:
    if notification is None:
        return {
            "position": position,
            "reason": f"the event at position {position} is missing",
        }
    if link(previous, notification) != expected:
        return _bad(position, notification, "does not match its hash")
    return None


def _bad(position: int, notification: Notification, what: str) -> dict[str, Any]:
    event_id = f"{notification.originator_id}:{notification.originator_version}"
    return {
        "position": position,
        "event_id": event_id,
        "topic": notification.topic,
        "reason": f"the event at position {position} ({event_id}) {what}",
    }


# Exports


def positions_behind(runtime: Runtime, month: Month, agent_id: str | None) -> list[int]:
    """Every event behind an agent-month (or a whole month): its facts, counted or
    not, disputes, the period's events, and rulebook publications until now."""
    view = runtime.view
    agents = [agent_id] if agent_id else [a.agent_id for a in view.agents()]
    found: set[int] = set()
    for agent in agents:
        found |= {row.fact.position for row in view.fact_history(agent, month)}
        for dispute in view.disputes(agent, str(month)):
            found.add(dispute.disputed_position)
            if dispute.resolved_position:
                found.add(dispute.resolved_position)
        found |= {row.superseded_by for row in view.fact_history(agent, month)
                  if row.superseded_by}  # fmt: skip
    found |= {entry["position"] for entry in view.period(month).history}
    found |= {p.position for p in view.publications()}
    return sorted(found)


def export(
    runtime: Runtime, month: Month, agent_id: str | None = None
) -> Iterator[str]:
    """JSON Lines: each event behind the agent-month (or month) as stored, with
    its chain hash; the last line holds the SHA-256 of all the lines before it."""
    store = runtime.chain
    store.extend()
    digest = hashlib.sha256()
    count = 0
    for position in positions_behind(runtime, month, agent_id):
        (notification,) = store.recorder.select_notifications(
            position, limit=1, stop=position
        )
        hashes = store.chain_rows(position - 1, 1)
        line = json.dumps(
            {
                "position": position,
                "event_id": f"{notification.originator_id}:"
                f"{notification.originator_version}",
                "topic": notification.topic,
                "state": json.loads(bytes(notification.state)),
                "chain_hash": hashes[0][1] if hashes else None,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        digest.update(line.encode("utf-8") + b"\n")
        count += 1
        yield line + "\n"
    summary = {"month": str(month), "agent_id": agent_id, "events": count,
               "sha256": digest.hexdigest()}  # fmt: skip
    yield json.dumps({"export": summary}) + "\n"
