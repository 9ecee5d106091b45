"""The engine of :mod:`toolkit.stats.invariance`: multi-group CFA by maximum likelihood, fitted by Fisher
scoring with analytic derivatives, and lavaan's fit measures (private).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from toolkit.errors import InputError

_GROUP_EQUAL = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
_GTOL = 1e-9  # largest |gradient| of the ML discrepancy F (not of the chi-square N F) at convergence
_DECREMENT = 1e-14  # or: a Newton step would lower F by less than this (scale free, unlike the gradient)
_MAX_ITER = 200  # Fisher scoring; it needs 10 to 60 on well-identified models
_DIVERGED = 1e6  # a parameter this large means the iterations run off to infinity
_ALL_EQUAL_TOL = 1.5e-8  # R's all.equal tolerance, used by lavaan's CFI

LEVELS = ("configural", "metric", "scalar")
#: The columns of :func:`invariance`, in order.
INVARIANCE_COLUMNS = (
    "level",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "aic",
    "bic",
    "n",
    "delta_chisq",
    "delta_df",
    "p_delta",
    "note",
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Spec:
    items: tuple[str, ...]
    factors: tuple[str, ...]
    member: np.ndarray  # factor index of each item
    marker: np.ndarray  # True for the first item of each factor


@dataclass(frozen=True)
class _Groups:
    labels: tuple[str, ...]
    n: np.ndarray  # (G,) complete rows
    mean: np.ndarray  # (G, p)
    cov: np.ndarray  # (G, p, p), divisor n_g
    logdet: np.ndarray  # (G,) log|S_g|
    n_rows: int  # rows with a group
    n_incomplete: int  # of those, rows left out for a missing answer
    n_no_group: int  # rows without a group


def _check_levels(levels: Sequence[str]) -> tuple[str, ...]:
    if isinstance(levels, str) or not isinstance(levels, Sequence):
        raise TypeError(f"levels must be a sequence of level names like {LEVELS}; got {levels!r}")
    levels = tuple(levels)
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise ValueError(f"levels must be among {', '.join(LEVELS)}; got unknown {unknown[0]!r}")
    if not levels:
        raise ValueError(f"levels must name at least one of {', '.join(LEVELS)}; got none")
    if len(set(levels)) != len(levels) or list(levels) != sorted(levels, key=LEVELS.index):
        raise ValueError(
            f"levels must be distinct and in the order {', '.join(LEVELS)} (each is compared with the "
            f"one before); got {', '.join(levels)}"
        )
    return levels


def _check_factors(factors: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray, tuple]:
    if not isinstance(factors, Mapping) or not factors:
        raise TypeError(
            f"factors must be a non-empty mapping of factor names to item columns, like "
            f"{{'depth': ['depth_why', 'depth_growth', 'depth_how_work']}}; got {factors!r}"
        )
    items: list[str] = []
    member: list[int] = []
    seen: dict[str, str] = {}
    for j, (name, cols) in enumerate(factors.items()):
        if isinstance(cols, str) or not pd.api.types.is_list_like(cols):
            raise TypeError(f"factors[{name!r}] must be a list of item columns; got {cols!r}")
        cols = list(cols)
        if len(cols) < 2:
            raise ValueError(
                f"factors[{name!r}] must have at least 2 items; got {len(cols)}. A factor of one item is "
                f"not a factor. lavaan accepts a factor of 2 items but identifies it only through its "
                f"covariance with another factor: alone, a 2-item factor has one parameter more than "
                f"the data have moments in each group (lavaan reports df -2 for two groups, no "
                f"chi-square, and warns that the model may not be identified); use 3 or more"
            )
        for col in cols:
            if col in seen:
                where = f"twice under {name!r}" if seen[col] == name else f"under {seen[col]!r} and {name!r}"
                raise ValueError(
                    f"factors: item {col!r} is listed {where}; each item must load on one factor, once"
                )
            seen[col] = name
            items.append(col)
            member.append(j)
    return tuple(items), np.array(member), tuple(factors)


def _check_data(data: pd.DataFrame, items: tuple[str, ...], group: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    if not isinstance(group, str):
        raise TypeError(f"group must be a column name (str); got {group!r}")
    for col in (*items, group):
        if col not in data.columns:
            what = "the group column" if col == group else "an item of factors"
            raise InputError(f"data has no column {col!r} ({what})", column=col)
    if group in items:
        raise ValueError(f"group {group!r} is also an item of factors; the group must be another column")
    for col in items:
        dtype = data[col].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise TypeError(f"item column {col!r} must be numeric (answer codes or scores); got {dtype}")


def _groups(data: pd.DataFrame, items: tuple[str, ...], group: str) -> _Groups:
    x = data[list(items)].astype("float64").to_numpy(na_value=np.nan)
    if np.isinf(x).any():
        col = items[int(np.flatnonzero(np.isinf(x).any(axis=0))[0])]
        raise ValueError(f"item column {col!r} holds an infinite value; answers must be finite numbers")
    g = data[group]
    has_group = g.notna().to_numpy()
    complete = has_group & ~np.isnan(x).any(axis=1)
    labels = pd.unique(g[has_group].astype("object"))
    if len(labels) < 2:
        raise ValueError(
            f"group column {group!r} must hold at least 2 groups to compare; got {len(labels)}"
            + (f" ({labels[0]!r})" if len(labels) else "")
        )
    p = len(items)
    n, mean, cov, logdet = [], [], [], []
    codes = g.to_numpy(dtype=object)
    for lab in labels:
        rows = x[complete & (codes == lab)]
        if len(rows) < p + 1:
            raise ValueError(
                f"group {lab!r} of column {group!r} has {len(rows)} complete rows; at least {p + 1} "
                f"(items + 1) are needed for its covariance matrix to be positive definite"
            )
        mu = rows.mean(axis=0)
        s = (rows - mu).T @ (rows - mu) / len(rows)
        var = np.diag(s)
        if (var <= 0).any():
            item = items[int(np.flatnonzero(var <= 0)[0])]
            raise ValueError(
                f"group {lab!r} of column {group!r}: item {item!r} has the same answer in all "
                f"{len(rows)} complete rows, so the covariance matrix is singular and the model cannot "
                f"be fitted (lavaan stops there too)"
            )
        if np.linalg.eigvalsh(s / np.sqrt(np.outer(var, var))).min() < 1e-10:
            raise ValueError(
                f"group {lab!r} of column {group!r}: the covariance matrix of the items is singular "
                f"(some items are linear combinations of others), so the model cannot be fitted"
            )
        ld = float(np.linalg.slogdet(s)[1])
        n.append(len(rows))
        mean.append(mu)
        cov.append(s)
        logdet.append(ld)
    return _Groups(
        labels=tuple(str(lab) for lab in labels),
        n=np.array(n, dtype=np.int64),
        mean=np.array(mean),
        cov=np.array(cov),
        logdet=np.array(logdet),
        n_rows=int(has_group.sum()),
        n_incomplete=int(has_group.sum() - complete.sum()),
        n_no_group=int((~has_group).sum()),
    )


def _n_moments(p: int) -> int:
    return p * (p + 1) // 2 + p


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Layout:
    """Where each free parameter sits: index into theta, or -1 for a fixed value."""

    spec: _Spec
    level: str
    lam: np.ndarray  # (G, p) loading of item i on its factor; -1 for markers (fixed 1)
    phi: np.ndarray  # (G, m, m) factor (co)variances, symmetric, all free
    th: np.ndarray  # (G, p) residual variances
    nu: np.ndarray  # (G, p) intercepts
    al: np.ndarray  # (G, m) latent means; -1 means fixed at 0
    q: int

    @classmethod
    def build(cls, spec: _Spec, n_groups: int, level: str) -> _Layout:
        p, m, G = len(spec.items), len(spec.factors), n_groups
        count = itertools.count()
        equal = _GROUP_EQUAL[level]

        def block(shape: tuple[int, ...], shared: bool) -> np.ndarray:
            if shared:
                one = np.array([next(count) for _ in range(int(np.prod(shape)))]).reshape(shape)
                return np.broadcast_to(one, (G, *shape)).copy()
            return np.array([next(count) for _ in range(G * int(np.prod(shape)))]).reshape((G, *shape))

        free = np.flatnonzero(~spec.marker)
        lam = np.full((G, p), -1)
        lam[:, free] = block((len(free),), "loadings" in equal)
        tri = np.tril_indices(m)
        phi = np.full((G, m, m), -1)
        vals = block((len(tri[0]),), False)
        phi[:, tri[0], tri[1]] = vals
        phi[:, tri[1], tri[0]] = vals
        th = block((p,), False)
        nu = block((p,), "intercepts" in equal)
        al = np.full((G, m), -1)
        if "intercepts" in equal:
            al[1:] = block((m,), False)[1:]
        used = np.unique(np.concatenate([a[a >= 0] for a in (lam, phi, th, nu, al)]))
        remap = np.full(next(count), -1)
        remap[used] = np.arange(len(used))
        lam, phi, th, nu, al = (np.where(a >= 0, remap[a], -1) for a in (lam, phi, th, nu, al))
        return cls(spec=spec, level=level, lam=lam, phi=phi, th=th, nu=nu, al=al, q=len(used))

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Lambda (G, p, m), Phi (G, m, m), theta (G, p), nu (G, p), alpha (G, m) of every group."""
        G, p = self.th.shape
        lam = np.zeros((G, p, len(self.spec.factors)))
        lam[:, np.arange(p), self.spec.member] = np.where(self.lam >= 0, theta[self.lam], 1.0)
        al = np.where(self.al >= 0, theta[self.al], 0.0)
        return lam, theta[self.phi], theta[self.th], theta[self.nu], al

    def implied(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sigma (G, p, p) and mu (G, p) of every group."""
        lam, phi, th, nu, al = self.matrices(theta)
        sigma = lam @ phi @ lam.transpose(0, 2, 1)
        sigma[:, np.arange(th.shape[1]), np.arange(th.shape[1])] += th
        return sigma, nu + np.einsum("gpm,gm->gp", lam, al)

    def pack(self, parts: list[tuple[np.ndarray, ...]], weights: np.ndarray) -> np.ndarray:
        """theta from per-group (Lambda, Phi, theta, nu, alpha): a weighted mean where shared."""
        num, den = np.zeros(self.q), np.zeros(self.q)
        for g, (lam, phi, th, nu, al) in enumerate(parts):  # one tuple per group
            loading = lam[np.arange(len(self.spec.items)), self.spec.member]
            for idx, val in ((self.lam[g], loading), (self.phi[g], phi), (self.th[g], th)):
                self._add(num, den, idx, val, weights[g])
            self._add(num, den, self.nu[g], nu, weights[g])
            self._add(num, den, self.al[g], al, weights[g])
        return num / den

    @staticmethod
    def _add(num: np.ndarray, den: np.ndarray, idx: np.ndarray, val: np.ndarray, w: float) -> None:
        ok = idx >= 0
        np.add.at(num, idx[ok], w * val[ok])
        np.add.at(den, idx[ok], w)


@dataclass(frozen=True)
class _Fit:
    layout: _Layout
    theta: np.ndarray
    fmin: float  # the ML discrepancy F at the solution
    converged: bool
    iterations: int


def _discrepancy(layout: _Layout, groups: _Groups, theta: np.ndarray) -> float:
    """The ML discrepancy F of theta (inf where an implied covariance matrix is not positive definite)."""
    sigma, mu = layout.implied(theta)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    inv = np.linalg.inv(sigma)
    d = groups.mean - mu
    f = (
        logdet
        - groups.logdet
        + np.einsum("gij,gji->g", groups.cov, inv)
        - sigma.shape[1]
        + np.einsum("gi,gij,gj->g", d, inv, d)
    )
    return float(groups.n @ f / groups.n.sum())


def _derivatives(layout: _Layout, groups: _Groups, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of F and its expected second derivatives (the Fisher information of F)."""
    spec, q = layout.spec, layout.q
    G, p = layout.th.shape
    m = len(spec.factors)
    w = groups.n / groups.n.sum()
    lam, phi, th, nu, al = layout.matrices(theta)
    sigma = lam @ phi @ lam.transpose(0, 2, 1)
    sigma[:, np.arange(p), np.arange(p)] += th
    inv = np.linalg.inv(sigma)
    inv = (inv + inv.transpose(0, 2, 1)) / 2
    d = groups.mean - nu - np.einsum("gpm,gm->gp", lam, al)
    a = np.einsum("gij,gj->gi", inv, d)
    # dF/dSigma and dF/dmu of every group
    g_sigma = inv - inv @ groups.cov @ inv - a[:, :, None] * a[:, None, :]
    g_mu = -2.0 * a
    # derivatives of Sigma (G, q, p, p) and mu (G, q, p) with respect to every parameter
    d_sigma = np.zeros((G, q, p, p))
    d_mu = np.zeros((G, q, p))
    gi, ii = np.nonzero(layout.lam >= 0)
    kk, jj = layout.lam[gi, ii], spec.member[ii]
    lp = (lam @ phi)[gi, :, jj]  # (n, p): column j of Lambda Phi
    d_sigma[gi, kk, ii, :] += lp
    d_sigma[gi, kk, :, ii] += lp
    d_mu[gi, kk, ii] += al[gi, jj]
    groups_ = np.arange(G)
    for j, l_ in zip(*np.tril_indices(m), strict=True):
        outer = lam[:, :, j, None] * lam[:, None, :, l_]
        d_sigma[groups_, layout.phi[:, j, l_]] += outer if j == l_ else outer + outer.transpose(0, 2, 1)
    gg, ii = np.indices((G, p)).reshape(2, -1)
    d_sigma[gg, layout.th[gg, ii], ii, ii] += 1.0
    d_mu[gg, layout.nu[gg, ii], ii] += 1.0
    gi, jj = np.nonzero(layout.al >= 0)
    d_mu[gi, layout.al[gi, jj]] += lam[gi, :, jj]
    grad = np.einsum("g,gkij,gij->k", w, d_sigma, g_sigma) + np.einsum("g,gkp,gp->k", w, d_mu, g_mu)
    # E[d2F/dk dl] = sum_g w_g [tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l) + 2 dmu_k' Sigma^-1 dmu_l]
    a_k = inv[:, None] @ d_sigma  # (G, q, p, p): Sigma^-1 dSigma_k
    x = (w[:, None, None, None] * a_k).reshape(G, q, p * p)
    y = a_k.transpose(0, 1, 3, 2).reshape(G, q, p * p)
    info = (x @ y.transpose(0, 2, 1)).sum(axis=0)
    info += 2.0 * ((w[:, None, None] * d_mu) @ inv @ d_mu.transpose(0, 2, 1)).sum(axis=0)
    return grad, info


def _fit(spec: _Spec, groups: _Groups, level: str, previous: _Fit | None) -> _Fit:
    """Fit one level: from the previous level's solution, and from the data when that fails."""
    layout = _Layout.build(spec, len(groups.labels), level)
    sources: list[_Fit | str] = [] if previous is None else [previous]
    sources += ["pooled", "first"] if "loadings" in _GROUP_EQUAL[level] else ["groups"]
    best: _Fit | None = None
    for source in sources:
        fit = _optimise(layout, groups, _start(layout, groups, source))
        if best is None or (fit.converged, -fit.fmin) > (best.converged, -best.fmin):
            best = fit
        if fit.converged:
            break
    return best


def _optimise(layout: _Layout, groups: _Groups, theta: np.ndarray) -> _Fit:
    """Fisher scoring with step halving; scipy's BFGS takes over when scoring stalls."""
    f = _discrepancy(layout, groups, theta)
    converged = diverged = False
    it = 0
    for it in range(1, _MAX_ITER + 1):  # noqa: B007 (the count is reported)
        grad, info = _derivatives(layout, groups, theta)
        step = _solve(info, grad)
        slope = float(grad @ step)  # the Newton decrement: about twice F minus its minimum
        if np.max(np.abs(grad)) < _GTOL or 0 <= slope < _DECREMENT:
            converged = True
            break
        t = 1.0
        for _ in range(40):
            new = theta - t * step
            f_new = _discrepancy(layout, groups, new)
            if np.isfinite(f_new) and f_new <= f - 1e-4 * t * max(slope, 0.0):
                break
            t /= 2
        else:
            break
        stalled = f - f_new < 1e-15 and np.max(np.abs(theta - new)) < 1e-12
        theta, f = new, f_new
        if stalled:
            converged = _stationary(layout, groups, theta)
            break
        if np.max(np.abs(theta)) > _DIVERGED:  # off along a ridge: a marker that barely loads
            diverged = True
            break
    if not converged and not diverged:  # scipy's BFGS from where scoring stopped
        res = optimize.minimize(
            lambda t: min(_discrepancy(layout, groups, t), 1e10),
            theta,
            jac=lambda t: _safe_gradient(layout, groups, t),
            method="BFGS",
            options={"gtol": _GTOL, "maxiter": 300},
        )
        if np.isfinite(res.fun) and res.fun <= f:
            theta, f = res.x, float(res.fun)
        converged = _stationary(layout, groups, theta)
    return _Fit(layout=layout, theta=theta, fmin=max(f, 0.0), converged=bool(converged), iterations=it)


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, grad)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, grad, rcond=None)[0]


