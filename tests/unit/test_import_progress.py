"""An import's progress, as the API's job and the CLI's bar both follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from projections.import_jobs import STALE_AFTER, ImportJob
from web.importing import ImportSummary, RowError
from web.importing.jobs import Tracker, estimated_rows

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_tracked_import_says_its_rows_rate_and_time_left_then_its_result():
    heard: list[tuple[str, int, int]] = []
    job = ImportJob(uuid4(), "chat", rows_estimated=1000)
    tracker = Tracker(job, lambda j: heard.append((j.status, j.rows_done, j.rejected)))
    tracker.started()
    job.started_at = START
    summary = ImportSummary("chat", rows=500, recorded=480, rejected=20)

    tracker.chunk(summary)
    job.heartbeat_at = START + timedelta(seconds=5)
    rate, left = job.rate, job.seconds_remaining
    summary.rows, summary.recorded = 1000, 980
    summary.errors, summary.position = [RowError(7, "date", "Not a valid date.")], 42
    summary.unscored, summary.unscored_reasons = 3, ["no rule item reads it"]
    tracker.finished(summary)

    assert (rate, left) == (100.0, 5.0)
    assert heard == [
        ("running", 0, 0),
        ("running", 500, 20),
        ("completed", 1000, 20),
    ]
    assert job.seconds_remaining == 0
    assert job.result == {
        "kind": "chat", "rows": 1000, "recorded": 980, "corrected": 0,
        "unchanged": 0, "rejected": 20, "position": 42,
        "errors": [{"row": 7, "field": "date", "message": "Not a valid date."}],
        "unscored": 3, "unscored_reasons": ["no rule item reads it"],
    }  # fmt: skip


def test_a_job_under_way_is_interrupted_once_its_heartbeat_or_thread_is_gone():
    job = ImportJob(uuid4(), "chat", status="running", heartbeat_at=START)

    assert job.seen(START + STALE_AFTER).status == "running"
    assert job.seen(START + STALE_AFTER * 2).status == "interrupted"
    assert job.seen(START, alive=False).status == "interrupted"
    assert job.seen(START, alive=True).result is None
    done = ImportJob(uuid4(), "chat", status="completed", heartbeat_at=START)
    assert done.seen(START + STALE_AFTER * 9, alive=False).status == "completed"


def test_the_rows_of_a_file_are_its_lines_less_a_csv_header():
    assert (estimated_rows(11, "csv"), estimated_rows(11, "jsonl")) == (10, 11)
    assert estimated_rows(0, "csv") == 0
