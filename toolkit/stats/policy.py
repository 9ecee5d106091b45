"""A team's 1:1 policy, as its reports describe it.

Each report says how often they have 1:1s; the team's policy in a wave is the modal report.
Analyses can compare cadence as each person experiences it, or as the team's policy (a
team-level treatment, the unit a manager changes); the choice is explicit everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.survey import CADENCE_CODES

__all__ = ["team_policy"]


def team_policy(
    data: pd.DataFrame, *, team: str = "team", wave: str | None = "wave", cadence: str = "cadence"
) -> pd.DataFrame:
    """The modal reported cadence of each team (in each wave).

    Ties go to the more frequent cadence (the earlier code of weekly, biweekly, monthly,
    less_than_monthly, none), so a team split between weekly and monthly is weekly. A team
    whose members all left the question blank has no policy (missing).

    Parameters
    ----------
    data : DataFrame
        One row per respondent (canonical responses), or per respondent and construct (the
        long scores of :func:`toolkit.score`): each respondent counts once per wave.
    team, wave, cadence : str
        Column names; ``wave=None`` pools all rows.

    Returns
    -------
    DataFrame
        One row per team (and wave): ``team``, ``wave``, ``policy`` (categorical of the cadence
        codes), ``n_reports`` (respondents who answered), ``agreement`` (share of them who
        report the policy).

    Examples
    --------
    >>> d = pd.DataFrame({"respondent": list("abcde"), "wave": "2026Q1", "team": list("ttttu"),
    ...                   "cadence": ["weekly", "monthly", "monthly", "weekly", None]})
    >>> team_policy(d)[["team", "policy", "n_reports", "agreement"]]
      team  policy  n_reports  agreement
    0    t  weekly          4        0.5
    1    u     NaN          0        NaN
    """
    keys = [team] if wave is None else [team, wave]
    missing = [c for c in (*keys, cadence) if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks the columns {missing}; it has {list(data.columns)}")
    rows = data
    if "respondent" in data.columns:
        rows = data.drop_duplicates([*keys, "respondent"])
    codes = list(CADENCE_CODES)
    text = rows[cadence].astype("str")
    unknown = (text.notna() & ~text.isin(codes)).to_numpy()
    if unknown.any():
        raise ValueError(
            f"{cadence} holds {rows[cadence][unknown].iloc[0]!r}, not a cadence code ({', '.join(codes)})"
        )
    reported = pd.Categorical(text, categories=codes)
    counts = pd.crosstab(
        [rows[k] for k in keys], pd.Series(reported, index=rows.index, name="policy"), dropna=False
    ).reindex(columns=codes, fill_value=0)
    every = rows[keys].drop_duplicates().set_index(keys).index
    counts = counts.reindex(every, fill_value=0)
    total = counts.sum(axis=1)
    top = counts.to_numpy().argmax(axis=1)  # argmax takes the first maximum: the more frequent code
    policy = pd.Categorical.from_codes(np.where(total.to_numpy() > 0, top, -1), categories=codes)
    out = counts.index.to_frame(index=False)
    if wave is None:
        out["wave"] = pd.NA
    out["policy"] = policy
    out["n_reports"] = total.to_numpy()
    best = counts.to_numpy().max(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["agreement"] = np.where(total.to_numpy() > 0, best / total.to_numpy(), np.nan)
    return out[[team, "wave", "policy", "n_reports", "agreement"]].sort_values(keys, ignore_index=True)
