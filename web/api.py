"""flask-smorest wired for this service: problem+json errors, a strict JSON
parser, and an OpenAPI document that is the exact contract of the API.

The document is generated from the schemas that parse requests; what they
cannot say is added here, once, for every operation (``Contract``):

- fields that describe themselves (``openapi(months)``: months, dates and
  times within the accepted months, decimals as strings with their bounds) and
  schemas with rules across fields (``openapi(definition, months)``: one
  object per rulebook item kind or order step, ``as_of`` or ``position``);
- text the store cannot keep (``domain.text``) is excluded from every string;
- path parameters, by name (``path_parameters``);
- the ``Idempotency-Key`` and ``Min-Position`` headers, and ``Read-Position``;
- every problem status an operation can answer, each an
  ``application/problem+json`` document (component ``Problem``) with the codes
  that status carries (``web.errors.PROBLEM_CODES``).
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from http import HTTPStatus
from typing import Any

import flask
import flask_smorest
from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Response
from marshmallow import RAISE, ValidationError, fields
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from domain.month import MonthRange
from domain.text import N_, unstorable_fields
from web.context import MIN_POSITION, READ_POSITION, READING_COMMANDS
from web.errors import (
    PROBLEM_CODES,
    PROBLEM_JSON,
    ProblemSchema,
    fail,
    handle_http_exception,
)
from web.idempotency import DOCUMENTATION as KEY_PARAMETER
from web.importing import IMPORT_KINDS
from web.inputs import CODE, Day, DecimalString, Moment, MonthField
from web.patterns import UNSTORABLE, anchored, month_pattern, quarter_pattern

JSON = "application/json"


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
        if req.mimetype != JSON:
            fail(
                415,
                N_("Send the body as application/json."),
                code="unsupported_media_type",
            )
        try:
            return core.parse_json(body)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError):
            fail(
                400,
                N_("The request body is not valid JSON."),
                code="malformed_json",
                field="body",
            )


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()

    def refuses(self, *statuses: int) -> Any:
        """Declare problem statuses a view answers beyond those every operation
        of its kind can (``Contract``): a read refused to some roles (403), a
        state a read depends on (409)."""
        return self.doc(responses={str(s): _problem_ref(s) for s in statuses})


def created(body: Any, endpoint: str, **values: Any) -> tuple[Any, int, dict[str, str]]:
    """A ``201 Created`` answer: ``body`` and the ``Location`` of the resource it
    created, the URL of the GET view ``endpoint`` for ``values``. Every view
    that answers 201 answers through here."""
    return body, 201, {"Location": flask.url_for(endpoint, **values)}


# Path parameters


UUID_PATTERN = anchored("[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# Order numbers are any text of 1-100 characters; in a path, without '/'.
ORDER_NO_PATTERN = anchored(f"[^/{UNSTORABLE}]{{1,100}}")
# Path parameters that name a value: one that does not fit is a 400. The others
# name a resource: one that does not fit names nothing, a 404.
VALUE_PARAMETERS = frozenset({"month", "quarter"})


def path_parameters(months: MonthRange) -> dict[str, dict[str, Any]]:
    """The schema of each path parameter, by name."""
    code = {"type": "string", "pattern": CODE.regex.pattern}
    uuid = {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}
    return {
        "agent_id": code,
        "rulebook_id": code,
        "deduction_id": uuid,
        "rebuild_id": uuid,
        "job_id": uuid,
        "fact_id": uuid,
        "number": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "duty_id": uuid,
        "webhook_id": uuid,
        "delivery_id": uuid,
        "order_no": {"type": "string", "pattern": ORDER_NO_PATTERN},
        "kind": {"type": "string", "enum": list(IMPORT_KINDS)},
        "month": {"type": "string", "pattern": anchored(month_pattern(months))},
        "quarter": {"type": "string", "pattern": anchored(quarter_pattern(months))},
    }


# Headers

MIN_POSITION_PARAMETER = {
    "name": MIN_POSITION,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    "description": "Wait until the read models include this notification position "
    "(a command's `position`); 503 `read_model_behind` if they do not in time.",
}
READ_POSITION_HEADER = {
    "description": "The notification position the read models had reached",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
LOCATION_HEADER = {"description": "The created resource", "schema": {"type": "string"}}
HEADERS = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    429: {"Retry-After": {"required": True, "schema": {"type": "string"}}},
    503: {"Retry-After": {"required": True, "schema": {"type": "string"}}},
}


# The contract


class Converter(OpenAPIConverter):
    """Query arguments whose schema has a rule across its fields
    (``openapi(definition, months)``) are documented as one object, so that
    the rule can be said: ``style: form, explode: true`` sends its members as
    ordinary query parameters."""

    months = MonthRange()

    def schema2parameters(self, schema: Any, *, location: str, **kwargs: Any) -> Any:
        hook = getattr(resolve_schema_cls(schema), "openapi", None)
        if location not in ("query", "querystring") or hook is None:
            return super().schema2parameters(schema, location=location, **kwargs)
        definition = hook(self.schema2jsonschema(schema), self.months)
        names = " or ".join(sorted(definition["properties"]))
        return [
            {"in": "query", "name": "query", "style": "form", "explode": True,
             "required": False, "schema": definition,
             "description": f"{names}, each a query parameter"}
        ]  # fmt: skip


class Marshmallow(MarshmallowPlugin):
    Converter = Converter


class Contract(BasePlugin):
    """Everything the OpenAPI document says beside the schemas' own fields."""

    def __init__(self, months: MonthRange) -> None:
        super().__init__()
        self.months = months
        self.parameters = path_parameters(months)

    # Fields and schemas

    def field_properties(
        self, converter: Any, field: fields.Field, ret: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        """A field's keywords beyond its type (an apispec attribute function)."""
        describe = getattr(field, "openapi", None)
        if describe is not None:
            ret.update(describe(self.months))
        if isinstance(field, fields.String) and "enum" not in ret:
            ret["not"] = {"type": "string", "pattern": UNSTORABLE}  # unstorable text
        if isinstance(field, fields.Dict) and field.key_field is not None:
            names = converter.field2property(field.key_field)
            ret["propertyNames"] = {k: v for k, v in names.items() if k != "not"}
        return {}

    def schema_helper(
        self, name: str, definition: dict[str, Any], **kwargs: Any
    ) -> None:
        """A schema with rules across its fields says them (``openapi``)."""
        schema = kwargs.get("schema")
        hook = getattr(resolve_schema_cls(schema), "openapi", None) if schema else None
        if hook is not None:
            replaced = hook(deepcopy(definition), self.months)
            definition.clear()
            definition.update(replaced)

    # Paths and operations

    def path_helper(
        self, path: str | None = None, operations: Any = None, *,
        parameters: list[dict[str, Any]] | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        for parameter in parameters or []:
            if parameter.get("in") == "path" and parameter["name"] in self.parameters:
                parameter["schema"] = dict(self.parameters[parameter["name"]])

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        names = set(_PATH_PARAMETER.findall(path or ""))
        for method, operation in (operations or {}).items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            public = operation.get("security") == []
            reading = getattr(kwargs.get("rule"), "endpoint", None) in READING_COMMANDS
            command = method in ("post", "delete")
            reads = not public and (method == "get" or reading)
            parameters = operation.setdefault("parameters", [])
            if command:
                parameters.append(dict(KEY_PARAMETER))
            if reads:
                parameters.append(dict(MIN_POSITION_PARAMETER))
            responses = operation.setdefault("responses", {})
            statuses = _statuses(operation, names, public, command, reads)
            if reading:
                statuses.discard(409)  # it records nothing
            for status in sorted(statuses):
                responses.setdefault(str(status), _problem_ref(status))
            responses.setdefault("default", _problem_ref(None))
            for status, response in responses.items():
                if str(status).startswith("2") and "$ref" not in response:
                    headers = response.setdefault("headers", {})
                    if reads:
                        headers[READ_POSITION] = READ_POSITION_HEADER
                    if str(status) in ("201", "202"):
                        headers["Location"] = LOCATION_HEADER
                    if not headers:
                        del response["headers"]


def _statuses(
    operation: dict[str, Any], names: set[str], public: bool, command: bool,
    reads: bool,
) -> set[int]:  # fmt: skip
    """The problem statuses an operation can answer, by what it takes."""
    statuses = {414, 431, 503}  # any request; the store
    if not public:
        statuses |= {401, 429}
    if command:
        # A bad Idempotency-Key is a 400, a key reused for another request a
        # 422; the body is read to compare requests, so it may be too large.
        # What a command records, the role, the team or the domain may refuse.
        statuses |= {400, 403, 409, 413, 422}
    if reads:
        statuses.add(400)  # a bad Min-Position
    if "requestBody" in operation:
        statuses |= {400, 413, 415, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.add(422)
    if names & VALUE_PARAMETERS:
        statuses.add(400)
    if names - VALUE_PARAMETERS:
        statuses.add(404)
    return statuses


_PATH_PARAMETER = re.compile(r"{([^}]+)}")


def _response_name(status: int | None) -> str:
    return "DEFAULT_ERROR" if status is None else HTTPStatus(status).name


def _problem_ref(status: int | None) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{_response_name(status)}"}


class Api(flask_smorest.Api):
    def __init__(self, app: flask.Flask, months: MonthRange | None = None) -> None:
        self.contract = Contract(months or MonthRange())
        super().__init__(
            spec_kwargs={
                "marshmallow_plugin": Marshmallow(),
                "extra_plugins": [self.contract],
            }
        )
        for field, *mapping in (
            (fields.Decimal, "string", "decimal"),  # Points: as strings
            (DecimalString, "string", "decimal"),
            (MonthField, "string", None),
            (Day, "string", None),
            (Moment, "string", None),
        ):
            self.register_field(field, *mapping)
        self.init_app(app)

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        contract = self.contract
        self.ma_plugin.converter.months = contract.months

        def contract_properties(
            converter: Any, field: fields.Field, ret: dict[str, Any], **_: Any
        ) -> dict[str, Any]:
            return contract.field_properties(converter, field, ret)

        self.ma_plugin.converter.add_attribute_function(contract_properties)
        self._register_problems()

    def _register_responses(self) -> None:
        """Replaced by ``_register_problems``, once the fields are mapped."""

    def _register_problems(self) -> None:
        """Every error is a problem document; each status says its codes."""
        self.spec.components.schema("Problem", schema=ProblemSchema)
        problem = {"$ref": "#/components/schemas/Problem"}
        for status, codes in PROBLEM_CODES.items():
            shape = {
                "properties": {
                    "status": {"const": status},
                    "code": {"type": "string", "enum": list(codes)},
                }
            }
            response: dict[str, Any] = {
                "description": ", ".join(f"`{code}`" for code in codes),
                "content": {PROBLEM_JSON: {"schema": {"allOf": [problem, shape]}}},
            }
            if status in HEADERS:
                response["headers"] = HEADERS[status]
            self.spec.components.response(_response_name(status), response)
        self.spec.components.response(
            _response_name(None),
            {"description": "A problem document",
             "content": {PROBLEM_JSON: {"schema": problem}}},
        )  # fmt: skip

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return handle_http_exception(error)
