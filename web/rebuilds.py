"""Rebuilds (a rule change reaching into the past) and read-model generations."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import url_for

from domain.errors import ConflictError, NotVisibleError, RebuildNotFoundError
from projections import rebuild
from web import access
from web.api import UUID_PATTERN, Blueprint
from web.context import principal, runtime
from web.schemas import (
    GenerationListOut,
    PositionOut,
    ReasonIn,
    RebuildIn,
    RebuildOut,
)

blp = Blueprint("rebuilds", __name__, description="Rebuilds and read-model generations")


@blp.route("/rebuilds", methods=["POST"])
@blp.arguments(RebuildIn)
@blp.response(202, RebuildOut)
def request_rebuild(data: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
    """Publish a version effective from any month and rebuild the read models
    under it beside the live ones, which serve until it is done (admin)."""
    requested = runtime().app.request_rebuild(
        principal(), data["rulebook"], data["effective_from"]
    )
    rebuild.start(runtime(), requested.rebuild_id)
    location = url_for("rebuilds.get_rebuild", rebuild_id=requested.rebuild_id)
    return (
        rebuild.progress(runtime(), requested.rebuild_id),
        202,
        {"Location": location},
    )


@blp.route("/rebuilds/<rebuild_id>", methods=["GET"])
@blp.response(200, RebuildOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def get_rebuild(rebuild_id: str) -> rebuild.Progress:
    """A rebuild's progress (events done, total, rate, time left) and result."""
    return _progress(rebuild_id)


@blp.route("/rebuilds/<rebuild_id>/resume", methods=["POST"])
@blp.response(202, RebuildOut)
@access.only(access.ADMIN)
def resume_rebuild(rebuild_id: str) -> rebuild.Progress:
    """Carry on with a rebuild whose process stopped (admin)."""
    found = _progress(rebuild_id)
    if found.status != "running":
        raise ConflictError(f"The rebuild is {found.status}.")
    rebuild.start(runtime(), found.rebuild_id)
    return found


@blp.route("/rebuilds/<rebuild_id>/abandon", methods=["POST"])
@blp.arguments(ReasonIn)
@blp.response(200, PositionOut)
def abandon_rebuild(data: dict[str, Any], rebuild_id: str) -> dict[str, int]:
    """Give up a rebuild; the live read models stay as they are (admin)."""
    position = runtime().app.abandon_rebuild(
        principal(), _uuid(rebuild_id), data["reason"]
    )
    return {"position": position}


@blp.route("/read-models", methods=["GET"])
@blp.response(200, GenerationListOut)
def list_generations() -> dict[str, Any]:
    """The generations of the read models: which one is live, which is building."""
    register = runtime().app.rules_register()
    return {
        "generations": [
            {
                "generation": generation,
                "parent": parent,
                "live": generation == register.live,
                "building": generation == register.building,
                "dropped": generation in register.dropped,
            }
            for generation, parent in sorted(register.parents.items())
        ]
    }


@blp.route("/read-models/<int:generation>/activate", methods=["POST"])
@blp.arguments(ReasonIn)
@blp.response(200, PositionOut)
def activate_generation(data: dict[str, Any], generation: int) -> dict[str, int]:
    """Switch readers to another generation, e.g. the one before a rebuild (admin)."""
    position = runtime().app.switch_generation(principal(), generation, data["reason"])
    runtime().after_command()
    return {"position": position}


@blp.route("/read-models/<int:generation>", methods=["DELETE"])
@blp.response(200, PositionOut)
def drop_generation(generation: int) -> dict[str, int]:
    """Drop a generation that is neither live nor being built (admin)."""
    position = runtime().app.drop_generation(principal(), generation)
    runtime().drop_view(generation)
    return {"position": position}


def _uuid(text: str) -> UUID:
    if not re.fullmatch(UUID_PATTERN, text):
        raise NotVisibleError(f"No rebuild {text!r}.", field="rebuild_id")
    return UUID(text)


def _progress(text: str) -> rebuild.Progress:
    """The rebuild the path names; none is a 404."""
    try:
        return rebuild.progress(runtime(), _uuid(text))
    except RebuildNotFoundError:
        raise NotVisibleError(f"No rebuild {text!r}.", field="rebuild_id") from None
