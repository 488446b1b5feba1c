"""The admin's rule-change page, the auditor's room and one-time sign-in
codes, through Flask's test client: who may open what, what the downloads
carry, and that a code signs in once and only while it is fresh."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient

from domain.access import Principal, Role, TokenRejectedError
from domain.errors import NotPermittedError
from domain.register import default_publication
from projections.sign_in_codes import LIFETIME
from tests.api.conftest import Department
from web import audit
from web.audit_schemas import VerificationOut
from web.context import MIN_POSITION
from web.ui import reads

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(page: Any) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "the page carries no CSRF token"
    return found.group(1)


def signed_in(department: Department, secret: str) -> tuple[FlaskClient, Any]:
    """A browser-like client that signed in to the pages with ``secret`` (a
    token or a code), and the sign-in's answer."""
    client = department.app.test_client()
    form = client.get("/ui/sign-in")
    answer = client.post(
        "/ui/sign-in", data={"csrf_token": _csrf(form), "token": secret}
    )
    return client, answer


def seen(department: Department) -> dict[str, str]:
    """A page read that waits for what the test wrote (PostgreSQL projects
    on its own), as the API's reads do."""
    return {MIN_POSITION: str(department.session.position)}


def _code(department: Department, user: str, role: Role) -> str:
    runtime = department.runtime
    issued = runtime.app.issue_token(user, role, None, "test")
    code, _ = runtime.sign_in_codes.make(runtime.app.holder_hash(issued.token_id))
    return code


def test_a_sign_in_code_signs_its_holder_in_once(department):
    code = _code(department, "aud-wu", Role.AUDITOR)

    client, first = signed_in(department, code)
    _, second = signed_in(department, code)

    assert first.status_code == 303
    assert "aud-wu" in client.get("/ui/audit").get_data(as_text=True)
    assert second.status_code == 401
    assert "登录码无效、已被使用或已过期" in second.get_data(as_text=True)


def test_a_sign_in_code_is_refused_once_it_expired(department):
    codes = department.runtime.sign_in_codes
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    codes.now = lambda: start
    code = _code(department, "aud-wu", Role.AUDITOR)

    codes.now = lambda: start + LIFETIME + timedelta(seconds=1)
    _, late = signed_in(department, code)

    assert late.status_code == 401
    assert "登录码无效、已被使用或已过期" in late.get_data(as_text=True)


def test_only_an_admin_opens_the_rule_change_page(department):
    for role in (Role.AUDITOR, Role.REVIEWER):
        token = department.runtime.app.issue_token(f"u-{role}", role, None, "t").token
        client, _ = signed_in(department, token)
        refused = client.get("/ui/rules")
        assert refused.status_code == 403, role
        assert 'id="nav-rules"' not in refused.get_data(as_text=True)
    admin, _ = signed_in(department, department.admin.token)
    page = admin.get("/ui/rules")
    assert page.status_code == 200
    assert 'id="nav-rules"' in page.get_data(as_text=True)


def test_only_admins_and_auditors_open_the_audit_room(department):
    department.register("A-1")
    token = department.runtime.app.issue_token("A-1", Role.AGENT, None, "t").token
    agent, _ = signed_in(department, token)
    auditor, _ = signed_in(department, department.auditor.token)

    assert agent.get("/ui/audit").status_code == 403
    assert agent.get("/ui/audit/export?month=2026-10").status_code == 403
    assert auditor.get("/ui/audit").status_code == 200


def test_a_bad_rulebook_is_refused_field_by_field(department):
    admin, _ = signed_in(department, department.admin.token)
    page = admin.get("/ui/rules")
    document = json.dumps({"id": "r", "name": "R", "categories": "none"})

    refused = admin.post(
        "/ui/rules/preview",
        data={"csrf_token": _csrf(page), "rulebook": document,
              "from": "2026-10", "to": "2026-10"},
    )  # fmt: skip

    assert refused.status_code == 400  # as POST /rulebooks/preview answers it
    assert "rulebook.categories" in refused.get_data(as_text=True)
    assert document in refused.get_data(as_text=True).replace("&#34;", '"')


def test_the_export_download_carries_its_digest(department):
    department.register("A-1")
    department.deduct("A-1", "complaint", "2026-10-12")
    auditor, _ = signed_in(department, department.auditor.token)

    page = auditor.get(
        "/ui/audit?month=2026-10&agent_id=A-1&export=1", headers=seen(department)
    )
    download = auditor.get("/ui/audit/export?month=2026-10&agent_id=A-1")

    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    *events, last = download.get_data(as_text=True).splitlines()
    digest = hashlib.sha256("".join(f"{e}\n" for e in events).encode()).hexdigest()
    assert json.loads(last)["export"]["sha256"] == digest
    assert events and digest in page.get_data(as_text=True)


