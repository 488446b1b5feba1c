"""Each kind's columns, described for the API documentation and the CLI's help."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from domain import document
from domain.observations import KINDS
from domain.observations import Field as KindField
from domain.order_steps import (
    COLUMNS,
    FIELDS,
    ORDER_STEPS,
    ROW_COMMON,
    STEPS,
    OrderStep,
    StepField,
)
from web.importing.rows import OCCURRED_ON, OLD_NAMES, ORDERS

_TYPES = {int: "whole number", Decimal: "number", bool: "true/false", str: "text"}


def _older(column: str) -> str:
    """The older names of a column that files may still use."""
    names = ", ".join(f"`{old}`" for old, new in OLD_NAMES.items() if new == column)
    return f"; older files: {names}" if names else ""


def _one_of(values: Sequence[Any]) -> str:
    return "/".join(str(v) for v in values)


def _order_columns() -> tuple[tuple[str, str], ...]:
    """Each column of an order export and what it holds, from the steps'
    declarations: the columns of every row, then each step's own."""
    described = [(name, _common_column(FIELDS[name])) for name in ROW_COMMON]
    described += [
        (name, _step_column(name)) for name in COLUMNS if name not in ROW_COMMON
    ]
    return tuple(described)


def _common_column(spec: StepField) -> str:
    if spec.type is None:  # the step: one of those an export row may be
        shown = f"one of {_one_of(ORDER_STEPS)}"
    else:
        shown = "YYYY-MM-DD" if isinstance(spec.type, document.Day) else ""
    said = ", ".join(part for part in (shown, spec.doc) if part)
    return f"{said} (required{_older(spec.key)})" if spec.required else said


def _step_column(name: str) -> str:
    """What the column holds in each step that has it (``submit: ...;
    process: ...``), steps that say the same together."""
    said: list[tuple[list[str], str]] = []
    for step in STEPS.values():
        if not step.imported or name not in step.columns:
            continue
        shown = _shown_in(step, name)
        if said and said[-1][1] == shown:
            said[-1][0].append(step.name)
        else:
            said.append(([step.name], shown))
    return "; ".join(f"{', '.join(steps)}: {shown}" for steps, shown in said)


def _shown_in(step: OrderStep, name: str) -> str:
    """The workflow's values of the column in ``step``, else its meaning."""
    choices = step.choices(name)
    if choices is not None:
        return _one_of(choices)
    spec = FIELDS[name]
    if isinstance(spec.type, document.Flag):
        return _TYPES[bool]
    return spec.doc + (" (optional)" if name in step.takes else "")


def _describe_field(spec: KindField) -> str:
    parts = [_TYPES.get(spec.type, spec.type.__name__)]
    if spec.choices:
        parts = [f"one of {'/'.join(spec.choices)}"]
    if spec.minimum is not None:
        parts.append(f">= {spec.minimum}")
    if spec.maximum is not None:
        parts.append(f"<= {spec.maximum}")
    if not spec.required:
        parts.append(f"default {spec.default}" if spec.default else "optional")
    if spec.called:
        parts.append(f"older files: `{spec.name}`")
    return f"`{spec.public}` ({', '.join(parts)}): {spec.meaning}"


def describe_columns() -> str:
    """Each kind's columns, for the API documentation and the CLI's help."""
    lines = []
    for name, kind in KINDS.items():
        columns = ["`agent_id`", f"`{OCCURRED_ON}` (YYYY-MM-DD{_older(OCCURRED_ON)})"]
        columns += [_describe_field(f) for f in kind.fields]
        lines.append(f"- `{name}` — {kind.meaning}: " + "; ".join(columns) + ".")
    orders = "; ".join(f"`{n}`: {meaning}" for n, meaning in _order_columns())
    lines.append(f"- `{ORDERS}` — a step of an order, from the order system: {orders}.")
    return "\n".join(lines)
