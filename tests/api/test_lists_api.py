"""Lists through the API, on both backends: deductions, disputes and rebuilds
by filter, in pages, as each role may see them."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from tests.clock import service_today

MONTH = Month.of(service_today())
DAY = MONTH.first_day.isoformat()
EARLIER = MONTH.previous()
EARLIER_DAY = EARLIER.first_day.isoformat()


def every_page(client: Any, path: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following its ``next`` links; and the pages read."""
    key = path.partition("?")[0].strip("/")
    items: list[dict[str, Any]] = []
    pages = 0
    following: str | None = path
    while following is not None:
        answer = client.get(following)
        assert answer.status_code == 200, answer.json
        items += answer.json[key]
        following = answer.json["next"]
        pages += 1
    return items, pages


@pytest.fixture
def teams(department):
    """a1, a2 of t1 and b1 of t2, with deductions of both months."""
    for agent, team in (("a1", "t1"), ("a2", "t1"), ("b1", "t2")):
        department.register(agent, team=team, joined_on="2020-01-06")
    recorded = {
        "a1": [department.deduct("a1", "complaint", DAY) for _ in range(3)],
        "a2": [department.deduct("a2", "slow_reply", EARLIER_DAY)],
        "b1": [department.deduct("b1", "complaint", DAY) for _ in range(2)],
    }
    return {
        agent: [d["deduction_id"] for d in found] for agent, found in recorded.items()
    }


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["deduction_id"] for item in items]


def test_deductions_are_listed_newest_first_in_pages_without_repeats_or_gaps(
    department, teams
):
    everything = [d for found in teams.values() for d in found]
    items, pages = every_page(department.auditor, "/deductions?limit=2")
    assert pages == 3
    assert len(ids(items)) == len(set(ids(items))) == len(everything)
    assert set(ids(items)) == set(everything)
    positions = [item["position"] for item in items]
    assert positions == sorted(positions, reverse=True)


def test_a_deduction_recorded_between_two_pages_neither_repeats_nor_hides_one(
    department, teams
):
    first = department.auditor.get("/deductions?limit=3").json
    later = department.deduct("a1", "complaint", DAY)["deduction_id"]
    rest, _ = every_page(department.auditor, first["next"])
    seen = ids(first["deductions"]) + ids(rest)
    assert later not in seen  # newer than the first page: on a new first page
    assert sorted(seen) == sorted(d for found in teams.values() for d in found)


def test_deductions_are_filtered_by_agent_team_month_item_and_status(department, teams):
    auditor = department.auditor

    def listed(query: str) -> set[str]:
        answer = auditor.get(f"/deductions?{query}")
        assert answer.status_code == 200, answer.json
        return set(ids(answer.json["deductions"]))

    assert listed("agent_id=a1") == set(teams["a1"])
    assert listed("team=t1") == set(teams["a1"] + teams["a2"])
    assert listed(f"month={EARLIER}") == set(teams["a2"])
    assert listed("item=complaint&team=t2") == set(teams["b1"])
    assert listed("status=standing") == {d for found in teams.values() for d in found}
    assert listed("status=disputed") == set()
    item = auditor.get("/deductions?agent_id=a2").json["deductions"][0]
    assert (item["team"], item["month"], item["item"]) == (
        "t1",
        str(EARLIER),
        "slow_reply",
    )


def test_a_deduction_s_status_follows_its_disputes(department, teams):
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    overturned, disputed, _ = teams["a1"]
    for deduction in (overturned, disputed):
        answer = supervisor.post(
            f"/deductions/{deduction}/disputes", json={"reason": "not a1"}
        )
        assert answer.status_code == 201, answer.json
    resolved = department.admin.post(
        f"/deductions/{overturned}/disputes/resolution", json={"outcome": "overturned"}
    )
    assert resolved.status_code == 200, resolved.json
    department.session.position = resolved.json["position"]
    listed = {
        d["deduction_id"]: d["status"]
        for d in department.auditor.get("/deductions?agent_id=a1").json["deductions"]
    }
    assert (listed[overturned], listed[disputed]) == ("overturned", "disputed")
    only = department.auditor.get("/deductions?status=disputed").json["deductions"]
    assert ids(only) == [disputed]
    # One deduction reads as the list shows it, also once overturned.
    for deduction, status in ((overturned, "overturned"), (disputed, "disputed")):
        one = department.auditor.get(f"/deductions/{deduction}")
        assert one.status_code == 200, one.json
        assert (one.json["status"], one.json["team"]) == (status, "t1")


def test_each_role_lists_only_the_deductions_it_may_read(department, teams):
    own_team = set(teams["a1"] + teams["a2"])
    everyone = own_team | set(teams["b1"])
    for client in (
        department.admin,
        department.auditor,
        department.client_for("rev", Role.REVIEWER),
    ):
        assert set(ids(every_page(client, "/deductions")[0])) == everyone
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    assert set(ids(every_page(supervisor, "/deductions")[0])) == own_team
    agent = department.client_for("a1", Role.AGENT)
    assert set(ids(every_page(agent, "/deductions")[0])) == set(teams["a1"])
    assert set(ids(every_page(agent, "/deductions?team=t1")[0])) == set(teams["a1"])


def test_naming_another_team_or_its_agent_is_refused(department, teams):
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    for query in ("team=t2", "agent_id=b1"):
        answer = supervisor.get(f"/deductions?{query}")
        assert (answer.status_code, answer.json["code"]) == (403, "not_permitted")
    agent = department.client_for("a1", Role.AGENT)
    assert agent.get("/deductions?agent_id=a2").status_code == 403


