"""A serving process on PostgreSQL keeps the token, the rules register, the
agents and periods its commands read, and the read models' positions between
requests, and reads them again when a notification says another process
changed them (``projections.notices``): what other processes record still
reaches its readers, within a moment, and its commands never decide on a copy
older than the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import date

import psycopg
import pytest

from domain.access import Principal, Role, TokenRejectedError
from domain.commands import NewAgent, NewDeduction
from domain.errors import AgentNotFoundError, InvalidFactError
from domain.month import Month
from domain.periods import PeriodClosedError
from projections import notices
from projections.config import StoreConfig
from projections.runtime import Runtime

pytestmark = pytest.mark.postgres
ADMIN = "admin"
ADMINISTRATOR = Principal(ADMIN, Role.ADMIN)


@pytest.fixture
def config(postgres_database: str, postgres_schema: str, tmp_path) -> StoreConfig:
    return StoreConfig(
        database_url=postgres_database,
        postgres_schema=postgres_schema,
        data_dir=tmp_path / "data",
        pool_size=2,
    )


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def listening(runtime: Runtime) -> None:
    assert runtime.notices is not None
    runtime.notices.count("")  # starts the thread
    assert eventually(lambda: runtime.notices.listening)


def test_reads_follow_what_another_process_folds(serving, other):
    listening(serving)
    before = serving.reader()[1]
    assert serving.reader()[1] == before  # kept: the same answer

    other.app.issue_token("wang", Role.AGENT, "t1", ADMIN)
    reached = other.catch_up()  # the projector, elsewhere
    assert reached > before

    assert eventually(lambda: serving.reader()[1] == reached)


def test_a_client_waiting_for_its_write_never_reads_kept_positions(serving, other):
    listening(serving)
    serving.reader()  # kept
    other.app.issue_token("li", Role.AGENT, "t1", ADMIN)
    reached = other.catch_up()
    serving.notices.count = lambda channel: (0, 0)  # as if no notice came

    assert serving.read(reached, timeout=2.0)[1] == reached


def test_a_token_revoked_by_another_process_is_refused_within_a_moment(serving, other):
    issued = serving.app.issue_token("zhao", Role.SUPERVISOR, "t1", ADMIN)
    listening(serving)
    assert serving.app.authenticate(issued.token).user == "zhao"
    assert serving.app.authenticate(issued.token).user == "zhao"  # kept

    other.app.revoke_token(issued.token_id, ADMIN, "left the company")

    def refused() -> bool:
        try:
            serving.app.authenticate(issued.token)
        except TokenRejectedError:
            return True
        return False

    assert eventually(refused)


def test_a_token_revoked_by_the_same_process_is_refused_at_once(serving):
    issued = serving.app.issue_token("qian", Role.AGENT, "t1", ADMIN)
    listening(serving)
    assert serving.app.authenticate(issued.token).user == "qian"

    serving.app.revoke_token(issued.token_id, ADMIN, "rotated")

    with pytest.raises(TokenRejectedError):
        serving.app.authenticate(issued.token)


def test_while_not_listening_every_read_asks_the_store(
    serving, other, config, monkeypatch
):
    monkeypatch.setattr(notices, "RETRY_SECONDS", (3.0, 5.0))
    listening(serving)
    serving.reader()  # kept
    with psycopg.connect(config.database_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'appraisal-notices' "
            "AND datname = current_database()"
        )
    assert eventually(lambda: not serving.notices.listening)
    other.app.issue_token("sun", Role.AGENT, "t1", ADMIN)
    reached = other.catch_up()  # its notice is not heard

    assert serving.reader()[1] == reached  # read, not kept
    assert eventually(lambda: serving.notices.listening, seconds=10)


def deafened(runtime: Runtime) -> None:
    """From now on the runtime hears no notification (one on its way)."""
    assert runtime.notices is not None
    heard = runtime.notices.count
    frozen = {channel: heard(channel) for channel in runtime.notices.channels}
    runtime.notices.count = lambda channel: frozen[channel]  # type: ignore[method-assign]


def deduct(runtime: Runtime, on: date) -> None:
    runtime.app.record_deduction(
        ADMINISTRATOR, NewDeduction("a1", "complaint", on, note="late reply")
    )


@pytest.fixture
def registered(other):
    other.app.register_agents(ADMINISTRATOR, [NewAgent("a1", "Ann", "t1", "sup-t1")])


def test_a_command_on_an_agent_another_process_changed_unheard_decides_afresh(
    serving, other, registered
):
    listening(serving)
    deduct(serving, date(2026, 10, 5))  # the agent and the period kept
    deafened(serving)

    other.app.record_leaving(ADMINISTRATOR, "a1", date(2026, 10, 10))

    with pytest.raises(InvalidFactError, match="left on 2026-10-10"):
        deduct(serving, date(2026, 10, 20))


def test_a_command_in_a_month_another_process_closed_unheard_is_refused(
    serving, other, registered
):
    listening(serving)
    deduct(serving, date(2026, 10, 5))  # October's period kept as never touched
    deafened(serving)

    other.app.close_period(ADMINISTRATOR, Month(2026, 10))  # creates the period

    with pytest.raises(PeriodClosedError):
        deduct(serving, date(2026, 10, 6))


def test_an_agent_another_process_registered_unheard_is_found(
    serving, other, registered
):
    listening(serving)
    with pytest.raises(AgentNotFoundError):
        serving.app.record_deduction(
            ADMINISTRATOR, NewDeduction("b2", "complaint", date(2026, 10, 5))
        )  # b2 kept as missing
    deafened(serving)

    other.app.register_agents(ADMINISTRATOR, [NewAgent("b2", "Bo", "t1", "sup-t1")])

    serving.app.record_deduction(
        ADMINISTRATOR, NewDeduction("b2", "complaint", date(2026, 10, 6))
    )
    other.catch_up()
    assert len(other.view.facts("b2", Month(2026, 10))) == 1


def test_an_inline_reader_folds_what_another_process_created_unfolded(
    config, registered
):
    """A creation notifies nothing on PostgreSQL, so a worker that folds
    inline catches up before every read, whatever the counts say."""
    inline = replace(config, inline_projection=True)
    with closing(Runtime(inline)) as serving, closing(Runtime(config)) as writer:
        serving.follow_notices()
        listening(serving)
        serving.reader(catch_up=True)
        before = serving.reader(catch_up=True)[1]

        writer.app.record_deduction(  # recorded, folded by nobody yet
            ADMINISTRATOR, NewDeduction("a1", "complaint", date(2026, 10, 5))
        )

        assert serving.reader(catch_up=True)[1] > before
