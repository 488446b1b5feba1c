"""Chinese as a department on Chinese Windows, Excel and WeCom meets it: JSON
that shows names as written, CSV files Excel saved in GBK, and payroll files
Excel opens without garbling a name. On both backends."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from tests.clock import service_today

FIRST = service_today().replace(day=1)  # in the current month, never in the future
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOT_CHECKS = "agent_id,date,check,kind,passed,note"


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


def spot_checks_excel_writes() -> str:
    """Spot checks as Excel writes a sheet out as CSV: CRLF, Chinese in the
    cells, a note with a comma quoted."""
    rows = (
        f"a1,{FIRST},抽检-7,spot_check,no,回复不及时，语气生硬",  # noqa: RUF001
        f'a2,{FIRST},抽检-8,spot_check,yes,"话术规范, 主动回访客户"',
    )
    return "\r\n".join((SPOT_CHECKS, *rows)) + "\r\n"


def imported(department, body: bytes, content_type: str = "text/csv"):
    """What an import of spot checks did, once its job completed."""
    return department.imported("spot_checks", body, content_type)


def counts(summary):
    keys = ("rows", "recorded", "corrected", "unchanged", "rejected")
    return tuple(summary[k] for k in keys)


@pytest.mark.parametrize(
    ("first", "twin"), [("gbk", "utf-8"), ("utf-8-sig", "gb18030")]
)
def test_a_csv_excel_saved_on_chinese_windows_imports_as_its_utf_8_twin(
    department, first, twin
):
    department.register("a1")
    department.register("a2")
    text = spot_checks_excel_writes()

    summary = imported(department, text.encode(first))
    again = imported(department, text.encode(twin))

    assert (counts(summary), summary["errors"]) == ((2, 2, 0, 0, 0), [])
    assert (counts(again), again["errors"]) == ((2, 0, 0, 2, 0), [])  # read alike


def test_a_charset_the_sender_declares_is_honoured(department):
    department.register("a1")
    department.register("a2")
    text = spot_checks_excel_writes()

    declared = imported(department, text.encode("gbk"), "text/csv; charset=GBK")
    again = imported(department, text.encode("utf-8"), "text/csv; charset=utf-8")

    assert counts(declared) == (2, 2, 0, 0, 0)
    assert counts(again) == (2, 0, 0, 2, 0)  # the same names and notes


def test_a_gbk_file_declared_utf_8_is_not_imported_and_row_0_says_why(department):
    department.register("a1")
    department.register("a2")
    body = spot_checks_excel_writes().encode("gbk")

    summary = imported(department, body, "text/csv; charset=utf-8")

    assert summary["recorded"] == 0
    (problem,) = summary["errors"]
    assert problem["row"] == 0 and "GB18030" in problem["message"]


def test_a_charset_files_are_not_read_in_is_refused(department):
    department.register("a1")
    answer = department.admin.post(
        "/imports/spot_checks",
        data=spot_checks_excel_writes().encode("big5", errors="replace"),
        content_type="text/csv; charset=big5",
    )
    assert answer.status_code == 415
    assert answer.json["code"] == "unsupported_media_type"


def test_a_line_that_is_not_text_in_the_files_charset_rejects_only_its_row(
    department,
):
    department.register("a1")
    department.register("a2")
    text = spot_checks_excel_writes().encode("gbk")

    summary = imported(department, text + b"a1,\xff\xfe,x\r\n")

    assert counts(summary) == (3, 2, 0, 0, 1)
    assert summary["errors"] == [
        {"row": 3, "field": "body", "message": "not valid CSV: not GB18030 text"}
    ]


def publish_a_month(department, month="2026-10"):
    department.register("a1", name="张伟")
    department.register("a2", name="李娜", team="t2")
    department.deduct("a1", "complaint", f"{month}-05")
    for step in ("close", "publish"):
        answer = department.admin.post(f"/periods/{month}/{step}")
        assert answer.status_code == 200, answer.json
        position = max(department.session.position, answer.json["position"])
        department.session.position = position
    return month


def test_the_payroll_csv_starts_with_a_bom_so_excel_reads_it_as_utf_8(department):
    month = publish_a_month(department)

    answer = department.auditor.get(f"/payroll/{month}.csv")

    assert answer.status_code == 200
    assert answer.content_type == "text/csv; charset=utf-8"
    assert answer.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert [(r["agent_id"], r["name"]) for r in rows] == [
        ("a1", "张伟"), ("a2", "李娜"), ("TOTAL", ""),
    ]  # fmt: skip
    assert f"payroll-{month}.csv" in answer.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "headers"), [("?format=xlsx", {}), ("", {"Accept": XLSX})]
)
def test_the_payroll_is_an_excel_workbook_with_numbers_when_asked(
    department, query, headers
):
    month = publish_a_month(department)
    as_csv = department.auditor.get(f"/payroll/{month}.csv").data.decode("utf-8-sig")

    answer = department.auditor.get(f"/payroll/{month}.csv{query}", headers=headers)

    assert (answer.status_code, answer.content_type) == (200, XLSX)
    assert f"payroll-{month}.xlsx" in answer.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    header, *rows = [[c.value for c in row] for row in sheet.iter_rows()]
    expected = list(csv.reader(io.StringIO(as_csv)))
    assert header == expected[0]
    names = [row[:2] for row in rows]
    assert names == [["a1", "张伟"], ["a2", "李娜"], ["TOTAL", None]]
    for name in ("total", "commission", "fines", "rewards", "net"):
        column = header.index(name)
        for row, written in zip(rows, expected[1:], strict=True):
            if written[column]:  # a number Excel can sum, not text
                assert isinstance(row[column], int | float), (name, row)
                assert Decimal(str(row[column])) == Decimal(written[column])


def test_an_unknown_payroll_format_is_refused(department):
    month = publish_a_month(department)

    refused = department.auditor.get(f"/payroll/{month}.csv?format=xls")

    assert refused.status_code == 422
    assert "format" in refused.json["errors"]
