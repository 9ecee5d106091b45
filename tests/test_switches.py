"""Tests of toolkit.switches: cadence switches across waves (difference in differences).

Expected values come from ``tests/reference/cadence`` (``reference.R`` section g, R 4.2.2,
base R + sandwich::vcovCL; fixest and did are not in Debian 12, so the heterogeneity-robust
estimators are written there by hand from the formulas in the README). The R calls are written
beside each comparison. Tolerance: 1e-9 absolute on estimates, SEs, statistics and p-values
(R wrote 15 significant digits; the arithmetic is closed-form on team-wave means, so the two
agree to about 1e-15). Every SE here is analytic (influence functions or the sandwich); none
is a bootstrap, so all are compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from toolkit import score, simulate, validate
from toolkit.switches import Switches, cadence_switches

REF = ROOT / "tests" / "reference" / "cadence"
TOL = 1e-9


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


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def _close(actual, expected, tol=TOL):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=tol)


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


def test_group_time_cells_match_r(res):
    # did_cs_cells.csv: ATT(g, t) by direction, not-yet-switched controls, base g - 1
    ref = _ref("did_cs_cells.csv")
    ref = ref.assign(g=ref["g_wave"], t=ref["t_wave"])
    got = res.cells.merge(ref, on=["direction", "g", "t"], suffixes=("", "_r"), validate="1:1")
    assert len(got) == len(ref) == len(res.cells) == 18
    for col in ("n_treated", "n_control", "e", "from", "to"):
        assert got[col].tolist() == got[f"{col}_r"].tolist()
    waves = sorted(set(ref["t_wave"]))
    assert got["base"].tolist() == [waves[b - 1] for b in got["base_r"]]
    for col in ("mean_dy_treated", "mean_dy_control", "se"):
        _close(got[col], got[f"{col}_r"])
    _close(got["estimate"], got["att"])
    _close(got["sign"], got["sign_weekly_minus_monthly"])
    _close(got["estimate_treated_minus_control"], got["att_weekly_minus_monthly"])


def _r_aggregate(name: str) -> tuple[str, str]:
    if name.startswith("overall_post_"):
        rest = name.removeprefix("overall_post_")
        return "overall_post", "pooled" if rest.startswith("pooled") else rest
    if name.startswith("instantaneous_e0"):
        return "event_time", "pooled"
    rest = name.removeprefix("event_time_")
    return "event_time", "pooled" if rest.startswith("pooled") else rest


def test_event_study_matches_r(res):
    # did_cs_event_study.csv: weighted means of cells (weights n_treated), IF-based SEs by team
    ref = _ref("did_cs_event_study.csv")
    keys = pd.DataFrame([_r_aggregate(a) for a in ref["aggregate"]], columns=["aggregate", "direction"])
    ref = pd.concat([ref.drop(columns="aggregate"), keys], axis=1).astype({"e": "Int64"})
    got = ref.merge(res.event_study, on=["aggregate", "direction", "e"], suffixes=("_r", ""), how="left")
    assert got["estimate"].notna().all()
    for col in ("estimate", "se", "ci_low", "ci_high"):
        _close(got[col], got[f"{col}_r"])
    _close(got["p_val"], got["p_z"])
    assert got["n"].tolist() == got["n_treated"].tolist()
    assert got["n_cells"].tolist() == got["n_cells_r"].tolist()
    # every row of ours is in R's table (R repeats e = 0 as "instantaneous")
    assert len(res.event_study) == len(ref) - 1


def test_pretrend_matches_r(res):
    # did_cs_pretrend.csv: Wald chi2 of the e <= -2 estimates, covariance crossprod(IF)
    ref = _ref("did_cs_pretrend.csv")
    got = res.pretrend[res.pretrend["test"] == "cs_event_study"].set_index("direction").loc[ref["variant"]]
    assert got["event_times"].tolist() == ref["event_times"].tolist()
    _close(got["statistic"], ref["chi2"])
    _close(got["p_val"], ref["p_chi2"])
    assert got["df"].tolist() == ref["df"].tolist()


def test_did_m_matches_r(res):
    # did_m.csv: DID_M and its placebo, plug-in influence-function SE (not did_multiplegt's bootstrap)
    ref = _ref("did_m.csv")
    got = res.did_m.set_index("estimator").loc[["did_m", "did_m_placebo"]]
    for col in ("estimate", "se"):
        _close(got[col], ref[col])
    _close(got["p_val"], ref["p_z"])
    for col in ("n_switches", "n_joiners", "n_leavers"):
        assert got[col].tolist() == ref[col].tolist()
    placebo = res.pretrend[res.pretrend["test"] == "did_m_placebo"].iloc[0]
    _close(placebo["p_val"], ref["p_z"].iloc[1])


def test_did_m_periods_match_r(res):
    ref = _ref("did_m_periods.csv")
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
    # twfe row = team-wave-mean fit with HC1; cs_not_yet = pooled e = 0; did_m = DID_M
    _close(s.loc["twfe", ["estimate", "se"]], [0.309233543137713, 0.0662943299581342])
    _close(s.loc["cs_not_yet", ["estimate", "se"]], [0.312409268916018, 0.0847058464227722])
    _close(s.loc["did_m", ["estimate", "se"]], [0.281317420873142, 0.0649775938169005])
    z = 1.959963984540054
    _close(s["ci_high"] - s["estimate"], z * s["se"], 1e-12)
    assert "biased" in s.loc["twfe", "note"]
    assert s.loc["did_m", "n_switchers"] == 50


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
    assert did_m["ci_low"] < truth < did_m["ci_high"]  # 0.078 < 0.229 < 0.288 (estimate 0.183)
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
