"""Tests of toolkit.switches: cadence switches across waves (difference in differences).

Expected values come from ``tests/reference/cadence`` (``reference.R`` section g, R 4.2.2,
base R + sandwich::vcovCL; fixest and did are not in Debian 12, so the heterogeneity-robust
estimators are written there by hand from the formulas in the README, on D3 and on a sparse
subset of it, its first 30 teams, where cells, waves and event times rest on one or two
switching teams). The R calls are written beside each comparison. Tolerances: 1e-10 absolute
on estimates and interval bounds, 1e-10 relative on SEs, degrees of freedom, statistics and
p-values (R wrote 15 significant digits; the arithmetic is closed-form on team-wave means, so
the two agree to about 1e-14). Every SE here is analytic (influence functions or the
sandwich); none is a bootstrap, so all are compared. The coverage of the intervals is checked
by simulation in ``tests/test_switches_calibration.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from tests.conftest import ROOT
from toolkit import score, simulate, validate
from toolkit.stats.switches import Switches, cadence_switches

REF = ROOT / "tests" / "reference" / "cadence"
TOL = 1e-10  # absolute, estimates and interval bounds
RTOL = 1e-10  # relative, SEs, df, statistics, p-values


@pytest.fixture(scope="module")
def persons() -> pd.DataFrame:
    return pd.read_csv(REF / "D3_persons.csv")


@pytest.fixture(scope="module")
def policies() -> pd.DataFrame:
    return pd.read_csv(REF / "D3_team_waves.csv")


@pytest.fixture(scope="module")
def res(persons, policies) -> Switches:
    # the reference's cadence is the manager's policy in every team-wave (D3_team_waves.csv)
    return cadence_switches(persons, outcome="depth", policies=policies)


@pytest.fixture(scope="module")
def sparse(persons, policies) -> Switches:
    # reference.R: robust_did(Y[sparse, ], Dm[sparse, ], "sparse_"), sparse <- teams[1:30], the first 30
    # (by id) of the 165 teams whose policy is weekly or monthly in every wave
    only = policies.groupby("team")["policy"].agg(lambda p: p.isin(["weekly", "monthly"]).all())
    keep = sorted(only[only].index)[:30]
    return cadence_switches(
        persons[persons["team"].isin(keep)], outcome="depth", policies=policies[policies["team"].isin(keep)]
    )


@pytest.fixture(scope="module", params=["", "sparse_"], ids=["D3", "D3_sparse"])
def ref_case(request, res, sparse) -> tuple[str, Switches]:
    """(file prefix of reference.R's outputs, our result) for D3 and for its sparse subset."""
    return request.param, res if request.param == "" else sparse


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA", "NaN"])


def _close(actual, expected, tol=TOL):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=tol)


def _rclose(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=rtol, atol=0)


# --------------------------------------------------------------------------- against R


def test_twfe_matches_r(res):
    # lm(depth ~ treated + factor(team) + factor(wave)) on people and on team-wave means;
    # sandwich::vcovCL(fit, cluster = ~team, type = "HC0" / "HC1")
    ref = _ref("did_twfe.csv")
    got = res.twfe.set_index("level").loc[ref["level"]]
    for col in ("estimate", "se_iid", "se_cl_hc0", "se_cl_hc1"):
        _close(got[col], ref[col])
    for col in ("n_obs", "n_teams", "k", "resid_df"):
        assert got[col].tolist() == ref[col].tolist()
    _close(got["p_val"], ref["p_cl_hc1_z"])  # 2 * pnorm(-abs(estimate / se_cl_hc1))


