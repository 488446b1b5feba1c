"""The raw floor of ``bench.imports``: the same files by ``COPY`` into plain
tables, each row with the columns an event adds and a payload the size of the
stored events' states."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from bench import common
from bench.common import PRINCIPAL, Row, Timing
from bench.exports import ExportFile, Exports

CHAT_TOPIC = "domain.observations:Observation.Recorded"
ORDER_TOPICS = "domain.orders:Order."
EXTRA_COLUMNS = ("id", "recorded_by", "source", "recorded_at", "payload")
CHAT_TABLE = (
    "CREATE TABLE {table} (id uuid PRIMARY KEY, agent_id text NOT NULL, "
    "date date NOT NULL, consultations integer NOT NULL, "
    "conversions integer NOT NULL, avg_response_seconds numeric NOT NULL, "
    "customers_lost integer NOT NULL, recorded_by text NOT NULL, "
    "source text NOT NULL, recorded_at timestamptz NOT NULL, payload bytea NOT NULL)"
)
ORDER_TABLE = (
    "CREATE TABLE {table} (id uuid PRIMARY KEY, order_no text NOT NULL, "
    'step text NOT NULL, date date NOT NULL, agent_id text, "case" text, '
    "amount numeric, batch integer, passed boolean, note text, reason text, "
    "number integer, outcome text, recorded_by text NOT NULL, "
    "source text NOT NULL, recorded_at timestamptz NOT NULL, payload bytea NOT NULL)"
)


def baseline_rows(export: ExportFile, payload_bytes: int, seed: int) -> list[Row]:
    """The file's rows with the columns an event adds: an id, who recorded it,
    the source, when, and a random payload the size of a stored event state."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    source = f"bench:{export.path.name}"
    return [
        (*row, common.random_uuid(rng), PRINCIPAL.user, source, now, payload)
        for row in export.rows
        for payload in (rng.randbytes(payload_bytes),)
    ]


def copy_baseline(
    url: str, export: ExportFile, statement: str, payload_bytes: int, seed: int
) -> Timing:
    rows = baseline_rows(export, payload_bytes, seed)
    return common.copy_rows(
        url,
        f"bench_copy_{export.kind}",
        statement,
        (*export.columns, *EXTRA_COLUMNS),
        rows,
        phase=f"baseline: COPY {export.kind}",
    )


def copy_baselines(url: str, data: Exports) -> dict[str, Any]:
    """The same files by COPY into plain tables, with payloads the size of the
    stored events'."""
    chat_payload = common.stored_state_size(url, CHAT_TOPIC)
    order_payload = common.stored_state_size(url, ORDER_TOPICS)
    return {
        "chat_payload": chat_payload,
        "order_payload": order_payload,
        "copy_chat": copy_baseline(url, data.chat, CHAT_TABLE, chat_payload, data.seed),
        "copy_orders": copy_baseline(
            url, data.orders, ORDER_TABLE, order_payload, data.seed
        ),
    }
