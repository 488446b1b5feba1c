"""Disputes, explanations and audits through the API, on both backends."""

from __future__ import annotations

import json
from decimal import Decimal

from domain.access import Role
from domain.month import Month
from tests.clock import service_today

MONTH = str(Month.of(service_today()))
DAY = Month.of(service_today()).first_day.isoformat()


def complaint_against_a1(department):
    department.register("a1")
    department.register("a2")
    recorded = department.deduct("a1", "complaint", DAY)
    return recorded["deduction_id"]


def test_a_dispute_marks_the_month_provisional_and_resolving_shows_the_cascade(
    department,
):
    deduction = complaint_against_a1(department)
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    body = {"reason": "wrong agent", "evidence": "chat-1"}
    disputed = supervisor.post(f"/deductions/{deduction}/disputes", json=body)
    assert disputed.status_code == 201, disputed.json
    department.session.position = disputed.json["position"]
    card = department.auditor.get(f"/agents/a1/scorecards/{MONTH}").json
    assert (card["provisional"], card["disputed"]) == (True, [deduction])

    resolution = f"/deductions/{deduction}/disputes/resolution"
    own = supervisor.post(resolution, json={"outcome": "overturned"})
    assert own.status_code == 403  # the disputer cannot resolve it
    resolved = department.admin.post(
        f"/deductions/{deduction}/disputes/resolution",
        json={"outcome": "overturned", "note": "the chat log shows a2"},
    )
    assert resolved.status_code == 200, resolved.json
    changes = {c["agent_id"]: c for c in resolved.json["cascade"]}
    assert Decimal(changes["a1"]["delta"]) == 3
    assert (changes["a1"]["before"]["rank"], changes["a1"]["after"]["rank"]) == (2, 1)
    department.session.position = resolved.json["position"]
    card = department.auditor.get(f"/agents/a1/scorecards/{MONTH}").json
    assert (card["provisional"], Decimal(card["total"])) == (False, Decimal(100))

    open_now = department.auditor.get("/disputes").json["disputes"]
    everything = department.auditor.get("/disputes?status=all&team=t1").json["disputes"]
    assert open_now == [] and everything[0]["outcome"] == "overturned"
    summary = department.auditor.get("/disputes/summary?status=all").json
    assert (summary["open"], summary["resolved"]) == (0, 1)
    assert summary["shares"]["overturned"] == 1.0


def test_agents_and_other_teams_cannot_dispute_and_auditors_change_nothing(department):
    deduction = complaint_against_a1(department)
    body = {"reason": "no"}
    agent = department.client_for("a1", Role.AGENT)
    other = department.client_for("sup-t2", Role.SUPERVISOR, "t2")
    before = department.event_count()
    for client in (agent, other, department.auditor):
        assert (
            client.post(f"/deductions/{deduction}/disputes", json=body).status_code
            == 403
        )
    resolution = f"/deductions/{deduction}/disputes/resolution"
    upheld = department.auditor.post(resolution, json={"outcome": "upheld"})
    assert upheld.status_code == 403
    assert department.event_count() == before
    assert agent.get("/audit/verify").status_code == 403
    assert agent.get("/disputes").status_code == 403


def test_an_auditor_reads_explanations_as_of_exports_and_verification(department):
    deduction = complaint_against_a1(department)
    first = department.auditor.get(f"/agents/a1/scorecards/{MONTH}").json["position"]
    department.deduct("a1", "slow_reply", DAY)

    story = department.auditor.get(f"/agents/a1/scorecards/{MONTH}/explain").json
    assert [Decimal(e["points"]) for e in story["entries"]] == [-3, -1]
    assert (
        Decimal(story["entries"][-1]["running_total"]) == Decimal(story["total"]) == 96
    )
    assert story["entries"][0]["facts"][0]["fact_id"] == deduction

    then = department.auditor.get(
        f"/agents/a1/scorecards/{MONTH}?position={first}"
    ).json
    assert Decimal(then["total"]) == 97
    ranking = department.auditor.get(f"/rankings/{MONTH}?position={first}").json
    assert [e["agent_id"] for e in ranking["entries"]] == ["a2", "a1"]
    ahead = department.auditor.get(f"/agents/a1/scorecards/{MONTH}?position=999999")
    # Well-formed, but no such position yet: it names something unknown.
    assert ahead.status_code == 422
    assert ahead.json["code"] == "unknown_reference"
    assert ahead.json["errors"] == {"position": [ahead.json["detail"]]}

    verified = department.auditor.get("/audit/verify").json
    assert verified["ok"] and verified["events"] >= 4
    export = department.auditor.get(f"/audit/export?month={MONTH}&agent_id=a1")
    assert export.mimetype == "application/x-ndjson"
    *events, summary = [
        json.loads(x) for x in export.get_data(as_text=True).splitlines()
    ]
    assert len(events) == 2 and summary["export"]["events"] == 2
