"""What a row of each kind holds: its schema (unknown fields refused), and what
a loaded row becomes for the application."""

from __future__ import annotations

from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate

from domain.commands import ORDER_STEPS, NewObservation, OrderRow
from domain.observations import KINDS
from domain.observations import Field as KindField
from web.importing.cells import Flag, Number, Text, WholeNumber, key_text, optional_text
from web.schemas import CODE, Day

ORDERS = "orders"
IMPORT_KINDS = (*KINDS, ORDERS)
# Domain fields named differently in the files.
COLUMNS = {"occurred_on": "date"}


def _kind_field(kind_key: tuple[str, ...], spec: KindField) -> fields.Field[Any]:
    if spec.type is bool:
        return Flag(required=True)
    if spec.type is str:
        if spec.choices:
            return Text(required=True, validate=validate.OneOf(spec.choices))
        return key_text() if spec.name in kind_key else optional_text("")
    low, high = spec.minimum, spec.maximum
    number: type[WholeNumber | Number] = WholeNumber if spec.type is int else Number
    if low is None and high is None:
        return number(required=True)
    return number(required=True, validate=validate.Range(min=low, max=high))


def _common() -> dict[str, fields.Field[Any]]:
    return {
        "agent_id": Text(required=True, validate=CODE),
        "date": Day(required=True),
    }


def _order_fields() -> dict[str, fields.Field[Any]]:
    def maybe(field: type[WholeNumber | Number | Flag], **kwargs: Any) -> Any:
        return field(load_default=None, allow_none=True, **kwargs)

    return {
        "order_no": key_text(100),
        "step": Text(required=True, validate=validate.OneOf(ORDER_STEPS)),
        "date": Day(required=True),
        "agent_id": Text(load_default=None, allow_none=True, validate=CODE),
        "case": optional_text(None, 64),
        "amount": maybe(Number, validate=validate.Range(min=0)),
        "batch": maybe(WholeNumber),
        "passed": maybe(Flag),
        "note": optional_text(""),
        "reason": optional_text(None, 64),
        "number": maybe(WholeNumber, validate=validate.Range(min=1)),
        "outcome": optional_text(None, 64),
    }


@cache
def row_schema(kind: str) -> Schema:
    """The schema of one row of ``kind``; unknown fields are refused."""
    if kind == ORDERS:
        shape = _order_fields()
    else:
        spec = KINDS[kind]
        shape = _common() | {f.name: _kind_field(spec.key, f) for f in spec.fields}
    return Schema.from_dict(shape, name=f"{kind.title()}Row")()


def new_observation(values: dict[str, Any]) -> NewObservation:
    agent_id, occurred_on = values.pop("agent_id"), values.pop("date")
    return NewObservation(agent_id, occurred_on, values)


def order_row(values: dict[str, Any]) -> OrderRow:
    return OrderRow(occurred_on=values.pop("date"), **values)
