"""Tokens have a life: they expire, can be revoked and rotated, and their holder
is told why one is refused; guessing tokens is slowed to a crawl."""

from __future__ import annotations

from datetime import timedelta

from domain.access import Role
from tests.clock import service_today


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_expires_after_its_last_day_with_a_reason(department):
    app = department.runtime.app
    issued = app.issue_token("temp", Role.AUDITOR, None, "test", valid_days=1)
    client = department.app.test_client()
    assert client.get("/agents", headers=bearer(issued.token)).status_code == 200
    assert issued.expires_on == service_today()

    today = app.today
    app.today = lambda: service_today() + timedelta(days=1)
    try:
        refused = client.get("/agents", headers=bearer(issued.token))
    finally:
        app.today = today

    assert refused.status_code == 401
    assert refused.content_type == "application/problem+json"
    assert f"expired on {issued.expires_on}" in refused.json["detail"]
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_refused_saying_when_by_whom_and_why(department):
    app = department.runtime.app
    issued = app.issue_token("leaver", Role.AUDITOR, None, "test")
    client = department.app.test_client()
    assert client.get("/agents", headers=bearer(issued.token)).status_code == 200

    app.revoke_token(issued.token_id, "admin", "left the company")

    refused = client.get("/agents", headers=bearer(issued.token))
    assert refused.status_code == 401
    assert "revoked" in refused.json["detail"]
    assert "left the company" in refused.json["detail"]


def test_rotating_a_token_hands_its_rights_to_a_new_one_and_revokes_it(department):
    app = department.runtime.app
    old = app.issue_token("sup-t1", Role.SUPERVISOR, "t1", "test")
    new = app.rotate_token(old.token_id, "admin")
    client = department.app.test_client()

    assert client.get("/agents", headers=bearer(old.token)).status_code == 401
    assert client.get("/agents", headers=bearer(new.token)).status_code == 200
    assert new.principal == old.principal
    listed = {t.token_id: t for t in app.tokens()}
    assert listed[old.token_id].revoked["reason"] == f"rotated to {new.token_id}"
    assert listed[new.token_id].revoked is None
    assert all(new.token not in repr(t) for t in listed.values())


def test_guessing_tokens_is_refused_with_429_after_a_few_failures(department):
    client = department.app.test_client()
    answers = [
        client.get("/agents", headers=bearer(f"apr_guess{n}")).status_code
        for n in range(25)
    ]

    assert answers[:20] == [401] * 20
    assert answers[20:] == [429] * 5
    last = client.get("/agents", headers=bearer("apr_more"))
    assert last.status_code == 429
    assert last.content_type == "application/problem+json"
    assert int(last.headers["Retry-After"]) > 0
    assert client.get("/health").status_code == 200  # health is never limited


def test_successful_requests_do_not_count_towards_the_limit(department):
    department.register("a1")
    for _ in range(30):
        assert department.admin.get("/agents").status_code == 200
