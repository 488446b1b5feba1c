"""The pages in a real browser: Debian's headless Chromium, driven by Selenium
through Debian's chromedriver, against ``appraisal serve`` on the demo
department (on SQLite, and on PostgreSQL beside ``appraisal project``), as a
person would use them.

Without Chromium these tests skip, except in CI (``CI=true``), where they
fail: ``apt-get install chromium chromium-driver`` (README, tests).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.commands import ServedDemo

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HAN = re.compile("[\u4e00-\u9fff]")


def _browser_or_skip() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    why = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
    if os.environ.get("CI") == "true":
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def served(demo_served: ServedDemo) -> tuple[str, dict]:
    """The demo department served on each backend: its base URL and tokens."""
    _browser_or_skip()
    return demo_served.base, demo_served.tokens


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium whose reader prefers Chinese, as a browser
    in a Chinese department does."""
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=zh-CN",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def text_of(driver: Any, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, selector).text)


def follow(driver: Any, element: Any) -> None:
    """Click ``element`` and wait for the page it leads to."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    page = driver.find_element("css selector", "html")
    element.click()
    # Asked while the new page replaces it, Chromium may answer "node does not
    # belong to the document" instead of a stale element: ask again.
    wait = WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,))
    wait.until(expected_conditions.staleness_of(page))


def sign_in(driver: Any, base: str, token: str, start: str = "/ui/") -> None:
    driver.get(base + start)
    assert "/ui/sign-in" in driver.current_url
    driver.find_element("id", "token").send_keys(token)
    follow(driver, driver.find_element("id", "sign-in"))


def drawn(driver: Any, canvas_id: str) -> bool:
    """Chart.js drew on the canvas: it says so, and some pixel is painted."""
    return bool(
        driver.execute_script(
            """
            const canvas = document.getElementById(arguments[0]);
            if (!canvas || canvas.dataset.drawn !== "true") return false;
            const pixels = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
            return false;
            """,
            canvas_id,
        )
    )


def post_json(base: str, token: str, path: str, body: dict) -> dict:
    """What the API answers a POST of ``body`` with ``token`` (201 expected)."""
    import json
    import urllib.request

    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}",
                 "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201
        return dict(json.loads(answer.read()))


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_an_admin_signs_in_with_a_token_and_sees_the_board_in_chinese(
    served, browser, tmp_path
):
    base, tokens = served

    sign_in(browser, base, tokens["admin:admin"])

    assert "/ui/rankings" in browser.current_url
    assert "排名榜" in text_of(browser, "h1")
    assert browser.find_element("css selector", "html").get_attribute("lang") == "zh-CN"
    board = text_of(browser, "#ranking")
    assert "名次" in board and "总分" in board and "等级" in board
    assert "Wang Fang" in board and "Zhao Lei" in board
    assert "前列" in board  # the top group is marked
    assert drawn(browser, "totals-chart")
    assert console_errors(browser) == []
    browser.save_screenshot(str(tmp_path / "ranking-zh-CN.png"))


def test_the_language_switch_turns_the_pages_to_english_and_keeps_them_so(
    served, browser
):
    base, tokens = served
    sign_in(browser, base, tokens["auditor:auditor"])

    follow(browser, browser.find_element("id", "lang-en"))

    assert "Ranking board" in text_of(browser, "h1")
    assert not HAN.search(text_of(browser, "#ranking"))
    browser.get(base + "/ui/rankings")  # the choice is kept (a cookie)
    assert "Ranking board" in text_of(browser, "h1")
    assert browser.find_element("css selector", "html").get_attribute("lang") == "en"


def test_an_agents_month_shows_the_waterfall_with_each_step_linked_to_its_event(
    served, browser, tmp_path
):
    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])

    follow(browser, browser.find_element("link text", "Li Na"))

    assert "/ui/agents/CS-102/" in browser.current_url
    assert "Li Na" in text_of(browser, "h1")
    assert "评分卡" in browser.page_source
    assert drawn(browser, "waterfall-chart")
    links = browser.find_elements("css selector", "#trail a[href*='/events/']")
    assert links, "no step of the trail links to its event"
    position = links[0].text
    follow(browser, links[0])

    assert browser.current_url.endswith(f"/events/{position}")
    assert text_of(browser, "#position") == position
    assert text_of(browser, "#recorded-by") == "sup-zhang"
    assert "songsong-2019" in text_of(browser, "#rulebook")
    assert re.fullmatch(r"[0-9a-f-]{36}:[0-9]+", text_of(browser, "#event-id"))
    assert "demo" in text_of(browser, "#content")  # the deduction's note
    assert console_errors(browser) == []


def test_a_bar_of_the_waterfall_opens_its_event(served, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])
    follow(browser, browser.find_element("link text", "Li Na"))
    canvas = browser.find_element("id", "waterfall-chart")
    # The middle of the first step's bar (after the start), from Chart.js.
    x, y, width, height = browser.execute_script(
        """
        const canvas = arguments[0], bar = Chart.getChart(canvas)
            .getDatasetMeta(0).data[1];
        return [bar.x, (bar.y + bar.base) / 2, canvas.clientWidth,
                canvas.clientHeight];
        """,
        canvas,
    )
    page = browser.find_element("css selector", "html")

    ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - width / 2), int(y - height / 2)
    ).click().perform()

    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(page))
    assert re.search(r"/ui/agents/CS-102/[0-9-]+/events/[0-9]+$", browser.current_url)
    assert text_of(browser, "#recorded-by") == "sup-zhang"


def test_the_event_page_shows_a_complaints_number_and_text(served, browser):
    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])
    month = browser.find_element("id", "month").get_attribute("value")
    recorded = post_json(
        base, tokens["admin:admin"], "/complaints",
        {"complaint_no": "C-4711", "agent_id": "CS-106", "occurred_on": f"{month}-10",
         "order_no": "O-88", "description": "hung up on the customer"},
    )  # fmt: skip

    browser.get(f"{base}/ui/agents/CS-106/{month}")
    follow(browser, browser.find_element("link text", str(recorded["position"])))

    content = text_of(browser, "#content")
    assert "投诉编号" in content and "C-4711" in content
    assert "投诉内容" in content and "hung up on the customer" in content
    assert "O-88" in content
    assert text_of(browser, "#recorded-by") == "admin"
    browser.get(f"{base}/ui/agents/CS-106/{month}/events/999999")
    assert text_of(browser, "#problem").startswith("404")


def test_the_timeline_shows_an_agents_month_as_it_stood_at_an_earlier_event(
    served, browser
):
    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])
    follow(browser, browser.find_element("link text", "Li Na"))
    now = text_of(browser, "#total")
    steps = len(browser.find_elements("css selector", "#trail tbody tr"))
    timeline = browser.find_element("id", "position")
    first = int(timeline.get_attribute("min"))
    assert int(timeline.get_attribute("value")) == int(timeline.get_attribute("max"))
    page = browser.find_element("css selector", "html")

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    width = timeline.size["width"]  # a click at its left end: the first event
    ActionChains(browser).move_to_element_with_offset(
        timeline, -width // 2 + 1, 0
    ).click().perform()

    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(page))
    assert f"position={first}" in browser.current_url
    assert str(first) in text_of(browser, "#as-of")
    assert text_of(browser, "#total") != now
    assert len(browser.find_elements("css selector", "#trail tbody tr")) < steps
    follow(browser, browser.find_element("id", "now"))
    assert text_of(browser, "#total") == now


def test_the_timeline_moves_an_event_a_key_and_shows_it_on_request(
    served, browser, tmp_path
):
    from selenium.webdriver.common.keys import Keys

    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])
    follow(browser, browser.find_element("link text", "Li Na"))
    here = browser.current_url
    timeline = browser.find_element("id", "position")
    events = [int(p) for p in timeline.get_attribute("data-positions").split(",")]
    assert len(events) >= 2

    timeline.send_keys(Keys.ARROW_LEFT)  # one event back, not one position

    assert text_of(browser, "#position-shown") == str(events[-2])
    assert browser.current_url == here  # a key press does not reload
    follow(browser, browser.find_element("id", "show-position"))
    assert f"position={events[-2]}" in browser.current_url
    assert str(events[-2]) in text_of(browser, "#as-of")


def test_the_agents_totals_over_the_year_are_a_line_chart(served, browser):
    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])
    follow(browser, browser.find_element("link text", "Li Na"))

    assert drawn(browser, "year-chart")
    year = browser.execute_script(
        "return JSON.parse(document.getElementById('year-data').textContent)"
    )
    month = browser.current_url.rsplit("/", 1)[1]
    assert all(label[:4] == month[:4] for label in year["labels"])
    shown = year["totals"][year["labels"].index(month)]
    assert shown == text_of(browser, "#total")


def test_the_board_as_it_stood_before_anything_was_recorded(served, browser):
    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])
    month = browser.find_element("id", "month").get_attribute("value")
    picker = browser.find_element("id", "as_of")
    assert picker.get_attribute("type") == "datetime-local"
    browser.execute_script(
        "arguments[0].value = arguments[1]", picker, f"{month}-01T00:00"
    )

    follow(browser, browser.find_element("id", "show"))

    assert f"as_of={month}-01T00" in browser.current_url
    assert "位置 0" in text_of(browser, "#note")  # nothing recorded by then
    assert not browser.find_elements("id", "ranking")
    follow(browser, browser.find_element("id", "now"))
    assert "Wang Fang" in text_of(browser, "#ranking")


def test_a_form_posted_without_its_csrf_token_is_refused(served, browser):
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])

    page = browser.find_element("css selector", "html")
    browser.execute_script(
        """
        const form = document.createElement("form");
        form.method = "post";
        form.action = "/ui/sign-out";
        document.body.appendChild(form);
        form.submit();
        """
    )
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(page))

    assert text_of(browser, "#problem").startswith("400")
    browser.get(base + "/ui/rankings")  # still signed in: nothing was done
    assert "排名榜" in text_of(browser, "h1")


def test_signing_out_sends_the_person_back_to_sign_in(served, browser):
    base, tokens = served
    sign_in(browser, base, tokens["admin:admin"])

    follow(browser, browser.find_element("id", "sign-out"))

    assert "/ui/sign-in" in browser.current_url
    assert "登录" in text_of(browser, "h1")
    browser.get(base + "/ui/rankings")
    assert "/ui/sign-in" in browser.current_url
    cookies = {c["name"] for c in browser.get_cookies()}
    assert "appraisal_session" not in cookies


def test_an_agent_cannot_open_a_colleagues_month(served, browser):
    base, tokens = served
    sign_in(browser, base, tokens["agent:CS-101"])
    month = browser.find_element("id", "month").get_attribute("value")

    browser.get(f"{base}/ui/agents/CS-102/{month}")

    assert text_of(browser, "#problem").startswith("403")
    browser.get(f"{base}/ui/agents/CS-101/{month}")  # their own month opens
    assert "Wang Fang" in text_of(browser, "h1")


def test_a_supervisor_reads_another_teams_agent_as_the_api_lets_them(served, browser):
    """Supervisors read the department (docs/api.md, roles): the page refuses
    what the API refuses, no more."""
    base, tokens = served
    sign_in(browser, base, tokens["supervisor:sup-zhang"])
    month = browser.find_element("id", "month").get_attribute("value")

    browser.get(f"{base}/ui/agents/CS-202/{month}")

    assert "Huang Ying" in text_of(browser, "h1")


# Every page, as each check below opens it: who signs in (None: nobody) and
# how a person reaches it. Pages whose route this build lacks are skipped.
def _to_agent_month(driver: Any, base: str) -> None:
    driver.get(base + "/ui/rankings")
    follow(driver, driver.find_element("link text", "Li Na"))


def _to_event(driver: Any, base: str) -> None:
    _to_agent_month(driver, base)
    follow(driver, driver.find_element("css selector", "#trail a[href*='/events/']"))


PAGES: dict[str, tuple[str | None, Any]] = {
    "sign-in": (None, "/ui/sign-in"),
    "ranking": ("admin:admin", "/ui/rankings"),
    "agent-month": ("admin:admin", _to_agent_month),
    "event": ("admin:admin", _to_event),
    "desk": ("supervisor:sup-zhang", "/ui/desk"),
    "reviews": ("admin:admin", "/ui/reviews"),
    "rules": ("admin:admin", "/ui/rules"),
    "audit": ("auditor:auditor", "/ui/audit"),
}
LANGUAGES = ("zh-CN", "en")


def open_page(driver: Any, served: tuple[str, dict], page: str) -> str:
    """Sign in as the page's reader and open it; its URL."""
    base, tokens = served
    who, way = PAGES[page]
    if who is not None:
        sign_in(driver, base, tokens[who])
    if callable(way):
        way(driver, base)
    else:
        driver.get(base + way)
    problems = driver.find_elements("id", "problem")
    if problems and problems[0].text.startswith("404") and isinstance(way, str):
        pytest.skip(f"{way} is not served by this build")
    assert not problems, problems[0].text if problems else ""
    return str(driver.current_url)


