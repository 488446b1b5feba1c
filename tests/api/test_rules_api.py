"""Rulebook versions, previews and rebuilds through the API, on both backends."""

from __future__ import annotations

import copy
import time
from decimal import Decimal

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from tests.clock import service_today

NEXT_MONTH = str(Month.of(service_today()).next())


def songsong(complaint: str = "-3") -> dict:
    document = copy.deepcopy(shipped_document("songsong-2019"))
    for item in document["categories"][1]["items"]:
        if item["code"] == "complaint":
            item["points"] = complaint
    return document


def setup_complaints(department):
    for agent in ("a1", "a2", "a3"):
        department.register(agent)
    department.deduct("a1", "complaint", "2026-08-10")
    department.deduct("a2", "complaint", "2026-09-10")
    department.deduct("a2", "complaint", "2026-09-11")
    department.deduct("a3", "complaint", "2026-10-02")


def totals(department, month):
    entries = department.admin.get(f"/rankings/{month}").json["entries"]
    return {e["agent_id"]: Decimal(e["total"]) for e in entries}


def test_a_version_is_published_listed_and_readable_with_its_document(department):
    response = department.admin.post(
        "/rulebooks", json={"rulebook": songsong("-4"), "effective_from": NEXT_MONTH}
    )
    assert response.status_code == 201, response.json
    assert response.json["version"] == 2
    assert response.headers["Location"].endswith("/rulebooks/songsong-2019/versions/2")

    listed = department.auditor.get("/rulebooks").json
    assert [(v["rulebook_id"], v["version"]) for v in listed["versions"]] == [
        ("songsong-2019", 1),
        ("songsong-2019", 2),
    ]
    assert listed["in_force"]["version"] == 1  # v2 starts next month
    shown = department.auditor.get("/rulebooks/songsong-2019/versions/2").json
    assert shown["effective_from"] == NEXT_MONTH
    assert shown["document"]["categories"][1]["items"][-1]["points"] == "-4"
    assert (
        department.auditor.get("/rulebooks/songsong-2019/versions/9").status_code == 404
    )


def test_an_invalid_rulebook_is_refused_naming_the_path_and_nothing_is_stored(
    department,
):
    document = songsong()
    document["categories"][1]["items"][0]["points"] = (
        "5"  # a bonus in a deduct category
    )
    before = department.event_count()
    response = department.admin.post(
        "/rulebooks", json={"rulebook": document, "effective_from": NEXT_MONTH}
    )
    assert response.status_code == 422
    assert "rulebook.categories.1.items.0.points" in response.json["errors"]
    assert department.event_count() == before


def test_a_version_reaching_into_the_past_must_go_through_a_rebuild(department):
    response = department.admin.post(
        "/rulebooks", json={"rulebook": songsong("-5"), "effective_from": "2026-09"}
    )
    assert response.status_code == 422
    assert "rebuild" in response.json["errors"]["effective_from"][0]


def test_only_admins_publish_preview_or_rebuild(department):
    supervisor = department.client_for("sup", Role.SUPERVISOR, "t1")
    body = {"rulebook": songsong(), "effective_from": NEXT_MONTH}
    assert supervisor.post("/rulebooks", json=body).status_code == 403
    assert department.auditor.post("/rebuilds", json=body).status_code == 403


def test_previewing_the_rules_in_force_shows_no_change(department):
    setup_complaints(department)
    response = department.admin.post(
        "/rulebooks/preview",
        json={"rulebook": songsong(), "from": "2026-08", "to": "2026-10"},
    )
    assert response.status_code == 200, response.json
    assert response.json["changes"] == []
    assert response.json["summary"]["agent_months_compared"] == 9


def test_a_preview_shows_totals_ranks_and_moves_without_storing_anything(department):
    setup_complaints(department)
    before = department.event_count()
    response = department.admin.post(
        "/rulebooks/preview",
        json={"rulebook": songsong("-5"), "from": "2026-09", "to": "2026-10"},
    )
    preview = response.json
    assert department.event_count() == before
    moves = {
        (m["agent_id"], m["month"]): m["delta"]
        for m in preview["summary"]["largest_moves"]
    }
    assert moves == {("a2", "2026-09"): "-4.00", ("a3", "2026-10"): "-2.00"}
    a2 = next(c for c in preview["changes"] if c["agent_id"] == "a2")
    assert (a2["before"]["total"], a2["after"]["total"]) == ("94.00", "90.00")
    assert a2["after"]["categories"]["business"] == "40.00"
    assert a2["before"]["rulebook"] == "songsong-2019 v1"
    assert a2["after"]["rulebook"] == "songsong-2019 v2"  # the version it would be
    assert preview["rulebook"] == {
        "id": "songsong-2019",
        "version": 2,
        "name": songsong()["name"],
        "candidate": True,
    }
    assert {"in_top_of_month", "in_bottom"} <= a2["after"].keys()
    assert "in_top" not in a2["after"] and "rewarded" not in a2["after"]
    assert preview["months_governed"] == ["2026-09", "2026-10"]
    assert (preview["governs"], preview["kept_by"], preview["warning"]) == (
        {"from": "2026-09", "to": None},
        [],
        None,
    )


