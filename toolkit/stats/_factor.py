"""Matrix helpers of :mod:`toolkit.stats.psychometrics` (private), as psych computes them: alpha from a
covariance and a correlation matrix, squared multiple correlations, smoothing of a non-positive-definite
correlation matrix, one-factor minres loadings and omega total.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

_EPS = np.finfo(float).eps


def _alpha_parts(C: np.ndarray, R: np.ndarray) -> dict[str, float]:
    """``alpha.1`` of psych: the alpha statistics of a covariance and its correlation matrix."""
    k = C.shape[0]
    tr, s_c, s_r = np.trace(C), C.sum(), R.sum()
    av = (s_r - k) / (k * (k - 1))
    cc = C @ C
    q = 2 * k**2 / ((k - 1) ** 2 * s_c**3) * (s_c * (np.trace(cc) + tr**2) - 2 * tr * cc.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        sn = k * av / (1 - av)
    return {
        "raw": k / (k - 1) * (1 - tr / s_c),
        "std": k / (k - 1) * (1 - k / s_r),
        "average_r": av,
        "g6": 1 - (k - _smc(R).sum()) / s_r,
        "s_n": float(sn),
        "q": float(q),
    }


def _smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, as ``psych::smc``: 1 - 1/diag(R^-1), 1 when R is singular."""
    try:
        inv = np.linalg.inv(R)
    except np.linalg.LinAlgError:
        return np.ones(R.shape[0])
    with np.errstate(divide="ignore"):
        smc = 1 - 1 / np.diag(inv)
    return np.clip(smc, 0.0, 1.0)


def _smooth(R: np.ndarray) -> np.ndarray:
    """``psych::cor.smooth``: raise non-positive eigenvalues, rescale, back to a correlation matrix."""
    w, v = np.linalg.eigh(R)
    if w.min() > _EPS:
        return R
    w = np.where(w < 1e-12, 100 * 1e-12, w)
    w = w * len(w) / w.sum()
    S = (v * w) @ v.T
    d = np.sqrt(np.diag(S))
    out = S / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return out


def _first_factor(S: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(S)
    return v[:, -1] * np.sqrt(max(w[-1], 100 * _EPS))


def _minres(R: np.ndarray) -> np.ndarray:
    """One-factor minres loadings of a correlation matrix, as ``psych::fa(fm="minres")``."""
    k = R.shape[0]
    smc = _smc(R)
    off = ~np.eye(k, dtype=bool)
    scale = 0.01  # psych's parscale

    def fit(z: np.ndarray) -> float:
        S = R.copy()
        np.fill_diagonal(S, 1 - z * scale)
        lam = _first_factor(S)
        return float(((S - np.outer(lam, lam))[off] ** 2).sum())

    def grad(z: np.ndarray) -> np.ndarray:
        psi = z * scale
        S = R.copy()
        np.fill_diagonal(S, 1 - psi)
        w, v = np.linalg.eigh(S)
        lam = v[:, -1] * np.sqrt(max(w[-1], 0.0))
        return (lam**2 + psi - 1) * scale

    upper = max(1.0, float(smc.max()))
    res = optimize.minimize(
        fit,
        (1 - smc) / scale,
        jac=grad,
        method="L-BFGS-B",
        bounds=[(0.005 / scale, upper / scale)] * k,
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 1000},
    )
    S = R.copy()
    np.fill_diagonal(S, 1 - res.x * scale)
    lam = _first_factor(S)
    return -lam if lam.sum() < 0 else lam


def _omega_total(P: np.ndarray) -> float:
    lam = _minres(P)
    key = np.where(lam < 0, -1.0, 1.0)
    Pf = P * np.outer(key, key)
    total = Pf.sum()
    return float((total - (1 - lam**2).sum()) / total)
