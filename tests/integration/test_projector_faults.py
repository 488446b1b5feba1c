"""The read side under faults: a stored event PostgreSQL cannot hold stalls
the projector without stopping it; processes starting beside a busy projector
create nothing and so take no schema locks."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from domain.access import Principal, Role
from domain.agent import Agent
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from projections.runtime import Runtime
from tests.clock import service_today
from tests.e2e.commands import wait_until

ADMIN = Principal("admin", Role.ADMIN)


@pytest.mark.postgres
@pytest.mark.parametrize("store_config", ["postgres"], indirect=True)
def test_a_stored_nul_stalls_postgres_read_models_without_stopping_the_projector(
    store_config, projector
):
    """Text the edge refuses can still arrive from an older release's log: the
    projector stops at it and says so instead of exiting."""
    runtime = Runtime(store_config)
    try:
        runtime.app.register_agent(ADMIN, NewAgent("ok", "Fine", "t1", "s"))
        old = Agent(agent_id="bad", name="nul\u0000", team="t1", supervisor="s",
                    joined_on=None, registered_by="old")  # fmt: skip
        runtime.app.save(old)
        position = runtime.head

        def status():
            return runtime.status.read().get("scoreboard")

        wait_until(lambda: status() is not None and status().stalled_at == position,
                   timeout=15, what="the stall recorded")  # fmt: skip
        assert "Registered" in status().stalled_topic
        assert "NUL" in status().error or "0x00" in status().error
        assert projector.thread.is_alive()
        assert runtime.position == position - 1
        assert runtime.health().problems()[0][0] == "read_side_stalled"
    finally:
        runtime.close()


@pytest.mark.postgres
@pytest.mark.parametrize("store_config", ["postgres"], indirect=True)
def test_processes_starting_beside_a_busy_projector_change_no_schema(
    store_config, projector, caplog
):
    """A web worker or CLI command starting while the projector writes reads
    the catalogue and creates nothing, so it cannot deadlock the projector."""
    api = Runtime(store_config)
    stop = threading.Event()
    try:
        api.app.register_agents(
            ADMIN, [NewAgent(f"a{i}", "A", "t1", "s") for i in range(20)]
        )
        day = service_today()

        def load() -> None:
            while not stop.is_set():
                batch = [NewDeduction(f"a{i}", "slow_reply", day) for i in range(20)]
                api.app.record_deductions(ADMIN, batch)

        writer = threading.Thread(target=load)
        writer.start()
        starts = []
        for _ in range(15):
            started = Runtime(store_config)
            starts.append(started.created)
            started.view  # noqa: B018 - as a reader would
            started.close()
        stop.set()
        writer.join()

        assert starts == [[]] * 15
        wait_until(
            lambda: api.position == api.head,
            timeout=15,
            what="the projector catching up",
        )
        assert projector.thread.is_alive()
        problems = [r.getMessage() for r in caplog.records if r.levelname != "INFO"]
        assert not [p for p in problems if "deadlock" in p.lower()], problems
    finally:
        stop.set()
        api.close()


def test_a_fresh_store_is_created_by_the_first_process_and_by_no_other(
    store_config,
):
    first = Runtime(store_config)
    second = Runtime(store_config)
    try:
        assert "facts" in " ".join(first.created)  # tables, indexes, triggers
        assert second.created == []
        assert second.migrations().missing() == []
    finally:
        first.close()
        second.close()


def test_a_period_is_refused_outside_the_accepted_months(runtime):
    from domain.errors import InvalidFactError

    with pytest.raises(InvalidFactError, match="outside the accepted range"):
        runtime.app.close_period(ADMIN, Month(1999, 12))
    with pytest.raises(InvalidFactError, match="outside the accepted range"):
        runtime.app.register_agent(
            ADMIN, NewAgent("x", "X", "t1", "s", joined_on=date(1999, 1, 1))
        )
