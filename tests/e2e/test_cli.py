"""The real ``appraisal`` command, run as a user runs it: as separate processes."""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from domain.access import Principal, Role
from domain.commands import NewDeduction
from domain.month import Month
from projections.runtime import Runtime, StoreConfig
from tests.e2e.commands import (
    Background,
    clean_env,
    http_get,
    run,
    run_ok,
    serving_demo,
    stored_event_count,
    wait_until,
)

SUMMARY = re.compile(r"Demo department: (\d+) agents and (\d+) deductions added\.")
TOKEN_LINE = re.compile(r"^ {2}(\S+)\s+(apr_\S+)$", re.MULTILINE)


def demo_summary(stdout: str) -> tuple[int, int, dict[str, str]]:
    """(agents added, deductions added, tokens by user) from ``appraisal demo``."""
    found = SUMMARY.search(stdout)
    assert found, f"no summary in:\n{stdout}"
    tokens = dict(TOKEN_LINE.findall(stdout))
    return int(found.group(1)), int(found.group(2)), tokens


# Demo


def test_loading_the_demo_twice_adds_it_once_and_prints_the_same_tokens(
    tmp_path, workdir
):
    data = tmp_path / "demo-data"
    env = clean_env()

    first = run_ok("--data-dir", str(data), "demo", env=env, cwd=workdir)
    events_after_first = stored_event_count(data)
    second = run_ok("--data-dir", str(data), "demo", env=env, cwd=workdir)

    agents, deductions, first_tokens = demo_summary(first.stdout)
    assert agents == 12
    assert deductions > 0
    assert demo_summary(second.stdout) == (0, 0, first_tokens)
    assert len(first_tokens) == 5
    assert all(token.startswith("apr_") for token in first_tokens.values())
    assert stored_event_count(data) == events_after_first
    assert not (workdir / "data").exists()


# Tokens


