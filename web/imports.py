"""Bulk imports: chat statistics, clock records, exams, ... and order-system exports."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, fields

from web.api import Blueprint
from web.context import principal, runtime
from web.errors import fail
from web.importing import (
    CHUNK_ROWS,
    MAX_ERRORS,
    MEDIA_TYPES,
    ImportSummary,
    describe_columns,
    import_rows,
)

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Bulk imports")
# Imports are streamed, so they may be far larger than other request bodies.
MAX_IMPORT_BYTES = 1024 * 1024 * 1024

DESCRIPTION = f"""\
Admin only. The body is CSV (`text/csv`, UTF-8, a header row naming the columns)
or JSON Lines (`application/x-ndjson` or `application/jsonl`, one object a line).
It is read as a stream and recorded {CHUNK_ROWS} rows a transaction.

Every row has `agent_id` and `occurred_on`. A column may also go by the older
name listed for it (`date` for `occurred_on`), as files exported before still
have it; a problem names the column as the file does. CSV cells are text
(booleans as true/false, 1/0 or yes/no), an empty cell is a missing value. A row whose
natural key was imported before is `unchanged` if equal, else `corrected`.
Invalid rows and rows the domain refuses are `rejected` and listed in `errors`
by row (CSV: the header is row 0, the first data row is 1; JSON Lines: the line
number) and field; the other rows are imported. At most {MAX_ERRORS} errors are
listed; `rejected` counts them all. `position` is the last event written (or the
log's head if none was).

Columns by kind:

{describe_columns()}
"""
# Any bytes are a file to read: rows that cannot be read or are not valid are
# reported by number (200), so the body has no schema that could refuse it.
_ROWS = {
    "csv": "CSV: UTF-8, a header row naming the columns, a row a line",
    "jsonl": "JSON Lines: UTF-8, one object a line",
}
REQUEST_BODY = {
    "required": True,
    "content": {
        media_type: {"schema": {"description": _ROWS[form]}}
        for media_type, form in MEDIA_TYPES.items()
    },
}
KIND_PARAMETER = {"in": "path", "name": "kind", "description": "What the rows are"}


class RowErrorOut(Schema):
    row = fields.Integer()
    field = fields.String()
    message = fields.String()


class ImportOut(Schema):
    kind = fields.String()
    rows = fields.Integer()
    recorded = fields.Integer()
    corrected = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))
    position = fields.Integer()


@blp.route("/<kind>", methods=["POST"], parameters=[KIND_PARAMETER])
@blp.doc(description=DESCRIPTION, requestBody=REQUEST_BODY)
@blp.response(200, ImportOut)
def import_file(kind: str) -> ImportSummary:
    """Import a CSV or JSON Lines file of observations or order steps (admin)."""
    form = MEDIA_TYPES.get(request.mimetype)
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if form is None or charset not in ("utf-8", "utf8"):
        fail(
            415,
            f"Send UTF-8 {' or '.join(MEDIA_TYPES)}.",
            code="unsupported_media_type",
        )
    request.max_content_length = MAX_IMPORT_BYTES
    summary = import_rows(
        runtime().app, principal(), kind, request.stream, form, source=f"api:{kind}"
    )
    runtime().after_command()
    return summary
