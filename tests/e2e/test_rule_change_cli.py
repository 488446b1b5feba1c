"""Changing the rules with the real ``appraisal`` command: validate, publish,
preview, rebuild (killed mid-way and resumed) and switching generations."""

from __future__ import annotations

import copy
import json
import re
import signal
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from domain.rulebook import FIRST_EDITION, Occurrence, Rulebook, shipped_document
from projections.runtime import Runtime, StoreConfig
from tests.clock import service_today
from tests.e2e.commands import Background, run, run_ok, stored_event_count, wait_until
from web.demo import deductions as demo_deductions
from web.demo import demo_months
from web.demo import roster as demo_roster

REBUILD_STARTED = re.compile(
    r"^rebuild ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}): "
    r"generation (\d+)$",
    re.MULTILINE,
)
GENERATION_LINE = re.compile(r"^(\d+)\t(\w+)\tparent (\S+)\t(.*)$", re.MULTILINE)
ADMIN = Principal("admin", Role.ADMIN)


# Rulebook files


def write_rulebook(
    path: Path,
    edit: Callable[[dict[str, Any]], None] | None = None,
    edition: str = FIRST_EDITION,
) -> Path:
    """A copy of a shipped edition (default: the one a fresh store, the
    demo's, starts on), edited by ``edit``."""
    document = copy.deepcopy(shipped_document(edition))
    if edit is not None:
        edit(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), "utf-8")
    return path


