"""How long a request line and how large the headers may be: refused here as
problem documents, before anything else reads the request.

gunicorn has limits of its own, which it answers with an HTML page; ``appraisal
serve`` sets them above these (``GUNICORN_LIMITS``), so that a request over
these limits gets the service's answer, and writes whatever gunicorn still
refuses itself (a request line over 8190 bytes, its hard maximum, or a
malformed request) as a problem document too (``web.cli``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from domain.text import N_, Message
from web.errors import problem_response
from web.i18n import content_language, translate

# The request target (path and query, as sent) and the header fields.
MAX_TARGET_BYTES = 4096
MAX_FIELD_BYTES = 8190  # one header field: "Name: value"
MAX_HEADER_BYTES = 32 * 1024  # all of them
MAX_FIELDS = 100
# gunicorn's own limits, above these (8190 is the most its request line takes).
GUNICORN_LIMITS = {
    "limit_request_line": 8190,
    "limit_request_field_size": 2 * MAX_FIELD_BYTES,
    "limit_request_fields": 2 * MAX_FIELDS,
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _target(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = environ.get("QUERY_STRING", "")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return f"{path}?{query}" if query else path


def _header_fields(environ: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            found.append((key[5:].replace("_", "-"), str(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            found.append((key.replace("_", "-"), str(value)))
    return found


def refusal(environ: dict[str, Any]) -> tuple[int, str, Message] | None:
    """(status, code, detail) if the request is over a limit, else None."""
    target = len(_target(environ).encode("latin-1", "replace"))
    if target > MAX_TARGET_BYTES:
        return (
            414,
            "uri_too_long",
            Message(
                N_("The request target is {size} bytes long; at most {most} are "
                   "accepted."),
                size=target, most=MAX_TARGET_BYTES,
            ),
        )  # fmt: skip
    fields = _header_fields(environ)
    sizes = [len(name) + 2 + len(value.encode("latin-1", "replace"))
             for name, value in fields]  # fmt: skip
    if len(fields) > MAX_FIELDS:
        detail = Message(
            N_("{count} header fields; at most {most} are accepted."),
            count=len(fields), most=MAX_FIELDS,
        )  # fmt: skip
    elif sizes and max(sizes) > MAX_FIELD_BYTES:
        detail = Message(
            N_("A header field is {size} bytes long; at most {most} are accepted."),
            size=max(sizes), most=MAX_FIELD_BYTES,
        )  # fmt: skip
    elif sum(sizes) > MAX_HEADER_BYTES:
        detail = Message(
            N_("The header fields take {size} bytes; at most {most} are accepted."),
            size=sum(sizes), most=MAX_HEADER_BYTES,
        )  # fmt: skip
    else:
        return None
    return 431, "request_header_fields_too_large", detail


class RequestLimits:
    """WSGI middleware: a request over a limit is answered 414 or 431 here,
    in the language ``flask`` (the application) chooses for it."""

    def __init__(self, app: WSGIApp, flask: Flask | None = None) -> None:
        self.app = app
        self.flask = flask

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        refused = refusal(environ)
        if refused is None:
            return self.app(environ, start_response)
        status, code, detail = refused
        if self.flask is None:
            return problem_response(status, detail, code=code)(environ, start_response)
        with self.flask.request_context(environ):
            said = translate(detail.template, detail.params)
            response = content_language(problem_response(status, said, code=code))
        return response(environ, start_response)
