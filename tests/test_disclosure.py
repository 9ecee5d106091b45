"""The release table: shape, audiences, thresholds, policy, rounding, changes, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.disclosure import RELEASE_COLUMNS, load_policy, release


@pytest.fixture(scope="module")
def survey():
    return toolkit.load_survey("surveys/one_on_one_pulse.yaml")


@pytest.fixture(scope="module")
def sample(survey):
    waves = ["2026Q1", "2026Q2"]
    valid = pd.concat(
        [
            toolkit.validate(toolkit.read_canonical(f"data/sample/responses_{w}.csv"), survey).valid
            for w in waves
        ],
        ignore_index=True,
    )
    units = pd.read_csv("data/sample/units.csv")
    roster = pd.read_csv("data/sample/roster.csv")
    invited = roster.groupby(["team", "wave"]).size().rename("invited").reset_index()
    return valid, units, invited


@pytest.fixture(scope="module")
def rel(survey, sample):
    valid, units, invited = sample
    return release(valid, survey, units, invited=invited)


def test_columns_and_measures(rel):
    assert tuple(rel.columns) == RELEASE_COLUMNS
    measures = set(rel["measure"].astype(str))
    for m in (
        "depth:mean",
        "depth:favourable",
        "depth:change",
        "responses",
        "response_rate",
        "depth_why:mean",
        "depth_why:share:3",
    ):
        assert m in measures
    assert not rel.duplicated(["audience", "wave", "unit", "cut", "measure"]).any()


def test_manager_never_sees_a_sibling_team(rel, sample):
    _, units, _ = sample
    parent = dict(zip(units["unit"], units["parent"], strict=True))
    for team in units.loc[units["kind"] == "team", "unit"]:
        seen = set(rel.loc[rel["audience"] == f"manager:{team}", "unit"].astype(str))
        allowed, cur = set(), team
        while isinstance(cur, str):
            allowed.add(cur)
            cur = parent[cur]
        assert seen <= allowed, (team, seen - allowed)


def test_leader_sees_only_below(rel, sample):
    _, units, _ = sample
    rows = rel[rel["audience"] == "leader:div01"]
    parent = dict(zip(units["unit"], units["parent"], strict=True))

    def under(u):
        while isinstance(u, str):
            if u == "div01":
                return True
            u = parent[u]
        return False

    assert len(rows) and all(under(u) for u in rows["unit"].astype(str))


def test_audience_rows_are_analyst_rows(rel):
    key = ["wave", "unit", "cut", "measure", "value", "n"]
    analyst = rel[rel["audience"] == "analyst"][key].astype(str)
    other = rel[rel["audience"] == "manager:t01"][key].astype(str)
    merged = other.merge(analyst, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


def test_thresholds(rel):
    measure = rel["measure"].astype(str)
    scores = measure.str.endswith((":mean", ":favourable", ":change")) | (measure == "responses")
    assert (rel.loc[scores, "n"] >= 5).all()
    assert (rel.loc[measure.str.contains(":share:"), "n"] >= 10).all()
    assert (rel.loc[measure == "response_rate", "n"] >= 5).all()


def test_stricter_policy_publishes_less(survey, sample):
    valid, units, _ = sample
    loose = release(valid, survey, units, audiences=["analyst"])
    strict = release(valid, survey, units, audiences=["analyst"], policy={"min_scores": 8})
    assert len(strict) < len(loose)
    m = strict["measure"].astype(str)
    assert (strict.loc[m.str.endswith(":mean") & ~m.str.contains("_"), "n"] >= 8).all()


def test_policy_errors(tmp_path):
    with pytest.raises(ValueError, match="min_scores must be at least 3"):
        load_policy({"min_scores": 2})
    with pytest.raises(ValueError, match="unknown keys"):
        load_policy({"min_score": 5})
    with pytest.raises(ValueError, match="must be an integer"):
        load_policy({"min_invited": 5.5})
    with pytest.raises(ValueError, match="from 0 to 6"):
        load_policy({"mean_decimals": 9})
    path = tmp_path / "policy.yaml"
    path.write_text("min_scores: 6\nmin_distribution: 12\n")
    assert load_policy(path)["min_scores"] == 6
    path.write_text("min_comments: 1\n")
    with pytest.raises(ValueError, match="min_comments must be at least 3"):
        load_policy(path)


def test_argument_errors(survey, sample):
    valid, units, _ = sample
    with pytest.raises(ValueError, match="not team units"):
        release(valid.assign(team="nope"), survey, units)
    with pytest.raises(ValueError, match="exactly one root"):
        release(valid, survey, units.assign(parent=None))
    with pytest.raises(ValueError, match="audiences must be"):
        release(valid, survey, units, audiences=["manager:nobody"])
    with pytest.raises(TypeError, match="survey must be a Survey"):
        release(valid, "survey", units)


def test_rounding_and_values_recomputed(rel, survey, sample):
    valid = sample[0]
    a = rel[rel["audience"] == "analyst"]
    m = a["measure"].astype(str)
    means = a.loc[m.str.endswith(":mean"), "value"].to_numpy()
    assert np.allclose(means, np.round(means, 2))
    pct = a.loc[m.str.contains("share|favourable|rate"), "value"].to_numpy()
    assert np.allclose(pct, np.round(pct)) and (pct >= 0).all() and (pct <= 100).all()
    # team means agree with toolkit.summarise, rounded to 2 decimals
    s = toolkit.summarise(toolkit.score(valid, survey))
    s = s[s["n"] >= 5]
    got = a[(a["cut"] == "all") & (m.str.endswith(":mean"))].assign(
        construct=lambda d: d["measure"].astype(str).str.removesuffix(":mean"),
        team=lambda d: d["unit"].astype(str),
        wave=lambda d: d["wave"].astype(str),
    )
    j = s.merge(got, on=["wave", "team", "construct"])
    assert len(j) > 0
    # sums in another order can put an exact half on the other side: at most one unit apart
    assert (np.abs(j["value"] - np.round(j["mean"], 2)) <= 0.0100001).all()
    assert (np.abs(j["value"] - j["mean"]) <= 0.005 + 1e-9).mean() > 0.99
    assert (j["n_x"] == j["n_y"]).all()


def test_change_rows(rel):
    a = rel[rel["audience"] == "analyst"].copy()
    a["measure"] = a["measure"].astype(str)
    ch = a[a["measure"] == "depth:change"]
    assert len(ch) > 0 and (ch["wave"] == "2026Q2").all()
    mean = (
        a[a["measure"] == "depth:mean"]
        .astype({"wave": str, "unit": str, "cut": str})
        .set_index(["wave", "unit", "cut"])["value"]
    )
    for _, r in ch.head(50).iterrows():
        cur = mean[("2026Q2", str(r["unit"]), str(r["cut"]))]
        prev = mean[("2026Q1", str(r["unit"]), str(r["cut"]))]
        assert r["value"] == pytest.approx(round(cur - prev, 2))


def test_change_needs_membership_change_zero_or_threshold(survey):
    from tests.privacy.conftest import scenarios

    responses, units, team, _ = scenarios(survey)["leaver"]
    r = release(responses, survey, units, audiences=["analyst"])
    m = r["measure"].astype(str)
    assert not ((r["unit"] == team) & (m == "depth:change")).any()  # one left: 1 < 5
    assert ((r["unit"] == "tx") & (m == "depth:change")).any()  # same six people


def test_deterministic(survey, sample):
    valid, units, invited = sample
    a = release(valid, survey, units, invited=invited, audiences=["analyst", "leader:org"])
    b = release(
        valid.sample(frac=1, random_state=3),
        survey,
        units,
        invited=invited,
        audiences=["analyst", "leader:org"],
    )
    pd.testing.assert_frame_equal(a, b)


def test_complementary_suppression_hides_more(survey, sample):
    valid, units, _ = sample
    safe = release(valid, survey, units, audiences=["analyst"])
    unsafe = release(valid, survey, units, audiences=["analyst"], complementary=False)
    assert len(safe) < len(unsafe)


# --------------------------------------------------------------------------- cadence


def test_cadence_and_length_distributions(rel, survey, sample):
    valid, _, _ = sample
    m = rel["measure"].astype(str)
    for item_id, scale in (("cadence", "cadence"), ("meeting_length", "length")):
        codes = list(survey.scales[scale].allowed)
        rows = rel[m.str.startswith(f"{item_id}:share:")]
        assert len(rows) and (rows["cut"] == "all").all()
        assert (rows["n"] >= 10).all()  # min_distribution
        # every audience and unit with a distribution has one row per code, summing to about 100
        per = rows.groupby(["audience", "wave", "unit"], observed=True)["value"]
        assert (per.size() == len(codes)).all()
        assert ((per.sum() - 100).abs() <= len(codes)).all()
        assert set(rows["audience"].astype(str)) >= {"analyst", "manager:t01"}
    # the organisation's cadence shares recomputed from the responses
    org = rel[(rel["audience"] == "analyst") & (rel["unit"] == "org") & (rel["wave"] == "2026Q1")]
    q1 = valid[valid["wave"] == "2026Q1"]
    share = q1["cadence"].astype(str).value_counts(normalize=True) * 100
    for code in survey.scales["cadence"].allowed:
        got = org.loc[org["measure"] == f"cadence:share:{code}", "value"].item()
        assert got == np.round(share.get(str(code), 0.0), 0)
    assert org.loc[org["measure"] == "cadence:share:weekly", "n"].item() == len(q1)


def test_distributions_need_min_distribution(survey, sample):
    valid, units, _ = sample
    rel = release(valid, survey, units, audiences=["analyst"], policy={"min_distribution": 60})
    rows = rel[rel["measure"].astype(str).str.startswith(("cadence:share:", "meeting_length:share:"))]
    assert len(rows) and (rows["n"] >= 60).all()


def test_cadence_cuts(rel, survey, sample):
    _, units, _ = sample
    cut = rel["cut"].astype(str)
    cad = rel[cut.str.startswith("cadence=")]
    kind = dict(zip(units["unit"], units["kind"], strict=True))
    assert len(cad) and {kind[u] for u in cad["unit"].astype(str)} <= {"organisation", "division"}
    assert (cad["n"] >= 5).all()
    assert not cut.str.endswith("=<missing>").any()
    codes = {f"cadence={c}" for c in survey.scales["cadence"].codes}
    assert set(cad["cut"].astype(str)) <= codes
    org = cad[(cad["audience"] == "analyst") & (cad["unit"] == "org") & (cad["measure"] == "depth:mean")]
    assert len(org) >= 3
    # managers see the organisation's cadence cuts; means match the analyst's
    mgr = cad[(cad["audience"] == "manager:t01") & (cad["unit"] == "org")]
    assert len(mgr) and set(mgr["cut"].astype(str)) == set(
        cad.loc[(cad["audience"] == "analyst") & (cad["unit"] == "org"), "cut"].astype(str)
    )


def test_cadence_cut_means_recomputed(rel, survey, sample):
    valid, _, _ = sample
    sc = toolkit.score(valid, survey)
    sc = sc[sc["construct"] == "depth"].reset_index(drop=True)
    q1 = (valid["wave"] == "2026Q1").to_numpy()
    org = rel[
        (rel["audience"] == "analyst")
        & (rel["unit"] == "org")
        & (rel["wave"] == "2026Q1")
        & (rel["measure"] == "depth:mean")
    ]
    for c, v, n in org[["cut", "value", "n"]].astype(object).itertuples(index=False):
        if not str(c).startswith("cadence="):
            continue
        sel = q1 & (valid["cadence"].astype(str) == str(c).split("=", 1)[1]).to_numpy()
        s = sc["score"][sel].dropna()
        assert len(s) == n and round(s.mean(), 2) == v


def _cadence_case(survey, biweekly):
    """Every team mixes cadences, so no team's cadence group equals the team (none is derivable)."""
    from tests.privacy.conftest import _people, _units, build

    ppl = (
        _people("a", "ta", 5)
        + _people("b", "ta", 3, cadence="monthly")
        + _people("c", "tb", 5)
        + _people("d", "tb", biweekly, cadence="biweekly")
        + _people("e", "tc", 5)
        + _people("f", "tc", 3, cadence="monthly")
    )
    return build(survey, _units({"d1": ["ta", "tb"], "d2": ["tc"]}), ppl)