def test_a_rebuild_applies_a_past_change_then_switches_and_can_be_switched_back(
    department,
):
    setup_complaints(department)
    before = {m: totals(department, m) for m in ("2026-08", "2026-09", "2026-10")}

    response = department.admin.post(
        "/rebuilds", json={"rulebook": songsong("-5"), "effective_from": "2026-09"}
    )
    assert response.status_code == 202, response.json
    location = response.headers["Location"]
    status = _wait_until_completed(department, location)
    assert status["events_done"] == status["events_total"]
    assert status["result"]["summary"]["agents_changed"] == 2

    department.session.position = status["result"]["position"]
    assert totals(department, "2026-08") == before["2026-08"]
    assert totals(department, "2026-09")["a2"] == before["2026-09"]["a2"] - 4
    assert totals(department, "2026-10")["a3"] == before["2026-10"]["a3"] - 2
    generations = department.admin.get("/read-models").json["generations"]
    assert [(g["generation"], g["live"]) for g in generations] == [
        (1, False),
        (2, True),
    ]

    back = department.admin.post("/read-models/1/activate", json={"reason": "undo"})
    assert back.status_code == 200
    department.session.position = back.json["position"]
    _wait_for_live_generation(department, 1)
    assert totals(department, "2026-09") == before["2026-09"]
    assert department.admin.request("DELETE", "/read-models/1").status_code == 409
    assert department.admin.request("DELETE", "/read-models/2").status_code == 200


def test_a_rebuild_changes_what_its_preview_said_and_later_versions_keep_theirs(
    department,
):
    for agent in ("a1", "a2", "a3", "a4"):
        department.register(agent)
    for agent, day in [
        ("a1", "2026-08-10"), ("a2", "2026-08-11"), ("a2", "2026-08-12"),
        ("a3", "2026-09-10"), ("a4", "2026-10-02"), ("a1", "2026-11-03"),
    ]:  # fmt: skip
        department.deduct(agent, "complaint", day)
    months = ["2026-08", "2026-09", "2026-10", "2026-11"]
    later = department.admin.post(
        "/rebuilds", json={"rulebook": songsong("-4"), "effective_from": "2026-09"}
    )
    department.session.position = _wait_until_completed(
        department, later.headers["Location"]
    )["result"]["position"]  # v2 is in force from 2026-09
    before = {m: totals(department, m) for m in months}

    candidate = {"rulebook": songsong("-5"), "from": "2026-08", "to": "2026-11"}
    preview = department.admin.post("/rulebooks/preview", json=candidate).json
    assert preview["rulebook"]["version"] == 3 and preview["rulebook"]["candidate"]
    assert [
        (s["month"], s["version"], s["candidate"]) for s in preview["scored_under"]
    ] == [
        ("2026-08", 3, True),
        ("2026-09", 2, False),
        ("2026-10", 2, False),
        ("2026-11", 2, False),
    ]
    assert preview["months_governed"] == ["2026-08"]
    assert preview["governs"] == {"from": "2026-08", "to": "2026-08"}
    assert preview["kept_by"] == [
        {"rulebook_id": "songsong-2019", "version": 2, "effective_from": "2026-09"}
    ]
    assert "songsong-2019 v2" in preview["warning"] and "2026-09" in preview["warning"]
    told = {
        (c["agent_id"], c["month"]): Decimal(c["after"]["total"])
        for c in preview["changes"]
        if c["delta"] != "0.00"
    }
    assert told == {("a1", "2026-08"): Decimal(95), ("a2", "2026-08"): Decimal(90)}

    response = department.admin.post(
        "/rebuilds",
        json={"rulebook": songsong("-5"), "effective_from": "2026-08"},
    )
    assert response.status_code == 202, response.json
    for said in ("governs", "kept_by", "warning"):  # warned before it runs
        assert response.json[said] == preview[said], said
    status = _wait_until_completed(department, response.headers["Location"])
    summary = status["result"]["summary"]
    assert summary["months_governed"] == preview["months_governed"]
    for said in ("governs", "kept_by", "warning"):
        assert summary[said] == preview[said], said
    assert summary["agent_months_changed"] == len(told)
    assert summary["months_changed"] == ["2026-08"]

    department.session.position = status["result"]["position"]
    after = {m: totals(department, m) for m in months}
    for month in months:
        for agent, total in after[month].items():
            assert total == told.get((agent, month), before[month][agent])
    assert {m: after[m] for m in months[1:]} == {m: before[m] for m in months[1:]}
    named = {
        m: department.admin.get(f"/rankings/{m}").json["rulebook"]["version"]
        for m in months
    }
    assert named == {"2026-08": 3, "2026-09": 2, "2026-10": 2, "2026-11": 2}


def _wait_until_completed(department, location: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = department.admin.get(location).json
        if status["status"] == "completed":
            return status
        time.sleep(0.05)
    raise AssertionError(f"rebuild not completed: {status}")


def _wait_for_live_generation(department, generation: int) -> None:
    deadline = time.monotonic() + 10
    while department.runtime.live_generation != generation:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_an_agent_cannot_preview_everyones_scores_but_can_read_the_rules(department):
    department.register("a1")
    agent = department.client_for("a1", Role.AGENT)
    body = {"rulebook": songsong(), "from": "2026-09", "to": "2026-09"}
    assert agent.post("/rulebooks/preview", json=body).status_code == 403
    assert agent.get("/rulebooks").status_code == 200
