"""Orders: submission and the steps of the six-step workflow."""

from __future__ import annotations

from typing import Any

from domain.commands import NewOrder, Recorded
from projections.scoreboard import OrderRecord
from web import access
from web.api import Blueprint, created
from web.context import principal, read_view, runtime
from web.fact_schemas import OrderIn, OrderOut, OrderStepIn, RecordedOut

blp = Blueprint("orders", __name__, url_prefix="/orders", description="Orders")


@blp.route("", methods=["POST"])
@blp.arguments(OrderIn)
@blp.response(201, RecordedOut)
def submit_order(data: dict[str, Any]) -> tuple[Recorded, int, dict[str, str]]:
    """Submit an order (step 1) for an agent of your team (admin, supervisor)."""
    recorded = runtime().app.submit_order(principal(), NewOrder(**data))
    runtime().after_command()
    return created(recorded, "orders.get_order", order_no=data["order_no"])


@blp.route("/<order_no>/steps", methods=["POST"])
@blp.arguments(OrderStepIn)
@blp.response(201, RecordedOut)
def record_step(data: dict[str, Any], order_no: str) -> Any:
    """Record a later step: process, check, pay, feedback, dispute, resolve,
    finish, or correct_amount. A step that does not fit the order is refused."""
    step = data.pop("step")
    recorded = runtime().app.record_order_step(
        principal(),
        order_no,
        step,
        data.pop("occurred_on"),
        data.pop("handled_by"),
        **data,
    )
    runtime().after_command()
    return created(recorded, "orders.get_order", order_no=order_no)


@blp.route("/<order_no>", methods=["GET"])
@blp.response(200, OrderOut)
def get_order(order_no: str) -> OrderRecord:
    """An order and every step recorded for it, with positions."""
    return access.owned(
        principal(),
        read_view().order(order_no),
        lambda found: found.owner,
        f"No order {order_no!r} is visible to you.",
    )
