"""Commands answer 201 with the resource and its event position."""

from __future__ import annotations

from domain.access import Role


def test_registering_an_agent_answers_201_with_location_and_position(department):
    response = department.admin.post(
        "/agents",
        json={"agent_id": "CS-1", "name": "王芳", "team": "t1", "supervisor": "sup-t1"},
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/agents/CS-1")
    assert response.json["position"] == department.event_count()

    shown = department.admin.get("/agents/CS-1").json
    assert (shown["name"], shown["team"], shown["position"]) == (
        "王芳",
        "t1",
        response.json["position"],
    )


def test_the_roster_lists_agents_and_filters_by_team(department):
    department.register("a1", team="t1")
    department.register("b1", team="t2")
    everyone = department.auditor.get("/agents").json["agents"]
    assert [a["agent_id"] for a in everyone] == ["a1", "b1"]
    team = department.auditor.get("/agents?team=t2").json["agents"]
    assert [a["agent_id"] for a in team] == ["b1"]


def test_a_deduction_is_recorded_by_the_authenticated_supervisor_not_the_body(
    department,
):
    department.register("a1", team="t1")
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")

    response = supervisor.post(
        "/deductions",
        json={
            "agent_id": "a1",
            "item": "complaint",
            "occurred_on": "2026-10-05",
            "evidence_ref": "ticket-881",
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["recorded_by"] == "sup-t1"
    answered = dict(response.json)
    # refused unless its item is a rule item of its month, so always scored
    assert (answered.pop("scored"), answered.pop("reason")) == (True, None)
    shown = department.auditor.get(response.headers["Location"]).json
    assert {key: shown[key] for key in answered} == answered
    assert (shown["team"], shown["month"], shown["status"]) == (
        "t1",
        "2026-10",
        "standing",
    )


def test_recorded_by_in_the_body_is_refused_as_an_unknown_field(department):
    department.register("a1")
    before = department.event_count()
    response = department.admin.post(
        "/deductions",
        json={
            "agent_id": "a1",
            "item": "complaint",
            "occurred_on": "2026-10-05",
            "recorded_by": "someone-else",
        },
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"recorded_by": ["Unknown field."]}
    assert department.event_count() == before


def test_a_supervisor_cannot_record_for_another_team(department):
    department.register("b1", team="t2")
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    before = department.event_count()
    response = supervisor.post(
        "/deductions",
        json={"agent_id": "b1", "item": "complaint", "occurred_on": "2026-10-05"},
    )
    assert response.status_code == 403
    assert department.event_count() == before


def test_auditors_and_agents_cannot_record_or_register(department):
    department.register("a1")
    agent = department.client_for("a1", Role.AGENT)
    for client in (department.auditor, agent):
        deduction = client.post(
            "/deductions",
            json={"agent_id": "a1", "item": "complaint", "occurred_on": "2026-10-05"},
        )
        registration = client.post(
            "/agents",
            json={"agent_id": "x", "name": "X", "team": "t1", "supervisor": "s"},
        )
        assert (deduction.status_code, registration.status_code) == (403, 403)


def test_an_agent_sees_only_themselves_on_the_roster(department):
    department.register("a1")
    department.register("a2")
    agent = department.client_for("a2", Role.AGENT)
    assert [a["agent_id"] for a in agent.get("/agents").json["agents"]] == ["a2"]
    assert agent.get("/agents/a1").status_code == 403


def test_an_agent_cannot_read_a_colleagues_deduction(department):
    department.register("a1")
    department.register("a2")
    recorded = department.deduct("a1", "complaint", "2026-10-05")
    colleague = department.client_for("a2", Role.AGENT)
    own = department.client_for("a1", Role.AGENT)
    assert colleague.get(f"/deductions/{recorded['deduction_id']}").status_code == 404
    assert own.get(f"/deductions/{recorded['deduction_id']}").status_code == 200
