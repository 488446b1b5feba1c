"""What the OpenAPI document promises, and the behaviour that keeps it:
patterns written from the accepted months, decimals as strings, every error a
problem document, request limits. (Schemathesis checks all of it against a
served API: tests/e2e/test_contract.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from marshmallow import ValidationError

from domain.month import Month, MonthRange, Quarter
from domain.rulebook import shipped_document
from tests.api.conftest import Department
from tests.clock import service_today
from web import create_app
from web.inputs import Day, Moment
from web.patterns import decimal_pattern

PROBLEM = "application/problem+json"
DAY = Month.of(service_today()).first_day.isoformat()
FIRST, LAST = Month(2024, 2), Month(2026, 10)


@pytest.fixture
def narrow(tmp_path: Path) -> Iterator[Department]:
    """A department that accepts the months 2024-02 to 2026-10 only."""
    app = create_app(
        {"DATA_DIR": tmp_path / "data", "FIRST_MONTH": str(FIRST),
         "LAST_MONTH": str(LAST), "TESTING": True}
    )  # fmt: skip
    yield Department(app)
    app.extensions["appraisal"]["runtime"].close()


@pytest.fixture
def spec(department: Department) -> dict[str, Any]:
    return department.anonymous.get("/openapi.json").json


def nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON document."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from nodes(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from nodes(inner)


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def path_pattern(spec: dict[str, Any], path: str, name: str) -> str:
    (parameter,) = [p for p in spec["paths"][path]["parameters"] if p["name"] == name]
    return str(parameter["schema"]["pattern"])


# Decimals


def test_decimals_are_strings_with_a_pattern_and_no_bound_is_a_string(spec):
    decimals = [n for n in nodes(spec) if n.get("format") == "decimal"]
    assert len(decimals) > 30
    for node in decimals:
        assert "string" in (node["type"] if isinstance(node["type"], list)
                            else [node["type"]]), node  # fmt: skip
        assert re.compile(node["pattern"])
        assert "minimum" not in node and "maximum" not in node
    for node in nodes(spec):
        for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if bound in node:
                assert type(node[bound]) in (int, float), node


@pytest.mark.parametrize(
    ("low", "high", "exclusive", "places"),
    [(0, 10**9, False, 10), (0, 100, False, 10), (-100, 0, False, 10),
     (None, None, False, 10), (0, None, True, 10), (0, 1, False, 10),
     (0, 100, False, 2), (-5, -2, False, 3), (3, 7, True, 2)],
)  # fmt: skip
def test_a_decimal_pattern_admits_exactly_the_plain_decimals_within_bounds(
    low, high, exclusive, places
):
    pattern = re.compile(
        decimal_pattern(low, high, exclusive_minimum=exclusive, places=places)
    )
    plain = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?")
    candidates = {"", "-", "+1", "01", "1e2", " 1", "1 ", ".5", "5.", "1_0", "-0"}
    for whole in [*range(-120, 121), 10**9 - 1, 10**9, 10**9 + 1, -(10**15)]:
        for fraction in ("", ".0", ".00", ".5", ".05", ".000000001", ".00000000001"):
            candidates |= {f"{whole}{fraction}", f"-0{fraction}"}
    for text in candidates:
        fits = plain.fullmatch(text) is not None and (
            len(text.partition(".")[2]) <= places
        )
        if fits:
            value = Decimal(text)
            fits = (
                (low is None or (value > low if exclusive else value >= low))
                and (high is None or value <= high)
                and not (text.startswith("-") and low is not None and low >= 0)
            )
        assert (pattern.fullmatch(text) is not None) == fits, text


def test_a_json_number_where_a_decimal_belongs_is_refused(department):
    department.register("a1")
    order = {"order_no": "O1", "agent_id": "a1", "case": "customer",
             "occurred_on": DAY}  # fmt: skip

    number = department.admin.post("/orders", json=order | {"amount": 10})
    text = department.admin.post("/orders", json=order | {"amount": "10.5"})

    assert number.status_code == 422
    assert number.json["errors"] == {
        "amount": ['Send the number as a string, e.g. "12.5".']
    }
    assert text.status_code == 201, text.json


def test_a_whole_number_may_be_written_with_a_zero_fraction(department):
    department.register("a1")
    body = {"agent_id": "a1", "item": "complaint", "occurred_on": DAY}

    answer = department.admin.post("/deductions", json=body | {"quantity": 2.0})
    text = department.admin.post("/deductions", json=body | {"quantity": "2"})

    assert answer.status_code == 201, answer.json
    assert answer.json["quantity"] == 2
    assert text.status_code == 422
    assert "quantity" in text.json["errors"]


# Months, quarters, dates and times: patterns from the accepted months


def test_month_and_quarter_patterns_admit_exactly_the_accepted_months(narrow):
    spec = narrow.anonymous.get("/openapi.json").json
    months = re.compile(path_pattern(spec, "/periods/{month}", "month"))
    quarters = re.compile(path_pattern(spec, "/quarters/{quarter}/rewards", "quarter"))
    accepted = MonthRange(FIRST, LAST)
    for year in range(FIRST.year - 1, LAST.year + 2):
        for number in range(14):
            text = f"{year}-{number:02d}"
            inside = 1 <= number <= 12 and accepted.problem(Month(year, number)) is None
            assert (months.fullmatch(text) is not None) == inside, text
            answer = narrow.admin.get(f"/periods/{text}")
            assert answer.status_code == (200 if inside else 400), text
        for number in range(6):
            text = f"{year}-Q{number}"
            inside = (
                1 <= number <= 4 and accepted.problem(Quarter(year, number)) is None
            )
            assert (quarters.fullmatch(text) is not None) == inside, text
            answer = narrow.admin.get(f"/quarters/{text}/rewards")
            assert answer.status_code == (200 if inside else 400), text


def test_date_and_time_patterns_admit_exactly_the_real_dates_in_range(narrow):
    spec = narrow.anonymous.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    days = re.compile(schemas["DeductionIn"]["properties"]["occurred_on"]["pattern"])
    (query,) = [
        p for p in spec["paths"]["/agents/{agent_id}/scorecards/{month}"]["get"][
            "parameters"] if p["in"] == "query"
    ]  # fmt: skip
    times = re.compile(query["schema"]["properties"]["as_of"]["pattern"])
    candidates = [
        f"{year}-{month:02d}-{day:02d}"
        for year in (2023, 2024, 2025, 2026, 2027)
        for month in range(0, 14)
        for day in (0, 1, 28, 29, 30, 31, 32)
    ]
    with narrow.app.app_context():
        for text in candidates:
            try:
                Day().deserialize(text)
                accepted = True
            except ValidationError:
                accepted = False
            assert (days.fullmatch(text) is not None) == accepted, text
            moment = f"{text}T23:59:59.5+08:00"
            try:
                Moment().deserialize(moment)
                accepted = True
            except ValidationError:
                accepted = False
            assert (times.fullmatch(moment) is not None) == accepted, moment
    assert days.fullmatch("2024-02-29") and not days.fullmatch("2025-02-29")
    for moment in (
        "2024-03-01T10:00:00Z", "2024-03-01T10:00:00.123456-05:30",
        "2024-03-01T10:00:00",  # the company's local time
    ):  # fmt: skip
        assert times.fullmatch(moment), moment
    for moment in ("2024-03-01 10:00:00Z", "2024-03-01T10:00Z", "2024-03-01T10:00"):
        assert not times.fullmatch(moment), moment


def test_as_of_and_position_are_one_documented_rule(department):
    department.register("a1")
    month = DAY[:7]
    spec = department.anonymous.get("/openapi.json").json
    (query,) = [
        p for p in spec["paths"]["/agents/{agent_id}/scorecards/{month}"]["get"][
            "parameters"] if p["in"] == "query"
    ]  # fmt: skip

    both = department.admin.get(
        f"/agents/a1/scorecards/{month}?position=0&as_of={DAY}T00:00:00Z"
    )

    assert query["schema"]["not"] == {"required": ["as_of", "position"]}
    assert (query["style"], query["explode"]) == ("form", True)
    assert both.status_code == 422
    assert both.json["code"] == "validation_failed"


# Every error a problem document, every status declared


def test_every_error_an_operation_can_answer_is_a_declared_problem(spec):
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        declared = {int(s) for s in responses if s != "default"}
        for status, response in responses.items():
            if status == "default" or int(status) >= 400:
                content = resolve(spec, response)["content"]
                assert list(content) == [PROBLEM], (path, method, status)
                schema = content[PROBLEM]["schema"]
                assert problem in [schema, *schema.get("allOf", [])] or (
                    path == "/health"
                ), (path, method, status)
        assert {414, 431, 503} <= declared, (path, method)
        if operation.get("security") != []:
            assert {401, 429} <= declared, (path, method)
        if method in ("post", "delete"):
            assert {400, 403, 413, 422} <= declared, (path, method)
            # A command may meet a conflict; a preview records nothing.
            assert (409 in declared) == (path != "/rulebooks/preview"), path
        if "requestBody" in operation:
            assert {400, 413, 415, 422} <= declared, (path, method)
        if "{month}" in path or "{quarter}" in path:
            assert 400 in declared, (path, method)
        if re.search(r"{(?!month}|quarter})", path):
            assert 404 in declared, (path, method)


def test_each_problem_status_names_its_codes(spec):
    responses = spec["components"]["responses"]
    codes = {
        name: resolve(spec, r)["content"][PROBLEM]["schema"]["allOf"][1]["properties"][
            "code"]["enum"]
        for name, r in responses.items() if name != "DEFAULT_ERROR"
    }  # fmt: skip
    assert codes["UNPROCESSABLE_ENTITY"] == [
        "validation_failed", "invalid_fact", "rule_violated", "unknown_reference"
    ]  # fmt: skip
    assert codes["SERVICE_UNAVAILABLE"] == ["store_unreachable", "read_model_behind"]
    assert codes["UNAUTHORIZED"] == ["unauthorized"]
    assert codes["REQUEST_URI_TOO_LONG"] == ["uri_too_long"]


def test_path_parameters_have_patterns(spec):
    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):
            schema = parameter["schema"]
            assert (
                "pattern" in schema or "enum" in schema or (schema["type"] == "integer")
            ), (path, parameter)


# Media types


def test_imports_take_csv_or_json_lines_and_nothing_else(department):
    spec = department.anonymous.get("/openapi.json").json
    body = spec["paths"]["/imports/{kind}"]["post"]["requestBody"]["content"]
    key = {"Idempotency-Key": "import-1"}

    csv = department.admin.post(
        "/imports/chat", data="[]", content_type="text/csv", headers=key
    )
    as_json = department.admin.post("/imports/chat", json=[])
    json_again = department.admin.post(
        "/imports/chat", data="[]", content_type="application/json", headers=key
    )

    assert set(body) == {"text/csv", "application/x-ndjson", "application/jsonl"}
    assert csv.status_code == 202
    assert as_json.status_code == 415
    assert as_json.json["code"] == "unsupported_media_type"
    # Not the CSV's answer replayed: the same bytes as JSON are another request.
    assert json_again.status_code == 422
    assert "Idempotency-Key" in json_again.json["errors"]


def test_a_body_must_be_application_json_itself(department):
    body = json.dumps({"agent_id": "a1", "name": "A", "team": "t", "supervisor": "s"})
    answer = department.admin.post(
        "/agents", data=body, content_type="application/vnd.example+json"
    )
    assert answer.status_code == 415
    assert answer.content_type == PROBLEM


# Limits on the request line and headers


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/agents/" + "a" * 5000, {}, 414),
        ("/agents?team=" + "t" * 5000, {}, 414),
        ("/agents", {"X-Large": "x" * 9000}, 431),
        ("/agents", {f"X-{i}": "x" for i in range(120)}, 431),
        ("/agents", {f"X-{i}": "x" * 1000 for i in range(40)}, 431),
        ("/health", {"X-Large": "x" * 9000}, 431),
    ],
)
def test_a_request_over_the_limits_is_refused_as_a_problem(
    department, path, headers, status
):
    answer = department.admin.get(path, headers=headers)
    assert answer.status_code == status
    assert answer.content_type == PROBLEM
    assert answer.json["status"] == status


# Refusals of well-formed requests are the domain's


def test_a_rulebook_that_breaks_its_rules_is_the_domains_refusal(department):
    document = shipped_document("songsong-2019")
    document["categories"][0]["max"] = "11"  # the maxima add up to 101
    month = str(Month.of(service_today()))

    answer = department.admin.post(
        "/rulebooks", json={"rulebook": document, "effective_from": month}
    )
    shape = department.admin.post(
        "/rulebooks",
        json={"rulebook": {**document, "max": "1"}, "effective_from": month},
    )

    assert answer.status_code == 422
    assert answer.json["code"] == "rule_violated"
    assert all(name.startswith("rulebook") for name in answer.json["errors"])
    assert shape.status_code == 422
    assert shape.json["code"] == "validation_failed"
    assert "rulebook.max" in shape.json["errors"]


def test_a_preview_of_months_in_the_wrong_order_is_a_rule_violated(department):
    document = shipped_document("songsong-2019")
    answer = department.auditor.post(
        "/rulebooks/preview",
        json={"rulebook": document, "from": "2026-05", "to": "2026-01"},
    )
    assert answer.status_code == 422
    assert answer.json["code"] == "rule_violated"
    assert "to" in answer.json["errors"]


def test_an_unknown_rebuild_is_not_found(department):
    for path in ("/rebuilds/00000000-0000-0000-0000-000000000000", "/rebuilds/nope"):
        answer = department.admin.get(path)
        assert answer.status_code == 404, answer.json
        assert answer.content_type == PROBLEM
