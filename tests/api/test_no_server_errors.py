"""No input, however malformed, gives a 500: every command endpoint is fuzzed with
near-valid and random JSON, and every read endpoint with odd path parameters."""

from __future__ import annotations

import json
from uuid import uuid4

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.access import Role
from domain.month import Month
from domain.rulebook import shipped_document
from tests.clock import service_today
from web import create_app

TODAY = Month.of(service_today()).first_day.isoformat()
COMMANDS = {
    "/agents": {"agent_id": "a9", "name": "N", "team": "t1", "supervisor": "s"},
    "/deductions": {"agent_id": "a1", "item": "complaint", "occurred_on": TODAY},
    "/orders": {"order_no": "O1", "agent_id": "a1", "case": "customer",
                "amount": "10", "occurred_on": TODAY},
    "/orders/O1/steps": {"step": "check", "batch": 1, "passed": True,
                         "occurred_on": TODAY},
    "/complaints": {"complaint_no": "C1", "agent_id": "a1", "occurred_on": TODAY},
    "/promotion-activities": {"agent_id": "a1", "channel": "friends",
                              "occurred_on": TODAY, "reference": "r"},
    "/ratings": {"agent_id": "a1", "month": TODAY[:7], "assessor": "peer",
                 "dimensions": {"collaboration": "50", "service": "60"}},
    "/rulebooks/preview": {"rulebook": shipped_document("songsong-2019"),
                           "from": "2026-01", "to": "2026-02"},
    "/read-models/1/activate": {"reason": "r"},
    "/periods/2026-09/reopen": {"reason": "r"},
    "/periods/2026-09/close": {"unexpected": 1},
    "/agents/a1/leave": {"left_on": TODAY},
    "/calendar/closed-days": {"day": TODAY, "reason": "r"},
    "/improvement-plans/x": {"why": "w", "actions": "a"},
}  # fmt: skip
READS = [
    "/agents/{x}", "/deductions/{x}", "/orders/{x}", "/agents/{x}/scorecards/{x}",
    "/rankings/{x}", "/rulebooks/{x}/versions/1", "/rebuilds/{x}",
    "/periods/{x}", "/quarters/{x}/rewards", "/payroll/{x}.csv",
]  # fmt: skip

# Text the store cannot keep (NUL, lone surrogates) and dates at the edges too.
awkward = st.sampled_from(
    ["\u0000", "\ud800", "a\udfff", "9999-12-31", "0001-01-01", "20261120",
     "\uff12\uff10\uff12\uff16-10", "9999-12", "0000-Q1"]
)  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | awkward
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner)
    ),
    max_leaves=8,
)


@st.composite
def bodies(draw, valid: dict):
    """Mostly the valid body with some fields dropped, changed or added."""
    body = dict(valid)
    for name in draw(st.lists(st.sampled_from(sorted(valid)), max_size=3)):
        if draw(st.booleans()):
            body.pop(name, None)
        else:
            body[name] = draw(values)
    if draw(st.booleans()):
        body[draw(st.text(max_size=8))] = draw(values)
    return body


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def client(request, tmp_path_factory):
    config = {"DATA_DIR": tmp_path_factory.mktemp("fuzz"), "TESTING": True}
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
        schema = f"fuzz_{uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        config |= {"DATABASE_URL": url, "POSTGRES_SCHEMA": schema,
                   "INLINE_PROJECTION": True}  # fmt: skip
    app = create_app(config)
    runtime = app.extensions["appraisal"]["runtime"]
    token = runtime.app.issue_token("admin", Role.ADMIN, None, "test").token
    headers = {"Authorization": f"Bearer {token}"}
    test_client = app.test_client()
    body = {"agent_id": "a1", "name": "A", "team": "t1", "supervisor": "s"}
    assert test_client.post("/agents", json=body, headers=headers).status_code == 201
    yield test_client, headers
    runtime.close()


def check(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("path", sorted(COMMANDS))
@FUZZ
@given(data=st.data())
def test_a_command_never_answers_500(client, path, data):
    test_client, headers = client
    body = data.draw(bodies(COMMANDS[path]) | values)
    check(test_client.post(path, data=json.dumps(body), headers=headers,
                           content_type="application/json"))  # fmt: skip


@pytest.mark.parametrize("path", READS)
@FUZZ
@given(
    # A URL carries bytes: a lone surrogate cannot be sent, but its UTF-8-ish
    # bytes and a NUL can, percent-encoded.
    part=(
        st.text(min_size=1, max_size=30)
        | awkward.filter(lambda s: s[-1:] < "\ud800" or s[-1:] > "\udfff")
        | st.sampled_from(["%00", "a%00b", "%ED%A0%80", "%FF", "9999-Q4"])
    ).filter(lambda s: "/" not in s and "?" not in s)
)
def test_a_read_never_answers_500(client, path, part):
    test_client, headers = client
    check(test_client.get(path.replace("{x}", part), headers=headers))
