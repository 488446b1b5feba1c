"""The ranking board, an agent's month and an event's page through Flask's
test client: moments in the past, the agent's year, an event's own content,
and bad input answered field by field; on both backends."""

from __future__ import annotations

import json
import re

from domain.month import Month
from tests.api.test_admin_pages import seen, signed_in
from tests.clock import service_today

TODAY = service_today()
THIS_MONTH = Month.of(TODAY)
FIRST = TODAY.replace(day=1)  # in the current month, never in the future
YEAR_DATA = re.compile(r'id="year-data">(.*?)</script>', re.S)
TOTAL = re.compile(r'<strong id="total">([^<]*)</strong>')


def _month_of_two_facts(department):
    department.register("a1")
    first = department.deduct("a1", "slow_reply", FIRST.isoformat(), note="late")
    second = department.deduct(
        "a1", "slow_reply", FIRST.isoformat(), note="rude", evidence_ref="T-9"
    )
    client, _ = signed_in(department, department.admin.token)
    return client, first["position"], second["position"]


def test_an_agents_month_as_it_stood_at_its_first_fact(department):
    client, first, second = _month_of_two_facts(department)
    path = f"/ui/agents/a1/{THIS_MONTH}"

    now = client.get(f"{path}?lang=en", headers=seen(department))
    then = client.get(f"{path}?lang=en&position={first}", headers=seen(department))

    assert now.status_code == then.status_code == 200
    now_total = TOTAL.search(now.get_data(as_text=True)).group(1)
    then_total = TOTAL.search(then.get_data(as_text=True)).group(1)
    assert float(then_total) - float(now_total) == 1.0  # one slow reply fewer
    page = then.get_data(as_text=True)
    assert f"As it stood at position {first}" in page
    assert f"/events/{second}" not in page  # the later fact is not there yet
    assert f'min="{first}" max="{second}"' in page  # the timeline spans both


def test_the_agents_year_has_a_total_for_each_month_up_to_today(department):
    client, _, _ = _month_of_two_facts(department)

    page = client.get(f"/ui/agents/a1/{THIS_MONTH}", headers=seen(department))

    text = page.get_data(as_text=True)
    year = json.loads(YEAR_DATA.search(text).group(1))
    months = range(1, TODAY.month + 1)
    assert year["labels"] == [f"{TODAY.year}-{m:02d}" for m in months]
    assert year["totals"][-1] == TOTAL.search(text).group(1)


def test_an_events_page_shows_the_facts_own_content(department):
    client, _, second = _month_of_two_facts(department)
    path = f"/ui/agents/a1/{THIS_MONTH}/events"

    page = client.get(f"{path}/{second}?lang=en", headers=seen(department))

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<dt>Note</dt><dd>rude</dd>" in text
    assert "<dt>Evidence</dt><dd>T-9</dd>" in text
    assert '<dd id="recorded-by">admin</dd>' in text
    missing = client.get(f"{path}/{second + 1000}", headers=seen(department))
    assert missing.status_code == 404


def test_an_events_page_says_what_it_was_and_its_status_in_chinese(department):
    client, _, second = _month_of_two_facts(department)
    path = f"/ui/agents/a1/{THIS_MONTH}/events/{second}"

    text = client.get(f"{path}?lang=zh-CN", headers=seen(department)).get_data(
        as_text=True
    )

    assert '<dd id="event-type">一项事实</dd>' in text
    assert '<dd id="status">已计分</dd>' in text


def test_a_bad_moment_is_refused_field_by_field_on_every_page(department):
    client, first, _ = _month_of_two_facts(department)
    month = f"/ui/agents/a1/{THIS_MONTH}"
    for path, field in (
        ("/ui/rankings?as_of=soon", "as_of"),
        (f"{month}?position=first", "position"),
        (f"{month}?as_of={FIRST}T10:00&position={first}", "position"),
        (f"{month}/events/{first}?as_of=yesterday", "as_of"),
    ):
        page = client.get(path)

        assert page.status_code == 400, path
        assert f"<code>{field}</code>" in page.get_data(as_text=True), path


def test_the_board_takes_a_browsers_time_without_seconds(department):
    client, _, _ = _month_of_two_facts(department)

    page = client.get(
        f"/ui/rankings?month={THIS_MONTH}&as_of={FIRST}T00:00&lang=en",
        headers=seen(department),
    )

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="as-of-position"' in text
    assert f'value="{FIRST}T00:00:00"' in text  # the picker keeps the moment


def test_the_board_says_its_months_period_in_the_pages_language(department):
    client, _, _ = _month_of_two_facts(department)
    board = f"/ui/rankings?month={THIS_MONTH}"

    chinese = client.get(f"{board}&lang=zh-CN", headers=seen(department))
    english = client.get(f"{board}&lang=en", headers=seen(department))

    assert '<span id="period">尚未关账</span>' in chinese.get_data(as_text=True)
    assert '<span id="period">not closed yet</span>' in english.get_data(as_text=True)


def test_an_agents_month_says_its_remarks_and_period_in_chinese(department):
    client, _, _ = _month_of_two_facts(department)
    for _ in range(2):  # counted once a month: the second is remarked on
        department.deduct("a1", "target_missed", FIRST.isoformat())

    page = client.get(
        f"/ui/agents/a1/{THIS_MONTH}?lang=zh-CN", headers=seen(department)
    )

    text = page.get_data(as_text=True)
    assert '<span id="period">尚未关账</span>' in text
    assert "(本月已计过一次)" in text
    assert "Project-Id-Version" not in text  # an empty remark stays empty
