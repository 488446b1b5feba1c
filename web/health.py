"""Liveness and the read models' position."""

from __future__ import annotations

from typing import Any

from web.api import Blueprint
from web.context import runtime
from web.errors import fail
from web.schemas import Health

blp = Blueprint("health", __name__, description="Service health")


@blp.route("/health")
@blp.doc(security=[])
@blp.response(200, Health)
def health() -> dict[str, Any]:
    """Whether the service can reach its store, and its read position."""
    try:
        position = runtime().position
    except Exception:  # the store is down: say so rather than fail
        fail(503, "The event store is unreachable.", code="store_unreachable")
    backend = "postgresql" if runtime().config.is_postgres else "sqlite"
    return {"status": "ok", "backend": backend, "position": position}
