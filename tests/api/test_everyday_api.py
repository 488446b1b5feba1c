"""Everyday answers, on both backends: what a user expects of months without
facts, unknown teams, leave days, local times and explanations."""

from __future__ import annotations

from tests.api.conftest import awaited
from tests.clock import service_today

TODAY = service_today()
FIRST = TODAY.replace(day=1)  # in the current month, never in the future
CLOCK = "agent_id,occurred_on,late_minutes,early_leave_minutes,leave_days"


def imported(department, kind, csv):
    answer = department.admin.post(
        f"/imports/{kind}", data=csv, content_type="text/csv"
    )
    job = awaited(department.admin, answer)
    assert job["status"] == "completed", job
    return job["result"]


# Leave days: 0, 0.5 or 1


def test_a_fraction_of_a_leave_day_other_than_a_half_is_refused_naming_the_field(
    department,
):
    department.register("a1")
    department.register("a2")
    rows = [f"a1,{FIRST},0,0,0.7", f"a2,{FIRST},0,0,0.5"]

    result = imported(department, "clock", "\n".join([CLOCK, *rows]) + "\n")

    assert (result["recorded"], result["rejected"]) == (1, 1)
    (error,) = result["errors"]
    assert (error["row"], error["field"]) == (1, "leave_days")
    assert "0.7 is not 0, 0.5 or 1" in error["message"]
