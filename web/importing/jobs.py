"""Imports as jobs: ``POST /imports/{kind}`` spools the file to disk and answers
at once; a background thread of the worker imports it from there, writing its
progress (``projections.import_jobs``) after every chunk, where any worker
can read it. ``appraisal import`` follows its import with the same ``Tracker``.

The thread is registered in ``runtime.background``: closing the runtime stops
it between two chunks (the job is then ``interrupted``) and waits for it.
Each chunk is one transaction, so the import never holds the store's write
lock for longer than a chunk, and requests keep answering while it runs. On
SQLite a file of more than ``APART_ROWS`` rows is imported by a process of its
own that the thread follows (``web.importing.apart``).
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING
from uuid import UUID, uuid4, uuid5

from domain.access import Principal
from domain.idempotency import Key
from domain.text import N_, printable
from projections.health import this_process
from projections.import_jobs import (
    COMPLETED,
    FAILED,
    INTERRUPTED,
    RUNNING,
    UNDER_WAY,
    ImportJob,
)
from projections.retry import StoreUnavailableError, first_line, transient
from projections.runtime import ClosingError, Runtime
from web.importing.importer import ImportSummary, import_rows
from web.importing.reading import Declared

if TYPE_CHECKING:
    from web.config import Settings

logger = logging.getLogger(__name__)
BLOCK_BYTES = 1024 * 1024
# Job ids of keyed requests: the same key for the same request names the same job.
KEYED_JOBS = UUID("5b1c2a7e-8d7f-4f0e-9a43-3f2f6f1f0c11")
APART_ROWS = 5000  # fewer take a second or two: not worth starting a process
POLL_SECONDS = 0.2
STOPPED = N_("The process stopped during the import. Post the file again: "
             "rows already imported come back unchanged.")  # fmt: skip


def job_id_for(key: Key | None) -> UUID:
    """A new job's id; for a request with an ``Idempotency-Key``, always the
    same one, so that a retry racing the first answer finds the first job."""
    if key is None:
        return uuid4()
    return uuid5(KEYED_JOBS, "\x1f".join((key.principal, key.key, key.fingerprint)))


def count_lines(stream: IO[bytes], copy: IO[bytes] | None = None) -> int:
    """The lines of a file (a last one without a newline too), read a block at
    a time and written to ``copy`` if given."""
    lines, last = 0, b"\n"
    while block := stream.read(BLOCK_BYTES):
        if copy is not None:
            copy.write(block)
        lines += block.count(b"\n")
        last = block[-1:]
    return lines + (last != b"\n")


def estimated_rows(lines: int, form: str) -> int:
    """The rows of a file of ``lines`` lines, unless fields span lines."""
    return max(lines - (form == "csv"), 0)


def spool(stream: IO[bytes]) -> tuple[Path, int]:
    """Copy a request body to a temporary file, a block at a time (memory stays
    flat); return its path and its lines. Nothing is left if reading fails."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for the job
        prefix="appraisal-import-", suffix=".part", delete=False
    )
    try:
        with handle:
            lines = count_lines(stream, handle)
    except BaseException:
        os.unlink(handle.name)
        raise
    return Path(handle.name), lines


class Tracker:
    """Follows an import into its job, chunk by chunk: rows done, rejected,
    the counts, a heartbeat; ``on_change`` hears each change."""

    def __init__(self, job: ImportJob, on_change: Callable[[ImportJob], None]) -> None:
        self.job = job
        self._on_change = on_change

    def started(self) -> None:
        self.job.status, self.job.started_at = RUNNING, datetime.now(UTC)
        self._changed()

    def chunk(self, summary: ImportSummary) -> None:
        """A chunk is recorded: ``summary`` is the import so far."""
        self._count(summary)
        self._changed()

    def finished(self, summary: ImportSummary) -> None:
        self._count(summary)
        self.job.errors = [asdict(error) for error in summary.errors]
        self.job.position = summary.position
        self.stopped(COMPLETED)

    def stopped(self, status: str, error: str | None = None) -> None:
        self.job.status, self.job.error = status, error
        self.job.finished_at = datetime.now(UTC)
        self._changed()

    def _count(self, summary: ImportSummary) -> None:
        job = self.job
        job.rows_done, job.rejected = summary.rows, summary.rejected
        job.recorded, job.corrected = summary.recorded, summary.corrected
        job.unchanged = summary.unchanged
        job.unscored = summary.unscored
        job.unscored_reasons = list(summary.unscored_reasons)

    def _changed(self) -> None:
        self.job.heartbeat_at = datetime.now(UTC)
        self._on_change(self.job)


@dataclass(frozen=True)
class Order:
    """An import for a process of its own (``web.importing.apart``)."""

    settings: Settings
    job_id: UUID
    path: Path
    form: str
    principal: Principal
    charset: str | None = None


