"""Figures for the analyses (seaborn and matplotlib). Reports for managers do not use these:
they draw inline SVG from the release table.

Every function returns the matplotlib Figure and leaves showing or saving it to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

__all__ = ["forest_plot"]

_NEEDED = ("estimate", "ci_low", "ci_high")


def forest_plot(
    results: pd.DataFrame,
    *,
    label: str | Sequence[str] = ("outcome", "contrast"),
    hue: str | None = "method",
    estimate: str = "estimate",
    title: str = "Cadence contrasts with 95% intervals",
    xlabel: str = "difference in score points",
) -> plt.Figure:
    """A forest plot: one row per result, the estimate with its interval, a line at zero.

    Parameters
    ----------
    results : DataFrame
        With ``estimate``, ``ci_low``, ``ci_high`` (or the columns named by ``estimate`` and
        ``<estimate>_ci_low``/``_ci_high`` for, e.g., ``g``), and the label columns; the
        table :func:`toolkit.compare_cadence` returns.
    label : str or sequence of str
        Columns joined to name each row.
    hue : str or None
        A column that colours the rows (and dodges them when one label has several).
    estimate : str, default "estimate"
        ``"estimate"`` for the raw difference, or e.g. ``"g"`` for Hedges' g with
        ``g_ci_low``/``g_ci_high``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> r = pd.DataFrame({"outcome": ["depth", "trust"], "contrast": "weekly - monthly",
    ...                   "method": "lmm", "estimate": [0.24, 0.05], "ci_low": [0.1, -0.05],
    ...                   "ci_high": [0.38, 0.15]})
    >>> fig = forest_plot(r)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['depth: weekly - monthly', 'trust: weekly - monthly']
    """
    prefix = "" if estimate == "estimate" else f"{estimate}_"
    lo, hi = f"{prefix}ci_low", f"{prefix}ci_high"
    labels = [label] if isinstance(label, str) else list(label)
    missing = [c for c in (estimate, lo, hi, *labels, *([hue] if hue else [])) if c not in results.columns]
    if missing:
        raise ValueError(f"results lack the columns {missing}; it has {list(results.columns)}")
    if results.empty:
        raise ValueError("results is empty: there is nothing to plot")
    data = results.assign(_label=results[labels].astype("str").agg(": ".join, axis=1)).reset_index(drop=True)
    order = list(pd.unique(data["_label"]))
    levels = list(pd.unique(data[hue].astype("str"))) if hue else [None]
    palette = dict(zip(levels, sns.color_palette("colorblind", len(levels)), strict=True))
    shapes = "osD^vP*X" if len(levels) <= 8 else "o" * len(levels)
    markers = dict(zip(levels, shapes[: len(levels)], strict=True))
    step = 0.6 / max(len(levels), 1)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(order) + 1.6), layout="constrained")
    for i, level in enumerate(levels):
        part = data if hue is None else data[data[hue].astype("str") == level]
        y = np.array([order.index(v) for v in part["_label"]]) + (i - (len(levels) - 1) / 2) * step
        ax.errorbar(
            part[estimate],
            y,
            xerr=[part[estimate] - part[lo], part[hi] - part[estimate]],
            fmt=markers[level],
            color=palette[level],
            capsize=3,
            label=level,
        )
    ax.axvline(0, color="0.4", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    if hue is not None and len(levels) > 1:
        ax.legend(title=hue, loc="best", frameon=False)
    sns.despine(ax=ax)
    return fig