def test_group_time_cells_match_r(ref_case):
    # did_cs_cells.csv: ATT(g, t) by direction, not-yet-switched controls, base g - 1; se from the cell's
    # own IF with the factor n_T / (n_T - 1), t on n_T - 1 df: qt(0.975, df), 2 * pt(-abs(t_stat), df);
    # NaN with one treated team
    prefix, res = ref_case
    ref = _ref(f"did_{prefix}cs_cells.csv")
    ref = ref.assign(g=ref["g_wave"], t=ref["t_wave"])
    got = res.cells.merge(ref, on=["direction", "g", "t"], suffixes=("", "_r"), validate="1:1")
    assert len(got) == len(ref) == len(res.cells) == (15 if prefix else 18)
    for col in ("n_treated", "n_control", "e", "from", "to"):
        assert got[col].tolist() == got[f"{col}_r"].tolist()
    waves = sorted(set(ref["t_wave"]))
    assert got["base"].tolist() == [waves[b - 1] for b in got["base_r"]]
    for col in ("mean_dy_treated", "mean_dy_control"):
        _close(got[col], got[f"{col}_r"])
    _close(got["estimate"], got["att"])
    _close(got[["ci_low", "ci_high"]], got[["ci_low_r", "ci_high_r"]])
    for ours, theirs in (("se", "se_r"), ("df", "df_r"), ("p_val", "p_t")):
        _rclose(got[ours], got[theirs])
    _close(got["sign"], got["sign_weekly_minus_monthly"])
    _close(got["estimate_treated_minus_control"], got["att_weekly_minus_monthly"])
    one = got["n_treated"] == 1
    assert got.loc[one, ["se", "df", "ci_low", "ci_high", "p_val"]].isna().all().all()
    assert got.loc[one, "se_note"].str.startswith("one treated team: no SE").all()
    assert got.loc[one, "se_note_r"].str.startswith("one treated team: no SE").all()
    assert (got.loc[~one, "se_note"] == "").all() and (got.loc[~one, "se_note_r"] == "").all()
    assert one.sum() == (15 if prefix else 0)


def _r_aggregate(name: str) -> tuple[str, str]:
    if name.startswith("overall_post_"):
        rest = name.removeprefix("overall_post_")
        return "overall_post", "pooled" if rest.startswith("pooled") else rest
    if name.startswith("instantaneous_e0"):
        return "event_time", "pooled"
    rest = name.removeprefix("event_time_")
    return "event_time", "pooled" if rest.startswith("pooled") else rest


def test_event_study_matches_r(ref_case):
    # did_cs_event_study.csv: weighted means of cells (weights n_treated) = means of the treated team-cell
    # contrasts; IF: sqrt(G/(G-1)) * sum_k (x_k - est)/N by team + control part; t on G - 1 df
    prefix, res = ref_case
    ref = _ref(f"did_{prefix}cs_event_study.csv")
    keys = pd.DataFrame([_r_aggregate(a) for a in ref["aggregate"]], columns=["aggregate", "direction"])
    ref = pd.concat([ref.drop(columns="aggregate"), keys], axis=1).astype({"e": "Int64"})
    got = ref.merge(res.event_study, on=["aggregate", "direction", "e"], suffixes=("_r", ""), how="left")
    assert got["estimate"].notna().all()
    _close(got["estimate"], got["estimate_r"])
    _close(got[["ci_low", "ci_high"]], got[["ci_low_r", "ci_high_r"]])
    for ours, theirs in (("se", "se_r"), ("df", "df_r"), ("p_val", "p_t")):
        _rclose(got[ours], got[theirs])
    assert got["n"].tolist() == got["n_treated"].tolist()
    assert got["n_treated_teams"].tolist() == got["n_treated_teams_r"].tolist()
    assert got["n_cells"].tolist() == got["n_cells_r"].tolist()
    one = got["n_treated_teams"] == 1
    assert got.loc[one, ["se", "df", "ci_low", "ci_high", "p_val"]].isna().all().all()
    assert (got["se_note"] == "").tolist() == (got["se_note_r"] == "").tolist() == (~one).tolist()
    assert one.sum() == (6 if prefix else 0)
    # every row of ours is in R's table (R repeats e = 0 as "instantaneous")
    assert len(res.event_study) == len(ref) - 1


def test_pretrend_matches_r(ref_case):
    # did_cs_pretrend.csv: W = b' solve(crossprod(M), b) over the e <= -2 estimates with an SE,
    # F = W/q * (G - q)/(G - 1), pf(F, q, G - q, lower.tail = FALSE); NaN with a note when G <= q
    prefix, res = ref_case
    ref = _ref(f"did_{prefix}cs_pretrend.csv")
    got = res.pretrend[res.pretrend["test"] == "cs_event_study"].set_index("direction").loc[ref["variant"]]
    assert got["event_times"].tolist() == ref["event_times"].tolist()
    assert got["note"].tolist() == ref["note"].tolist()
    for ours, theirs in (
        ("statistic", "wald_chi2"),
        ("f_statistic", "F"),
        ("df_denom", "df2"),
        ("p_val", "p_F"),
        ("p_chi2", "p_chi2"),
    ):
        _rclose(got[ours], ref[theirs])
    assert got["df"].tolist() == ref["df"].tolist()
    assert got["n_treated_teams"].tolist() == ref["n_treated_teams"].tolist()
    if prefix:  # on: e = -3 rests on one team and is left out; off: every pre-switch estimate does
        assert got.loc["on", "event_times"] == "-2" and got.loc["off", ["statistic", "p_val"]].isna().all()


