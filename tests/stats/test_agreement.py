"""ICC(1), ICC(2), rwg_j, rwg, awg and AD against R (multilevel 2.7), edge cases and recovery.

Expected values come from ``tests/reference/psychometrics`` (``reference.R``, R 4.2.2, multilevel
2.7; README.md there defines every column). Tolerance: 1e-6 absolute, NA exactly where R has NA
or NaN (both read as NaN), group sizes exactly. Results are matched to R's rows by group id.
The R call behind each expected value is written beside it.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.formula.api import ols

from tests.conftest import ROOT
from toolkit import InputError, simulate, validate
from toolkit.stats.agreement import AGREEMENT_COLUMNS, ICC_COLUMNS, agreement, icc, rwg
from toolkit.stats.scoring import score

REF = ROOT / "tests" / "reference" / "psychometrics"
TOL = 1e-6
DEPTH = ["depth_beyond_status", "depth_how_work", "depth_why", "depth_growth", "depth_repeats_r"]
LEAD = [f"LEAD{i:02d}" for i in range(1, 12)]
# data set -> (input file, item block, group column, the single item of rwg/awg_item/ad_item)
DATA = {
    "A": ("data_A_lq2002.csv", LEAD, "COMPID", "LEAD01"),
    "B": ("data_B_sample.csv", DEPTH, "team", "depth_beyond_status"),
    "C": ("data_C_edge.csv", DEPTH, "team", "depth_beyond_status"),
    "C_const": ("data_C_const.csv", DEPTH, "team", "const_item"),
}


@functools.cache
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def data(name: str) -> pd.DataFrame:
    return _csv(DATA[name][0]).copy()


def aligned(got: pd.DataFrame, group: str, ref: pd.DataFrame) -> pd.DataFrame:
    """Our rows in the order of R's ``grpid``; the same set of groups is required."""
    mine = got.set_index(group)
    assert set(mine.index) == set(ref["grpid"]), set(mine.index) ^ set(ref["grpid"])
    return mine.loc[ref["grpid"]]


def same(ours: pd.Series, theirs: pd.Series, what: str) -> None:
    a, b = ours.to_numpy(float), theirs.to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: NA pattern")
    np.testing.assert_allclose(a, b, atol=TOL, rtol=0, err_msg=what)


# --------------------------------------------------------------------------- ICC


@pytest.mark.parametrize("name", ["A", "B", "C"])
def test_icc_matches_multilevel(name):
    _, _, group, _ = DATA[name]
    got = icc(data(name), value="score", group=group)
    assert list(got.columns) == list(ICC_COLUMNS)
    got = got.iloc[0]
    ref = _csv(f"icc_{name}.csv").set_index("statistic")["value"]
    fit = {"icc1": "icc1", "icc2": "icc2", "msb": "ms_between", "msw": "ms_within"}
    # multilevel::ICC1(aov(score ~ as.factor(group))), multilevel::ICC2(...), summary(fit)[[1]]$`Mean Sq`
    for ours, theirs in fit.items():
        assert got[ours] == pytest.approx(ref[theirs], abs=TOL), ours
    # summary(fit)[[1]]$Df, N, G and N/G
    for ours, theirs in {
        "df_between": "df_between",
        "df_within": "df_within",
        "n": "n_obs",
        "n_groups": "n_groups",
    }.items():
        assert got[ours] == ref[theirs], ours
    assert got["mean_group_size"] == pytest.approx(ref["mean_group_size"], abs=TOL)
    assert got["f"] == pytest.approx(got["msb"] / got["msw"], rel=1e-12)


def test_icc_f_test_matches_statsmodels_anova():
    d = data("C").dropna(subset=["score"])
    table = sm.stats.anova_lm(ols("score ~ C(team)", data=d).fit())
    got = icc(data("C"), value="score", group="team").iloc[0]
    assert got["f"] == pytest.approx(table.loc["C(team)", "F"], rel=1e-9)
    assert got["p_val"] == pytest.approx(table.loc["C(team)", "PR(>F)"], rel=1e-9)
    assert got["msw"] == pytest.approx(table.loc["Residual", "mean_sq"], rel=1e-9)


def test_icc_counts_groups_of_one_and_drops_missing_scores():
    # C: t03/t23/t24/t41 have one member (counted in G and N); t14's only row has no score (gone)
    got = icc(data("C"), value="score", group="team").iloc[0]
    assert (got["n_groups"], got["n"]) == (49, 297)


