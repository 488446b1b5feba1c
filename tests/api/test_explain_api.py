"""Explanations say what each fact was (a deduction's note and evidence, a
complaint's number and text) and what a correction replaced; on both backends."""

from __future__ import annotations

from domain.month import Month
from domain.rulebook import shipped_document
from tests.clock import service_today

TODAY = service_today()
THIS_MONTH = Month.of(TODAY)
FIRST = TODAY.replace(day=1)  # in the current month, never in the future


CHAT = (
    "agent_id,occurred_on,consultations,conversions,avg_response_seconds,customers_lost"
)


def explained(department, agent_id="a1"):
    path = f"/agents/{agent_id}/scorecards/{THIS_MONTH}/explain"
    answer = department.auditor.get(path)
    assert answer.status_code == 200, answer.json
    return answer.json["entries"]


def test_explain_lines_show_what_each_fact_was(department):
    department.register("a1")
    deducted = department.deduct(
        "a1", "complaint", FIRST.isoformat(), note="rude reply", evidence_ref="T-9"
    )
    complaint = department.admin.post(
        "/complaints",
        json={"complaint_no": "C-1", "agent_id": "a1", "occurred_on": FIRST.isoformat(),
              "order_no": "O-7", "description": "hung up on the customer"},
    )  # fmt: skip
    assert complaint.status_code == 201, complaint.json

    entries = {e["position"]: e for e in explained(department)}

    by_deduction = entries[deducted["position"]]
    assert by_deduction["detail"]["note"] == "rude reply"
    assert by_deduction["detail"]["evidence_ref"] == "T-9"
    assert "note: rude reply; evidence_ref: T-9" in by_deduction["what"]
    assert by_deduction["facts"][0]["detail"] == by_deduction["detail"]
    by_complaint = entries[complaint.json["position"]]
    assert by_complaint["detail"]["complaint"] == "C-1"
    assert by_complaint["detail"]["order_no"] == "O-7"
    assert by_complaint["detail"]["description"] == "hung up on the customer"
    assert "hung up on the customer" in by_complaint["what"]


def test_a_corrected_chat_row_shows_in_explain_with_what_it_replaced(department):
    department.register("a1")
    first = department.imported("chat", f"{CHAT}\na1,{FIRST},10,3,20,0\n")
    second = department.imported("chat", f"{CHAT}\na1,{FIRST},10,6,20,0\n")
    assert second["corrected"] == 1

    entries = explained(department)

    gone = [e for e in entries if e["position"] == first["position"]]
    assert {e["item"] for e in gone} == {
        "conversion_rate", "response_seconds", "churn_rate",
    }  # fmt: skip
    assert all(
        e["status"] == f"superseded at position {second['position']}" for e in gone
    )
    assert "conversion_rate no longer counts: 3/10" in [e["what"] for e in gone]
    (correction,) = [e for e in entries if e["position"] == second["position"]]
    assert correction["replaces"] == [first["position"]]
    assert correction["status"] == "not scored"  # the default rules read no chat
    assert correction["detail"]["conversion_rate"]["numerator"] == "6"
    assert "conversion_rate 6/10" in correction["what"]
    assert f"corrects position {first['position']}" in correction["what"]


def test_a_corrected_chat_row_that_is_scored_names_what_it_replaced(department):
    published = department.admin.post(
        "/rulebooks",
        json={"rulebook": shipped_document("online-cs"),
              "effective_from": str(THIS_MONTH)},
    )  # fmt: skip
    assert published.status_code == 201, published.json
    department.register("a1")
    first = department.imported("chat", f"{CHAT}\na1,{FIRST},10,3,20,0\n")
    second = department.imported("chat", f"{CHAT}\na1,{FIRST},10,6,20,0\n")

    entries = explained(department)

    (line,) = [e for e in entries if e["item"] == "conversion_rate"
               and e["status"] == "counted"]  # fmt: skip
    (fact,) = line["facts"]
    assert fact["position"] == second["position"]
    assert fact["replaces"] == [first["position"]]
    assert fact["detail"] == {"numerator": "6", "denominator": "10"}
    assert f"corrects position {first['position']}" in line["what"]