@pytest.mark.parametrize(
    ("after", "code"),
    [
        ("x", "unknown_reference"),  # cursor-shaped: names no item
        ("LTE", "unknown_reference"),
        ("YWJj", "unknown_reference"),
        ("MTIz=", "validation_failed"),  # not even cursor-shaped
        ("A" * 25, "validation_failed"),
    ],
)
def test_a_cursor_that_no_next_link_gave_is_refused(department, after, code):
    answer = department.auditor.get(f"/deductions?after={after}")
    assert (answer.status_code, answer.json["code"]) == (422, code)
    assert "after" in answer.json["errors"]


@pytest.mark.parametrize("limit", ["0", "501", "x"])
def test_a_page_holds_1_to_500_items(department, limit):
    answer = department.auditor.get(f"/deductions?limit={limit}")
    assert answer.status_code == 422
    assert "limit" in answer.json["errors"]


def dispute(supervisor: Any, deduction: str) -> Any:
    answer = supervisor.post(f"/deductions/{deduction}/disputes", json={"reason": "no"})
    assert answer.status_code == 201, answer.json
    return answer


def test_a_dispute_answers_its_id_and_deadline_and_its_location_reads_it(
    department, teams
):
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    deduction = teams["a1"][0]
    opened = dispute(supervisor, deduction)
    body = opened.json
    assert body["dispute_id"] == f"{deduction}:1"
    assert (body["deduction_id"], body["number"]) == (deduction, 1)
    location = opened.headers["Location"]
    assert location == f"/deductions/{deduction}/disputes/1"
    found = department.auditor.get(location)
    assert found.status_code == 200, found.json
    assert (found.json["dispute_id"], found.json["deadline"]) == (
        body["dispute_id"],
        body["deadline"],
    )
    assert department.client_for("a1", Role.AGENT).get(location).status_code == 200
    assert department.client_for("a2", Role.AGENT).get(location).status_code == 404
    assert (
        department.auditor.get(f"/deductions/{deduction}/disputes/2").status_code == 404
    )


def test_disputes_are_listed_by_state_and_deadline_in_pages(department, teams):
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    first, second, third = teams["a1"]
    deadline = dispute(supervisor, first).json["deadline"]
    for deduction in (second, third):
        dispute(supervisor, deduction)
    resolved = department.admin.post(
        f"/deductions/{first}/disputes/resolution", json={"outcome": "upheld"}
    )
    department.session.position = resolved.json["position"]

    def listed(query: str) -> list[str]:
        items, _ = every_page(department.auditor, f"/disputes?{query}")
        return [item["deduction_id"] for item in items]

    assert listed("limit=1&status=all") == [third, second, first]
    assert listed("status=open") == [third, second]
    assert listed("status=resolved") == listed("status=upheld") == [first]
    assert listed("status=overturned") == []
    day_after = (date.fromisoformat(deadline) + timedelta(days=1)).isoformat()
    assert listed(f"status=all&due_before={day_after}") == [third, second, first]
    assert listed(f"status=all&due_before={deadline}") == []
    assert listed("status=all&team=t2") == []
    _, pages = every_page(department.auditor, "/disputes?limit=1&status=all")
    assert pages == 3


def rebuild(department: Any, effective_from: str, **extra: Any) -> dict[str, Any]:
    """Request a rebuild and wait until it completes; its final state."""
    body = {"rulebook": shipped_document("songsong-2019"), **extra}
    answer = department.admin.post(
        "/rebuilds", json=body | {"effective_from": effective_from}
    )
    assert answer.status_code == 202, answer.json
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = department.admin.get(answer.headers["Location"]).json
        if found["status"] == "completed":
            department.session.position = found["result"]["position"]
            return found
        time.sleep(0.05)
    raise AssertionError(f"rebuild not completed: {found}")


def test_a_rebuild_keeps_its_reason_and_its_generation_says_who_when_and_why(
    department,
):
    done = rebuild(department, str(EARLIER), reason="complaints were mis-keyed")
    assert done["reason"] == "complaints were mis-keyed"
    assert (done["rulebook_id"], done["effective_from"]) == (
        "songsong-2019",
        str(EARLIER),
    )
    assert done["version"] > 1  # a new version of the shipped rulebook
    assert (done["requested_by"], done["generation"], done["parent"]) == ("admin", 2, 1)
    listed = department.auditor.get("/read-models").json["generations"]
    first, second = listed
    assert first["rebuild"] is None
    assert second["rebuild"] == {k: done[k] for k in second["rebuild"]}
    assert second["rebuild"]["requested_at"] == done["requested_at"]


def test_rebuilds_are_listed_newest_first_in_pages(department):
    first = rebuild(department, str(EARLIER))
    second = rebuild(department, str(MONTH), reason="second thoughts")
    assert first["reason"] is None
    items, pages = every_page(department.auditor, "/rebuilds?limit=1")
    assert pages == 2
    assert [i["rebuild_id"] for i in items] == [
        second["rebuild_id"],
        first["rebuild_id"],
    ]
    assert [i["reason"] for i in items] == ["second thoughts", None]
    assert department.client_for("a1", Role.AGENT).get("/rebuilds").status_code == 403


@pytest.mark.parametrize("path", ["/deductions", "/disputes"])
def test_a_team_nobody_is_registered_in_is_named_not_listed_empty(
    department, teams, path
):
    answer = department.auditor.get(f"{path}?team=nosuch")
    assert (answer.status_code, answer.json["code"]) == (422, "unknown_reference")
    assert "nosuch" in answer.json["errors"]["team"][0]
    assert department.auditor.get(f"{path}?team=t1").status_code == 200
