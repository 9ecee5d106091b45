"""The leader's unit report: only its audience's rows, every number one of them, its states."""

from __future__ import annotations

import pytest

from tests.report.conftest import WAVE, WAVES, parse, unexplained_numbers
from toolkit.report.unit import unit_report


@pytest.mark.parametrize("unit", ["org", "div02", "dep04"])
def test_every_number_is_one_of_the_leaders_rows(sample_release, sample_comments, survey, units, unit):
    html = unit_report(sample_release, survey, units, unit=unit, wave=WAVE, comments=sample_comments)
    audience = f"leader:{unit}"
    rows = sample_release[(sample_release["audience"] == audience) & (sample_release["wave"] == WAVE)]
    said = sample_comments[(sample_comments["audience"] == audience) & (sample_comments["wave"] == WAVE)]
    assert unexplained_numbers(html, rows, waves=WAVES, comments=said) == []
    assert 'id="heatmap"' in html and 'id="participation"' in html


def test_the_unit_and_only_the_units_below_it(sample_release, survey, units):
    html = unit_report(sample_release, survey, units, unit="div02", wave=WAVE)
    page = parse(html)
    text = " ".join(page.text)
    below = {"div02", "dep02", "dep04"} | set(units.loc[units["parent"].isin(["dep02", "dep04"]), "unit"])
    others = set(units["unit"]) - below - {"org"}
    shown = {u for u in units["unit"] if f">{u} " in html or f">{u}<" in html}
    assert below <= shown
    assert not (shown & others)
    assert "Comments are not part of this report." in text


def test_refuses_other_audiences_rows_teams_and_unknown_units(sample_release, survey, units):
    from toolkit.report.unit import _View

    with pytest.raises(ValueError, match="not a team"):
        unit_report(sample_release, survey, units, unit="t01", wave=WAVE)
    with pytest.raises(ValueError, match="got 'nowhere'"):
        unit_report(sample_release, survey, units, unit="nowhere", wave=WAVE)
    with pytest.raises(ValueError, match="not in the release"):
        unit_report(sample_release, survey, units, unit="div02", wave="2031Q1")
    mixed = sample_release[sample_release["audience"].isin(["leader:div02", "manager:t01"])]
    from toolkit.privacy.disclosure import load_policy
    from toolkit.units import Units

    with pytest.raises(ValueError, match="was given rows of"):
        _View(mixed, survey, Units(units), unit="div02", wave=WAVE, prev=None, pol=load_policy())
