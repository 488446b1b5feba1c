"""flask-smorest wired for this service: problem+json errors, a strict JSON parser."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from apispec import BasePlugin
from flask import Response
from marshmallow import RAISE, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from domain.text import unstorable_fields
from web.errors import fail, handle_http_exception
from web.idempotency import DOCUMENTATION as KEY_PARAMETER


class StrictJsonParser(FlaskParser):
    """Rejects bodies that are not JSON instead of treating them as empty, and
    turns every way JSON can fail to decode into a 400, never a 500. Unknown
    query parameters are refused like unknown body fields, and text the store
    cannot keep (``domain.text``) is refused in every location, field by field."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {  # noqa: RUF012
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _load_location_data(
        self, *, schema: Any, req: flask.Request, location: str
    ) -> Any:
        data = super()._load_location_data(schema=schema, req=req, location=location)
        raw = (
            {k: v if len(v) > 1 else v[0] for k, v in req.args.lists()}
            if location.startswith("query")
            else data
        )
        if isinstance(raw, dict | list):
            problems = unstorable_fields(raw)
            if problems:
                raise ValidationError(problems)
        return data

    def _raw_load_json(self, req: flask.Request) -> Any:
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        if not core.is_json(req.mimetype):
            fail(
                415, "Send the body as application/json.", code="unsupported_media_type"
            )
        try:
            return core.parse_json(body)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError):
            fail(
                400,
                "The request body is not valid JSON.",
                code="malformed_json",
                field="body",
            )


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()


class CommandHeaders(BasePlugin):
    """Every command (POST, DELETE) documents the ``Idempotency-Key`` header."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        for method, operation in (operations or {}).items():
            if method in ("post", "delete"):
                operation.setdefault("parameters", []).append(KEY_PARAMETER)


class Api(flask_smorest.Api):
    def __init__(self, app: flask.Flask) -> None:
        super().__init__(app, spec_kwargs={"extra_plugins": [CommandHeaders()]})

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return handle_http_exception(error)
