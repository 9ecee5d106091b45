"""The integer-programming adversary against the release: nobody may be singled out.

Every hard shape of ``conftest.py`` and the sample are attacked from the views of DESIGN.md section
7: one manager, one leader, and all managers of a department together with its leader (and, for
two waves, the manager and the department over both). The adversary must have teeth: on a release
without complementary suppression (``complementary=False``, unsafe on purpose) it finds the known
derivations, checked against the true answers.
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from tests.privacy.adversary import AdversaryError, Attack, UnknownMeasure, attack
from tests.privacy.conftest import Q1, Q2, scenarios
from toolkit.privacy.disclosure import release

NAMES = (
    "teams_5_and_6",
    "threshold_team",
    "one_person_teams",
    "cut_5_1",
    "leaver",
    "one_cadence_teams",
    "one_na_team_of_6",
    "unanimous",
)
VIEWS = ("manager", "leader", "department")
#: The sample is a tight organisation (every cut of a department is a small group), so proving a
#: respondent's range wide takes MILPs of dozens of classes; the suite attacks the construct of
#: the "does not apply" derivation and meeting length there (bench/bench_privacy.py attacks all).
SAMPLE_TARGETS = ("availability", "meeting_length")


# --------------------------------------------------------------------------- cached attacks


@pytest.fixture(scope="session")
def built(survey):
    return scenarios(survey)


@pytest.fixture(scope="session")
def attacked(survey, built):
    """``attacked(name, view, complementary)``: the attack of a scenario's view, computed once."""
    releases: dict = {}
    done: dict = {}

    def run(name: str, view: str, complementary: bool = True) -> Attack:
        key = (name, view, complementary)
        if key not in done:
            s = built[name]
            if (name, complementary) not in releases:
                releases[name, complementary] = release(
                    s.responses, survey, s.units, complementary=complementary
                )
            done[key] = attack(releases[name, complementary], s.views()[view], s.responses, survey, s.units)
        return done[key]

    return run


@pytest.fixture(scope="session")
def sample(survey):
    """The sample's first two waves (valid rows), its units, and its release."""
    valid = pd.concat(
        [
            toolkit.validate(toolkit.read_canonical(f"data/sample/responses_{w}.csv"), survey).valid
            for w in (Q1, Q2)
        ],
        ignore_index=True,
    )
    units = pd.read_csv("data/sample/units.csv")
    return valid, units, release(valid, survey, units)


def _department(units: pd.DataFrame, dept: str) -> list[str]:
    teams = units.loc[units["parent"] == dept, "unit"].tolist()
    return [f"leader:{dept}", *(f"manager:{t}" for t in teams)]


def _assert_safe(a: Attack):
    print(a.summary(10))
    assert not a.timeouts, a.timeouts
    assert not a.singled_out, a.summary(10)


def _true_score(responses, survey, rid, wave, construct) -> float:
    s = toolkit.score(responses, survey)
    row = s[(s["respondent"] == rid) & (s["wave"] == wave) & (s["construct"] == construct)]
    return float(row["score"].iloc[0])


# --------------------------------------------------------------------------- nobody singled out


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("name", NAMES)
def test_nobody_singled_out(attacked, name, view):
    _assert_safe(attacked(name, view))


def test_two_waves_are_attacked_together(attacked, built):
    # the leaver scenario: the manager and the department see both waves, the leaver (a05) in
    # the first only, the joiner (b06) in the second only
    sizes = built["leaver"].responses.groupby("wave").size().to_dict()
    assert sizes == {Q1: 42, Q2: 42}
    for view in ("manager", "department"):
        a = attacked("leaver", view)
        assert a.waves == (Q1, Q2) and a.respondents == 84


@pytest.mark.parametrize(
    ("view", "waves"),
    [
        (["manager:t03"], [Q1]),
        (["leader:dep01"], [Q1]),
        ("department", [Q1]),
        (["leader:dep01"], [Q1, Q2]),
    ],
    ids=["manager", "leader", "department", "leader-two-waves"],
)
def test_sample_nobody_singled_out(survey, sample, view, waves):
    valid, units, rel = sample
    view = _department(units, "dep01") if view == "department" else view
    assert rel["cut"].astype(str).str.startswith("cadence=").any()  # the cadence cuts are attacked too
    _assert_safe(attack(rel, view, valid, survey, units, waves=waves, targets=SAMPLE_TARGETS))


def test_sample_ingested_from_qualtrics_nobody_singled_out(survey, tmp_path_factory):
    from toolkit.ingest.pipeline import ingest
    from toolkit.simulate import pseudonym_key

    roster = pd.read_csv("data/sample/roster.csv", dtype="str")
    store = tmp_path_factory.mktemp("privacy") / "store"
    ingest(
        "data/sample/exports/qualtrics_2026Q1.csv",
        survey,
        roster=roster,
        wave=Q1,
        store=store,
        key=pseudonym_key(2026),
    )
    responses = toolkit.load_waves(store)
    units = pd.read_csv("data/sample/units.csv")
    rel = release(responses, survey, units, audiences=["leader:dep01"])
    _assert_safe(attack(rel, ["leader:dep01"], responses, survey, units, targets=SAMPLE_TARGETS))


