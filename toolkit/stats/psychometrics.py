r"""Reliability and item analysis of a block of item columns, as R's ``psych`` 2.2.9 computes them.

:func:`reliability` gives coefficient alpha (raw and standardised, with Feldt's confidence
interval), the average inter-item correlation and omega total from a one-factor model;
:func:`item_statistics` gives, per item, the corrected item-total correlation and alpha if
the item were dropped; :func:`loadings` gives the one-factor minres loadings, so a survey
author sees a weak item; :func:`construct_correlations` correlates construct scores.

The item block is a DataFrame of numeric item columns, one row per respondent, missing
answers as NA, reverse-keyed items already reversed (:func:`toolkit.stats.scoring.item_block`
builds it from a response table and a survey). Missing data are handled as
``psych::alpha`` does by default (``use="pairwise"``): every covariance uses the rows where
both items are answered, so nothing is dropped listwise.

Everything is computed from a handful of matrix products over the rows (in chunks), so a
block of 40 items over a million respondents takes well under a second of arithmetic;
``bench/bench_psychometrics.py`` measures it.

References
----------
Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
Research. R package version 2.2.9 (``alpha``, ``omega``, ``fa``, ``smc``).

Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
alpha. *Applied Psychological Measurement, 11*, 93-103.

Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE). *Journal of Applied
Psychology, 89*, 792-808.

McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum (omega total).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import InputError
from toolkit.stats._factor import _alpha_parts, _minres, _omega_total, _smc, _smooth

__all__ = [
    "ITEM_STATISTICS_COLUMNS",
    "LOADINGS_COLUMNS",
    "RELIABILITY_COLUMNS",
    "construct_correlations",
    "item_statistics",
    "loadings",
    "reliability",
]

#: The columns of :func:`reliability`, in order.
RELIABILITY_COLUMNS = (
    "raw_alpha",
    "std_alpha",
    "average_r",
    "alpha_ci_low",
    "alpha_ci_high",
    "omega_total",
    "n",
    "k",
    "k_input",
    "n_complete",
    "median_r",
    "s_n",
    "g6_smc",
    "ase",
    "mean",
    "sd",
)
#: The columns of :func:`item_statistics`, in order.
ITEM_STATISTICS_COLUMNS = (
    "item",
    "n",
    "mean",
    "sd",
    "r_drop",
    "alpha_if_dropped",
    "raw_r",
    "std_r",
    "r_cor",
    "std_alpha_if_dropped",
    "average_r_if_dropped",
    "dropped",
)
#: The columns of :func:`loadings`, in order.
LOADINGS_COLUMNS = ("item", "loading", "communality", "uniqueness", "dropped")

_CHUNK = 65_536


# --------------------------------------------------------------------------- public API


def reliability(items: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    r"""Coefficient alpha, its Feldt interval and omega total of a block of items (``psych::alpha``).

    Parameters
    ----------
    items : DataFrame
        One numeric column per item (at least 2), one row per respondent; missing answers
        as NA. Reverse-keyed items must already be reversed: nothing is flipped here.
    ci : float, default 0.95
        Level of the Feldt confidence interval.

    Returns
    -------
    DataFrame
        One row with :data:`RELIABILITY_COLUMNS`: ``raw_alpha``, ``std_alpha``,
        ``average_r``, ``alpha_ci_low`` and ``alpha_ci_high`` (Feldt), ``omega_total``
        (NA when a pairwise correlation is undefined: an item constant among the
        respondents who answer another; ``psych::omega`` stops there), ``n`` (every row, as
        psych counts it), ``k`` (items used), ``k_input`` (columns
        given), ``n_complete`` (rows that answer every item), ``median_r``, ``s_n``
        (signal-to-noise), ``g6_smc`` (Guttman's lambda 6), ``ase`` (Duhachek's standard
        error), and ``mean`` and ``sd`` of the respondents' scores (row means of the items
        used, over rows with at least one answer).

    Raises
    ------
    TypeError
        When ``items`` is not a DataFrame or a column is not numeric.
    ValueError
        When fewer than 2 items vary, when two items share fewer than 2 respondents, when
        ``ci`` is not between 0 and 1, or a value is infinite.

    Warns
    -----
    UserWarning
        For every item without variance (a constant item, or one with fewer than 2
        answers): it is dropped, as ``psych::alpha`` drops it, and ``k`` counts the rest.

    Notes
    -----
    With :math:`C` the pairwise covariance matrix of the :math:`k` items (each entry over
    the rows answering both items, with their own means, denominator :math:`n_{ij}-1`) and
    :math:`R = D^{-1/2} C D^{-1/2}`, :math:`D = \operatorname{diag} C` (``cov2cor``; with
    missing answers this is *not* the pairwise correlation matrix),

    .. math::

        \alpha = \frac{k}{k-1}\Bigl(1 - \frac{\operatorname{tr} C}{1'C1}\Bigr),\quad
        \alpha_{std} = \frac{k}{k-1}\Bigl(1 - \frac{k}{1'R1}\Bigr),\quad
        \bar r = \frac{1'R1 - k}{k(k-1)},\quad S/N = \frac{k \bar r}{1 - \bar r}.

    Feldt's interval uses :math:`n` = number of rows (psych's ``nsub``, rows without any
    answer included): :math:`1 - (1-\alpha) F_{1-p/2}(n-1, (n-1)(k-1))` and
    :math:`1 - (1-\alpha) F_{p/2}(\cdot)`. Guttman's :math:`\lambda_6 = 1 - (k - \sum
    \mathrm{smc})/1'R1` with :math:`\mathrm{smc}_i = 1 - 1/(R^{-1})_{ii}`. Duhachek's
    :math:`\mathrm{ase} = \sqrt{Q/n}`,

    .. math:: Q = \frac{2k^2}{(k-1)^2 (1'C1)^3}\bigl[1'C1\,(\operatorname{tr}C^2 +
              (\operatorname{tr}C)^2) - 2 \operatorname{tr}C \cdot 1'C^21\bigr].

    Omega total follows ``psych::omega(x, nfactors=1)``: with :math:`P` the pairwise
    correlation matrix (``cor(x, use="pairwise")``) and :math:`\lambda` its one-factor
    minres loadings (see :func:`loadings`; items with a negative loading are reflected,
    :math:`P \to DPD`),

    .. math:: \omega_t = \frac{1'P1 - \sum_i (1 - \lambda_i^2)}{1'P1}.

    Rules of thumb (alpha of 0.70 for research use, 0.80 or more to compare groups) are
    conventions, not tests; nothing here applies them.

    Checked against R 4.2.2, psych 2.2.9 (``psych::alpha(x)$total``, ``$feldt``,
    ``psych::omega(x, nfactors=1)$omega.tot``) on the data sets of
    ``tests/reference/psychometrics``: within 1e-6, omega within 1e-3. One deliberate
    difference: when an item is dropped, psych still adds the first row's answer to it
    into every total score (so its ``mean`` and ``sd`` shift); here ``mean`` and ``sd``
    are those of the items used.

    Examples
    --------
    >>> x = pd.DataFrame(
    ...     {"a": [1, 2, 3, 4, 5, 3, 4, 2], "b": [2, 2, 3, 5, 4, 3, 3, 1], "c": [1, 3, 4, 4, 5, None, 2, 2]}
    ... )
    >>> reliability(x)[["raw_alpha", "std_alpha", "alpha_ci_low", "omega_total", "k", "n"]].round(3)
       raw_alpha  std_alpha  alpha_ci_low  omega_total  k  n
    0      0.915      0.916         0.713        0.899  3  8
    """
    _check_level(ci, "ci")
    a = _analyse(items, omega=True)
    k, n = a.k, a.n_rows
    tot = _alpha_parts(a.cov, a.corr)
    q = (1 + ci) / 2
    f_hi, f_lo = stats.f.ppf([q, 1 - q], n - 1, (n - 1) * (k - 1))
    row = {
        "raw_alpha": tot["raw"],
        "std_alpha": tot["std"],
        "average_r": tot["average_r"],
        "alpha_ci_low": 1 - (1 - tot["raw"]) * f_hi,
        "alpha_ci_high": 1 - (1 - tot["raw"]) * f_lo,
        "omega_total": a.omega_total,
        "n": n,
        "k": k,
        "k_input": len(a.names),
        "n_complete": a.n_complete,
        "median_r": float(np.median(a.corr[np.tril_indices(k, -1)])),
        "s_n": tot["s_n"],
        "g6_smc": tot["g6"],
        "ase": float(np.sqrt(tot["q"] / n)) if tot["q"] >= 0 else np.nan,
        "mean": a.total_mean,
        "sd": a.total_sd,
    }
    out = pd.DataFrame([row], columns=list(RELIABILITY_COLUMNS))
    return out.astype({"n": "int64", "k": "int64", "k_input": "int64", "n_complete": "int64"})


def item_statistics(items: pd.DataFrame) -> pd.DataFrame:
    r"""Per item: corrected item-total correlation, alpha if dropped, mean, sd (``psych::alpha``).

    Parameters
    ----------
    items : DataFrame
        As for :func:`reliability`.

    Returns
    -------
    DataFrame
        One row per column of ``items``, in order, with :data:`ITEM_STATISTICS_COLUMNS`:
        ``item``, ``n`` (answers), ``mean``, ``sd``, ``r_drop`` (corrected item-total
        correlation), ``alpha_if_dropped``, ``raw_r`` (correlation with the total
        including the item), ``std_r``, ``r_cor`` (corrected for overlap and reliability),
        ``std_alpha_if_dropped``, ``average_r_if_dropped`` and ``dropped`` (True for an
        item without variance, whose other statistics are then NA).

    Raises
    ------
    TypeError, ValueError
        As :func:`reliability`.

    Warns
    -----
    UserWarning
        For every item without variance, as :func:`reliability`.

    Notes
    -----
    With :math:`C`, :math:`R` as in :func:`reliability` and :math:`c_i = 1'C_{\cdot i}`,

    .. math::

        r_{drop,i} = \frac{c_i - C_{ii}}{\sqrt{C_{ii}\,(1'C1 - 2c_i + C_{ii})}},\qquad
        r_{std,i} = \frac{1'R_{\cdot i}}{\sqrt{1'R1}},\qquad
        r_{cor,i} = \frac{1'\tilde R_{\cdot i}}{\sqrt{1'\tilde R1}}

    where :math:`\tilde R` is :math:`R` with the squared multiple correlations on its
    diagonal. ``r_drop`` comes from the pairwise covariance matrix, not from correlating
    the raw item with a rest score (the two differ with missing answers). Alpha if dropped
    is alpha of :math:`C_{-i,-i}` (standardised and average r from :math:`R_{-i,-i}`). For
    :math:`k = 2`, as psych 2.2.9 does, alpha if item 1 is dropped is
    :math:`C_{12}/C_{22}` (item 2: :math:`C_{12}/C_{11}`) and the standardised alpha and
    average r are :math:`R_{12}`. ``raw_r`` is the pairwise correlation of the item with
    the row mean of the items used. A corrected item-total correlation below about 0.30
    is often read as a weak item; nothing here applies that cut-off.

    Checked against R 4.2.2, psych 2.2.9 (``psych::alpha(x)$item.stats`` and
    ``$alpha.drop``) within 1e-6.

    Examples
    --------
    >>> x = pd.DataFrame(
    ...     {"a": [1, 2, 3, 4, 5, 3, 4, 2], "b": [2, 2, 3, 5, 4, 3, 3, 1], "c": [1, 3, 4, 4, 5, None, 2, 2]}
    ... )
    >>> item_statistics(x)[["item", "n", "r_drop", "alpha_if_dropped"]].round(3)
      item  n  r_drop  alpha_if_dropped
    0    a  8   0.853             0.857
    1    b  8   0.811             0.894
    2    c  7   0.829             0.881
    """
    a = _analyse(items, omega=False)
    C, R, k = a.cov, a.corr, a.k
    cs, rs = C.sum(0), R.sum(0)
    s_c, s_r, d = C.sum(), R.sum(), np.diag(C)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_drop = (cs - d) / np.sqrt(d * (s_c - 2 * cs + d))
        rc = R.copy()
        np.fill_diagonal(rc, _smc(R))
        r_cor = rc.sum(0) / np.sqrt(rc.sum())
        if k > 2:
            m = k - 1
            sr_drop = s_r - 2 * rs + 1
            raw_drop = m / (m - 1) * (1 - (np.trace(C) - d) / (s_c - 2 * cs + d))
            std_drop = m / (m - 1) * (1 - m / sr_drop)
            avg_drop = (sr_drop - m) / (m * (m - 1))
        else:
            raw_drop = np.array([C[0, 1] / C[1, 1], C[0, 1] / C[0, 0]])
            std_drop = avg_drop = np.full(2, R[0, 1])
    kept = {
        "r_drop": r_drop,
        "alpha_if_dropped": raw_drop,
        "raw_r": a.raw_r,
        "std_r": rs / np.sqrt(s_r),
        "r_cor": r_cor,
        "std_alpha_if_dropped": std_drop,
        "average_r_if_dropped": avg_drop,
    }
    out = pd.DataFrame(
        {
            "item": pd.array(a.names, dtype="str"),
            "n": a.counts,
            "mean": a.means,
            "sd": np.sqrt(a.variances),
        }
    )
    for col, values in kept.items():
        full = np.full(len(a.names), np.nan)
        full[a.kept] = values
        out[col] = full
    out["dropped"] = ~a.kept_mask
    return out[list(ITEM_STATISTICS_COLUMNS)]


def loadings(items: pd.DataFrame) -> pd.DataFrame:
    r"""One-factor minres loadings of a block of items (``psych::fa(x, nfactors=1)``).

    An exploratory check that the items measure one thing: a weak item has a low loading
    (communality) and a high uniqueness.

    Parameters
    ----------
    items : DataFrame
        As for :func:`reliability`.

    Returns
    -------
    DataFrame
        One row per column of ``items`` with :data:`LOADINGS_COLUMNS`: ``item``,
        ``loading`` (:math:`\lambda_i`), ``communality`` (:math:`\lambda_i^2`),
        ``uniqueness`` (:math:`1-\lambda_i^2`) and ``dropped`` (an item without variance,
        whose loading is NA).

    Raises
    ------
    TypeError, ValueError
        As :func:`reliability`; also a ValueError when a pairwise correlation is
        undefined (an item constant among the respondents who answer another).

    Warns
    -----
    UserWarning
        For every item without variance, as :func:`reliability` (``psych::fa`` stops
        with an error on such an item instead).

    Notes
    -----
    :math:`P` is the pairwise correlation matrix (``cor(x, use="pairwise")``), smoothed as
    ``psych::cor.smooth`` does when it is not positive definite. Minres chooses the
    uniquenesses :math:`\psi` that minimise the off-diagonal residuals,

    .. math:: f(\psi) = \sum_{i \ne j} \bigl(P - \lambda\lambda'\bigr)_{ij}^2,\qquad
              \lambda = \sqrt{e_1}\, v_1 \text{ of } P - \operatorname{diag}\psi,

    started at :math:`\psi_0 = 1 - \mathrm{smc}` and bounded to :math:`[0.005,
    \max(1, \mathrm{smc})]`, with psych's gradient :math:`\operatorname{diag}(\lambda\lambda'
    + \operatorname{diag}\psi - P)` and L-BFGS-B as in ``psych::fa`` (``fm="minres"``);
    the sign makes :math:`\sum\lambda > 0`. Loadings below about 0.40 are often read as
    weak; nothing here applies that cut-off.

    Checked against R 4.2.2, psych 2.2.9 (``psych::fa(x, nfactors=1)$loadings``) within
    1e-3 (the optimiser stops at a tolerance, in R and here).

    Examples
    --------
    >>> x = pd.DataFrame(
    ...     {"a": [1, 2, 3, 4, 5, 3, 4, 2], "b": [2, 2, 3, 5, 4, 3, 3, 1], "c": [1, 3, 4, 4, 5, None, 2, 2]}
    ... )
    >>> loadings(x)[["item", "loading", "uniqueness"]].round(3)
      item  loading  uniqueness
    0    a    0.918       0.157
    1    b    0.858       0.264
    2    c    0.817       0.333
    """
    a = _analyse(items, omega=False)
    bad = np.argwhere(~np.isfinite(a.pairwise_corr))
    if len(bad):
        i, j = a.kept[bad[0]]
        raise ValueError(
            f"items: the correlation of {a.names[i]!r} and {a.names[j]!r} is undefined (one of them is "
            "constant among the respondents who answer both); psych::fa stops here too"
        )
    lam = np.full(len(a.names), np.nan)
    lam[a.kept] = _minres(_smooth(a.pairwise_corr))
    return pd.DataFrame(
        {
            "item": pd.array(a.names, dtype="str"),
            "loading": lam,
            "communality": lam**2,
            "uniqueness": 1 - lam**2,
            "dropped": ~a.kept_mask,
        }
    )


def construct_correlations(
    scores: pd.DataFrame,
    *,
    value: str = "score",
    construct: str = "construct",
    index: tuple[str, ...] = ("respondent", "wave"),
) -> pd.DataFrame:
    r"""Pearson correlations between construct scores, from the long scores table.

    Parameters
    ----------
    scores : DataFrame
        Long scores, as :func:`toolkit.score` returns them.
    value, construct : str
        The columns holding the score and the construct id.
    index : tuple of str, default ("respondent", "wave")
        The columns that identify one set of answers (one row of the wide table).

    Returns
    -------
    DataFrame
        Square, constructs in order of first appearance as both index (named
        ``construct``) and columns; each entry is the Pearson correlation over the rows
        where both scores exist (pairwise, as ``cor(x, use="pairwise")``), NA when fewer
        than 2 such rows or a score is constant.

    Raises
    ------
    InputError
        When a column is missing.
    ValueError
        When a construct appears twice for the same ``index``.

    Examples
    --------
    >>> s = pd.DataFrame({"respondent": list("aabbcc"), "wave": "2026Q1",
    ...                   "construct": ["x", "y"] * 3, "score": [1.0, 2.0, 2.0, 2.5, 3.0, 3.5]})
    >>> construct_correlations(s).round(3)
                   x      y
    construct
    x          1.000  0.982
    y          0.982  1.000
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a DataFrame, got {type(scores).__name__}")
    for col in (*index, construct, value):
        if col not in scores.columns:
            raise InputError(f"scores has no column {col!r}", column=col)
    keys = [*index, construct]
    dup = scores.duplicated(keys)
    if dup.any():
        first = scores.loc[dup, keys].iloc[0].to_dict()
        raise ValueError(
            f"scores has more than one {value!r} for {first}; give index columns that identify a row"
        )
    order = pd.unique(scores[construct].astype("str"))
    vals = pd.to_numeric(scores[value]).astype("float64")
    wide = (
        pd.DataFrame(
            {**{c: scores[c] for c in index}, "construct": scores[construct].astype("str"), "v": vals}
        )
        .pivot(index=list(index), columns="construct", values="v")
        .reindex(columns=order)
    )
    out = wide.corr(method="pearson", min_periods=2)
    out.index.name = "construct"
    out.columns.name = None
    return out


# --------------------------------------------------------------------------- the analysis


@dataclass
class _Analysis:
    names: list[str]
    kept_mask: np.ndarray
    n_rows: int
    n_complete: int
    counts: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    cov: np.ndarray  # pairwise covariance of the kept items
    corr: np.ndarray  # cov2cor(cov)
    pairwise_corr: np.ndarray  # cor(x, use="pairwise") of the kept items
    raw_r: np.ndarray
    total_mean: float
    total_sd: float
    omega_total: float = np.nan

    @property
    def kept(self) -> np.ndarray:
        return np.flatnonzero(self.kept_mask)

    @property
    def k(self) -> int:
        return int(self.kept_mask.sum())


def _analyse(items: pd.DataFrame, *, omega: bool) -> _Analysis:
    names, x = _matrix(items)
    n, k_in = x.shape
    obs = ~np.isnan(x)
    counts = obs.sum(0)
    lo, hi = (np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)) if n else (np.full(k_in, np.nan),) * 2
    kept_mask = (counts >= 2) & (hi > lo)
    for i in np.flatnonzero(~kept_mask):
        why = "is constant" if counts[i] >= 2 else f"has {counts[i]} answer" + ("" if counts[i] == 1 else "s")
        warnings.warn(
            f"items: item {names[i]!r} {why}, so it has no variance and was dropped (as psych::alpha does)",
            UserWarning,
            stacklevel=3,
        )
    kept = np.flatnonzero(kept_mask)
    if len(kept) < 2:
        raise ValueError(
            f"items: reliability needs at least 2 items that vary (2 or more different answers); "
            f"got {k_in} column(s), {len(kept)} of them varying"
        )
    n_complete = int(obs.all(1).sum())
    if len(kept) < k_in:
        x, obs = x[:, kept], obs[:, kept]
    mom = _moments(x, obs, (lo[kept] + hi[kept]) / 2)
    nij = mom["nij"]
    few = np.argwhere(np.triu(nij < 2, 1))
    if len(few):
        i, j = kept[few[0]]
        raise ValueError(
            f"items: items {names[i]!r} and {names[j]!r} are answered together by "
            f"{int(nij[few[0][0], few[0][1]])} respondent(s); a covariance needs at least 2"
        )
    cov, vg = mom["cov"], mom["var_given"]
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pcorr = cov / np.sqrt(vg * vg.T)  # not finite when an item is constant where another is answered
    np.fill_diagonal(pcorr, 1.0)
    means = np.where(counts > 0, lo, np.nan)  # a dropped item is constant or has at most one answer
    means[kept] = mom["means"]
    variances = np.where(counts >= 2, 0.0, np.nan)
    variances[kept] = np.diag(cov)
    out = _Analysis(
        names=names,
        kept_mask=kept_mask,
        n_rows=n,
        n_complete=n_complete,
        counts=counts.astype("int64"),
        means=means,
        variances=variances,
        cov=cov,
        corr=corr,
        pairwise_corr=pcorr,
        raw_r=mom["raw_r"],
        total_mean=mom["total_mean"],
        total_sd=mom["total_sd"],
    )
    if omega and np.isfinite(pcorr).all():
        out.omega_total = _omega_total(_smooth(pcorr))
    return out


def _matrix(items: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The item block as a float matrix (NaN for missing), after checking it."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"items must be a DataFrame of numeric item columns, got {type(items).__name__}")
    names = [str(c) for c in items.columns]
    if len(names) < 2:
        raise ValueError(f"items must have at least 2 item columns; got {len(names)}: {names}")
    if len(set(names)) != len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise ValueError(f"items has duplicate column names: {dup}")
    x = np.empty((len(items), len(names)), dtype=np.float64, order="F")
    for j, (name, col) in enumerate(items.items()):
        if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
            raise TypeError(
                f"items: column {name!r} must be numeric (answer codes, NA for missing); "
                f"got dtype {col.dtype}"
            )
        x[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(x).any():
        bad = names[int(np.flatnonzero(np.isinf(x).any(0))[0])]
        raise ValueError(
            f"items: column {bad!r} holds an infinite value; only finite codes or NA are allowed"
        )
    return names, x


def _moments(x: np.ndarray, obs: np.ndarray, centre: np.ndarray) -> dict:
    """Pairwise sums over the rows, in one pass of chunks: everything the statistics need.

    Values are shifted by ``centre`` (any value inside each item's range) before they are
    summed, which keeps the sums of squares accurate; no statistic depends on the shift.
    """
    n, k = x.shape
    nij = np.zeros((k, k))
    sx = np.zeros((k, k))  # sx[i, j]: sum of (x_i - centre_i) over rows answering i and j
    sxx = np.zeros((k, k))
    sxy = np.zeros((k, k))
    shift = float(centre.mean())  # of the row means
    st = np.zeros(k)  # sums of the shifted row mean over the rows answering item i
    stt = np.zeros(k)
    stx = np.zeros(k)
    t_n = t_sum = t_ss = 0.0
    for a in range(0, n, _CHUNK):
        m = obs[a : a + _CHUNK]
        mf = m.astype(np.float64)
        xc = x[a : a + _CHUNK] - centre
        xc[~m] = 0.0
        nij += mf.T @ mf
        sx += xc.T @ mf
        sxx += (xc * xc).T @ mf
        sxy += xc.T @ xc
        cnt = mf.sum(1)
        has = cnt > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            tc = np.where(has, (xc.sum(1) + mf @ centre) / cnt - shift, 0.0)
        t_n += has.sum()
        t_sum += tc.sum()
        t_ss += tc @ tc
        st += tc @ mf
        stt += (tc * tc) @ mf
        stx += tc @ xc
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sxy - sx * sx.T / nij) / (nij - 1)
        var_given = (sxx - sx**2 / nij) / (nij - 1)
    np.fill_diagonal(cov, np.diag(var_given))
    d, sxi = np.diag(nij), np.diag(sx)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_tx = (stx - st * sxi / d) / (d - 1)
        v_t = (stt - st**2 / d) / (d - 1)
        raw_r = c_tx / np.sqrt(v_t * np.diag(cov))
    return {
        "nij": nij,
        "cov": cov,
        "var_given": var_given,
        "means": centre + sxi / d,
        "raw_r": raw_r,
        "total_mean": shift + t_sum / t_n if t_n else np.nan,
        "total_sd": float(np.sqrt((t_ss - t_sum**2 / t_n) / (t_n - 1))) if t_n > 1 else np.nan,
    }


def _check_level(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number between 0 and 1 (exclusive), like 0.95; got {value!r}")
