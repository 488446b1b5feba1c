"""An import loads a row as its schema does, remembering cells it has read:
the same values for every row, the same problems for a row it refuses."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from web.importing.loader import RowLoader
from web.importing.rows import IMPORT_KINDS, row_schema

ORDER_ROWS = [
    {"order_no": "O-1", "step": "submit", "occurred_on": "2026-10-05",
     "agent_id": "a1", "case": "customer", "amount": "3000.00"},
    {"order_no": "O-2", "step": "submit", "occurred_on": "2026-10-05",
     "agent_id": "a1", "case": "customer", "amount": "3000.00"},
    {"order_no": "O-1", "step": "check", "occurred_on": "2026-10-06",
     "batch": "1", "passed": "no", "note": " wrong item "},
    {"order_no": "O-1", "step": "check", "occurred_on": "2026-10-06",
     "batch": "1", "passed": "no", "note": " wrong item "},
]  # fmt: skip
REFUSED = [
    {"order_no": "O-3", "step": "fly", "occurred_on": "2026-10-05"},
    {"order_no": "O-3", "step": "submit", "occurred_on": "2026-13-05"},
    {"order_no": "O-3", "step": "submit", "occurred_on": "2026-10-05", "extra": "x"},
    {"step": "submit", "occurred_on": "2026-10-05"},
    {"order_no": "O-3", "step": "check", "occurred_on": "2026-10-05", "batch": 1.5},
]
CHAT_ROWS = [
    {"agent_id": "a1", "occurred_on": "2026-10-05", "consultations": "40",
     "conversions": "3", "avg_response_seconds": "12.50", "customers_lost": "1"},
    {"agent_id": "a2", "occurred_on": "2026-10-05", "consultations": "40",
     "conversions": "3", "avg_response_seconds": "12.5", "customers_lost": "1"},
    {"agent_id": "a1", "occurred_on": "2026-10-05", "consultations": "-1",
     "conversions": "3", "avg_response_seconds": "12.50", "customers_lost": "1"},
]  # fmt: skip


def _loaded(schema, row):
    """What loading ``row`` answers, its keys in order, or its problems."""
    try:
        return list(schema.load(dict(row)).items())
    except ValidationError as error:
        return error.messages


@pytest.mark.parametrize(
    ("kind", "rows"), [("orders", ORDER_ROWS + REFUSED), ("chat", CHAT_ROWS)]
)
def test_every_row_loads_as_its_schema_loads_it(kind, rows):
    schema, loader = row_schema(kind), RowLoader(row_schema(kind))
    for row in rows * 2:  # the second time from what it remembered
        assert _loaded(loader, row) == _loaded(schema, row)


def test_every_kind_is_loaded_field_by_field():
    assert all(RowLoader(row_schema(kind))._plain for kind in IMPORT_KINDS)
