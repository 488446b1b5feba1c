"""Rule changes on real SQLite and PostgreSQL: versions, preview, rebuild, switch."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from domain.access import Principal, Role
from domain.commands import NewAgent, NewDeduction
from domain.errors import ConflictError, InvalidFactError
from domain.month import Month
from domain.rulebook import Rulebook, shipped_document
from projections import rebuild
from projections.preview import preview
from projections.runtime import Runtime

ADMIN = Principal("admin", Role.ADMIN)
TODAY = date(2026, 11, 23)
AUG, SEP, OCT, NOV = (Month(2026, m) for m in (8, 9, 10, 11))


@pytest.fixture
def runtime(store_config):
    opened = Runtime(store_config, today=lambda: TODAY)
    yield opened
    opened.close()


def complaint_costs(points: str) -> Rulebook:
    document = copy.deepcopy(shipped_document("songsong-2019"))
    for item in document["categories"][1]["items"]:
        if item["code"] == "complaint":
            item["points"] = points
    return Rulebook.from_dict(document)


def record(runtime, *facts):
    runtime.app.record_deductions(
        ADMIN, [NewDeduction(agent, item, day) for agent, item, day in facts]
    )
    runtime.catch_up()


@pytest.fixture
def department(runtime):
    runtime.app.register_agents(
        ADMIN, [NewAgent(a, a.upper(), "t1", "sup") for a in ("a1", "a2", "a3", "a4")]
    )
    record(
        runtime,
        ("a1", "complaint", date(2026, 8, 12)),  # before the change: stays -3
        ("a1", "target_missed", date(2026, 9, 3)),
        ("a2", "complaint", date(2026, 9, 8)),
        ("a2", "complaint", date(2026, 9, 20)),
        ("a3", "complaint", date(2026, 10, 2)),
        ("a3", "late_early", date(2026, 10, 9)),
    )
    return runtime


def totals(runtime, month):
    return {e.agent_id: e.total for e in runtime.view.ranking(month)}


def test_a_month_is_scored_under_the_version_in_force_and_names_it(department):
    published = department.app.publish_rulebook(ADMIN, complaint_costs("-4"), NOV)
    record(department, ("a4", "complaint", date(2026, 11, 2)))

    assert published.version == 2
    november = department.view.scorecard("a4", NOV)
    assert (november.rulebook_id, november.rulebook_version) == ("songsong-2019", 2)
    assert november.total == Decimal(96)
    october = department.view.scorecard("a3", OCT)
    assert (october.rulebook_version, october.total) == (1, Decimal(96))


def test_a_version_effective_from_a_past_month_is_refused_outside_a_rebuild(department):
    before = department.head
    with pytest.raises(InvalidFactError) as refused:
        department.app.publish_rulebook(ADMIN, complaint_costs("-5"), SEP)
    assert refused.value.field == "effective_from"
    assert "rebuild" in refused.value.message
    assert department.head == before


def test_only_an_admin_publishes(department):
    from domain.errors import NotPermittedError

    with pytest.raises(NotPermittedError):
        department.app.publish_rulebook(
            Principal("sup", Role.SUPERVISOR, "t1"), complaint_costs("-5"), NOV
        )


def test_previewing_the_rules_in_force_changes_nothing(department):
    in_force = department.view.catalog().for_month(SEP)
    result = preview(department.view, in_force, [AUG, SEP, OCT])
    assert result.changes == ()
    assert result.compared == 12


def test_minus_5_complaints_from_september_change_exactly_the_complainers(department):
    candidate = complaint_costs("-5")
    before = {m: totals(department, m) for m in (AUG, SEP, OCT)}
    august_card = department.view.scorecard("a1", AUG)

    told = preview(department.view, candidate, [SEP, OCT])
    moved = {(c.agent_id, c.month): c.delta for c in told.changes if c.delta}
    assert moved == {("a2", "2026-09"): Decimal(-4), ("a3", "2026-10"): Decimal(-2)}

    requested = department.app.request_rebuild(ADMIN, candidate, SEP)
    assert department.live_generation == 1  # the live models keep serving
    assert totals(department, SEP) == before[SEP]
    rebuild.run(department, requested.rebuild_id)

    assert department.live_generation == requested.generation
    after = {m: totals(department, m) for m in (AUG, SEP, OCT)}
    assert after[AUG] == before[AUG]
    assert department.view.scorecard("a1", AUG) == august_card  # same lines, v1
    assert after[SEP] == before[SEP] | {"a2": before[SEP]["a2"] - 4}
    assert after[OCT] == before[OCT] | {"a3": before[OCT]["a3"] - 2}
    card = department.view.scorecard("a2", SEP)
    assert (card.rulebook_version, card.total) == (2, Decimal(90))

    result = department.app.get_rebuild(requested.rebuild_id).result
    summary = result["summary"]
    assert (summary["agents_changed"], summary["agent_months_changed"]) == (2, 2)
    assert {(m["agent_id"], m["delta"]) for m in summary["largest_moves"]} == {
        ("a2", "-4.00"),
        ("a3", "-2.00"),
    }
    assert result["digest"] == rebuild.digest(department.view.scorecard_rows())


def test_switching_back_restores_the_old_rules_and_a_dropped_generation_is_gone(
    department,
):
    requested = department.app.request_rebuild(ADMIN, complaint_costs("-5"), SEP)
    rebuild.run(department, requested.rebuild_id)
    assert totals(department, SEP)["a2"] == Decimal(90)

    department.app.switch_generation(ADMIN, 1, "undo the complaint change")
    department.catch_up()
    assert department.live_generation == 1
    assert totals(department, SEP)["a2"] == Decimal(94)

    with pytest.raises(ConflictError):
        department.app.drop_generation(ADMIN, 1)  # live
    department.app.drop_generation(ADMIN, requested.generation)
    department.drop_view(requested.generation)
    with pytest.raises(InvalidFactError):
        department.app.switch_generation(ADMIN, requested.generation, "back")


def test_a_new_rebuild_after_switching_back_does_not_inherit_the_abandoned_rules(
    department,
):
    first = department.app.request_rebuild(ADMIN, complaint_costs("-5"), SEP)
    rebuild.run(department, first.rebuild_id)
    department.app.switch_generation(ADMIN, 1, "back")
    department.catch_up()

    second = department.app.request_rebuild(ADMIN, complaint_costs("-3"), OCT)
    rebuild.run(department, second.rebuild_id)
    # the first rebuild's -5 is not in the second's lineage
    assert totals(department, SEP)["a2"] == Decimal(94)


def test_an_interrupted_rebuild_leaves_the_live_models_serving_and_resumes(department):
    requested = department.app.request_rebuild(ADMIN, complaint_costs("-5"), SEP)
    seen = []

    def crash(done: int, total: int) -> None:
        seen.append(done)
        raise KeyboardInterrupt  # the process dies after its first batch

    with pytest.raises(KeyboardInterrupt):
        department.catch_up(
            department.view_for(requested.generation), batch_size=3, progress=crash
        )
    assert seen and seen[0] < department.head
    assert department.live_generation == 1
    assert totals(department, SEP)["a2"] == Decimal(94)
    assert rebuild.progress(department, requested.rebuild_id).status == "running"

    rebuild.run(department, requested.rebuild_id)  # started again
    assert totals(department, SEP)["a2"] == Decimal(90)


def test_a_second_rebuild_waits_for_the_first(department):
    department.app.request_rebuild(ADMIN, complaint_costs("-5"), SEP)
    with pytest.raises(ConflictError):
        department.app.request_rebuild(ADMIN, complaint_costs("-4"), SEP)


def test_progress_reports_events_done_of_the_total(department):
    requested = department.app.request_rebuild(ADMIN, complaint_costs("-5"), SEP)
    waiting = rebuild.progress(department, requested.rebuild_id)
    assert (waiting.status, waiting.done) == ("running", 0)
    assert waiting.total == department.head
    rebuild.run(department, requested.rebuild_id)
    done = rebuild.progress(department, requested.rebuild_id)
    assert done.status == "completed"
    assert done.done == done.total
    assert done.remaining_seconds == 0


def test_closing_stops_a_background_rebuild_first_and_it_resumes_later(
    store_config, department
):
    requested = department.app.request_rebuild(ADMIN, complaint_costs("-5"), SEP)
    assert rebuild.start(department, requested.rebuild_id)
    department.close()  # a worker shutting down while the rebuild runs
    assert not any(t.is_alive() for t in department.background.values())

    reopened = Runtime(store_config, today=lambda: TODAY)
    try:
        if rebuild.progress(reopened, requested.rebuild_id).status == "running":
            rebuild.run(reopened, requested.rebuild_id)
        assert totals(reopened, SEP)["a2"] == Decimal(90)
    finally:
        reopened.close()