def test_did_m_matches_r(ref_case):
    # did_m.csv: DID_M and its placebo; se from the switch contrasts around the pooled estimate,
    # clustered by team, factor G/(G-1), t on G - 1 df (G = switching teams); not did_multiplegt's bootstrap
    prefix, res = ref_case
    ref = _ref(f"did_{prefix}m.csv")
    got = res.did_m.set_index("estimator").loc[["did_m", "did_m_placebo"]]
    _close(got["estimate"], ref["estimate"])
    _close(got[["ci_low", "ci_high"]], ref[["ci_low", "ci_high"]])
    for ours, theirs in (("se", "se"), ("df", "df"), ("p_val", "p_t")):
        _rclose(got[ours], ref[theirs])
    for col in ("n_switches", "n_joiners", "n_leavers", "n_switching_teams"):
        assert got[col].tolist() == ref[col].tolist()
    placebo = res.pretrend[res.pretrend["test"] == "did_m_placebo"].iloc[0]
    _rclose(
        placebo[["statistic", "f_statistic", "df_denom", "p_val"]].astype(float),
        ref.loc[1, ["t_squared", "t_squared", "df", "p_t"]].astype(float),
    )
    assert placebo["n_treated_teams"] == ref.loc[1, "n_switching_teams"]


def test_did_m_periods_match_r(ref_case):
    prefix, res = ref_case
    ref = _ref(f"did_{prefix}m_periods.csv")
    got = res.did_m_periods
    assert got["kind"].tolist() == [k.lower() for k in ref["kind"]]
    assert got["t"].tolist() == ref["t_wave"].tolist()
    for ours, theirs in (
        ("n_joiners", "n_joiners"),
        ("n_stable_control", "n_stable_monthly"),
        ("n_leavers", "n_leavers"),
        ("n_stable_treated", "n_stable_weekly"),
    ):
        assert got[ours].tolist() == ref[theirs].tolist()
    _close(got[["did_plus", "did_minus"]], ref[["did_plus", "did_minus"]])


def test_summary_rows(res):
    s = res.summary.set_index("estimator")
    assert list(s.index) == ["twfe", "cs_not_yet", "did_m"]
    assert s["headline"].tolist() == [False, False, True]
    # twfe row = team-wave-mean fit with HC1 (did_twfe.csv); cs_not_yet = pooled e = 0
    # (did_cs_event_study.csv, instantaneous_e0...); did_m = DID_M (did_m.csv)
    _close(s.loc["twfe", ["estimate"]], [0.309233543137713])
    _rclose(s.loc["twfe", ["se"]], [0.0662943299581342])
    _close(s.loc["cs_not_yet", ["estimate"]], [0.312409268916018])
    _rclose(s.loc["cs_not_yet", ["se", "df"]], [0.0889678147227299, 35])
    _close(s.loc["did_m", ["estimate"]], [0.281317420873142])
    _rclose(s.loc["did_m", ["se", "df"]], [0.0697181509413385, 35])
    assert s.loc["twfe", "df"] == np.inf
    q = stats.t.ppf(0.975, s["df"].to_numpy(float))
    _close(s["ci_high"] - s["estimate"], q * s["se"], 1e-12)
    _close(
        s.loc["twfe", "ci_high"] - s.loc["twfe", "estimate"], 1.959963984540054 * s.loc["twfe", "se"], 1e-12
    )
    assert "biased" in s.loc["twfe", "note"]
    assert s.loc["did_m", "n_switchers"] == 50
    assert "only" not in s.loc["did_m", "note"]  # 36 switching teams: no warning


def test_switch_list_is_the_truth(res):
    # with the manager's policy for every wave, the switches found are org.truth["switches"]
    truth = _ref("D3_switches.csv").sort_values(["wave", "team"], ignore_index=True)
    got = res.switches[["team", "wave", "previous_wave", "from", "to"]]
    pd.testing.assert_frame_equal(got, truth.astype(str), check_dtype=False)
    assert set(res.switches["direction"]) == {"on", "off"}
    assert (res.switches["direction"] == "on").tolist() == (truth["to"] == "weekly").tolist()


