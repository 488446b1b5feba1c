"""A command's answer says whether the rules in force score the fact it
recorded, and why not: the fact is recorded either way."""

from __future__ import annotations

from domain.access import Role
from domain.month import Month
from tests.api.conftest import awaited
from tests.clock import service_today

THIS_MONTH = Month.of(service_today())
FIRST = THIS_MONTH.first_day.isoformat()
PROMOTION = {"agent_id": "a1", "channel": "moments", "occurred_on": FIRST,
             "reference": "wx-1"}  # fmt: skip
COMPLAINT = {"complaint_no": "C-1", "agent_id": "a1", "occurred_on": FIRST,
             "severity": "normal", "order_no": "", "description": "rude"}  # fmt: skip


def test_a_fact_the_rules_in_force_do_not_score_answers_scored_false_and_why(
    department,
):
    department.register("a1")
    agent = department.client_for("a1", Role.AGENT)
    promoted = agent.post("/promotion-activities", json=PROMOTION)
    assert promoted.status_code == 201, promoted.json
    assert promoted.json["scored"] is False
    assert promoted.json["reason"] == (
        "promo_moments is not a rule item of songsong-2019 v1"
    )
    complained = department.admin.post("/complaints", json=COMPLAINT)
    assert complained.status_code == 201, complained.json
    assert (complained.json["scored"], complained.json["reason"]) == (True, None)
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    placed = supervisor.post(
        "/orders",
        json={"order_no": "O-1", "agent_id": "a1", "case": "customer",
              "amount": "250.00", "occurred_on": FIRST},
    )  # fmt: skip
    assert placed.json["scored"] is False
    assert "no rule item of songsong-2019 v1 reads" in placed.json["reason"]


def test_a_fresh_store_scores_promotion_orders_and_ratings(fresh_edition, department):
    department.register("a1")
    agent = department.client_for("a1", Role.AGENT)
    promoted = agent.post("/promotion-activities", json=PROMOTION)
    assert (promoted.json["scored"], promoted.json["reason"]) == (True, None)
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    placed = supervisor.post(
        "/orders",
        json={"order_no": "O-1", "agent_id": "a1", "case": "customer",
              "amount": "250.00", "occurred_on": FIRST},
    )  # fmt: skip
    assert placed.json["scored"] is True
    processed = supervisor.post(
        "/orders/O-1/steps",
        json={"step": "process", "occurred_on": FIRST, "case": "standard"},
    )
    assert processed.status_code == 201, processed.json
    assert processed.json["scored"] is True
    rated = agent.post(
        "/ratings",
        json={"agent_id": "a1", "month": str(THIS_MONTH), "assessor": "self",
              "dimensions": {"task_completion": "80"}},
    )  # fmt: skip
    assert rated.status_code == 201, rated.json
    # songsong-2019 has no 360 ratings: recorded, but scored by no rule item
    assert rated.json["scored"] is False
    assert rated.json["reason"] == (
        "no rule item of songsong-2019 v2 reads self ratings"
    )


def test_an_import_counts_the_rows_the_rules_in_force_do_not_score(department):
    department.register("a1")
    rows = "agent_id,occurred_on,channel,reference\n" + "".join(
        f"a1,{FIRST},{channel},r-{n}\n"
        for n, channel in enumerate(("moments", "moments", "friends"))
    )
    answer = department.admin.post(
        "/imports/promotion", data=rows.encode(), content_type="text/csv"
    )
    result = awaited(department.admin, answer)["result"]
    assert (result["recorded"], result["unscored"]) == (3, 3)
    assert (
        "promo_moments is not a rule item of songsong-2019 v1"
        in (result["unscored_reasons"])
    )
    complaints = "agent_id,occurred_on,complaint_no\na1," + FIRST + ",C-9\n"
    answer = department.admin.post(
        "/imports/complaints", data=complaints.encode(), content_type="text/csv"
    )
    result = awaited(department.admin, answer)["result"]
    assert (result["recorded"], result["unscored"], result["unscored_reasons"]) == (
        1,
        0,
        [],
    )
