"""The page in a real browser: Playwright driving Debian's chromium against a server the test starts.

Skipped only where chromium (or playwright) is missing and CI is not "true"; under CI=true a missing
browser fails. axe-core comes from npm (tests/ui/package.json: `npm ci --prefix tests/ui`).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RED_FLAG = "my knee gave way and I can't put weight on it"
SYMPTOM = "I feel a pull behind my knee when I stretch"
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("KNEEBOT_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / "tests" / "ui" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not CHROMIUM.exists():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not AXE.exists():
        return f"axe-core not found at {AXE} (npm ci --prefix tests/ui)"
    return None


@contextmanager
def chromium_browser() -> Iterator:
    """Debian's chromium through Playwright; skipped where it is missing, failed under CI=true."""
    reason = _unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One chromium for the whole module: the machine is shared."""
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser, web_url):
    """A fresh browser profile (empty storage) with the page open and its state loaded."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    open_page(tab, web_url)
    yield tab
    context.close()


def open_page(tab, url: str) -> None:
    tab.goto(url)
    tab.wait_for_selector("#kb-message textarea")
    # The load event writes the browser key into storage; typing before that would race it.
    tab.wait_for_function("() => localStorage.getItem('kneebot-web') !== null")


def bot_messages(tab):
    return tab.locator('[data-testid="bot"]')


def say(tab, text: str, *, press_enter: bool = True) -> str:
    """Type a message, send it, wait for the reply; returns the reply's text."""
    before = bot_messages(tab).count()
    tab.fill("#kb-message textarea", text)
    if press_enter:
        tab.press("#kb-message textarea", "Enter")
    else:
        tab.click("#kb-send")
    tab.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"bot\"]').length > n", arg=before)
    return bot_messages(tab).nth(before).inner_text()


def flat(text: str) -> str:
    return " ".join(text.split())


def banner(tab):
    return tab.locator('#kb-banner [role="alert"]')


def serious_violations(tab) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_symptom_question_answer_and_citation(page, web_assistant):
    reference = web_assistant.conversation()
    expected = [reference.send(SYMPTOM).question, reference.send("no").question]
    assert all(expected), "the symptom and the answer should each get a question"
    first = say(page, SYMPTOM)
    assert flat(expected[0]) in flat(first)
    second = say(page, "no", press_enter=False)
    assert flat(expected[1]) in flat(second)
    assert bot_messages(page).count() == 2
    assert page.locator("#kb-message textarea").input_value() == ""

    say(page, "what is a Baker's cyst?")

    citation = page.locator("details.kb-citation").first
    assert citation.get_attribute("open") is None
    assert citation.locator("summary").inner_text().strip()
    citation.locator("summary").click()
    assert citation.get_attribute("open") is not None
    assert citation.locator("blockquote").is_visible()
    # Keyboard too: a focused summary opens with Enter.
    last = page.locator("details.kb-citation").last
    if last.get_attribute("open") is None:
        last.locator("summary").focus()
        page.keyboard.press("Enter")
        assert last.get_attribute("open") is not None


def test_red_flag_banner_stays_and_survives_reload(page, web_url):
    say(page, SYMPTOM)
    assert banner(page).count() == 0
    say(page, RED_FLAG)
    assert banner(page).is_visible()
    words = banner(page).inner_text()
    assert len(words.split()) >= 5, "the banner says what to do in words"
    page_top = page.locator("#kb-banner").bounding_box()["y"]
    assert page_top <= page.locator("#kb-chat").bounding_box()["y"], "the banner sits above the chat"

    say(page, "ok, thanks")
    assert banner(page).is_visible(), "the banner stays on the next turn"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-desktop.png"))
    assert serious_violations(page) == [], "axe at desktop width with a conversation in progress"

    shown = bot_messages(page).count()
    page.reload()
    open_page(page, web_url)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"bot\"]').length === n", arg=shown)
    assert banner(page).is_visible(), "the banner is back after a reload"
    assert RED_FLAG in page.locator('[data-testid="user"]').nth(1).inner_text()


def test_new_conversation_is_clean(page):
    say(page, RED_FLAG)
    assert banner(page).is_visible()
    page.click("#kb-new")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"bot\"]').length === 0")
    assert banner(page).count() == 0
    examples = page.locator(".kb-example")
    assert examples.first.is_visible()
    examples.first.click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"bot\"]').length === 1")
    assert banner(page).count() == 0, "the red flag belonged to the previous conversation"


def test_markup_in_a_message_is_shown_as_text(page):
    say(page, "<b>bold</b> and **stars** behind my knee")
    user = page.locator('[data-testid="user"]').first
    assert user.locator("b, strong").count() == 0
    assert "<b>bold</b> and **stars**" in user.inner_text()
    # Keyboard: from the message box, Tab reaches Send.
    page.focus("#kb-message textarea")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('#kb-send') !== null")


def test_phone_width_screenshot_and_axe(browser, web_url):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    try:
        open_page(tab, web_url)
        say(tab, SYMPTOM)
        say(tab, RED_FLAG)
        tab.locator("details.kb-citation summary").first.click()
        width = tab.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"no sideways scrolling at phone width (page is {width}px)"

        tab.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        box = tab.locator("#kb-banner").bounding_box()
        assert box is not None and -1 <= box["y"] < PHONE["height"] / 4, "the banner stays at the top"
        tab.evaluate("() => window.scrollTo(0, 0)")

        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "web-390.png"), full_page=True)
        assert serious_violations(tab) == [], "axe at 390px with a conversation in progress"
    finally:
        context.close()