def test_panel_is_the_reference_team_wave_means(res):
    ref = _ref("did_team_waves.csv").dropna(subset=["ybar"])
    got = res.panel.merge(ref, on=["team", "wave"], suffixes=("", "_r"), validate="1:1")
    assert len(got) == len(res.panel) == len(ref) == 646
    _close(got["y"], got["ybar"], 1e-12)
    assert got["d"].tolist() == got["D"].tolist()
    assert got["n_members"].tolist() == got["n_members_r"].tolist()


# --------------------------------------------------------------------------- input layouts


def test_without_policies_a_switch_in_an_empty_wave_moves_to_the_next_data(persons, res):
    # team t169 switched in 2026Q2, a wave with no respondent: from the persons table alone the
    # switch is seen between 2026Q1 and 2026Q3. The estimates that do not involve it stay R's.
    alone = cadence_switches(persons, outcome="depth")
    row = alone.switches[alone.switches["team"] == "t169"].iloc[0]
    assert (row["wave"], row["previous_wave"]) == ("2026Q3", "2026Q1")
    _close(alone.twfe["estimate"], res.twfe["estimate"])
    _close(alone.summary["estimate"], res.summary["estimate"])
    assert not np.allclose(alone.did_m["estimate"], res.did_m["estimate"])  # the placebo differs


def _long(persons: pd.DataFrame) -> pd.DataFrame:
    """D3_persons.csv in the layout of toolkit.score: one row per respondent, wave and construct."""
    constructs = ["availability", "depth", "reliability"]
    long = persons.melt(
        id_vars=["respondent", "wave", "team", "cadence"],
        value_vars=constructs,
        var_name="construct",
        value_name="score",
    )
    return long.assign(n_items=4)


def test_long_scores_use_the_modal_report_as_policy(persons):
    # long scores have no policy column: cadence="policy" is the modal reported cadence
    # (toolkit.team_policy), which is D3_persons.csv's team_modal column
    from_long = cadence_switches(_long(persons), outcome="depth")
    from_wide = cadence_switches(persons, outcome="depth", cadence="team_modal")
    for name in ("summary", "cells", "event_study", "pretrend", "did_m", "twfe", "panel", "switches"):
        pd.testing.assert_frame_equal(getattr(from_long, name), getattr(from_wide, name), check_dtype=False)


def test_input_not_mutated(persons, policies):
    before, before_p = persons.copy(), policies.copy()
    long = _long(persons)
    long_before = long.copy()
    cadence_switches(persons, outcome="depth", policies=policies, covariates=["log_size"])
    cadence_switches(long, outcome="depth", covariates=["availability"])
    pd.testing.assert_frame_equal(persons, before)
    pd.testing.assert_frame_equal(policies, before_p)
    pd.testing.assert_frame_equal(long, long_before)


def test_swapping_treated_and_control_flips_the_sign(persons, policies, res):
    flipped = cadence_switches(
        persons, outcome="depth", policies=policies, treated="monthly", control="weekly"
    )
    _close(flipped.summary["estimate"], -res.summary["estimate"], 1e-12)
    _close(flipped.summary["se"], res.summary["se"], 1e-12)
    # the directions trade places: "on" (monthly to weekly) becomes "off"
    swap = {"on": "off", "off": "on", "pooled": "pooled"}
    pre = flipped.pretrend.assign(direction=flipped.pretrend["direction"].map(swap))
    pd.testing.assert_frame_equal(
        pre.set_index(["test", "direction"]).loc[res.pretrend.set_index(["test", "direction"]).index],
        res.pretrend.set_index(["test", "direction"]),
        atol=1e-10,
    )


# --------------------------------------------------------------------------- known answers


