"""Imports run as jobs: answered at once with a job whose progress any request
can follow, while other requests keep answering. On both backends."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import tempfile
import threading
import time
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent
from projections.health import this_process
from projections.import_jobs import RUNNING, STALE_AFTER, ImportJob
from projections.runtime import Runtime
from projections.scoreboard import projection_name
from tests.api.conftest import awaited
from tests.clock import service_today
from web.importing import import_rows

ADMIN = Principal("admin", Role.ADMIN)
TODAY = service_today()
FIRST = TODAY.replace(day=1)
CHAT = "agent_id,date,consultations,conversions,avg_response_seconds,customers_lost"
AGENTS = 50
UNDER_WAY = ("queued", "running")


def register(department, agents=AGENTS):
    for n in range(agents):
        department.register(f"g{n}", joined_on="2020-01-06")


def chat_export(rows: int) -> bytes:
    """``rows`` chat rows of ``AGENTS`` agents, a day each, back from today;
    every seventh has a negative count (rejected)."""
    lines = [CHAT]
    for i in range(rows):
        day = TODAY - timedelta(days=i // AGENTS)
        consultations = -1 if i % 7 == 3 else 40
        lines.append(f"g{i % AGENTS},{day},{consultations},{i % 9},12.5,1")
    return ("\n".join(lines) + "\n").encode()


def post(department, body, kind="chat", headers=None):
    return department.admin.post(
        f"/imports/{kind}", data=body, content_type="text/csv", headers=headers
    )


def job_of(department, answer):
    return department.admin.get(answer.headers["Location"]).json


def running(department, answer, timeout=30.0):
    """The job once it has recorded its first chunk (and is still running)."""
    deadline = time.monotonic() + timeout
    while True:
        job = job_of(department, answer)
        if job["status"] == "running" and job["rows_done"] > 0:
            return job
        assert job["status"] in UNDER_WAY, job
        assert time.monotonic() < deadline, job
        time.sleep(0.01)


def import_threads():
    return [t for t in threading.enumerate() if t.name.startswith("import-")]


def test_an_import_answers_202_with_its_job_and_where_to_follow_it(department):
    register(department, 3)
    body = chat_export(3)

    answer = post(department, body)

    assert answer.status_code == 202, answer.json
    job = answer.json
    assert answer.headers["Location"] == f"/imports/jobs/{job['job_id']}"
    assert job["kind"] == "chat"
    assert job["status"] in ("queued", "running", "completed")
    assert job["rows_estimated"] == 3
    done = awaited(department.admin, answer)
    assert (done["job_id"], done["status"], done["error"]) == (
        job["job_id"],
        "completed",
        None,
    )
    assert (done["rows_done"], done["rejected"]) == (3, 0)
    assert done["seconds_remaining"] == 0
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]
    assert done["result"]["recorded"] == 3


def test_progress_is_visible_while_the_job_runs(department):
    register(department)
    rows = 4000
    answer = post(department, chat_export(rows))

    seen = running(department, answer)

    assert 0 < seen["rows_done"] < rows
    assert seen["rows_estimated"] == rows
    assert seen["rate_per_second"] > 0
    assert seen["seconds_remaining"] > 0
    assert seen["result"] is None
    done = awaited(department.admin, answer)
    assert (done["rows_done"], done["rejected"]) == (rows, rows // 7 + (rows % 7 > 3))


@pytest.fixture
def twin(store_config, tmp_path):
    """A second, empty department on the same backend, without a web app."""
    if store_config.is_postgres:
        schema = f"t_{uuid4().hex[:16]}"
        with psycopg.connect(store_config.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        config = replace(store_config, postgres_schema=schema)
    else:
        config = replace(store_config, data_dir=tmp_path / "twin")
    opened = Runtime(config)
    yield opened
    opened.close()


def test_a_jobs_result_is_what_the_same_import_gives_in_process(department, twin):
    register(department)
    joined = date(2020, 1, 6)
    twin.app.register_agents(
        ADMIN,
        [NewAgent(f"g{n}", f"Agent g{n}", "t1", "sup-t1", joined) for n in range(50)],
    )
    body = chat_export(1200) + f"g1,{FIRST},1,2\nghost,{FIRST},1,1,1,1\n".encode()

    job = awaited(department.admin, post(department, body))
    summary = import_rows(twin.app, ADMIN, "chat", io.BytesIO(body), "csv", source="t")

    expected = asdict(summary)
    assert {**job["result"], "position": 0} == {**expected, "position": 0}
    assert job["result"]["position"] == department.event_count()
    assert summary.rejected == 1200 // 7 + 2


def test_a_bad_file_completes_listing_its_rejected_rows(department):
    register(department, 2)
    body = (
        CHAT.encode()
        + f"\ng0,{FIRST},40,12,18.5,2\n".encode()
        + b"\xff\xfe,\x00\n"
        + f"g1,2026-02-30,1,1,1,1\ng1,{FIRST},1\nghost,{FIRST},1,1,1,1\n".encode()
    )

    job = awaited(department.admin, post(department, body))

    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["rows"], result["recorded"], result["rejected"]) == (5, 1, 4)
    assert {(e["row"], e["field"]) for e in result["errors"]} >= {
        (2, "body"),
        (3, "date"),
        (5, "agent_id"),
    }
    assert job["rejected"] == 4


def test_a_job_whose_process_stopped_shows_as_interrupted(department):
    jobs = department.runtime.import_jobs
    now = datetime.now(UTC)
    started = now - STALE_AFTER * 3

    def stored(**fields):
        job = ImportJob(uuid4(), "chat", status=RUNNING, started_at=started,
                        rows_estimated=100, rows_done=40, **fields)  # fmt: skip
        jobs.add(job)
        return department.admin.get(f"/imports/jobs/{job.job_id}").json

    silent = stored(process="elsewhere:1", heartbeat_at=now - STALE_AFTER * 2)
    heard = stored(process="elsewhere:1", heartbeat_at=now)
    gone_here = stored(process=this_process(), heartbeat_at=now)

    assert silent["status"] == gone_here["status"] == "interrupted"
    assert "again" in silent["error"]
    assert silent["rows_done"] == 40
    assert heard["status"] == "running"
    assert heard["seconds_remaining"] is not None


def test_an_unknown_job_is_not_found_and_only_an_admin_may_follow_one(department):
    register(department, 1)
    answer = post(department, chat_export(1))
    supervisor = department.client_for("sup", Role.SUPERVISOR, "t1")

    assert department.admin.get(f"/imports/jobs/{uuid4()}").status_code == 404
    assert department.admin.get("/imports/jobs/not-a-job").status_code == 404
    assert supervisor.get(answer.headers["Location"]).status_code == 403
    awaited(department.admin, answer)


def test_a_keyed_retry_answers_the_same_job_even_before_the_answer_was_kept(
    department,
):
    register(department, 2)
    body = chat_export(2)
    key = {"Idempotency-Key": "k-job"}

    first = post(department, body, headers=key)
    replayed = post(department, body, headers=key)
    # The first answer lost (a worker killed before it was kept): the key's
    # job is found again rather than a second one started.
    store = department.runtime.keys
    with store.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DELETE FROM {store.table}")
    again = post(department, body, headers=key)

    assert first.status_code == replayed.status_code == again.status_code == 202
    assert replayed.json == first.json
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert again.json["job_id"] == first.json["job_id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert awaited(department.admin, first)["result"]["recorded"] == 2


@pytest.mark.parametrize("store_config", ["sqlite"], indirect=True)
def test_other_requests_answer_while_a_large_import_runs_on_sqlite(department):
    register(department)
    answer = post(department, chat_export(30_000))
    running(department, answer)

    timings = []
    for path in ("/agents/g1", "/rulebooks", "/agents?team=t1"):
        began = time.monotonic()
        read = department.admin.get(path)
        timings.append(time.monotonic() - began)
        assert read.status_code == 200, read.json
    command = department.admin.post(
        "/complaints",
        json={"complaint_no": "C-1", "agent_id": "g2", "occurred_on": str(FIRST)},
    )

    assert command.status_code == 201, command.json
    assert max(timings) < 2.0, timings
    assert job_of(department, answer)["status"] == "running"  # all the while


def test_closing_while_an_import_runs_stops_it_between_chunks(
    department, store_config, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where bodies spool
    register(department)
    answer = post(department, chat_export(20_000))
    running(department, answer)
    (spooled,) = tmp_path.glob("appraisal-import-*.part")

    department.runtime.close()  # a worker shutting down

    assert import_threads() == []
    assert not any(t.is_alive() for t in department.runtime.background.values())
    reopened = Runtime(store_config)
    try:
        job = reopened.import_jobs.get(UUID(answer.json["job_id"]))
    finally:
        reopened.close()
    assert job is not None
    assert (job.status, job.finished_at is not None) == ("interrupted", True)
    assert 0 < job.rows_done < 20_000
    assert not spooled.exists()


def import_processes():
    """This process's children importing a file (``web.importing.apart``)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(status.read_text().rsplit(")", 1)[1].split()[1])
            command = status.with_name("cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"web.importing.apart" in command:
            found.append(int(status.parent.name))
    return found


@pytest.mark.parametrize("store_config", ["sqlite"], indirect=True)
def test_a_big_import_on_sqlite_whose_process_is_killed_fails(department):
    register(department)
    answer = post(department, chat_export(20_000))
    running(department, answer)
    (child,) = import_processes()

    os.kill(child, signal.SIGKILL)
    job = awaited(department.admin, answer)

    assert job["status"] == "failed"
    assert "again" in job["error"]
    assert 0 < job["rows_done"] < 20_000


def test_an_import_completes_while_another_process_holds_the_read_models(department):
    """On SQLite the worker folds each chunk's rows after it; another process
    holding the read models' write lock past the retry budget (a second
    worker's long catch-up) holds up that fold, not the import: the rows are
    recorded and folded by the next read."""
    register(department)
    runtime = department.runtime
    holder = None
    if not runtime.config.is_postgres:
        live = runtime.sqlite_file(projection_name(runtime.live_generation))
        holder = sqlite3.connect(live, timeout=0, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        done = awaited(department.admin, post(department, chat_export(700)))
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()

    assert done["status"] == "completed", done
    assert (done["rows_done"], done["result"]["recorded"]) == (700, 600)
    assert runtime.catch_up() == runtime.head >= done["result"]["position"]
