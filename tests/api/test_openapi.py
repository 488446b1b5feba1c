"""The OpenAPI document describes every endpoint, generated from the schemas in use."""

from __future__ import annotations

import re

import pytest

EXPECTED = {
    "/health": {"get"},
    "/agents": {"get", "post"},
    "/agents/{agent_id}": {"get"},
    "/deductions": {"get", "post"},
    "/deductions/{deduction_id}": {"get"},
    "/agents/{agent_id}/scorecards/{month}": {"get"},
    "/rankings/{month}": {"get"},
    "/rulebooks": {"get", "post"},
    "/rulebooks/{rulebook_id}/versions/{version}": {"get"},
    "/rulebooks/preview": {"post"},
    "/rebuilds": {"get", "post"},
    "/rebuilds/{rebuild_id}": {"get"},
    "/rebuilds/{rebuild_id}/resume": {"post"},
    "/rebuilds/{rebuild_id}/abandon": {"post"},
    "/read-models": {"get"},
    "/read-models/{generation}/activate": {"post"},
    "/read-models/{generation}": {"delete"},
    "/imports/{kind}": {"post"},
    "/imports/jobs/{job_id}": {"get"},
    "/orders": {"post"},
    "/orders/{order_no}": {"get"},
    "/orders/{order_no}/steps": {"post"},
    "/complaints": {"post"},
    "/facts/{fact_id}": {"get"},
    "/promotion-activities": {"post"},
    "/ratings": {"post"},
    "/agents/{agent_id}/leave": {"post"},
    "/periods/{month}": {"get"},
    "/periods/{month}/close": {"post"},
    "/periods/{month}/publish": {"post"},
    "/periods/{month}/reopen": {"post"},
    "/quarters/{quarter}/rewards": {"get"},
    "/improvement-plans": {"get"},
    "/improvement-plans/{duty_id}": {"get", "post"},
    "/payroll/{month}.csv": {"get"},
    "/calendar/closed-days": {"get", "post"},
    "/deductions/{deduction_id}/disputes": {"post"},
    "/deductions/{deduction_id}/disputes/resolution": {"post"},
    "/deductions/{deduction_id}/disputes/resolution/preview": {"post"},
    "/deductions/{deduction_id}/disputes/{number}": {"get"},
    "/disputes": {"get"},
    "/disputes/summary": {"get"},
    "/agents/{agent_id}/scorecards/{month}/explain": {"get"},
    "/audit/verify": {"get"},
    "/audit/export": {"get"},
    "/webhooks": {"get", "post"},
    "/webhooks/{webhook_id}": {"get", "delete"},
    "/webhooks/{webhook_id}/pause": {"post"},
    "/webhooks/{webhook_id}/resume": {"post"},
    "/webhooks/{webhook_id}/deliveries": {"get"},
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {"post"},
}


@pytest.fixture
def spec(department):
    return department.anonymous.get("/openapi.json").json


def test_every_endpoint_is_documented_with_its_methods(spec):
    documented = {
        path: set(ops) - {"parameters"} for path, ops in spec["paths"].items()
    }
    assert documented == EXPECTED


def test_bearer_authentication_is_required_except_for_health(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/health"]["get"]["security"] == []


def test_commands_document_their_201_body_and_required_fields(spec):
    post = spec["paths"]["/deductions"]["post"]
    assert "201" in post["responses"]
    schema = spec["components"]["schemas"]["DeductionIn"]
    assert set(schema["required"]) == {"agent_id", "item", "occurred_on"}
    assert "points" not in schema["properties"]


def test_every_operation_has_a_summary(spec):
    missing = [
        f"{method} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters" and not operation.get("summary")
    ]
    assert missing == []


def test_the_docs_page_loads_everything_from_this_server(department):
    # /docs must work where the internet is not reachable: every script and
    # style it names is served here, without a token.
    client = department.app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(a.rsplit("/", 1)[1] for a in assets) == [
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    ]
    assert "://" not in html  # no other host, the validator badge included
    assert '"validatorUrl": null' in html
    for asset in assets:
        with client.get(asset) as answer:
            assert answer.status_code == 200, asset
            assert len(answer.data) > 100_000
            kind = "text/css" if asset.endswith(".css") else "text/javascript"
            assert answer.mimetype == kind
