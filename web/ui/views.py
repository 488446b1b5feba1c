"""The pages: sign-in and sign-out, the ranking board, an agent's month.

Each view reads through ``web.ui.reads`` (the API's own views) and renders a
template; refusals and errors are the API's own (same status, same words),
shown as a page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from domain.errors import DomainError
from projections.health import ReadTimeoutError
from projections.persistence import TRANSIENT, StoreUnavailableError
from web import errors
from web.i18n import language, translate
from web.ui import reads, sessions

bp = Blueprint("pages", __name__, url_prefix=sessions.PATH, template_folder="templates")
bp.before_request(sessions.load)
bp.after_request(sessions.keep)


@bp.context_processor
def _page_globals() -> dict[str, Any]:
    return {
        "csrf_token": sessions.csrf_token,
        "csrf_field": sessions.CSRF_FIELD,
        "who": g.get("principal"),
        "language": language(),
        "switch": _switch,
    }


def _switch(lang: str) -> str:
    """This page in another language (the switch also sets the cookie)."""
    args = {**request.args.to_dict(), "lang": lang}
    if request.endpoint is None:
        return "?" + urlencode(args)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.get("/")
def home() -> Response:
    """The ranking board of the month under review."""
    return redirect(url_for(".ranking"), 303)  # type: ignore[return-value]


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Sign in with a bearer token; the browser keeps only a session id."""
    target = sessions.safe_next(request.values.get("next"))
    if request.method == "GET":
        if "principal" in g:
            return redirect(target, 303)
        return render_template("pages/sign_in.html", next=target, refusal=None)
    try:
        session_id, _ = sessions.sign_in(request.form.get("token", ""))
    except sessions.SignInRefusedError as refused:
        refusal = translate(refused.template, refused.params)
        page = render_template("pages/sign_in.html", next=target, refusal=refusal)
        return page, 401
    sessions.sign_out()  # a session the browser had before is not carried on
    response = redirect(target, 303)
    sessions.set_cookie(response, sessions.SESSION_COOKIE, session_id)
    return response


@bp.post("/sign-out")
def sign_out() -> Response:
    """End the session; back to the sign-in page."""
    sessions.sign_out()
    response = redirect(url_for(".sign_in"), 303)
    sessions.forget(response)
    return response  # type: ignore[return-value]


# What a browser's <input type="datetime-local"> sends when the seconds are
# zero; the API's times name their seconds.
_NO_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")


def _when() -> dict[str, str]:
    """The page's ``as_of`` (a time) or ``position``, as the API takes them;
    empty fields of a form are not asked for."""
    when = {k: request.args[k] for k in ("as_of", "position") if request.args.get(k)}
    if _NO_SECONDS.fullmatch(when.get("as_of", "")):
        when["as_of"] += ":00"
    return when


@bp.get("/rankings")
def ranking() -> str:
    """The ranking board of a month, the department's or a team's, now or as
    it stood at a past time."""
    month = request.args.get("month") or reads.default_month()
    team = request.args.get("team") or None
    when = _when()
    board = reads.board(month, team, when)
    return render_template(
        "pages/ranking.html", board=board, teams=reads.teams(), when=when
    )


@bp.get("/agents/<agent_id>/<month>")
def agent_month(agent_id: str, month: str) -> str:
    """An agent's scorecard for a month and how it was reached, now or as it
    stood at a past position or time; their totals over the year."""
    when = _when()
    found = reads.agent_month(agent_id, month, when)
    for step in found["waterfall"]["steps"]:
        step["href"] = (
            None
            if step["position"] is None
            else url_for(".event", agent_id=agent_id, month=month,
                         event_position=step["position"], **when)
        )  # fmt: skip
    return render_template("pages/agent_month.html", **found, when=when)


@bp.get("/agents/<agent_id>/<month>/events/<int:event_position>")
def event(agent_id: str, month: str, event_position: int) -> str:
    """One event behind an agent's month: who recorded it, when, under which
    rule item and rulebook, and what the fact itself said."""
    when = _when()
    found = reads.event(agent_id, month, event_position, when)
    return render_template("pages/event.html", **found, when=when)


def _as_page(handler: Callable[[Any], Response]) -> Callable[[Any], Any]:
    """The API's answer to an error, as a page: its status, title and words."""

    def page(error: Any) -> Any:
        problem = handler(error)
        body = json.loads(problem.get_data(as_text=True))
        headers = {
            k: v for k, v in problem.headers.items() if k in ("Retry-After", "Allow")
        }
        html = render_template(
            "pages/error.html", status=problem.status_code, title=body["title"],
            detail=body["detail"], errors=body.get("errors") or {},
        )  # fmt: skip
        return html, problem.status_code, headers

    return page


for _family, _handler in (
    (HTTPException, errors.handle_http_exception),
    (DomainError, errors.handle_domain_error),
    (ValidationError, errors.handle_validation_error),
    (ReadTimeoutError, errors.handle_read_timeout),
    (StoreUnavailableError, errors.handle_store_unavailable),
    *((t, errors.handle_store_unavailable) for t in TRANSIENT),
    (Exception, errors.handle_unexpected),
):
    bp.register_error_handler(_family, _as_page(_handler))
