"""Chinese as a department on Chinese Windows, Excel and WeCom meets it: JSON
that shows names as written. On both backends."""

from __future__ import annotations

from domain.clock import company_today

FIRST = company_today()().replace(day=1)  # in the current month, never in the future


def test_json_answers_carry_chinese_names_as_utf_8_not_escapes(department):
    department.register("a1", name="张伟")

    answer = department.admin.get("/agents/a1")

    assert answer.content_type == "application/json; charset=utf-8"
    assert "张伟".encode() in answer.data
    assert b"\\u" not in answer.data


def test_problems_name_chinese_fields_as_utf_8_not_escapes(department):
    department.register("a1")
    body = {"agent_id": "a1", "item": "complaint", "occurred_on": str(FIRST)}

    refused = department.admin.post("/deductions", json={**body, "备注": "迟到"})

    assert refused.status_code == 422
    assert '"备注"'.encode() in refused.data
    assert b"\\u" not in refused.data
