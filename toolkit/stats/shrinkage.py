r"""Team estimates with honest uncertainty, from the organisation's random-intercept model.

A team of 6 has a mean that moves a lot from one quarter to the next by chance alone. The
random-intercept model :math:`y_{ij} = \mu + u_j + e_{ij}`, :math:`u_j \sim N(0, \tau^2)`,
:math:`e_{ij} \sim N(0, \sigma^2)`, fitted by REML on the whole organisation
(:func:`variance_components`, as lme4's ``lmer(score ~ 1 + (1 | team))``), says how much of that
spread is the teams'. Then:

- :func:`eb_estimates`: the empirical-Bayes estimate of a team's mean (lme4's
  ``fixef + ranef``), the team's mean :math:`\bar y_j` of :math:`n_j` people shrunk toward the
  organisation,

  .. math:: \hat\theta_j = \hat\mu + \lambda_j (\bar y_j - \hat\mu),
     \qquad \lambda_j = \frac{\hat\tau^2}{\hat\tau^2 + \hat\sigma^2 / n_j},

  with the interval :math:`\hat\theta_j \pm z\,\sqrt{\lambda_j \hat\sigma^2 / n_j +
  (1 - \lambda_j)^2 \operatorname{Var}(\hat\mu)}` (the conditional mean squared error of the
  predictor, variance components taken as known). Smaller teams shrink more.
- :func:`change_intervals`: the interval of a change between two waves' means,
  :math:`\Delta \pm z\,\sqrt{\hat\sigma_1^2 / n_1 + \hat\sigma_2^2 / n_2}`, within-team
  sampling error only (the team's own effect cancels; people answering in both waves make the true
  interval narrower, so this one errs on the wide side).

Both take a team's *shown* mean and its ``n`` and the organisation-level components only, so
what they publish is a function of what the release already shows: nothing more about anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from toolkit.stats._lmm import TeamSums, fit_reml

__all__ = ["Components", "change_intervals", "eb_estimates", "variance_components"]


@dataclass(frozen=True)
class Components:
    """The organisation's random-intercept model of one construct in one wave.

    ``mu`` is the REML estimate of the organisation's mean and ``var_mu`` its variance; ``tau2``
    the variance between teams, ``sigma2`` within teams; ``singular`` when ``tau2`` is estimated
    as 0 (R: "boundary (singular) fit"): every team is then estimated at the organisation's mean.
    """

    mu: float
    var_mu: float
    tau2: float
    sigma2: float
    n: int
    teams: int

    @property
    def singular(self) -> bool:
        return self.tau2 == 0.0

    @property
    def icc(self) -> float:
        return self.tau2 / (self.tau2 + self.sigma2) if self.tau2 + self.sigma2 > 0 else float("nan")


def variance_components(score: np.ndarray, team: np.ndarray) -> Components | None:
    """REML fit of ``score ~ 1 + (1 | team)``; None with fewer than 2 teams or 3 scores.

    Parameters
    ----------
    score : array of float
        Construct scores (missing scores are left out).
    team : array
        Each score's team.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> team = np.repeat(np.arange(200), 8)
    >>> score = 3 + rng.normal(0, 0.4, 200)[team] + rng.normal(0, 0.8, team.size)
    >>> c = variance_components(score, team)
    >>> round(c.mu, 1), round(c.tau2 ** 0.5, 1), round(c.sigma2 ** 0.5, 1)
    (3.0, 0.4, 0.8)
    """
    score = np.asarray(score, dtype=np.float64)
    ok = ~np.isnan(score)
    y = score[ok]
    codes = np.unique(np.asarray(team)[ok], return_inverse=True)[1]
    if len(y) < 3 or codes.max(initial=-1) < 1:
        return None
    fit = fit_reml(TeamSums(np.ones((len(y), 1)), codes), y)
    return Components(
        mu=float(fit.beta[0]),
        var_mu=float(fit.vcov[0, 0]),
        tau2=float(fit.tau2),
        sigma2=float(fit.sigma2),
        n=len(y),
        teams=int(codes.max() + 1),
    )


def eb_estimates(
    mean: np.ndarray, n: np.ndarray, comps: Components, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empirical-Bayes estimates of team means and their intervals (see the module docstring).

    Examples
    --------
    >>> c = Components(mu=3.0, var_mu=0.0004, tau2=0.09, sigma2=0.64, n=1000, teams=100)
    >>> est, low, high = eb_estimates(np.array([4.0, 4.0]), np.array([4, 25]), c)
    >>> est.round(2).tolist(), (high - low).round(2).tolist()  # the team of 4 shrinks more
    ([3.36, 3.78], [0.94, 0.55])
    """
    mean, n = np.asarray(mean, dtype=np.float64), np.asarray(n, dtype=np.float64)
    z = stats.norm.ppf(0.5 + level / 2)
    within = comps.sigma2 / n
    lam = comps.tau2 / (comps.tau2 + within) if comps.tau2 > 0 else np.zeros_like(n)
    est = comps.mu + lam * (mean - comps.mu)
    se = np.sqrt(lam * within + (1 - lam) ** 2 * comps.var_mu)
    return est, est - z * se, est + z * se


def change_intervals(
    change: np.ndarray,
    n_now: np.ndarray,
    n_before: np.ndarray,
    sigma2_now: float,
    sigma2_before: float,
    *,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval of a change between two waves' means (see the module docstring).

    Examples
    --------
    >>> low, high = change_intervals(np.array([0.3]), np.array([6]), np.array([6]), 0.64, 0.64)
    >>> round(float(low[0]), 2), round(float(high[0]), 2)
    (-0.61, 1.21)
    """
    z = stats.norm.ppf(0.5 + level / 2)
    se = np.sqrt(sigma2_now / np.asarray(n_now, float) + sigma2_before / np.asarray(n_before, float))
    change = np.asarray(change, dtype=np.float64)
    return change - z * se, change + z * se
