"""Browser test: a report in headless Chromium shows its key figures and its suppressed state.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``); skipped when
``/usr/bin/chromium`` is absent. The screenshots are kept in pytest's tmp dir and copied to
``out/test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.report.conftest import ROOT, WAVE

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser test needs headless Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium)",
)


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