def complaint_costs(points: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        (complaint,) = (
            item
            for category in document["categories"]
            for item in category["items"]
            if item["code"] == "complaint"
        )
        complaint["points"] = points

    return edit


# Reading what a user would see


def generations(env: dict[str, str], cwd: Path) -> dict[int, str]:
    """``appraisal read-models list`` as {generation: state}."""
    listed = run_ok("read-models", "list", env=env, cwd=cwd).stdout
    return {int(g): state for g, state, _, _ in GENERATION_LINE.findall(listed)}


@contextmanager
def reader(data_dir: Path) -> Iterator[Runtime]:
    """A fresh process's view of the store, caught up as a reader's would be."""
    runtime = Runtime(StoreConfig(data_dir=data_dir))
    try:
        runtime.catch_up()
        yield runtime
    finally:
        runtime.close()


def totals(runtime: Runtime, agents: list[str], month: Month) -> dict[str, Decimal]:
    return {agent: runtime.view.scorecard(agent, month).total for agent in agents}


def ranking(runtime: Runtime, month: Month) -> list[tuple[str, Decimal, int]]:
    return [(e.agent_id, e.total, e.rank) for e in runtime.view.ranking(month)]


def tracked_position(database: Path) -> int:
    """How far a read-model generation got (0 before its file or table exists)."""
    if not database.exists():
        return 0
    try:
        with closing(sqlite3.connect(database, timeout=5)) as conn:
            (position,) = conn.execute(
                "SELECT MAX(notification_id) FROM tracking "
                "WHERE application_name = 'Appraisal'"
            ).fetchone()
    except sqlite3.DatabaseError:  # the table is not created yet
        return 0
    return int(position or 0)


def rebuild_started(output: str) -> tuple[str, int] | None:
    found = REBUILD_STARTED.search(output)
    return (found.group(1), int(found.group(2))) if found else None


# Validate


def test_validating_a_copy_of_the_shipped_rulebook_says_it_is_valid(
    tmp_path, sqlite_env, data_dir, workdir
):
    path = write_rulebook(tmp_path / "songsong.json")

    result = run("rulebook", "validate", str(path), env=sqlite_env, cwd=workdir)

    assert result.returncode == 0, result.stderr
    assert "valid rulebook 'songsong-2019'" in result.stdout
    assert result.stderr == ""
    assert not data_dir.exists()  # checking a file touches no store


def test_validating_maxima_that_add_up_to_101_fails_and_says_so(
    tmp_path, sqlite_env, workdir
):
    def first_max_11(document: dict[str, Any]) -> None:
        document["categories"][0]["max"] = "11"

    path = write_rulebook(tmp_path / "eleven.json", first_max_11)

    result = run("rulebook", "validate", str(path), env=sqlite_env, cwd=workdir)

    assert result.returncode != 0
    assert "categories: category maxima add up to 101, not 100" in result.stderr
    assert "valid" not in result.stdout


def test_validating_a_positive_business_deduction_names_the_field_path(
    tmp_path, sqlite_env, workdir
):
    def first_business_item_earns(document: dict[str, Any]) -> None:
        document["categories"][1]["items"][0]["points"] = "3"

    path = write_rulebook(tmp_path / "plus3.json", first_business_item_earns)

    result = run("rulebook", "validate", str(path), env=sqlite_env, cwd=workdir)

    assert result.returncode != 0
    assert "categories.1.items.0.points" in result.stderr
    assert "valid" not in result.stdout


# Publish


def test_publishing_a_version_for_a_past_month_is_refused_and_stores_nothing(
    tmp_path, sqlite_env, data_dir, workdir
):
    run_ok("demo", env=sqlite_env, cwd=workdir)
    path = write_rulebook(tmp_path / "minus5.json", complaint_costs("-5"))
    events_before = stored_event_count(data_dir)

    result = run(
        "rulebook", "publish", str(path), "--effective-from", "2026-09",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    assert result.returncode != 0
    assert "rebuild" in result.stderr
    assert "published" not in result.stdout
    assert stored_event_count(data_dir) == events_before
    assert generations(sqlite_env, workdir) == {1: "live"}


# Preview

TODAY = service_today()  # the demo's months follow the service's today
FIRST, SECOND = (str(m) for m in demo_months(TODAY)[:2])


def demo_complaints() -> Counter[tuple[str, str]]:
    """How many complaints the demo records per (agent, month)."""
    return Counter(
        (new.agent_id, str(Month.of(new.occurred_on)))
        for batch in demo_deductions(demo_roster(TODAY), TODAY).values()
        for new in batch
        if new.item == "complaint"
    )


def test_previewing_dearer_complaints_shows_two_points_lost_per_complaint(
    tmp_path, sqlite_env, data_dir, workdir
):
    run_ok("demo", env=sqlite_env, cwd=workdir)
    path = write_rulebook(tmp_path / "minus5.json", complaint_costs("-5"))
    events_before = stored_event_count(data_dir)

    result = run_ok(
        "rulebook", "preview", str(path), "--from", FIRST, "--to", SECOND,
        "--json", env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    preview = json.loads(result.stdout)
    assert preview["months"] == [FIRST, SECOND]
    complaints = {
        key: n for key, n in demo_complaints().items() if key[1] in preview["months"]
    }
    assert complaints, "the demo has complaints in its first two months"
    deltas = {
        (c["agent_id"], c["month"]): Decimal(c["delta"]) for c in preview["changes"]
    }
    dropped = {key: delta for key, delta in deltas.items() if delta}
    assert dropped == {key: Decimal(-2 * n) for key, n in complaints.items()}
    for change in preview["changes"]:
        before = Decimal(change["before"]["total"])
        after = Decimal(change["after"]["total"])
        assert after - before == Decimal(change["delta"])
    assert preview["summary"]["agent_months_changed"] == len(preview["changes"])
    assert stored_event_count(data_dir) == events_before


def test_previewing_the_rules_in_force_changes_nothing(
    tmp_path, sqlite_env, data_dir, workdir
):
    run_ok("demo", env=sqlite_env, cwd=workdir)
    path = write_rulebook(tmp_path / "songsong.json")
    events_before = stored_event_count(data_dir)

    result = run_ok(
        "rulebook", "preview", str(path), "--from", FIRST, "--to", SECOND,
        "--json", env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    preview = json.loads(result.stdout)
    assert preview["changes"] == []
    assert preview["summary"]["agent_months_compared"] == 24  # 12 agents, 2 months
    assert stored_event_count(data_dir) == events_before


# Rebuild


AGENTS = 200
DEDUCTIONS = 40_000
BATCH = 2_000
JUNE, MARCH = Month(2025, 6), Month(2025, 3)
SAMPLE = [f"A{n:03d}" for n in range(0, AGENTS, 20)]


def busy_department(data_dir: Path) -> Counter[tuple[str, str]]:
    """A store big enough that a rebuild takes seconds: 200 agents, 40,000
    deductions through 2025. Returns the complaints per (agent, month)."""
    rulebook = Rulebook.from_dict(shipped_document("songsong-2019"))
    items = [
        item.code
        for _, item in rulebook.items()
        if isinstance(item, Occurrence) and not item.once_per_month
    ]
    agents = [f"A{n:03d}" for n in range(AGENTS)]
    facts = []
    for n in range(DEDUCTIONS):
        round_, agent = divmod(n, AGENTS)
        month = round_ % 12 + 1
        day = (round_ // 12) % 28 + 1
        item = items[(round_ + agent) % len(items)]
        facts.append(NewDeduction(agents[agent], item, date(2025, month, day)))
    runtime = Runtime(StoreConfig(data_dir=data_dir))
    try:
        runtime.app.register_agents(
            ADMIN, [NewAgent(a, f"Agent {a}", "t1", "sup") for a in agents]
        )
        for start in range(0, len(facts), BATCH):
            runtime.app.record_deductions(ADMIN, facts[start : start + BATCH])
        runtime.catch_up()
    finally:
        runtime.close()
    return Counter(
        (new.agent_id, str(Month.of(new.occurred_on)))
        for new in facts
        if new.item == "complaint"
    )


def test_a_rebuild_killed_midway_leaves_the_live_read_models_serving_and_resumes(
    tmp_path, sqlite_env, data_dir, workdir, background: Callable[..., Background]
):
    complaints = busy_department(data_dir)  # in force: songsong-2019 v1
    rules = write_rulebook(
        tmp_path / "minus5.json", complaint_costs("-5"), "songsong-2019"
    )
    with reader(data_dir) as before:
        head = before.head
        june_before = totals(before, SAMPLE, JUNE)
        march_before = totals(before, SAMPLE, MARCH)
        june_ranking = ranking(before, JUNE)
    assert len(june_ranking) == AGENTS

    rebuilding = background(
        "rebuild", str(rules), "--effective-from", "2025-04",
        env={**sqlite_env, "PYTHONUNBUFFERED": "1"}, cwd=workdir,
    )  # fmt: skip
    wait_until(
        lambda: rebuild_started(rebuilding.output()) is not None,
        20,
        "the rebuild announcing its id",
        rebuilding.process,
        rebuilding.log,
    )
    started = rebuild_started(rebuilding.output())
    assert started is not None
    rebuild_id, generation = started
    assert generation == 2
    g2 = data_dir / "scoreboard_g2.sqlite"
    wait_until(
        lambda: 0 < tracked_position(g2) < head,
        30,
        f"generation 2 part-way (the rebuild may be too fast for {head} events)",
        rebuilding.process,
        rebuilding.log,
    )
    rebuilding.process.send_signal(signal.SIGKILL)
    rebuilding.process.wait(timeout=10)

    assert rebuilding.process.returncode == -signal.SIGKILL
    assert 0 < tracked_position(g2) < head
    assert generations(sqlite_env, workdir) == {1: "live", 2: "building"}
    with reader(data_dir) as during:
        assert during.live_generation == 1
        assert totals(during, SAMPLE, JUNE) == june_before
        assert totals(during, SAMPLE, MARCH) == march_before
        assert ranking(during, JUNE) == june_ranking

    resumed = run_ok("rebuild", "--resume", rebuild_id, env=sqlite_env, cwd=workdir)

    assert "readers switched" in resumed.stdout
    assert generations(sqlite_env, workdir) == {1: "kept", 2: "live"}
    with reader(data_dir) as after:
        assert after.live_generation == 2
        june_after = totals(after, SAMPLE, JUNE)
        assert totals(after, SAMPLE, MARCH) == march_before
    expected = {
        agent: total - 2 * complaints[(agent, str(JUNE))]
        for agent, total in june_before.items()
    }
    assert june_after == expected
    assert any(june_after[a] < june_before[a] for a in SAMPLE)


def test_switching_back_restores_old_totals_and_only_the_unused_generation_drops(
    tmp_path, sqlite_env, data_dir, workdir
):
    run_ok("demo", env=sqlite_env, cwd=workdir)
    september = Month.parse(SECOND)
    complained = sorted(a for a, m in demo_complaints() if m == str(september))
    agents = [agent.agent_id for agent in demo_roster(TODAY)]
    with reader(data_dir) as before:
        old = totals(before, agents, september)
    rules = write_rulebook(tmp_path / "minus5.json", complaint_costs("-5"))
    rebuilt = run_ok(
        "rebuild", str(rules), "--effective-from", SECOND,
        "--reason", "complaints cost 5", env=sqlite_env, cwd=workdir,
    )  # fmt: skip
    assert rebuild_started(rebuilt.stdout) is not None
    assert "readers switched" in rebuilt.stdout
    described = run_ok("read-models", "list", env=sqlite_env, cwd=workdir).stdout
    second = next(line for line in described.splitlines() if line.startswith("2\t"))
    assert f"from {SECOND}\tby " in second
    assert second.endswith("\tcomplaints cost 5")
    with reader(data_dir) as rebuilt_view:
        assert rebuilt_view.live_generation == 2
        new = totals(rebuilt_view, agents, september)
    assert complained
    assert all(new[agent] < old[agent] for agent in complained)

    switched = run_ok(
        "read-models", "activate", "1", "--reason", "undo",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip

    assert "generation 1" in switched.stdout
    assert generations(sqlite_env, workdir) == {1: "live", 2: "kept"}
    with reader(data_dir) as undone:
        assert undone.live_generation == 1
        assert totals(undone, agents, september) == old

    refused = run("read-models", "drop", "1", env=sqlite_env, cwd=workdir)

    assert refused.returncode != 0
    assert "live" in refused.stderr
    assert generations(sqlite_env, workdir) == {1: "live", 2: "kept"}

    dropped = run_ok("read-models", "drop", "2", env=sqlite_env, cwd=workdir)

    assert "generation 2 dropped" in dropped.stdout
    assert generations(sqlite_env, workdir) == {1: "live", 2: "dropped"}
    again = run(
        "read-models", "activate", "2", "--reason", "redo",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip
    assert again.returncode != 0
    with reader(data_dir) as still:
        assert still.live_generation == 1
        assert totals(still, agents, september) == old


def test_resuming_an_unknown_rebuild_is_one_line_not_a_traceback(sqlite_env, workdir):
    result = run(
        "rebuild", "--resume", "00000000-0000-0000-0000-000000000000",
        env=sqlite_env, cwd=workdir,
    )  # fmt: skip
    assert result.returncode == 1  # refused, not misused: exit 2 is for usage
    assert result.stderr.strip() == (
        "Error: no rebuild 00000000-0000-0000-0000-000000000000"
    )
    assert "Traceback" not in result.stderr
