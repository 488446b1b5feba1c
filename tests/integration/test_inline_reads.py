"""Reads on the embedded default beside long work: a reader folds only a short
backlog itself; a long one (an import's, a restart's) is folded by a thread of
its own while readers answer; an import's chunks are scored once, at its end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from projections.runtime import READER_BACKLOG, Runtime, StoreConfig

ADMIN = Principal("admin", Role.ADMIN)
OCTOBER = Month(2026, 10)
AGENTS = [f"a{n}" for n in range(10)]


@pytest.fixture
def runtime(tmp_path) -> Iterator[Runtime]:
    opened = Runtime(StoreConfig(data_dir=tmp_path / "data"))
    opened.app.register_agents(
        ADMIN, [NewAgent(a, f"Agent {a}", "t1", "sup-t1") for a in AGENTS]
    )
    opened.catch_up()
    yield opened
    opened.close()


def record(runtime: Runtime, count: int, item: str = "complaint") -> None:
    """``count`` deductions spread over the agents, not yet folded."""
    runtime.app.record_deductions(
        ADMIN,
        [
            NewDeduction(AGENTS[n % len(AGENTS)], item, date(2026, 10, 1 + n % 28))
            for n in range(count)
        ],
    )


def totals(runtime: Runtime) -> dict[str, Decimal]:
    return {e.agent_id: e.total for e in runtime.view.ranking(OCTOBER)}


def test_a_reader_folds_a_short_backlog_itself(runtime):
    record(runtime, 3)

    _, reached = runtime.read(None, timeout=5)

    assert reached == runtime.head
    assert totals(runtime)["a0"] == Decimal(97)  # one complaint, -3


def test_a_reader_leaves_a_long_backlog_to_a_thread_and_answers_at_once(runtime):
    before = runtime.position
    record(runtime, READER_BACKLOG * 3)

    _, reached = runtime.read(None, timeout=5)

    assert reached == before  # answered from where the view stood
    deadline = time.monotonic() + 60
    while runtime.position < runtime.head and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime.position == runtime.head  # the thread folded it all
    # 600 complaints over 10 agents: 60 each, the business category floored at 0.
    assert set(totals(runtime).values()) == {Decimal(50)}


def test_a_reader_waiting_for_its_own_write_gets_it_behind_a_long_backlog(runtime):
    record(runtime, READER_BACKLOG * 3)
    position = runtime.head

    _, reached = runtime.read(position, timeout=60)

    assert reached >= position


def test_an_import_scores_its_chunks_once_at_its_end(runtime):
    with runtime.deferring_scores():
        record(runtime, 20)
        runtime.after_command(settle=False)  # a chunk: folded, not yet scored
        folded, settled = runtime.folded_of(runtime.view), runtime.position
        assert folded == runtime.head and settled < folded
        assert totals(runtime).get("a0", Decimal(100)) == Decimal(100)
        # A reader meanwhile answers from the last scored position, and does
        # not score the import's agent-months itself.
        _, reached = runtime.read(None, timeout=5)
        assert reached == settled
        assert runtime.position == settled
    runtime.after_command()  # the import's end

    assert runtime.position == runtime.head
    assert totals(runtime)["a0"] == Decimal(94)  # two complaints each


def test_a_reader_leaves_an_imports_chunk_to_the_import(runtime):
    with runtime.deferring_scores():
        before = runtime.position
        record(runtime, READER_BACKLOG * 3)  # a chunk recorded, not yet folded

        _, reached = runtime.read(None, timeout=5)

        # Neither this reader nor a thread of its own folds or scores it: the
        # import folds its chunks itself and scores them once, at its end.
        assert reached == before
        time.sleep(0.5)  # time enough for a thread to fold 600 events
        assert runtime.folded_of(runtime.view) == before
        runtime.after_command(settle=False)  # the import folds its chunk
    runtime.after_command()

    assert runtime.position == runtime.head
    assert set(totals(runtime).values()) == {Decimal(50)}