def start(
    runtime: Runtime,
    job: ImportJob,
    path: Path,
    form: str,
    principal: Principal,
    charset: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Import the spooled file at ``path`` (in ``charset``, as its sender
    declared it) into ``job`` in a background thread of this process, which
    deletes the file when done; on SQLite, with the worker's ``settings``,
    a big file in a process of its own that the thread follows."""
    apart = (
        settings is not None
        and not runtime.config.is_postgres
        and job.rows_estimated > APART_ROWS
    )

    def work() -> None:
        try:
            if apart:
                assert settings is not None
                follow(runtime, Order(settings, job.job_id, path, form, principal,
                                      charset))  # fmt: skip
            else:
                run(runtime, job, path, form, principal, charset)
        finally:
            path.unlink(missing_ok=True)
            with runtime.background_lock:
                runtime.background.pop(job.job_id, None)

    thread = threading.Thread(target=work, name=f"import-{job.job_id}", daemon=True)
    with runtime.background_lock:
        runtime.background[job.job_id] = thread
        thread.start()


def run(
    runtime: Runtime,
    job: ImportJob,
    path: Path,
    form: str,
    principal: Principal,
    charset: str | None = None,
) -> None:
    """Import the file at ``path`` into ``job``, then delete the file. Between
    chunks, stop if the runtime is closing and let the read models catch up
    (SQLite: they fold in this process, and score the agent-months the import
    touched once, after its last chunk)."""
    tracker = Tracker(job, runtime.import_jobs.write)

    def chunk(summary: ImportSummary) -> None:
        tracker.chunk(summary)
        if runtime.closing.is_set():
            raise ClosingError("the runtime is closing")
        _fold_after(runtime, job, settle=False)

    try:
        tracker.started()
        with open(path, "rb") as stream, runtime.deferring_scores():
            summary = import_rows(
                runtime.app, principal, job.kind,
                Declared(stream, charset) if charset else stream,
                form, source=f"api:{job.kind}", on_progress=chunk,
            )  # fmt: skip
        _fold_after(runtime, job)
        tracker.finished(summary)
    except ClosingError:
        logger.info("import %s interrupted: the process is closing", job.job_id)
        _stop(tracker, INTERRUPTED, STOPPED)
    except Exception as error:  # a background thread has no caller to tell
        logger.exception("import %s failed", job.job_id)
        _stop(tracker, FAILED, printable(f"{type(error).__name__}: {error}"))
    finally:
        path.unlink(missing_ok=True)


def follow(runtime: Runtime, order: Order) -> None:
    """Start the process that imports ``order`` and wait for it; stop it
    between two chunks if the runtime closes. Meanwhile this process's
    readers leave the import's chunks to it (``Runtime.deferring_scores``).
    A job it did not finish (it could not start, or was killed) is stopped."""
    stopping = False
    with runtime.deferring_scores():
        child = subprocess.Popen(
            [sys.executable, "-m", "web.importing.apart"], stdin=subprocess.PIPE
        )
        with child.stdin or open(os.devnull, "wb") as orders:
            orders.write(pickle.dumps(order))
        while True:
            try:
                code = child.wait(POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if runtime.closing.is_set() and not stopping:
                    child.send_signal(signal.SIGTERM)
                    stopping = True
    job = runtime.import_jobs.get(order.job_id)
    if job is not None and job.status in UNDER_WAY:
        logger.error("import %s: its process ended with %s", order.job_id, code)
        tracker = Tracker(job, runtime.import_jobs.write)
        _stop(tracker, INTERRUPTED if stopping else FAILED, STOPPED)


def _fold_after(runtime: Runtime, job: ImportJob, settle: bool = True) -> None:
    """Fold what the import recorded, if the store lets it now. Its rows are
    recorded whatever happens here: a fold held up (another process holding
    the read models' write lock past the retry budget, the store down) is left
    to the next read or the projector, and the import goes on."""
    try:
        runtime.after_command(settle=settle)
    except Exception as error:
        if not (isinstance(error, StoreUnavailableError) or transient(error)):
            raise
        logger.warning(
            "import %s: rows recorded, their fold left for later (%s)",
            job.job_id,
            first_line(error),
        )


def _stop(tracker: Tracker, status: str, error: str) -> None:
    """Say how the job ended, if the store still answers (if not, readers see
    it interrupted once its thread is gone)."""
    try:
        tracker.stopped(status, error)
    except Exception:
        logger.exception("could not record that import %s %s", tracker.job.job_id,
                         status)  # fmt: skip


def seen(runtime: Runtime, job_id: UUID) -> ImportJob | None:
    """A job as a reader should see it now (``ImportJob.seen``)."""
    # Whether its thread runs here, asked first: a thread ends after its last write.
    with runtime.background_lock:
        thread = runtime.background.get(job_id)
    alive = thread is not None and thread.is_alive()
    job = runtime.import_jobs.get(job_id)
    if job is None:
        return None
    here = job.process == this_process()
    return job.seen(datetime.now(UTC), alive if here else None)
