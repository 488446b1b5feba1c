"""``appraisal period show``: the status once, times in the company's zone."""

from __future__ import annotations

import re

from tests.e2e.commands import run_ok

# 10:00 in Shanghai on 20 November: October has ended, November runs.
PINNED = "2026-11-20T02:00:00Z"


def test_period_show_says_the_status_once_and_times_with_shanghai_s_offset(
    sqlite_env, workdir
):
    env = {**sqlite_env, "APPRAISAL_TODAY": PINNED}
    run_ok("period", "close", "2026-10", env=env, cwd=workdir)

    closed = run_ok("period", "show", "2026-10", env=env, cwd=workdir).stdout
    running = run_ok("period", "show", "2026-11", env=env, cwd=workdir).stdout

    assert closed.splitlines()[0] == "2026-10: closed"
    (history,) = [line for line in closed.splitlines() if "closed by" in line]
    assert re.fullmatch(
        r"  \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00 closed by \S+", history
    ), history
    assert running.splitlines()[0] == "2026-11: open (in progress)"