def _panel(effect, *, n_per=12, both=True, back=False, never=True, covariate=None, seed=0) -> pd.DataFrame:
    """Noiseless people: y = team + wave + effect(e) * D (+ 0.5 x), cohorts switching at waves 2, 3, 4
    (and teams that never switch)."""
    rng = np.random.default_rng(seed)
    waves = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    rows = []
    cohorts = (2, 3, 4, None) if never else (2, 3, 4)
    starts = [("monthly", g) for g in cohorts] + ([("weekly", g) for g in cohorts] if both else [])
    team_no = 0
    for start, g in starts:
        for _ in range(n_per):
            team_no += 1
            a = rng.normal()
            for w in range(1, 5):
                switched = g is not None and w >= g and not (back and w >= g + 1)
                weekly = (start == "weekly") != switched
                e = w - g if g is not None else -1
                x = rng.normal() + 0.8 * weekly
                y = a + 0.3 * w + (effect(e) if weekly else 0.0) + (0.5 * x if covariate else 0.0)
                for person in range(2):
                    rows.append(
                        (f"p{team_no}_{person}", waves[w - 1], f"t{team_no:03d}", start, weekly, y, x)
                    )
    df = pd.DataFrame(rows, columns=["respondent", "wave", "team", "start", "weekly", "y", "x"])
    return df.assign(policy=np.where(df["weekly"], "weekly", "monthly"))


@pytest.mark.parametrize(("both", "back"), [(False, False), (True, False), (True, True)])
def test_constant_effect_is_recovered_exactly(both, back):
    data = _panel(lambda e: 0.25, both=both, back=back)
    out = cadence_switches(data, outcome="y")
    _close(out.summary["estimate"], [0.25, 0.25, 0.25], 1e-10)
    _close(out.summary[["se"]].iloc[1:], [[0.0], [0.0]], 1e-10)


def test_twfe_is_biased_with_staggered_growing_effects_and_the_robust_ones_are_not():
    # Every team switches on, at waves 2, 3 or 4 (no never-switchers), with an effect of 0.2 in
    # the wave of the switch growing by 0.2 a wave. TWFE also compares later switchers with
    # teams already switched, whose effect is still growing (negative weights; Goodman-Bacon
    # 2021): it finds 0.1, half the smallest effect of any team-wave. DID_M and the e = 0 cells
    # use only not-yet-switched controls and find 0.2.
    data = _panel(lambda e: 0.2 * (1 + e), both=False, never=False)
    out = cadence_switches(data, outcome="y")
    s = out.summary.set_index("estimator")["estimate"]
    _close([s["did_m"], s["cs_not_yet"]], [0.2, 0.2], 1e-10)
    _close(s["twfe"], 0.1, 1e-10)
    # TWFE recomputed with statsmodels: OLS on team-wave means with team and wave dummies
    means = data.groupby(["team", "wave"], as_index=False).agg(y=("y", "mean"), d=("weekly", "mean"))
    _close(smf.ols("y ~ d + C(team) + C(wave)", means).fit().params["d"], 0.1, 1e-10)
    es = out.event_study.query("aggregate == 'event_time' and direction == 'pooled'").set_index("e")
    _close(es.loc[[0, 1], "estimate"], [0.2, 0.4], 1e-10)
    _close(es.loc[[-2], "estimate"], [0.0], 1e-10)
    # the last cohort has no not-yet-switched control in its wave: its cell is left out
    last = out.cells[out.cells["g"] == "2026Q4"]
    assert last.loc[last["e"] == 0, "estimate"].isna().all()


def test_covariates_adjust_a_time_varying_confounder():
    # x is 0.8 higher in weekly team-waves and moves y by 0.5 x: unadjusted estimates absorb 0.4
    data = _panel(lambda e: 0.25, covariate=True, back=True)
    raw = cadence_switches(data, outcome="y").summary["estimate"]
    assert (raw > 0.5).all()
    adjusted = cadence_switches(data, outcome="y", covariates=["x"])
    _close(adjusted.summary["estimate"], [0.25, 0.25, 0.25], 1e-9)
    assert "adjusted for x" in adjusted.summary["note"].iloc[2]


def _tiny(switchers, *, n_stable=6, noise=0.0, seed=0) -> pd.DataFrame:
    """Two people per team and wave over 4 waves: ``n_stable`` monthly teams that never switch and,
    for each (wave of the switch g, effect) in ``switchers``, a monthly team that turns weekly at g;
    y = team + 0.3 wave + effect * weekly (+ person noise with SD ``noise``)."""
    rng = np.random.default_rng(seed)
    teams = [(None, 0.0)] * n_stable + list(switchers)
    rows = []
    for k, (g, effect) in enumerate(teams):
        a = rng.normal()
        for w in range(1, 5):
            weekly = g is not None and w >= g
            for _person in range(2):
                y = a + 0.3 * w + effect * weekly + noise * rng.normal()
                rows.append((f"t{k:02d}", f"2026Q{w}", "weekly" if weekly else "monthly", y))
    return pd.DataFrame(rows, columns=["team", "wave", "policy", "y"])