def _stationary(layout: _Layout, groups: _Groups, theta: np.ndarray) -> bool:
    """Converged, less strictly than the scoring loop asks: F is within 1e-10 of a minimum."""
    if not np.isfinite(_discrepancy(layout, groups, theta)):
        return False
    grad, info = _derivatives(layout, groups, theta)
    return bool(np.max(np.abs(grad)) < 1e-6 or 0 <= grad @ _solve(info, grad) < 1e-10)


def _safe_gradient(layout: _Layout, groups: _Groups, theta: np.ndarray) -> np.ndarray:
    if not np.isfinite(_discrepancy(layout, groups, theta)):  # outside the admissible region
        return np.zeros(layout.q)
    return _derivatives(layout, groups, theta)[0]


def _start(layout: _Layout, groups: _Groups, source: _Fit | str) -> np.ndarray:
    """Starting values: a previous level's solution, or estimates from the data.

    From the data, loadings are estimated in each group (``"groups"``), or, when they are
    equal across groups, from the pooled within-group covariances (``"pooled"``) or from the
    first group's (``"first"``, as lavaan starts them).
    """
    spec = layout.spec
    G = len(groups.labels)
    if isinstance(source, _Fit):
        parts = list(zip(*source.layout.matrices(source.theta), strict=True))
    else:
        shared = {
            "groups": None,
            "pooled": lambda: _fabin(spec, np.einsum("g,gij->ij", groups.n / groups.n.sum(), groups.cov)),
            "first": lambda: _fabin(spec, groups.cov[0]),
        }[source]
        loading = None if shared is None else shared()
        parts = [_data_start(spec, groups.cov[g], groups.mean[g], loading) for g in range(G)]
    if "intercepts" in _GROUP_EQUAL[layout.level]:
        # latent means from the markers' mean differences to the reference group, intercepts to match
        markers = np.flatnonzero(spec.marker)
        ref = groups.mean[0][markers]
        new = []
        for g, (lam, phi, th, _nu, _al) in enumerate(parts):
            al = groups.mean[g][markers] - ref if g else np.zeros(len(markers))
            new.append((lam, phi, th, groups.mean[g] - lam @ al, al))
        parts = new
    return layout.pack(parts, groups.n / groups.n.sum())


