"""The organisation heatmap: analyst rows only, suppressed cells shown as such."""

from __future__ import annotations

import re

from tests.report.conftest import WAVE, parse
from toolkit.report import organisation_report, write_organisation_report


def test_heatmap_cells_match_the_analyst_rows(tmp_path, sample_release, survey, units):
    path = write_organisation_report(sample_release, survey, units, wave=WAVE, out_dir=tmp_path)
    html = path.read_text(encoding="utf-8")
    assert path.name == "organisation.html"
    page = parse(html)
    assert page.tags[0] == ("html", {"lang": "en"})
    analyst = sample_release[
        (sample_release["audience"] == "analyst")
        & (sample_release["wave"] == WAVE)
        & (sample_release["cut"] == "all")
    ]
    published = {
        (str(u), str(m)): v
        for u, m, v in zip(analyst["unit"], analyst["measure"], analyst["value"], strict=True)
    }
    body = html.split("<tbody>")[1]
    rows = re.findall(r'<th scope="row" class="unit d\d">([^<\s]*).*?</th>(.*?)</tr>', body, flags=re.S)
    assert [r[0] for r in rows][:1] == ["org"] and len(rows) == len(units)
    n_suppressed = 0
    for unit, rest in rows:
        cells = re.findall(r'<td class="cell (\w+)" title="[^"]*">(.*?)</td>', rest)
        assert len(cells) == len(survey.constructs)
        for c, (cls, text) in zip(survey.constructs, cells, strict=True):
            v = published.get((unit, f"{c}:mean"))
            if v is None:
                assert (cls, text) == ("suppressed", "suppressed"), (unit, c)
                n_suppressed += 1
            else:
                assert text == f"{v:.2f}" and cls.startswith("h"), (unit, c)
    assert n_suppressed > 0
    assert "repeating-linear-gradient" in html  # the hatch: not colour alone


def test_heatmap_reads_only_analyst_rows(sample_release, survey, units):
    managers_only = sample_release[sample_release["audience"] != "analyst"]
    html = organisation_report(managers_only, survey, units, wave=WAVE)
    assert re.search(r'<td class="cell h\d"', html) is None