def test_one_switching_team_per_wave_still_has_a_standard_error():
    # Three teams switch, one in each wave, with effects 0.2, 0.5, 0.8 and no noise. Measured
    # against its own wave's switchers (the earlier plug-in) each would contribute no variance and
    # the SE would be 0; measured against DID_M = 0.5 the contrasts give
    # se^2 = G/(G-1) * sum (c - 0.5)^2 / N^2 = 3/2 * 0.18 / 9 = 0.03, with t on 2 df.
    out = cadence_switches(_tiny([(2, 0.2), (3, 0.5), (4, 0.8)]), outcome="y")
    d = out.did_m.set_index("estimator").loc["did_m"]
    _close(d[["estimate", "se", "df"]].astype(float), [0.5, np.sqrt(0.03), 2], 1e-12)
    q = stats.t.ppf(0.975, 2)
    _close(d[["ci_low", "ci_high"]].astype(float), [0.5 - q * np.sqrt(0.03), 0.5 + q * np.sqrt(0.03)], 1e-12)
    _close(d["p_val"], 2 * stats.t.sf(0.5 / np.sqrt(0.03), 2), 1e-12)
    assert d["n_switching_teams"] == 3 and d["se_note"] == ""
    # each cell has one treated team: no SE; the pooled e = 0 estimate has the same SE as DID_M
    assert (out.cells["n_treated"] == 1).all() and out.cells["se"].isna().all()
    assert out.cells["se_note"].str.startswith("one treated team: no SE").all()
    e0 = out.event_study.query("aggregate == 'event_time' and direction == 'pooled' and e == 0").iloc[0]
    _close(e0[["estimate", "se", "df"]].astype(float), [0.5, np.sqrt(0.03), 2], 1e-12)
    summary = out.summary.set_index("estimator")
    assert "only 3 switching teams" in summary.loc["did_m", "note"]
    assert "only 3 treated teams" in summary.loc["cs_not_yet", "note"]
    # with noise: e = -3 rests on one team (left out), e = -2 on two, so F(1, 1)
    noisy = cadence_switches(_tiny([(2, 0.2), (3, 0.5), (4, 0.8)], noise=0.3), outcome="y")
    pooled = noisy.pretrend.query("test == 'cs_event_study' and direction == 'pooled'").iloc[0]
    assert (pooled["event_times"], pooled["df"], pooled["df_denom"]) == ("-2", 1, 1)
    assert pooled["note"] == "left out e = -3: one treated team, no SE" and 0 < pooled["p_val"] < 1


def test_one_switching_team_has_no_standard_error():
    out = cadence_switches(_tiny([(3, 0.4)], noise=0.3), outcome="y")
    d = out.did_m.set_index("estimator")
    assert d[["se", "df", "ci_low", "ci_high", "p_val"]].isna().all().all()
    assert d["n_switching_teams"].tolist() == [1, 1]
    assert d.loc["did_m", "se_note"].startswith("one switching team: no SE")
    summary = out.summary.set_index("estimator")
    assert summary.loc[["cs_not_yet", "did_m"], ["se", "ci_low", "p_val"]].isna().all().all()
    assert "one switching team: no SE" in summary.loc["did_m", "note"]
    assert "one treated team: no SE" in summary.loc["cs_not_yet", "note"]
    pre = out.pretrend.set_index(["test", "direction"])
    assert pre.loc[("cs_event_study", "pooled"), "note"] == (
        "left out e = -2: one treated team, no SE; no pre-switch estimate has an SE"
    )
    placebo = pre.loc[("did_m_placebo", "pooled")]
    assert np.isnan(placebo["p_val"]) and placebo["note"].startswith("one switching team")


