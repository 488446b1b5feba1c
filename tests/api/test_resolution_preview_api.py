"""A resolution's preview through the API, on both backends: the cascade
resolving answers, refused as resolving is, and nothing recorded."""

from __future__ import annotations

from decimal import Decimal

from domain.access import Role
from domain.month import Month
from tests.clock import service_today

DAY = Month.of(service_today()).first_day.isoformat()


def disputed(department) -> str:
    """a1's complaint (a1 and a2 in team t1), disputed by its supervisor."""
    department.register("a1")
    department.register("a2")
    deduction = department.deduct("a1", "complaint", DAY)["deduction_id"]
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    answer = supervisor.post(
        f"/deductions/{deduction}/disputes", json={"reason": "wrong agent"}
    )
    assert answer.status_code == 201, answer.json
    return str(deduction)


def test_the_apis_preview_of_a_resolution_is_the_cascade_resolving_answers(
    department,
):
    deduction = disputed(department)
    path = f"/deductions/{deduction}/disputes/resolution"
    body = {"outcome": "adjusted", "points": "-1"}
    agent = department.client_for("a1", Role.AGENT)
    before = department.event_count()

    preview = department.admin.post(f"{path}/preview", json=body)
    refused = agent.post(f"{path}/preview", json=body)
    resolved = department.admin.post(path, json=body)

    assert preview.status_code == 200, preview.json
    assert refused.status_code == 403
    assert resolved.status_code == 200, resolved.json
    assert preview.json["cascade"] == resolved.json["cascade"]
    change = preview.json["cascade"][0]
    assert (change["agent_id"], Decimal(change["delta"])) == ("a1", Decimal(2))
    assert department.event_count() == before + 1


def test_a_preview_of_a_deduction_without_an_open_dispute_is_a_conflict(department):
    department.register("a1")
    deduction = department.deduct("a1", "complaint", DAY)["deduction_id"]

    answer = department.admin.post(
        f"/deductions/{deduction}/disputes/resolution/preview",
        json={"outcome": "overturned"},
    )

    assert answer.status_code == 409, answer.json
    assert "deduction_id" in answer.json["errors"]
