"""Answers in the reader's language: Accept-Language chooses zh-CN or English
for problem titles, details and field messages, and for rule item names; no
header gives English, as the API always answered. On both backends."""

from __future__ import annotations

import re

import pytest

from domain.month import Month
from domain.rulebook import shipped_document
from projections.health import ReadTimeoutError, StalledError
from tests.api.conftest import awaited
from tests.clock import service_today
from web.errors import handle_read_timeout

TODAY = service_today()
FUTURE = str(TODAY.replace(year=TODAY.year + 1))
HAN = re.compile("[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def chinese(text: str) -> bool:
    return HAN.search(text) is not None


def refused_fields(department, headers):
    """A deduction with a bad date and an unknown field: 422 by marshmallow."""
    body = {"agent_id": "a1", "item": "complaint", "occurred_on": "2026-13-01"}
    return department.admin.post(
        "/deductions", json={**body, "points": "3"}, headers=headers
    )


def test_a_validation_problem_is_in_chinese_when_zh_cn_is_asked_for(department):
    department.register("a1")

    answer = refused_fields(department, ZH)

    assert answer.status_code == 422
    problem = answer.json
    assert problem["title"] == "无法处理的内容"
    assert problem["detail"] == "请求中有无效字段。"
    assert problem["errors"]["points"] == ["未知字段。"]
    assert all(chinese(m) for ms in problem["errors"].values() for m in ms)
    assert problem["code"] == "validation_failed"  # codes are never translated
    assert answer.headers["Content-Language"] == "zh-CN"


def test_the_same_problem_is_in_english_when_en_is_asked_for(department):
    department.register("a1")

    answer = refused_fields(department, EN)

    problem = answer.json
    assert problem["title"] == "Unprocessable Entity"
    assert problem["detail"] == "The request has invalid fields."
    assert problem["errors"]["points"] == ["Unknown field."]
    assert not chinese(answer.get_data(as_text=True))
    assert answer.headers["Content-Language"] == "en"


def test_without_accept_language_the_answer_is_english(department):
    department.register("a1")

    answer = refused_fields(department, None)

    assert answer.json["detail"] == "The request has invalid fields."
    assert answer.headers["Content-Language"] == "en"
    assert "Accept-Language" in answer.headers["Vary"]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.5", "en"),
        ("fr", "en"),
        ("*", "en"),
    ],
)
def test_the_best_match_of_accept_language_chooses(department, header, language):
    answer = department.admin.get("/agents/nobody", headers={"Accept-Language": header})

    assert answer.headers["Content-Language"] == language


def test_a_domain_refusal_is_formatted_from_its_translated_template(department):
    department.register("a1")
    body = {"agent_id": "a1", "item": "complaint", "occurred_on": FUTURE}

    zh = department.admin.post("/deductions", json=body, headers=ZH)
    en = department.admin.post("/deductions", json=body, headers=EN)

    assert zh.status_code == en.status_code == 422
    assert en.json["detail"] == f"{FUTURE} is in the future"
    assert zh.json["detail"] == f"{FUTURE} 是未来的日期"
    assert zh.json["errors"] == {"occurred_on": [f"{FUTURE} 是未来的日期"]}
    assert zh.json["title"] == "无法处理的内容"


def test_a_marshmallow_message_with_values_is_translated_with_them(department):
    department.register("a1")
    body = {"agent_id": "a1", "item": "complaint", "occurred_on": str(TODAY)}

    zh = department.admin.post("/deductions", json={**body, "quantity": 0}, headers=ZH)

    (message,) = zh.json["errors"]["quantity"]
    assert chinese(message), message
    assert re.search(r"\d", message), message  # the bound is kept


def test_an_authentication_problem_is_in_the_asked_language(department):
    answer = department.anonymous.get("/agents", headers=ZH)

    assert answer.status_code == 401
    assert answer.json["title"] == "未认证"
    assert chinese(answer.json["detail"])


def lines_of(scorecard):
    return [line for c in scorecard["categories"] for line in c["lines"]]


def test_a_scorecard_names_items_and_categories_in_the_asked_language(department):
    department.register("a1")
    department.deduct("a1", "complaint", str(TODAY))
    path = f"/agents/a1/scorecards/{TODAY:%Y-%m}"

    zh = department.admin.get(path, headers=ZH).json
    en = department.admin.get(path, headers=EN).json
    plain = department.admin.get(path).json

    (zh_line,) = [x for x in lines_of(zh) if x["item"] == "complaint"]
    (en_line,) = [x for x in lines_of(en) if x["item"] == "complaint"]
    assert chinese(zh_line["item_name"]) and not chinese(en_line["item_name"])
    assert all(chinese(c["name"]) for c in zh["categories"])
    assert not any(chinese(c["name"]) for c in en["categories"])
    assert plain == en


def test_a_lines_remark_is_in_the_asked_language_on_scorecard_and_explanation(
    department,
):
    department.register("a1")
    for _ in range(2):  # counted once a month: the second line says so
        department.deduct("a1", "target_missed", str(TODAY))
    path = f"/agents/a1/scorecards/{TODAY:%Y-%m}"

    zh = department.admin.get(path, headers=ZH).json
    en = department.admin.get(path, headers=EN).json
    trail = department.admin.get(f"{path}/explain", headers=ZH).json

    remarks = [x["remark"] for x in lines_of(zh) if x["item"] == "target_missed"]
    assert remarks == ["", "本月已计过一次"]
    assert [x["remark"] for x in lines_of(en) if x["item"] == "target_missed"] == [
        "",
        "already counted once this month",
    ]
    said = [e["what"] for e in trail["entries"] if e["item"] == "target_missed"]
    assert said[-1].endswith("(本月已计过一次)")


