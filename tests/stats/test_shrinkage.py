"""Team estimates (empirical Bayes) and change intervals: equal to lme4, and honest.

The reference is tests/reference/shrinkage/reference.R (lme4's ``lmer(score ~ 1 + (1 | team))`` by
REML on the simulated persons of tests/reference/cadence): the variance components, each team's
estimate (``coef``) and the conditional variance of its BLUP (``postVar``). toolkit's interval adds
the variance of the estimated intercept, ``(1 - lambda)^2 var(mu)``, and of the estimated team
variance (Prasad-Rao's ``2 g3``), which lme4's ``postVar`` leaves out; the test takes them off again
before comparing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.stats.shrinkage import Components, change_intervals, eb_estimates, variance_components

REF = Path(__file__).resolve().parents[1] / "reference"
TOL = 1e-6  # lme4 stops its optimiser at a relative tolerance near 1e-8 in theta


@pytest.fixture(scope="module")
def lme4():
    return (
        pd.read_csv(REF / "shrinkage" / "lmer_components.csv"),
        pd.read_csv(REF / "shrinkage" / "lmer_teams.csv", dtype={"team": str}),
    )


@pytest.mark.parametrize("data", ["D1", "D2"])
def test_team_estimates_equal_lme4(lme4, data):
    comps_r, teams_r = lme4
    persons = pd.read_csv(REF / "cadence" / f"{data}_persons.csv")
    for construct in ("availability", "holding_back", "depth", "trust"):
        df = persons[persons[construct].notna()]
        c = variance_components(df[construct].to_numpy(), df["team"].astype(str).to_numpy())
        r = comps_r[(comps_r["data"] == data) & (comps_r["construct"] == construct)].iloc[0]
        for name in ("mu", "tau2", "sigma2", "var_mu"):
            assert getattr(c, name) == pytest.approx(r[name], rel=TOL, abs=1e-9), (data, construct, name)
        assert (c.n, c.teams, c.singular) == (r["n"], r["teams"], bool(r["singular"]))
        per = df.groupby(df["team"].astype(str))[construct].agg(["mean", "size"])
        rt = teams_r[(teams_r["data"] == data) & (teams_r["construct"] == construct)].set_index("team")
        per = per.loc[rt.index]
        assert (per["size"].to_numpy() == rt["n"].to_numpy()).all()
        est, low, high = eb_estimates(per["mean"].to_numpy(), per["size"].to_numpy(), c)
        np.testing.assert_allclose(est, rt["estimate"].to_numpy(), rtol=0, atol=TOL)
        se = (high - low) / (2 * 1.959963984540054)
        within = c.sigma2 / per["size"].to_numpy()
        lam = c.tau2 / (c.tau2 + within)
        g3 = within**2 / (c.tau2 + within) ** 3 * c.var_tau2  # Prasad-Rao: tau2's own uncertainty
        cond_var = se**2 - (1 - lam) ** 2 * c.var_mu - 2 * g3
        np.testing.assert_allclose(cond_var, rt["cond_var"].to_numpy(), rtol=TOL)


def test_smaller_teams_shrink_more():
    c = Components(mu=3.4, var_mu=0.0005, tau2=0.09, sigma2=0.65, n=2000, teams=300)
    n = np.arange(3, 26)
    est, low, high = eb_estimates(np.full(n.shape, 4.4), n, c)
    pull = 4.4 - est  # how far each estimate is drawn towards the organisation
    assert (np.diff(pull) < 0).all() and (np.diff(high - low) < 0).all()
    assert (est > c.mu).all() and (est < 4.4).all()
    # a team's raw mean at the organisation's stays there
    assert eb_estimates(np.array([3.4]), np.array([5]), c)[0][0] == pytest.approx(3.4)


def test_intervals_cover_the_true_team_means_at_their_nominal_rate():
    """200 organisations of 60 teams of 3 to 25 answering: team means drawn around the
    organisation's, scores around the team's (the random-intercept model the release assumes, so
    that the true team means are known exactly).
    The 95% intervals cover the true team means 95% of the time, within simulation error, for
    small and for large teams."""
    rng = np.random.default_rng(2026)
    hits, sizes = [], []
    for _ in range(200):
        teams = 60
        size = rng.integers(3, 26, teams)
        true = 3.4 + rng.normal(0, 0.3, teams)
        team = np.repeat(np.arange(teams), size)
        score = true[team] + rng.normal(0, 0.8, team.size)
        comps = variance_components(score, team)
        means = np.bincount(team, score) / size
        _, low, high = eb_estimates(means, size, comps)
        hits.append((low <= true) & (true <= high))
        sizes.append(size)
    hits, sizes = np.concatenate(hits), np.concatenate(sizes)
    se = np.sqrt(0.95 * 0.05 / hits.size)
    assert abs(hits.mean() - 0.95) < 4 * se + 0.005, hits.mean()
    for small in (True, False):
        part = hits[(sizes <= 8) == small]
        assert 0.92 <= part.mean() <= 0.98, (small, part.mean())


def test_change_intervals_are_honest():
    """The change of a team's mean between two waves with no true change: its 95% interval
    excludes zero about 5% of the time."""
    rng = np.random.default_rng(7)
    n0, n1 = rng.integers(3, 26, 20000), rng.integers(3, 26, 20000)
    sigma = 0.8
    change = rng.normal(0, sigma / np.sqrt(n1)) - rng.normal(0, sigma / np.sqrt(n0))
    low, high = change_intervals(change, n1, n0, sigma**2, sigma**2)
    false = ((low > 0) | (high < 0)).mean()
    assert 0.04 <= false <= 0.06, false
