"""Bulk imports from the performance software and the order system, on both backends."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from tests.api.conftest import awaited
from tests.clock import service_today

PROBLEM = "application/problem+json"
TODAY = service_today()
FIRST = TODAY.replace(day=1)  # in the current month, never in the future
MONTH = str(Month.of(TODAY))
CHAT = "agent_id,date,consultations,conversions,avg_response_seconds,customers_lost"
ORDER_COLUMNS = "order_no,step,date,agent_id,case,amount,batch,passed,outcome"


def csv_of(header: str, *rows: str) -> str:
    return "\n".join((header, *rows)) + "\n"


def chat_rows(*rows: tuple[str, int, int, str, int]) -> str:
    return csv_of(
        CHAT, *(f"{a},{FIRST},{c},{v},{s},{lost}" for a, c, v, s, lost in rows)
    )


def send(department, kind, body, content_type="text/csv", client=None):
    """POST an import: the answer, a job (202) or a problem."""
    client = client or department.admin
    return client.post(f"/imports/{kind}", data=body, content_type=content_type)


def imported(department, kind, body, content_type="text/csv"):
    """What an import did, once its job completed; later reads wait until
    they include what it wrote."""
    job = awaited(department.admin, send(department, kind, body, content_type))
    assert job["status"] == "completed", job
    return job["result"]


def counts(summary):
    return {
        k: summary[k]
        for k in ("rows", "recorded", "corrected", "unchanged", "rejected")
    }


def problems(summary):
    return {(e["row"], e["field"]) for e in summary["errors"]}


def events_since(department, position):
    """The events written after ``position``. (Positions on PostgreSQL may
    skip numbers, so the difference of two positions is not a count.)"""
    recorder = department.runtime.app.recorder
    return recorder.select_notifications(position, 1000, inclusive_of_start=False)


def register(department, *agents):
    for agent in agents:
        department.register(agent)


# Chat statistics


def test_importing_the_same_chat_statistics_twice_records_them_once(department):
    register(department, "a1", "a2", "a3")
    export = chat_rows(
        ("a1", 40, 12, "18.5", 2), ("a2", 25, 5, "30", 1), ("a3", 60, 33, "9.25", 0)
    )

    first = imported(department, "chat", export)
    events = department.event_count()
    second = imported(department, "chat", export)

    assert counts(first) == {
        "rows": 3,
        "recorded": 3,
        "corrected": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert first["kind"] == "chat"
    assert counts(second) == {
        "rows": 3,
        "recorded": 0,
        "corrected": 0,
        "unchanged": 3,
        "rejected": 0,
    }
    assert second["errors"] == []
    assert department.event_count() == events
    assert second["position"] == first["position"] == events


def test_bad_rows_are_reported_by_row_and_field_and_the_good_rows_imported(
    department,
):
    register(department, "a1", "a2", "a3")
    export = csv_of(
        CHAT,
        f"a1,{FIRST},40,12,18.5,2",
        f"a2,{FIRST},-5,1,20,0",  # a negative count
        "a1,2026-02-30,10,2,15,0",  # a date that does not exist
        f"ghost,{FIRST},10,2,15,0",  # an unknown agent
        f"a2,{FIRST},10,,15,0",  # a missing value
        f"a3,{FIRST},60,33,9.25,0",
    )
    before = department.event_count()

    summary = imported(department, "chat", export)

    assert counts(summary) == {
        "rows": 6,
        "recorded": 2,
        "corrected": 0,
        "unchanged": 0,
        "rejected": 4,
    }
    assert problems(summary) == {
        (2, "consultations"),
        (3, "date"),
        (4, "agent_id"),
        (5, "conversions"),
    }
    assert all(error["message"] for error in summary["errors"])
    assert len(events_since(department, before)) == 2


def test_a_row_dated_in_the_future_is_refused_naming_the_date(department):
    register(department, "a1")
    tomorrow = TODAY + timedelta(days=1)
    summary = imported(department, "chat", csv_of(CHAT, f"a1,{tomorrow},10,2,15,0"))

    assert (summary["rejected"], problems(summary)) == (1, {(1, "date")})
    assert "future" in summary["errors"][0]["message"]


def test_a_changed_row_is_a_correction_that_the_scorecard_reflects(department):
    published = department.admin.post(
        "/rulebooks",
        json={"rulebook": shipped_document("online-cs"), "effective_from": MONTH},
    )
    assert published.status_code == 201, published.json
    register(department, "a1", "a2")
    imported(
        department, "chat", chat_rows(("a1", 10, 3, "20", 0), ("a2", 8, 1, "30", 1))
    )
    before = department.event_count()

    summary = imported(
        department, "chat", chat_rows(("a1", 10, 6, "20", 0), ("a2", 8, 1, "30", 1))
    )

    assert (summary["recorded"], summary["corrected"], summary["unchanged"]) == (
        0,
        1,
        1,
    )
    (event,) = events_since(department, before)
    assert summary["position"] == event.id
    assert event.topic.endswith("Observation.Corrected")
    card = department.admin.get(f"/agents/a1/scorecards/{MONTH}").json
    assert card["rulebook"]["id"] == "online-cs"
    (line,) = [
        line
        for category in card["categories"]
        for line in category["lines"]
        if line["item"] == "conversion_rate"
    ]
    assert line["inputs"]["numerator"] == "6"
    assert line["inputs"]["denominator"] == "10"
    assert line["inputs"]["value"] == "0.6000"
    assert line["points"] == "8.00"


# JSON Lines


@pytest.mark.parametrize("content_type", ["application/x-ndjson", "application/jsonl"])
def test_json_lines_import_the_same_as_csv(department, content_type):
    register(department, "a1", "a2")
    lines = [
        {
            "agent_id": "a1",
            "date": str(FIRST),
            "consultations": 40,
            "conversions": 12,
            "avg_response_seconds": 18.5,
            "customers_lost": 2,
        },
        {
            "agent_id": "a2",
            "date": str(FIRST),
            "consultations": 25,
            "conversions": -1,
            "avg_response_seconds": "30",
            "customers_lost": 1,
        },
    ]
    body = "\n".join(json.dumps(line) for line in lines) + "\n[1, 2]\nnot json\n"

    summary = imported(department, "chat", body, content_type)
    events = department.event_count()
    as_csv = imported(department, "chat", chat_rows(("a1", 40, 12, "18.50", 2)))

    assert counts(summary) == {
        "rows": 4,
        "recorded": 1,
        "corrected": 0,
        "unchanged": 0,
        "rejected": 3,
    }
    assert problems(summary) == {(2, "conversions"), (3, "body"), (4, "body")}
    assert (as_csv["unchanged"], department.event_count()) == (1, events)


def test_every_kind_of_observation_imports_from_csv(department):
    register(department, "a1")
    files = {
        "clock": ("late_minutes,early_leave_minutes,leave_days", "5,0,0.5"),
        "exams": ("exam,score", "product knowledge,92.5"),
        "spot_checks": ("check,kind,passed,note", "SC-7,spot_check,no,rude"),
        "reports": ("report,on_time,complete,truthful", "weekly,yes,TRUE,0"),
        "complaints": ("complaint,severity,order_no", "C-1,severe,"),
        "promotion": ("channel,reference,note", "moments,https://x.example/1,"),
    }
    for kind, (columns, values) in files.items():
        body = csv_of(f"agent_id,date,{columns}", f"a1,{FIRST},{values}")
        summary = imported(department, kind, body)
        assert (kind, summary["recorded"], summary["errors"]) == (kind, 1, [])


def test_a_csv_header_naming_an_unknown_column_imports_nothing(department):
    register(department, "a1")
    before = department.event_count()
    body = csv_of(CHAT + ",agent_name", f"a1,{FIRST},40,12,18.5,2,Ann")

    summary = imported(department, "chat", body)

    assert (summary["recorded"], summary["rejected"]) == (0, 1)
    assert problems(summary) == {(0, "agent_name")}
    assert department.event_count() == before


# Order-system exports


def order_export(*rows: str) -> str:
    return csv_of(ORDER_COLUMNS, *rows)


def test_an_order_system_export_imports_once_and_refuses_steps_out_of_order(
    department,
):
    register(department, "a1", "a2")
    on = FIRST
    export = order_export(
        f"O-1,submit,{on},a1,customer,1200.50,,,",
        f"O-1,process,{on},,standard,,,,",
        f"O-1,pay,{on},,,,,,",
        f"O-1,feedback,{on},,,,,,",
        f"O-1,finish,{on},,,,,,completed",
        f"O-2,submit,{on},a2,agent,300,,,",
        f"O-2,process,{on},a1,standard,,,,",
        *(f"O-2,check,{on},,,,{batch},true," for batch in range(1, 6)),
        f"O-2,check,{on},,,,6,true,",  # row 13: there are five batches
        f"O-3,submit,{on},a2,customer,80,,,",
        f"O-3,finish,{on},,,,,,completed",  # row 15: never processed
    )
    before = department.event_count()

    first = imported(department, "orders", export)
    events = department.event_count()
    second = imported(department, "orders", export)

    assert counts(first) == {
        "rows": 15,
        "recorded": 13,
        "corrected": 0,
        "unchanged": 0,
        "rejected": 2,
    }
    assert problems(first) == {(13, "batch"), (15, "step")}
    assert len(events_since(department, before)) == 13
    assert counts(second) == {
        "rows": 15,
        "recorded": 0,
        "corrected": 0,
        "unchanged": 13,
        "rejected": 2,
    }
    assert problems(second) == {(13, "batch"), (15, "step")}
    assert department.event_count() == events


def test_a_re_exported_order_amount_is_a_correction(department):
    register(department, "a1")
    imported(department, "orders", order_export(f"O-9,submit,{FIRST},a1,agent,100,,,"))
    before = department.event_count()

    summary = imported(
        department, "orders", order_export(f"O-9,submit,{FIRST},a1,agent,150,,,")
    )

    assert (summary["corrected"], summary["rejected"]) == (1, 0)
    assert len(events_since(department, before)) == 1


def test_an_order_amount_written_differently_is_the_same_amount(department):
    register(department, "a1")
    imported(department, "orders", order_export(f"O-9,submit,{FIRST},a1,agent,100,,,"))
    before = department.event_count()

    again = order_export(f"O-9,submit,{FIRST},a1,agent,100.00,,,")
    summary = imported(department, "orders", again)

    assert (summary["unchanged"], summary["rejected"]) == (1, 0)
    assert events_since(department, before) == []


# Who may import, and what


def test_only_an_admin_may_import(department):
    register(department, "a1")
    others = (
        department.auditor,
        department.client_for("sup", Role.SUPERVISOR, "t1"),
        department.client_for("a1", Role.AGENT),
    )
    before = department.event_count()

    for client in others:
        response = send(
            department, "chat", chat_rows(("a1", 4, 1, "9", 0)), client=client
        )
        assert response.status_code == 403
        assert response.content_type == PROBLEM
    assert events_since(department, before) == []


def test_an_unknown_kind_is_not_found(department):
    response = send(department, "weather", csv_of("agent_id,date"))
    assert response.status_code == 404
    assert response.content_type == PROBLEM
    assert "chat" in response.json["detail"]


def test_a_body_that_is_neither_csv_nor_json_lines_is_refused(department):
    response = send(department, "chat", "{}", content_type="application/json")
    assert response.status_code == 415
    assert response.content_type == PROBLEM


def test_a_file_that_is_not_text_rejects_its_rows_not_the_request(department):
    register(department, "a1")
    body = CHAT.encode() + b"\n\xff\xfe,\x00\n" + f"a1,{FIRST},4,1,9,0\n".encode()

    summary = imported(department, "chat", body)

    assert (summary["recorded"], summary["rejected"]) == (1, 1)
    assert problems(summary) == {(1, "body")}


def test_the_api_documents_the_import_formats_and_each_kinds_columns(department):
    spec = department.anonymous.get("/openapi.json").json
    post = spec["paths"]["/imports/{kind}"]["post"]

    assert set(post["requestBody"]["content"]) == {
        "text/csv",
        "application/x-ndjson",
        "application/jsonl",
    }
    for kind in ("chat", "orders", "spot_checks", "avg_response_seconds", "batch"):
        assert kind in post["description"]
    assert "202" in post["responses"]
    assert post["summary"]


def test_an_import_may_be_larger_than_other_request_bodies(department):
    register(department, "a1", "a2")
    padding = (" " * 999 + "\n") * 1200  # 1.2 MB of blank lines: bytes, no rows
    rows = (f"a1,{FIRST},40,12,18.5,2\n", f"a2,{FIRST},4,1,9,0\n")
    body = CHAT + "\n" + rows[0] + padding + rows[1]
    assert len(body) > department.app.config["MAX_CONTENT_LENGTH"]

    summary = imported(department, "chat", body)

    assert (summary["rows"], summary["recorded"]) == (2, 2)