# --------------------------------------------------------------------------- group disclosures


def test_unanimous_team_is_a_group_disclosure(attacked, built):
    # every member of ta answered 5 everywhere and shares every demographic: exchangeable, and
    # pinned together, but no more than the whole team's published means already say
    a = attacked("unanimous", "leader")
    team = {r for r in built["unanimous"].responses["respondent"] if r.startswith("u")}
    grouped = [f for f in a.group_disclosures if f.respondent in team]
    assert {f.respondent for f in grouped} == team
    assert {f.target for f in grouped if f.kind == "score"} == set(
        toolkit.load_survey("surveys/one_on_one_pulse.yaml").constructs
    )
    assert all(f.class_size == 5 and f.low == f.high == 5.0 for f in grouped if f.kind == "score")
    assert not [f for f in a.singled_out if f.respondent in team]


# --------------------------------------------------------------------------- teeth


def test_teeth_not_applicable_pattern(attacked, built, survey):
    # derivation 1: a construct mean against its own items. a03 answered "does not apply" to
    # avail_reachable; the item sums of the team are exact, so 4 * n * mean - sum of the keyed
    # item sums is a03's keyed sum of three items: the score to the last digit
    a = attacked("one_na_team_of_6", "manager", False)
    found = [f for f in a.singled_out if f.respondent == "a03" and f.target == "availability"]
    assert len(found) == 1
    f = found[0]
    true = _true_score(built["one_na_team_of_6"].responses, survey, "a03", Q1, "availability")
    assert f.kind == "score" and f.low == pytest.approx(true) and f.high == pytest.approx(true)
    assert f.true == pytest.approx(true) and f.group.startswith(f"{Q1} ta all")


def test_teeth_cut_difference(attacked, built, survey):
    # a 6-person team cut 5/1 by level: the team minus its level=individual cut is c05, whose
    # every construct score is derived
    a = attacked("cut_5_1", "leader", False)
    found = {f.target: f for f in a.singled_out if f.respondent == "c05" and f.kind == "score"}
    assert set(found) == set(survey.constructs)
    for construct, f in found.items():
        true = _true_score(built["cut_5_1"].responses, survey, "c05", Q1, construct)
        assert f.low - 1e-9 <= true <= f.high + 1e-9 and f.high - f.low < 0.12
    # ... and some of c05's answers are pinned to their true codes
    answers = [f for f in a.singled_out if f.respondent == "c05" and f.kind == "answer"]
    assert answers and all(f.low == f.true for f in answers)


def test_teeth_cadence_cuts_minus_teams(attacked, survey, built):
    # derivation 2: div1's cadence=monthly cut minus ts (all monthly) is z04, the one monthly
    # member of the mixed team tz; the department's managers and leader see both
    a = attacked("one_cadence_teams", "department", False)
    found = {f.target for f in a.singled_out if f.respondent == "z04" and f.kind == "score"}
    assert found == set(survey.constructs)
    assert not [
        f for f in attacked("one_cadence_teams", "manager", False).singled_out if f.respondent == "z04"
    ]


def test_teeth_joiner_between_waves(attacked, survey):
    # the leaver scenario: b06 joins tb in the second wave and is the only 1_to_3y newcomer
    a = attacked("leaver", "leader", False)
    found = [f for f in a.singled_out if f.respondent == "b06"]
    assert found and {f.wave for f in found} == {Q2}
    assert {f.target for f in found if f.kind == "score"} == set(survey.constructs)


def test_teeth_one_person_teams(attacked):
    a = attacked("one_person_teams", "department", False)
    assert {f.respondent for f in a.singled_out} >= {"o2", "o4"}
    assert all(f.team.startswith("t") for f in a.singled_out)


TEETH = [
    ("one_na_team_of_6", "manager"),
    ("cut_5_1", "leader"),
    ("one_cadence_teams", "department"),
    ("leaver", "leader"),
    ("one_person_teams", "department"),
]


@pytest.mark.parametrize(("name", "view"), TEETH)
def test_findings_hold_the_truth(attacked, name, view):
    # every range found holds the true value, every pinned answer is the true code
    for a in (attacked(name, view, False), attacked(name, view)):
        assert not a.timeouts
        for f in a.singled_out + a.group_disclosures:
            if f.kind == "score":
                assert f.low - 1e-9 <= f.true <= f.high + 1e-9 and f.high - f.low < 1, f
            else:
                assert f.low == f.high == f.true, f


