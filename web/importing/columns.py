"""Each kind's columns, described for the API documentation and the CLI's help."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from domain.commands import ORDER_STEPS
from domain.observations import KINDS
from domain.observations import Field as KindField
from domain.orders import workflow
from web.importing.rows import OCCURRED_ON, OLD_NAMES, ORDERS

_TYPES = {int: "whole number", Decimal: "number", bool: "true/false", str: "text"}


def _older(column: str) -> str:
    """The older names of a column that files may still use."""
    names = ", ".join(f"`{old}`" for old, new in OLD_NAMES.items() if new == column)
    return f"; older files: {names}" if names else ""


def _one_of(values: Sequence[Any]) -> str:
    return "/".join(str(v) for v in values)


def _order_columns() -> tuple[tuple[str, str], ...]:
    flow = workflow()
    return (
        ("order_no", "the order system's number (required)"),
        ("step", f"one of {_one_of(ORDER_STEPS)} (required)"),
        (
            OCCURRED_ON,
            f"YYYY-MM-DD, when the step happened (required{_older(OCCURRED_ON)})",
        ),
        ("agent_id", "submit: the owner (required); other steps: who handled it"),
        (
            "case",
            f"submit: {_one_of(flow.submit_cases)}; "
            f"process: {_one_of(flow.process_cases)}",
        ),
        ("amount", "submit: the amount (a re-imported new amount corrects it)"),
        ("batch", f"check: {_one_of(sorted(flow.checkers))}"),
        ("passed", "check: true/false"),
        ("note", "check: what was seen (optional)"),
        ("reason", f"dispute: {_one_of(flow.dispute_reasons)}"),
        ("number", "dispute, resolve: the dispute's number, from 1"),
        (
            "outcome",
            f"resolve: {_one_of(flow.dispute_outcomes)}; "
            f"finish: {_one_of(flow.finish_outcomes)}",
        ),
    )


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
