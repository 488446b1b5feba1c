"""Per-request context: the runtime, the authenticated principal, read positions."""

from __future__ import annotations

import math
import re
import time
from typing import cast

from flask import Flask, Response, current_app, g, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from domain.access import Principal, TokenRejectedError
from domain.text import N_, unstorable_fields
from projections.runtime import Runtime
from projections.scoreboard import ScoreboardView
from web.config import Settings
from web.errors import ProblemError
from web.i18n import PAGES

EXTENSION = "appraisal"
MIN_POSITION = "Min-Position"
READ_POSITION = "Read-Position"
PUBLIC_ENDPOINTS = {"health.health", "static"}
# POST endpoints that answer from the read models (and so honour Min-Position).
READING_COMMANDS = {
    "rulebooks.preview_rulebook",
    "disputes.preview_resolution",
    "pages.preview_rules",
}
_POSITION = re.compile(r"[0-9]{1,18}")


def runtime() -> Runtime:
    return cast(Runtime, current_app.extensions[EXTENSION]["runtime"])


def settings() -> Settings:
    return cast(Settings, current_app.extensions[EXTENSION]["settings"])


def principal() -> Principal:
    return cast(Principal, g.principal)


def read_position() -> int:
    """The log position the read models had reached when this read began."""
    return cast(int, g.read_position)


def read_view() -> ScoreboardView:
    """The live read models this read waited for: those ``read_position`` names."""
    return cast(ScoreboardView, g.read_view)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, detail, code="unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


def refuse_unstorable_path() -> None:
    """Path parameters follow the same text rule as bodies and queries."""
    problems = unstorable_fields(request.view_args or {})
    if problems:
        raise ProblemError(
            422,
            N_("The request has invalid fields."),
            code="validation_failed",
            errors=problems,
        )


def authenticate() -> None:
    """Every endpoint but health and the API docs needs a bearer token."""
    if request.endpoint is None or request.method == "OPTIONS":
        return
    if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api-docs":
        return
    if request.blueprint == PAGES:  # signed in by a session: web.ui.sessions
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized(N_("Send an 'Authorization: Bearer <token>' header."))
    try:
        found = runtime().app.authenticate(token.strip())
    except TokenRejectedError as rejected:
        raise _unauthorized(rejected.message) from None
    if found is None:
        raise _unauthorized(N_("The bearer token is not valid."))
    g.principal = found
    runtime().usage.seen(found.token_id)


def wait_for_read_models() -> None:
    """Reads see at least the position the client names in ``Min-Position``."""
    reads = request.method == "GET" or request.endpoint in READING_COMMANDS
    if not reads or request.endpoint in PUBLIC_ENDPOINTS:
        return
    if request.endpoint is None or request.blueprint == "api-docs":
        return
    raw = request.headers.get(MIN_POSITION)
    wanted = None
    if raw is not None:
        if not _POSITION.fullmatch(raw.strip()):
            detail = N_("must be a non-negative integer notification position")
            raise ProblemError(
                400,
                N_(
                    "{header} must be a non-negative integer notification position."
                ).format(header=MIN_POSITION),
                code="validation_failed",
                errors={MIN_POSITION: [detail]},
            )
        wanted = int(raw)
    g.read_view, g.read_position = runtime().read(wanted, settings().read_timeout)


def add_read_position(response: Response) -> Response:
    if "read_position" in g:
        response.headers[READ_POSITION] = str(g.read_position)
    return response


def limit_failed_sign_ins(app: Flask, per_minute: int) -> None:
    """At most ``per_minute`` failed authentications (answers 401) per client
    address a minute, in each worker; then 429 with ``Retry-After`` for that
    address. A moving window of the ``limits`` library, asked once before
    authentication and told of each failure after it."""
    limit = parse(f"{per_minute} per minute")
    window = MovingWindowRateLimiter(MemoryStorage())

    def counted() -> bool:
        return not (
            request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api-docs"
        )

    def refuse_when_over() -> None:
        address = request.remote_addr or ""
        if counted() and not window.test(limit, address):
            reset = window.get_window_stats(limit, address).reset_time
            raise ProblemError(
                429,
                N_(
                    "Too many failed authentications from this address; wait "
                    "before trying again ({limit})."
                ).format(limit=str(limit)),
                code="too_many_failed_authentications",
                headers={"Retry-After": str(max(1, math.ceil(reset - time.time())))},
            )

    def count_failure(response: Response) -> Response:
        if response.status_code == 401 and counted():
            window.hit(limit, request.remote_addr or "")
        return response

    app.before_request(refuse_when_over)
    app.after_request(count_failure)


def one_request() -> None:
    """The store's read-mostly aggregates (the token, the rules register) are
    brought up to date once a request (``AppraisalBase.current``)."""
    g.one_request = runtime().app.one_request()
    g.one_request.__enter__()


def end_request(_: BaseException | None) -> None:
    scope = g.pop("one_request", None)
    if scope is not None:
        scope.__exit__(None, None, None)


def register(app: Flask) -> None:
    app.before_request(one_request)
    app.teardown_request(end_request)
    app.before_request(refuse_unstorable_path)
    app.before_request(authenticate)
    app.before_request(wait_for_read_models)
    app.after_request(add_read_position)
