"""Does each construct measure something, and does a team's mean mean something?

:func:`measurement_summary` gathers, per construct, the numbers a reviewer checks before any
comparison of teams: reliability (:func:`toolkit.reliability`), the variance between teams
(:func:`toolkit.icc` on the construct scores) and agreement within teams
(:func:`toolkit.agreement`). Every statistic comes from those functions, each checked
against R; this module only assembles them.

Conventional cut-offs are reported next to the numbers, never applied: alpha and omega of
0.70 or more for group comparisons; ICC(1) of 0.05 to 0.20 is typical of work groups and any
value reliably above 0 justifies a multilevel model; ICC(2) of 0.70 or more for team means
that are reliable; r_wg(J) of 0.70 or more for a team whose members agree enough for its
mean to stand for the team (LeBreton & Senter, 2008).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from toolkit._io import md_table
from toolkit.stats.agreement import agreement, icc
from toolkit.stats.psychometrics import construct_correlations, item_statistics, loadings, reliability
from toolkit.stats.scoring import item_block, score
from toolkit.survey import Survey

__all__ = ["CUTOFFS", "item_summary", "measurement_markdown", "measurement_summary"]

#: Conventional cut-offs, shown beside the numbers and never applied.
CUTOFFS = {"raw_alpha": 0.70, "omega_total": 0.70, "icc2": 0.70, "rwg_j": 0.70}


def measurement_summary(responses: pd.DataFrame, survey: Survey, *, group: str = "team") -> pd.DataFrame:
    """One row per construct: reliability, team variance and within-team agreement.

    Parameters
    ----------
    responses : DataFrame
        Canonical responses (one wave, or several: statistics pool the rows given).
    survey : Survey
    group : str, default "team"
        The grouping for ICC and agreement.

    Returns
    -------
    DataFrame
        ``construct``, ``label``, ``k`` (items used), ``n`` (respondents with a score),
        ``mean``, ``sd`` (of the scores), ``raw_alpha``, ``alpha_ci_low``, ``alpha_ci_high``,
        ``omega_total``, ``icc1``, ``icc2``, ``n_groups``, ``rwg_j_median`` (over groups of 2
        or more), ``share_rwg_j_70`` (share of those groups with r_wg(J) of at least 0.70),
        ``notes`` (items dropped as constant, statistics that could not be computed).
        A statistic that cannot be computed is missing and its reason is in ``notes``.

    Examples
    --------
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = validate(read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> table = measurement_summary(valid, survey)
    >>> table.loc[table["construct"] == "depth", ["k", "raw_alpha"]].round(2).to_dict("records")
    [{'k': 5, 'raw_alpha': 0.86}]
    """
    if group not in responses.columns:
        raise ValueError(f"group must be a column of responses; {group!r} is not one")
    scores = score(responses, survey)
    rows = []
    for cid, construct in survey.constructs.items():
        notes: list[str] = []
        block = item_block(responses, survey, cid)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rel = _safe(notes, "reliability", reliability, block)
        notes += [str(w.message) for w in caught]
        mine = scores[scores["construct"] == cid]
        valid = mine["score"].notna()
        team_scores = pd.DataFrame(
            {"score": mine["score"][valid].astype("float64"), group: mine[group][valid]}
        )
        team_var = _safe(notes, "ICC", icc, team_scores, value="score", group=group)
        codes = survey.scale_of(construct.items[0]).codes
        agree = _safe(
            notes,
            "agreement",
            agreement,
            block.assign(**{group: responses[group]}),
            items=list(construct.items),
            group=group,
            scale_points=len(codes),
            scale_min=min(codes),
        )
        rwg = agree["rwg_j"].dropna() if agree is not None else pd.Series(dtype="float64")
        rows.append(
            {
                "construct": cid,
                "label": construct.label,
                "k": _get(_row(rel), "k"),
                "n": int(valid.sum()),
                "mean": float(mine["score"].mean()) if valid.any() else np.nan,
                "sd": float(mine["score"].std()) if valid.sum() > 1 else np.nan,
                "raw_alpha": _get(_row(rel), "raw_alpha"),
                "alpha_ci_low": _get(_row(rel), "alpha_ci_low"),
                "alpha_ci_high": _get(_row(rel), "alpha_ci_high"),
                "omega_total": _get(_row(rel), "omega_total"),
                "icc1": _get(_row(team_var), "icc1"),
                "icc2": _get(_row(team_var), "icc2"),
                "n_groups": _get(_row(team_var), "n_groups"),
                "rwg_j_median": float(rwg.median()) if len(rwg) else np.nan,
                "share_rwg_j_70": float((rwg >= CUTOFFS["rwg_j"]).mean()) if len(rwg) else np.nan,
                "notes": "; ".join(dict.fromkeys(notes)),
            }
        )
    return pd.DataFrame(rows).astype({"k": "Int64", "n_groups": "Int64"})


def item_summary(responses: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """One row per scored item, so that a survey author sees a weak item.

    Columns: ``construct``, ``item``, ``reverse``, ``n``, ``mean``, ``sd`` (as scored: not
    applicable codes missing, reverse-keyed items reversed), ``r_drop`` (corrected
    item-total correlation), ``alpha_if_dropped`` (from :func:`toolkit.item_statistics`,
    as ``psych::alpha``) and ``loading`` (one-factor minres loading, as ``psych::fa``; from
    :func:`toolkit.loadings`). Items that were dropped as constant have missing statistics.
    Conventional flags, not applied: r_drop below 0.30, a loading below 0.40, or an alpha
    that rises when the item is dropped.

    Examples
    --------
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = validate(read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> items = item_summary(valid, survey)
    >>> len(items) == sum(len(c.items) for c in survey.constructs.values())
    True
    """
    parts = []
    for cid in survey.constructs:
        block = item_block(responses, survey, cid)
        with warnings.catch_warnings():  # constant items show as missing statistics
            warnings.simplefilter("ignore", UserWarning)
            stats = item_statistics(block)
            try:
                load = loadings(block)[["item", "loading"]]
            except ValueError:
                load = pd.DataFrame({"item": stats["item"], "loading": np.nan})
        part = stats[["item", "n", "mean", "sd", "r_drop", "alpha_if_dropped"]].merge(
            load, on="item", how="left"
        )
        part.insert(0, "construct", cid)
        part.insert(2, "reverse", [survey.item(i).reverse for i in part["item"]])
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def measurement_markdown(
    responses: pd.DataFrame,
    survey: Survey,
    *,
    wave: str,
    table: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
) -> str:
    """The measurement report of one wave in Markdown: constructs, items, construct correlations.

    Parameters
    ----------
    responses : DataFrame
        The wave's canonical responses.
    survey : Survey
    wave : str
    table, scores : DataFrame, optional
        :func:`measurement_summary` and :func:`toolkit.score` of ``responses``, when already at hand.

    Returns
    -------
    str
        The conventional cut-offs are named in the text and never applied.
    """
    if table is None:
        with warnings.catch_warnings():  # constant items are reported in the table's notes
            warnings.simplefilter("ignore", UserWarning)
            table = measurement_summary(responses, survey)
    if scores is None:
        scores = score(responses, survey)
    shown = table.drop(columns=["label", "notes"]).round(3)
    lines = [
        f"# Measurement quality, wave {wave}",
        "",
        f"Survey `{survey.id}` {survey.version}, {len(responses)} stored responses. Conventional cut-offs, "
        f"shown and not applied: alpha and omega {CUTOFFS['raw_alpha']:.2f}, ICC(2) "
        f"{CUTOFFS['icc2']:.2f}, r_wg(J) {CUTOFFS['rwg_j']:.2f}; ICC(1) of 0.05 to 0.20 is typical "
        "of work groups.",
        "",
    ]
    lines += md_table(list(shown.columns), shown.astype("str").values.tolist())
    notes = table.loc[table["notes"] != "", ["construct", "notes"]]
    lines += [""] + [f"- `{c}`: {n}" for c, n in notes.itertuples(index=False)]
    items = item_summary(responses, survey)
    lines += [
        "",
        "## Items",
        "",
        "Flags people use, not applied: r_drop below 0.30, a loading below 0.40, "
        "alpha rising when the item is dropped.",
        "",
    ]
    lines += md_table(list(items.columns), items.round(3).astype("str").values.tolist())
    correlations = construct_correlations(scores).round(2)
    lines += ["", "## Construct correlations (Pearson, pairwise)", ""]
    lines += md_table(
        ["", *correlations.columns],
        [
            [i, *r]
            for i, r in zip(correlations.index, correlations.astype("str").values.tolist(), strict=True)
        ],
    )
    return "\n".join(lines) + "\n"


def _safe(notes: list[str], what: str, compute, *args, **kwargs):
    try:
        return compute(*args, **kwargs)
    except ValueError as exc:
        notes.append(f"{what} not computed: {exc}")
        return None


def _row(table: pd.DataFrame | None) -> pd.Series | None:
    return None if table is None else table.iloc[0]


def _get(row: pd.Series | None, key: str) -> float:
    if row is None or key not in row.index:
        return np.nan
    return row[key]
