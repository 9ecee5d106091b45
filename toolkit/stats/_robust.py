r"""Least squares and cumulative-link fits with cluster-robust (by team) covariance matrices.

The sandwich and its small-sample factors are those of ``sandwich::vcovCL`` 3.0-2 (its
``cadjust = TRUE`` default): with the bread :math:`B` (:math:`(X'X)^{-1}` for least squares,
the inverse observed information for a likelihood), the team sums :math:`S_g` of the
per-observation score contributions, :math:`N` rows, :math:`K` parameters and :math:`G` teams,

.. math::

    V_{HC0} = \frac{G}{G-1}\, B \Big(\sum_g S_g S_g'\Big) B, \qquad
    V_{HC1} = \frac{G}{G-1}\,\frac{N-1}{N-K}\, B \Big(\sum_g S_g S_g'\Big) B.

:math:`V_{HC1}` (CR1) is also Stata's and statsmodels' cluster default. The cumulative logit
(``ordinal::clm`` 2022.11-16, ``link = "logit"``) is
:math:`\operatorname{logit} P(Y \le j \mid x) = \alpha_j - x'\beta`, fitted by Newton-Raphson
with the analytic gradient and Hessian; its model-based covariance is the inverse observed
information, as ``vcov(clm)``, and its scores are those of ``sandwich::estfun.clm``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse, special

__all__ = ["ClmFit", "OlsFit", "fit_clm", "fit_ols"]


def _team_sums(values: np.ndarray, team: np.ndarray, n_teams: int) -> np.ndarray:
    zt = sparse.csr_matrix((np.ones(len(team)), (team, np.arange(len(team)))), shape=(n_teams, len(team)))
    return np.asarray(zt @ values)


def _cluster_factor(n: int, k: int, g: int, kind: str) -> float:
    factor = g / (g - 1)
    if kind == "HC1":
        factor *= (n - 1) / (n - k)
    return factor


@dataclass
class OlsFit:
    """Least squares: coefficients, iid and cluster-robust (HC0, HC1) covariances."""

    beta: np.ndarray
    vcov_iid: np.ndarray
    vcov_hc0: np.ndarray | None
    vcov_hc1: np.ndarray | None
    n: int
    k: int
    n_teams: int
    sigma2: float


def fit_ols(X: np.ndarray, y: np.ndarray, team: np.ndarray | None = None) -> OlsFit:
    """OLS of ``y`` on ``X`` (full column rank); cluster sandwiches when ``team`` codes (0..G-1) are given.

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> fit = fit_ols(X, np.array([1.0, 2, 3, 4, 5, 7]), np.array([0, 0, 1, 1, 2, 2]))
    >>> fit.beta.round(4).tolist(), fit.n_teams
    ([2.0, 3.3333], 3)
    """
    n, k = X.shape
    cf = linalg.cho_factor(X.T @ X, check_finite=False)
    bread = linalg.cho_solve(cf, np.eye(k), check_finite=False)
    beta = bread @ (X.T @ y)
    resid = y - X @ beta
    sigma2 = float(resid @ resid) / (n - k) if n > k else np.nan
    v0 = v1 = None
    g = 0
    if team is not None:
        g = int(team.max()) + 1
        s = _team_sums(X * resid[:, None], team, g)
        core = bread @ (s.T @ s) @ bread
        v0 = _cluster_factor(n, k, g, "HC0") * core
        v1 = _cluster_factor(n, k, g, "HC1") * core
    return OlsFit(beta, sigma2 * bread, v0, v1, n, k, g, sigma2)


@dataclass
class ClmFit:
    """Cumulative logit: thresholds, betas, model-based and cluster-robust covariances (thresholds first)."""

    thresholds: np.ndarray
    beta: np.ndarray
    vcov_model: np.ndarray
    vcov_hc0: np.ndarray
    vcov_hc1: np.ndarray
    loglik: float
    n: int
    n_teams: int
    iterations: int


def _clm_pieces(par: np.ndarray, X: np.ndarray, y: np.ndarray, nthr: int, want_hessian: bool):
    """Log-likelihood, per-row scores and the Hessian of the cumulative logit at ``par``."""
    # far from the optimum (a step-halving candidate, a level that is perfectly predicted) the
    # probabilities underflow: the result is then not finite, and the candidate is refused
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        loglik, scores, hess = _clm_terms(par, X, y, nthr, want_hessian)
    finite = np.isfinite(loglik) and np.isfinite(scores).all() and (hess is None or np.isfinite(hess).all())
    return (loglik, scores, hess) if finite else (-np.inf, None, None)


def _clm_terms(par: np.ndarray, X: np.ndarray, y: np.ndarray, nthr: int, want_hessian: bool):
    alpha, beta = par[:nthr], par[nthr:]
    if np.any(np.diff(alpha) <= 0):
        return -np.inf, np.zeros(0), None
    xb = X @ beta
    has_up, has_lo = y < nthr, y > 0
    up, lo = np.minimum(y, nthr - 1), np.maximum(y - 1, 0)
    eta_u, eta_l = alpha[up] - xb, alpha[lo] - xb
    F1 = np.where(has_up, special.expit(eta_u), 1.0)
    F0 = np.where(has_lo, special.expit(eta_l), 0.0)
    f1 = np.where(has_up, F1 * (1 - F1), 0.0)
    f0 = np.where(has_lo, F0 * (1 - F0), 0.0)
    prob = F1 - F0
    if np.any(prob <= 0):
        return -np.inf, np.zeros(0), None
    loglik = float(np.sum(np.log(prob)))
    n = len(y)
    eu = np.zeros((n, nthr))
    el = np.zeros((n, nthr))
    eu[np.arange(n), up] = has_up
    el[np.arange(n), lo] = has_lo
    au, al = np.hstack([eu, -X]), np.hstack([el, -X])
    gu, gl = f1 / prob, -f0 / prob
    scores = gu[:, None] * au + gl[:, None] * al
    if not want_hessian:
        return loglik, scores, None
    h_uu = f1 * (1 - 2 * F1) / prob - gu**2
    h_ll = -f0 * (1 - 2 * F0) / prob - gl**2
    h_ul = f1 * f0 / prob**2
    cross = au.T @ (h_ul[:, None] * al)
    hess = au.T @ (h_uu[:, None] * au) + al.T @ (h_ll[:, None] * al) + cross + cross.T
    return loglik, scores, hess


_NO_ESTIMATE = (
    "the cumulative logit has no finite estimate: its information matrix is singular, as when a "
    "category, or a level with few people (a cadence two people reported, both with the same answer), "
    "is perfectly predicted; merge the level or leave it out of the contrast"
)


def _check_not_separated(X: np.ndarray, y: np.ndarray, nthr: int, names) -> None:
    """A 0/1 column whose rows all answered the lowest or all the highest category has no finite
    estimate (the likelihood grows without end with its coefficient, which only those rows carry);
    a fit would stop on a flat likelihood and report a huge, "significant" coefficient."""
    for j in range(X.shape[1]):
        col = X[:, j]
        on = col == 1
        if not on.any() or not np.all((col == 0) | on):
            continue
        codes = y[on]
        if codes.min() == nthr or codes.max() == 0:
            which = f"{names[j]!r} ({int(on.sum())} people)" if names is not None else f"column {j}"
            extreme = "highest" if codes.min() == nthr else "lowest"
            raise ValueError(f"{which}: everyone there gave the {extreme} answer, so " + _NO_ESTIMATE)


def _solved(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^-1 b`` for the symmetric information matrix ``a``; a ValueError (never a warning) when it is
    singular or too ill-conditioned to give a finite estimate."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", linalg.LinAlgWarning)
        try:
            out = linalg.solve(a, b, assume_a="sym", check_finite=False)
        except (linalg.LinAlgWarning, linalg.LinAlgError, ValueError):
            raise ValueError(_NO_ESTIMATE) from None
    if not np.isfinite(out).all():
        raise ValueError(_NO_ESTIMATE)
    return out


def fit_clm(X: np.ndarray, y: np.ndarray, team: np.ndarray, *, max_iter: int = 200, names=None) -> ClmFit:
    """Fit the cumulative logit of categories ``y`` (codes 0..J-1, all used) on ``X`` (no intercept).

    ``names`` (of the columns of ``X``) name a column in errors.

    Raises
    ------
    ValueError
        When Newton-Raphson does not reach a gradient below 1e-8 (e.g. complete separation).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((400, 1))
    >>> y = np.digitize(0.8 * x[:, 0] + rng.logistic(size=400), [-1.0, 0.0, 1.0])
    >>> fit = fit_clm(x, y, np.arange(400) // 4)
    >>> round(float(fit.beta[0]), 2), fit.thresholds.shape, fit.n_teams
    (0.95, (3,), 100)
    """
    n, p = X.shape
    nthr = int(y.max())
    _check_not_separated(X, y, nthr, names)
    cum = np.cumsum(np.bincount(y, minlength=nthr + 1))[:-1] / n
    par = np.concatenate([special.logit(cum), np.zeros(p)])
    loglik, scores, hess = _clm_pieces(par, X, y, nthr, True)
    if scores is None:
        raise ValueError(_NO_ESTIMATE)
    it = 0
    while it < max_iter:  # Newton-Raphson with step halving (iterations, not rows)
        it += 1
        grad = scores.sum(axis=0)
        step = _solved(-hess, grad)
        t = 1.0
        while True:
            cand = par + t * step
            new = _clm_pieces(cand, X, y, nthr, True)
            if new[0] >= loglik - 1e-12 * abs(loglik) or t < 1e-10:
                break
            t /= 2
        if new[1] is None:
            raise ValueError(_NO_ESTIMATE)
        par, (loglik, scores, hess) = cand, new
        if np.max(np.abs(scores.sum(axis=0))) < 1e-10 or np.max(np.abs(t * step)) < 1e-13:
            break
    grad = scores.sum(axis=0)
    if not np.isfinite(loglik) or np.max(np.abs(grad)) > 1e-8:
        raise ValueError(
            f"the cumulative logit did not converge (largest gradient {np.max(np.abs(grad)):.2g} after "
            f"{it} iterations): a category or a cadence level may be perfectly predicted"
        )
    vcov = _solved(-hess, np.eye(len(par)))
    g = int(team.max()) + 1
    s = _team_sums(scores, team, g)
    core = vcov @ (s.T @ s) @ vcov
    k = nthr + p
    return ClmFit(
        thresholds=par[:nthr],
        beta=par[nthr:],
        vcov_model=vcov,
        vcov_hc0=_cluster_factor(n, k, g, "HC0") * core,
        vcov_hc1=_cluster_factor(n, k, g, "HC1") * core,
        loglik=loglik,
        n=n,
        n_teams=g,
        iterations=it,
    )