def test_teeth_sample_not_applicable_pattern(survey, sample):
    # derivation 1 on the sample: dep01's leader (t03's manager too), 2026Q1; the one "does not apply" to
    # avail_reachable has a score of three items, derived exactly from the construct mean and
    # the four item means
    valid, units, _ = sample
    q1 = valid[valid["wave"] == Q1]
    rel = release(q1, survey, units, complementary=False, audiences=["leader:dep01"])
    na = q1[(q1["team"] == "t03") & (q1["avail_reachable"] == 9)]["respondent"].tolist()
    assert len(na) == 1
    a = attack(rel, ["leader:dep01"], q1, survey, units, targets=["availability"])
    found = [f for f in a.singled_out if f.respondent == na[0]]
    true = _true_score(q1, survey, na[0], Q1, "availability")
    assert len(found) == 1 and found[0].low == pytest.approx(true) == found[0].high
    assert round(true * 3) == true * 3  # three items


# --------------------------------------------------------------------------- the adversary itself


def _small(survey, built):
    s = built["one_na_team_of_6"]
    rel = release(s.responses, survey, s.units, audiences=["leader:dep1"])
    return s, rel


def test_unknown_measure_is_an_error(survey, built):
    s, rel = _small(survey, built)
    extra = rel.iloc[[0]].astype({"measure": "str"}).assign(measure="availability:eb_mean")
    rel = pd.concat([rel.astype({"measure": "str"}), extra], ignore_index=True)
    with pytest.raises(UnknownMeasure, match="availability:eb_mean"):
        attack(rel, ["leader:dep1"], s.responses, survey, s.units)


def test_a_row_the_truth_violates_is_an_error(survey, built):
    s, rel = _small(survey, built)
    rel = rel.copy()
    at = rel.index[(rel["unit"] == "dep1") & (rel["measure"] == "depth:mean")][0]
    rel.loc[at, "value"] += 0.05
    with pytest.raises(AdversaryError, match=r"Q1 dep1 all depth:mean"):
        attack(rel, ["leader:dep1"], s.responses, survey, s.units)
    rel.loc[at, "value"] -= 0.05
    rel.loc[at, "n"] += 1
    with pytest.raises(AdversaryError, match="the release says n=14"):
        attack(rel, ["leader:dep1"], s.responses, survey, s.units)


def test_an_inconsistent_change_is_an_error(survey, built):
    # dep2 of the leaver scenario has the same members in both waves: its changes are published
    s = built["leaver"]
    rel = release(s.responses, survey, s.units, audiences=["leader:dep2"]).astype({"measure": "str"})
    at = rel.index[(rel["unit"] == "dep2") & (rel["measure"] == "trust:change") & (rel["cut"] == "all")][0]
    rel.loc[at, "value"] += 0.1
    with pytest.raises(AdversaryError, match="trust:change"):
        attack(rel, ["leader:dep2"], s.responses, survey, s.units, targets=["trust"])


def test_a_change_stands_in_for_a_hidden_mean(survey, built):
    # a change whose previous mean is not shown gives that mean to the digit shown: the model
    # is the same as with the mean
    s = built["leaver"]
    rel = release(s.responses, survey, s.units, audiences=["leader:dep2"])
    rel = rel.astype({"measure": "str", "wave": "str", "unit": "str", "cut": "str"})
    full = attack(rel, ["leader:dep2"], s.responses, survey, s.units, targets=["trust"])
    prev = (
        (rel["wave"] == Q1) & (rel["unit"] == "tm") & (rel["cut"] == "all") & (rel["measure"] == "trust:mean")
    )
    change = (
        (rel["wave"] == Q2)
        & (rel["unit"] == "tm")
        & (rel["cut"] == "all")
        & (rel["measure"] == "trust:change")
    )
    assert prev.sum() == 1 and change.sum() == 1
    cut = attack(rel[~prev], ["leader:dep2"], s.responses, survey, s.units, targets=["trust"])
    assert cut.rows == full.rows - 1 and cut.constraints == full.constraints
    assert cut.singled_out == full.singled_out
    none = attack(rel[~prev & ~change], ["leader:dep2"], s.responses, survey, s.units, targets=["trust"])
    assert none.constraints == full.constraints - 1


def test_the_attack_is_deterministic(survey, built):
    s = built["one_na_team_of_6"]
    rel = release(s.responses, survey, s.units, complementary=False)
    a = attack(rel, s.views()["leader"], s.responses, survey, s.units)
    b = attack(rel, s.views()["leader"], s.responses, survey, s.units)
    assert a.singled_out == b.singled_out and a.group_disclosures == b.group_disclosures
    assert (a.lp_solves, a.milp_solves, a.unknowns, a.classes) == (
        b.lp_solves,
        b.milp_solves,
        b.unknowns,
        b.classes,
    )


def test_view_and_summary(survey, built):
    s, rel = _small(survey, built)
    with pytest.raises(ValueError, match="no rows in the release"):
        attack(rel, ["manager:nope"], s.responses, survey, s.units)
    a = attack(rel, "leader:dep1", s.responses, survey, s.units, targets=["meeting_length"])
    assert a.audiences == ("leader:dep1",) and a.rows == len(rel) and a.respondents == 13
    assert "leader:dep1 2026Q1: " in a.summary() and "singled out 0" in a.summary()
