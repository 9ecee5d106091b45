"""Shared by the browser tests (reports and portal): headless Chromium through chromedriver, and
axe-core injected into a page.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them as root); axe-core
comes from the npm registry into ``.tools`` (``make test``). Screenshots go to
``out/test-artifacts/`` (gitignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (375, 768, 1200)
KEEP = ROOT / "out" / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser test needs headless Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium)",
)


def chrome() -> Iterator:
    """A headless Chromium driven through chromedriver, for a module-scoped fixture to yield."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not CHROMEDRIVER.exists():
        pytest.skip(
            "needs chromedriver at /usr/bin/chromedriver (Debian: apt-get install -y chromium-driver)"
        )
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def serious_violations(driver) -> list:
    """axe-core's serious and critical WCAG 2 A/AA violations of the page open in ``driver``, as
    ``[id, impact, nodes]`` (an error of axe itself counts as one)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])))"
        ".catch(e => done([['error', String(e), 0]]));"
    )
    return [v for v in result if v[1] in ("serious", "critical") or v[0] == "error"]