def test_cadence_cut_one_short_hides_its_complement(survey):
    responses, units = _cadence_case(survey, 4)
    rel = release(responses, survey, units, audiences=["analyst"])
    org = rel[(rel["unit"] == "org") & (rel["measure"] == "depth:mean")]
    cuts = dict(zip(org["cut"].astype(str), org["n"], strict=False))
    assert cuts["all"] == 25 and cuts["cadence=weekly"] == 15
    assert "cadence=biweekly" not in cuts  # 4: one short of the threshold
    assert "cadence=monthly" not in cuts  # 6: hidden so that all - weekly - monthly is not the 4
    unsafe = release(responses, survey, units, audiences=["analyst"], complementary=False)
    org = unsafe[(unsafe["unit"] == "org") & (unsafe["measure"] == "depth:mean")]
    assert {"cadence=weekly", "cadence=monthly"} <= set(org["cut"].astype(str))
    # with 5 biweekly every cadence cut is published
    responses, units = _cadence_case(survey, 5)
    rel = release(responses, survey, units, audiences=["analyst"])
    org = rel[(rel["unit"] == "org") & (rel["measure"] == "depth:mean")]
    assert {"cadence=weekly", "cadence=biweekly", "cadence=monthly"} <= set(org["cut"].astype(str))
    # teams and departments never get cadence cuts
    assert set(rel.loc[rel["cut"].astype(str).str.startswith("cadence="), "unit"].astype(str)) == {"org"}


def test_cadence_cut_derivable_from_a_unanimous_team_is_hidden(survey):
    """Org weekly minus two all-weekly teams would be the 3 weekly people of a third team."""
    from tests.privacy.conftest import _people, _units, build

    ppl = (
        _people("p", "tp", 6)
        + _people("q", "tq", 5, cadence="biweekly")
        + _people("r", "tq", 3)
        + _people("s", "ts", 6, cadence="monthly")
        + _people("x", "tx", 8)
    )
    responses, units = build(survey, _units({"d1": ["tp", "tq"], "d2": ["ts", "tx"]}), ppl)
    rel = release(responses, survey, units, audiences=["analyst"])
    cuts = set(rel.loc[(rel["unit"] == "org") & (rel["measure"] == "depth:mean"), "cut"].astype(str))
    assert "cadence=weekly" not in cuts and "all" in cuts
    for team in ("tp", "tq", "ts", "tx"):  # the teams themselves stay published
        assert ((rel["unit"] == team) & (rel["measure"] == "depth:mean") & (rel["cut"] == "all")).any()