def test_icc_edge_cases():
    d = pd.DataFrame({"team": list("aabb"), "score": [1.0, 1.0, 3.0, 3.0]})
    agree = icc(d, value="score", group="team").iloc[0]  # everyone agrees within teams: MSW = 0
    assert (agree["icc1"], agree["icc2"], agree["msw"]) == (1.0, 1.0, 0.0)
    assert np.isinf(agree["f"]) and agree["p_val"] == 0.0
    same_means = pd.DataFrame({"team": list("aabb"), "score": [1.0, 3.0, 1.0, 3.0]})
    neg = icc(same_means, value="score", group="team").iloc[0]  # not truncated at 0
    assert neg["icc1"] == -1.0 and neg["icc2"] == -np.inf  # (0 - 2) / (0 + (2 - 1) * 2)
    with pytest.raises(ValueError, match="at least 2 groups of 'team'; got 1"):
        icc(d.assign(team="a"), value="score", group="team")
    with pytest.raises(ValueError, match="with 2 or more values; every group has 1"):
        icc(d.assign(team=list("abcd")), value="score", group="team")
    with pytest.raises(ValueError, match="'score' is constant"):
        icc(d.assign(score=2.0), value="score", group="team")
    with pytest.raises(InputError, match="no column 'grp'"):
        icc(d, value="score", group="grp")
    with pytest.raises(TypeError, match="column 'team' must be numeric"):
        icc(d, value="team", group="score")
    with pytest.raises(TypeError, match="data must be a DataFrame"):
        icc(d.to_dict(), value="score", group="team")


# --------------------------------------------------------------------------- item block: rwg_j, awg, ad


@pytest.mark.parametrize("name", ["A", "B", "C"])
def test_agreement_matches_multilevel(name):
    _, items, group, _ = DATA[name]
    d = data(name)
    got = agreement(d, items=items, group=group, scale_points=5)
    assert list(got.columns) == [group, *AGREEMENT_COLUMNS]
    ref = _csv(f"rwg_j_{name}.csv")
    mine = aligned(got, group, ref)
    same(mine["rwg_j"], ref["rwg.j"], "rwg_j")  # multilevel::rwg.j(x, g, ranvar=2)$rwg.j
    same(mine["n"], ref["gsize"], "n")  # ...$gsize
    ref = _csv(f"awg_{name}.csv")
    mine = aligned(got, group, ref)
    same(mine["awg"], ref["a.wg"], "awg")  # multilevel::awg(x, g, range=c(1, 5))$a.wg
    same(mine["n"], ref["nraters"], "n")  # ...$nraters
    ref = _csv(f"ad_{name}.csv")
    same(aligned(got, group, ref)["ad"], ref["ad_mean"], "ad")  # multilevel::ad.m(x, g, type="mean")$AD.M
    med = agreement(d, items=items, group=group, scale_points=5, ad_centre="median")
    same(aligned(med, group, ref)["ad"], ref["ad_median"], "ad median")  # ad.m(x, g, type="median")$AD.M


@pytest.mark.parametrize("name", ["A", "B", "C", "C_const"])
def test_rwg_single_item_matches_multilevel(name):
    _, _, group, item = DATA[name]
    d = data(name)
    got = rwg(d, item=item, group=group, scale_points=5)
    assert list(got.columns) == [group, "n", "rwg", "awg", "ad"]
    ref = _csv(f"rwg_{name}.csv")
    mine = aligned(got, group, ref)
    same(mine["rwg"], ref["rwg"], "rwg")  # multilevel::rwg(x[[item]], g, ranvar=2)$rwg
    same(mine["n"], ref["gsize"], "n")  # ...$gsize
    ref = _csv(f"awg_item_{name}.csv")
    mine = aligned(got, group, ref)
    same(mine["awg"], ref["a.wg"], "awg")  # multilevel::awg(x[[item]], g, range=c(1, 5))$a.wg
    same(mine["n"], ref["nraters"], "n")
    ref = _csv(f"ad_item_{name}.csv")
    same(aligned(got, group, ref)["ad"], ref["ad_mean"], "ad")  # multilevel::ad.m(x[[item]], g, "mean")
    med = rwg(d, item=item, group=group, scale_points=5, ad_centre="median")
    same(aligned(med, group, ref)["ad"], ref["ad_median"], "ad median")  # ad.m(..., type="median")


