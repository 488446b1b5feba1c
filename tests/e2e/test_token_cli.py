"""Tokens from the command line: issued to holders they fit, listed without
their secret, rotated and revoked; their holders are told why they are refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from tests.e2e.commands import run, run_ok


def tokens(env, workdir) -> dict[str, list[str]]:
    """``token list`` as {token id: its columns}."""
    lines = run_ok("token", "list", env=env, cwd=workdir).stdout.strip().splitlines()
    header, *rows = (line.split("\t") for line in lines)
    assert header[:3] == ["id", "user", "role"]
    return {row[0]: row for row in rows}


def test_a_token_is_listed_rotated_and_revoked_and_its_secret_never_shown(
    sqlite_env, data_dir, workdir
):
    run_ok("demo", env=sqlite_env, cwd=workdir)
    issued = run_ok("token", "issue", "--user", "auditor-2", "--role", "auditor",
                    "--days", "30", env=sqlite_env, cwd=workdir)  # fmt: skip
    secret = issued.stdout.strip()
    token_id = issued.stderr.split()[1].rstrip(",")

    listed = tokens(sqlite_env, workdir)
    assert listed[token_id][1:3] == ["auditor-2", "auditor"]
    assert listed[token_id][-1] == "valid"
    everything = run_ok("token", "list", env=sqlite_env, cwd=workdir).stdout
    assert secret not in everything and "apr_" not in everything
    with closing(sqlite3.connect(data_dir / "events.sqlite")) as conn:
        stored = b"".join(
            bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events")
        )
    assert secret.encode() not in stored

    rotated = run_ok("token", "rotate", token_id[:8], env=sqlite_env, cwd=workdir)
    successor = rotated.stderr.split()[1].rstrip(",")
    after = tokens(sqlite_env, workdir)
    assert (
        after[token_id][-1].startswith("revoked") and successor in after[token_id][-1]
    )
    assert after[successor][1:3] == ["auditor-2", "auditor"]

    revoked = run_ok("token", "revoke", successor, "--reason", "left",
                     env=sqlite_env, cwd=workdir)  # fmt: skip
    assert "revoked at position" in revoked.stdout
    assert (
        tokens(sqlite_env, workdir)[successor][-1]
        == "revoked " + (tokens(sqlite_env, workdir)[successor][-1].split(" ", 1)[1])
    )
    again = run_ok("token", "revoke", successor, "--reason", "left",
                   env=sqlite_env, cwd=workdir)  # fmt: skip
    assert "already revoked" in again.stdout


def test_a_token_that_does_not_fit_its_holder_is_refused_with_the_reason(
    sqlite_env, workdir
):
    run_ok("demo", env=sqlite_env, cwd=workdir)
    cases = [
        (["--user", "CS-101", "--role", "admin"], "is an agent id"),
        (["--user", "someone", "--role", "agent"], "not a registered agent"),
        (["--user", "sup-new", "--role", "supervisor", "--team", "nosuch"],
         "--new-team"),
    ]  # fmt: skip
    for arguments, reason in cases:
        result = run("token", "issue", *arguments, env=sqlite_env, cwd=workdir)
        assert result.returncode == 1, result.stderr
        assert reason in result.stderr
        assert "apr_" not in result.stdout
    new = run_ok(
        "token", "issue", "--user", "sup-new", "--role", "supervisor",
        "--team", "nosuch", "--new-team", env=sqlite_env, cwd=workdir,
    )  # fmt: skip
    assert new.stdout.startswith("apr_")
