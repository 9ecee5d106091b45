"""The adversary must single out nobody, for every audience we check, on every scenario and the sample."""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from tests.privacy.adversary import attack
from tests.privacy.conftest import scenarios
from toolkit.privacy.disclosure import release

SCENARIOS = [
    "threshold_sizes",
    "small_team",
    "cut_short",
    "leaver",
    "overlapping_cuts",
    "cadence_short",
    "cadence_teams",
    "unanimous",
]
REPORT: dict[str, str] = {}


@pytest.fixture(scope="module")
def built(survey):
    return scenarios(survey)


def _run(survey, built, name, complementary, constructs=("depth",)):
    responses, units, team, dept = built[name]
    rel = release(responses, survey, units, complementary=complementary)
    out = []
    for construct in constructs:
        for audience in ("analyst", f"manager:{team}", f"leader:{dept}"):
            out.append(attack(rel, audience, responses, survey, units, construct))
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_nobody_singled_out(survey, built, name):
    # every construct's scores: each is a family of its own, with its own respondents
    for res in _run(survey, built, name, True, constructs=tuple(survey.constructs)):
        print(res.summary())
        assert res.timeouts == 0
        assert not res.singled_out, res.summary() + f": {res.singled_out}"


def test_unanimous_team_is_a_group_disclosure(survey, built):
    res = _run(survey, built, "unanimous", True)[0]
    assert res.group_disclosures >= 5 and not res.singled_out


def test_adversary_catches_leak_without_complementary_suppression(survey, built):
    found = {}
    for name in SCENARIOS:
        found[name] = sum(len(r.singled_out) for r in _run(survey, built, name, False))
    print(found)
    assert found["small_team"] > 0 and found["overlapping_cuts"] > 0


@pytest.mark.parametrize("audience", ["analyst", "manager:t01", "leader:div01"])
def test_sample_wave(survey, audience):
    valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    units = pd.read_csv("data/sample/units.csv")
    rel = release(valid, survey, units, audiences=[audience])
    if audience != "leader:div01":  # the organisation's cuts: the analyst's and every manager's
        assert rel["cut"].astype(str).str.startswith("cadence=").any()  # the cadence cuts are attacked too
    for construct in survey.constructs:
        res = attack(rel, audience, valid, survey, units, construct, waves=["2026Q1"])
        print(construct, res.summary())
        assert res.timeouts == 0
        assert not res.singled_out, res.summary() + f": {res.singled_out}"
