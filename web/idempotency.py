"""``Idempotency-Key`` on commands: a retry answers the original result.

Before a keyed command runs, its key is looked up (``projections.keys``): the
same key from the same user for the same request (method, path, body) answers
the answer kept for it, or, if the command was recorded but its answer lost
(a worker killed after the commit), runs the command again with the store
answering what it recorded then; the same key for another request is a 422.
A new key travels with the command's events into the store. A successful
answer is kept with the key; a refused command records nothing, so its retry
simply runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any

from flask import Flask, Response, current_app, g, request

from domain import idempotency
from domain.idempotency import HEADER, IdempotencyKeyReusedError, Key
from domain.text import N_
from web.context import principal, runtime
from web.errors import ProblemError

_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
REPLAYED = "Idempotent-Replayed"
STREAMED = {"imports"}  # blueprints whose bodies are streamed, not read whole
KEPT_HEADERS = ("Location", "Content-Type")
DOCUMENTATION = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
    "description": "Any unique string (e.g. a UUID) chosen by the client for this "
    "command. Sending the same request again with the same key answers the "
    "original status and body and records nothing more; the same key with a "
    "different request is refused with 422. Keys are kept for 7 days.",
}


def _fingerprint() -> str:
    """What makes two requests the same: method, path, query, the body's media
    type (a CSV file is not the same request as JSON of the same bytes) and the
    body (JSON compared by value, whatever its spacing or key order)."""
    if request.blueprint in STREAMED:
        # A file streamed in (an import) is not read twice: the same media
        # type and size under the same key is the same file. Imports are
        # idempotent by their rows' natural keys in any case.
        body = f"{request.content_length or 0} bytes".encode()
    else:
        body = request.get_data(cache=True)
    if request.is_json and request.blueprint not in STREAMED:
        with contextlib.suppress(ValueError):  # not JSON after all: as sent
            body = json.dumps(
                json.loads(body), sort_keys=True, separators=(",", ":")
            ).encode("utf-8", "surrogatepass")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    media_type = f"{request.mimetype};charset={charset}" if body else ""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode("utf-8",
                 "surrogatepass"), media_type.encode("utf-8", "surrogatepass"),
                 body):  # fmt: skip
        digest.update(part + b"\x1f")
    return digest.hexdigest()


def before_command() -> Response | None:
    """Answer a keyed retry from the store, or start the keyed command."""
    raw = request.headers.get(HEADER)
    if raw is None or request.method not in ("POST", "DELETE"):
        return None
    if "principal" not in g:  # public or refused before authentication
        return None
    if not _KEY.fullmatch(raw):
        raise ProblemError(
            400,
            N_(
                "{header} must be 1-255 printable ASCII characters without spaces."
            ).format(header=HEADER),
            code="validation_failed",
            errors={HEADER: [N_("Use 1-255 printable ASCII characters, e.g. a UUID.")]},
        )
    key = Key(principal().user, raw, _fingerprint())
    kept = runtime().keys.lookup(key.principal, key.key)
    if kept is not None:
        if kept.fingerprint != key.fingerprint:
            raise IdempotencyKeyReusedError(raw)
        if kept.status is not None and kept.body is not None:
            response = Response(kept.body, status=kept.status)
            response.headers.update(kept.headers)
            response.headers[REPLAYED] = "true"
            return response
        key = idempotency.replaying(key, kept.positions)
    g.idempotency = key
    g.idempotency_scope = idempotency.keyed(key)
    g.idempotency_scope.__enter__()
    return None


def after_command(response: Response) -> Response:
    """Keep a keyed command's successful answer with its key."""
    key: Key | None = g.pop("idempotency", None)
    if key is None or not 200 <= response.status_code < 300:
        return response
    if response.headers.get(REPLAYED):
        return response
    headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    try:
        runtime().keys.answered(
            key.principal, key.key, key.fingerprint, response.status_code,
            headers, response.get_data(),
        )  # fmt: skip
    except Exception:  # the command is recorded; a retry will rebuild the answer
        current_app.logger.exception("could not keep the answer of key %s", key.key)
    return response


def end_scope(_: BaseException | None) -> None:
    scope: Any = g.pop("idempotency_scope", None)
    if scope is not None:
        scope.__exit__(None, None, None)


def register(app: Flask) -> None:
    app.before_request(before_command)
    app.after_request(after_command)
    app.teardown_request(end_scope)
