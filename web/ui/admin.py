"""The admin's rule change: a rulebook pasted or uploaded, what it would change
(``POST /rulebooks/preview``), the rebuild that applies it (``POST
/rebuilds``) with its progress (``GET /rebuilds/{id}``), and the read-model
generations with a switch back (``GET /read-models``, ``POST
/read-models/{generation}/activate``).

Reads go through the API's own views (``web.ui.reads.answer``); writes
through the API's own views too, their request parsed by the view's own
schema (``command``), so the page refuses what the API refuses, in its words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, g, jsonify, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError

from domain.errors import DomainError
from domain.text import N_
from web import access, errors, rebuilds, rulebooks
from web.context import principal
from web.i18n import translate
from web.pages import PageQuery
from web.preview_schemas import PreviewOut
from web.schemas import (
    GenerationListOut,
    PreviewIn,
    ReasonIn,
    RebuildIn,
    RebuildListOut,
    RebuildOut,
)
from web.ui import reads
from web.ui.views import bp

# The fields of the rule-change form, as the page shows them again.
FIELDS = ("rulebook", "from", "to", "effective_from", "reason")


def command(
    view: Callable[..., Any], schema: type[Schema], body: Mapping[str, Any], **path: Any
) -> Any:
    """What the API ``view`` does with ``body`` (parsed by its own schema)."""
    return access.checked_view(view)(schema().load(dict(body)), **path)


def refusal(error: Exception) -> dict[str, Any]:
    """The API's answer to a refused request: status, title, detail and the
    errors by field path, in the page's language."""
    handler: Callable[[Any], Response] = (
        errors.handle_validation_error
        if isinstance(error, ValidationError)
        else errors.handle_domain_error
    )
    problem = handler(error)
    body = json.loads(problem.get_data(as_text=True))
    return {
        "status": problem.status_code,
        "title": body["title"],
        "detail": body["detail"],
        "errors": body.get("errors") or {},
    }


@bp.context_processor
def _rooms() -> dict[str, Any]:
    """Which of these pages the signed-in person may open (for the links)."""
    who = g.get("principal")
    return {
        "may_open": {
            "rules": bool(who and access.ADMIN.allows(who)),
            "audit": bool(who and access.AUDIT.allows(who)),
        }
    }


def _admin() -> None:
    access.require(principal(), access.ADMIN)


@bp.get("/rules")
def rules() -> str:
    """The rule-change page: the form, the latest rebuild, the generations."""
    _admin()
    month = reads.default_month()
    form = {"from": month, "to": month, "effective_from": month}
    return _page(form)


@bp.post("/rules/preview")
def preview_rules() -> Any:
    """What the pasted or uploaded rulebook would change (stores nothing)."""
    _admin()
    form = _form()
    body = {
        "from": form["from"], "to": form["to"],
        "effective_from": form["effective_from"] or None,
    }  # fmt: skip
    try:
        body["rulebook"] = _document(form)
        found = reads.answer(rulebooks.preview_rulebook, PreviewOut, PreviewIn, body)
    except (ValidationError, DomainError) as error:
        problem = refusal(error)
        return _page(form, problem=problem), problem["status"]
    return _page(form, preview=found)


@bp.post("/rules/rebuild")
def start_rebuild() -> Any:
    """Publish the rulebook from ``effective_from`` and rebuild the read
    models under it; back to the page, which follows its progress."""
    _admin()
    form = _form()
    body = {"effective_from": form["effective_from"], "reason": form["reason"]}
    try:
        body["rulebook"] = _document(form)
        command(rebuilds.request_rebuild, RebuildIn, body)
    except (ValidationError, DomainError) as error:
        problem = refusal(error)
        return _page(form, problem=problem), problem["status"]
    return redirect(url_for(".rules"), 303)


@bp.get("/rebuilds/<rebuild_id>")
def rebuild_progress(rebuild_id: str) -> Response:
    """A rebuild's progress as ``GET /rebuilds/{id}`` answers it (JSON), for
    the page's progress bar."""
    _admin()
    return jsonify(_rebuild(rebuild_id))


@bp.post("/read-models/<int:generation>/activate")
def activate(generation: int) -> Response:
    """Switch readers to a generation, saying why."""
    _admin()
    body = {"reason": request.form.get("reason", "")}
    command(rebuilds.activate_generation, ReasonIn, body, generation=generation)
    return redirect(url_for(".rules") + "#generations", 303)  # type: ignore[return-value]


def _form() -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in FIELDS}


def _document(form: Mapping[str, str]) -> Any:
    """The rulebook document: the uploaded file's, else the pasted text;
    text that is not JSON is refused as the API refuses a body that is not."""
    upload = request.files.get("file")
    text = form["rulebook"]
    if upload is not None and upload.filename:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            text = ""
    try:
        return json.loads(text)
    except ValueError:
        raise ValidationError({"rulebook": [N_("Not valid JSON.")]}) from None


def _rebuild(rebuild_id: str) -> dict[str, Any]:
    """The rebuild as ``GET /rebuilds/{id}`` answers it, and its bar: the
    events its generation folded of those in the log, full once it completed
    (the log has grown by its own completion since)."""
    found = reads.answer(rebuilds.get_rebuild, RebuildOut, rebuild_id=rebuild_id)
    total = max(found["events_total"], 1)
    done = total if found["status"] == "completed" else found["events_done"]
    return found | {"bar": {"value": min(done, total), "max": total}}


def _latest() -> dict[str, Any] | None:
    """The newest rebuild, running or not, as the server knows it."""
    found = reads.answer(
        rebuilds.list_rebuilds, RebuildListOut, PageQuery, {"limit": "1"}
    )
    newest = found["rebuilds"]
    return _rebuild(newest[0]["rebuild_id"]) if newest else None


def _page(
    form: Mapping[str, str],
    *,
    problem: Mapping[str, Any] | None = None,
    preview: Mapping[str, Any] | None = None,
) -> str:
    latest = _latest()
    return render_template(
        "pages/rules.html",
        form=form,
        problem=problem,
        preview=preview,
        chart=_chart(preview) if preview else None,
        rebuild=latest,
        rebuild_words=_rebuild_words(),
        generations=reads.answer(rebuilds.list_generations, GenerationListOut)[
            "generations"
        ],
    )


def _chart(preview: Mapping[str, Any]) -> dict[str, Any]:
    """Who moves: each changed agent-month's total before and after."""
    changes = preview["changes"]
    return {
        "labels": [f"{c['agent_id']} {c['month']}" for c in changes],
        "datasets": [
            {"label": translate(N_("Now")),
             "data": [c["before"]["total"] for c in changes], "kind": "before"},
            {"label": translate(N_("With the candidate")),
             "data": [c["after"]["total"] for c in changes], "kind": "after"},
        ],
    }  # fmt: skip


def _rebuild_words() -> dict[str, str]:
    """A rebuild's statuses, and the progress bar's words, in the page's language."""
    return {
        "running": translate(N_("running")),
        "completed": translate(N_("completed")),
        "abandoned": translate(N_("abandoned")),
        "seconds": translate(N_("{seconds} s")),
        "rate": translate(N_("{rate} events/s")),
    }
