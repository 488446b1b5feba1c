"""Rebuilds (a rule change reaching into the past) and read-model generations."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from flask import url_for

from domain.errors import ConflictError, NotVisibleError, RebuildNotFoundError
from domain.text import N_
from projections import rebuild
from web import access, generations
from web.api import UUID_PATTERN, Blueprint
from web.context import principal, runtime
from web.pages import PageQuery, page
from web.schemas import (
    GenerationListOut,
    PositionOut,
    ReasonIn,
    RebuildIn,
    RebuildListOut,
    RebuildOut,
)

blp = Blueprint("rebuilds", __name__, description="Rebuilds and read-model generations")


@blp.route("/rebuilds", methods=["POST"])
@blp.arguments(RebuildIn)
@blp.response(202, RebuildOut)
def request_rebuild(data: dict[str, Any]) -> tuple[Any, int, dict[str, str]]:
    """Publish a version effective from any month and rebuild the read models
    under it beside the live ones, which serve until it is done (admin); say
    why in ``reason``, which the rebuild and its generation keep."""
    requested = runtime().app.request_rebuild(
        principal(), data["rulebook"], data["effective_from"], data["reason"]
    )
    rebuild.start(runtime(), requested.rebuild_id)
    location = url_for("rebuilds.get_rebuild", rebuild_id=requested.rebuild_id)
    return (
        generations.progress_of(rebuild.progress(runtime(), requested.rebuild_id)),
        202,
        {"Location": location},
    )


@blp.route("/rebuilds", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, RebuildListOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def list_rebuilds(query: dict[str, Any]) -> dict[str, Any]:
    """Rebuilds, newest first: status, the rulebook version and month they
    apply from, who asked for each, when and why."""
    limit = query["limit"]
    found = generations.rebuilds(runtime().app, limit + 1, query.get("after"))
    shown, following = page(found, limit, lambda found: found.generation)
    return {"rebuilds": [generations.request_of(r) for r in shown], "next": following}


@blp.route("/rebuilds/<rebuild_id>", methods=["GET"])
@blp.response(200, RebuildOut)
@blp.refuses(403)
@access.only(access.DEPARTMENT)
def get_rebuild(rebuild_id: str) -> dict[str, Any]:
    """A rebuild's request (rulebook, version, who, when, why), progress
    (events done, total, rate, time left) and result."""
    return generations.progress_of(_progress(rebuild_id))


@blp.route("/rebuilds/<rebuild_id>/resume", methods=["POST"])
@blp.response(202, RebuildOut)
@access.only(access.ADMIN)
def resume_rebuild(rebuild_id: str) -> dict[str, Any]:
    """Carry on with a rebuild whose process stopped (admin)."""
    found = _progress(rebuild_id)
    if found.status != "running":
        raise ConflictError(N_("The rebuild is {status}."), status=found.status)
    rebuild.start(runtime(), found.rebuild_id)
    return generations.progress_of(found)


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
    """The generations of the read models: which one is live, which is
    building, and the rebuild that made each (rulebook, version, who, when,
    why)."""
    return {"generations": generations.generations(runtime().app)}


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
        raise NotVisibleError(N_("No rebuild {id!r}."), id=text, field="rebuild_id")
    return UUID(text)


def _progress(text: str) -> rebuild.Progress:
    """The rebuild the path names; none is a 404."""
    try:
        return rebuild.progress(runtime(), _uuid(text))
    except RebuildNotFoundError:
        raise NotVisibleError(
            N_("No rebuild {id!r}."), id=text, field="rebuild_id"
        ) from None
