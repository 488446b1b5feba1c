"""The tests whose months follow today pass at a month's end, when the day in
Shanghai (the service's) is already the next month's first while UTC (the
machine's, often) is still the last of the month."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# 20:00 UTC on 30 November 2026: 04:00 on 1 December in Shanghai.
MONTH_END = "2026-11-30T20:00:00Z"
# Tests that read or write "this month" or "next month" through the API.
FOLLOWING_TODAY = [
    "tests/api/test_cycle_api.py::test_a_month_still_running_cannot_be_closed",
    "tests/api/test_rules_api.py::"
    "test_a_version_is_published_listed_and_readable_with_its_document",
    "tests/api/test_everyday_api.py",
    "tests/api/test_facts_api.py",
    "tests/api/test_disputes_api.py",
    "tests/api/test_tokens_api.py",
    "tests/api/test_idempotency_api.py",
]


@pytest.mark.postgres
def test_tests_that_follow_today_pass_with_the_clock_at_a_month_end_in_utc():
    env = {**os.environ, "APPRAISAL_TODAY": MONTH_END}

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v",
         *FOLLOWING_TODAY],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip

    said = run.stdout + run.stderr
    assert f"service today: 2026-12-01 (APPRAISAL_TODAY={MONTH_END})" in said
    assert run.returncode == 0, said[-5000:]
    for backend in ("sqlite", "postgres"):
        assert f"test_a_month_still_running_cannot_be_closed[{backend}] PASSED" in said
