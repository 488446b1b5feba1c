"""Import jobs: how far each file posted to ``POST /imports/{kind}`` got.

An import runs in a background thread of the web worker that received the
file, and any worker may be asked how it is going, so its progress is a row
beside the events (``appraisal_import_jobs``), written after every chunk. It is
operational knowledge, not a fact: the rows the import records are the facts.
Each write stamps ``heartbeat_at``; a job whose heartbeat stopped is
interrupted (``ImportJob.seen``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.text import N_
from projections.health import this_process
from projections.migrate import SideTable
from projections.retry import budget_of, retrying

QUEUED, RUNNING, COMPLETED, FAILED, INTERRUPTED = (
    "queued", "running", "completed", "failed", "interrupted",
)  # fmt: skip
UNDER_WAY = frozenset({QUEUED, RUNNING})
# A job under way writes after every chunk (a second or so): one silent this
# long has lost its process.
STALE_AFTER = timedelta(seconds=60)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ImportJob:
    """One import and its progress. Each field is a column of the table."""

    job_id: UUID
    kind: str
    status: str = QUEUED
    process: str = field(default_factory=this_process)
    rows_estimated: int = 0  # lines in the file (less a CSV header)
    rows_done: int = 0
    recorded: int = 0
    corrected: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    position: int = 0
    unscored: int = 0  # rows recorded that the rules in force do not score
    unscored_reasons: list[str] = field(default_factory=list)
    error: str | None = None
    created_at: datetime = field(default_factory=_now)
    started_at: datetime | None = None
    heartbeat_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None

    @property
    def rate(self) -> float:
        """Rows a second, from the start to the last progress written."""
        if self.started_at is None:
            return 0.0
        elapsed = (self.heartbeat_at - self.started_at).total_seconds()
        return self.rows_done / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_remaining(self) -> float | None:
        if self.status not in UNDER_WAY:
            return 0.0
        left = max(self.rows_estimated - self.rows_done, 0)
        return left / self.rate if self.rate else None

    @property
    def result(self) -> dict[str, Any] | None:
        """What a completed import did: its summary."""
        if self.status != COMPLETED:
            return None
        return {
            "kind": self.kind, "rows": self.rows_done, "recorded": self.recorded,
            "corrected": self.corrected, "unchanged": self.unchanged,
            "rejected": self.rejected, "errors": self.errors,
            "position": self.position, "unscored": self.unscored,
            "unscored_reasons": self.unscored_reasons,
        }  # fmt: skip

    def seen(self, now: datetime, alive: bool | None = None) -> ImportJob:
        """The job as a reader should see it at ``now``: one under way whose
        heartbeat stopped, or whose thread is gone (``alive``, when its process
        is the reader's), is interrupted."""
        if self.status not in UNDER_WAY:
            return self
        if now - self.heartbeat_at <= STALE_AFTER and alive is not False:
            return self
        return replace(
            self,
            status=INTERRUPTED,
            error=N_(
                "The process running the import stopped. Post the file again: "
                "rows already imported come back unchanged."
            ),
        )


COLUMNS = tuple(f.name for f in fields(ImportJob))
_TYPES = {f.name: str(f.type) for f in fields(ImportJob)}


def _column(name: str, postgres: bool) -> str:
    """A column's definition, from its field's type."""
    kind = _TYPES[name]
    base = kind.removesuffix(" | None")
    sql = ("BIGINT" if postgres else "INTEGER") if base == "int" else "TEXT"
    if name == COLUMNS[0]:
        return f"{name} {sql} PRIMARY KEY"
    return f"{name} {sql}" + ("" if kind.endswith("| None") else " NOT NULL")


def _stored(job: ImportJob) -> tuple[Any, ...]:
    def value(name: str) -> Any:
        found = getattr(job, name)
        if isinstance(found, UUID):
            return str(found)
        if isinstance(found, datetime):
            return found.isoformat()
        if isinstance(found, list):
            return json.dumps(found)  # ASCII: any text a file held is storable
        return found

    return tuple(value(name) for name in COLUMNS)


def _loaded(row: Any) -> ImportJob:
    def value(name: str) -> Any:
        found, base = row[name], _TYPES[name].removesuffix(" | None")
        if found is None:
            return None
        if base == "UUID":
            return UUID(found)
        if base == "datetime":
            return datetime.fromisoformat(found)
        if base.startswith("list"):
            return json.loads(found)
        return found

    return ImportJob(**{name: value(name) for name in COLUMNS})


class ImportJobStore(SideTable):
    """The import jobs table in the events database."""

    NAME = "appraisal_import_jobs"

    def __init__(self, datastore: Any, postgres: bool) -> None:
        super().__init__(datastore, postgres)
        marks = ", ".join(self.mark for _ in COLUMNS)
        self._insert = (
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({marks}) "
            "ON CONFLICT (job_id) DO"
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        self._write = f"{self._insert} UPDATE SET {updates}"
        self._add = f"{self._insert} NOTHING RETURNING job_id"
        self._select = (
            f"SELECT {', '.join(COLUMNS)} FROM {self.table} WHERE job_id = "
            + ("%s" if postgres else "?")
        )

    def columns(self) -> str:
        return ", ".join(_column(name, self.postgres) for name in COLUMNS)

    def add(self, job: ImportJob) -> tuple[ImportJob, bool]:
        """Store a new job, unless one with its id exists; return the stored
        job and whether it is this one."""
        added = retrying(budget_of(self.datastore), self._add_row, _stored(job))
        if added:
            return job, True
        return self.get(job.job_id) or job, False

    def write(self, job: ImportJob) -> None:
        """Store the job as it stands now (``heartbeat_at``: when it did)."""
        retrying(budget_of(self.datastore), self._execute, self._write, _stored(job))

    def get(self, job_id: UUID) -> ImportJob | None:
        return retrying(budget_of(self.datastore), self._get, job_id)

    def _get(self, job_id: UUID) -> ImportJob | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._select, (str(job_id),))
            row = cursor.fetchone()
        return _loaded(row) if row is not None else None

    def _add_row(self, row: tuple[Any, ...]) -> bool:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self._add, row)
            return cursor.fetchone() is not None

    def _execute(self, statement: str, params: tuple[Any, ...]) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, params)
