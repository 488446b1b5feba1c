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

from web.errors import problem_response

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


def refusal(environ: dict[str, Any]) -> tuple[int, str, str] | None:
    """(status, code, detail) if the request is over a limit, else None."""
    target = len(_target(environ).encode("latin-1", "replace"))
    if target > MAX_TARGET_BYTES:
        return (
            414,
            "uri_too_long",
            f"The request target is {target} bytes long; at most "
            f"{MAX_TARGET_BYTES} are accepted.",
        )
    fields = _header_fields(environ)
    sizes = [len(name) + 2 + len(value.encode("latin-1", "replace"))
             for name, value in fields]  # fmt: skip
    if len(fields) > MAX_FIELDS:
        detail = f"{len(fields)} header fields; at most {MAX_FIELDS} are accepted."
    elif sizes and max(sizes) > MAX_FIELD_BYTES:
        detail = (
            f"A header field is {max(sizes)} bytes long; at most "
            f"{MAX_FIELD_BYTES} are accepted."
        )
    elif sum(sizes) > MAX_HEADER_BYTES:
        detail = (
            f"The header fields take {sum(sizes)} bytes; at most "
            f"{MAX_HEADER_BYTES} are accepted."
        )
    else:
        return None
    return 431, "request_header_fields_too_large", detail


class RequestLimits:
    """WSGI middleware: a request over a limit is answered 414 or 431 here."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        refused = refusal(environ)
        if refused is None:
            return self.app(environ, start_response)
        status, code, detail = refused
        return problem_response(status, detail, code=code)(environ, start_response)
