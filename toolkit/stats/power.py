r"""Power of a two-arm comparison of teams: minimum detectable effect and teams needed.

A study that gives one cadence to :math:`J` teams and another to :math:`J` teams of
:math:`m` people each, with intraclass correlation :math:`\rho`, has the variance of a
simple random sample of :math:`Jm` people per arm inflated by the design effect
:math:`\mathrm{deff} = 1 + (m-1)\rho` (Kish 1965; Donner and Klar 2000, ch. 5). In SD units
of the outcome, the minimum detectable effect at two-sided level :math:`\alpha` and power
:math:`1-\beta` is

.. math:: \mathrm{MDE} = (q_{1-\alpha/2} + q_{1-\beta}) \sqrt{\frac{2\,\mathrm{deff}}{J m}}

with :math:`q` the normal quantiles, or the quantiles of :math:`t` on :math:`2(J-1)` degrees
of freedom (the t-test on team means). :func:`power` computes it, or the teams per arm
needed for a given effect, over any grid of designs; :func:`simulated_power` checks the
formula by simulating the design and analysing it the way the formula assumes.
Reference: ``tests/reference/cadence/reference.R`` section (h) (``power_mde.csv``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["power", "simulated_power"]

_DISTRIBUTIONS = ("normal", "t")


def power(
    *,
    teams_per_arm=None,
    team_size,
    icc,
    effect=None,
    alpha=0.05,
    power=0.8,
    distribution: str = "normal",
) -> pd.DataFrame:
    r"""Minimum detectable effect for a number of teams, or teams needed for an effect.

    Give exactly one of ``teams_per_arm`` and ``effect``. Every numeric argument may be a
    number or an array-like; the result has one row per combination (a grid, in the order
    of the arguments, the first varying slowest).

    Parameters
    ----------
    teams_per_arm : int or array-like, optional
        Teams in each of the two arms (at least 2).
    team_size : float or array-like
        Respondents per team, :math:`m \ge 1` (equal in all teams).
    icc : float or array-like
        Intraclass correlation of the outcome, in [0, 1].
    effect : float or array-like, optional
        Effect to detect, in SD units of the outcome (> 0).
    alpha : float or array-like, default 0.05
        Two-sided significance level.
    power : float or array-like, default 0.8
        Target power, at least 0.5 and below 1.
    distribution : {"normal", "t"}
        ``normal``: :math:`q = \Phi^{-1}`; ``t``: quantiles of Student's t on
        :math:`2(J-1)` df, :math:`t_{1-\alpha/2} + t_{\text{power}}` (the formula of the
        reference; the exact noncentral-t power of the team-mean t-test at this MDE is
        0.8001 for 10 to 80 teams per arm). The normal version overstates the power of
        that t-test when there are few teams.

    Returns
    -------
    DataFrame
        With ``teams_per_arm``: columns ``teams_per_arm``, ``team_size``, ``icc``,
        ``alpha``, ``power``, ``design_effect``, ``mde``, ``distribution``. With ``effect``:
        ``effect``, ``team_size``, ``icc``, ``alpha``, ``power``, ``design_effect``,
        ``teams_needed`` (the smallest whole :math:`J \ge 2` with
        :math:`\mathrm{MDE}(J) \le` effect), ``distribution``.

    Raises
    ------
    ValueError
        Both or neither of ``teams_per_arm`` and ``effect``, or a value out of range.

    Notes
    -----
    :math:`\mathrm{deff} = 1 + (m-1)\rho`;
    :math:`\mathrm{MDE} = (q_{1-\alpha/2} + q_{\text{power}})\sqrt{2\,\mathrm{deff}/(Jm)}`.
    For the normal version :math:`J = \lceil (q_{1-\alpha/2} + q_{\text{power}})^2\,
    2\,\mathrm{deff} / (m\,\delta^2) \rceil`; for t the smallest :math:`J` found by search.
    Checked against R (``qnorm``, ``qt``; ``power_mde.csv``) to 1e-12.

    Examples
    --------
    >>> power(teams_per_arm=50, team_size=8, icc=0.1)[["design_effect", "mde"]].round(6)
       design_effect       mde
    0            1.7  0.258293
    >>> grid = power(teams_per_arm=[20, 50], team_size=8, icc=0.1, distribution="t")
    >>> grid[["teams_per_arm", "mde"]].round(4)
       teams_per_arm     mde
    0             20  0.4192
    1             50  0.2609
    >>> power(effect=[0.2, 0.3], team_size=8, icc=0.1, distribution="t")[["effect", "teams_needed"]]
       effect  teams_needed
    0     0.2            85
    1     0.3            39
    """
    if (teams_per_arm is None) == (effect is None):
        raise ValueError("give exactly one of teams_per_arm (for the MDE) and effect (for the teams needed)")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}; got {distribution!r}")
    first_name, first = ("teams_per_arm", teams_per_arm) if effect is None else ("effect", effect)
    g = _grid({first_name: first, "team_size": team_size, "icc": icc, "alpha": alpha, "power": power})
    _check(g)
    deff = 1 + (g["team_size"] - 1) * g["icc"]
    g["design_effect"] = deff
    if effect is None:
        g["mde"] = _mde(g["teams_per_arm"], g["team_size"], deff, g["alpha"], g["power"], distribution)
    else:
        g["teams_needed"] = _teams_needed(g, deff, distribution)
    g["distribution"] = distribution
    return g


def simulated_power(
    *, teams_per_arm, team_size, icc, effect, alpha=0.05, n_sims=1000, seed=0
) -> pd.DataFrame:
    r"""Power of the team-mean t-test by simulation, to check :func:`power`.

    Each simulation draws two arms of ``teams_per_arm`` teams of ``team_size`` people,
    :math:`y_{ij} = \delta\,\text{arm}_j + b_j + e_{ij}` with :math:`b_j \sim N(0, \rho)`,
    :math:`e_{ij} \sim N(0, 1-\rho)` (total variance 1, so ``effect`` is in SD units), and
    tests the arms with the pooled two-sample t-test on team means (:math:`2J-2` df), which
    is exact for equal team sizes. All simulations of a design are drawn at once.

    Parameters
    ----------
    teams_per_arm, team_size : int or array-like
        At least 2 and 1 (whole numbers).
    icc : float or array-like
        In [0, 1).
    effect : float or array-like
        True effect in SD units (0 gives the type-I error rate).
    alpha : float or array-like, default 0.05
    n_sims : int, default 1000
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the designs are simulated in grid order.

    Returns
    -------
    DataFrame
        One row per combination: ``teams_per_arm``, ``team_size``, ``icc``, ``effect``,
        ``alpha``, ``n_sims``, ``power`` (share of rejections), ``mc_se``
        (:math:`\sqrt{p(1-p)/n_{\text{sims}}}`), ``exact_power`` (noncentral t with
        :math:`\lambda = \delta\sqrt{Jm/(2\,\mathrm{deff})}`).

    Examples
    --------
    >>> simulated_power(teams_per_arm=20, team_size=8, icc=0.1, effect=0.0, n_sims=2000, seed=1)["power"]
    0    0.046
    Name: power, dtype: float64
    """
    if not (isinstance(n_sims, int | np.integer) and n_sims >= 1):
        raise ValueError(f"n_sims must be a positive whole number; got {n_sims!r}")
    g = _grid(
        {"teams_per_arm": teams_per_arm, "team_size": team_size, "icc": icc, "effect": effect, "alpha": alpha}
    )
    _check(g)
    for name in ("teams_per_arm", "team_size"):
        if np.any(g[name] % 1 != 0):
            raise ValueError(f"{name} must be whole numbers for a simulation; got {g[name].tolist()}")
    if np.any(g["icc"] >= 1):
        raise ValueError(f"icc must be below 1 for a simulation; got {g['icc'].tolist()}")
    rng = np.random.default_rng(seed)
    rates = []
    for J, m, rho, delta, a in g[["teams_per_arm", "team_size", "icc", "effect", "alpha"]].itertuples(
        index=False
    ):
        J, m = int(J), int(m)
        hits = 0
        chunk = max(1, min(n_sims, 5_000_000 // (2 * J * m)))
        for start in range(0, n_sims, chunk):
            k = min(chunk, n_sims - start)
            b = rng.standard_normal((k, 2, J)) * np.sqrt(rho)
            e = rng.standard_normal((k, 2, J, m)) * np.sqrt(1 - rho)
            means = b + e.mean(axis=3)
            means[:, 1] += delta
            diff = means[:, 1].mean(axis=1) - means[:, 0].mean(axis=1)
            s2 = (means[:, 0].var(axis=1, ddof=1) + means[:, 1].var(axis=1, ddof=1)) / 2
            t = diff / np.sqrt(s2 * 2 / J)
            hits += int(np.sum(np.abs(t) > stats.t.ppf(1 - a / 2, 2 * J - 2)))
        rates.append(hits / n_sims)
    g["n_sims"] = n_sims
    g["power"] = rates
    g["mc_se"] = np.sqrt(g["power"] * (1 - g["power"]) / n_sims)
    deff = 1 + (g["team_size"] - 1) * g["icc"]
    df = 2 * g["teams_per_arm"] - 2
    ncp = g["effect"] * np.sqrt(g["teams_per_arm"] * g["team_size"] / (2 * deff))
    crit = stats.t.ppf(1 - g["alpha"] / 2, df)
    g["exact_power"] = stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp)
    return g


# --------------------------------------------------------------------------- helpers


def _grid(args: dict) -> pd.DataFrame:
    values = {}
    for name, v in args.items():
        a = np.atleast_1d(np.asarray(v))
        if (
            a.ndim != 1
            or a.size == 0
            or not np.issubdtype(a.dtype, np.number)
            or np.issubdtype(a.dtype, np.bool_)
        ):
            raise ValueError(f"{name} must be a number or a non-empty 1-d array of numbers; got {v!r}")
        values[name] = a
    rows = list(itertools.product(*values.values()))
    g = pd.DataFrame(rows, columns=list(values))
    for name, a in values.items():
        g[name] = g[name].astype(a.dtype)
    return g


_RANGES = {
    "teams_per_arm": (2, np.inf, "at least 2"),
    "team_size": (1, np.inf, "at least 1"),
    "icc": (0, 1, "in [0, 1]"),
    "effect": (0, np.inf, "at least 0"),
    "alpha": (0, 1, "between 0 and 1"),
    "power": (0.5, 1, "at least 0.5 and below 1"),
}


def _check(g: pd.DataFrame) -> None:
    for name in g.columns:
        lo, hi, text = _RANGES[name]
        x = g[name].to_numpy(float)
        bad = ~np.isfinite(x)
        if name == "alpha":
            bad |= (x <= lo) | (x >= hi)
        elif name == "power":
            bad |= (x < lo) | (x >= hi)
        elif name == "effect":
            bad |= x < 0
        else:
            bad |= (x < lo) | (x > hi)
        if bad.any():
            raise ValueError(f"{name} must be {text}; got {g[name].to_numpy()[bad][0].item()!r}")


def _z_sum(J, alpha, pw, distribution):
    if distribution == "normal":
        return stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(pw)
    df = 2 * (np.asarray(J, float) - 1)
    return stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(pw, df)


def _mde(J, m, deff, alpha, pw, distribution):
    J = np.asarray(J, float)
    return _z_sum(J, alpha, pw, distribution) * np.sqrt(2 * deff / (J * np.asarray(m, float)))


def _teams_needed(g: pd.DataFrame, deff, distribution: str) -> np.ndarray:
    if np.any(g["effect"].to_numpy(float) <= 0):
        raise ValueError("effect must be positive to find the teams needed")
    m, a, pw, delta = (g[c].to_numpy(float) for c in ("team_size", "alpha", "power", "effect"))
    deff = np.asarray(deff, float)
    J = np.ceil(_z_sum(None, a, pw, "normal") ** 2 * 2 * deff / (m * delta**2) * (1 - 1e-12))
    J = np.maximum(J, 2)
    for _ in range(
        100_000
    ):  # rounding (normal) or the heavier t tails: step up to the first J that reaches it
        short = _mde(J, m, deff, a, pw, distribution) > delta
        if not short.any():
            break
        J[short] += 1
    while True:  # and down, should the normal start overshoot (it cannot for t)
        lower = np.maximum(J - 1, 2)
        ok = (J > 2) & (_mde(lower, m, deff, a, pw, distribution) <= delta)
        if not ok.any():
            break
        J[ok] -= 1
    return J.astype(np.int64)
