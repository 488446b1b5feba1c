"""Disputes, explanations, time travel and tamper evidence on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import sqlite3
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import psycopg
import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction, NewDispute, Resolution
from domain.errors import ConflictError, InvalidFactError, NotPermittedError
from domain.month import Month
from domain.rulebook import Rulebook, shipped_document
from projections import audit, cycle, rebuild
from projections.explain import cascade, explain
from projections.runtime import Runtime
from tests.clock import Clock

ADMIN = Principal("admin", Role.ADMIN)
SUPERVISOR = Principal("sup-t1", Role.SUPERVISOR, "t1")
REVIEWER = Principal("rev", Role.REVIEWER)
JUL, AUG, SEP = Month(2026, 7), Month(2026, 8), Month(2026, 9)


@pytest.fixture
def clock():
    return Clock(date(2026, 10, 5))  # September's review window ends 13 October


@pytest.fixture
def runtime(store_config, clock):
    opened = Runtime(store_config, today=clock)
    opened.app.register_agents(
        ADMIN,
        [NewAgent(a, a.upper(), "t1", "sup-t1") for a in ("a1", "a2", "a3", "a4")],
    )
    yield opened
    opened.close()


def deduct(runtime, month: Month, agent: str, item: str) -> str:
    day = date(month.year, month.month, 15)
    return runtime.app.record_deduction(SUPERVISOR, NewDeduction(agent, item, day)).id


@pytest.fixture
def quarter(runtime):
    """Totals: Jul a4 97; Aug a2 97; Sep a1 97 (a complaint, to be disputed), a3 99.
    Quarter averages: a3 99.67; a1, a2, a4 99.00 (ties go by September, then
    August): a3, a4, a2 are the top three, a1 fourth."""
    deduct(runtime, JUL, "a4", "complaint")
    deduct(runtime, AUG, "a2", "complaint")
    complaint = deduct(runtime, SEP, "a1", "complaint")
    deduct(runtime, SEP, "a3", "late_early")
    runtime.catch_up()
    return UUID(complaint)


def places(runtime) -> dict[str, tuple[int, Decimal]]:
    standings = cycle.quarter_view(runtime.view, 2026, 3).standings
    return {s.agent_id: (s.place, s.reward) for s in standings}


def test_an_overturned_complaint_cascades_to_total_rank_and_reward(runtime, quarter):
    assert places(runtime)["a2"] == (3, Decimal(100))
    assert places(runtime)["a1"][0] == 4

    disputed = runtime.app.dispute_deduction(
        SUPERVISOR, NewDispute(quarter, "the customer complained about a1's colleague")
    )
    runtime.catch_up()
    card = runtime.view.scorecard("a1", SEP)
    assert card.total == Decimal(97)  # still counted while disputed...
    assert explain(runtime.view, "a1", SEP).provisional  # ...but provisional

    resolved = runtime.app.resolve_dispute(
        ADMIN, Resolution(quarter, "overturned", "wrong agent")
    )
    runtime.catch_up()
    assert runtime.view.scorecard("a1", SEP).total == Decimal(100)  # up by 3
    ranks = {e.agent_id: e.rank for e in runtime.view.ranking(SEP)}
    assert (ranks["a1"], ranks["a3"]) == (1, 4)
    assert places(runtime)["a1"] == (1, Decimal(300))
    assert places(runtime)["a2"] == (4, Decimal(0))  # out of the top three

    changes = {c.agent_id: c for c in cascade(runtime.view, SEP, resolved.position - 1,
                                              resolved.position)}  # fmt: skip
    assert changes["a1"].delta == 3 and changes["a1"].before.rank == 4
    assert changes["a2"].rewarded == "leaves" and changes["a1"].rewarded == "enters"
    assert changes["a1"].after.in_top_of_month and changes["a1"].after.rewarded
    assert "a3" in changes  # a changed rank moves others too

    story = explain(runtime.view, "a1", SEP)
    assert story.total == Decimal(100) and not story.provisional
    assert story.entries[-1].running_total == Decimal(100)
    kinds = [(e.event_type, e.status) for e in story.entries]
    assert kinds == [
        ("deduction", f"superseded at position {resolved.position}"),
        ("Deduction.Disputed", "resolved"),
        ("Deduction.DisputeResolved", "overturned"),
    ]
    assert [e.position for e in story.entries] == sorted(
        [e.position for e in story.entries]
    )
    assert story.entries[1].position == disputed.position
    then = explain(runtime.view, "a1", SEP, as_of=disputed.position)
    assert then.total == Decimal(97) and then.provisional
    assert then.entries[0].points == Decimal(-3)
    august = explain(runtime.view, "a2", AUG)
    assert [e.points for e in august.entries] == [Decimal(-3)]
    assert august.entries[-1].running_total == august.total == Decimal(97)


def test_who_may_dispute_and_resolve(runtime, quarter):
    with pytest.raises(NotPermittedError):
        runtime.app.dispute_deduction(
            Principal("a1", Role.AGENT), NewDispute(quarter, "no")
        )
    with pytest.raises(NotPermittedError):
        runtime.app.dispute_deduction(Principal("s2", Role.SUPERVISOR, "t2"),
                                      NewDispute(quarter, "not mine"))  # fmt: skip
    runtime.app.dispute_deduction(
        SUPERVISOR, NewDispute(quarter, "wrong", reviewer="rev")
    )
    with pytest.raises(ConflictError):  # one open dispute per deduction
        runtime.app.dispute_deduction(SUPERVISOR, NewDispute(quarter, "again"))
    with pytest.raises(NotPermittedError):  # the disputer cannot resolve it
        runtime.app.resolve_dispute(SUPERVISOR, Resolution(quarter, "overturned"))
    with pytest.raises(NotPermittedError):  # only the named reviewer (or an admin)
        runtime.app.resolve_dispute(Principal("rev2", Role.REVIEWER),
                                    Resolution(quarter, "upheld"))  # fmt: skip
    with pytest.raises(NotPermittedError):
        runtime.app.resolve_dispute(
            Principal("aud", Role.AUDITOR), Resolution(quarter, "upheld")
        )
    runtime.app.resolve_dispute(REVIEWER, Resolution(quarter, "upheld", "it was a1"))
    with pytest.raises(InvalidFactError, match="new evidence"):
        runtime.app.dispute_deduction(SUPERVISOR, NewDispute(quarter, "still wrong"))
    runtime.app.dispute_deduction(
        SUPERVISOR, NewDispute(quarter, "chat log shows a2", evidence="chat-881")
    )
    runtime.app.resolve_dispute(
        ADMIN, Resolution(quarter, "adjusted", "half the blame", points=Decimal("-1.5"))
    )
    runtime.catch_up()
    assert runtime.view.scorecard("a1", SEP).total == Decimal("98.50")


def test_a_dispute_after_the_review_window_is_refused(runtime, quarter, clock):
    clock.today = date(2026, 10, 14)
    with pytest.raises(InvalidFactError, match="2026-10-13"):
        runtime.app.dispute_deduction(SUPERVISOR, NewDispute(quarter, "too late"))


def test_as_of_answers_what_readers_saw_then(runtime, quarter, clock):
    seen: list[tuple[int, datetime, Decimal, list]] = []

    def capture() -> None:
        runtime.catch_up()
        time.sleep(0.002)
        total = runtime.view.scorecard("a1", SEP).total
        seen.append(
            (runtime.position, datetime.now(UTC), total, runtime.view.ranking(SEP))
        )
        time.sleep(0.002)

    capture()
    runtime.app.dispute_deduction(SUPERVISOR, NewDispute(quarter, "wrong agent"))
    capture()
    runtime.app.resolve_dispute(ADMIN, Resolution(quarter, "overturned"))
    capture()
    document = copy.deepcopy(shipped_document("songsong-2019"))
    document["categories"][0]["items"][0]["points"] = "-4"  # late_early -1 -> -4
    requested = runtime.app.request_rebuild(ADMIN, Rulebook.from_dict(document), SEP)
    rebuild.run(runtime, requested.rebuild_id)
    capture()
    clock.today = date(2026, 10, 20)
    runtime.app.close_period(ADMIN, SEP)
    runtime.app.publish_period(ADMIN, SEP)
    runtime.app.reopen_period(ADMIN, SEP, "late facts")
    deduct(runtime, SEP, "a1", "slow_reply")
    capture()

    assert [total for _, _, total, _ in seen] == [97, 97, 100, 100, 99]
    assert seen[3][3] != seen[2][3]  # the rebuild moved a3 (late_early now -4)
    for position, moment, total, ranking in seen:
        view = runtime.view_as_of(position)
        assert view.scorecard("a1", SEP, position).total == total
        assert view.ranking(SEP, as_of=position) == ranking
        assert runtime.view.position_at(moment) == position


def test_stored_events_cannot_be_changed_and_tampering_is_found(runtime, quarter):
    assert audit.verify(runtime).ok
    target = 5
    if runtime.config.is_postgres:
        url, schema = runtime.config.database_url, runtime.config.postgres_schema
        table = f'"{schema}".appraisal_events'
        with psycopg.connect(url, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
                conn.execute(
                    f"UPDATE {table} SET topic = topic WHERE notification_id = 1"
                )
            with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
                conn.execute(f"DELETE FROM {table} WHERE notification_id = 1")
            conn.execute(
                f"ALTER TABLE {table} DISABLE TRIGGER appraisal_events_immutable"
            )
            text = "convert_from(state, 'UTF8')"
            conn.execute(
                f"UPDATE {table} SET state = convert_to(replace({text}, 'complaint', "
                f"'late_early'), 'UTF8') WHERE notification_id = {target}"
            )
    else:
        path = runtime.config.data_dir / "events.sqlite"
        with (
            sqlite3.connect(path) as conn,
            pytest.raises(sqlite3.DatabaseError, match="immutable"),
        ):
            conn.execute("DELETE FROM stored_events WHERE rowid = 1")
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TRIGGER stored_events_refuse_update")
            conn.execute(
                "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), "
                f"'complaint', 'late_early') AS BLOB) WHERE rowid = {target}"
            )
    result = audit.verify(runtime)
    assert not result.ok
    assert result.first_bad["position"] == target
    assert f"position {target}" in result.first_bad["reason"]


def test_an_export_carries_every_event_behind_the_month_and_its_digest(
    runtime, quarter
):
    import hashlib
    import json

    runtime.app.dispute_deduction(SUPERVISOR, NewDispute(quarter, "wrong agent"))
    runtime.app.resolve_dispute(ADMIN, Resolution(quarter, "overturned"))
    runtime.catch_up()
    lines = list(audit.export(runtime, SEP, "a1"))
    *events, summary = [json.loads(line) for line in lines]
    assert [e["topic"].rsplit(":", 1)[1] for e in events] == [
        "Deduction.Recorded", "Deduction.Disputed", "Deduction.DisputeResolved",
    ]  # fmt: skip
    assert all(e["chain_hash"] for e in events)
    expected = hashlib.sha256("".join(lines[:-1]).encode()).hexdigest()
    assert summary["export"] == {"month": "2026-09", "agent_id": "a1", "events": 3,
                                 "sha256": expected}  # fmt: skip
