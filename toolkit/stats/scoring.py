r"""Construct scores from canonical responses: reverse keying, not-applicable codes, minimum valid items.

:func:`score` turns a canonical response table (one row per respondent per wave) into the
long scores table of the design: one row per response per construct, with the score (mean
of the valid items after reverse keying), the number of valid items, the score on a 0-100
scale and the share of favourable answers. :func:`summarise` aggregates it per group the
way survey platforms report: the mean, the 0-100 mean and percent favourable.
:func:`item_block` gives a construct's items, scored the same way, for
:mod:`toolkit.stats.psychometrics` and :mod:`toolkit.stats.agreement`.

Percent favourable is defined as Culture Amp and Qualtrics EX define it for a factor: the
share of all valid item answers to the construct's questions that fall in the scale's
favourable codes (the top two boxes of a 5-point agreement scale), after reverse keying
(so disagreeing with a reverse-keyed statement is favourable). For a construct where a lower
score is better (``better: lower`` in the survey, as holding things back for the 1:1) the
favourable end is the bottom two boxes, so that favourable always means good. Per respondent,
``favourable`` is that share over their own answers; :func:`summarise` pools the answers of
a group (each respondent weighs by their number of valid answers). The alternative, the
share of respondents whose *score* reaches 4, is not computed: it depends on where a score
of 3.67 falls and no platform reports it as "percent favourable". The 0-100 mean is the
mean of :math:`100 (x - \min)/(\max - \min)` (1 to 5 maps to 0, 25, 50, 75, 100), as Glint
and Peakon report it.

Everything is vectorised over rows (one pass per item column).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.survey import CADENCE_CODES, Survey

__all__ = ["SCORE_COLUMNS", "SUMMARY_COLUMNS", "item_block", "score", "summarise"]

#: The columns of :func:`score`, in order.
SCORE_COLUMNS = (
    "respondent",
    "wave",
    "team",
    "cadence",
    "construct",
    "score",
    "n_items",
    "score_100",
    "favourable",
)
#: The columns :func:`summarise` adds after the grouping columns, in order.
SUMMARY_COLUMNS = ("n", "mean", "sd", "mean_100", "percent_favourable")
_ID_COLUMNS = ("respondent", "wave", "team")


# --------------------------------------------------------------------------- public API


def score(responses: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    r"""Score every construct of ``survey`` for every response: the long scores table.

    Parameters
    ----------
    responses : DataFrame
        Canonical responses (``toolkit.validate(...).valid``): ``respondent``, ``wave``,
        ``team``, the cadence item if the survey has one, and every item of every
        construct, as answer codes (``Int8``; numeric text is accepted).
    survey : Survey
        From :func:`toolkit.load_survey`.

    Returns
    -------
    DataFrame
        One row per response per construct (responses in order, constructs in survey
        order) with :data:`SCORE_COLUMNS`:

        - ``respondent``, ``wave``, ``team`` as given;
        - ``cadence``: the cadence the respondent reported, a categorical of the cadence
          scale's codes (all NA when the survey has no cadence item);
        - ``construct`` (str);
        - ``score`` (Float64): the mean of the valid items after reverse keying
          (:math:`\min + \max - x`), NA when fewer than the construct's ``min_valid``;
        - ``n_items`` (int64): the number of valid items (not-applicable codes and
          missing answers are not valid), given even when the score is NA;
        - ``score_100`` (Float64): the mean of :math:`100 (x - \min)/(\max - \min)` over the
          valid items, NA with the score;
        - ``favourable`` (Float64): the share (0 to 1) of the valid items answered in the
          scale's favourable codes after reverse keying, NA with the score or when a
          scale of the construct has no favourable codes.

    Raises
    ------
    TypeError
        When ``survey`` is not a Survey, or an item column is neither numeric nor text.
    InputError
        When a column is missing (the error names it).
    ValueError
        When an answer is not a code of the item's scale (naming the column, the codes
        found and the codes allowed), or a cadence is not a code of the cadence scale.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> s = score(valid, survey)
    >>> len(s) == len(valid) * len(survey.constructs)
    True
    >>> cols = ["team", "cadence", "score", "n_items", "score_100", "favourable"]
    >>> s.loc[s["construct"] == "depth", cols].head(2)
       team            cadence  score  n_items  score_100  favourable
    2   t37  less_than_monthly    3.4        5       60.0         0.2
    11  t37            monthly    3.6        5       65.0         0.8
    """
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a DataFrame, got {type(responses).__name__}")
    _need(responses, _ID_COLUMNS)
    constructs = list(survey.constructs.values())
    n, c = len(responses), len(constructs)
    scores = np.full((n, c), np.nan)
    n_items = np.zeros((n, c), dtype=np.int64)
    s100 = np.full((n, c), np.nan)
    fav = np.full((n, c), np.nan)
    for j, con in enumerate(constructs):
        x, pct, good = _construct_arrays(responses, survey, con.id)
        valid = ~np.isnan(x)
        cnt = valid.sum(1)
        ok = cnt >= max(con.min_valid, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[:, j] = np.where(ok, np.where(valid, x, 0).sum(1) / cnt, np.nan)
            s100[:, j] = np.where(ok, np.where(valid, pct, 0).sum(1) / cnt, np.nan)
            if good is not None:
                fav[:, j] = np.where(ok, (good & valid).sum(1) / cnt, np.nan)
        n_items[:, j] = cnt
    rows = np.repeat(np.arange(n), c)
    out = responses[list(_ID_COLUMNS)].iloc[rows].reset_index(drop=True)
    out["cadence"] = pd.Series(_cadence(responses, survey).take(rows))
    out["construct"] = pd.array(np.tile([con.id for con in constructs], n), dtype="str")
    out["score"] = pd.array(scores.ravel(), dtype="Float64")
    out["n_items"] = n_items.ravel()
    out["score_100"] = pd.array(s100.ravel(), dtype="Float64")
    out["favourable"] = pd.array(fav.ravel(), dtype="Float64")
    return out[list(SCORE_COLUMNS)]


def item_block(responses: pd.DataFrame, survey: Survey, construct: str) -> pd.DataFrame:
    r"""A construct's items as scored: not-applicable codes missing, reverse-keyed items reversed.

    The input of :func:`toolkit.reliability`, :func:`toolkit.item_statistics`,
    :func:`toolkit.loadings` and :func:`toolkit.agreement`.

    Parameters
    ----------
    responses : DataFrame
        Canonical responses holding the construct's items.
    survey : Survey
    construct : str
        A construct id of ``survey``.

    Returns
    -------
    DataFrame
        One Float64 column per item (named by the item id, in the construct's order), the
        index of ``responses``; a reverse-keyed item holds :math:`\min + \max - x`.

    Raises
    ------
    ValueError
        When ``construct`` is not a construct of the survey, or as :func:`score`.
    InputError, TypeError
        As :func:`score`.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> item_block(valid, survey, "depth").iloc[:2, 3:]
         depth_growth  depth_repeats
    row
    2             3.0            3.0
    3             2.0            4.0
    """
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a DataFrame, got {type(responses).__name__}")
    if construct not in survey.constructs:
        raise ValueError(f"construct must be one of {', '.join(survey.constructs)}; got {construct!r}")
    x, _, _ = _construct_arrays(responses, survey, construct)
    ids = survey.constructs[construct].items
    return pd.DataFrame(
        {i: pd.array(x[:, j], dtype="Float64") for j, i in enumerate(ids)}, index=responses.index
    )


def summarise(scores: pd.DataFrame, *, by: Sequence[str] = ("wave", "team", "construct")) -> pd.DataFrame:
    r"""Per group: respondents, mean score, 0-100 mean and percent favourable.

    Parameters
    ----------
    scores : DataFrame
        The long scores table of :func:`score`.
    by : sequence of str, default ("wave", "team", "construct")
        Grouping columns. Groups are sorted; missing keys form their own group; a
        categorical key lists only the categories present.

    Returns
    -------
    DataFrame
        The ``by`` columns, then :data:`SUMMARY_COLUMNS`: ``n`` (rows with a score),
        ``mean`` and ``sd`` of the score, ``mean_100`` (mean of ``score_100``) and
        ``percent_favourable`` (0 to 100).

    Raises
    ------
    InputError
        When a column is missing.
    ValueError
        When ``by`` is empty or repeats a column.

    Notes
    -----
    Over the rows of a group that have a score, with :math:`f_r` the respondent's
    ``favourable`` share and :math:`m_r` their number of valid items,

    .. math:: \text{percent favourable} = 100\,\frac{\sum_r f_r m_r}{\sum_r m_r},

    the share of all valid answers in the group that are favourable (see the module
    documentation). No disclosure threshold is applied: the release module decides what
    is published.

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["a", "a", "b"], "construct": "depth", "score": [4.0, 3.0, 5.0],
    ...                   "n_items": [4, 2, 3], "score_100": [75.0, 50.0, 100.0],
    ...                   "favourable": [0.75, 0.5, 1.0]})
    >>> summarise(s, by=["team", "construct"])
      team construct  n  mean        sd  mean_100  percent_favourable
    0    a     depth  2   3.5  0.707107      62.5           66.666667
    1    b     depth  1   5.0       NaN     100.0          100.000000
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a DataFrame, got {type(scores).__name__}")
    by = [by] if isinstance(by, str) else list(by)
    if not by or len(set(by)) != len(by):
        raise ValueError(f"by must name one or more distinct columns; got {by}")
    _need(scores, [*by, "score", "n_items", "score_100", "favourable"], what="scores")
    s = scores["score"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    f = scores["favourable"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    m = scores["n_items"].to_numpy(dtype=np.float64)
    use = ~np.isnan(s) & ~np.isnan(f)
    d = pd.DataFrame({b: scores[b] for b in by})
    d["_s"] = s
    d["_s100"] = scores["score_100"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    d["_fm"] = np.where(use, f * m, 0.0)
    d["_m"] = np.where(use, m, 0.0)
    g = d.groupby(by, sort=True, observed=True, dropna=False)
    out = g.agg(
        n=("_s", "count"),
        mean=("_s", "mean"),
        sd=("_s", "std"),
        mean_100=("_s100", "mean"),
        fm=("_fm", "sum"),
    )
    den = g["_m"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent_favourable"] = np.where(den > 0, 100 * out["fm"] / den, np.nan)
    return out.drop(columns="fm").reset_index()[[*by, *SUMMARY_COLUMNS]]


# --------------------------------------------------------------------------- helpers


def _construct_arrays(
    responses: pd.DataFrame, survey: Survey, construct: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Reverse-keyed values (NaN = not valid), their 0-100 positions and the favourable mask.

    The favourable codes are the scale's (the top two boxes) for a construct where a higher score
    is better, and their mirror image (the bottom two) where a lower score is better.
    """
    con = survey.constructs[construct]
    ids = con.items
    _need(responses, ids)
    n = len(responses)
    x = np.empty((n, len(ids)))
    pct = np.empty((n, len(ids)))
    good: np.ndarray | None = np.empty((n, len(ids)), dtype=bool)
    for j, item_id in enumerate(ids):
        item = survey.item(item_id)
        scale = survey.scales[item.scale]
        v = _codes(responses[item_id], item_id, scale.allowed)
        v[np.isin(v, np.asarray(scale.na_codes, dtype=np.float64))] = np.nan
        lo, hi = float(min(scale.codes)), float(max(scale.codes))
        if item.reverse:
            v = lo + hi - v
        x[:, j] = v
        pct[:, j] = 100 * (v - lo) / (hi - lo)
        if not scale.favourable or good is None:
            good = None
        else:
            codes = np.asarray(scale.favourable, dtype=np.float64)
            good[:, j] = np.isin(v, codes if con.higher_is_better else lo + hi - codes)
    return x, pct, good


def _codes(col: pd.Series, name: str, allowed: tuple) -> np.ndarray:
    """An ordinal item column as floats (NaN = missing), every answer checked against the scale."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = col.notna().to_numpy() & np.isnan(v)
        if bad.any():
            raise ValueError(
                f"column {name!r} holds {col[bad].iloc[0]!r}, not a code; allowed codes: {list(allowed)}"
            )
    else:
        raise TypeError(f"column {name!r} must hold numeric answer codes; got dtype {col.dtype}")
    bad = ~np.isnan(v) & ~np.isin(v, np.asarray(allowed, dtype=np.float64))
    if bad.any():
        found = sorted(set(v[bad].tolist()))[:5]
        raise ValueError(
            f"column {name!r} holds codes {found} that its scale does not allow; allowed: {list(allowed)}"
        )
    return v


def _cadence(responses: pd.DataFrame, survey: Survey) -> pd.Categorical:
    item = survey.role_item("cadence")
    if item is None:
        return pd.Categorical([None] * len(responses), categories=list(CADENCE_CODES))
    _need(responses, [item.id])
    allowed = list(survey.scales[item.scale].allowed)
    col = responses[item.id]
    text = col.astype("str") if not isinstance(col.dtype, pd.CategoricalDtype) else col.astype("object")
    known = text.isna() | text.isin(allowed)
    if not known.all():
        raise ValueError(
            f"column {item.id!r} holds {text[~known].iloc[0]!r}, not a code of scale {item.scale!r}; "
            f"allowed: {allowed}"
        )
    return pd.Categorical(text, categories=allowed)


def _need(frame: pd.DataFrame, columns: Sequence[str], *, what: str = "responses") -> None:
    for col in columns:
        if col not in frame.columns:
            raise InputError(f"{what} has no column {col!r}", column=col)
