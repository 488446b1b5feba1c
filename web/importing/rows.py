"""What a row of each kind holds: its columns, its schema (unknown columns
refused), and what a loaded row becomes for the application.

A column has one name, the name its field has in the API (``occurred_on``,
``complaint_no``). Files written before those names were settled still say
``date`` and ``complaint``; those names are read as the columns they stand
for, and problems are reported by the name the file used.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate

from domain import document
from domain.commands import NewObservation, OrderRow
from domain.observations import KINDS
from domain.observations import Field as KindField
from domain.order_steps import COLUMNS, FIELDS, ORDER_STEPS, StepField
from web.importing.cells import Flag, Number, Text, WholeNumber, key_text, optional_text
from web.importing.reading import Columns
from web.inputs import CODE, Day

ORDERS = "orders"
IMPORT_KINDS = (*KINDS, ORDERS)
OCCURRED_ON = "occurred_on"
# Older names of columns, still found in users' files.
OLD_NAMES = {"date": OCCURRED_ON}


def _number(spec: KindField, **kwargs: Any) -> fields.Field[Any]:
    number: type[WholeNumber | Number] = WholeNumber if spec.type is int else Number
    if spec.minimum is None and spec.maximum is None:
        return number(**kwargs)
    return number(validate=validate.Range(min=spec.minimum, max=spec.maximum), **kwargs)


def _kind_field(spec: KindField) -> fields.Field[Any]:
    """A cell of the field; loaded under the field's own name."""
    named: dict[str, Any] = {"data_key": spec.called} if spec.called else {}
    given: dict[str, Any] = (
        {"required": True} if spec.required else {"load_default": spec.default}
    )
    if spec.type is bool:
        return Flag(**given, **named)
    if spec.type is not str:
        return _number(spec, **given, **named)
    if spec.choices:
        return Text(validate=validate.OneOf(spec.choices), **given, **named)
    if spec.required:
        return key_text(spec.max_length, **named)
    return optional_text(spec.default, spec.max_length, **named)


def _order_cell(spec: StepField) -> fields.Field[Any]:
    """A column of an order export, from its field's declaration: the import's
    own (``cell``) where it is looser than the API's. A cell left empty is
    None, or the field's default."""
    declared = spec.cell or spec.type or document.Choice(ORDER_STEPS)
    given: dict[str, Any] = (
        {"required": True}
        if spec.required
        else {"load_default": spec.default, "allow_none": spec.default is None}
    )
    if isinstance(declared, document.Choice):
        return Text(validate=validate.OneOf(declared.values), **given)
    if isinstance(declared, document.Day):
        return Day(**given)
    if isinstance(declared, document.Code):
        return Text(validate=CODE, **given)
    if isinstance(declared, document.Text):
        if spec.required:
            return key_text(declared.max_length or 200)
        return optional_text(spec.default, declared.max_length or 2000)
    if isinstance(declared, document.Flag):
        return Flag(**given)
    if not isinstance(declared, document.Number):
        raise TypeError(f"an order export has no cell for {declared!r}")
    cell: type[WholeNumber | Number] = (
        WholeNumber if isinstance(declared, document.Whole) else Number
    )
    low, high = declared.minimum, declared.maximum
    if low is None and high is None:
        return cell(**given)
    return cell(validate=validate.Range(min=low, max=high), **given)


def _order_fields() -> dict[str, fields.Field[Any]]:
    return {column: _order_cell(FIELDS[column]) for column in COLUMNS}


@cache
def row_schema(kind: str) -> Schema:
    """The schema of one row of ``kind``, by column; unknown columns are refused."""
    if kind == ORDERS:
        shape = _order_fields()
    else:
        common = {
            "agent_id": Text(required=True, validate=CODE),
            OCCURRED_ON: Day(required=True),
        }
        shape = common | {f.name: _kind_field(f) for f in KINDS[kind].fields}
    return Schema.from_dict(shape, name=f"{kind.title()}Row")()


@cache
def columns(kind: str) -> Columns:
    """The columns of ``kind``, in the schema's order, and their older names."""
    loaded = row_schema(kind).fields.values()
    old = {} if kind == ORDERS else {f.name: f.called for f in KINDS[kind].fields}
    return Columns(
        names=tuple(f.data_key or f.name for f in loaded),
        required=tuple(f.data_key or f.name for f in loaded if f.required),
        aliases=OLD_NAMES | {name: new for name, new in old.items() if new},
    )


@cache
def column_of(kind: str) -> dict[str, str]:
    """The column of each field the domain may name in a refusal."""
    if kind == ORDERS:
        return {}
    return {f.name: f.called for f in KINDS[kind].fields if f.called}


def new_observation(values: dict[str, Any]) -> NewObservation:
    agent_id, occurred_on = values.pop("agent_id"), values.pop(OCCURRED_ON)
    return NewObservation(agent_id, occurred_on, values)


def order_row(values: dict[str, Any]) -> OrderRow:
    return OrderRow(**values)
