"""Orders, complaints, promotion activities and ratings through the API."""

from __future__ import annotations

from decimal import Decimal

from domain.access import Role
from domain.month import Month
from tests.clock import service_today

THIS_MONTH = Month.of(service_today())
FIRST = THIS_MONTH.first_day.isoformat()


def order_flow(department, order_no="O-1"):
    department.register("a1")
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    placed = supervisor.post(
        "/orders",
        json={"order_no": order_no, "agent_id": "a1", "case": "customer",
              "amount": "250.00", "occurred_on": FIRST},
    )  # fmt: skip
    return supervisor, placed


def test_an_order_moves_through_its_steps_and_shows_them_with_positions(department):
    supervisor, placed = order_flow(department)
    assert placed.status_code == 201, placed.json
    assert placed.headers["Location"].endswith("/orders/O-1")
    for body in (
        {"step": "process", "case": "standard"},
        {"step": "check", "batch": 1, "passed": True, "note": "ok"},
        {"step": "pay"},
        {"step": "feedback"},
        {"step": "finish", "outcome": "completed"},
    ):
        response = supervisor.post(
            "/orders/O-1/steps", json=body | {"occurred_on": FIRST}
        )
        assert response.status_code == 201, (body, response.json)

    shown = department.auditor.get("/orders/O-1").json
    assert [s["step"] for s in shown["steps"]] == [
        "submit", "process", "check", "pay", "feedback", "finish",
    ]  # fmt: skip
    assert shown["owner"] == "a1"
    assert shown["steps"][-1]["values"]["served_well"] is True
    positions = [s["position"] for s in shown["steps"]]
    assert positions == sorted(positions)


def test_steps_that_do_not_fit_the_order_are_refused_with_the_field(department):
    supervisor, _ = order_flow(department)
    before = department.event_count()
    finish = supervisor.post(
        "/orders/O-1/steps",
        json={"step": "finish", "outcome": "completed", "occurred_on": FIRST},
    )
    assert finish.status_code == 422
    assert (
        "never" in finish.json["detail"]
        or "not been processed" in finish.json["detail"]
    )
    supervisor.post("/orders/O-1/steps", json={"step": "process", "case": "standard",
                                               "occurred_on": FIRST})  # fmt: skip
    sixth = supervisor.post(
        "/orders/O-1/steps",
        json={"step": "check", "batch": 6, "passed": True, "occurred_on": FIRST},
    )
    assert (sixth.status_code, list(sixth.json["errors"])) == (422, ["batch"])
    missing = supervisor.post(
        "/orders/O-1/steps", json={"step": "check", "occurred_on": FIRST}
    )
    assert set(missing.json["errors"]) == {"batch", "passed"}
    assert department.event_count() == before + 1  # only the process step
    assert department.admin.get("/orders/O-404").status_code == 404


def test_a_complaint_is_recorded_once_and_a_changed_repost_is_a_correction(department):
    department.register("a1")
    body = {"complaint_no": "C-1", "agent_id": "a1", "occurred_on": FIRST,
            "severity": "normal", "description": "slow"}  # fmt: skip
    first = department.admin.post("/complaints", json=body)
    again = department.admin.post("/complaints", json=body)
    changed = department.admin.post("/complaints", json=body | {"severity": "severe"})
    assert [r.status_code for r in (first, again, changed)] == [201, 200, 200]
    assert [r.json["outcome"] for r in (first, again, changed)] == [
        "recorded", "unchanged", "corrected",
    ]  # fmt: skip
    department.session.position = changed.json["position"]
    card = department.admin.get(f"/agents/a1/scorecards/{THIS_MONTH}").json
    complaint_lines = [
        line
        for c in card["categories"]
        for line in c["lines"]
        if line["item"] == "complaint"
    ]
    assert len(complaint_lines) == 1  # the correction replaced, it did not add
    assert complaint_lines[0]["severity"] == "severe"
    assert Decimal(card["fines"]) == 200


def test_promotion_is_recorded_by_the_agent_but_not_for_a_colleague(department):
    department.register("a1")
    department.register("a2")
    agent = department.client_for("a1", Role.AGENT)
    body = {"agent_id": "a1", "channel": "friends", "occurred_on": FIRST,
            "reference": "wx-2026-001"}  # fmt: skip
    assert agent.post("/promotion-activities", json=body).status_code == 201
    other = agent.post("/promotion-activities", json=body | {"agent_id": "a2"})
    assert other.status_code == 403
    unknown = agent.post("/promotion-activities", json=body | {"channel": "billboard"})
    assert list(unknown.json["errors"]) == ["channel"]


def test_ratings_follow_who_may_rate_and_a_second_rating_revises(department):
    department.register("a1")
    department.register("a2")
    department.register("b1", team="t2")
    agent = department.client_for("a1", Role.AGENT)
    colleague = department.client_for("a2", Role.AGENT)
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    month = str(THIS_MONTH)

    def rating(client, assessor, **dimensions):
        body = {"agent_id": "a1", "month": month, "assessor": assessor}
        scores = {name: str(score) for name, score in dimensions.items()}
        return client.post("/ratings", json=body | {"dimensions": scores})

    assert rating(agent, "self", task_completion=90).status_code == 201
    assert rating(colleague, "self", task_completion=90).status_code == 403
    assert rating(agent, "peer", collaboration=90, service=90).status_code == 403
    assert rating(colleague, "peer", collaboration=70, service=80).status_code == 201
    # Peers are the agent's own group: agents of the same team, nobody else.
    other_team = department.client_for("b1", Role.AGENT)
    reviewer = department.client_for("rev", Role.REVIEWER)
    other_supervisor = department.client_for("sup-t2", Role.SUPERVISOR, "t2")
    for outsider in (other_team, reviewer, other_supervisor, department.admin):
        peer = rating(outsider, "peer", collaboration=10, service=10)
        assert peer.status_code == 403, peer.json
    first = rating(supervisor, "supervisor", performance=80, ability=60)
    revised = rating(supervisor, "supervisor", performance=90, ability=60)
    same = rating(supervisor, "supervisor", performance=90, ability=60)
    assert [r.json["outcome"] for r in (first, revised, same)] == [
        "given",
        "revised",
        "unchanged",
    ]
    wrong = rating(supervisor, "supervisor", performance=80)
    assert "dimensions" in wrong.json["errors"]
    too_high = rating(supervisor, "supervisor", performance=120, ability=60)
    assert too_high.status_code == 422
    # Decimals are strings: a JSON number is refused, naming the dimension.
    body = {"agent_id": "a1", "month": month, "assessor": "supervisor",
            "dimensions": {"performance": 80, "ability": "60"}}  # fmt: skip
    number = supervisor.post("/ratings", json=body)
    assert number.status_code == 422
    assert list(number.json["errors"]) == ["dimensions.performance.value"]