def test_a_supervisor_token_without_a_team_is_refused_with_a_reason(
    sqlite_env, workdir
):
    result = run(
        "token", "issue", "--user", "sup", "--role", "supervisor",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    assert result.returncode != 0
    assert "team" in result.stderr.lower()
    assert "apr_" not in result.stdout


def test_an_issued_token_is_printed_once_and_never_stored_in_plain_text(
    sqlite_env, data_dir, workdir
):
    result = run_ok(
        "token", "issue", "--user", "sup", "--role", "supervisor", "--team", "t1",
        "--new-team", env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("apr_")
    token = lines[0].strip()
    assert len(token) > len("apr_") + 20
    stored = (data_dir / "events.sqlite").read_bytes()
    assert stored  # the token's issue was recorded there
    assert token.encode() not in stored
    assert token.removeprefix("apr_").encode() not in stored
    for path in data_dir.iterdir():  # nor in any other file the command wrote
        assert token.removeprefix("apr_").encode() not in path.read_bytes(), path


# Serving the demo


@pytest.fixture
def demo_server(
    sqlite_env, data_dir, workdir, background: Callable[..., Background]
) -> Iterator[tuple[str, dict[str, str]]]:
    """``appraisal serve`` on the loaded demo: its base URL and the demo tokens."""
    with serving_demo(sqlite_env, data_dir, workdir, background, 20) as served:
        base, tokens, server = served
        yield base, tokens
        assert server.terminate() is not None, "the server ignored SIGTERM"


def test_health_is_public_and_names_the_sqlite_backend(demo_server):
    base, _ = demo_server

    answer = http_get(f"{base}/health")

    assert answer.status == 200
    assert answer.content_type.startswith("application/json")
    assert answer.json()["backend"] == "sqlite"
    assert answer.json()["status"] == "ok"


def test_rankings_without_a_token_are_refused_as_a_problem(demo_server):
    base, _ = demo_server

    answer = http_get(f"{base}/rankings/2026-10")

    assert answer.status == 401
    assert answer.content_type.startswith("application/problem+json")
    assert answer.json()["status"] == 401


def test_an_admin_sees_the_whole_demo_department_ranked(demo_server):
    base, tokens = demo_server

    answer = http_get(f"{base}/rankings/2026-10", tokens["admin:admin"])

    assert answer.status == 200
    entries = answer.json()["entries"]
    assert len(entries) == 12
    ranks = [entry["rank"] for entry in entries]
    assert ranks[0] == 1
    assert ranks == sorted(ranks)


def test_an_agent_reads_their_own_scorecard_but_not_a_colleagues(demo_server):
    base, tokens = demo_server
    agent = tokens["agent:CS-101"]

    own = http_get(f"{base}/agents/CS-101/scorecards/2026-10", agent)
    colleague = http_get(f"{base}/agents/CS-102/scorecards/2026-10", agent)

    assert own.status == 200
    assert own.json()["agent_id"] == "CS-101"
    assert colleague.status == 403
    assert colleague.content_type.startswith("application/problem+json")


@pytest.mark.parametrize(
    ("target", "headers", "status"),
    [
        ("/agents/" + "a" * 5000, {}, 414),  # over the service's limit
        ("/agents/" + "a" * 9000, {}, 414),  # over gunicorn's hard maximum
        ("/health", {"X-Large": "x" * 9000}, 431),
        ("/health", {"X-Large": "x" * 20000}, 431),  # over gunicorn's limit
        ("/health", {f"X-{i}": "x" for i in range(300)}, 431),
    ],
)
def test_a_request_over_the_limits_is_answered_as_a_problem_never_html(
    demo_server, target, headers, status
):
    base, tokens = demo_server
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(
            "GET", target, headers={"Authorization": f"Bearer {tokens['admin:admin']}",
                                    **headers},
        )  # fmt: skip
        answer = connection.getresponse()
        body = json.loads(answer.read())
    finally:
        connection.close()

    assert answer.status == status
    assert answer.getheader("Content-Type") == "application/problem+json"
    assert body["status"] == status
    assert body["code"] in ("uri_too_long", "request_header_fields_too_large")


# PostgreSQL: a projector process keeps the read models up to date


@pytest.mark.postgres
def test_the_projector_process_catches_up_follows_new_events_and_stops_cleanly(
    postgres_database, postgres_schema, data_dir, workdir, background
):
    env = clean_env(
        DATABASE_URL=postgres_database,
        APPRAISAL_POSTGRES_SCHEMA=postgres_schema,
        APPRAISAL_DATA_DIR=str(data_dir),
    )
    run_ok("demo", env=env, cwd=workdir)  # writes events only: nothing projects
    runtime = Runtime(
        StoreConfig(database_url=postgres_database, postgres_schema=postgres_schema)
    )
    try:
        logged = runtime.app.recorder.max_notification_id() or 0
        assert logged > 0
        assert runtime.position == 0

        projector = background("project", env=env, cwd=workdir)
        wait_until(
            lambda: runtime.position >= logged,
            30,
            f"catching up to position {logged}",
            projector.process,
            projector.log,
        )
        assert runtime.position == logged
        october = Month(2026, 10)
        before = runtime.view.scorecard("CS-102", october).total

        recorded = runtime.app.record_deduction(
            Principal("admin", Role.ADMIN),
            NewDeduction("CS-102", "complaint", date(2026, 10, 20)),
        )
        wait_until(
            lambda: runtime.position >= recorded.position,
            10,
            f"following to position {recorded.position}",
            projector.process,
            projector.log,
        )

        assert runtime.view.scorecard("CS-102", october).total == before - 3
        assert projector.terminate(timeout=10) == 0, projector.output()
    finally:
        runtime.close()


def test_an_argument_the_store_cannot_keep_is_refused_naming_it(
    sqlite_env, data_dir, workdir
):
    # Bytes that are not UTF-8 reach Python as unpaired surrogates.
    user = os.fsdecode(b"sup-\xff")
    result = run(
        "token", "issue", "--user", user, "--role", "admin",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip
    assert result.returncode == 2
    assert "'user'" in result.stderr and "NUL" in result.stderr
    assert "Traceback" not in result.stderr
    assert (
        not (data_dir / "events.sqlite").exists() or stored_event_count(data_dir) == 0
    )


def test_a_day_in_another_script_or_form_is_refused(sqlite_env, workdir):
    for day in ("\uff12\uff10\uff12\uff16-10-01", "20261001", "0001-01-01"):
        result = run(
            "calendar", "close-day", day, "--reason", "r", env=sqlite_env, cwd=workdir
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr


def test_a_checkpoint_kept_elsewhere_catches_a_rewrite_of_events_and_chain(
    tmp_path, sqlite_env, data_dir, workdir
):
    from tests.integration.test_hash_chain import rewrite

    env = {**sqlite_env, "APPRAISAL_CHECKPOINT_KEY": "kept in a vault"}
    run_ok("demo", env=env, cwd=workdir)
    kept = tmp_path / "elsewhere" / "checkpoint.json"
    kept.parent.mkdir()
    first = run_ok("verify", "--checkpoint", str(kept), env=env, cwd=workdir)
    assert "checkpoint written" in first.stdout and kept.exists()
    again = run_ok("verify", "--checkpoint", str(kept), env=env, cwd=workdir)
    assert "still holds" in again.stdout

    runtime = Runtime(StoreConfig(data_dir=data_dir))
    try:
        victim = next(
            n.id
            for n in runtime.app.recorder.select_notifications(None, limit=10**6)
            if b"slow_reply" in bytes(n.state)
        )
        rewrite(runtime, victim, rechain=True)
    finally:
        runtime.close()
    plain = run_ok("verify", env=env, cwd=workdir)  # the tables agree ...
    assert "verified" in plain.stdout
    caught = run("verify", "--checkpoint", str(kept), env=env, cwd=workdir)

    assert caught.returncode == 1  # ... but not with the checkpoint
    assert "TAMPERED" in caught.stderr and "rewritten" in caught.stderr
    keyless = run("verify", "--checkpoint", str(kept), env=sqlite_env, cwd=workdir)
    assert keyless.returncode == 1
    assert "APPRAISAL_CHECKPOINT_KEY" in keyless.stderr
