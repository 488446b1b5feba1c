"""Reads answered again at the same read position (``web.kept_reads``) are never
stale and never shown to someone who may not see them."""

from __future__ import annotations

from decimal import Decimal

from domain.access import Role
from domain.month import Month
from tests.clock import service_today

READS = (
    "/agents/a1/scorecards/2026-10",
    "/agents/a1/scorecards/2026-10/explain",
    "/rankings/2026-10",
    "/rankings/2026-10?team=t1",
)


def _total(path: str, body: dict) -> Decimal:
    if path.startswith("/rankings"):
        return next(
            Decimal(e["total"]) for e in body["entries"] if e["agent_id"] == "a1"
        )
    return Decimal(body["total"] if "total" in body else body["running_total"])


def test_a_read_repeated_after_a_new_fact_shows_the_fact(department):
    department.register("a1")
    department.register("a2")
    department.deduct("a1", "complaint", "2026-10-05")
    first = {path: department.admin.get(path) for path in READS}
    again = {path: department.admin.get(path) for path in READS}
    for path in READS:
        assert first[path].status_code == again[path].status_code == 200
        assert again[path].json == first[path].json
        assert (
            again[path].headers["Read-Position"] == first[path].headers["Read-Position"]
        )

    department.deduct("a1", "complaint", "2026-10-06")  # the session now waits for it
    for path in READS:
        after = department.admin.get(path)
        assert int(after.headers["Read-Position"]) > int(
            first[path].headers["Read-Position"]
        )
        if "explain" not in path:
            assert _total(path, after.json) == _total(path, first[path].json) - 3


def test_a_kept_answer_is_not_given_to_someone_who_may_not_read_it(department):
    department.register("a1")
    department.register("a2")
    department.deduct("a1", "complaint", "2026-10-05")
    path = "/agents/a1/scorecards/2026-10"
    assert department.admin.get(path).status_code == 200
    colleague = department.client_for("a2", Role.AGENT)
    assert colleague.get(path).status_code in (403, 404)
    assert colleague.get(f"{path}/explain").status_code in (403, 404)
    own = department.client_for("a1", Role.AGENT).get(path)
    assert own.status_code == 200


def test_a_read_stands_while_another_month_changes_and_shows_the_new_position(
    department, monkeypatch
):
    department.register("a1")
    department.deduct("a1", "complaint", "2026-10-05")
    path = "/agents/a1/scorecards/2026-10"
    first = department.admin.get(path)
    worked_out = []
    scorecard = type(department.runtime.view).scorecard
    monkeypatch.setattr(
        type(department.runtime.view),
        "scorecard",
        lambda *a, **k: worked_out.append(a) or scorecard(*a, **k),
    )

    department.deduct("a1", "complaint", "2026-09-05")  # another month
    again = department.admin.get(path)

    position = int(again.headers["Read-Position"])
    assert position > int(first.headers["Read-Position"])
    assert again.json["position"] == position
    assert again.json | {"position": 0} == first.json | {"position": 0}
    assert worked_out == []  # answered as kept
    department.deduct("a1", "complaint", "2026-10-06")  # the month itself
    assert Decimal(department.admin.get(path).json["total"]) == Decimal(94)
    assert len(worked_out) == 1


def test_what_every_month_shows_reaches_a_kept_read(department):
    department.register("a1")
    department.deduct("a1", "complaint", "2026-10-05")
    ranking, card = "/rankings/2026-10?team=t1", "/agents/a1/scorecards/2026-10"
    assert [e["agent_id"] for e in department.admin.get(ranking).json["entries"]] == [
        "a1"
    ]
    assert department.admin.get(card).json["period"] == "open"

    department.register("a2")  # an agent, which every month's reads may show
    entries = department.admin.get(ranking).json["entries"]
    assert sorted(e["agent_id"] for e in entries) == ["a1", "a2"]

    closed = department.admin.post("/periods/2026-10/close")
    assert closed.status_code == 200, closed.json
    department.session.position = closed.json["position"]
    assert department.admin.get(card).json["period"] == "closed"


def test_a_dispute_and_its_rejection_reach_a_kept_scorecard(department):
    department.register("a1")
    this_month = Month.of(service_today())
    day = this_month.first_day.isoformat()
    deduction = department.deduct("a1", "complaint", day)["deduction_id"]
    path = f"/agents/a1/scorecards/{this_month}"
    assert department.admin.get(path).json["provisional"] is False
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    disputed = supervisor.post(
        f"/deductions/{deduction}/disputes", json={"reason": "wrong agent"}
    )
    assert disputed.status_code == 201, disputed.json
    department.session.position = disputed.json["position"]
    assert department.admin.get(path).json["disputed"] == [deduction]

    rejected = department.admin.post(
        f"/deductions/{deduction}/disputes/resolution", json={"outcome": "upheld"}
    )
    assert rejected.status_code == 200, rejected.json
    department.session.position = rejected.json["position"]
    assert department.admin.get(path).json["disputed"] == []