def in_language(driver: Any, url: str, lang: str) -> None:
    """Open ``url`` in ``lang`` (the switch's query parameter)."""
    driver.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert driver.find_element("css selector", "html").get_attribute("lang") == lang


def save_whole_page(driver: Any, path: Path) -> None:
    """A PNG of the whole page, below the fold too, at ``path``."""
    import base64

    width, height = driver.execute_script(
        "const page = document.documentElement;"
        "return [page.scrollWidth, page.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": clip},
    )
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the pages' screenshots go: ``$APPRAISAL_SCREENSHOTS`` if set, else
    a directory of the test run; their list is printed and kept in index.txt."""
    chosen = os.environ.get("APPRAISAL_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    taken = sorted(p.name for p in folder.glob("*.png"))
    (folder / "index.txt").write_text("\n".join(taken) + "\n", encoding="utf-8")
    print(f"\nscreenshots of the pages in {folder}:", *taken, sep="\n  ")


@pytest.mark.parametrize("page", PAGES)
def test_no_page_has_a_serious_accessibility_violation(served, browser, page):
    from tests.e2e.axe import serious_violations

    url = open_page(browser, served, page)
    for lang in LANGUAGES:
        in_language(browser, url, lang)

        assert serious_violations(browser) == [], f"{page} in {lang}"


def test_the_accessibility_check_finds_a_field_without_its_label(served, browser):
    from tests.e2e.axe import serious_violations

    open_page(browser, served, "sign-in")
    browser.execute_script("document.querySelector('label[for=token]').remove()")

    found = serious_violations(browser)

    assert any(v.startswith("label (critical)") and "#token" in v for v in found)


def on_a_phone(driver: Any) -> None:
    """The viewport of a phone 390 CSS pixels wide."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_page_fits_a_phone_390_pixels_wide(served, browser, page, screenshots):
    url = open_page(browser, served, page)
    on_a_phone(browser)
    for lang in LANGUAGES:
        in_language(browser, url, lang)
        width, scrolled = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]"
        )

        assert width == 390
        assert scrolled <= width, f"{page} in {lang} is {scrolled} px wide"
        save_whole_page(browser, screenshots / f"{page}-{lang}-390px.png")


def test_on_a_phone_the_ranking_scrolls_sideways_in_its_own_box(served, browser):
    open_page(browser, served, "ranking")
    on_a_phone(browser)
    browser.refresh()
    box = browser.find_element("css selector", ".scroll:has(#ranking)")
    wide, shown = browser.execute_script(
        "return [arguments[0].scrollWidth, arguments[0].clientWidth]", box
    )
    assert wide > shown  # every column keeps its width; the box scrolls

    browser.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", box)

    assert browser.execute_script("return arguments[0].scrollLeft", box) > 0
    assert browser.execute_script("return window.scrollX") == 0


@pytest.mark.parametrize("page", PAGES)
def test_a_screenshot_of_every_page_in_both_languages(
    served, browser, page, screenshots
):
    url = open_page(browser, served, page)
    for lang in LANGUAGES:
        in_language(browser, url, lang)
        shot = screenshots / f"{page}-{lang}.png"

        save_whole_page(browser, shot)

        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert console_errors(browser) == []
