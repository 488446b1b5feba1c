"""Who may call what: one row per operation of the OpenAPI document, one column
per role, the subject being agent a1 of team t1. A new route without a row
fails the test.

A role that may not is answered 403, or 404 where the thing is hidden from it
(an agent asking about a colleague); a role that may is answered anything but
401 and 403 (the call may still be refused for what it asks, 404, 409, 422).
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from tests.clock import service_today

TODAY = service_today().isoformat()
MONTH = str(Month.of(service_today()))
QUARTER = f"{service_today().year}-Q{(service_today().month + 2) // 3}"
PUBLISHED = "2026-01"  # closed and published in the setup: a1 owes a plan
OTHER = "2026-02"  # closed, published and reopened by the rows
# Columns: admin, supervisor of t1, supervisor of t2, reviewer, auditor,
# agent a1 (the subject), agent a2 (a colleague of a1).
ROLES = ("admin", "own_sup", "other_sup", "reviewer", "auditor", "self", "colleague")
ALL = "yyyyyyy"
STAFF = "yyyyyy."  # everyone but a colleague agent (an agent's own things)
DEPARTMENT = "yyyyy.."  # not agents
ADMIN = "y......"
TEAM = "yy....."  # the subject's team: its supervisor, or an admin
AUDIT = "y...y.."


def rows(h: dict[str, Any]) -> dict[str, tuple[str, str, Any, str]]:
    """``"METHOD /path"`` of the document: (method, concrete path, body, who)."""
    rulebook = shipped_document("songsong-2019")
    return {
        "GET /health": ("GET", "/health", None, ALL),
        "GET /agents": ("GET", "/agents", None, ALL),
        "GET /agents/{agent_id}": ("GET", "/agents/a1", None, STAFF),
        "POST /deductions": ("POST", "/deductions", {"agent_id": "a1",
            "item": "slow_reply", "occurred_on": TODAY}, TEAM),
        "GET /deductions": ("GET", "/deductions?agent_id=a1", None, "yy.yyy."),
        "GET /deductions/{deduction_id}": (
            "GET", f"/deductions/{h['deduction']}", None, STAFF),
        "GET /facts/{fact_id}": ("GET", f"/facts/{h['deduction']}", None, STAFF),
        "POST /complaints": ("POST", "/complaints", {"complaint_no": "C-9",
            "agent_id": "a1", "occurred_on": TODAY}, TEAM),
        "POST /promotion-activities": ("POST", "/promotion-activities", {
            "agent_id": "a1", "channel": "friends", "occurred_on": TODAY,
            "reference": "r"}, "yy...y."),
        "POST /orders": ("POST", "/orders", {"order_no": "O-2", "agent_id": "a1",
            "case": "customer", "amount": "10", "occurred_on": TODAY}, TEAM),
        "POST /orders/{order_no}/steps": ("POST", "/orders/O-1/steps", {
            "step": "check", "batch": 1, "passed": True, "occurred_on": TODAY}, TEAM),
        "GET /orders/{order_no}": ("GET", "/orders/O-1", None, STAFF),
        "POST /ratings": ("POST", "/ratings", {"agent_id": "a1", "month": MONTH,
            "assessor": "supervisor",
            "dimensions": {"performance": "80", "ability": "70"}}, TEAM),
        "POST /imports/{kind}": ("POST", "/imports/complaints",
            ("agent_id,date,complaint\na1," + TODAY + ",C-8\n", "text/csv"), ADMIN),
        "GET /imports/jobs/{job_id}": (
            "GET", f"/imports/jobs/{h['import']}", None, ADMIN),
        "GET /agents/{agent_id}/scorecards/{month}": (
            "GET", f"/agents/a1/scorecards/{MONTH}", None, STAFF),
        "GET /agents/{agent_id}/scorecards/{month}/explain": (
            "GET", f"/agents/a1/scorecards/{MONTH}/explain", None, STAFF),
        "GET /rankings/{month}": ("GET", f"/rankings/{MONTH}", None, ALL),
        "GET /rulebooks": ("GET", "/rulebooks", None, ALL),
        "GET /rulebooks/{rulebook_id}/versions/{version}": (
            "GET", "/rulebooks/songsong-2019/versions/1", None, ALL),
        "POST /rulebooks/preview": ("POST", "/rulebooks/preview", {
            "rulebook": rulebook, "from": MONTH, "to": MONTH}, DEPARTMENT),
        "POST /rulebooks": ("POST", "/rulebooks", {"rulebook": rulebook,
            "effective_from": str(Month.of(service_today()).next())}, ADMIN),
        "GET /rebuilds": ("GET", "/rebuilds", None, DEPARTMENT),
        "GET /rebuilds/{rebuild_id}": (
            "GET", f"/rebuilds/{h['rebuild']}", None, DEPARTMENT),
        "POST /rebuilds/{rebuild_id}/resume": (
            "POST", f"/rebuilds/{h['rebuild']}/resume", None, ADMIN),
        "GET /read-models": ("GET", "/read-models", None, ALL),
        "POST /read-models/{generation}/activate": (
            "POST", "/read-models/1/activate", {"reason": "back"}, ADMIN),
        "GET /periods/{month}": ("GET", f"/periods/{MONTH}", None, ALL),
        "POST /periods/{month}/close": ("POST", f"/periods/{OTHER}/close", None, ADMIN),
        "POST /periods/{month}/publish": (
            "POST", f"/periods/{OTHER}/publish", None, ADMIN),
        "POST /periods/{month}/reopen": (
            "POST", f"/periods/{OTHER}/reopen", {"reason": "late fact"}, ADMIN),
        "GET /quarters/{quarter}/rewards": (
            "GET", f"/quarters/{QUARTER}/rewards", None, DEPARTMENT),
        "GET /improvement-plans/{duty_id}": (
            "GET", f"/improvement-plans/{h['duty']}", None, "yy.yy.."),
        "GET /improvement-plans": ("GET", "/improvement-plans", None, DEPARTMENT),
        "POST /improvement-plans/{duty_id}": (
            "POST", f"/improvement-plans/{h['duty']}",
            {"why": "slow replies", "actions": "coaching"}, TEAM),
        "GET /payroll/{month}.csv": ("GET", f"/payroll/{PUBLISHED}.csv", None, AUDIT),
        "GET /calendar/closed-days": ("GET", "/calendar/closed-days", None, ALL),
        "POST /calendar/closed-days": ("POST", "/calendar/closed-days",
            {"day": TODAY, "reason": "typhoon"}, ADMIN),
        "POST /deductions/{deduction_id}/disputes": (
            "POST", f"/deductions/{h['deduction']}/disputes", {"reason": "no"}, TEAM),
        "POST /deductions/{deduction_id}/disputes/resolution/preview": (
            "POST", f"/deductions/{h['disputed']}/disputes/resolution/preview",
            {"outcome": "upheld"}, "y..y..."),
        "POST /deductions/{deduction_id}/disputes/resolution": (
            "POST", f"/deductions/{h['disputed']}/disputes/resolution",
            {"outcome": "upheld"}, "y..y..."),
        "GET /deductions/{deduction_id}/disputes/{number}": (
            "GET", f"/deductions/{h['disputed']}/disputes/1", None, STAFF),
        "GET /disputes": ("GET", "/disputes", None, DEPARTMENT),
        "GET /disputes/summary": ("GET", "/disputes/summary", None, DEPARTMENT),
        "GET /audit/verify": ("GET", "/audit/verify", None, AUDIT),
        "GET /audit/export": ("GET", f"/audit/export?month={MONTH}", None, AUDIT),
        "POST /webhooks": ("POST", "/webhooks", {"url": "http://127.0.0.1:9/b",
            "kinds": ["period.closed"]}, ADMIN),
        "GET /webhooks": ("GET", "/webhooks", None, ADMIN),
        "GET /webhooks/{webhook_id}": (
            "GET", f"/webhooks/{h['webhook']}", None, ADMIN),
        "POST /webhooks/{webhook_id}/pause": (
            "POST", f"/webhooks/{h['webhook']}/pause", None, ADMIN),
        "POST /webhooks/{webhook_id}/resume": (
            "POST", f"/webhooks/{h['webhook']}/resume", None, ADMIN),
        "GET /webhooks/{webhook_id}/deliveries": (
            "GET", f"/webhooks/{h['webhook']}/deliveries", None, ADMIN),
        "POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": (
            "POST", f"/webhooks/{h['webhook']}/deliveries/{h['delivery']}/redeliver",
            None, ADMIN),
        # Last: these change who and what the rows above are about.
        "POST /rebuilds/{rebuild_id}/abandon": (
            "POST", f"/rebuilds/{h['rebuild']}/abandon", {"reason": "no"}, ADMIN),
        "POST /rebuilds": ("POST", "/rebuilds", {"rulebook": rulebook,
            "effective_from": PUBLISHED}, ADMIN),
        "DELETE /read-models/{generation}": (
            "DELETE", "/read-models/2", None, ADMIN),
        "DELETE /webhooks/{webhook_id}": (
            "DELETE", f"/webhooks/{h['webhook']}", None, ADMIN),
        "POST /agents": ("POST", "/agents", {"agent_id": "a9", "name": "A9",
            "team": "t1", "supervisor": "sup-t1"}, ADMIN),
        "POST /agents/{agent_id}/leave": (
            "POST", "/agents/a1/leave", {"left_on": TODAY}, ADMIN),
    }  # fmt: skip


@pytest.fixture
def office(department):
    """Agents a1, a2 of t1 and b1 of t2; a deduction of a1, another one
    disputed, which a webhook is to be told of; an order; a published month in
    which a1 owes a plan; a rebuild."""
    for agent, team in (("a1", "t1"), ("a2", "t1"), ("b1", "t2")):
        department.register(agent, team=team, joined_on="2020-01-06")
    deduction = department.deduct("a1", "complaint", TODAY)["deduction_id"]
    disputed = department.deduct("a1", "slow_reply", TODAY)["deduction_id"]
    admin = department.admin
    order = {"order_no": "O-1", "agent_id": "a1", "case": "customer",
             "amount": "10", "occurred_on": TODAY}  # fmt: skip
    assert admin.post("/orders", json=order).status_code == 201
    hook = {"url": "http://127.0.0.1:9/a", "kinds": ["dispute.filed"]}
    webhook = admin.post("/webhooks", json=hook).json
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    dispute = supervisor.post(f"/deductions/{disputed}/disputes", json={"reason": "x"})
    assert dispute.status_code == 201, dispute.json
    department.deduct("a2", "complaint", f"{PUBLISHED}-12")
    for step in ("close", "publish"):
        answer = admin.post(f"/periods/{PUBLISHED}/{step}")
        assert answer.status_code == 200, answer.json
        department.session.position = answer.json["position"]
    (delivery,) = admin.get(f"/webhooks/{webhook['webhook_id']}/deliveries").json[
        "deliveries"
    ]
    duty = next(d["duty_id"] for d in admin.get("/improvement-plans").json["duties"]
                if d["agent_id"] == "a1")  # fmt: skip
    rebuild = admin.post(
        "/rebuilds",
        json={
            "rulebook": shipped_document("songsong-2019"),
            "effective_from": PUBLISHED,
        },
    )
    assert rebuild.status_code == 202, rebuild.json
    imported = admin.post("/imports/complaints", data="agent_id,date,complaint\n",
                          content_type="text/csv")  # fmt: skip
    assert imported.status_code == 202, imported.json
    clients = {
        "admin": admin,
        "own_sup": supervisor,
        "other_sup": department.client_for("sup-t2", Role.SUPERVISOR, "t2"),
        "reviewer": department.client_for("rev", Role.REVIEWER),
        "auditor": department.auditor,
        "self": department.client_for("a1", Role.AGENT),
        "colleague": department.client_for("a2", Role.AGENT),
    }  # fmt: skip
    handles = {"deduction": deduction, "disputed": disputed, "duty": duty,
               "rebuild": rebuild.json["rebuild_id"],
               "import": imported.json["job_id"],
               "webhook": webhook["webhook_id"],
               "delivery": delivery["delivery_id"]}  # fmt: skip
    return clients, rows(handles)


def call(client, method: str, path: str, body: Any):
    if isinstance(body, tuple):
        text, media = body
        return client.request(method, path, data=text, content_type=media)
    if body is None:
        return client.request(method, path)
    return client.request(method, path, json=body)


@pytest.mark.parametrize("store_config", ["sqlite"], indirect=True)
def test_every_operation_answers_each_role_as_the_matrix_says(office, department):
    clients, matrix = office
    spec = department.anonymous.get("/openapi.json").json
    operations = {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert operations - set(matrix) == set(), "operations without a row"
    assert set(matrix) - operations == set(), "rows without an operation"

    wrong = []
    for name, (method, path, body, who) in matrix.items():
        # Refused roles first: an allowed call may change what follows.
        order = sorted(zip(ROLES, who, strict=True), key=lambda pair: pair[1] == "y")
        for role, may in order:
            status = call(clients[role], method, path, body).status_code
            if may == "y" and status in (401, 403):
                wrong.append(f"{name}: {role} may, but got {status}")
            if may != "y" and status not in (403, 404):
                wrong.append(f"{name}: {role} may not, but got {status}")
    assert wrong == []
