"""``appraisal demo`` on more than one store, and on a pinned clock."""

from __future__ import annotations

import json
import re

import pytest

from domain.access import Principal, Role
from projections.runtime import Runtime, StoreConfig
from tests.e2e.commands import clean_env, run_ok

TOKEN_LINE = re.compile(r"^ {2}(\S+)\s+(apr_\S+)$", re.MULTILINE)


def printed_tokens(stdout: str) -> dict[str, str]:
    return dict(TOKEN_LINE.findall(stdout))


def principals(config: StoreConfig, tokens: dict[str, str]) -> dict[str, object]:
    """Who each token stands for on the store (None: it does not know it)."""
    runtime = Runtime(config)
    try:
        return {who: runtime.app.authenticate(token) for who, token in tokens.items()}
    finally:
        runtime.close()


@pytest.mark.postgres
def test_demo_tokens_are_issued_per_store_and_stay_valid_where_printed(
    postgres_database, postgres_schema, data_dir, workdir
):
    sqlite = StoreConfig(data_dir=data_dir)
    postgres = StoreConfig(
        database_url=postgres_database, postgres_schema=postgres_schema
    )
    sqlite_env = clean_env(APPRAISAL_DATA_DIR=str(data_dir))
    postgres_env = clean_env(
        DATABASE_URL=postgres_database,
        APPRAISAL_POSTGRES_SCHEMA=postgres_schema,
        APPRAISAL_DATA_DIR=str(data_dir),  # the same directory: one tokens file
    )

    on_sqlite = run_ok("demo", env=sqlite_env, cwd=workdir).stdout
    on_postgres = run_ok("demo", env=postgres_env, cwd=workdir).stdout
    again = run_ok("demo", env=postgres_env, cwd=workdir).stdout

    sqlite_tokens, postgres_tokens = map(printed_tokens, (on_sqlite, on_postgres))
    assert len(sqlite_tokens) == len(postgres_tokens) == 5
    assert set(sqlite_tokens.values()).isdisjoint(postgres_tokens.values())
    assert "Demo tokens for SQLite files in" in on_sqlite
    assert "Demo tokens for PostgreSQL " in on_postgres
    assert printed_tokens(again) == postgres_tokens  # valid there: kept
    kept = json.loads((data_dir / "demo-tokens.json").read_text(encoding="utf-8"))
    assert kept == postgres_tokens
    admin = Principal("admin", Role.ADMIN)
    assert principals(postgres, postgres_tokens)["admin:admin"] == admin
    assert principals(sqlite, sqlite_tokens)["admin:admin"] == admin
    supervisor = principals(postgres, postgres_tokens)["supervisor:sup-zhang"]
    assert supervisor == Principal("sup-zhang", Role.SUPERVISOR, "presales")
    assert set(principals(postgres, sqlite_tokens).values()) == {None}


def test_a_revoked_demo_token_is_replaced_by_the_next_demo(sqlite_env, workdir):
    first = printed_tokens(run_ok("demo", env=sqlite_env, cwd=workdir).stdout)
    listed = run_ok("token", "list", env=sqlite_env, cwd=workdir).stdout
    admin_token = next(
        line.split()[0] for line in listed.splitlines() if "admin" in line.split()
    )
    run_ok(
        "token", "revoke", admin_token, "--reason", "leaked",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    second = printed_tokens(run_ok("demo", env=sqlite_env, cwd=workdir).stdout)

    assert second.keys() == first.keys()
    assert second["admin:admin"] != first["admin:admin"]


def test_the_demo_months_follow_the_service_s_today_in_shanghai(sqlite_env, workdir):
    # 20:00 UTC on 30 November is already 1 December in Shanghai: the demo's
    # three months are September to November, not August to October.
    env = {**sqlite_env, "APPRAISAL_TODAY": "2026-11-30T20:00:00Z"}

    run_ok("demo", env=env, cwd=workdir)

    months = {}
    for month in ("2026-08", "2026-09", "2026-10", "2026-11", "2026-12"):
        exported = run_ok("export", month, env=env, cwd=workdir).stdout
        months[month] = sum(
            json.loads(line).get("topic") == "domain.deduction:Deduction.Recorded"
            for line in exported.splitlines()
        )
    assert [m for m, count in months.items() if count] == [
        "2026-09", "2026-10", "2026-11",
    ]  # fmt: skip
