"""The monthly cycle through the API: periods, refusals, rewards, plans, payroll."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from domain.access import Role
from domain.month import Month
from tests.clock import service_today


def setup_october(department):
    for agent, team in (("a1", "t1"), ("a2", "t1"), ("a3", "t1"), ("a4", "t2")):
        department.register(agent, team=team)
    department.deduct("a1", "complaint", "2026-10-05")
    department.deduct("a2", "target_missed", "2026-10-06")


def post(department, path, **body):
    response = department.admin.post(path, json=body)
    if response.status_code == 200 and "position" in response.json:
        department.session.position = max(department.session.position,
                                           response.json["position"])  # fmt: skip
    return response


def test_a_period_shows_its_review_window_after_the_holidays(department):
    shown = department.auditor.get("/periods/2026-09").json
    assert (shown["review_from"], shown["review_to"]) == ("2026-10-08", "2026-10-13")
    assert shown["status"] == "open"


def test_a_published_month_refuses_facts_until_it_is_reopened_with_a_reason(department):
    setup_october(department)
    assert post(department, "/periods/2026-10/close").json["status"] == "closed"
    assert post(department, "/periods/2026-10/publish").json["status"] == "published"
    before = department.event_count()
    refused = department.admin.post(
        "/deductions",
        json={"agent_id": "a3", "item": "complaint", "occurred_on": "2026-10-07"},
    )
    assert refused.status_code == 409  # the month's close stands in its way
    assert "2026-10 period is published" in refused.json["detail"]
    assert "/periods/2026-10/reopen" in refused.json["detail"]
    assert department.event_count() == before
    assert department.admin.post("/periods/2026-10/reopen", json={}).status_code == 422

    post(department, "/periods/2026-10/reopen", reason="a complaint came in late")
    department.deduct("a3", "complaint", "2026-10-07")
    card = department.admin.get("/agents/a3/scorecards/2026-10").json
    assert (card["period"], card["published_total"], card["total"]) == (
        "reopened", "100.00", "97.00",
    )  # fmt: skip
    assert card["changed_after_publication"] is True
    assert card["reopenings"][0]["reason"] == "a complaint came in late"
    ranking = department.admin.get("/rankings/2026-10").json
    assert ranking["period"] == "reopened"


def test_a_month_still_running_cannot_be_closed(department):
    this_month = str(Month.of(service_today()))
    response = department.admin.post(f"/periods/{this_month}/close")
    assert response.status_code == 409


def test_publishing_makes_the_bottom_group_owe_plans_and_the_payroll_final(department):
    setup_october(department)
    department.deduct("a3", "late_early", "2026-10-08")  # a4 100, a3 99, a1 97, a2 95
    payroll = department.auditor.get("/payroll/2026-10.csv")
    assert payroll.status_code == 409  # not published yet
    post(department, "/periods/2026-10/close")
    post(department, "/periods/2026-10/publish")

    duties = department.auditor.get("/improvement-plans?status=open").json["duties"]
    owed = {d["agent_id"]: d for d in duties if d["month"] == "2026-10"}
    assert set(owed) == {"a3", "a1", "a2"}
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    body = {"why": "missed target", "actions": "weekly check-ins"}
    plan = supervisor.post(f"/improvement-plans/{owed['a2']['duty_id']}", json=body)
    assert plan.status_code == 201, plan.json
    submitted = department.auditor.get("/improvement-plans?status=submitted").json
    assert [d["agent_id"] for d in submitted["duties"]] == ["a2"]
    other = department.client_for("sup-t2", Role.SUPERVISOR, "t2")
    assert other.post(f"/improvement-plans/{owed['a1']['duty_id']}",
                      json={"why": "x", "actions": "y"}).status_code == 403  # fmt: skip
    # Each supervisor sees the duties of their own team only.
    mine = supervisor.get("/improvement-plans?status=all").json["duties"]
    assert {d["agent_id"] for d in mine} == {"a1", "a2", "a3"}
    assert other.get("/improvement-plans?status=all").json["duties"] == []

    payroll = department.auditor.get("/payroll/2026-10.csv")
    assert payroll.status_code == 200 and payroll.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(payroll.data.decode("utf-8-sig"))))
    *agents, total = rows
    assert total["agent_id"] == "TOTAL"
    assert Decimal(total["commission"]) == sum(Decimal(r["commission"]) for r in agents)
    a1 = next(r for r in agents if r["agent_id"] == "a1")
    assert (a1["total"], a1["commission"]) == ("97.00", "2910.00")
    agent = department.client_for("a1", Role.AGENT)
    assert agent.get("/payroll/2026-10.csv").status_code == 403
    assert agent.get("/improvement-plans").status_code == 403


def test_quarter_rewards_are_provisional_until_the_last_month_is_published(department):
    setup_october(department)
    quarter = department.auditor.get("/quarters/2026-Q4/rewards").json
    assert (quarter["status"], quarter["awards"]) == ("provisional", [])
    assert quarter["months"] == ["2026-10", "2026-11", "2026-12"]
    assert department.auditor.get("/quarters/2026-Q5/rewards").status_code == 400


def test_an_agent_who_left_gets_no_facts_after_leaving(department):
    department.register("a1")
    left = department.admin.post("/agents/a1/leave", json={"left_on": "2026-10-10"})
    assert left.status_code == 201
    late = department.admin.post(
        "/deductions",
        json={"agent_id": "a1", "item": "complaint", "occurred_on": "2026-10-20"},
    )
    assert late.status_code == 422 and "left" in late.json["detail"]
    assert department.admin.get("/agents/a1").json["left_on"] == "2026-10-10"


def test_a_company_closed_day_moves_the_review_window(department):
    response = department.admin.post(
        "/calendar/closed-days", json={"day": "2026-11-04", "reason": "company outing"}
    )
    assert response.status_code == 201
    department.session.position = response.json["position"]
    shown = department.auditor.get("/periods/2026-10").json
    assert (shown["review_from"], shown["review_to"]) == ("2026-11-02", "2026-11-09")
