"""Calibration of :func:`toolkit.cadence_switches` by simulation (slow; run in CI, about 40 s here).

Over 300 simulated organisations of 60 teams and 4 quarterly waves (seeds from a fixed
``SeedSequence``; about 10 weekly-monthly switches by 7 teams each, half of them switching
back a wave later), with the policy of every team-wave known (``org.team_waves``):

- the 95% DID_M interval covers the truth
  ``org.truth["estimands"]["cadence_contrasts"]["by_policy"]["depth"]["weekly"]["score"]``
  between 90% and 99% of the time (the effect of the manager's policy on the depth score; see
  ``tests/test_switches.py::test_recovers_the_switch_effect_of_a_simulated_organisation``);
- the root mean square of its SE is within 20% of the standard deviation of the estimates;
- the placebo DID_M and the pooled joint pre-trend test (Hotelling F), which test hypotheses
  that are true (the simulator has no pre-trends), reject at alpha = 0.05 between 0.5% and 10%
  of the time.

Measured (these seeds): coverage 0.970; mean SE 0.174, RMS SE 0.188, SD of the estimates
0.203; the placebo rejects 1.0% (of 286 organisations where it exists), the pre-trend test 2.1%
(of 280). The SEs before the change (each switch measured against its own wave's switchers, so
a wave with one switching team added no variance; normal intervals) gave, on the same seeds,
coverage 0.717 with a mean SE of 0.115, and rejection rates of 34% (placebo) and 54%
(pre-trends). With 50 teams (8.4 switches) the new intervals cover 96.3%, with 40 teams (7.1
switches) 95.9%; so about 7 switches by 5 teams are enough for a nominal interval here. Below
4 switching teams the intervals stay valid but are very wide (t on 1-2 df), and the summary
says so.

Why these bands. With 300 organisations the binomial standard error of a rate near 0.95 is 1.3
points, so [0.90, 0.99] is about 3 standard errors either side of 0.95 (the upper bound also
catches intervals much wider than they need be). The rejection rates rest on the 280-290
organisations where each test exists (at least two switching teams, more treated teams than
pre-switch estimates), where the standard error of a rate near 0.05 is 1.3 points, so 0.10 is
more than 3 standard errors above 5%. The tests are conservative here, because their Student
t (or F) reference counts only the switching teams' degrees of freedom while part of the
variance, the stable teams', is estimated far more precisely, and because a few small, noisy
teams dominate the spread of the contrasts; the lower bound 0.005 only asks that they can
reject at all. The SE ratio has a standard error of about 5% (the SD of 300 estimates, and
SEs that vary between organisations).

Scores are computed with plain numpy as in ``tests/test_cadence_calibration.py`` (mean of the
valid items after reverse keying, ``min_valid``), after dropping the rows the simulator flags
as careless. The simulator's calibration step (its population truth, from its own fixed seed,
so it depends on the parameters only) is computed once and reused; the fixture checks that
reuse changes nothing.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tests.stats.calibration import depth_scores
from toolkit.stats.switches import cadence_switches

N_ORGS = 300
TEAMS = 60
WAVES = 4
def depth_frame(org, survey) -> pd.DataFrame:
    """One row per attentive respondent and wave: team, wave, depth score."""
    frames = [depth_scores(org, survey, wave).assign(wave=wave) for wave in org.waves]
    return pd.concat(frames, ignore_index=True)[["team", "wave", "depth"]].dropna(subset=["depth"])


@pytest.mark.slow
def test_did_m_intervals_cover_the_truth_and_the_pretrend_tests_keep_their_level(fast_simulate, survey):
    start = time.perf_counter()
    rows = []
    for seed in np.random.SeedSequence(20260402).generate_state(N_ORGS):
        org = fast_simulate(survey, teams=TEAMS, waves=WAVES, seed=int(seed))
        truth = org.truth["estimands"]["cadence_contrasts"]["by_policy"]["depth"]["weekly"]["score"]
        out = cadence_switches(depth_frame(org, survey), outcome="depth", policies=org.team_waves)
        dm = out.did_m.set_index("estimator")
        pre = out.pretrend.set_index(["test", "direction"])["p_val"]
        rows.append(
            {
                "truth": truth,
                "estimate": dm.loc["did_m", "estimate"],
                "se": dm.loc["did_m", "se"],
                "covers": dm.loc["did_m", "ci_low"] <= truth <= dm.loc["did_m", "ci_high"],
                "switches": dm.loc["did_m", "n_switches"],
                "teams": dm.loc["did_m", "n_switching_teams"],
                "p_placebo": pre.get(("did_m_placebo", "pooled"), np.nan),
                "p_pretrend": pre.get(("cs_event_study", "pooled"), np.nan),
            }
        )
    r = pd.DataFrame(rows)
    has_se = r["se"].notna()  # organisations where one team switched have no interval
    coverage = r.loc[has_se, "covers"].mean()
    sd, rms_se = r["estimate"].std(), np.sqrt((r.loc[has_se, "se"] ** 2).mean())
    rates = {p: (r[p].dropna() < 0.05).mean() for p in ("p_placebo", "p_pretrend")}
    tested = {p: int(r[p].notna().sum()) for p in ("p_placebo", "p_pretrend")}
    report = (
        f"{N_ORGS} organisations of {TEAMS} teams x {WAVES} waves ({r['switches'].mean():.1f} switches by "
        f"{r['teams'].mean():.1f} teams on average), truth {r['truth'].iloc[0]:.4f}: DID_M coverage "
        f"{coverage:.3f} over {int(has_se.sum())}; mean SE {r.loc[has_se, 'se'].mean():.3f}, RMS SE "
        f"{rms_se:.3f}, SD of estimates {sd:.3f}, bias {(r['estimate'] - r['truth']).mean():+.3f}; "
        f"placebo rejects {rates['p_placebo']:.3f} of {tested['p_placebo']}, pooled pre-trend F "
        f"{rates['p_pretrend']:.3f} of {tested['p_pretrend']}; {time.perf_counter() - start:.0f} s"
    )
    print(report)
    assert has_se.mean() > 0.95, report
    assert 0.90 <= coverage <= 0.99, report
    assert 0.8 <= rms_se / sd <= 1.2, report
    for p in ("p_placebo", "p_pretrend"):
        assert tested[p] >= 0.85 * N_ORGS, report
        assert 0.005 <= rates[p] <= 0.10, report
