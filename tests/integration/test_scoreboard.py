"""The scoreboard view on real SQLite and real PostgreSQL: the same contract on both."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from domain.register import ROOT_GENERATION
from projections.fold import Changes
from projections.runtime import Runtime
from projections.scoreboard import ScoreboardView

ADMIN = Principal("admin", Role.ADMIN)
OCTOBER = Month(2026, 10)


def register(runtime: Runtime, *agents: tuple[str, str], joined_on: date | None = None):
    runtime.app.register_agents(
        ADMIN,
        [
            NewAgent(a, f"Agent {a}", team, f"sup-{team}", joined_on)
            for a, team in agents
        ],
    )


def deduct(runtime: Runtime, agent_id: str, item: str, day: date = date(2026, 10, 5)):
    return runtime.app.record_deduction(ADMIN, NewDeduction(agent_id, item, day))


def ranking(runtime: Runtime, team: str | None = None):
    return [(e.agent_id, e.rank, e.total) for e in runtime.view.ranking(OCTOBER, team)]


def test_two_complaints_and_a_missed_target_give_business_39_and_total_89(runtime):
    register(runtime, ("a1", "t1"), ("a2", "t1"))
    for item in ("complaint", "complaint", "target_missed"):
        deduct(runtime, "a1", item)
    runtime.catch_up()

    card = runtime.view.scorecard("a1", OCTOBER)
    business = next(c for c in card.categories if c.code == "business")
    assert (business.score, card.total) == (Decimal(39), Decimal(89))
    assert ranking(runtime) == [("a2", 1, Decimal(100)), ("a1", 2, Decimal(89))]


def test_scorecard_lines_name_the_event_and_its_log_position(runtime):
    register(runtime, ("a1", "t1"))
    recorded = deduct(runtime, "a1", "complaint")
    runtime.catch_up()

    (line,) = next(
        c
        for c in runtime.view.scorecard("a1", OCTOBER).categories
        if c.code == "business"
    ).lines
    assert line.fact.fact_id == recorded.id
    assert line.fact.event_id == recorded.event_id
    assert line.fact.position == recorded.position


def test_ties_share_a_rank_and_the_next_rank_skips_and_ties_list_by_agent_id(runtime):
    register(runtime, ("d", "t1"), ("c", "t1"), ("b", "t2"), ("a", "t2"))
    deduct(runtime, "c", "complaint")
    deduct(runtime, "b", "complaint")
    deduct(runtime, "a", "target_missed")
    runtime.catch_up()

    assert ranking(runtime) == [
        ("d", 1, Decimal(100)),
        ("b", 2, Decimal(97)),
        ("c", 2, Decimal(97)),
        ("a", 4, Decimal(95)),
    ]


def test_a_team_ranking_ranks_only_that_team(runtime):
    register(runtime, ("a1", "t1"), ("a2", "t1"), ("b1", "t2"))
    deduct(runtime, "a1", "complaint")
    runtime.catch_up()

    assert ranking(runtime, "t1") == [("a2", 1, Decimal(100)), ("a1", 2, Decimal(97))]
    assert ranking(runtime, "t2") == [("b1", 1, Decimal(100))]


def test_an_agent_who_joined_after_the_month_is_not_in_its_ranking(runtime):
    register(runtime, ("old", "t1"))
    register(runtime, ("new", "t1"), joined_on=date(2026, 11, 2))
    runtime.catch_up()

    assert [e.agent_id for e in runtime.view.ranking(OCTOBER)] == ["old"]
    assert [e.agent_id for e in runtime.view.ranking(Month(2026, 11))] == ["new", "old"]


def test_a_ranking_read_again_after_new_facts_shows_them(runtime):
    # Rankings are remembered per position the view has reached: a read at the
    # same position may reuse one, a read after a new event must not.
    register(runtime, ("a1", "t1"), ("a2", "t1"))
    runtime.catch_up()
    first = runtime.position
    assert ranking(runtime) == [("a1", 1, Decimal(100)), ("a2", 1, Decimal(100))]
    deduct(runtime, "a2", "complaint")
    runtime.catch_up()

    assert ranking(runtime) == [("a1", 1, Decimal(100)), ("a2", 2, Decimal(97))]
    assert ranking(runtime, "t1") == ranking(runtime)
    as_it_was = runtime.view.ranking(OCTOBER, as_of=first)
    assert [(e.agent_id, e.rank) for e in as_it_was] == [("a1", 1), ("a2", 1)]


def test_deductions_of_another_month_do_not_touch_this_one(runtime):
    register(runtime, ("a1", "t1"))
    deduct(runtime, "a1", "complaint", date(2026, 9, 30))
    runtime.catch_up()

    assert runtime.view.scorecard("a1", OCTOBER).total == Decimal(100)
    assert runtime.view.scorecard("a1", Month(2026, 9)).total == Decimal(97)


def _snapshot(view: ScoreboardView) -> dict:
    agents = view.agents()
    months = [Month(2026, 9), OCTOBER]
    return {
        "agents": agents,
        "facts": {
            (a.agent_id, str(m)): view.facts(a.agent_id, m)
            for a in agents
            for m in months
        },
        "rankings": {str(m): view.ranking(m) for m in months},
        "team_rankings": {t: view.ranking(OCTOBER, t) for t in ("t1", "t2")},
    }


def _fresh_view(runtime: Runtime, name: str) -> ScoreboardView:
    return runtime.open_view(name, [ROOT_GENERATION])


def test_replaying_the_whole_log_into_empty_tables_gives_the_same_read_models(runtime):
    register(runtime, ("a1", "t1"), ("a2", "t1"), ("b1", "t2"))
    deduct(runtime, "a1", "complaint")
    runtime.catch_up()  # incremental: one small batch ...
    for item, who, day in [
        ("target_missed", "a1", date(2026, 10, 9)),
        ("target_missed", "a1", date(2026, 10, 19)),
        ("late_early", "b1", date(2026, 9, 3)),
        ("complaint", "a2", date(2026, 10, 21)),
    ]:
        deduct(runtime, who, item, day)
        runtime.catch_up()  # ... then one event at a time

    replayed = _fresh_view(runtime, "replay")
    changes = Changes()
    from projections.fold import fold_event

    notifications = runtime.app.recorder.select_notifications(None, limit=10_000)
    for n in notifications:
        fold_event(runtime.app.mapper.to_domain_event(n), n.id, changes)
    replayed.apply(changes, Tracking(runtime.app.name, notifications[-1].id))

    assert _snapshot(replayed) == _snapshot(runtime.view)
    assert replayed.max_tracking_id(runtime.app.name) == runtime.position


def _a_month_of_facts(runtime: Runtime) -> None:
    register(runtime, ("a1", "t1"), ("a2", "t1"), ("b1", "t2"))
    for who, item, day in [
        ("a1", "complaint", 5), ("a2", "slow_reply", 6), ("b1", "complaint", 7),
        ("a1", "target_missed", 8), ("a2", "complaint", 9), ("b1", "late_early", 12),
        ("a1", "slow_reply", 13), ("b1", "complaint", 14),
    ]:  # fmt: skip
        deduct(runtime, who, item, date(2026, 10, day))


def test_a_catch_up_in_many_batches_scores_each_agent_month_as_one_batch_does(
    runtime,
):
    # Batches that have more behind them leave their agent-months marked and
    # the last one scores them: the totals are those of a one-batch replay.
    _a_month_of_facts(runtime)
    batched = _fresh_view(runtime, "batched")
    reached = runtime.catch_up(batched, batch_size=2)
    whole = _fresh_view(runtime, "whole")
    runtime.catch_up(whole, batch_size=10_000)

    assert reached == runtime.head
    assert batched.positions(runtime.app.name) == (reached, reached)
    assert batched.scorecard_rows() == whole.scorecard_rows()
    assert _snapshot(batched) == _snapshot(whole)
    assert len(batched.scorecard_rows()) == 3


def test_scores_a_crashed_catch_up_left_marked_are_settled_by_the_next_one(runtime):
    # A deferred batch committed, then its process died before scoring: readers
    # are told the last position whose scores are complete, and the next
    # catch-up scores the marked agent-months though no new event came.
    _a_month_of_facts(runtime)
    view = _fresh_view(runtime, "crashed")
    from projections.fold import fold_event

    notifications = runtime.app.recorder.select_notifications(None, limit=10_000)
    changes = Changes()
    for n in notifications:
        fold_event(runtime.app.mapper.to_domain_event(n), n.id, changes)
    last = notifications[-1].id
    view.apply(changes, Tracking(runtime.app.name, last), notifications[0].id)

    assert view.positions(runtime.app.name) == (last, notifications[0].id - 1)
    assert runtime.position_of(view) < last
    assert view.scorecard_rows() == []  # nothing scored yet

    assert runtime.catch_up(view) == last
    assert view.positions(runtime.app.name) == (last, last)
    runtime.catch_up()  # the live view, in one batch, for reference
    assert len(view.scorecard_rows()) == 3
    assert view.scorecard_rows() == runtime.view.scorecard_rows()


INTEGRITY_ERRORS = (
    IntegrityError,
    psycopg.errors.IntegrityError,
    sqlite3.IntegrityError,
)


def test_a_failed_batch_leaves_neither_rows_nor_tracking(runtime):
    register(runtime, ("a1", "t1"))
    runtime.catch_up()
    before = runtime.position
    # A fact row without an agent violates NOT NULL after the tracking row was written.
    bad_fact = {
        "position": before + 1,
        "ordinal": 0,
        "event_id": "e:1",
        "fact_id": "f",
        "source": "deduction",
        "kind": "occurred",
        "agent_id": None,
        "month": "2026-10",
        "occurred_on": "2026-10-05",
        "item": "complaint",
        "detail": {"quantity": "1"},
        "recorded_by": "admin",
        "recorded_at": "2026-10-05T09:00:00+00:00",
        "excluded": None,
    }

    with pytest.raises(INTEGRITY_ERRORS):  # the database refuses the row
        runtime.view.apply(
            Changes(facts=[bad_fact]), Tracking(runtime.app.name, before + 1)
        )

    assert runtime.position == before
    assert runtime.view.facts("a1", OCTOBER) == []


def test_an_event_already_applied_is_never_counted_twice(runtime):
    register(runtime, ("a1", "t1"))
    deduct(runtime, "a1", "complaint")
    runtime.catch_up()
    second = Runtime(runtime.config)  # another process over the same store
    try:
        assert second.catch_up() == runtime.position
        with pytest.raises(IntegrityError):  # the tracking row refuses it
            second.view.apply(Changes(), Tracking(second.app.name, runtime.position))
    finally:
        second.close()
    assert runtime.view.scorecard("a1", OCTOBER).total == Decimal(97)