def test_single_item_agreement_equals_rwg():
    d = data("C")
    one = agreement(d, items=["depth_why"], group="team", scale_points=5)
    single = rwg(d, item="depth_why", group="team", scale_points=5)
    pd.testing.assert_frame_equal(one.rename(columns={"rwg_j": "rwg"}), single)


def test_edge_case_groups_of_data_set_c():
    """The README's table of edge-case outcomes, group by group."""
    d = data("C")
    got = agreement(d, items=DEPTH, group="team", scale_points=5).set_index("team")
    one = rwg(d, item="depth_beyond_status", group="team", scale_points=5).set_index("team")
    # t08: everyone answers 4,4,3,5,1 -> complete agreement
    assert tuple(got.loc["t08", ["n", "rwg_j", "awg", "ad"]]) == (8, 1.0, 1.0, 0.0)
    # t18: two members, all 5s -> rwg_j 1, awg 1 (mean at the scale maximum), ad 0
    assert tuple(got.loc["t18", ["n", "rwg_j", "awg", "ad"]]) == (2, 1.0, 1.0, 0.0)
    # t19: three members, all 2s -> rwg_j 1, ad 0, but awg NA (mean 2 below the bound 7/3)
    assert (got.loc["t19", "rwg_j"], got.loc["t19", "ad"]) == (1.0, 0.0) and np.isnan(got.loc["t19", "awg"])
    # t09: polarised 1/5 -> rwg_j truncated to 0, rwg 0, awg -1
    assert (got.loc["t09", "rwg_j"], one.loc["t09", "rwg"]) == (0.0, 0.0)
    assert got.loc["t09", "awg"] == pytest.approx(-1.0, abs=TOL)
    assert got.loc["t09", "ad"] == pytest.approx(1.959183673, abs=TOL)  # ad.m(x, g)$AD.M for t09
    # groups of one: NA everywhere
    for team in ("t03", "t23", "t24", "t41"):
        assert got.loc[team, "n"] == 1 if team != "t23" else team not in got.index
        if team in got.index:
            assert got.loc[team, ["rwg_j", "awg", "ad"]].isna().all()
    # t12: one complete member -> the block is a group of 1; the single item has 10 answers
    assert got.loc["t12", "n"] == 1 and np.isnan(got.loc["t12", "rwg_j"])
    assert one.loc["t12", "n"] == 10 and not np.isnan(one.loc["t12", "rwg"])
    # t13: two members, one misses an item -> block group of 1; single item: 2
    assert got.loc["t13", "n"] == 1 and one.loc["t13", "n"] == 2
    # t14: one member without answers -> absent; t04: two members -> defined, awg 0.667
    assert "t14" not in got.index and "t14" not in one.index
    assert got.loc["t04", "awg"] == pytest.approx(2 / 3, abs=TOL)


def test_recomputed_with_plain_pandas():
    d = data("B")
    complete = d.dropna(subset=DEPTH)
    var = complete.groupby("team")[DEPTH].var()
    s = (var.mean(axis=1) / 2).clip(upper=1)
    expected = (5 * (1 - s) / (5 * (1 - s) + s)).where(complete.groupby("team").size() > 1)
    got = agreement(d, items=DEPTH, group="team", scale_points=5).set_index("team")
    np.testing.assert_allclose(got["rwg_j"], expected.loc[got.index], atol=1e-12)
    dev = (complete[DEPTH] - complete.groupby("team")[DEPTH].transform("mean")).abs()
    ad = dev.groupby(complete["team"]).mean().mean(axis=1).where(complete.groupby("team").size() > 1)
    np.testing.assert_allclose(got["ad"], ad.loc[got.index], atol=1e-12)


def test_canonical_dtypes_and_scale_offsets():
    d = data("C")
    before = d.copy()
    base = agreement(d, items=DEPTH, group="team", scale_points=5)
    pd.testing.assert_frame_equal(d, before)  # input not mutated
    canon = d.astype(dict.fromkeys(DEPTH, "Int8"))
    pd.testing.assert_frame_equal(agreement(canon, items=DEPTH, group="team", scale_points=5), base)
    zero_based = d.assign(**{c: d[c] - 1 for c in DEPTH})  # codes 0..4
    moved = agreement(zero_based, items=DEPTH, group="team", scale_points=5, scale_min=0)
    pd.testing.assert_frame_equal(moved, base)


