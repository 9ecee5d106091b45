"""The release's modelled measures (private to :mod:`toolkit.privacy.disclosure`).

From the organisation's random-intercept model of each construct and wave (at least
``MODEL_MIN_TEAMS`` teams): the interval of every published change, the empirical-Bayes estimate and
interval of every published team mean (:mod:`toolkit.stats.shrinkage`), and the adjusted weekly
minus monthly difference at the organisation (:func:`toolkit.compare_cadence`). Each is computed
from a shown mean, its ``n`` and organisation-level quantities, so it tells nothing more about
anyone than the release's means do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.stats.cadence import compare_cadence
from toolkit.stats.shrinkage import change_intervals, eb_estimates, variance_components
from toolkit.stats.steps import team_covariates

#: The organisation's random-intercept model (intervals, team estimates, the adjusted contrast)
#: needs at least this many teams with a score in the wave.
MODEL_MIN_TEAMS = 10


def model_rows(cells, shown) -> list[tuple]:
    """The rows of the modelled measures, from the release's shown means and n only.

    Per wave and construct, with at least :data:`MODEL_MIN_TEAMS` teams: the change intervals
    (``change_low``, ``change_high``), each published team mean's empirical-Bayes estimate and
    interval (``eb_mean``, ``eb_low``, ``eb_high``), and at the organisation the weekly minus
    monthly difference adjusted for division and team size (``weekly_vs_monthly``, ``_low``,
    ``_high``), where both cadence cuts are published.
    """

    md, W, K = cells.pol["mean_decimals"], cells.W, len(cells.constructs)
    comps = {}
    for w in range(W):
        for k in range(K):
            rows = (cells.wave == w) & cells.scored[:, k]
            if len(np.unique(cells.team[rows])) >= MODEL_MIN_TEAMS:
                comps[w, k] = variance_components(cells.s[rows, k], cells.team[rows])
    cells.components = comps
    rows: list[tuple] = []
    if not shown or not comps:
        return rows
    key = np.array(list(shown), dtype=np.int64)  # (unit, cut, family, wave)
    val = np.array(list(shown.values()), dtype=np.float64)  # (shown mean, n)
    u, c, f, w = key.T
    v, n = val[:, 0], val[:, 1].astype(np.int64)
    frame = pd.DataFrame({"u": u, "c": c, "f": f, "w": w, "v": v, "n": n})
    prev = frame.assign(w=frame["w"] + 1).rename(columns={"v": "v0", "n": "n0"})
    both = frame.merge(prev, on=["u", "c", "f", "w"], how="inner")
    for (w_, f_), part in both.groupby(["w", "f"]):
        k = f_ - 1
        if (w_, k) not in comps or (w_ - 1, k) not in comps:
            continue
        low, high = change_intervals(
            part["v"].to_numpy() - part["v0"].to_numpy(),
            part["n"].to_numpy(),
            part["n0"].to_numpy(),
            comps[w_, k].sigma2,
            comps[w_ - 1, k].sigma2,
        )
        for name, x in (("change_low", low), ("change_high", high)):
            rows += _rows(part, cells._measure(f_, name), np.round(x, md))
    teams = (frame["c"] == 0) & (cells.tree.kinds[frame["u"].to_numpy()] == "team")
    for (w_, f_), part in frame[teams].groupby(["w", "f"]):
        if (w_, f_ - 1) not in comps:
            continue
        est = eb_estimates(part["v"].to_numpy(), part["n"].to_numpy(), comps[w_, f_ - 1])
        for name, x in zip(("eb_mean", "eb_low", "eb_high"), est, strict=True):
            rows += _rows(part, cells._measure(f_, name), np.round(x, md))
    rows += _contrast_rows(cells, comps)
    return rows


def _rows(part: pd.DataFrame, measure: int, values: np.ndarray) -> list[tuple]:
    """(unit, wave, cut, measure, value, n) of each row of ``part``."""
    return list(
        zip(
            part["u"].tolist(),
            part["w"].tolist(),
            part["c"].tolist(),
            [measure] * len(part),
            values.tolist(),
            part["n"].tolist(),
            strict=True,
        )
    )


def _contrast_rows(cells, comps) -> list[tuple]:
    """``<construct>:weekly_vs_monthly`` (and its 95% interval) at the organisation: the mixed
    model's adjusted difference (:func:`toolkit.compare_cadence`, adjusted for division, and
    for team size when headcounts are given), where both cadence cuts are published."""

    cadence = [a for a, (item, _, _) in enumerate(cells.cut_items) if item == _cadence_id(cells)]
    if not cadence:
        return []
    a = cadence[0]
    codes = list(cells.survey.scales[cells.survey.item(cells.cut_items[a][0]).scale].codes)
    if not {"weekly", "monthly"} <= set(codes):
        return []
    wk, mo = codes.index("weekly"), codes.index("monthly")
    md, rows = cells.pol["mean_decimals"], []
    roster = None
    if cells._invited is not None:
        inv = cells._invited
        roster = inv.loc[inv.index.repeat(inv["invited"].astype(int)), ["team", "wave"]]
    for w, wave in enumerate(cells.waves):
        wanted = [
            k
            for k in range(len(cells.constructs))
            if (w, k) in comps and cells.cut_pub[a][w * cells.F + k + 1][[wk, mo]].all()
        ]
        if not wanted:
            continue
        sc = cells._scores[cells._scores["wave"].astype("str") == wave]
        sc, covariates = team_covariates(sc, units=cells.tree, roster=roster, wave=wave)
        try:
            table = compare_cadence(
                sc,
                outcome=[cells.constructs[k] for k in wanted],
                contrast=[("weekly", "monthly")],
                covariates=covariates,
                method="lmm",
            )
        except ValueError:  # a covariate that cannot be estimated here: no adjusted contrast
            continue
        for r in table.itertuples(index=False):
            f = cells.constructs.index(r.outcome) + 1
            for name, x in (("", r.estimate), ("_low", r.ci_low), ("_high", r.ci_high)):
                measure = cells._measure(f, f"weekly_vs_monthly{name}")
                rows.append((cells.root, w, 0, measure, round(float(x), md), int(r.n_people)))
    return rows


def _cadence_id(cells) -> str | None:
    item = cells.survey.role_item("cadence")
    return None if item is None else item.id