def test_the_payroll_of_a_published_month_downloads(department):
    department.register("A-1")
    for step in ("close", "publish"):
        answer = department.admin.post(f"/periods/2026-10/{step}")
        assert answer.status_code == 200, answer.json
        department.session.position = answer.json["position"]
    auditor, _ = signed_in(department, department.auditor.token)

    page = auditor.get("/ui/audit?month=2026-10", headers=seen(department))
    payroll = auditor.get("/ui/audit/payroll/2026-10?format=csv")

    assert "已发布" in page.get_data(
        as_text=True
    )  # the period's status, in the page's language
    assert payroll.status_code == 200
    assert payroll.get_data(as_text=True).lstrip("\ufeff").startswith("agent_id,")
    assert "A-1" in payroll.get_data(as_text=True)


def _harsher() -> dict[str, Any]:
    """The default rulebook with every deduction worth twice as much."""
    document = json.loads(json.dumps(default_publication().document))
    for category in document["categories"]:
        for item in category["items"]:
            if category["mode"] == "deduct" and "points" in item:
                item["points"] = str(Decimal(item["points"]) * 2)
    return document


def test_an_uploaded_rulebook_is_previewed_and_rebuilt_with_its_progress(department):
    department.register("A-1")
    department.register("A-2")
    department.deduct("A-1", "complaint", "2026-10-12")
    admin, _ = signed_in(department, department.admin.token)
    upload = json.dumps(_harsher()).encode()
    form = {"csrf_token": _csrf(admin.get("/ui/rules")), "rulebook": "",
            "from": "2026-10", "to": "2026-10", "effective_from": "2026-10",
            "reason": "Deductions count double"}  # fmt: skip

    preview = admin.post(
        "/ui/rules/preview",
        data={**form, "file": (io.BytesIO(upload), "r.json")},
        headers=seen(department),
    )
    started = admin.post(
        "/ui/rules/rebuild", data={**form, "file": (io.BytesIO(upload), "r.json")}
    )

    assert preview.status_code == 200
    assert 'id="preview-chart"' in preview.get_data(as_text=True)
    row = re.search(
        r'<tr data-agent="A-1">(.*?)</tr>', preview.get_data(as_text=True), re.S
    )
    assert row and "→" in row.group(1)
    assert started.status_code == 303
    page = admin.get(started.headers["Location"]).get_data(as_text=True)
    status = re.search(r'data-status="([^"]+)"', page)
    assert status and "Deductions count double" in page
    deadline = time.monotonic() + 60
    while (found := admin.get(status.group(1)).json)["status"] == "running":
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    rebuild_id = status.group(1).rsplit("/", 1)[-1]
    api = department.admin.get(f"/rebuilds/{rebuild_id}").json
    same = ("status", "events_total", "result", "reason", "rulebook_id", "version")
    assert {k: found[k] for k in same} == {k: api[k] for k in same}
    assert found["status"] == "completed"
    assert found["bar"]["value"] == found["bar"]["max"]  # a full bar


def test_an_upload_that_is_not_json_is_refused_on_the_rulebook(department):
    admin, _ = signed_in(department, department.admin.token)
    upload = (io.BytesIO(b"categories: []"), "r.yaml")
    data = {"csrf_token": _csrf(admin.get("/ui/rules")), "from": "2026-10",
            "to": "2026-10", "file": upload}  # fmt: skip

    refused = admin.post("/ui/rules/preview", data=data)

    assert refused.status_code == 400
    assert "不是有效的 JSON" in refused.get_data(as_text=True)


def test_no_code_is_made_for_a_revoked_token(department):
    app = department.runtime.app
    issued = app.issue_token("aud-wu", Role.AUDITOR, None, "test")
    app.revoke_token(issued.token_id, "admin", "left the company")

    with pytest.raises(TokenRejectedError):
        app.holder_hash(issued.token_id)


def test_a_page_reading_through_a_view_keeps_its_access_rule(department):
    """The pages call the API's views below their HTTP decorators, but not
    below their access check: what the view refuses a role, a page does."""
    with department.app.test_request_context("/ui/audit"):
        g.principal = Principal("A-1", Role.AGENT)
        with pytest.raises(NotPermittedError):
            reads.answer(audit.verify, VerificationOut)
        g.principal = Principal("aud-wu", Role.AUDITOR)
        assert reads.answer(audit.verify, VerificationOut)["ok"] is True
