"""Figures for the analyses (seaborn and matplotlib). Reports for managers do not use these:
they draw inline SVG from the release table.

Every function returns the matplotlib Figure and leaves showing or saving it to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from toolkit.stats.describe import _need
from toolkit.survey import CADENCE_CODES

__all__ = [
    "cadence_plot",
    "careless_plot",
    "distribution_plot",
    "event_study_plot",
    "forest_plot",
    "loadings_plot",
    "measurement_plot",
    "power_curve_plot",
    "quarantine_plot",
    "trend_plot",
]

_NEEDED = ("estimate", "ci_low", "ci_high")


def forest_plot(
    results: pd.DataFrame,
    *,
    label: str | Sequence[str] = ("outcome", "contrast"),
    hue: str | None = "method",
    estimate: str = "estimate",
    title: str = "Cadence contrasts with 95% intervals",
    xlabel: str = "difference in score points",
    reference: float | None = None,
    reference_label: str = "true effect",
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
    reference : float, optional
        A value to compare with (the true effect of simulated data), drawn as a dotted line
        and named ``reference_label`` in the legend.

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
    if reference is not None:
        name = f"{reference_label} ({reference:.2f})"
        ax.axvline(reference, color="0.2", linewidth=1.2, linestyle=":", label=name)
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    if (hue is not None and len(levels) > 1) or reference is not None:
        ax.legend(title=hue if hue is not None and len(levels) > 1 else None, loc="best", frameon=False)
    sns.despine(ax=ax)
    return fig


# --------------------------------------------------------------------------- ingest and measurement


def quarantine_plot(reasons: pd.DataFrame, *, title: str = "Rows held back in quarantine") -> plt.Figure:
    """Quarantined rows by reason and wave: one bar per rule (and column), coloured by wave.

    Parameters
    ----------
    reasons : DataFrame
        ``wave``, ``rule``, ``column``, ``n_rows`` (:func:`toolkit.stats.describe.quarantine_reasons`).

    Examples
    --------
    >>> r = pd.DataFrame({"wave": ["2026Q1", "2026Q2"], "rule": "speeder", "column": "duration_s",
    ...                   "n_rows": [3, 4]})
    >>> fig = quarantine_plot(r)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['speeder (duration_s)']
    """
    _columns(reasons, ("wave", "rule", "column", "n_rows"), "reasons")
    data = reasons.assign(reason=_readable(reasons["rule"]) + " (" + reasons["column"].astype("str") + ")")
    order = data.groupby("reason")["n_rows"].sum().sort_values(ascending=False).index.tolist()
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(order) + 1.8), layout="constrained")
    sns.barplot(data=data, x="n_rows", y="reason", hue="wave", order=order, palette="colorblind", ax=ax)
    ax.set_xlabel("rows quarantined")
    ax.set_ylabel("reason (column)")
    ax.set_title(title)
    sns.despine(ax=ax)
    return fig


def careless_plot(
    screening: pd.DataFrame,
    *,
    min_seconds_per_item: float = 2.0,
    max_longstring: int | None = None,
    title: str = "Careless-response indices of every row read",
) -> plt.Figure:
    """Seconds per item and longstring of every row, stored and quarantined, with the cut-offs.

    Parameters
    ----------
    screening : DataFrame
        :func:`toolkit.stats.describe.screening` (``status``, ``seconds_per_item``, ``longstring``).
    min_seconds_per_item, max_longstring
        The cut-offs the ingest used, drawn as dashed lines (``max_longstring`` when given).

    Examples
    --------
    >>> s = pd.DataFrame({"status": ["stored", "stored", "quarantined"], "seconds_per_item": [6.0, 8.0, 0.9],
    ...                   "longstring": [3, 4, 20]})
    >>> fig = careless_plot(s, max_longstring=16)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['seconds per answered item (log scale)', 'longest run of identical answers']
    """
    _columns(screening, ("status", "seconds_per_item", "longstring"), "screening")
    data = screening.assign(
        seconds_per_item=pd.to_numeric(screening["seconds_per_item"]).astype("float64"),
        longstring=pd.to_numeric(screening["longstring"]).astype("float64"),
        status=screening["status"].astype("str"),
    )
    hue_order = [s for s in ("stored", "quarantined") if s in set(data["status"])]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    timed = data[data["seconds_per_item"] > 0]
    if len(timed):
        sns.histplot(
            data=timed, x="seconds_per_item", hue="status", hue_order=hue_order, log_scale=True,
            multiple="stack", palette="colorblind", ax=left,
        )  # fmt: skip
    else:  # an export without durations (Google Forms records none): say so instead of an empty plot
        left.set_xscale("log")
        left.set_xlim(0.1, 100)
        left.text(0.5, 0.5, "no durations in this export", ha="center", va="center", transform=left.transAxes)
    left.axvline(min_seconds_per_item, color="0.3", linestyle="--", linewidth=1)
    left.set_xlabel("seconds per answered item (log scale)")
    left.set_ylabel("rows")
    left.set_title(f"Speed (speeders: under {min_seconds_per_item:g} s per item)")
    sns.histplot(
        data=data, x="longstring", hue="status", hue_order=hue_order, discrete=True, multiple="stack",
        palette="colorblind", ax=right,
    )  # fmt: skip
    if max_longstring is not None:
        right.axvline(max_longstring + 0.5, color="0.3", linestyle="--", linewidth=1)
    right.set_xlabel("longest run of identical answers")
    right.set_ylabel("rows")
    limit = "" if max_longstring is None else f" (straight-liners: over {max_longstring})"
    right.set_title(f"Straight-lining{limit}")
    fig.suptitle(title)
    for ax in (left, right):
        sns.despine(ax=ax)
    return fig


def measurement_plot(
    summary: pd.DataFrame,
    *,
    cutoff: float = 0.70,
    title: str = "Measurement quality per construct",
) -> plt.Figure:
    """Alpha, omega, ICC(2) and median r_wg(J) per construct, against the conventional 0.70.

    Parameters
    ----------
    summary : DataFrame
        :func:`toolkit.measurement_summary` (``construct``, ``raw_alpha``, ``omega_total``,
        ``icc2``, ``rwg_j_median``; ``label`` names the rows when present).

    Examples
    --------
    >>> m = pd.DataFrame({"construct": ["depth"], "label": ["1:1 depth"], "raw_alpha": [0.86],
    ...                   "omega_total": [0.87], "icc2": [0.4], "rwg_j_median": [0.8]})
    >>> ax = measurement_plot(m).axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('coefficient (0 to 1)', ['1:1 depth'])
    """
    names = {"raw_alpha": "alpha", "omega_total": "omega", "icc2": "ICC(2)", "rwg_j_median": "median r_wg(J)"}
    _columns(summary, ("construct", *names), "summary")
    label = summary["label"] if "label" in summary.columns else summary["construct"]
    long = (
        summary.assign(_label=label.astype("str"))
        .melt(id_vars="_label", value_vars=list(names), var_name="statistic", value_name="value")
        .assign(statistic=lambda d: d["statistic"].map(names))
    )
    long["value"] = pd.to_numeric(long["value"]).astype("float64")
    order = list(pd.unique(long["_label"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(order) + 1.8), layout="constrained")
    sns.pointplot(
        data=long, x="value", y="_label", hue="statistic", order=order, hue_order=list(names.values()),
        dodge=0.5, linestyle="none", markers=["o", "s", "D", "^"], palette="colorblind", ax=ax,
    )  # fmt: skip
    ax.axvline(cutoff, color="0.3", linestyle="--", linewidth=1)
    ax.set_xlim(min(0.0, float(np.nanmin(long["value"])) - 0.05) if long["value"].notna().any() else 0, 1.0)
    ax.set_xlabel("coefficient (0 to 1)")
    ax.set_ylabel("construct")
    ax.set_title(f"{title}\n(dashed: the conventional {cutoff:.2f})")
    ax.legend(title="statistic", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    sns.despine(ax=ax)
    return fig


def loadings_plot(
    items: pd.DataFrame, *, cutoff: float = 0.40, title: str = "One-factor loadings of each item"
) -> plt.Figure:
    """Each item's loading on its construct's single factor, grouped by construct.

    Parameters
    ----------
    items : DataFrame
        ``construct``, ``item``, ``loading`` (:func:`toolkit.stats.measurement.item_summary`).
    cutoff : float, default 0.40
        The conventional minimum loading, drawn as a dashed line.

    Examples
    --------
    >>> i = pd.DataFrame({"construct": ["depth", "depth"], "item": ["d1", "d2"], "loading": [0.8, 0.3]})
    >>> ax = loadings_plot(i).axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('loading', 'item')
    """
    _columns(items, ("construct", "item", "loading"), "items")
    data = items.assign(
        loading=pd.to_numeric(items["loading"]).astype("float64"),
        construct=items["construct"].astype("str"),
        item=items["item"].astype("str"),
    )
    fig, ax = plt.subplots(figsize=(7.5, 0.24 * len(data) + 1.8), layout="constrained")
    sns.barplot(
        data=data, x="loading", y="item", hue="construct", dodge=False, palette="colorblind", ax=ax,
        order=list(data["item"]),
    )  # fmt: skip
    ax.axvline(cutoff, color="0.3", linestyle="--", linewidth=1)
    ax.set_xlim(min(0.0, float(data["loading"].min()) - 0.05) if data["loading"].notna().any() else 0, 1.0)
    ax.set_xlabel("loading")
    ax.set_ylabel("item")
    ax.set_title(f"{title}\n(dashed: the conventional minimum {cutoff:.2f})")
    ax.legend(title="construct", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    sns.despine(ax=ax)
    return fig


# --------------------------------------------------------------------------- cadence


def cadence_plot(
    means: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "Mean scores by reported 1:1 cadence (95% intervals, people as independent)",
    ncols: int = 3,
) -> plt.Figure:
    """Small multiples, one per construct: the mean score of each cadence with its interval.

    Parameters
    ----------
    means : DataFrame
        :func:`toolkit.stats.describe.cadence_means` by cadence (``construct``, ``cadence``,
        ``mean``, ``ci_low``, ``ci_high``).
    labels : mapping, optional
        Construct id to label (e.g. ``study.labels``), used as panel titles.

    Examples
    --------
    >>> m = pd.DataFrame({"construct": "depth", "cadence": ["weekly", "less_than_monthly"],
    ...                   "mean": [3.8, 3.2], "ci_low": [3.6, 2.9], "ci_high": [4.0, 3.5]})
    >>> ax = cadence_plot(m, labels={"depth": "1:1 depth"}).axes[0]
    >>> ax.get_title(), [t.get_text() for t in ax.get_yticklabels()]
    ('1:1 depth', ['weekly', 'less than monthly'])
    """
    _columns(means, ("construct", "cadence", "mean", "ci_low", "ci_high"), "means")
    constructs = list(pd.unique(means["construct"].astype("str")))
    levels = _levels(means["cadence"])
    colours = dict(zip(levels, sns.color_palette("colorblind", len(levels)), strict=True))
    ncols = max(1, min(ncols, len(constructs)))
    nrows = -(-len(constructs) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.8 * ncols, 0.35 * len(levels) * nrows + 1.2 * nrows + 0.8),
        sharex=True, squeeze=False, layout="constrained",
    )  # fmt: skip
    for ax, construct in zip(axes.flat, constructs, strict=False):
        part = means[means["construct"].astype("str") == construct]
        for i, level in enumerate(levels):
            row = part[part["cadence"].astype("str") == level]
            if row.empty:
                continue
            m, lo, hi = (float(row[c].iloc[0]) for c in ("mean", "ci_low", "ci_high"))
            ax.errorbar(m, i, xerr=[[m - lo], [hi - m]], fmt="o", color=colours[level], capsize=3)
        ax.set_yticks(range(len(levels)), [_readable_one(lv) for lv in levels])
        ax.set_ylim(len(levels) - 0.5, -0.5)
        ax.set_title((labels or {}).get(construct, _readable_one(construct)))
        ax.set_xlabel("mean score")
        ax.set_ylabel("reported cadence")
        sns.despine(ax=ax)
    for ax in list(axes.flat)[len(constructs) :]:
        ax.remove()
    fig.suptitle(title)
    return fig


def distribution_plot(
    scores: pd.DataFrame,
    *,
    construct: str,
    by: str = "cadence",
    label: str | None = None,
    title: str | None = None,
) -> plt.Figure:
    """The spread of one construct's scores in each group (violins with quartiles, means as diamonds).

    Parameters
    ----------
    scores : DataFrame
        Long scores (:func:`toolkit.score`): ``construct``, ``score`` and ``by``.
    construct : str
    by : str, default "cadence"
    label : str, optional
        The construct's label for the axis.

    Examples
    --------
    >>> s = pd.DataFrame({"construct": "depth", "cadence": ["weekly", "weekly", "none"],
    ...                   "score": [4.0, 3.5, 2.0]})
    >>> ax = distribution_plot(s, construct="depth").axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('depth score', ['weekly', 'none'])
    """
    _columns(scores, ("construct", "score", by), "scores")
    data = scores[(scores["construct"].astype("str") == construct) & scores["score"].notna()]
    if data.empty:
        raise ValueError(f"scores has no score of construct {construct!r}")
    levels = _levels(data[by])
    data = data.assign(
        score=data["score"].astype("float64"),
        _group=data[by].astype("str").map(_readable_one),
    )
    order = [_readable_one(lv) for lv in levels]
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(order) + 1.8), layout="constrained")
    sns.violinplot(
        data=data, x="score", y="_group", hue="_group", order=order, hue_order=order, palette="colorblind",
        inner="quart", cut=0, density_norm="width", legend=False, ax=ax,
    )  # fmt: skip
    means = data.groupby("_group")["score"].mean()
    ax.scatter(
        [means[g] for g in order], range(len(order)), marker="D", color="white", edgecolor="0.2", zorder=3,
    )  # fmt: skip
    name = label or _readable_one(construct)
    ax.set_xlabel(f"{name} score")
    ax.set_ylabel(_readable_one(by))
    ax.set_title(title or f"{name}: scores by {_readable_one(by)} (diamonds: means)")
    sns.despine(ax=ax)
    return fig


def trend_plot(
    means: pd.DataFrame,
    *,
    construct: str,
    hue: str = "cadence",
    label: str | None = None,
    title: str | None = None,
) -> plt.Figure:
    """One construct's mean by wave, a line per group (cadence) with its 95% band.

    Parameters
    ----------
    means : DataFrame
        :func:`toolkit.stats.describe.cadence_means` by ``("wave", hue)``.
    construct : str

    Examples
    --------
    >>> m = pd.DataFrame({"construct": "depth", "wave": ["2026Q1", "2026Q2"] * 2,
    ...                   "cadence": ["weekly"] * 2 + ["monthly"] * 2, "mean": [3.9, 3.8, 3.5, 3.6],
    ...                   "ci_low": [3.7, 3.6, 3.3, 3.4], "ci_high": [4.1, 4.0, 3.7, 3.8]})
    >>> ax = trend_plot(m, construct="depth").axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('wave', ['weekly', 'monthly'])
    """
    _columns(means, ("construct", "wave", hue, "mean", "ci_low", "ci_high"), "means")
    data = means[means["construct"].astype("str") == construct]
    if data.empty:
        raise ValueError(f"means has no row of construct {construct!r}")
    waves = sorted(pd.unique(data["wave"].astype("str")))
    levels = _levels(data[hue])
    colours = sns.color_palette("colorblind", len(levels))
    fig, ax = plt.subplots(figsize=(8.5, 4.2), layout="constrained")
    for level, colour in zip(levels, colours, strict=True):
        part = data[data[hue].astype("str") == level]
        x = [waves.index(w) for w in part["wave"].astype("str")]
        ax.plot(x, part["mean"], marker="o", color=colour, label=_readable_one(level))
        low, high = part["ci_low"].astype(float), part["ci_high"].astype(float)
        ax.fill_between(x, low, high, color=colour, alpha=0.15)
    ax.set_xticks(range(len(waves)), waves)
    name = label or _readable_one(construct)
    ax.set_xlabel("wave")
    ax.set_ylabel(f"mean {name} score")
    ax.set_title(title or f"{name} by wave and reported {_readable_one(hue)} (95% bands)")
    ax.legend(title=_readable_one(hue), loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    sns.despine(ax=ax)
    return fig


def event_study_plot(
    event_study: pd.DataFrame,
    *,
    direction: str = "pooled",
    truth: float | None = None,
    title: str = "Event study: effect of switching 1:1 cadence, by waves since the switch",
    ylabel: str = "difference in score points (weekly - monthly)",
) -> plt.Figure:
    """The event-study estimates with their 95% intervals, before and after a switch.

    Parameters
    ----------
    event_study : DataFrame
        ``Switches.event_study`` of :func:`toolkit.cadence_switches` (rows with ``aggregate``
        ``event_time``; ``direction``, ``e``, ``estimate``, ``ci_low``, ``ci_high``, ``n``).
    direction : {"pooled", "on", "off"}
    truth : float, optional
        A known effect (simulated data), drawn as a dotted line.

    Examples
    --------
    >>> es = pd.DataFrame({"aggregate": "event_time", "direction": "pooled", "e": [-2, 0, 1],
    ...                    "estimate": [0.0, 0.3, 0.25], "ci_low": [-0.1, 0.2, 0.1],
    ...                    "ci_high": [0.1, 0.4, 0.4], "n": [4, 6, 4]})
    >>> ax = event_study_plot(es).axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_xticklabels()]
    ('waves since the switch', ['-2', '-1', '0', '1'])
    >>> lonely = es.assign(ci_low=[np.nan, 0.2, 0.1], ci_high=[np.nan, 0.4, 0.4])
    >>> ax = event_study_plot(lonely).axes[0]
    >>> "before the switch: no interval (one treated team)" in ax.get_legend_handles_labels()[1]
    True

    An estimate without an interval (a single treated team, see :func:`toolkit.cadence_switches`)
    is drawn as a hollow diamond.
    """
    _columns(event_study, ("aggregate", "direction", "e", "estimate", "ci_low", "ci_high"), "event_study")
    data = event_study[
        (event_study["aggregate"].astype("str") == "event_time")
        & (event_study["direction"].astype("str") == direction)
    ]
    if data.empty:
        raise ValueError(f"event_study has no event_time rows for direction {direction!r}")
    e = data["e"].astype(int).to_numpy()
    est = data["estimate"].astype(float).to_numpy()
    lo, hi = data["ci_low"].astype(float).to_numpy(), data["ci_high"].astype(float).to_numpy()
    pre = e < 0
    bare = np.isnan(lo) | np.isnan(hi)  # one treated team: an estimate without an interval
    colours = sns.color_palette("colorblind", 2)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for mask, colour, name in ((pre, colours[0], "before the switch"), (~pre, colours[1], "after")):
        shown = mask & ~bare
        if shown.any():
            ax.errorbar(
                e[shown], est[shown], yerr=[est[shown] - lo[shown], hi[shown] - est[shown]], fmt="o",
                color=colour, capsize=3, label=name,
            )  # fmt: skip
        if (mask & bare).any():
            ax.plot(e[mask & bare], est[mask & bare], marker="D", markerfacecolor="white", color=colour,
                    linestyle="none", label=f"{name}: no interval (one treated team)")  # fmt: skip
    if "n" in data.columns:
        top = np.where(np.isnan(hi), est, hi)
        for x, y, n in zip(e, top, data["n"].astype(int), strict=True):
            ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
    if pre.any() and (~pre).any() and -1 not in set(e):  # the base wave g - 1: zero by construction
        ax.plot([-1], [0], marker="o", markerfacecolor="white", color=colours[0], linestyle="none",
                label="base wave (e = -1)")  # fmt: skip
        e = np.append(e, -1)
    ax.axhline(0, color="0.4", linewidth=1, linestyle="--")
    ax.axvline(-0.5, color="0.6", linewidth=1, linestyle=":")
    if truth is not None:
        ax.axhline(truth, color=colours[1], linewidth=1, linestyle=":", label=f"true effect {truth:.2f}")
    ax.set_xticks(sorted(set(e)), [str(v) for v in sorted(set(e))])
    ax.set_xlabel("waves since the switch")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n({_readable_one(direction)} switches, 95% intervals; n = switched teams)")
    ax.legend(loc="best", frameon=False)
    sns.despine(ax=ax)
    return fig


def power_curve_plot(
    grid: pd.DataFrame,
    *,
    x: str = "teams_per_arm",
    y: str = "mde",
    hue: str = "team_size",
    effect: float | None = None,
    effect_label: str = "effect of interest",
    title: str = "Minimum detectable effect by number of teams",
) -> plt.Figure:
    """Power curves: the minimum detectable effect (or teams needed) across designs.

    Parameters
    ----------
    grid : DataFrame
        :func:`toolkit.power` over a grid (``teams_per_arm``, ``team_size``, ``mde``, ...).
    x, y, hue : str
        The columns of the axes and of the lines.
    effect : float, optional
        An effect to reach, drawn as a dashed horizontal line.

    Examples
    --------
    >>> from toolkit.stats.power import power
    >>> g = power(teams_per_arm=[10, 20, 40], team_size=[5, 10], icc=0.1)
    >>> ax = power_curve_plot(g, effect=0.3).axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('teams per arm', 'minimum detectable effect (SD units)')
    """
    _columns(grid, (x, y, hue), "grid")
    names = {
        "teams_per_arm": "teams per arm", "team_size": "respondents per team", "icc": "ICC",
        "mde": "minimum detectable effect (SD units)", "teams_needed": "teams needed per arm",
        "effect": "effect (SD units)",
    }  # fmt: skip
    data = grid.assign(_hue=grid[hue].map(lambda v: f"{v:g}" if isinstance(v, int | float) else str(v)))
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    sns.lineplot(data=data, x=x, y=y, hue="_hue", marker="o", markersize=4, palette="colorblind", ax=ax)
    if effect is not None:
        ax.axhline(effect, color="0.3", linestyle="--", linewidth=1, label=f"{effect_label} ({effect:.2f})")
    ax.set_xlabel(names.get(x, _readable_one(x)))
    ax.set_ylabel(names.get(y, _readable_one(y)))
    ax.set_title(title)
    ax.legend(title=names.get(hue, _readable_one(hue)), loc="best", frameon=False)
    sns.despine(ax=ax)
    return fig


# --------------------------------------------------------------------------- helpers


def _columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    _need(table, columns, name)
    if table.empty:
        raise ValueError(f"{name} is empty: there is nothing to plot")


def _readable_one(code: object) -> str:
    """A code as a reader sees it: ``less_than_monthly`` -> ``less than monthly``."""
    return str(code).replace("_", " ")


def _readable(codes: pd.Series) -> pd.Series:
    return codes.astype("str").str.replace("_", " ", regex=False)


def _levels(values: pd.Series) -> list[str]:
    """The observed levels: a categorical's in category order, cadence codes in cadence order."""
    seen = set(values.dropna().astype("str"))
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories if str(c) in seen]
    known = [c for c in CADENCE_CODES if c in seen]
    return known + sorted(seen - set(known))
