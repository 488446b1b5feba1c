"""The supervisor's desk and the reviewer's queue in a real browser (Debian's
headless Chromium), against ``appraisal serve`` on the demo department (on
SQLite and on PostgreSQL) with a reviewer's token issued through the CLI: a
supervisor disputes a deduction, a reviewer sees what overturning it would do, confirms,
and the agent's month shows the new total, and the old one as it stood.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e import test_pages_browser
from tests.e2e.commands import ServedDemo, run_ok
from tests.e2e.test_pages_browser import (
    _browser_or_skip,
    console_errors,
    follow,
    sign_in,
    text_of,
)

REVIEWER = "rev-chen"
browser = test_pages_browser.browser  # a fresh headless Chromium, as there


@pytest.fixture(scope="module")
def served(demo_served: ServedDemo) -> tuple[str, dict]:
    """The demo department served on each backend, its base URL and tokens,
    with a reviewer's token (``reviewer:rev-chen``) issued by ``appraisal
    token``."""
    _browser_or_skip()
    issued = run_ok(
        "token", "issue", "--user", REVIEWER, "--role", "reviewer",
        env=demo_served.env, cwd=demo_served.cwd,
    )  # fmt: skip
    reviewer = {f"reviewer:{REVIEWER}": issued.stdout.strip()}
    return demo_served.base, {**demo_served.tokens, **reviewer}


def sign_out(driver: Any) -> None:
    follow(driver, driver.find_element("id", "sign-out"))


def test_a_dispute_overturned_on_review_changes_the_agents_month(served, browser):
    from selenium.webdriver.common.by import By

    base, tokens = served
    sign_in(browser, base, tokens["supervisor:sup-zhang"], "/ui/desk")
    assert "主管工作台" in text_of(browser, "h1")

    # The supervisor disputes the first deduction still open to dispute.
    form = browser.find_elements(By.CSS_SELECTOR, "#deductions form.dispute-form")[0]
    line = form.find_element(By.XPATH, "./ancestor::tr")
    deduction = line.get_attribute("data-deduction")
    agent_id = line.find_element(By.CSS_SELECTOR, "td .id").text
    month = line.find_element(By.CSS_SELECTOR, "td a").get_attribute("href")[-7:]
    deadline = line.find_element(By.CSS_SELECTOR, ".deadline").text
    line.find_element(By.TAG_NAME, "summary").click()
    assert f"本月申诉截止于 {deadline}" in form.text
    form.find_element(By.NAME, "reason").send_keys("录音显示是另一位客服")
    form.find_element(By.NAME, "evidence").send_keys("rec-7")
    follow(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    assert "已对该扣分提出申诉" in text_of(browser, "#done")
    assert "申诉中" in text_of(browser, f"#deduction-{deduction} .status")
    assert "录音显示是另一位客服" in text_of(browser, "#open-disputes")
    assert console_errors(browser) == []
    browser.get(f"{base}/ui/agents/{agent_id}/{month}")
    before = text_of(browser, "#total")
    sign_out(browser)

    # The reviewer finds it in the queue, previews overturning it, confirms.
    sign_in(browser, base, tokens[f"reviewer:{REVIEWER}"], "/ui/reviews")
    assert "复核队列" in text_of(browser, "h1")
    row = browser.find_element(
        By.CSS_SELECTOR, f'#queue tr[data-deduction="{deduction}"]'
    )
    follow(browser, row.find_element(By.CSS_SELECTOR, "a.open-review"))
    browser.find_element("id", "outcome-overturned").click()
    browser.find_element("id", "note").send_keys("同意撤销")
    follow(browser, browser.find_element("id", "preview"))

    assert "尚未记录" in browser.page_source
    previewed = text_of(browser, f'#preview-cascade tr[data-agent="{agent_id}"] .total')
    was, after = previewed.split(" → ")
    assert was == before and float(after) > float(before)
    as_it_stood = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.1)  # the resolution is recorded after that moment
    follow(browser, browser.find_element("id", "confirm"))

    assert "已处理" in text_of(browser, "#done")
    confirmed = text_of(browser, f'#cascade tr[data-agent="{agent_id}"] .total')
    assert confirmed == f"{before} → {after}"
    assert console_errors(browser) == []

    # The agent's month: the new total now, the old one as it stood.
    browser.get(f"{base}/ui/agents/{agent_id}/{month}")
    assert text_of(browser, "#total") == after
    moment = as_it_stood.isoformat().replace("+00:00", "Z")
    browser.get(f"{base}/ui/agents/{agent_id}/{month}?as_of={moment}")
    assert text_of(browser, "#total") == before
    browser.get(f"{base}/ui/reviews")
    assert not browser.find_elements(
        By.CSS_SELECTOR, f'#queue tr[data-deduction="{deduction}"]'
    )
    assert console_errors(browser) == []


def test_a_dispute_posted_without_its_csrf_token_is_refused(served, browser):
    from selenium.webdriver.common.by import By

    base, tokens = served
    sign_in(browser, base, tokens["supervisor:sup-li"], "/ui/desk")
    form = browser.find_elements(By.CSS_SELECTOR, "#deductions form.dispute-form")[0]
    deduction = form.find_element(By.XPATH, "./ancestor::tr").get_attribute(
        "data-deduction"
    )
    browser.execute_script(
        "arguments[0].querySelector('input[name=csrf_token]').remove()", form
    )
    form.find_element(By.XPATH, "./ancestor::details/summary").click()
    form.find_element(By.NAME, "reason").send_keys("no token")
    follow(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    assert text_of(browser, "#problem").startswith("400")
    browser.get(f"{base}/ui/desk")
    assert "申诉中" not in text_of(browser, f"#deduction-{deduction} .status")


def test_the_nav_offers_each_role_its_pages_and_a_page_refuses_other_roles(
    served, browser
):
    base, tokens = served
    sign_in(browser, base, tokens["agent:CS-101"])
    assert not browser.find_elements("id", "nav-desk")
    browser.get(f"{base}/ui/desk")
    assert text_of(browser, "#problem").startswith("403")
    browser.get(f"{base}/ui/reviews")
    assert text_of(browser, "#problem").startswith("403")
    sign_out(browser)

    sign_in(browser, base, tokens["admin:admin"])
    follow(browser, browser.find_element("id", "nav-reviews"))
    assert "复核队列" in text_of(browser, "h1")
    follow(browser, browser.find_element("id", "nav-desk"))
    assert "主管工作台" in text_of(browser, "h1")
