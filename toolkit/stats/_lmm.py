r"""A fast REML fit of the random-intercept linear mixed model, from per-team sums only.

The model is :math:`y = X\beta + u_{team} + e` with :math:`u \sim N(0, \tau^2)` and
:math:`e \sim N(0, \sigma^2)`, parameterised as lme4 does by :math:`\theta = \tau/\sigma`
(the relative covariance factor) and profiled over :math:`\beta` and :math:`\sigma`. Within a
team of :math:`n_j` people :math:`V_j/\sigma^2 = I + \theta^2 11'`, whose inverse is (Sherman-Morrison)

.. math:: \sigma^2 V_j^{-1} = I - w_j 11', \qquad w_j = \theta^2/(1 + n_j\theta^2),

so with the team sums :math:`s_j = X_j'1` and :math:`t_j = y_j'1`

.. math::

    A(\theta) = X'X - \sum_j w_j s_j s_j', \quad c(\theta) = X'y - \sum_j w_j s_j t_j, \quad
    r^2(\theta) = y'y - \sum_j w_j t_j^2 - c'A^{-1}c,

and the REML criterion of lme4 (``REMLcrit``; Bates, Mächler, Bolker & Walker 2015, JSS 67(1),
eqs. 41-42) is

.. math::

    d_R(\theta) = \sum_j \log(1 + n_j\theta^2) + \log\det A + (n - p)
    \left(1 + \log\frac{2\pi r^2}{n - p}\right).

:math:`w_j` depends on the team only through its size, so the sums are pooled by team size
once (:math:`M_k = \sum_{n_j = k} s_j s_j'`, ...) and every evaluation costs
:math:`O(K p^2 + p^3)` for :math:`K` distinct team sizes, whatever the number of teams.
:math:`\hat\theta` minimises :math:`d_R` on :math:`[0, \infty)` (a log-spaced grid, then
bounded Brent, then Newton steps with the analytic derivatives); :math:`\theta = 0` is a
result (a singular fit), not a warning. Then :math:`\hat\beta = A^{-1}c`,
:math:`\hat\sigma^2 = r^2/(n-p)` and ``vcov`` :math:`= \hat\sigma^2 A^{-1}`, as ``lme4::vcov``.

Satterthwaite degrees of freedom follow lmerTest 3.1 (``contest1D``, ``contestMD``): with
:math:`\varphi = (\theta, \sigma)`, :math:`H` the Hessian of the REML deviance
:math:`d(\theta,\sigma) = \sum_j\log(1+n_j\theta^2) + \log\det A + r^2/\sigma^2 + (n-p)\log(2\pi\sigma^2)`
(lmerTest takes it numerically, here it is analytic), :math:`\operatorname{Var}(\hat\varphi) = 2H^{-1}`
and :math:`g = \partial(L'\operatorname{vcov}L)/\partial\varphi`,
:math:`\nu = 2 (L'\operatorname{vcov}L)^2 / (g'\operatorname{Var}(\hat\varphi)g)`.
Checked against lme4 1.1-31 and lmerTest 3.1-3 (tests/reference/cadence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize, sparse, stats

__all__ = ["LmmFit", "TeamSums", "fit_reml"]

_GRID = np.concatenate([[0.0], np.logspace(-3, 2, 31)])


class TeamSums:
    """Everything of a design the REML fit needs: :math:`X'X`, and team sums pooled by team size.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        The fixed-effects design (full column rank).
    team : ndarray of int, shape (n,)
        Team codes ``0 .. G-1``, every code used.
    """

    def __init__(self, X: np.ndarray, team: np.ndarray) -> None:
        n, p = X.shape
        self.n, self.p = n, p
        self.X = X
        self.team = team
        self.n_teams = int(team.max()) + 1 if n else 0
        n_j = np.bincount(team, minlength=self.n_teams)
        self.zt = sparse.csr_matrix((np.ones(n), (team, np.arange(n))), shape=(self.n_teams, n))
        self.S = np.asarray(self.zt @ X)
        self.sizes, self.size_class = np.unique(n_j, return_inverse=True)
        self.size_count = np.bincount(self.size_class).astype(float)
        order = np.argsort(self.size_class, kind="stable")
        bounds = np.searchsorted(self.size_class[order], np.arange(len(self.sizes) + 1))
        self._order, self._starts = order, bounds[:-1]
        self._s_sorted = self.S[order]
        self.M = np.empty((len(self.sizes), p, p))
        for k in range(len(self.sizes)):  # one product per distinct team size (not per team)
            s_k = self._s_sorted[bounds[k] : bounds[k + 1]]
            self.M[k] = s_k.T @ s_k
        self.XtX = X.T @ X

    def outcome(self, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """The sums that depend on y: X'y, y'y, and per team size the sums of s_j t_j and t_j^2."""
        t = (self.zt @ y)[self._order]
        m = np.add.reduceat(self._s_sorted * t[:, None], self._starts, axis=0)
        tt = np.add.reduceat(t * t, self._starts)
        return self.X.T @ y, float(y @ y), m, tt


@dataclass
class LmmFit:
    """A fitted random-intercept model (REML), as lme4 reports it, plus what Satterthwaite needs."""

    beta: np.ndarray
    vcov: np.ndarray
    theta: float
    sigma2: float
    tau2: float
    reml_crit: float
    n: int
    p: int
    n_teams: int
    vcov_varpar: np.ndarray = field(repr=False)  # Var of (theta, sigma) = 2 H^-1
    jac: tuple[np.ndarray, np.ndarray] = field(repr=False)  # d vcov / d theta, d vcov / d sigma

    @property
    def singular(self) -> bool:
        return self.theta == 0.0

    def satterthwaite(self, L: np.ndarray) -> tuple[float, float, float]:
        """Estimate, SE and Satterthwaite df of the contrast ``L @ beta`` (lmerTest ``contest1D``)."""
        L = np.asarray(L, float)
        var = float(L @ self.vcov @ L)
        grad = np.array([L @ j @ L for j in self.jac])
        denom = float(grad @ self.vcov_varpar @ grad)
        df = 2.0 * var**2 / denom if denom > 0 else np.inf
        return float(L @ self.beta), float(np.sqrt(var)), df

    def joint_f(self, L: np.ndarray) -> tuple[float, float, float, float]:
        """Joint test of ``L @ beta = 0``: Wald chi2, q and Satterthwaite df (lmerTest ``contestMD``).

        Returns ``chi2, q, den_df, F``.
        """
        L = np.atleast_2d(np.asarray(L, float))
        vl = L @ self.vcov @ L.T
        d, P = np.linalg.eigh(vl)
        d, P = d[::-1], P[:, ::-1]
        pos = d > max(np.sqrt(np.finfo(float).eps) * d[0], 0)
        q = int(pos.sum())
        ptl = (P.T @ L)[:q]
        t2 = (ptl @ self.beta) ** 2 / d[:q]
        nu = np.empty(q)
        for m in range(q):  # one per rank of the hypothesis (at most a handful)
            g = np.array([ptl[m] @ j @ ptl[m] for j in self.jac])
            nu[m] = 2 * d[m] ** 2 / (g @ self.vcov_varpar @ g)
        if q == 1:
            den = nu[0]
        elif np.all(np.abs(np.diff(nu)) < 1e-8):
            den = float(nu.mean())
        elif np.any(nu <= 2):
            den = 2.0
        else:
            e = float(np.sum(nu / (nu - 2)))
            den = 2 * e / (e - q)
        return float(t2.sum()), q, float(den), float(t2.sum() / q)

    def total_variance_var(self) -> float:
        r"""Asymptotic variance of :math:`\hat\tau^2 + \hat\sigma^2 = \sigma^2(1+\theta^2)` (delta method)."""
        s = np.sqrt(self.sigma2)
        grad = np.array([2 * self.theta * self.sigma2, 2 * s * (1 + self.theta**2)])
        return float(grad @ self.vcov_varpar @ grad)


class _Criterion:
    """The profiled REML criterion of one outcome and its derivatives in theta."""

    def __init__(self, ts: TeamSums, y: np.ndarray) -> None:
        self.ts = ts
        self.xy, self.yy, self.m, self.tt = ts.outcome(y)
        self.dfres = ts.n - ts.p

    def _pieces(self, theta: float):
        ts = self.ts
        u = ts.sizes * theta**2
        w = theta**2 / (1 + u)
        A = ts.XtX - np.tensordot(w, ts.M, axes=1)
        c = self.xy - w @ self.m
        q = self.yy - w @ self.tt
        cf = linalg.cho_factor(A, lower=False, check_finite=False)
        beta = linalg.cho_solve(cf, c, check_finite=False)
        r2 = q - c @ beta
        return u, A, cf, beta, r2

    def __call__(self, theta: float) -> float:
        try:
            u, _, cf, _, r2 = self._pieces(theta)
        except linalg.LinAlgError:
            return np.inf
        if not r2 > 0:
            return np.inf
        ld = float(self.ts.size_count @ np.log1p(u))
        lda = 2.0 * float(np.sum(np.log(np.diag(cf[0]))))
        return ld + lda + self.dfres * (1.0 + np.log(2.0 * np.pi * r2 / self.dfres))

    def derivatives(self, theta: float) -> dict:
        """First and second theta-derivatives of the pieces of the criterion (formulas in the module doc)."""
        ts = self.ts
        u, A, cf, beta, r2 = self._pieces(theta)
        k, cnt = ts.sizes, ts.size_count
        w1 = 2 * theta / (1 + u) ** 2
        w2 = (2 - 6 * u) / (1 + u) ** 3
        A1, A2 = -np.tensordot(w1, ts.M, axes=1), -np.tensordot(w2, ts.M, axes=1)
        c1, c2 = -(w1 @ self.m), -(w2 @ self.m)
        q1, q2 = -(w1 @ self.tt), -(w2 @ self.tt)
        ainv = linalg.cho_solve(cf, np.eye(ts.p), check_finite=False)
        ainv_a1 = ainv @ A1
        g = c1 - A1 @ beta
        return {
            "A": A,
            "ainv": ainv,
            "A1": A1,
            "beta": beta,
            "r2": r2,
            "ld1": float(cnt @ (2 * k * theta / (1 + u))),
            "ld2": float(cnt @ (2 * k * (1 - u) / (1 + u) ** 2)),
            "lda1": float(np.trace(ainv_a1)),
            "lda2": float(np.sum(ainv * A2.T) - np.sum(ainv_a1 * ainv_a1.T)),
            "r21": float(q1 - 2 * beta @ c1 + beta @ A1 @ beta),
            "r22": float(q2 - 2 * beta @ c2 + beta @ A2 @ beta - 2 * g @ ainv @ g),
        }

    def slope_curvature(self, theta: float) -> tuple[float, float]:
        d = self.derivatives(theta)
        n = self.dfres
        s1 = d["ld1"] + d["lda1"] + n * d["r21"] / d["r2"]
        s2 = d["ld2"] + d["lda2"] + n * (d["r22"] / d["r2"] - (d["r21"] / d["r2"]) ** 2)
        return s1, s2


def _minimise(crit: _Criterion) -> float:
    """theta-hat on [0, inf): grid, bounded Brent on the bracket of the best grid point, Newton polish."""
    grid = _GRID
    values = np.array([crit(t) for t in grid])
    while np.argmin(values) == len(grid) - 1 and grid[-1] < 1e6:  # optimum beyond the grid: extend it
        more = grid[-1] * np.array([3.0, 10.0])
        grid, values = np.append(grid, more), np.append(values, [crit(t) for t in more])
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(
        crit, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12 * max(hi, 1e-3), "maxiter": 500}
    )
    theta = float(res.x)
    for _ in range(6):  # Newton steps with analytic derivatives: machine precision at the optimum
        s1, s2 = crit.slope_curvature(theta)
        if not (s2 > 0 and np.isfinite(s1)):
            break
        new = theta - s1 / s2
        if new <= 0.0:  # the minimum is on the boundary (the criterion is even in theta)
            theta = 0.0
            break
        if not lo <= new <= hi:
            break
        done = abs(new - theta) <= 1e-15 * max(theta, 1.0)
        theta = new
        if done:
            break
    if crit(0.0) <= crit(theta):  # the boundary: a singular fit
        theta = 0.0
    return theta


def fit_reml(ts: TeamSums, y: np.ndarray) -> LmmFit:
    """Fit the random-intercept model to outcome ``y`` (rows as in ``ts``) by REML, as ``lme4::lmer``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> team = np.repeat(np.arange(50), 6)
    >>> X = np.column_stack([np.ones(300), rng.standard_normal(300)])
    >>> y = X @ [1.0, 0.5] + 0.5 * rng.standard_normal(50)[team] + rng.standard_normal(300)
    >>> fit = fit_reml(TeamSums(X, team), y)
    >>> bool(fit.theta > 0), fit.n_teams, fit.vcov.shape
    (True, 50, (2, 2))
    """
    if ts.n - ts.p <= 0:
        raise ValueError(f"the model has {ts.p} fixed effects but only {ts.n} rows: nothing left to estimate")
    if ts.n_teams == ts.n:
        raise ValueError(
            "every team has one row: the team variance is not identified (lme4 refuses such data too); "
            "with no clustering, use method='ols_cluster'"
        )
    crit = _Criterion(ts, np.asarray(y, float))
    theta = _minimise(crit)
    d = crit.derivatives(theta)
    n_res = crit.dfres
    r2 = d["r2"]
    sigma2 = r2 / n_res
    sigma = np.sqrt(sigma2)
    ainv = d["ainv"]
    vcov = sigma2 * ainv
    # Hessian of the (unprofiled in sigma) REML deviance in (theta, sigma), as lmerTest
    h_tt = d["ld2"] + d["lda2"] + d["r22"] / sigma2
    h_ts = -2 * d["r21"] / sigma**3
    h_ss = 6 * r2 / sigma2**2 - 2 * n_res / sigma2
    H = np.array([[h_tt, h_ts], [h_ts, h_ss]])
    ev, vec = np.linalg.eigh(H)
    pos = ev > 1e-8
    h_inv = (vec[:, pos] / ev[pos]) @ vec[:, pos].T
    jac_theta = -sigma2 * ainv @ d["A1"] @ ainv
    jac_sigma = 2 * sigma * ainv
    return LmmFit(
        beta=d["beta"],
        vcov=vcov,
        theta=theta,
        sigma2=sigma2,
        tau2=sigma2 * theta**2,
        reml_crit=crit(theta),
        n=ts.n,
        p=ts.p,
        n_teams=ts.n_teams,
        vcov_varpar=2 * h_inv,
        jac=(jac_theta, jac_sigma),
    )


def t_interval(estimate: float, se: float, df: float, alpha: float) -> tuple[float, float, float]:
    """Two-sided p-value and the 1 - alpha interval of a t (or, with df = inf, z) statistic."""
    q = stats.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / 2)
    t = estimate / se
    p = 2 * (stats.t.sf(abs(t), df) if np.isfinite(df) else stats.norm.sf(abs(t)))
    return float(p), estimate - q * se, estimate + q * se
