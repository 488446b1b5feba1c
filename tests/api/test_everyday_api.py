"""Everyday answers, on both backends: what a user expects of months without
facts, unknown teams, leave days and local times."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from domain.month import Month
from tests.clock import service_today

TODAY = service_today()
THIS_MONTH = Month.of(TODAY)
FIRST = TODAY.replace(day=1)  # in the current month, never in the future
CLOCK = "agent_id,occurred_on,late_minutes,early_leave_minutes,leave_days"


# Leave days: 0, 0.5 or 1


def test_a_fraction_of_a_leave_day_other_than_a_half_is_refused_naming_the_field(
    department,
):
    department.register("a1")
    department.register("a2")
    rows = [f"a1,{FIRST},0,0,0.7", f"a2,{FIRST},0,0,0.5"]

    result = department.imported("clock", "\n".join([CLOCK, *rows]) + "\n")

    assert (result["recorded"], result["rejected"]) == (1, 1)
    (error,) = result["errors"]
    assert (error["row"], error["field"]) == (1, "leave_days")
    assert "0.7 is not 0, 0.5 or 1" in error["message"]


# Months without facts, and months to come


def test_a_month_still_to_come_is_not_found_rather_than_ranked_at_full_marks(
    department,
):
    department.register("a1")

    for path in (
        f"/rankings/{THIS_MONTH.next()}",
        "/rankings/2099-01",
        f"/agents/a1/scorecards/{THIS_MONTH.next()}",
        f"/agents/a1/scorecards/{THIS_MONTH.next()}/explain",
    ):
        answer = department.admin.get(path)
        assert answer.status_code == 404, (path, answer.json)
        assert answer.json["code"] == "not_found"
        assert "has not begun" in answer.json["errors"]["month"][0]
    assert department.admin.get("/rankings/2101-01").status_code == 400  # not a month
    assert department.admin.get(f"/rankings/{THIS_MONTH}").status_code == 200


def test_a_month_without_facts_ranks_nobody_and_says_why(department):
    department.register("a1")
    department.register("a2")
    last_month = THIS_MONTH.previous()

    empty = department.auditor.get(f"/rankings/{last_month}").json
    running = department.auditor.get(f"/rankings/{THIS_MONTH}").json
    deducted = department.deduct("a2", "complaint", str(last_month.first_day))
    ranked = department.auditor.get(f"/rankings/{last_month}").json
    before = department.auditor.get(
        f"/rankings/{last_month}?position={deducted['position'] - 1}"
    ).json

    assert empty["entries"] == []
    assert empty["note"] == f"No fact of {last_month} is recorded: nothing to rank."
    assert running["entries"] == []
    assert running["note"].endswith("is recorded yet: nothing to rank.")
    assert [e["agent_id"] for e in ranked["entries"]] == ["a1", "a2"]
    assert [e["rank"] for e in ranked["entries"]] == [1, 2]
    assert ranked["note"] is None
    assert before["entries"] == []
    assert "by position" in before["note"]


# Teams


def test_an_unknown_team_is_refused_naming_it_not_answered_with_nobody(department):
    department.register("a1", team="presales")
    month = THIS_MONTH

    for path in ("/agents?team=nosuch", f"/rankings/{month}?team=nosuch"):
        answer = department.auditor.get(path)
        assert answer.status_code == 422, (path, answer.json)
        assert answer.json["code"] == "unknown_reference"
        (message,) = answer.json["errors"]["team"]
        assert "'nosuch'" in message and "presales" in message
    listed = department.auditor.get("/agents?team=presales").json["agents"]
    assert [a["agent_id"] for a in listed] == ["a1"]
    assert department.auditor.get(f"/rankings/{month}?team=presales").status_code == 200


# as_of: an offset, or the company's local time


def test_as_of_without_an_offset_is_the_company_s_local_time(department):
    department.register("a1")
    deducted = department.deduct("a1", "complaint", FIRST.isoformat())
    recorded = datetime.fromisoformat(deducted["recorded_at"])
    local = recorded.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    path = f"/agents/a1/scorecards/{THIS_MONTH}"

    def read_as_of(moment: datetime) -> int:
        answer = department.auditor.get(f"{path}?as_of={quote(moment.isoformat())}")
        assert answer.status_code == 200, answer.json
        return answer.json["position"]

    # Read as UTC, a second before the deduction (Shanghai time) would be
    # eight hours after it.
    assert read_as_of(local - timedelta(seconds=1)) < deducted["position"]
    assert read_as_of(local + timedelta(seconds=1)) >= deducted["position"]
    with_offset = recorded + timedelta(seconds=1)
    assert read_as_of(with_offset) >= deducted["position"]
    ranking = department.auditor.get(
        f"/rankings/{THIS_MONTH}?as_of={(local - timedelta(seconds=1)).isoformat()}"
    )
    assert ranking.status_code == 200
    assert department.auditor.get(f"{path}?as_of=2026-11-03T10:00").status_code == 422
