"""The admin's rule-change page and the auditor's room in a real browser
(Debian's headless Chromium through Selenium) against ``appraisal serve`` on
the demo department, and the one-time sign-in code ``appraisal token code``
prints, as people use them."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from decimal import Decimal
from typing import Any

import pytest

from domain.register import default_publication
from tests.e2e.commands import ServedDemo, run_ok
from tests.e2e.test_pages_browser import (
    _browser_or_skip,
    browser,
    console_errors,
    drawn,
    follow,
    sign_in,
    text_of,
)

__all__ = ["browser"]  # the fixture, shared with the pages' other tests


@pytest.fixture(scope="module")
def served(demo_served: ServedDemo) -> dict[str, Any]:
    """The demo department served on each backend: its base URL, tokens, and
    the environment and directory the command line runs in beside it."""
    _browser_or_skip()
    return {
        "base": demo_served.base,
        "tokens": demo_served.tokens,
        "env": demo_served.env,
        "cwd": demo_served.cwd,
    }


def _wait(driver: Any, condition: Any, seconds: float = 30) -> None:
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(driver, seconds).until(lambda d: condition())


def _paste(driver: Any, document: Any) -> None:
    driver.execute_script(
        "document.getElementById('rulebook').value = arguments[0];",
        json.dumps(document, ensure_ascii=False, indent=1),
    )


def _harsher() -> dict[str, Any]:
    """The demo's rulebook with every deduction worth twice as much."""
    document = json.loads(json.dumps(default_publication().document))
    for category in document["categories"]:
        if category["mode"] != "deduct":
            continue
        for item in category["items"]:
            if "points" in item:
                item["points"] = str(Decimal(item["points"]) * 2)
    document["name"] = "Harsher deductions"
    return document


def test_an_admin_previews_a_rule_change_rebuilds_and_switches_back(
    served, browser, tmp_path
):
    base = served["base"]
    sign_in(browser, base, served["tokens"]["admin:admin"])
    follow(browser, browser.find_element("id", "nav-rules"))
    assert "规则变更" in text_of(browser, "h1")

    _paste(browser, {"id": "x", "name": "X", "categories": [{"code": "hr"}]})
    follow(browser, browser.find_element("id", "preview"))
    errors = text_of(browser, "#field-errors")
    assert "rulebook.categories.0.max" in errors
    assert "必填" in errors
    refused = console_errors(browser)  # the browser notes the page's 400, only
    assert all("/ui/rules/preview" in e and "400" in e for e in refused), refused

    _paste(browser, _harsher())
    follow(browser, browser.find_element("id", "preview"))
    rows = browser.find_elements("css selector", "#preview-table tbody tr")
    assert rows, "the preview shows no agent-month that changes"
    assert "→" in rows[0].text
    assert drawn(browser, "preview-chart")
    browser.save_screenshot(str(tmp_path / "rules-preview-zh-CN.png"))

    browser.find_element("id", "reason").send_keys("Deductions count double")
    follow(browser, browser.find_element("id", "rebuild"))
    _wait(browser, lambda: text_of(browser, "#rebuild-status") == "已完成")
    assert int(text_of(browser, "#events-done")) > 0
    assert "每秒" in text_of(browser, "#rebuild-rate")
    browser.refresh()  # the page finds the rebuild on the server again
    assert text_of(browser, "#rebuild-status") == "已完成"
    assert "Deductions count double" in text_of(browser, "#rebuild-progress")
    bar = browser.find_element("id", "progress-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    polled = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch(document.getElementById("rebuild-progress").dataset.status)
            .then((answer) => answer.json()).then(done);
        """
    )  # what the bar reads while a rebuild runs
    assert (
        polled["status"] == "completed"
        and polled["reason"] == "Deductions count double"
    )

    live = browser.find_element("css selector", "#generation-table tr.live")
    assert "Deductions count double" in live.text
    rebuilt = live.get_attribute("id")
    switch = browser.find_element("css selector", "#generation-table form.switch")
    switch.find_element("name", "reason").send_keys("Back to the old rules")
    follow(browser, switch.find_element("css selector", "button"))
    now_live = browser.find_element("css selector", "#generation-table tr.live")
    assert now_live.get_attribute("id") != rebuilt
    assert "Deductions count double" not in now_live.text
    follow(browser, browser.find_element("id", "lang-en"))
    assert "Rule change" in text_of(browser, "h1")
    assert "Read-model generations" in text_of(browser, "#generations")
    assert console_errors(browser) == []


def _token_id(served: dict[str, Any], user: str) -> str:
    listed = run_ok("token", "list", env=served["env"], cwd=served["cwd"]).stdout
    rows = [line.split("\t") for line in listed.splitlines()[1:]]
    return next(row[0] for row in rows if row[1] == user and "valid" in row[-1])


def test_an_auditor_signs_in_with_a_code_verifies_the_chain_and_exports(
    served, browser
):
    base = served["base"]
    made = run_ok(
        "token", "code", _token_id(served, "auditor"), env=served["env"],
        cwd=served["cwd"],
    )  # fmt: skip
    code = made.stdout.strip()
    sign_in(browser, base, code)
    assert "auditor" in text_of(browser, ".who")

    follow(browser, browser.find_element("id", "nav-audit"))
    follow(browser, browser.find_element("id", "verify"))
    assert "哈希链完好" in text_of(browser, "#verification")

    from selenium.webdriver.support.select import Select

    Select(browser.find_element("id", "agent_id")).select_by_value("CS-101")
    follow(browser, browser.find_element("id", "export"))
    digest = text_of(browser, "#digest")
    link = browser.find_element("id", "download-export").get_attribute("href")
    session = browser.get_cookie("appraisal_session")["value"]
    request = urllib.request.Request(
        link, headers={"Cookie": f"appraisal_session={session}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert "attachment" in answer.headers["Content-Disposition"]
        *events, last = answer.read().decode("utf-8").splitlines()
    assert events, "the export holds no event"
    assert json.loads(last)["export"]["sha256"] == digest
    lines = "".join(f"{event}\n" for event in events).encode("utf-8")
    assert hashlib.sha256(lines).hexdigest() == digest
    assert console_errors(browser) == []

    browser.delete_all_cookies()  # the same code a second time is refused
    browser.get(base + "/ui/sign-in")
    browser.find_element("id", "token").send_keys(code)
    follow(browser, browser.find_element("id", "sign-in"))
    assert "已被使用" in text_of(browser, "#refusal")
