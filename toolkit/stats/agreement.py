r"""Agreement within groups and the reliability of group means, as R's ``multilevel`` 2.7 defines them.

:func:`icc` gives ICC(1) and ICC(2) from the one-way ANOVA of a score on its group
(``multilevel::ICC1`` and ``ICC2`` on ``aov``); :func:`agreement` gives, per group, the
within-group agreement of a block of items: :math:`r_{wg(j)}` against the uniform null
(``multilevel::rwg.j``), :math:`a_{wg}` (``multilevel::awg``) and the average deviation
(``multilevel::ad.m``); :func:`rwg` does the same for a single item (``multilevel::rwg``).

Every group statistic is a handful of ``numpy.bincount`` sums over the rows, so a million
respondents in 20,000 teams take a fraction of a second (``bench/bench_psychometrics.py``).

Cut-offs in use, documented here and never applied: :math:`r_{wg} \ge 0.70` is the usual
threshold for "enough agreement to aggregate" (LeBreton & Senter 2008 grade 0.51-0.70 as
moderate, 0.71-0.90 strong); ICC(1) is typically between 0.05 and 0.20 in organisational
data (Bliese 2000), and ICC(2) of 0.70 or more is read as reliable group means. The
functions return the numbers; the reader decides.

References
----------
Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability. In K. J.
Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods in
organizations* (pp. 349-381). Jossey-Bass.

Bliese, P. (2022). multilevel: Multilevel Functions. R package version 2.7.

James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
reliability with and without response bias. *Journal of Applied Psychology, 69*, 85-98.

Brown, R. D., & Hauenstein, N. M. A. (2005). Interrater agreement reconsidered: An
alternative to the rwg indices. *Organizational Research Methods, 8*, 165-184.

Burke, M. J., Finkelstein, L. M., & Dusig, M. S. (1999). On average deviation indices for
estimating interrater agreement. *Organizational Research Methods, 2*, 49-68.

LeBreton, J. M., & Senter, J. L. (2008). Answers to 20 questions about interrater
reliability and interrater agreement. *Organizational Research Methods, 11*, 815-852.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import InputError

__all__ = ["AGREEMENT_COLUMNS", "ICC_COLUMNS", "agreement", "icc", "rwg"]

#: The columns of :func:`icc`, in order.
ICC_COLUMNS = (
    "icc1",
    "icc2",
    "n",
    "n_groups",
    "mean_group_size",
    "msb",
    "msw",
    "df_between",
    "df_within",
    "f",
    "p_val",
)
#: The columns of :func:`agreement` after the group column, in order.
AGREEMENT_COLUMNS = ("n", "rwg_j", "awg", "ad")
_AD_CENTRES = ("mean", "median")


# --------------------------------------------------------------------------- public API


def icc(data: pd.DataFrame, *, value: str, group: str) -> pd.DataFrame:
    r"""ICC(1) and ICC(2) of a score from the one-way ANOVA on its group (``multilevel::ICC1``, ``ICC2``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    value : str
        The numeric column (usually a construct score); rows where it is missing are left
        out, as ``aov`` leaves them out.
    group : str
        The group column (usually ``team``); rows without a group are left out.

    Returns
    -------
    DataFrame
        One row with :data:`ICC_COLUMNS`: ``icc1``, ``icc2``, ``n`` (:math:`N` values),
        ``n_groups`` (:math:`G`, groups with at least one value; groups of one count),
        ``mean_group_size`` (:math:`N/G`), ``msb``, ``msw``, ``df_between``,
        ``df_within``, ``f`` (:math:`MSB/MSW`) and ``p_val`` (of the ANOVA F test).

    Raises
    ------
    InputError
        When a column is missing.
    TypeError
        When ``value`` is not numeric.
    ValueError
        With fewer than 2 groups, no group of 2 or more, or a constant ``value``.

    Notes
    -----
    With group means :math:`\bar y_j`, grand mean :math:`\bar y`,

    .. math::

        MSB = \frac{\sum_j n_j (\bar y_j - \bar y)^2}{G - 1},\quad
        MSW = \frac{\sum_j \sum_i (y_{ij} - \bar y_j)^2}{N - G},\\
        ICC(1) = \frac{MSB - MSW}{MSB + (N/G - 1)\,MSW},\quad ICC(2) = \frac{MSB - MSW}{MSB}.

    As in ``multilevel`` 2.7, ICC(1) uses the plain mean group size :math:`N/G`, not the
    ANOVA :math:`n_0 = (N - \sum n_j^2/N)/(G-1)` for unequal groups (with very unequal
    groups the two differ a little); neither coefficient is truncated at 0. When every
    group agrees perfectly (:math:`MSW = 0`), both are 1. Typical ICC(1) values in
    organisations are 0.05 to 0.20, and ICC(2) of 0.70 or more is read as reliable group
    means; these cut-offs are not applied here.

    Checked against R 4.2.2, multilevel 2.7 (``ICC1(aov(score ~ as.factor(group)))``,
    ``ICC2``) within 1e-6.

    Examples
    --------
    >>> d = pd.DataFrame({"team": list("aaabbbccc"), "score": [1, 2, 3, 3, 4, 5, 2, 3, 3.0]})
    >>> icc(d, value="score", group="team")[["icc1", "icc2", "n", "n_groups"]].round(4)
       icc1  icc2  n  n_groups
    0   0.5  0.75  9         3
    """
    _check_frame(data, "data")
    _need(data, [value, group])
    y = _numeric(data[value], value)
    codes, _ = pd.factorize(data[group], sort=True)
    keep = ~np.isnan(y) & (codes >= 0)
    y, codes = y[keep], codes[keep]
    present, codes = np.unique(codes, return_inverse=True)
    g, n = len(present), len(y)
    if g < 2:
        raise ValueError(f"icc needs values in at least 2 groups of {group!r}; got {g}")
    if n - g < 1:
        raise ValueError(
            f"icc needs at least one group of {group!r} with 2 or more values; every group has 1"
        )
    size = np.bincount(codes, minlength=g).astype(np.float64)
    centre = y.mean()
    yc = y - centre
    gmean = np.bincount(codes, yc, minlength=g) / size
    ssw = float(np.bincount(codes, (yc - gmean[codes]) ** 2, minlength=g).sum())
    ssb = float((size * (gmean - yc.mean()) ** 2).sum())
    if ssw + ssb == 0:
        raise ValueError(f"icc: {value!r} is constant ({y[0]!r} in every row), so ICC is undefined")
    msb, msw = ssb / (g - 1), ssw / (n - g)
    k = n / g
    f = msb / msw if msw > 0 else np.inf
    row = {
        "icc1": (msb - msw) / (msb + (k - 1) * msw),
        "icc2": (msb - msw) / msb if msb > 0 else -np.inf,
        "n": n,
        "n_groups": g,
        "mean_group_size": k,
        "msb": msb,
        "msw": msw,
        "df_between": g - 1,
        "df_within": n - g,
        "f": f,
        "p_val": float(stats.f.sf(f, g - 1, n - g)),
    }
    return pd.DataFrame([row], columns=list(ICC_COLUMNS))


def agreement(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    group: str,
    scale_points: int,
    scale_min: int = 1,
    ad_centre: str = "mean",
) -> pd.DataFrame:
    r"""Within-group agreement on a block of items: :math:`r_{wg(j)}`, :math:`a_{wg}`, AD (``multilevel``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : sequence of str
        The item columns (numeric codes on one scale, reverse-keyed items reversed,
        not-applicable codes as NA). Rows missing any of them are left out (listwise), as
        ``multilevel`` does.
    group : str
        The group column; rows without a group are left out.
    scale_points : int
        Number of response options :math:`A` (5 for a 5-point scale).
    scale_min : int, default 1
        The lowest code; the codes run from ``scale_min`` to ``scale_min + scale_points - 1``.
    ad_centre : {"mean", "median"}, default "mean"
        The centre of the average deviation (``ad.m(type=...)``).

    Returns
    -------
    DataFrame
        One row per group that has a complete row, groups sorted, with the group column
        (named ``group``'s value, e.g. ``team``) then :data:`AGREEMENT_COLUMNS`: ``n``
        (complete rows), ``rwg_j``, ``awg`` and ``ad``. For a group of 1 every statistic is
        NA; ``awg`` is NA when no item's a_wg is defined (see Notes).

    Raises
    ------
    InputError
        When a column is missing.
    TypeError
        When an item is not numeric.
    ValueError
        When ``items`` is empty or repeats a column, ``scale_points`` is not an integer of
        at least 2, ``ad_centre`` is unknown, or an answer lies outside the scale.

    Notes
    -----
    Per group of :math:`n \ge 2` complete rows, with :math:`s_j^2` the variance of item
    :math:`j` (denominator :math:`n-1`), :math:`J` items and the uniform null variance
    :math:`\sigma^2_{EU} = (A^2 - 1)/12`:

    .. math::

        \bar s^2 = \min\Bigl(\tfrac1J \sum_j s_j^2,\ \sigma^2_{EU}\Bigr),\qquad
        r_{wg(j)} = \frac{J(1 - \bar s^2/\sigma^2_{EU})}
                         {J(1 - \bar s^2/\sigma^2_{EU}) + \bar s^2/\sigma^2_{EU}}.

    Capping :math:`\bar s^2` at the null variance is ``multilevel``'s truncation: a group
    that disagrees more than random answering gets exactly 0, and :math:`r_{wg(j)}` lies in
    [0, 1] (1 when everyone gives the same answers). With :math:`L`, :math:`H` the ends of
    the scale and :math:`M_j` the item mean, per item

    .. math:: a_{wg,j} = 1 - \frac{2 s_j^2}{[(H+L)M_j - M_j^2 - HL]\,n/(n-1)},

    NA when :math:`M_j < (L(n-1)+H)/n` or :math:`M_j > (H(n-1)+L)/n` (the largest
    variance possible at that mean is then too small for the index), but 1 when
    :math:`M_j` is :math:`L` or :math:`H`; ``awg`` is the mean of the defined
    :math:`a_{wg,j}`, in [-1, 1], not truncated. With two raters both bounds are the
    midpoint, so a pair is NA unless its mean is the midpoint or an end of the scale. The
    average deviation is :math:`AD_j = \sum_i |x_{ij} - c_j| / n` (:math:`c` the mean or
    median; denominator :math:`n`), averaged over items.

    :math:`r_{wg(j)} \ge 0.70` is the usual threshold to justify aggregation, and
    :math:`AD \le (A/6)` (0.83 on a 5-point scale) the usual one for AD; neither is applied.

    Checked against R 4.2.2, multilevel 2.7 (``rwg.j(x, g, ranvar=2)``, ``awg(x, g,
    range=c(1, 5))``, ``ad.m(x, g, type=...)``) within 1e-6, groups of 1 and 2 and groups
    with missing answers included. R returns NaN instead of NA for ``awg`` when every
    item's a_wg is NA; both are NA here. A group whose rows all miss an item has no row,
    as in R.

    Examples
    --------
    >>> d = pd.DataFrame({"team": list("aaabbb"), "q1": [4, 4, 3, 1, 5, 3], "q2": [4, 5, 4, 2, 4, 3]})
    >>> agreement(d, items=["q1", "q2"], group="team", scale_points=5).round(3)
      team  n  rwg_j    awg     ad
    0    a  3  0.909  0.875  0.444
    1    b  3  0.000  0.167  1.000
    """
    items = _check_items(items)
    return _agreement(data, items, group, scale_points, scale_min, ad_centre, "rwg_j")


def rwg(
    data: pd.DataFrame,
    *,
    item: str,
    group: str,
    scale_points: int,
    scale_min: int = 1,
    ad_centre: str = "mean",
) -> pd.DataFrame:
    r"""Within-group agreement on one item: :math:`r_{wg}`, :math:`a_{wg}`, AD (``multilevel::rwg``).

    Parameters
    ----------
    data : DataFrame
    item : str
        The item column; rows missing it are left out.
    group, scale_points, scale_min, ad_centre
        As for :func:`agreement`.

    Returns
    -------
    DataFrame
        One row per group: the group column, ``n``, ``rwg``, ``awg``, ``ad``.

    Raises
    ------
    InputError, TypeError, ValueError
        As :func:`agreement`.

    Notes
    -----
    :math:`r_{wg} = 1 - \min(s^2, \sigma^2_{EU})/\sigma^2_{EU}`, the one-item case of
    :math:`r_{wg(j)}`; :math:`a_{wg}` and AD as in :func:`agreement`. Checked against R
    4.2.2, multilevel 2.7 (``rwg(x, g, ranvar=2)``, ``awg``, ``ad.m``) within 1e-6.

    Examples
    --------
    >>> d = pd.DataFrame({"team": list("aaabb"), "q1": [4, 4, 3, 1, None]})
    >>> rwg(d, item="q1", group="team", scale_points=5).round(3)
      team  n    rwg    awg     ad
    0    a  3  0.833  0.875  0.444
    1    b  1    NaN    NaN    NaN
    """
    if not isinstance(item, str):
        raise TypeError(
            f"item must be one column name (a str), got {type(item).__name__}; for several use agreement"
        )
    return _agreement(data, [item], group, scale_points, scale_min, ad_centre, "rwg")


# --------------------------------------------------------------------------- helpers


def _agreement(data, items, group, scale_points, scale_min, ad_centre, name) -> pd.DataFrame:
    _check_frame(data, "data")
    _need(data, [*items, group])
    if isinstance(scale_points, bool) or not isinstance(scale_points, Integral) or scale_points < 2:
        raise ValueError(
            f"scale_points must be an integer of at least 2 (5 for a 5-point scale); got {scale_points!r}"
        )
    if isinstance(scale_min, bool) or not isinstance(scale_min, Integral):
        raise ValueError(f"scale_min must be an integer (the lowest code, usually 1); got {scale_min!r}")
    if ad_centre not in _AD_CENTRES:
        raise ValueError(f"ad_centre must be one of {', '.join(_AD_CENTRES)}; got {ad_centre!r}")
    lo, hi = float(scale_min), float(scale_min + scale_points - 1)
    x = np.empty((len(data), len(items)), dtype=np.float64, order="F")
    for j, col in enumerate(items):
        v = _numeric(data[col], col)
        bad = ~np.isnan(v) & ((v < lo) | (v > hi))
        if bad.any():
            raise ValueError(
                f"column {col!r} has answers outside the scale {lo:g}..{hi:g} (scale_min={scale_min}, "
                f"scale_points={scale_points}): {sorted(set(v[bad].tolist()))[:5]}; make "
                "not-applicable codes missing first (toolkit.item_block does)"
            )
        x[:, j] = v
    codes, uniques = pd.factorize(data[group], sort=True)
    keep = (codes >= 0) & ~np.isnan(x).any(1)
    x, codes = x[keep], codes[keep]
    present, codes = np.unique(codes, return_inverse=True)
    g = len(present)
    n = np.bincount(codes, minlength=g).astype(np.float64)
    null_var = (scale_points**2 - 1) / 12
    J = x.shape[1]
    var_sum = np.zeros(g)
    awg_sum = np.zeros(g)
    awg_cnt = np.zeros(g)
    ad_sum = np.zeros(g)
    med = _group_medians(x, codes, g) if ad_centre == "median" else None
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(J):
            col = x[:, j]
            mean = np.bincount(codes, col, minlength=g) / n
            dev = col - mean[codes]
            var = np.bincount(codes, dev * dev, minlength=g) / (n - 1)
            var_sum += var
            centre = mean if med is None else med[:, j]
            ad_sum += np.bincount(codes, np.abs(col - centre[codes]), minlength=g) / n
            a = _awg_item(mean, var, n, lo, hi)
            ok = ~np.isnan(a)
            awg_sum[ok] += a[ok]
            awg_cnt += ok
        s = np.minimum(var_sum / J, null_var) / null_var
        rwg_j = J * (1 - s) / (J * (1 - s) + s)
        awg = np.where(awg_cnt > 0, awg_sum / awg_cnt, np.nan)
        ad = ad_sum / J
    single = n < 2
    for arr in (rwg_j, awg, ad):
        arr[single] = np.nan
    out = pd.DataFrame({group: uniques.take(present)})
    out["n"] = n.astype("int64")
    out[name] = rwg_j
    out["awg"] = awg
    out["ad"] = ad
    return out


def _awg_item(mean: np.ndarray, var: np.ndarray, n: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``multilevel::awg`` for one item, per group (n >= 2)."""
    max_var = ((hi + lo) * mean - mean**2 - hi * lo) * n / (n - 1)
    a = 1 - 2 * var / max_var
    outside = (mean < (lo * (n - 1) + hi) / n) | (mean > (hi * (n - 1) + lo) / n)
    a = np.where(outside, np.nan, a)
    return np.where((mean == hi) | (mean == lo), 1.0, a)


def _group_medians(x: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    """Per-group medians of each column (rows complete)."""
    frame = pd.DataFrame(x)
    frame["_g"] = codes
    return frame.groupby("_g", sort=True).median().reindex(range(g)).to_numpy()


def _check_frame(data: object, name: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame, got {type(data).__name__}")


def _need(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for col in columns:
        if col not in data.columns:
            raise InputError(
                f"data has no column {col!r}; it has {list(map(str, data.columns))[:12]}", column=col
            )


def _check_items(items: object) -> list[str]:
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise TypeError(f"items must be a list of column names, got {items!r}")
    items = list(items)
    if not items:
        raise ValueError("items must name at least one column; got an empty list")
    if len(set(items)) != len(items):
        raise ValueError(f"items must not repeat a column; got {items}")
    return items


def _numeric(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        raise TypeError(f"column {name!r} must be numeric; got dtype {col.dtype}")
    v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(v).any():
        raise ValueError(f"column {name!r} holds an infinite value; only finite numbers or NA are allowed")
    return v
