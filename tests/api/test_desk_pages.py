"""The supervisor's desk and the reviewer's queue through Flask's test
client, on both backends: who may open them, that every form needs its CSRF
token, that a refused form says why beside its field, and that a
resolution's preview records nothing and shows what confirming it answers."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from domain.access import Role
from domain.month import Month
from tests.api.conftest import Department
from tests.clock import service_today

MONTH = str(Month.of(service_today()))
DAY = Month.of(service_today()).first_day.isoformat()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HAN = re.compile("[\u4e00-\u9fff]")


def csrf_of(page: Any) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "the page carries no CSRF token"
    return found.group(1)


def signed_in(
    department: Department, user: str, role: Role, team: str | None = None
) -> FlaskClient:
    """A browser-like client signed in to the pages as ``user``."""
    token = department.runtime.app.issue_token(user, role, team, "test").token
    client = department.app.test_client()
    form = client.get("/ui/sign-in?lang=en")
    answer = client.post(
        "/ui/sign-in", data={"csrf_token": csrf_of(form), "token": token}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


def a_deduction(department: Department) -> str:
    """a1 and a2 in team t1; a complaint against a1 (3 points)."""
    department.register("a1")
    department.register("a2")
    return str(department.deduct("a1", "complaint", DAY)["deduction_id"])


def disputed(department: Department) -> tuple[str, str]:
    """The deduction a1's supervisor disputed on the desk, and the position
    the desk was sent to read from (``seen``)."""
    deduction = a_deduction(department)
    desk = signed_in(department, "sup-t1", Role.SUPERVISOR, "t1")
    form = desk.get("/ui/desk")
    answer = desk.post(
        f"/ui/desk/deductions/{deduction}/dispute",
        data={"csrf_token": csrf_of(form), "reason": "wrong agent", "evidence": "c-1"},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return deduction, answer.headers["Location"].split("seen=")[1].split("&")[0]


def test_a_supervisor_disputes_a_deduction_from_its_line_on_the_desk(department):
    deduction = a_deduction(department)
    desk = signed_in(department, "sup-t1", Role.SUPERVISOR, "t1")

    page = desk.get("/ui/desk?agent_id=a1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        f'id="deduction-{deduction}"' in text
        and "Disputes of this month close on" in text
    )
    assert not HAN.search(text[text.index("<main") :])  # English, as asked
    line = text[text.index(f'id="deduction-{deduction}"') :]
    line = line[: line.index("</tr>")]
    assert "Agent a1" in line and "Customer complaint" in line  # names, not codes

    answer = desk.post(
        f"/ui/desk/deductions/{deduction}/dispute?agent_id=a1",
        data={"csrf_token": csrf_of(page), "reason": "wrong agent", "evidence": "c-1"},
    )
    assert answer.status_code == 303
    assert "agent_id=a1" in answer.headers["Location"]
    after = desk.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The deduction is disputed" in after
    assert 'id="open-disputes"' in after and "wrong agent" in after
    listed = department.auditor.get("/disputes").json["disputes"]
    assert [d["deduction_id"] for d in listed] == [deduction]
    assert "主管工作台" in desk.get("/ui/desk?lang=zh-CN").get_data(as_text=True)


def test_a_refused_dispute_is_shown_beside_its_field_and_nothing_is_recorded(
    department,
):
    deduction = a_deduction(department)
    desk = signed_in(department, "sup-t1", Role.SUPERVISOR, "t1")
    form = desk.get("/ui/desk")

    blank = desk.post(
        f"/ui/desk/deductions/{deduction}/dispute",
        data={"csrf_token": csrf_of(form), "reason": "  ", "evidence": "c-1"},
    )

    assert blank.status_code == 400
    text = blank.get_data(as_text=True)
    assert 'id="error-reason"' in text
    assert 'value="c-1"' in text  # the form comes back as it was sent
    assert department.auditor.get("/disputes").json["disputes"] == []


def test_a_form_posted_without_its_csrf_token_is_refused_and_records_nothing(
    department,
):
    deduction = a_deduction(department)
    desk = signed_in(department, "sup-t1", Role.SUPERVISOR, "t1")
    before = department.event_count()

    refused = desk.post(
        f"/ui/desk/deductions/{deduction}/dispute", data={"reason": "wrong agent"}
    )

    assert refused.status_code == 400
    assert department.event_count() == before


def test_pages_refuse_the_roles_that_may_not_use_them(department):
    department.register("a1")
    agent = signed_in(department, "a1", Role.AGENT)
    auditor = signed_in(department, "aud", Role.AUDITOR)
    supervisor = signed_in(department, "sup-t1", Role.SUPERVISOR, "t1")
    reviewer = signed_in(department, "rev", Role.REVIEWER)

    for client, path in (
        (agent, "/ui/desk"), (auditor, "/ui/desk"), (reviewer, "/ui/desk"),
        (agent, "/ui/reviews"), (auditor, "/ui/reviews"), (supervisor, "/ui/reviews"),
    ):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert supervisor.get("/ui/desk").status_code == 200
    assert reviewer.get("/ui/reviews").status_code == 200
    page = supervisor.get("/ui/desk")
    refused = supervisor.post(
        "/ui/reviews/00000000-0000-0000-0000-000000000000/resolve",
        data={"csrf_token": csrf_of(page), "outcome": "upheld"},
    )
    assert refused.status_code == 403


def test_the_reviewer_previews_the_cascade_then_confirms_the_same_one(department):
    deduction, seen = disputed(department)
    reviewer = signed_in(department, "rev", Role.REVIEWER)
    queue = reviewer.get(f"/ui/reviews?seen={seen}").get_data(as_text=True)
    assert f'data-deduction="{deduction}"' in queue
    form = reviewer.get(f"/ui/reviews/{deduction}?seen={seen}")
    before = department.event_count()

    preview = reviewer.post(
        f"/ui/reviews/{deduction}/preview",
        data={"csrf_token": csrf_of(form), "outcome": "overturned", "note": "c-1"},
    )

    assert preview.status_code == 200, preview.get_data(as_text=True)
    shown = preview.get_data(as_text=True)
    assert 'id="preview-cascade"' in shown and "97.00 → 100.00" in shown
    assert 'id="confirm-form"' in shown
    assert department.event_count() == before  # nothing recorded yet

    confirmed = reviewer.post(
        f"/ui/reviews/{deduction}/resolve",
        data={"csrf_token": csrf_of(preview), "outcome": "overturned", "note": "c-1"},
    )

    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    done = confirmed.get_data(as_text=True)
    assert 'id="cascade"' in done and "97.00 → 100.00" in done
    assert "2 → 1" in done  # a1 passes a2
    assert department.event_count() == before + 1
    card = reviewer.get(f"/ui/agents/a1/{MONTH}").get_data(as_text=True)
    assert '<strong id="total">100.00</strong>' in card


def test_a_refused_resolution_says_why_beside_its_field(department):
    deduction, seen = disputed(department)
    reviewer = signed_in(department, "rev", Role.REVIEWER)
    form = reviewer.get(f"/ui/reviews/{deduction}?seen={seen}")

    refused = reviewer.post(
        f"/ui/reviews/{deduction}/preview",
        data={"csrf_token": csrf_of(form), "outcome": "adjusted"},
    )

    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert 'id="error-quantity"' in refused.get_data(as_text=True)


def test_the_desk_lists_the_plans_owed_and_takes_one_field_by_field(department):
    for agent in ("a1", "a2", "a3"):
        department.register(agent)
    department.deduct("a1", "complaint", "2026-10-05")
    department.deduct("a2", "target_missed", "2026-10-06")
    assert department.admin.post("/periods/2026-10/close").status_code == 200
    published = department.admin.post("/periods/2026-10/publish")
    assert published.status_code == 200, published.json
    department.session.position = published.json["position"]
    desk = signed_in(department, "sup-t1", Role.SUPERVISOR, "t1")
    page = desk.get(f"/ui/desk?seen={published.json['position']}")
    duties = department.auditor.get("/improvement-plans").json["duties"]
    owed = next(d for d in duties if d["agent_id"] == "a2")
    text = page.get_data(as_text=True)
    assert f'id="duty-{owed["duty_id"]}"' in text and owed["due_on"] in text
    plan = f"/ui/desk/plans/{owed['duty_id']}"

    blank = desk.post(
        plan, data={"csrf_token": csrf_of(page), "why": "", "actions": "coaching"}
    )
    sent = desk.post(
        plan, data={"csrf_token": csrf_of(page), "why": "missed", "actions": "coaching"}
    )

    assert blank.status_code == 400
    assert 'id="error-why"' in blank.get_data(as_text=True)
    assert sent.status_code == 303, sent.get_data(as_text=True)
    after = desk.get(sent.headers["Location"]).get_data(as_text=True)
    assert "The improvement plan is submitted." in after
    submitted = department.auditor.get("/improvement-plans?status=submitted").json
    assert [d["agent_id"] for d in submitted["duties"]] == ["a2"]


def test_the_queue_lists_open_disputes_oldest_first(department):
    first = a_deduction(department)
    second = str(department.deduct("a2", "complaint", DAY)["deduction_id"])
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    for deduction in (first, second):
        answer = supervisor.post(
            f"/deductions/{deduction}/disputes", json={"reason": "wrong agent"}
        )
        assert answer.status_code == 201, answer.json
    reviewer = signed_in(department, "rev", Role.REVIEWER)

    queue = reviewer.get(f"/ui/reviews?seen={answer.json['position']}")

    text = queue.get_data(as_text=True)
    assert text.index(f'data-deduction="{first}"') < text.index(
        f'data-deduction="{second}"'
    )


def test_a_deduction_with_no_open_dispute_has_no_review_page(department):
    deduction = a_deduction(department)
    reviewer = signed_in(department, "rev", Role.REVIEWER)

    page = reviewer.get(f"/ui/reviews/{deduction}?lang=en")
    unknown = reviewer.get("/ui/reviews/not-a-deduction?lang=en")

    assert page.status_code == unknown.status_code == 404
    assert "this deduction has no open dispute" in page.get_data(as_text=True)


def test_a_reviewers_queue_leaves_out_disputes_named_for_another_reviewer(department):
    first = a_deduction(department)
    second = str(department.deduct("a2", "complaint", DAY)["deduction_id"])
    supervisor = department.client_for("sup-t1", Role.SUPERVISOR, "t1")
    for deduction, reviewer in ((first, "zhou"), (second, "rev")):
        answer = supervisor.post(
            f"/deductions/{deduction}/disputes",
            json={"reason": "wrong agent", "reviewer": reviewer},
        )
        assert answer.status_code == 201, answer.json
    reviewer = signed_in(department, "rev", Role.REVIEWER)

    text = reviewer.get(f"/ui/reviews?seen={answer.json['position']}").get_data(
        as_text=True
    )

    assert f'data-deduction="{second}"' in text
    assert f'data-deduction="{first}"' not in text
