"""Every error is ``application/problem+json`` (RFC 9457) naming the bad fields.

Domain errors map to statuses here and nowhere else; an unexpected exception is
logged and answered with a bare 500 problem, never a stack trace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, NoReturn

import flask
from eventsourcing.persistence import IntegrityError
from flask import Flask, Response, current_app
from marshmallow import INCLUDE, Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from domain.errors import (
    ConcurrentChangeError,
    ConflictError,
    DomainError,
    InvalidFactError,
    NotFoundError,
    NotPermittedError,
    NotVisibleError,
)
from domain.text import N_, storable
from projections.health import ReadTimeoutError
from projections.persistence import TRANSIENT, StoreUnavailableError
from web.i18n import TITLES, localize, localize_errors, translate

PROBLEM_JSON = "application/problem+json"

_DOMAIN_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotPermittedError, 403, "not_permitted"),
    (NotVisibleError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    # A command that names something unknown is unprocessable, not "not found".
    (NotFoundError, 422, "unknown_reference"),
    (InvalidFactError, 422, "invalid_fact"),
    (DomainError, 422, "rule_violated"),
]
# The refusals of the domain: answers to well-formed requests (which the
# OpenAPI document describes) that the facts or the rules do not allow.
DOMAIN_CODES = frozenset(code for _, status, code in _DOMAIN_STATUS if status == 422)
# The code of an HTTP error that is not one of ours (routing, body size, ...).
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_entity_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "too_many_requests",
    431: "request_header_fields_too_large",
    500: "internal_server_error",
}
# Every status a problem can have, and the codes it comes with (the OpenAPI
# document declares them per operation; ``/health`` has codes of its own).
PROBLEM_CODES: dict[int, tuple[str, ...]] = {
    400: ("validation_failed", "malformed_json", "bad_request"),
    401: ("unauthorized",),
    403: ("not_permitted",),
    404: ("not_found",),
    409: ("conflict",),
    413: ("request_entity_too_large",),
    414: ("uri_too_long",),
    415: ("unsupported_media_type",),
    422: ("validation_failed", *sorted(DOMAIN_CODES)),
    429: ("too_many_failed_authentications",),
    431: ("request_header_fields_too_large",),
    500: ("internal_server_error",),
    503: ("store_unreachable", "read_model_behind"),
}


class ProblemSchema(Schema):
    """A problem document (RFC 9457); some carry more members."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "about:blank"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "What went wrong"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages by field (dotted paths; body: the body)"},
    )


class ProblemError(HTTPException):
    """An HTTP error that carries a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = status
        self.problem_code = code
        self.detail = detail
        self.errors = dict(errors or {})
        self.extra_headers = dict(headers or {})


def fail(status: int, detail: str, *, code: str, field: str | None = None) -> NoReturn:
    errors = {field: [detail]} if field else None
    raise ProblemError(status, detail, code=code, errors=errors)


def problem_response(
    status: int,
    detail: str,
    *,
    code: str,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    """A problem document; ``extensions`` are members beside the standard ones.
    Its title, detail and messages are in the request's language."""
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": "about:blank",
        "title": _title(status),
        "status": status,
        "detail": localize(detail),
        "code": code,
    }
    if errors:
        body["errors"] = localize_errors(errors)
    text = json.dumps(body, ensure_ascii=False)
    if not storable(text):  # an unpaired surrogate echoed back: escape it
        text = json.dumps(body)
    response = Response(text, status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _title(status: int) -> str:
    return translate(TITLES[status]) if status in TITLES else _phrase(status)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def flatten(messages: Any, path: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dicts as ``{"a.b.0": ["message"]}``."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = "body" if key == "_schema" and not path else str(key)
            flat.update(flatten(value, f"{path}.{name}" if path else name))
        return flat
    if isinstance(messages, list | tuple):
        return {path or "body": [str(m) for m in messages]}
    return {path or "body": [str(messages)]}


def _webargs_errors(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Drop webargs' location level (json, query, headers) from field names."""
    messages = data.get("messages") or data.get("errors") or {}
    flat: dict[str, list[str]] = {}
    for location, errors in messages.items():
        if location == "json" and isinstance(errors, list):
            flat.update({"body": [str(e) for e in errors]})
        elif isinstance(errors, Mapping):
            flat.update(flatten(errors))
        else:
            flat.update(flatten(errors, str(location)))
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    if isinstance(error, ProblemError):
        return problem_response(
            error.code or 500,
            error.detail,
            code=error.problem_code,
            errors=error.errors,
            headers=error.extra_headers,
        )
    return _invalid_request(error) or _http_problem(error)


def _invalid_request(error: HTTPException) -> Response | None:
    """A request webargs refused: malformed JSON, or fields by name."""
    data = getattr(error, "data", None) or {}
    errors = _webargs_errors(data)
    status = error.code or 500
    if status == 400 and errors.get("body") == ["Invalid JSON body."]:
        return problem_response(
            400,
            N_("The request body is not valid JSON."),
            code="malformed_json",
            errors={"body": [N_("Not valid JSON.")]},
        )
    if not errors:
        return None
    return problem_response(
        status,
        N_("The request has invalid fields."),
        code="validation_failed",
        errors=errors,
        headers=data.get("headers"),
    )


def _http_problem(error: HTTPException) -> Response:
    """Any other HTTP error, as a problem of its status."""
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem_response(
        status,
        error.description or _phrase(status),
        code=http_code(status),
        headers=headers,
    )


def http_code(status: int) -> str:
    """The code of an HTTP error of that status that is not one of ours."""
    slug = _phrase(status).lower().replace(" ", "_").replace("-", "_")
    return _HTTP_CODES.get(status, slug)


def handle_domain_error(error: DomainError) -> Response:
    for family, status, code in _DOMAIN_STATUS:
        if isinstance(error, family):
            message = translate(error.template, error.params)
            errors = {error.field: [message]} if error.field else None
            return problem_response(status, message, code=code, errors=errors)
    raise error  # pragma: no cover - DomainError is the last family


def handle_validation_error(error: ValidationError) -> Response:
    return problem_response(
        400,
        N_("The request has invalid parameters."),
        code="validation_failed",
        errors=flatten(error.messages),
    )


def handle_read_timeout(error: ReadTimeoutError) -> Response:
    return problem_response(
        503,
        translate(error.template, error.params),
        code="read_model_behind",
        headers={"Retry-After": "1"},
    )


def handle_store_unavailable(error: Exception) -> Response:
    current_app.logger.warning("store unavailable on %s: %s", flask.request.path, error)
    return problem_response(
        503,
        N_("The event store is unreachable; nothing was changed. Retry shortly."),
        code="store_unreachable",
        headers={"Retry-After": "2"},
    )


def handle_concurrent_change(error: Exception) -> Response:
    """Two requests changed the same thing at once; the store kept one."""
    return problem_response(
        409,
        N_(
            "Another request changed this at the same time and was recorded "
            "first; read it again and retry if it still applies."
        ),
        code="conflict",
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    current_app.logger.exception("unhandled error on %s", flask.request.path)
    return handle_http_exception(InternalServerError())


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(ReadTimeoutError, handle_read_timeout)
    for unavailable in (StoreUnavailableError, *TRANSIENT):
        app.register_error_handler(unavailable, handle_store_unavailable)
    for conflict in (IntegrityError, ConcurrentChangeError):
        app.register_error_handler(conflict, handle_concurrent_change)
    app.register_error_handler(Exception, handle_unexpected)