def test_joint_pretrend_needs_more_teams_than_estimates():
    # two teams switch in the last wave: e = -3 and e = -2 both rest on the same two teams (G = q = 2)
    out = cadence_switches(_tiny([(4, 0.3), (4, 0.3)], noise=0.3, seed=3), outcome="y")
    pooled = out.pretrend.query("test == 'cs_event_study' and direction == 'pooled'").iloc[0]
    assert pooled["event_times"] == "-3 -2" and pooled["n_treated_teams"] == 2 and pooled["df"] == 2
    assert pooled[["statistic", "f_statistic", "df_denom", "p_val", "p_chi2"]].isna().all()
    assert pooled["note"] == "2 treated teams behind 2 pre-switch estimates: the test needs more teams"
    es = out.event_study.query("aggregate == 'event_time' and direction == 'pooled'").set_index("e")
    assert es.loc[[-3, -2], "se"].notna().all() and (es.loc[[-3, -2], "df"] == 1).all()
    assert "only 2 switching teams" in out.summary.set_index("estimator").loc["did_m", "note"]


def test_pretrend_is_hotelling_f_and_agrees_with_the_event_study(ref_case):
    _, res = ref_case
    pre = res.pretrend[res.pretrend["test"] == "cs_event_study"].dropna(subset=["statistic"])
    W, q, G = pre["statistic"], pre["df"], pre["n_treated_teams"]
    _rclose(pre["f_statistic"], W / q * (G - q) / (G - 1), 1e-12)
    _rclose(pre["p_val"], stats.f.sf(pre["f_statistic"], q, G - q), 1e-12)
    _rclose(pre["p_chi2"], stats.chi2.sf(W, q), 1e-12)
    # one event time: F = t^2 of its event-study row and the same p-value
    for _, row in pre[pre["df"] == 1].iterrows():
        es = res.event_study.query("aggregate == 'event_time' and direction == @row.direction")
        es = es[es["e"] == int(row["event_times"])].iloc[0]
        _rclose([row["statistic"], row["p_val"]], [(es["estimate"] / es["se"]) ** 2, es["p_val"]], 1e-12)
    placebo = res.pretrend.set_index("test").loc["did_m_placebo"]
    dm = res.did_m.set_index("estimator").loc["did_m_placebo"]
    _rclose(
        placebo[["statistic", "df_denom", "p_val"]].astype(float),
        [(dm["estimate"] / dm["se"]) ** 2, dm["df"], dm["p_val"]],
        1e-12,
    )


def test_did_m_standard_error_recomputed_with_pandas(sparse):
    # the sparse subset has waves with one joiner or one leaver: one contrast per switch against the
    # stable teams' mean change, the IF summed by team, G/(G-1) on the switcher part
    panel = sparse.panel
    y = panel.pivot(index="team", columns="wave", values="y")
    d = panel.pivot(index="team", columns="wave", values="d")
    waves = list(y.columns)
    contrasts, control = [], pd.Series(0.0, index=y.index)
    for prev, now in itertools.pairwise(waves):
        dy = (y[now] - y[prev]).dropna()
        was, is_ = d.loc[dy.index, prev], d.loc[dy.index, now]
        for before, sign in ((0, 1.0), (1, -1.0)):
            movers, stayers = dy[(was == before) & (is_ != before)], dy[(was == before) & (is_ == before)]
            if len(movers) and len(stayers):
                contrasts.append(sign * (movers - stayers.mean()))
                control[stayers.index] -= sign * len(movers) * (stayers - stayers.mean()) / len(stayers)
    c = pd.concat(contrasts)
    N, est = len(c), c.mean()
    switcher = ((c - est) / N).groupby(level=0).sum()
    G = len(switcher)
    inf = control / N
    inf[switcher.index] += np.sqrt(G / (G - 1)) * switcher
    dm = sparse.did_m.set_index("estimator").loc["did_m"]
    _close(dm["estimate"], est, 1e-12)
    _rclose([dm["se"], dm["df"]], [np.sqrt((inf**2).sum()), G - 1], 1e-12)
    assert dm["n_switches"] == N == 9 and dm["n_switching_teams"] == G == 5


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    team_shift=st.floats(-3, 3),
    wave_shift=st.lists(st.floats(-2, 2), min_size=4, max_size=4),
)
def test_team_and_wave_effects_do_not_move_the_estimates(persons, policies, res, team_shift, wave_shift):
    # adding a + b_t to the outcome of one team (a) and of every team in wave t (b_t) changes nothing
    shifted = persons.assign(
        depth=persons["depth"]
        + np.where(persons["team"] == "t001", team_shift, 0.0)
        + persons["wave"].map(dict(zip(sorted(set(persons["wave"])), wave_shift, strict=True)))
    )
    out = cadence_switches(shifted, outcome="depth", policies=policies)
    _close(out.summary["estimate"], res.summary["estimate"], 1e-9)
    _close(out.summary["se"], res.summary["se"], 1e-9)


