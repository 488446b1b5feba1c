"""The service stays up under bad input and races, on both backends: text the
store cannot keep is refused field by field, months and dates are ASCII ISO
within the accepted range, concurrent conflicting commands get 409, and a
month's close is final."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest

from domain.access import Role
from domain.month import Month
from tests.api.conftest import awaited
from tests.clock import service_today

TODAY = service_today()
MONTH = str(Month.of(TODAY))
DAY = Month.of(TODAY).first_day.isoformat()
NUL, SURROGATE = "\u0000", "\ud800"


def raw_post(api, path: str, text: str):
    """POST a JSON text as written (json.dumps escapes what we want to send)."""
    return api.post(path, data=text, content_type="application/json")


def refused(response, status: int, field: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    assert field in response.json["errors"], response.json


def a_deduction(department) -> str:
    department.register("a1")
    department.register("a2")
    return department.deduct("a1", "complaint", DAY)["deduction_id"]


def test_a_dispute_with_nul_in_its_reason_is_refused_and_the_read_side_stays_up(
    department,
):
    deduction = a_deduction(department)
    before = department.event_count()

    answer = department.admin.post(
        f"/deductions/{deduction}/disputes", json={"reason": f"r{NUL}"}
    )

    refused(answer, 422, "reason")
    assert "NUL" in answer.json["errors"]["reason"][0]
    assert department.event_count() == before
    later = department.deduct("a2", "slow_reply", DAY)  # the read side still folds
    department.session.position = later["position"]
    card = department.admin.get(f"/agents/a2/scorecards/{MONTH}")
    assert card.status_code == 200
    health = department.anonymous.get("/health")
    assert health.status_code == 200, health.json
    assert health.json["lag"] == 0


# Every text field, however it arrives, follows one rule.
TEXT_INPUTS = [
    ("/agents", {"agent_id": "a9", "name": "N{}", "team": "t1", "supervisor": "s"},
     "name"),
    ("/deductions", {"agent_id": "a1", "item": "complaint", "occurred_on": DAY,
                     "note": "x{}"}, "note"),
    ("/deductions", {"agent_id": "a1", "item": "complaint", "occurred_on": DAY,
                     "evidence_ref": "e{}"}, "evidence_ref"),
    ("/complaints", {"complaint_no": "C{}", "agent_id": "a1", "occurred_on": DAY},
     "complaint_no"),
    ("/promotion-activities", {"agent_id": "a1", "channel": "friends",
                               "occurred_on": DAY, "reference": "r{}"}, "reference"),
    ("/ratings", {"agent_id": "a1", "month": MONTH, "assessor": "supervisor",
                  "dimensions": {"performance": "50", "ability": "60"},
                  "comment": "c{}"}, "comment"),
    ("/periods/2026-09/reopen", {"reason": "r{}"}, "reason"),
    ("/calendar/closed-days", {"day": DAY, "reason": "r{}"}, "reason"),
]  # fmt: skip


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(("path", "body", "field"), TEXT_INPUTS)
def test_text_the_store_cannot_keep_is_refused_naming_the_field(
    department, bad, path, body, field
):
    department.register("a1")
    before = department.event_count()
    text = json.dumps(body).replace("{}", json.dumps(bad)[1:-1])

    answer = raw_post(department.admin, path, text)

    refused(answer, 422, field)
    assert department.event_count() == before


def test_an_agent_gets_the_same_answer_for_a_bad_self_rating(department):
    department.register("a1")
    agent = department.client_for("a1", Role.AGENT)
    body = {"agent_id": "a1", "month": MONTH, "assessor": "self",
            "dimensions": {"task_completion": "80"},
            "comment": "ok\\ud800"}  # fmt: skip
    refused(raw_post(agent, "/ratings", json.dumps(body).replace("\\\\", "\\")),
            422, "comment")  # fmt: skip


def test_a_path_with_nul_or_a_bad_key_is_refused_not_a_server_error(department):
    department.register("a1")
    refused(department.admin.get("/agents/a%00b"), 422, "agent_id")
    nested = '{"reason": "r", "evidence": "e", "x\\u0000": 1}'
    refused(raw_post(department.admin, "/periods/2026-09/reopen", nested), 422,
            "x\\u0000")  # fmt: skip


def test_a_jsonl_import_row_with_a_lone_surrogate_is_rejected_by_row_and_field(
    department,
):
    department.register("a1")
    before = department.event_count()
    row = {"agent_id": "a1", "date": DAY, "complaint": "C1", "severity": "normal",
           "order_no": "", "description": "bad \\ud800"}  # fmt: skip
    line = json.dumps(row).replace("\\\\", "\\")

    answer = department.admin.post(
        "/imports/complaints", data=line + "\n", content_type="application/x-ndjson"
    )

    result = awaited(department.admin, answer)["result"]
    assert result["rejected"] == 1
    assert result["errors"][0]["field"] == "description"
    assert department.event_count() == before


# Months, dates and quarters: ASCII ISO within the accepted range, or refused.

BAD_PATHS = [
    "/rankings/9999-12", "/periods/9999-12", "/quarters/9999-Q4/rewards",
    "/quarters/0000-Q1/rewards", "/periods/\uff12\uff10\uff12\uff16-\uff11\uff10",
    "/rankings/1999-12", "/agents/a1/scorecards/0001-01", "/payroll/9999-12.csv",
]  # fmt: skip


@pytest.mark.parametrize("path", BAD_PATHS)
def test_a_month_or_quarter_outside_the_range_or_not_ascii_is_a_400(department, path):
    department.register("a1")
    answer = department.admin.get(path)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    ["/periods/9999-12/close", "/periods/\uff12\uff10\uff12\uff16-\uff11\uff10/close"],
)
def test_closing_a_month_that_is_not_one_changes_nothing(department, path):
    before = department.event_count()
    answer = department.admin.post(path)
    assert answer.status_code == 400
    assert department.event_count() == before
    assert department.admin.get("/periods/2026-10").json["status"] == "open"


BAD_DATES = [
    ("/deductions", {"agent_id": "a1", "item": "complaint"}, "occurred_on",
     ["20261120", "0001-01-01", "9999-12-31", "\uff12\uff10\uff12\uff16-10-01",
      "2026-10-01T00:00:00"]),
    ("/agents", {"agent_id": "a8", "name": "N", "team": "t1", "supervisor": "s"},
     "joined_on", ["0001-01-01", "9999-01-01", "20260101"]),
    ("/agents/a1/leave", {}, "left_on", ["0001-01-01", "9999-12-31"]),
    ("/calendar/closed-days", {"reason": "r"}, "day", ["0001-01-01", "9999-12-31"]),
    ("/rulebooks", {"rulebook": None}, "effective_from", ["0001-01", "9999-12"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "field", "value"),
    [(p, b, f, v) for p, b, f, values in BAD_DATES for v in values],
)
def test_dates_outside_the_range_or_not_iso_are_refused(
    department, path, body, field, value
):
    from domain.rulebook import shipped_document

    department.register("a1")
    before = department.event_count()
    sent = {**body, field: value}
    if "rulebook" in sent:
        sent["rulebook"] = shipped_document("songsong-2019")

    answer = department.admin.post(path, json=sent)

    refused(answer, 422, field)
    assert department.event_count() == before


# Races


def test_ten_parallel_resolutions_of_one_dispute_give_one_answer_and_nine_409s(
    department,
):
    deduction = a_deduction(department)
    disputed = department.admin.post(
        f"/deductions/{deduction}/disputes", json={"reason": "wrong agent"}
    )
    assert disputed.status_code == 201, disputed.json
    department.session.position = disputed.json["position"]
    clients = [department.client_for(f"admin{i}", Role.ADMIN) for i in range(10)]
    gate = threading.Barrier(len(clients))
    statuses: list[int] = []

    def resolve(client) -> None:
        gate.wait()
        answer = client.post(
            f"/deductions/{deduction}/disputes/resolution",
            json={"outcome": "overturned"},
        )
        statuses.append(answer.status_code)
        if answer.status_code != 200:
            assert answer.content_type == "application/problem+json"

    threads = [threading.Thread(target=resolve, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == {200: 1, 409: 9}, statuses


ROUNDS = 20


def test_a_fact_racing_a_close_is_either_counted_or_refused_never_lost(department):
    """30 deductions released together, the close 20 ms after: each deduction
    is answered 201 and counted, or 409 naming the close. Twenty rounds, one
    past month each."""
    for team in ("t1", "t2", "t3"):
        for n in range(10):
            department.register(f"{team}-{n}", team=team, joined_on="2020-01-01")
    months = [Month(2024, 1)]
    while len(months) < ROUNDS:
        months.append(months[-1].next())
    late = []
    for month in months:
        late += race(department, month)
    assert late == []


def race(department, month: Month) -> list[str]:
    agents = [f"{team}-{n}" for team in ("t1", "t2", "t3") for n in range(10)]
    clients = [department.client_for(f"sup-{a}", Role.ADMIN) for a in agents]
    closer = department.client_for("closer", Role.ADMIN)
    gate = threading.Barrier(len(agents) + 1)
    answers: dict[str, object] = {}
    day = month.first_day.replace(day=10).isoformat()

    def deduct(client, agent: str) -> None:
        gate.wait()
        answers[agent] = client.post(
            "/deductions", json={"agent_id": agent, "item": "complaint",
                                 "occurred_on": day},
        )  # fmt: skip

    def close() -> None:
        gate.wait()
        time.sleep(0.02)
        answers["close"] = closer.post(f"/periods/{month}/close")

    threads = [threading.Thread(target=deduct, args=(c, a))
               for c, a in zip(clients, agents, strict=True)]  # fmt: skip
    threads.append(threading.Thread(target=close))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    closed = answers.pop("close")
    assert closed.status_code == 200, closed.json
    department.session.position = max(department.session.position,
                                       closed.json["position"])  # fmt: skip
    late = []
    for agent, answer in answers.items():
        if answer.status_code == 201:
            card = department.admin.get(f"/agents/{agent}/scorecards/{month}").json
            if Decimal(card["total"]) != Decimal("97.00"):
                late.append(f"{month} {agent}: 201 but not counted")
            if answer.json["position"] > closed.json["position"]:
                late.append(f"{month} {agent}: 201 after the close")
        else:
            assert answer.status_code == 409, answer.json
            assert f"{month} period is closed" in answer.json["detail"]
    return late


@pytest.mark.parametrize("store_config", ["sqlite"], indirect=True)
def test_a_read_does_not_wait_behind_a_catch_up_another_thread_runs(department):
    """On the embedded default each request catches the read models up; while
    another thread of the process is doing that (an import's job, a long
    catch-up), a read answers what the read models hold instead of waiting."""
    department.register("a1")
    department.deduct("a1", "complaint", "2026-10-05")
    runtime = department.runtime
    lock = runtime._lock_for(runtime.view)
    answers: list[int] = []
    with lock:  # another thread's catch-up, taking its time
        reader = threading.Thread(
            target=lambda: answers.append(
                department.admin.get("/rankings/2026-10").status_code
            )
        )
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive()
    assert answers == [200]