def _fabin(spec: _Spec, s: np.ndarray) -> np.ndarray:
    """Loadings by Hägglund's (1982) FABIN 3 instrumental variables, as lavaan starts them."""
    loading = np.ones(len(spec.items))
    for j in range(len(spec.factors)):
        idx = np.flatnonzero(spec.member == j)
        mk = idx[spec.marker[idx]][0]
        for i in idx[idx != mk]:
            z = idx[(idx != mk) & (idx != i)]
            if not len(z):
                continue
            w = np.linalg.solve(s[np.ix_(z, z)], s[z, mk])
            den = s[mk, z] @ w
            if abs(den) > 1e-8 * s[mk, mk]:
                loading[i] = (s[i, z] @ w) / den
    return loading


def _data_start(
    spec: _Spec, s: np.ndarray, mean: np.ndarray, loading: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Lambda, Phi, theta, nu, alpha of one group from its moments (and given loadings)."""
    p, m = len(spec.items), len(spec.factors)
    loading = _fabin(spec, s) if loading is None else loading
    diag = np.diag(s)
    phi = np.zeros((m, m))
    for j in range(m):
        idx = np.flatnonzero(spec.member == j)
        mk = idx[spec.marker[idx]][0]
        pairs = [(a, b) for a in idx for b in idx if a < b]
        est = np.mean([s[a, b] / (loading[a] * loading[b]) for a, b in pairs])
        phi[j, j] = est if np.isfinite(est) and est > 0.05 * diag[mk] else 0.5 * diag[mk]
    th = np.maximum(diag - loading**2 * np.diag(phi)[spec.member], 0.1 * diag)
    for j, k in zip(*np.tril_indices(m, -1), strict=True):
        a, b = np.flatnonzero(spec.member == j), np.flatnonzero(spec.member == k)
        ratio = s[np.ix_(a, b)] / np.outer(loading[a], loading[b])
        r = np.clip(ratio.mean() / np.sqrt(phi[j, j] * phi[k, k]), -0.9, 0.9)
        phi[j, k] = phi[k, j] = r * np.sqrt(phi[j, j] * phi[k, k])
    lam = np.zeros((p, m))
    lam[np.arange(p), spec.member] = loading
    return lam, phi, th, mean.copy(), np.zeros(m)


# --------------------------------------------------------------------------- fit measures


def _measures(fit: _Fit, groups: _Groups) -> dict:
    layout = fit.layout
    spec = layout.spec
    G, p = len(groups.labels), len(spec.items)
    N = int(groups.n.sum())
    q = layout.q
    df = G * _n_moments(p) - q
    notes = []
    if df == 0:
        notes.append(
            f"{layout.level} model just identified (df 0): it reproduces the data exactly, so its fit "
            f"cannot be tested (chisq 0, CFI and TLI 1, RMSEA 0 by lavaan's convention)"
        )
    if not fit.converged:
        notes.append(f"{layout.level} model did not converge: its fit measures are left out")
        return {"level": layout.level, "df": df, "n": N, "notes": notes, "converged": False}
    chisq = N * fit.fmin
    base_chisq = float(
        np.sum(groups.n * (np.log(np.diagonal(groups.cov, axis1=1, axis2=2)).sum(1) - groups.logdet))
    )
    base_df = G * p * (p - 1) // 2
    sigma, mu = layout.implied(fit.theta)
    inv = np.linalg.inv(sigma)
    d = groups.mean - mu
    quad = np.einsum("gij,gji->g", groups.cov, inv) + np.einsum("gi,gij,gj->g", d, inv, d)
    logl = -0.5 * float(groups.n @ (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + quad))
    sd = np.sqrt(np.diagonal(groups.cov, axis1=1, axis2=2))
    tri = np.tril_indices(p)
    res_cov = ((groups.cov - sigma) / (sd[:, :, None] * sd[:, None, :]))[:, tri[0], tri[1]]
    res_mean = d / sd
    srmr_g = np.sqrt(((res_cov**2).sum(1) + (res_mean**2).sum(1)) / (len(tri[0]) + p))
    notes += _improper(layout, fit.theta, groups.labels)
    return {
        "level": layout.level,
        "chisq": chisq,
        "df": df,
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan,
        "cfi": _cfi(chisq, df, base_chisq, base_df),
        "tli": _tli(chisq, df, base_chisq, base_df),
        "rmsea": float(np.sqrt(max(chisq / N / df - 1 / N, 0.0)) * np.sqrt(G)) if df > 0 else 0.0,
        "srmr": float(np.sum(groups.n / N * srmr_g)),
        "aic": -2 * logl + 2 * q,
        "bic": -2 * logl + q * np.log(N),
        "n": N,
        "notes": notes,
        "converged": True,
    }


def _cfi(x2: float, df: int, x2_b: float, df_b: int) -> float:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2_b - df_b, 0.0)
    if abs(t1) < _ALL_EQUAL_TOL and abs(t2) < _ALL_EQUAL_TOL:
        return 1.0
    return 1.0 - t1 / t2


def _tli(x2: float, df: int, x2_b: float, df_b: int) -> float:
    t1 = (x2 - df) * df_b
    t2 = (x2_b - df_b) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0


def _improper(layout: _Layout, theta: np.ndarray, labels: tuple[str, ...]) -> list[str]:
    """Heywood cases: a residual variance below 0, or factor covariances that are not positive definite."""
    _, phi, th, _, _ = layout.matrices(theta)
    out = []
    for i, item in enumerate(layout.spec.items):
        bad = np.flatnonzero(th[:, i] < 0)
        if len(bad):
            where = ", ".join(f"{labels[g]} ({th[g, i]:.3f})" for g in bad)
            out.append(
                f"improper solution: negative residual variance of {item!r} in "
                f"{'group' if len(bad) == 1 else 'groups'} {where} "
                f"(lavaan warns of it too; the fit measures stand, but the model misdescribes the item)"
            )
    bad = [labels[g] for g in range(len(labels)) if np.linalg.eigvalsh(phi[g]).min() < 0]
    if bad:
        out.append(
            f"improper solution: the factors' covariance matrix is not positive definite in "
            f"{'group' if len(bad) == 1 else 'groups'} {', '.join(bad)} (a correlation beyond ±1 "
            f"or a negative variance)"
        )
    return out


def _table(rows: list[dict], groups: _Groups) -> pd.DataFrame:
    if groups.n_incomplete:
        missing = f"listwise: {groups.n_incomplete} of {_rows(groups.n_rows)} with a missing answer left out"
    else:
        missing = f"listwise: no missing answers in {_rows(groups.n_rows)}"
    if groups.n_no_group:
        missing += f"; {_rows(groups.n_no_group)} without a group left out"
    sizes = ", ".join(f"{lab} {n}" for lab, n in zip(groups.labels, groups.n, strict=True))
    head = f"{missing}; groups (complete rows): {sizes}"
    out = pd.DataFrame(rows).reindex(columns=[*INVARIANCE_COLUMNS[:11], "notes"])
    out["note"] = ["; ".join([head, *r["notes"]]) for r in rows]
    out["delta_chisq"] = out["chisq"].diff()
    out["delta_df"] = out["df"].diff()
    ok = out["delta_df"] > 0
    out["p_delta"] = np.where(
        ok, stats.chi2.sf(out["delta_chisq"].clip(lower=0).fillna(0), out["delta_df"].where(ok, 1)), np.nan
    )
    out = out[list(INVARIANCE_COLUMNS)]
    floats = [c for c in INVARIANCE_COLUMNS if c not in ("level", "df", "n", "note")]
    out[floats] = out[floats].astype("float64")
    return out.astype({"level": "str", "df": "int64", "n": "int64", "note": "str"})


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"
