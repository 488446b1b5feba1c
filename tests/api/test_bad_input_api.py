"""Bad input gets a field-level problem+json 4xx and changes nothing; never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.agent import Agent

PROBLEM = "application/problem+json"
GOOD = {"agent_id": "a1", "item": "complaint", "occurred_on": "2026-10-05"}


def assert_refused(department, response, status, field):
    assert response.status_code == status, response.json
    assert response.content_type == PROBLEM
    assert field in response.json["errors"], response.json
    assert response.json["status"] == status


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {**GOOD, "occurred_on": "2026-02-30"},
            "occurred_on",
        ),  # a date that does not exist
        ({**GOOD, "occurred_on": "yesterday"}, "occurred_on"),
        ({k: v for k, v in GOOD.items() if k != "item"}, "item"),  # missing
        ({**GOOD, "points": -3}, "points"),  # unknown: facts never carry points
        ({**GOOD, "quantity": 0}, "quantity"),
        ({**GOOD, "quantity": 1.5}, "quantity"),
        ({**GOOD, "quantity": "2"}, "quantity"),
        ({**GOOD, "agent_id": 42}, "agent_id"),
        ({**GOOD, "agent_id": "no spaces allowed"}, "agent_id"),
        ({**GOOD, "note": "x" * 2001}, "note"),
        (["not", "an", "object"], "body"),
    ],
)
def test_an_invalid_deduction_is_refused_with_422_naming_the_field(
    department, body, field
):
    department.register("a1")
    before = department.event_count()
    response = department.admin.post("/deductions", json=body)
    assert_refused(department, response, 422, field)
    assert department.event_count() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agent_id": "ghost"}, "agent_id"),
        ({"item": "no_such_item"}, "item"),
        ({"occurred_on": "2099-01-01"}, "occurred_on"),
    ],
)
def test_a_deduction_naming_an_unknown_agent_or_item_is_refused(
    department, change, field
):
    department.register("a1")
    before = department.event_count()
    response = department.admin.post("/deductions", json={**GOOD, **change})
    assert_refused(department, response, 422, field)
    assert department.event_count() == before


def test_malformed_json_is_a_400_naming_the_body(department):
    response = department.admin.post(
        "/deductions",
        data='{"agent_id": "a1",',
        headers={"Content-Type": "application/json"},
    )
    assert_refused(department, response, 400, "body")


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 50_000,  # nesting deeper than the decoder's recursion limit
        b'{"agent_id": "a1", "quantity": '
        + b"9" * 5000
        + b"}",  # int too long to parse
        b"\xff\xfe{}",  # not UTF-8
        b"",
    ],
)
def test_json_that_cannot_be_decoded_is_a_4xx(department, raw):
    before = department.event_count()
    response = department.admin.post(
        "/deductions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.content_type == PROBLEM
    assert department.event_count() == before


def test_a_body_that_is_not_json_is_refused_as_unsupported(department):
    response = department.admin.post(
        "/agents", data="agent_id=a1", content_type="text/plain"
    )
    assert response.status_code == 415
    assert response.content_type == PROBLEM


def test_a_bad_month_is_a_400_naming_the_month(department):
    department.register("a1")
    for path in (
        "/agents/a1/scorecards/2026-13",
        "/rankings/202610",
        "/rankings/2026-1",
    ):
        assert_refused(department, department.admin.get(path), 400, "month")


def test_an_unknown_query_parameter_is_refused(department):
    assert_refused(
        department, department.admin.get("/rankings/2026-10?teem=t1"), 422, "teem"
    )


def test_a_bad_min_position_header_is_refused(department):
    response = department.admin.get("/agents", headers={"Min-Position": "-1"})
    assert_refused(department, response, 400, "Min-Position")


def test_an_unknown_agent_or_deduction_is_404(department):
    assert department.admin.get("/agents/ghost").status_code == 404
    assert department.admin.get("/deductions/not-a-uuid").status_code == 404
    assert department.admin.get("/agents/ghost/scorecards/2026-10").status_code == 404


def test_missing_or_unknown_tokens_are_401_with_a_bearer_challenge(department):
    for headers in (
        {},
        {"Authorization": "Bearer apr_nope"},
        {"Authorization": "Basic eDp5"},
    ):
        response = department.anonymous.get("/agents", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.content_type == PROBLEM


def test_health_and_docs_need_no_token(department):
    assert department.anonymous.get("/health").json["status"] == "ok"
    assert department.anonymous.get("/openapi.json").status_code == 200
    assert department.anonymous.get("/docs").status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
near_valid = st.fixed_dictionaries(
    {},
    optional={
        "agent_id": st.sampled_from(["a1", "", "ghost"]) | json_values,
        "item": st.sampled_from(["complaint", "target_missed", "nope"]) | json_values,
        "occurred_on": st.sampled_from(["2026-10-05", "2026-02-29", "2099-01-01"])
        | json_values,
        "quantity": st.integers(-5, 2000) | json_values,
        "note": json_values,
        "evidence_ref": json_values,
        "extra": json_values,
    },
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=near_valid | json_values, raw=st.binary(max_size=40))
def test_no_body_however_malformed_gives_a_500_or_a_partial_write(
    department, body, raw
):
    if Agent.create_id("a1") not in department.runtime.app.repository:
        department.register("a1")  # once per test, not once per example
    for payload in (json.dumps(body).encode(), raw):
        before = department.event_count()
        response = department.admin.post(
            "/deductions", data=payload, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code != 201:
            assert response.content_type == PROBLEM
            assert department.event_count() == before
        else:
            assert department.event_count() == before + 1


def test_a_read_waiting_for_a_position_not_reached_answers_503_in_time(department):
    department.app.extensions["appraisal"]["settings"] = department.app.extensions[
        "appraisal"
    ]["settings"].updated({"read_timeout": 0.2})
    response = department.admin.get("/agents", headers={"Min-Position": "999999999"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["code"] == "read_model_behind"


def test_a_body_over_one_mebibyte_is_refused(department):
    response = department.admin.post(
        "/agents",
        data=b"{" + b" " * (1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.content_type == PROBLEM


def test_a_method_the_resource_lacks_is_405(department):
    response = department.admin.request("DELETE", "/agents")
    assert response.status_code == 405
    assert response.content_type == PROBLEM
