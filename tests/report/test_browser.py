"""Browser test: a report in headless Chromium shows its key figures and its suppressed state.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); skipped when
``/usr/bin/chromium`` is absent. The screenshots are kept in pytest's tmp dir and copied to
``out/test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import AXE, CHROMIUM, KEEP, WIDTHS, chrome, needs_chromium, serious_violations
from tests.report.conftest import ROOT, WAVE

pytestmark = needs_chromium


def _chromium(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    args = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,2000",
        *extra,
        url,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.parametrize("state", ["published", "suppressed"])
def test_report_in_chromium(tmp_path, sample_reports, sample_release, state):
    out, manifest = sample_reports
    team = manifest.loc[manifest["suppressed"] == (state == "suppressed"), "team"].iloc[0]
    page = out / f"{team}.html"
    url = page.resolve().as_uri()
    dom = _chromium(tmp_path, url, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert f"team {team}, {WAVE}" in html
    rows = sample_release[
        (sample_release["audience"] == f"manager:{team}") & (sample_release["wave"] == WAVE)
    ]
    org_depth = rows[(rows["unit"] == "org") & (rows["measure"] == "depth:mean") & (rows["cut"] == "all")]
    assert f"{org_depth['value'].item():.2f}" in html
    assert "Your 1:1 rhythm" in html and 'id="depth-by-cadence"' in html
    assert "Comparison with teams of the same cadence:" in html
    if state == "suppressed":
        assert "Results for your team are not shown." in html
    else:
        own = rows[(rows["unit"] == team) & (rows["measure"] == "depth:mean") & (rows["cut"] == "all")]
        assert f"<strong>{own['value'].item():.2f}</strong>" in html
        assert "Results for your team are not shown." not in html
    shot = tmp_path / f"report_{state}.png"
    res = _chromium(tmp_path, url, f"--screenshot={shot}")
    assert res.returncode == 0 and shot.is_file() and shot.stat().st_size > 10_000, res.stderr[-2000:]
    keep = ROOT / "out" / "test-artifacts"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / shot.name)


# --------------------------------------------------------------------------- every screen (Selenium)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium driven through chromedriver (Debian's chromium-driver)."""
    yield from chrome()


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory, sample_release, sample_comments, survey, units):
    """A published and a suppressed manager report, and the organisation heatmap, of the sample."""
    from toolkit.report import write_reports

    out = tmp_path_factory.mktemp("screens")
    managers = pd.read_csv(ROOT / "data" / "sample" / "teams.csv")
    reports = write_reports(
        sample_release, survey, units, wave=WAVE, out_dir=out, managers=managers, comments=sample_comments
    )
    m = reports.manifest
    return {
        "published": out / m.loc[~m["suppressed"], "file"].iloc[0],
        "suppressed": out / m.loc[m["suppressed"], "file"].iloc[0],
        "organisation": reports.paths["organisation"],
    }


def _open(driver, page: Path, width: int) -> dict:
    driver.set_window_size(width, 900)
    driver.get(page.resolve().as_uri())
    return driver.execute_script(
        "return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " height: document.documentElement.scrollHeight}"
    )


@pytest.mark.parametrize("which", ["published", "suppressed", "organisation"])
def test_no_horizontal_overflow_at_any_width(browser, demo_pages, which):
    """Phone, tablet and desktop: the page never scrolls sideways (the heatmap scrolls inside its
    own frame), and a screenshot of each is kept for a person to look at."""
    KEEP.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        size = _open(browser, demo_pages[which], width)
        assert size["scroll"] <= size["inner"], (which, width, size)
        browser.set_window_size(width, min(size["height"] + 150, 9000))
        shot = KEEP / f"{which}_{width}.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000


def test_heatmap_fits_at_desktop_width(browser, demo_pages):
    """At 1200 px every construct column of the heatmap is on screen: nothing behind a scrollbar."""
    _open(browser, demo_pages["organisation"], 1200)
    fits = browser.execute_script(
        "const w = document.querySelector('.heatmap-wrap'); return [w.scrollWidth, w.clientWidth];"
    )
    assert fits[0] <= fits[1], fits
    sticky = browser.execute_script(
        "return [getComputedStyle(document.querySelector('#heatmap thead th')).position,"
        " getComputedStyle(document.querySelector('#heatmap tbody th.unit')).position]"
    )
    assert sticky == ["sticky", "sticky"]


def test_scores_table_reflows_on_a_phone(browser, demo_pages):
    _open(browser, demo_pages["published"], 375)
    display = browser.execute_script(
        "return getComputedStyle(document.querySelector('#scores tbody td')).display"
    )
    assert display == "block"
    _open(browser, demo_pages["published"], 1200)
    assert browser.execute_script(
        "const t = document.querySelector('#scores'); return t.scrollWidth <= t.parentElement.clientWidth"
    )


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make test fetches it with npm)")
@pytest.mark.parametrize("which", ["published", "suppressed", "organisation"])
def test_axe_finds_no_serious_violation(browser, demo_pages, which):
    """axe-core, injected into the page, at phone and desktop widths: no serious or critical
    violation of WCAG 2 A/AA."""
    for width in (375, 1200):
        _open(browser, demo_pages[which], width)
        bad = serious_violations(browser)
        assert bad == [], (which, width, bad)


def test_reports_print_to_pdf(tmp_path, sample_release, survey, units):
    """--pdf: one PDF per team beside its HTML, printed by headless Chromium, listed in the manifest."""
    from toolkit.report import write_reports

    small = units[units["unit"].isin(["org", "div01", "dep01", "t03", "t17"])]
    reports = write_reports(sample_release, survey, small, wave=WAVE, out_dir=tmp_path, pdf=True)
    assert reports.manifest["pdf"].tolist() == ["t03.pdf", "t17.pdf"]
    for name in reports.manifest["pdf"]:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 20_000, name
    assert "pdf" in pd.read_csv(tmp_path / "manifest.csv").columns
