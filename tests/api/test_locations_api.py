"""Every 201 names what it created: a Location that a GET reads, on both
backends. (The test client refuses any 201 without one: tests/api/conftest.)"""

from __future__ import annotations

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from tests.clock import service_today

TODAY = service_today().isoformat()
MONTH = Month.of(service_today())


def resolves(client, answer) -> dict:
    """The 201's Location, read back with a GET."""
    assert answer.status_code == 201, answer.json
    found = client.get(answer.headers["Location"])
    assert found.status_code == 200, (answer.headers["Location"], found.json)
    return found.json


def test_each_command_that_creates_something_says_where_to_read_it(department):
    admin = department.admin
    agent = admin.post("/agents", json={"agent_id": "a1", "name": "A1",
        "team": "t1", "supervisor": "sup-t1", "joined_on": "2020-01-06"})  # fmt: skip
    assert resolves(admin, agent)["agent_id"] == "a1"
    deduction = admin.post("/deductions", json={"agent_id": "a1", "item": "complaint",
                                                "occurred_on": TODAY})  # fmt: skip
    assert resolves(admin, deduction)["deduction_id"] == deduction.json["deduction_id"]
    complaint = admin.post("/complaints", json={"complaint_no": "C-1", "agent_id": "a1",
                                                "occurred_on": TODAY})  # fmt: skip
    fact = resolves(admin, complaint)
    assert (fact["fact_id"], fact["source"]) == (
        complaint.json["observation_id"],
        "complaints",
    )
    own = department.client_for("a1", Role.AGENT)
    promotion = own.post("/promotion-activities", json={"agent_id": "a1",
        "channel": "friends", "occurred_on": TODAY, "reference": "wx-1"})  # fmt: skip
    assert resolves(own, promotion)["agent_id"] == "a1"
    rating = own.post("/ratings", json={"agent_id": "a1", "month": str(MONTH),
        "assessor": "self", "dimensions": {"task_completion": "90"}})  # fmt: skip
    assert resolves(own, rating)["fact_id"] == rating.json["rating_id"]
    order = admin.post("/orders", json={"order_no": "O-1", "agent_id": "a1",
        "case": "customer", "amount": "10", "occurred_on": TODAY})  # fmt: skip
    assert resolves(admin, order)["order_no"] == "O-1"
    step = admin.post("/orders/O-1/steps", json={"step": "process",
        "case": "standard", "occurred_on": TODAY})  # fmt: skip
    assert len(resolves(admin, step)["steps"]) == 2
    closed = admin.post(
        "/calendar/closed-days", json={"day": TODAY, "reason": "typhoon"}
    )
    assert TODAY in [d["day"] for d in resolves(admin, closed)["closed_days"]]
    document = shipped_document("songsong-2019")
    published = admin.post("/rulebooks", json={"rulebook": document,
        "effective_from": str(MONTH.next())})  # fmt: skip
    assert resolves(admin, published)["effective_from"] == str(MONTH.next())
    leave = admin.post("/agents/a1/leave", json={"left_on": TODAY})
    assert resolves(admin, leave)["left_on"] == TODAY


def test_a_fact_is_hidden_from_other_agents(department):
    for agent in ("a1", "a2"):
        department.register(agent, joined_on="2020-01-06")
    complaint = department.admin.post("/complaints", json={"complaint_no": "C-1",
        "agent_id": "a1", "occurred_on": TODAY})  # fmt: skip
    location = complaint.headers["Location"]
    assert department.client_for("a1", Role.AGENT).get(location).status_code == 200
    assert department.client_for("a2", Role.AGENT).get(location).status_code == 404
    assert department.auditor.get("/facts/not-a-fact").status_code == 404