def test_a_rulebook_refusal_names_its_path_in_the_asked_language(department):
    document = shipped_document("songsong-2019")
    document["categories"][0]["max"] = "11"  # the maxima add up to 101
    month = str(Month.of(TODAY))
    shape = {**document, "categories": [dict(document["categories"][0])]}
    shape["categories"][0]["items"] = [
        {**shape["categories"][0]["items"][0], "bands": [{"points": "-1"}]}
    ]

    def publish(rulebook, headers):
        body = {"rulebook": rulebook, "effective_from": month}
        return department.admin.post("/rulebooks", json=body, headers=headers)

    zh, en = publish(document, ZH), publish(document, EN)
    zh_shape, en_shape = publish(shape, ZH), publish(shape, EN)

    assert zh.json["code"] == en.json["code"] == "rule_violated"
    assert en.json["errors"] == {
        "rulebook.categories": ["category maxima add up to 101, not 100"]
    }
    (maxima,) = zh.json["errors"]["rulebook.categories"]
    assert maxima.startswith("各类别满分合计为 101") and zh.json["detail"] == maxima
    (message,) = zh_shape.json["errors"]["rulebook.categories.0.items.0.bands"]
    assert message == "occurrence 类规则项不使用此字段。"
    assert en_shape.json["errors"]["rulebook.categories.0.items.0.bands"] == [
        "Not used by an occurrence item."
    ]


def test_web_refusals_and_the_ranking_note_are_in_the_asked_language(department):
    department.register("a1")
    month = f"{TODAY:%Y-%m}"
    ahead = f"/agents/a1/scorecards/{month}?position=999999"

    assert department.admin.get("/agents/nobody", headers=ZH).json["detail"] == (
        "没有登记为 'nobody' 的客服。"
    )
    assert department.admin.get("/agents/nobody", headers=EN).json["detail"] == (
        "No agent is registered as 'nobody'."
    )
    assert department.admin.get(ahead, headers=ZH).json["detail"] == (
        "位置 999999 超前于读模型"
    )
    assert department.admin.get(ahead, headers=EN).json["detail"] == (
        "position 999999 is ahead of the read models"
    )
    zh_note = department.admin.get(f"/rankings/{month}", headers=ZH).json["note"]
    en_note = department.admin.get(f"/rankings/{month}", headers=EN).json["note"]
    assert chinese(zh_note) and month in zh_note
    assert en_note == f"No fact of {month} is recorded yet: nothing to rank."


def test_a_request_over_the_limits_is_refused_in_the_asked_language(department):
    zh = department.admin.get("/agents/" + "a" * 5000, headers=ZH)
    en = department.admin.get("/agents/" + "a" * 5000, headers=EN)

    assert zh.status_code == en.status_code == 414
    assert zh.json["detail"].startswith("请求目标长 5")
    assert zh.json["title"] == "请求 URI 过长"
    assert zh.headers["Content-Language"] == "zh-CN"
    assert en.json["detail"].startswith("The request target is 5")


def test_a_read_model_behind_is_said_in_the_asked_language(department):
    stall = StalledError(7, "Deduction.Recorded", ValueError("boom"))
    behind = ReadTimeoutError(9, 6, stall.said)

    with department.app.test_request_context(headers=ZH):
        zh = handle_read_timeout(behind).get_json()
    with department.app.test_request_context(headers=EN):
        en = handle_read_timeout(behind).get_json()

    assert zh["detail"].startswith("读模型处于位置 6")
    assert "无法处理位置 7 的事件" in zh["detail"]
    assert zh["detail"].endswith("ValueError: boom")
    assert en["detail"] == (
        "read models are at position 6, not yet 9; cannot fold the event at "
        "position 7 (Deduction.Recorded): ValueError: boom"
    )


def test_an_import_job_says_its_row_problems_in_the_reader_language(department):
    department.register("a1")
    body = "agent_id,occurred_on,number\na1,2026-13-01,C-1\n"
    answer = department.admin.post(
        "/imports/complaints", data=body, content_type="text/csv"
    )
    job = awaited(department.admin, answer)

    zh = department.admin.get(answer.headers["Location"], headers=ZH).json
    en = department.admin.get(answer.headers["Location"], headers=EN).json

    assert job["result"]["rejected"] == 1
    assert all(chinese(e["message"]) for e in zh["result"]["errors"]), zh
    assert not any(chinese(e["message"]) for e in en["result"]["errors"]), en


def test_an_explanation_names_the_item_in_the_asked_language(department):
    department.register("a1")
    department.deduct("a1", "complaint", str(TODAY))
    path = f"/agents/a1/scorecards/{TODAY:%Y-%m}/explain"

    zh = department.admin.get(path, headers=ZH).json
    en = department.admin.get(path, headers=EN).json

    (zh_entry,) = [e for e in zh["entries"] if e.get("item") == "complaint"]
    (en_entry,) = [e for e in en["entries"] if e.get("item") == "complaint"]
    assert chinese(zh_entry["what"]) and zh_entry["what"].startswith("客户投诉")
    assert not chinese(en_entry["what"])
    assert en_entry["item_name"] == en_entry["what"].split(":")[0]