# --------------------------------------------------------------------------- recovery


def test_recovers_the_switch_effect_of_a_simulated_organisation(survey):
    """A freshly simulated organisation: the headline DID_M interval covers the true effect.

    The estimand of a switch is ``truth["estimands"]["cadence_contrasts"]["by_policy"]``
    for depth, weekly vs monthly, on the score scale: the simulator switches the *manager's
    policy* between weekly and monthly (``truth["switches"]``), and each report experiences
    the policy or, with probability 0.12, a neighbouring cadence; so what a switch changes is
    the depth score expected under the policy, reports' disagreement included (by_policy), not
    under the reported cadence (by_reported). The effect is the same in both directions and
    constant over waves, and the team, person and division effects do not change between
    waves, which is what the team-wave differences remove. (Exploring seeds 0-11 before
    choosing this one, the DID_M interval covered the truth in all 12.)
    """
    org = simulate(survey, teams=400, waves=4, seed=2026)
    truth = org.truth["estimands"]["cadence_contrasts"]["by_policy"]["depth"]["weekly"]["score"]
    responses = pd.concat([org.responses[w] for w in org.waves], ignore_index=True)
    scores = score(validate(responses, survey).valid, survey)
    out = cadence_switches(scores, outcome="depth", policies=org.team_waves)
    did_m = out.summary.set_index("estimator").loc["did_m"]
    assert did_m["ci_low"] < truth < did_m["ci_high"]  # 0.070 < 0.229 < 0.296 (estimate 0.183, t on 54 df)
    assert did_m["n_switchers"] >= 50
    truth_switches = pd.DataFrame(org.truth["switches"]).sort_values(["wave", "team"], ignore_index=True)
    pd.testing.assert_frame_equal(
        out.switches.drop(columns="direction"), truth_switches.astype(str), check_dtype=False
    )
    # the policy as the reports describe it (modal report) gives an interval that covers it too
    modal = cadence_switches(scores, outcome="depth").summary.set_index("estimator").loc["did_m"]
    assert modal["ci_low"] < truth < modal["ci_high"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"outcome": "nope"}, ValueError, r"lacks the columns \['nope'\]"),
        ({"outcome": "depth", "treated": "weekly", "control": "weekly"}, ValueError, "must differ"),
        ({"outcome": "depth", "alpha": 1.5}, ValueError, "alpha must be between 0 and 1"),
        ({"outcome": ""}, ValueError, "outcome must be a non-empty string"),
        ({"outcome": "depth", "covariates": "log_size"}, ValueError, "covariates must be a sequence"),
        ({"outcome": "depth", "cadence": "cadence"}, ValueError, "varies within team"),
        ({"outcome": "depth", "cadence": "unknown"}, ValueError, "no cadence column 'unknown'"),
        ({"outcome": "depth", "covariates": ["division_code"]}, ValueError, "do not vary within teams"),
        ({"outcome": "depth", "policies": "x"}, TypeError, "policies must be a DataFrame"),
        ({"outcome": "depth", "policies": pd.DataFrame({"team": []})}, ValueError, "policies lacks"),
        ({"outcome": "depth", "treated": "biweekly"}, ValueError, "no team with 'depth' data switches"),
    ],
)
def test_errors(persons, kwargs, error, match):
    data = persons.assign(division_code=persons["division"].str[3:].astype(float))
    with pytest.raises(error, match=match):
        cadence_switches(data, **kwargs)


def test_errors_on_layout(persons):
    with pytest.raises(TypeError, match="waves must be a DataFrame"):
        cadence_switches(persons.to_dict(), outcome="depth")
    with pytest.raises(ValueError, match=r"waves lacks the columns \['team'\]"):
        cadence_switches(persons.drop(columns="team"), outcome="depth")
    long = _long(persons)
    with pytest.raises(ValueError, match=r"constructs \['trust'\] are not in"):
        cadence_switches(long, outcome="trust")
    with pytest.raises(ValueError, match="need a respondent column"):
        cadence_switches(long.drop(columns="respondent"), outcome="depth")
    with pytest.raises(ValueError, match="only ever weekly or monthly"):
        cadence_switches(persons.assign(depth=np.nan), outcome="depth")
