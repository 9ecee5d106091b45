"""The portal in a real browser: headless Chromium (Debian's chromium) driven by Selenium through
Debian's chromium-driver, against uvicorn on loopback.

A manager signs in by link, reads the report, tries another team's URL and a traversal, and signs
out; a leader and an analyst open theirs. Every page is checked at 375, 768 and 1200 px (no
sideways scroll; a screenshot of each is kept in ``out/test-artifacts/portal_*.png``) and by
axe-core (no serious or critical WCAG 2 A/AA violation). Skipped only when Chromium is absent.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.browser import AXE, KEEP, WIDTHS, chrome, needs_chromium, serious_violations
from tests.serve.conftest import WAVE

pytestmark = needs_chromium


class _Uvicorn(threading.Thread):
    """uvicorn serving an app on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        import uvicorn

        super().__init__(daemon=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        self.server.run()

    def __enter__(self):
        self.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.join(10)


@pytest.fixture(scope="module")
def browser():
    yield from chrome()


def _h1(driver) -> str:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    for _ in range(50):  # a click navigates: the old page's heading may go stale under our hands
        try:
            return driver.find_element("tag name", "h1").text
        except (StaleElementReferenceException, NoSuchElementException):
            time.sleep(0.1)
    return driver.find_element("tag name", "h1").text


def _click_and_wait(driver, by: str, what: str) -> None:
    """Click, then wait until the browser has left the page (its old root element goes stale)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    driver.find_element(by, what).click()

    def left(_) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:  # chromedriver's other word for stale, mid-navigation
            if "does not belong to the document" in str(e):
                return True
            raise
        return False

    WebDriverWait(driver, 15).until(left)


_SIZE = (
    "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
    " height: document.documentElement.scrollHeight}"
)


def _screens(driver, name: str) -> None:
    """At each width: no sideways scroll, and a full-page screenshot kept for a person to look at."""
    KEEP.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        driver.refresh()
        size = driver.execute_script(_SIZE)
        assert size["inner"] == width and size["scroll"] <= width, (name, width, size)
        driver.set_window_size(width, min(size["height"] + 150, 9000))
        shot = KEEP / f"portal_{name}_{width}.png"
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 5_000


def _axe(driver, name: str) -> None:
    """axe-core at phone and desktop widths: no serious or critical violation."""
    if not AXE.exists():
        return  # make test fetches axe-core with npm; without npm the check is left out
    for width in (375, 1200):
        driver.set_window_size(width, 900)
        driver.refresh()
        bad = serious_violations(driver)
        assert bad == [], (name, width, bad)


def test_sign_in_read_try_another_team_and_sign_out_in_chromium(
    browser, site, sample_release, sample_comments, survey, units, tmp_path
):
    from toolkit.serve.app import COOKIE

    link = site.link("ann@example.org")
    with _Uvicorn(site.app) as base:
        browser.delete_all_cookies()
        browser.get(base + link)
        assert browser.current_url == base + "/"
        assert _h1(browser) == "Your 1:1 survey reports"
        cookie = next(c for c in browser.get_cookies() if c["name"] == COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        _screens(browser, "index")
        _axe(browser, "index")

        _click_and_wait(browser, "link text", "Team t01: manager report")
        assert browser.current_url == f"{base}/reports/{WAVE}/manager:t01"
        assert f"team t01, {WAVE}" in _h1(browser)
        rows = sample_release[
            (sample_release["audience"] == "manager:t01") & (sample_release["wave"] == WAVE)
        ]
        org = rows[(rows["unit"] == "org") & (rows["measure"] == "depth:mean") & (rows["cut"] == "all")]
        assert f"{org['value'].item():.2f}" in browser.page_source
        _screens(browser, "manager")
        _axe(browser, "manager")

        for path in (
            f"/reports/{WAVE}/manager:t03",
            f"/reports/{WAVE}/analyst",
            "/reports/..%2f..%2fetc/passwd",
        ):
            browser.get(base + path)
            assert _h1(browser) == "Page not found", path
            assert "<table" not in browser.page_source

        browser.get(f"{base}/reports/{WAVE}/manager:t01")
        _click_and_wait(browser, "css selector", "nav.portal-bar button")
        assert _h1(browser) == "You have signed out"
        assert not [c for c in browser.get_cookies() if c["name"] == COOKIE]
        browser.get(f"{base}/reports/{WAVE}/manager:t01")
        assert _h1(browser) == "Please sign in"
        browser.get(base + link)  # the link again: used
        assert _h1(browser) == "This sign-in link has already been used"
        _screens(browser, "used_link")


@pytest.mark.parametrize(
    ("email", "audience", "name", "title"),
    [
        ("bob@example.org", "leader:div02", "leader", "division div02"),
        ("carol@example.org", "analyst", "analyst", "Organisation heatmap"),
    ],
)
def test_leader_and_analyst_pages_on_every_screen(
    browser, site, sample_release, survey, units, tmp_path, email, audience, name, title
):
    link = site.link(email)
    with _Uvicorn(site.app) as base:
        browser.delete_all_cookies()
        browser.get(base + link)
        assert browser.current_url == base + "/"
        browser.get(f"{base}/reports/{WAVE}/{audience}")
        assert title in _h1(browser)
        _screens(browser, name)
        _axe(browser, name)
