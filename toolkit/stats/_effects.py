r"""Standardised effects for clustered designs (Hedges 2007) and multiplicity adjustment.

Hedges, L. V. (2007). Effect sizes in cluster-randomized designs. *Journal of Educational and
Behavioral Statistics* 32(4), 341-370. The effect is standardised by the **total** standard
deviation :math:`S_T = \sqrt{\tau^2 + \sigma^2}` (between-team plus within-team variance), so
it is comparable with a two-group effect size from an unclustered study:

.. math::

    d = \frac{\hat\Delta}{S_T}, \qquad g = J(h)\, d, \qquad J(h) = 1 - \frac{3}{4h - 1},

    h = \frac{[(N-2) - 2(\bar n - 1)\rho]^2}{(N-2)(1-\rho)^2 + \bar n(N - 2\bar n)\rho^2
        + 2(N - 2\bar n)\rho(1-\rho)}

(Hedges' effective degrees of freedom of :math:`S_T`, with :math:`N` people, :math:`M` teams,
:math:`\bar n = N/M` and :math:`\rho = \tau^2/(\tau^2+\sigma^2)`; :math:`h = N-2` when
:math:`\rho = 0` and :math:`M-2` when :math:`\rho = 1`). Its standard error is the delta
method, treating :math:`\hat\Delta` and :math:`\hat S_T^2` as independent (they are,
asymptotically, under REML):

.. math::

    \operatorname{se}(g) = J \sqrt{\frac{\operatorname{se}(\hat\Delta)^2}{S_T^2}
        + \frac{d^2 \operatorname{Var}(\hat S_T^2)}{4 S_T^4}},
    \qquad g \pm z_{1-\alpha/2} \operatorname{se}(g).

With :math:`\rho = 0` and two groups this is the usual Hedges' g,
:math:`J(N-2)(\bar y_a - \bar y_b)/s_p`, with variance
:math:`J^2[1/n_a + 1/n_b + d^2/(2(N-2))]`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["P_ADJUST", "hedges_g", "hedges_h", "p_adjust"]

#: Accepted ``p_adjust`` methods.
P_ADJUST = ("holm", "bh", "bonferroni", "none")


def hedges_h(n_people: int, n_teams: int, icc: float) -> float:
    """Hedges' (2007) effective degrees of freedom of the total SD (mean team size for unequal sizes).

    Examples
    --------
    >>> hedges_h(100, 100, 0.0), round(hedges_h(100, 10, 1.0), 6)
    (98.0, 8.0)
    """
    n_total, nbar, rho = float(n_people), n_people / n_teams, float(icc)
    num = ((n_total - 2) - 2 * (nbar - 1) * rho) ** 2
    den = (
        (n_total - 2) * (1 - rho) ** 2
        + nbar * (n_total - 2 * nbar) * rho**2
        + 2 * (n_total - 2 * nbar) * rho * (1 - rho)
    )
    return float(num / den) if den > 0 else np.nan


def hedges_g(
    estimate: float,
    se: float,
    total_var: float,
    total_var_var: float,
    *,
    n_people: int,
    n_teams: int,
    icc: float,
    alpha: float,
) -> tuple[float, float, float]:
    """Hedges' g with the clustering adjustment and its delta-method interval (module formulas).

    Examples
    --------
    >>> g, lo, hi = hedges_g(0.5, 0.2, 1.0, 0.02, n_people=100, n_teams=100, icc=0.0, alpha=0.05)
    >>> round(g, 6), round(hi - lo, 6)
    (0.496164, 0.790033)
    """
    h = hedges_h(n_people, n_teams, icc)
    j = 1 - 3 / (4 * h - 1) if np.isfinite(h) and h > 0.25 else np.nan
    s = np.sqrt(total_var)
    d = estimate / s
    var_d = se**2 / total_var + d**2 * total_var_var / (4 * total_var**2)
    se_g = j * np.sqrt(var_d)
    z = stats.norm.ppf(1 - alpha / 2)
    g = j * d
    return float(g), float(g - z * se_g), float(g + z * se_g)


def p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Holm, Benjamini-Hochberg or Bonferroni adjusted p-values, as R's ``p.adjust``.

    A missing p-value (NaN) stays missing, and the number of tests counts only the others, as
    in R (``p.adjust(c(0.01, NA, 0.04, NaN, 0.03), "holm")`` is ``0.03 NA 0.06 NaN 0.06``).

    Examples
    --------
    >>> p_adjust(np.array([0.01, 0.04, 0.03, 0.2]), "holm").round(4).tolist()
    [0.04, 0.09, 0.09, 0.2]
    >>> p_adjust(np.array([0.01, 0.04, 0.03, 0.2]), "bh").round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> p_adjust(np.array([0.01, np.nan, 0.04, 0.03]), "holm").round(4).tolist()
    [0.03, nan, 0.06, 0.06]
    """
    p = np.asarray(p, float)
    if method not in P_ADJUST:
        raise ValueError(f"p_adjust must be one of {', '.join(P_ADJUST)}; got {method!r}")
    present = ~np.isnan(p)
    out = p.copy()
    if method != "none" and present.any():
        out[present] = _adjusted(p[present], method)
    return out


def _adjusted(p: np.ndarray, method: str) -> np.ndarray:
    """:func:`p_adjust` of p-values without missing ones."""
    m = len(p)
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    else:  # bh
        order = np.argsort(p, kind="stable")[::-1]
        adj = np.minimum(1.0, np.minimum.accumulate(m / np.arange(m, 0, -1) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out