@settings(max_examples=60, deadline=None)
@given(
    answers=st.lists(
        st.tuples(st.sampled_from("abc"), st.integers(1, 7), st.integers(1, 7)), min_size=1, max_size=25
    )
)
def test_ranges_hold(answers):
    d = pd.DataFrame(answers, columns=["team", "q1", "q2"])
    got = agreement(d, items=["q1", "q2"], group="team", scale_points=7)
    ok = got["n"] >= 2
    assert got.loc[ok, "rwg_j"].between(0, 1).all()
    assert got.loc[ok, "ad"].ge(0).all()
    awg = got.loc[ok, "awg"].dropna()
    assert awg.between(-1 - 1e-12, 1 + 1e-12).all()
    assert got.loc[~ok, ["rwg_j", "awg", "ad"]].isna().all().all()
    assert got["n"].sum() == len(d)


def test_agreement_errors():
    d = data("C")
    with pytest.raises(ValueError, match=r"column 'depth_why' has answers outside the scale 1..5 .*\[9.0\]"):
        agreement(d.assign(depth_why=9), items=DEPTH, group="team", scale_points=5)
    with pytest.raises(ValueError, match=r"scale_points must be an integer of at least 2.*got 1"):
        agreement(d, items=DEPTH, group="team", scale_points=1)
    with pytest.raises(ValueError, match=r"scale_points must be an integer.*got 5\.0"):
        agreement(d, items=DEPTH, group="team", scale_points=5.0)
    with pytest.raises(ValueError, match="scale_min must be an integer"):
        agreement(d, items=DEPTH, group="team", scale_points=5, scale_min="1")
    with pytest.raises(ValueError, match="ad_centre must be one of mean, median; got 'mode'"):
        agreement(d, items=DEPTH, group="team", scale_points=5, ad_centre="mode")
    with pytest.raises(ValueError, match="at least one column; got an empty list"):
        agreement(d, items=[], group="team", scale_points=5)
    with pytest.raises(ValueError, match="must not repeat a column"):
        agreement(d, items=["depth_why", "depth_why"], group="team", scale_points=5)
    with pytest.raises(TypeError, match="items must be a list of column names"):
        agreement(d, items="depth_why", group="team", scale_points=5)
    with pytest.raises(TypeError, match="item must be one column name"):
        rwg(d, item=["depth_why"], group="team", scale_points=5)
    with pytest.raises(InputError, match="no column 'nope'"):
        agreement(d, items=["nope"], group="team", scale_points=5)
    with pytest.raises(TypeError, match="column 'edit' must be numeric"):
        rwg(d, item="edit", group="team", scale_points=5)


# --------------------------------------------------------------------------- simulation recovery


def test_icc_recovers_the_simulated_icc(survey):
    """ICC(1) of every construct score of a simulated organisation against the simulator's truth.

    The truth (``icc_score``) is the population ICC(1) of the observed score among attentive
    respondents, so speeders and straight-liners (which validation keeps) are left out with the
    simulator's own flags. Tolerance 0.03: with about 1,500 teams of 6, the sampling SE of ICC(1)
    is about 0.009 (Var ≈ 2(1-ρ)²(1+(k-1)ρ)²/(k(k-1)(G-1))), so 0.03 is about 3.4 SE. The
    multilevel estimator uses the mean group size N/G where the ANOVA estimator the simulator's
    target describes uses n0 = (N - Σn²/N)/(G-1); here they differ by < 0.02 people, which moves
    ICC(1) by < 0.001, far inside the tolerance (checked below).
    """
    org = simulate(survey, teams=1500, waves=1, seed=3)
    wave = org.waves[0]
    valid = validate(org.responses[wave], survey).valid
    careless = org.latent[wave].loc[valid.index, ["speeder", "straight_liner"]].any(axis=1)
    scores = score(valid[~careless.to_numpy()], survey)
    diffs = {}
    for construct, part in scores.groupby("construct"):
        got = icc(part, value="score", group="team").iloc[0]
        sizes = part.dropna(subset=["score"]).groupby("team").size()
        n, g = sizes.sum(), len(sizes)
        n0 = (n - (sizes**2).sum() / n) / (g - 1)
        icc_n0 = (got["msb"] - got["msw"]) / (got["msb"] + (n0 - 1) * got["msw"])
        assert abs(icc_n0 - got["icc1"]) < 1e-3
        diffs[construct] = got["icc1"] - org.truth["variance_components"][construct]["icc_score"]
    assert max(abs(v) for v in diffs.values()) < 0.03, diffs
    assert abs(np.mean(list(diffs.values()))) < 0.01, diffs  # no systematic bias across constructs
