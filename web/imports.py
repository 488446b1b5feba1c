"""Bulk imports: chat statistics, clock records, exams, ... and order-system exports."""

from __future__ import annotations

import re
from uuid import UUID

from flask import request, url_for
from marshmallow import Schema, fields

from domain import idempotency
from domain.errors import NotVisibleError
from domain.text import N_
from projections.import_jobs import STALE_AFTER, ImportJob
from web import access
from web.api import UUID_PATTERN, Blueprint
from web.context import principal, runtime, settings
from web.errors import fail
from web.i18n import Localized
from web.importing import (
    CHARSETS,
    CHUNK_ROWS,
    MAX_ERRORS,
    MEDIA_TYPES,
    describe_columns,
    jobs,
)
from web.importing.importer import check_import

blp = Blueprint("imports", __name__, url_prefix="/imports", description="Bulk imports")
# Imports are streamed, so they may be far larger than other request bodies.
MAX_IMPORT_BYTES = 1024 * 1024 * 1024

DESCRIPTION = f"""\
Admin only. The body is CSV (`text/csv`, a header row naming the columns) or
JSON Lines (`application/x-ndjson` or `application/jsonl`, one object a line),
in UTF-8 (with or without a BOM) or GB18030, which contains the GBK that Excel
saves on Chinese Windows: a `charset` parameter (`text/csv; charset=gbk`) says
which, else the file's first 64 KiB tell. A line that is not text in that
charset rejects its row; a file plainly in the other charset than it declares is
not imported (row 0 says so).

The import runs as a job: the file is received whole, then the answer is `202`
with the job and its `Location`, `/imports/jobs/{{job_id}}`, where its progress can
be followed while the rows are recorded {CHUNK_ROWS} a transaction in the
background. Other requests keep answering meanwhile. When the job is
`completed`, its `result` says what the import did. Sent again with the same
`Idempotency-Key`, the request answers the same job; sent again without one,
it starts another, which finds the rows already imported `unchanged`.

Every row has `agent_id` and `occurred_on`. A column may also go by the older
name listed for it (`date` for `occurred_on`), as files exported before still
have it; a problem names the column as the file does. CSV cells are text
(booleans as true/false, 1/0 or yes/no), an empty cell is a missing value. A row whose
natural key was imported before is `unchanged` if equal, else `corrected`.
Invalid rows and rows the domain refuses are `rejected` and listed in `errors`
by row (CSV: the header is row 0, the first data row is 1; JSON Lines: the line
number) and field; the other rows are imported. At most {MAX_ERRORS} errors are
listed; `rejected` counts them all. `position` is the last event written (or the
log's head if none was): send it as `Min-Position` to read what was imported.

Columns by kind:

{describe_columns()}
"""
# Any bytes are a file to read: rows that cannot be read or are not valid are
# reported by number (in the job's result), so the body has no schema that
# could refuse it.
_ROWS = {
    "csv": "CSV: UTF-8 or GB18030 (GBK), a header row naming the columns, a row a line",
    "jsonl": "JSON Lines: UTF-8 or GB18030 (GBK), one object a line",
}
REQUEST_BODY = {
    "required": True,
    "content": {
        media_type: {"schema": {"description": _ROWS[form]}}
        for media_type, form in MEDIA_TYPES.items()
    },
}
KIND_PARAMETER = {"in": "path", "name": "kind", "description": "What the rows are"}
JOB_PARAMETER = {"in": "path", "name": "job_id", "description": "The import job"}
JOB_DESCRIPTION = f"""\
Admin only. `status` is `queued`, `running`, `completed`, `failed` (an error
stopped it: `error` says which; the chunks recorded before it stay recorded)
or `interrupted` (the process running it stopped, or has not been heard of for
{STALE_AFTER.seconds} seconds). `rows_done` of about `rows_estimated` (the
file's lines) are read, `rejected` of them refused so far; `rate_per_second`
and `seconds_remaining` (null until a rate is known) say how it goes. A job
that did not complete can be posted again: rows already imported come back
`unchanged`.
"""


class RowErrorOut(Schema):
    row = fields.Integer()
    field = fields.String()
    message = Localized(metadata={"description": "In the asked language"})


class ImportOut(Schema):
    kind = fields.String()
    rows = fields.Integer()
    recorded = fields.Integer()
    corrected = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorOut))
    position = fields.Integer()
    unscored = fields.Integer(
        metadata={
            "description": "Rows recorded that the rules in force for their "
            "month do not score (recorded all the same: rules may change)"
        }
    )
    unscored_reasons = fields.List(
        fields.String(), metadata={"description": "Why not, each reason once"}
    )


class ImportJobOut(Schema):
    job_id = fields.UUID()
    kind = fields.String()
    status = fields.String(
        metadata={"description": "queued, running, completed, failed, interrupted"}
    )
    rows_done = fields.Integer()
    rows_estimated = fields.Integer()
    rejected = fields.Integer()
    rate_per_second = fields.Float(attribute="rate")
    seconds_remaining = fields.Float(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    error = Localized(allow_none=True)
    result = fields.Nested(
        ImportOut,
        allow_none=True,
        metadata={"description": "What the import did, once completed"},
    )


@blp.route("/<kind>", methods=["POST"], parameters=[KIND_PARAMETER])
@blp.doc(description=DESCRIPTION, requestBody=REQUEST_BODY)
@blp.response(202, ImportJobOut)
def import_file(kind: str) -> tuple[ImportJob, int, dict[str, str]]:
    """Import a CSV or JSON Lines file of observations or order steps as a
    job: answered at once, followed at its Location (admin)."""
    check_import(principal(), kind)
    form = MEDIA_TYPES.get(request.mimetype)
    charset = request.mimetype_params.get("charset")
    if form is None or (charset and charset.strip().lower() not in CHARSETS):
        fail(
            415,
            N_("Send {types} in UTF-8 or GB18030 (GBK).").format(
                types=" or ".join(MEDIA_TYPES)
            ),
            code="unsupported_media_type",
        )
    request.max_content_length = MAX_IMPORT_BYTES
    path, lines = jobs.spool(request.stream)
    new = ImportJob(
        jobs.job_id_for(idempotency.current()),
        kind,
        rows_estimated=jobs.estimated_rows(lines, form),
    )
    job, added = runtime().import_jobs.add(new)
    if added:
        jobs.start(runtime(), job, path, form, principal(), charset, settings())
    else:  # a retry racing the first answer: the first one's job
        path.unlink()
    location = url_for("imports.get_import", job_id=job.job_id)
    return job, 202, {"Location": location}


@blp.route("/jobs/<job_id>", methods=["GET"], parameters=[JOB_PARAMETER])
@blp.doc(description=JOB_DESCRIPTION)
@blp.response(200, ImportJobOut)
@blp.refuses(403)
@access.only(access.ADMIN)
def get_import(job_id: str) -> ImportJob:
    """An import job's progress (rows done, rejected, rate, time left) and,
    once completed, what it did (admin)."""
    found = None
    if re.fullmatch(UUID_PATTERN, job_id):
        found = jobs.seen(runtime(), UUID(job_id))
    if found is None:
        raise NotVisibleError(
            N_("No import job {job_id!r}."), field="job_id", job_id=job_id
        )
    return found
