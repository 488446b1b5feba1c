"""Properties of the read models over random histories, on SQLite and PostgreSQL:
incremental folding equals a full replay, a rebuild equals a replay under its
lineage, SQL ranks agree with the domain's ranking, and previewing the rules in
force finds nothing to change."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.month import Month
from domain.ranking import rank
from domain.rulebook import Occurrence, Rulebook, shipped_document
from projections import rebuild
from projections.fold import Changes, fold_event
from projections.preview import preview
from projections.runtime import Runtime, StoreConfig
from projections.scoreboard import ScoreboardView

ADMIN = Principal("admin", Role.ADMIN)
TODAY = date(2026, 12, 31)
MONTHS = [Month(2026, m) for m in (10, 11, 12)]
AGENTS = ["a1", "a2", "a3", "a4", "a5"]
ITEMS = [
    item.code
    for category in Rulebook.from_dict(shipped_document("songsong-2019")).categories
    for item in category.items
    if isinstance(item, Occurrence)
]
PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_store(request, tmp_path_factory):
    """A factory of empty stores: one per Hypothesis example."""

    @contextmanager
    def make() -> Iterator[Runtime]:
        data_dir = tmp_path_factory.mktemp("store")
        if request.param == "sqlite":
            config = StoreConfig(data_dir=data_dir)
        else:
            url = request.getfixturevalue("postgres_database")
            schema = f"p_{uuid4().hex[:16]}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            config = StoreConfig(
                database_url=url, postgres_schema=schema, data_dir=data_dir
            )
        runtime = Runtime(config, today=lambda: TODAY)
        try:
            yield runtime
        finally:
            runtime.close()

    return make


@st.composite
def variants(draw) -> Rulebook:
    """songsong-2019 with random points, caps and once-a-month flags."""
    document = copy.deepcopy(shipped_document("songsong-2019"))
    for category in document["categories"]:
        for item in category["items"]:
            item["points"] = str(-draw(st.integers(0, 12)))
            item["once_per_month"] = draw(st.booleans())
            if draw(st.booleans()):
                item["monthly_cap"] = str(draw(st.integers(1, 15)))
            else:
                item.pop("monthly_cap", None)
    return Rulebook.from_dict(document)


facts = st.lists(
    st.tuples(
        st.sampled_from(AGENTS),
        st.sampled_from(ITEMS),
        st.sampled_from(MONTHS),
        st.integers(1, 28),
        st.integers(1, 3),
    ),
    max_size=40,
)


def record(runtime: Runtime, batch) -> None:
    rulebook = runtime.app.rulebook_for
    news = [
        NewDeduction(
            agent,
            item,
            date(month.year, month.month, day),
            quantity=1 if rulebook(month).item(item).once_per_month else quantity,
        )
        for agent, item, month, day, quantity in batch
    ]
    if news:
        runtime.app.record_deductions(ADMIN, news)


def snapshot(view: ScoreboardView) -> dict:
    return {
        "rows": view.scorecard_rows(),
        "cards": {(a, str(m)): view.scorecard(a, m) for a in AGENTS for m in MONTHS},
        "rankings": {str(m): view.ranking(m) for m in MONTHS},
    }


def assert_totals_are_the_scorecards(view: ScoreboardView) -> None:
    """The stored totals rankings read (running totals: ``domain.tally``) are
    the totals of the scorecards ``score`` works out from the ledger."""
    for agent, month, centi, _, _ in view.scorecard_rows():
        assert centi == int(view.scorecard(agent, Month.parse(month)).total * 100)


def replay(runtime: Runtime, lineage: tuple[int, ...]) -> ScoreboardView:
    """A brand-new view of the whole log, folded in one batch."""
    view = runtime.view_for(9999)  # a scratch generation no one else uses
    view.lineage = lineage
    changes = Changes()
    notifications = runtime.app.recorder.select_notifications(None, limit=1_000_000)
    for notification in notifications:
        fold_event(
            runtime.app.mapper.to_domain_event(notification), notification.id, changes
        )
    view.apply(changes, Tracking(runtime.app.name, notifications[-1].id))
    return view


@PROPERTY
@given(
    first=facts,
    second=facts,
    new_rules=variants(),
    splits=st.lists(st.integers(1, 6), max_size=4),
)
def test_folding_incrementally_equals_a_full_replay(
    fresh_store, first, second, new_rules, splits
):
    with fresh_store() as runtime:
        runtime.app.register_agents(ADMIN, [NewAgent(a, a, "t1", "s") for a in AGENTS])
        for size in splits:  # catch up at random points
            record(runtime, first[:size])
            first = first[size:]
            runtime.catch_up(batch_size=size)
        record(runtime, first)
        runtime.app.publish_rulebook(ADMIN, new_rules, Month(2026, 12))
        record(runtime, second)
        runtime.catch_up(batch_size=7)

        assert snapshot(replay(runtime, (1,))) == snapshot(runtime.view)
        assert_totals_are_the_scorecards(runtime.view)


busy = st.lists(  # few agents and items in the month the new rules govern
    st.tuples(
        st.sampled_from(AGENTS[:2]),
        st.sampled_from(ITEMS[5:9]),  # business: 50 points, a floor far off
        st.just(MONTHS[-1]),
        st.integers(1, 28),
        st.integers(1, 3),
    ),
    min_size=4,
    max_size=25,
)


@PROPERTY
@given(history=busy, new_rules=variants())
def test_folding_one_fact_at_a_time_equals_a_full_replay(
    fresh_store, history, new_rules
):
    """Each fact folded on its own adds to its month's running total
    (``domain.tally``), with caps and once-a-month items in force."""
    with fresh_store() as runtime:
        runtime.app.register_agents(ADMIN, [NewAgent(a, a, "t1", "s") for a in AGENTS])
        runtime.app.publish_rulebook(ADMIN, new_rules, MONTHS[-1])
        runtime.catch_up()
        for fact in history:
            record(runtime, [fact])
            runtime.catch_up()

        assert snapshot(replay(runtime, (1,))) == snapshot(runtime.view)
        assert_totals_are_the_scorecards(runtime.view)


@PROPERTY
@given(history=facts, new_rules=variants(), since=st.sampled_from(MONTHS))
def test_a_rebuild_equals_a_full_replay_under_its_lineage(
    fresh_store, history, new_rules, since
):
    with fresh_store() as runtime:
        runtime.app.register_agents(ADMIN, [NewAgent(a, a, "t1", "s") for a in AGENTS])
        record(runtime, history)
        runtime.catch_up()
        requested = runtime.app.request_rebuild(ADMIN, new_rules, since)
        rebuild.run(runtime, requested.rebuild_id)

        assert runtime.live_generation == requested.generation
        replayed = replay(runtime, (requested.generation, 1))
        assert snapshot(replayed) == snapshot(runtime.view)
        for month in MONTHS:
            expected = (
                new_rules if month >= since else runtime.view.catalog().for_month(month)
            )
            assert runtime.view.catalog().for_month(month).digest == expected.digest


@PROPERTY
@given(history=facts)
def test_sql_ranks_agree_with_the_domain_and_previews_of_rules_in_force_are_empty(
    fresh_store, history
):
    with fresh_store() as runtime:
        runtime.app.register_agents(ADMIN, [NewAgent(a, a, "t1", "s") for a in AGENTS])
        record(runtime, history)
        runtime.catch_up()
        head = runtime.position
        for month in MONTHS:
            # the stored totals and the ledger read as of the head agree
            entries = runtime.view.ranking(month)
            assert entries == runtime.view.ranking(month, as_of=head)
            expected = rank({e.agent_id: e.total for e in entries})
            assert [(e.agent_id, e.rank) for e in entries] == [
                (r.agent_id, r.rank) for r in expected
            ]
            in_force = runtime.view.catalog().for_month(month)
            assert preview(runtime.view, in_force, [month]).changes == ()
