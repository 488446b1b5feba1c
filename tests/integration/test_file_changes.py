"""A serving process on the embedded default keeps the token, the rules
register, the agents and periods its commands read, and the read models'
positions between requests, and skips a reader's catch-up, while SQLite's
files say nobody committed to them since (``projections.notices.
FileChanges``): what another process records reaches the next read at once,
and its commands never decide on a copy older than the store."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from typing import Any

import pytest

from domain.access import Principal, Role, TokenRejectedError
from domain.commands import NewAgent, NewDeduction
from domain.errors import InvalidFactError
from projections.config import StoreConfig
from projections.notices import FileChanges
from projections.runtime import Runtime

ADMIN = "admin"
ADMINISTRATOR = Principal(ADMIN, Role.ADMIN)


@pytest.fixture
def config(tmp_path, fresh_edition) -> StoreConfig:
    """A store opened with its rules register, which every command reads."""
    return StoreConfig(data_dir=tmp_path / "data")


@pytest.fixture
def registered(other):
    other.app.register_agents(ADMINISTRATOR, [NewAgent("a1", "Ann", "t1", "sup-t1")])


def counting_catch_ups(runtime: Runtime, monkeypatch) -> list[Any]:
    reads: list[Any] = []
    select = runtime.app.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return select(*args, **kwargs)

    monkeypatch.setattr(runtime.app.recorder, "select_notifications", counted)
    return reads


def test_a_reader_catches_up_only_when_something_was_committed(
    serving, other, registered, monkeypatch
):
    assert isinstance(serving.notices, FileChanges)
    serving.reader(catch_up=True)  # folds what was registered: the files move
    before = serving.reader(catch_up=True)[1]  # finds nothing more: kept
    reads = counting_catch_ups(serving, monkeypatch)
    assert serving.reader(catch_up=True)[1] == before
    assert reads == []  # nothing committed since: nothing read

    other.app.record_deduction(
        ADMINISTRATOR, NewDeduction("a1", "complaint", date(2026, 10, 5))
    )

    reached = serving.reader(catch_up=True)[1]
    assert reached > before  # the next read, at once
    assert len(reads) >= 1
    assert serving.reader(catch_up=True, fresh=True)[1] == reached


def test_a_token_revoked_by_another_process_is_refused_at_once(
    serving, other, monkeypatch
):
    issued = serving.app.issue_token("zhao", Role.SUPERVISOR, "t1", ADMIN)
    assert serving.app.authenticate(issued.token).user == "zhao"
    reads: list[Any] = []
    select = serving.app.recorder.select_events_after
    monkeypatch.setattr(
        serving.app.recorder,
        "select_events_after",
        lambda *a, **k: reads.append(a) or select(*a, **k),
    )
    assert serving.app.authenticate(issued.token).user == "zhao"
    assert reads == []  # kept

    other.app.revoke_token(issued.token_id, ADMIN, "left the company")

    with pytest.raises(TokenRejectedError):
        serving.app.authenticate(issued.token)


def test_a_command_on_a_copy_another_process_changed_decides_afresh(
    serving, other, registered
):
    def deduct(on: date) -> None:
        serving.app.record_deduction(
            ADMINISTRATOR, NewDeduction("a1", "complaint", on, note="late reply")
        )

    deduct(date(2026, 10, 5))  # the agent kept
    notices = serving.notices
    frozen = {channel: notices.count(channel) for channel in notices.channels}
    notices.count = lambda channel: frozen[channel]  # as if told nothing

    other.app.record_leaving(ADMINISTRATOR, "a1", date(2026, 10, 10))

    with pytest.raises(InvalidFactError, match="left on 2026-10-10"):
        deduct(date(2026, 10, 20))  # the insert's guard, then the store


def test_a_view_opened_later_is_watched_too(serving, config):
    read_models = "appraisal_read_models"
    serving.open_view("scoreboard_g9", (1,))  # as a rebuild opens its own
    before = serving.notices.count(read_models)

    path = config.data_dir / "scoreboard_g9.sqlite"
    with closing(sqlite3.connect(path)) as elsewhere, elsewhere:
        elsewhere.execute("INSERT INTO dirty VALUES ('a1', '2026-10', 1)")

    assert serving.notices.count(read_models) != before


def test_a_file_that_is_gone_is_read_afresh_not_created(tmp_path):
    watched = FileChanges(timeout=1.0)
    gone = tmp_path / "moved-away.sqlite"
    watched.watch("appraisal_changed", str(gone))

    assert watched.count("appraisal_changed") is None  # nothing kept: read
    assert not gone.exists()
