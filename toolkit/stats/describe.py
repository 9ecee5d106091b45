r"""Tidy descriptive tables for the analysis notebooks: what was ingested, what was held back, means
by cadence, the naive comparison, and the verdict on team means.

These are descriptions, not the inferential analyses: :func:`cadence_means` and
:func:`naive_comparison` ignore that people are clustered in teams and that cadence is
confounded with team size and division. They exist to be shown *beside*
:func:`toolkit.compare_cadence`, which takes both into account, so a reader sees how much the
naive numbers mislead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.ingest.careless import FLAG_COLUMNS, careless_flags
from toolkit.stats.measurement import CUTOFFS
from toolkit.store import load_quarantine, load_waves, manifest
from toolkit.survey import Survey
from toolkit.survey.validate import to_canonical

__all__ = [
    "INGEST_COLUMNS",
    "MEANS_COLUMNS",
    "NAIVE_COLUMNS",
    "VERDICTS",
    "cadence_means",
    "ingest_summary",
    "naive_comparison",
    "quarantine_reasons",
    "screening",
    "team_mean_verdict",
]

#: The columns of :func:`ingest_summary`, in order.
INGEST_COLUMNS = (
    "wave", "source", "format", "status", "rows_read", "rows_stored", "rows_quarantined", "balanced",
)  # fmt: skip
#: The columns of :func:`cadence_means` besides the grouping columns, in order.
MEANS_COLUMNS = ("n", "n_teams", "mean", "sd", "se", "ci_low", "ci_high")
#: The columns of :func:`naive_comparison`, in order (those of ``compare_cadence`` it can fill).
NAIVE_COLUMNS = (
    "outcome", "contrast", "level_a", "level_b", "method", "cadence_source", "estimate", "se", "df",
    "ci_low", "ci_high", "p_val", "n_people", "n_teams", "n_a", "n_b",
)  # fmt: skip
#: The verdicts of :func:`team_mean_verdict`, from best to worst.
VERDICTS = ("meaningful", "noisy", "members disagree", "no team differences", "unreliable scale")
_REASON = re.compile(r"(?:^|; )([^:;]+): ([a-z_]+) \(")


# --------------------------------------------------------------------------- ingest


def ingest_summary(results: Sequence) -> pd.DataFrame:
    """One row per ingested wave: what was read, stored and quarantined.

    Parameters
    ----------
    results : sequence of IngestResult
        As :func:`toolkit.ingest_exports` returns them.

    Returns
    -------
    DataFrame
        :data:`INGEST_COLUMNS`: ``source`` is the export's file name; ``format`` is empty
        for a wave that was already stored from the same export (status ``unchanged``);
        ``balanced`` checks rows read = rows stored + rows quarantined.

    Examples
    --------
    >>> from toolkit.ingest import IngestResult
    >>> r = IngestResult(wave="2026Q1", status="written", source="x/q_2026Q1.csv", format="qualtrics",
    ...                  rows_read=10, rows_stored=8, rows_quarantined=2)
    >>> ingest_summary([r]).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'wave': '2026Q1', 'source': 'q_2026Q1.csv', 'format': 'qualtrics', 'status': 'written',
      'rows_read': 10, 'rows_stored': 8, 'rows_quarantined': 2, 'balanced': True}]
    """
    rows = [
        (r.wave, Path(r.source).name, r.format, r.status, int(r.rows_read), int(r.rows_stored),
         int(r.rows_quarantined), bool(r.balanced))
        for r in results
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(INGEST_COLUMNS))


def quarantine_reasons(store: str | Path, *, waves: Sequence[str] | None = None) -> pd.DataFrame:
    """Quarantined rows of stored waves counted by wave, rule and column.

    Read from the store (not from an ingest's result), so it is the same whether a wave was
    ingested now or before. Each quarantined row has every reason it failed
    (``column: rule (value)``, joined by ``; ``); a row counts once under each of its rules.

    Parameters
    ----------
    store : str or Path
    waves : sequence of str, optional
        Default: every stored wave.

    Returns
    -------
    DataFrame
        ``wave``, ``rule``, ``column``, ``n_rows``; by wave, then most frequent first.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import load_survey, read_canonical, validate
    >>> from toolkit.store import store_wave
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> result = validate(read_canonical("data/sample/responses_2026Q1.csv"), survey)
    >>> with tempfile.TemporaryDirectory() as store:
    ...     _ = store_wave(store, wave="2026Q1", valid=result.valid, quarantine=result.quarantine,
    ...                    survey=survey, source_sha256="a" * 64, source_name="q1.csv")
    ...     reasons = quarantine_reasons(store)
    >>> reasons[["rule", "column", "n_rows"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'rule': 'attention_check', 'column': 'attention', 'n_rows': 15},
     {'rule': 'unique_per_wave', 'column': 'respondent', 'n_rows': 8}]
    """
    chosen = _stored(store, waves)
    rows = []
    for wave in chosen:
        quarantine = load_quarantine(store, wave)
        for reasons in quarantine["reasons"].fillna(""):
            rows.extend({(wave, rule, column) for column, rule in _REASON.findall(reasons)})
    table = pd.DataFrame(rows, columns=["wave", "rule", "column"])
    counts = table.groupby(["wave", "rule", "column"]).size().rename("n_rows").reset_index()
    counts = counts.sort_values(["wave", "n_rows", "rule", "column"], ascending=[True, False, True, True])
    return counts.reset_index(drop=True)


def screening(
    store: str | Path,
    survey: Survey,
    *,
    waves: Sequence[str] | None = None,
    min_seconds_per_item: float = 2.0,
    max_longstring: int | None = None,
) -> pd.DataFrame:
    """Careless-response flags of every row read, stored and quarantined, from the store.

    The ingest keeps each wave's valid rows and its quarantined rows (as given); together
    they are every row read. This converts the quarantined rows to canonical types and
    computes :func:`toolkit.careless_flags` on all rows of each wave, so the flags can be
    looked at (and the thresholds judged against their distribution) at any time.

    Parameters
    ----------
    store : str or Path
    survey : Survey
    waves : sequence of str, optional
        Default: every stored wave.
    min_seconds_per_item, max_longstring
        As for :func:`toolkit.careless_flags` (use the ingest's values).

    Returns
    -------
    DataFrame
        One row per row read: ``wave``, ``status`` (``stored`` or ``quarantined``),
        ``reasons`` (empty for stored rows), then the columns of
        :data:`toolkit.ingest.careless.FLAG_COLUMNS`. No respondent identifiers.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import load_survey
    >>> from toolkit.simulate import pseudonym_key
    >>> from toolkit import ingest_exports
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> with tempfile.TemporaryDirectory() as store:
    ...     done = ingest_exports("data/sample/exports", survey=survey, roster="data/sample/roster.csv",
    ...                           store=store, key=pseudonym_key(2026), waves=["2026Q1"], format="qualtrics")
    ...     rows = screening(store, survey)
    >>> len(rows) == done[0].rows_read
    True
    >>> rows.groupby("status")[["speeder", "straight_liner", "duplicate"]].sum()
                 speeder  straight_liner  duplicate
    status
    quarantined        7               8          4
    stored             0               0          0
    """
    parts = []
    for wave in _stored(store, waves):
        valid = load_waves(store, wave)
        held = load_quarantine(store, wave)
        typed, _ = to_canonical(held.drop(columns="reasons"), survey)
        stored = valid.assign(status="stored", reasons="")
        quarantined = typed.assign(status="quarantined", reasons=held["reasons"])
        rows = pd.concat([stored, quarantined], ignore_index=True)
        flags = careless_flags(
            rows, survey, min_seconds_per_item=min_seconds_per_item, max_longstring=max_longstring
        )
        parts.append(pd.concat([rows[["wave", "status", "reasons"]], flags], axis=1))
    out = pd.concat(parts, ignore_index=True)
    return out[["wave", "status", "reasons", *FLAG_COLUMNS]]


def _stored(store: str | Path, waves: Sequence[str] | None) -> list[str]:
    stored = list(manifest(store)["waves"])
    if waves is None:
        return stored
    asked = [waves] if isinstance(waves, str) else list(waves)
    absent = [w for w in asked if w not in stored]
    if absent:
        raise ValueError(f"waves {absent} are not stored; the store has {', '.join(stored)}")
    return [w for w in stored if w in asked]


# --------------------------------------------------------------------------- descriptives


def cadence_means(
    scores: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("cadence",),
    constructs: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Mean construct score per group (cadence, or wave and cadence), with a t interval.

    For the :math:`n` scores :math:`y_i` of a construct in a group, the mean
    :math:`\bar y`, the SD :math:`s` (denominator :math:`n-1`), :math:`\mathrm{se} =
    s/\sqrt n` and :math:`\bar y \pm t_{1-\alpha/2,\,n-1}\,\mathrm{se}`. The interval treats
    people as independent: it is narrower than it should be when people cluster in teams
    (use :func:`toolkit.compare_cadence` for inference). Checked against
    ``scipy.stats.ttest_1samp(y, 0).confidence_interval()`` (scipy 1.14; the same as R's
    ``t.test(y)$conf.int``).

    Parameters
    ----------
    scores : DataFrame
        Long scores (:func:`toolkit.score`): ``construct``, ``score``, ``team`` and the
        ``by`` columns.
    by : str or sequence of str, default ("cadence",)
        The grouping columns, e.g. ``("wave", "cadence")`` for trends.
    constructs : sequence of str, optional
        Default: every construct, in the order of the table.
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        ``construct``, the ``by`` columns, :data:`MEANS_COLUMNS` (``n_teams``: teams with a
        score in the group). One row per construct and observed group (categories in their
        order, other values sorted); groups without a score are left out. With :math:`n = 1`
        the SD and interval are missing.

    Raises
    ------
    ValueError
        When a column is missing, a construct is unknown, or ``alpha`` is not in (0, 1).

    Examples
    --------
    >>> s = pd.DataFrame({"construct": "depth", "team": ["a", "a", "b", "b", "c"],
    ...                   "cadence": ["weekly", "weekly", "weekly", "monthly", "monthly"],
    ...                   "score": [4.0, 3.0, 5.0, 2.0, 3.0]})
    >>> cadence_means(s).round(3)
      construct  cadence  n  n_teams  mean     sd     se  ci_low  ci_high
    0     depth  monthly  2        2   2.5  0.707  0.500  -3.853    8.853
    1     depth   weekly  3        2   4.0  1.000  0.577   1.516    6.484
    """
    keys = [by] if isinstance(by, str) else list(by)
    _alpha(alpha)
    _need(scores, ["construct", "score", "team", *keys], "scores")
    order = list(pd.unique(scores["construct"].astype("str")))
    wanted = order if constructs is None else list(constructs)
    unknown = [c for c in wanted if c not in order]
    if unknown:
        raise ValueError(f"constructs {unknown} are not in scores; it has {order}")
    data = scores.loc[scores["construct"].astype("str").isin(wanted) & scores["score"].notna()]
    data = data.assign(
        construct=pd.Categorical(data["construct"].astype("str"), categories=wanted),
        score=data["score"].astype("float64"),
    )
    grouped = data.groupby(["construct", *keys], observed=True, sort=True)
    out = grouped.agg(
        n=("score", "size"), n_teams=("team", "nunique"), mean=("score", "mean"), sd=("score", "std")
    ).reset_index()
    n = out["n"].to_numpy(float)
    out["se"] = out["sd"] / np.sqrt(n)
    with np.errstate(invalid="ignore"):
        half = stats.t.ppf(1 - alpha / 2, n - 1) * out["se"].to_numpy(float)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["construct"] = out["construct"].astype("str")
    return out[["construct", *keys, *MEANS_COLUMNS]]


def naive_comparison(
    scores: pd.DataFrame,
    *,
    outcome: str | Sequence[str],
    contrast: tuple[str, str] = ("weekly", "monthly"),
    equal_var: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""The naive comparison of two cadences: a person-level two-sample t-test, nothing adjusted.

    :math:`\hat\Delta = \bar y_a - \bar y_b` over the people reporting cadence ``a`` and
    ``b``; Welch's (default) :math:`\mathrm{se} = \sqrt{s_a^2/n_a + s_b^2/n_b}` with the
    Welch-Satterthwaite df :math:`(s_a^2/n_a + s_b^2/n_b)^2 / [(s_a^2/n_a)^2/(n_a-1) +
    (s_b^2/n_b)^2/(n_b-1)]`, or Student's pooled variance (``equal_var=True``, df
    :math:`n_a + n_b - 2`); two-sided p and the t interval. It ignores the clustering of
    people in teams (its SE is too small) and the confounders of cadence (its estimate is
    biased): shown beside :func:`toolkit.compare_cadence` to show what those do. Checked
    against ``scipy.stats.ttest_ind(a, b, equal_var=...)`` (statistic, p-value, df and
    confidence interval; scipy 1.14, as R's ``t.test(a, b, var.equal=...)``).

    Parameters
    ----------
    scores : DataFrame
        Long scores of one wave (:func:`toolkit.score`: ``construct`` and ``score``), or a
        wide table with the outcome columns; both with ``cadence`` and ``team``.
    outcome : str or sequence of str
        Constructs (long) or columns (wide).
    contrast : (str, str), default ("weekly", "monthly")
        The estimate is ``a - b``.
    equal_var : bool, default False
        Student's pooled t-test instead of Welch's.
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        One row per outcome with :data:`NAIVE_COLUMNS` (``method`` is ``naive_welch`` or
        ``naive_student``, ``cadence_source`` ``reported``; ``n_a``, ``n_b`` the people of
        each level): the columns of ``compare_cadence`` it can fill, so the two stack.

    Raises
    ------
    ValueError
        When a column or construct is missing, the table holds several waves, or a level
        has fewer than 2 people.

    Examples
    --------
    >>> d = pd.DataFrame({"team": list("aabbcc"), "depth": [4.0, 5.0, 3.0, 4.0, 2.0, 3.0],
    ...                   "cadence": ["weekly"] * 4 + ["monthly"] * 2})
    >>> r = naive_comparison(d, outcome="depth")
    >>> r[["contrast", "estimate", "se", "df", "p_val", "n_a", "n_b"]].round(3)
               contrast  estimate     se     df  p_val  n_a  n_b
    0  weekly - monthly       1.5  0.645  2.419  0.124    4    2
    """
    outcomes = [outcome] if isinstance(outcome, str) else list(outcome)
    _alpha(alpha)
    a, b = contrast
    _need(scores, ["team", "cadence"], "scores")
    if "wave" in scores.columns and scores["wave"].dropna().nunique() > 1:
        raise ValueError("scores holds several waves: compare one wave, e.g. scores[scores['wave'] == ...]")
    rows = []
    for name in outcomes:
        y, cad, team = _outcome(scores, name)
        ya, yb = (y[(cad == lv) & ~np.isnan(y)] for lv in (a, b))
        for lv, part in ((a, ya), (b, yb)):
            if len(part) < 2:
                raise ValueError(f"cadence {lv!r} has {len(part)} people with {name!r}; a t-test needs 2")
        na, nb = len(ya), len(yb)
        va, vb = ya.var(ddof=1), yb.var(ddof=1)
        if equal_var:
            df = na + nb - 2.0
            se = np.sqrt(((na - 1) * va + (nb - 1) * vb) / df * (1 / na + 1 / nb))
        else:
            qa, qb = va / na, vb / nb
            se = np.sqrt(qa + qb)
            df = (qa + qb) ** 2 / (qa**2 / (na - 1) + qb**2 / (nb - 1))
        est = float(ya.mean() - yb.mean())
        half = stats.t.ppf(1 - alpha / 2, df) * se
        used = (cad == a) | (cad == b)
        rows.append(
            (name, f"{a} - {b}", a, b, "naive_student" if equal_var else "naive_welch", "reported", est,
             float(se), float(df), est - half, est + half, float(2 * stats.t.sf(abs(est / se), df)),
             na + nb, int(pd.Series(team[used & ~np.isnan(y)]).nunique()), na, nb)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(NAIVE_COLUMNS))


def _outcome(scores: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome values, cadences and teams of each person (long scores: rows of the construct)."""
    if "construct" in scores.columns:
        rows = scores[scores["construct"].astype("str") == name]
        if rows.empty:
            known = sorted(pd.unique(scores["construct"].astype("str")))
            raise ValueError(f"{name!r} is not a construct of scores; it has {known}")
        values = rows["score"]
    elif name in scores.columns:
        rows, values = scores, scores[name]
    else:
        raise ValueError(f"{name!r} is not a column of scores; it has {list(scores.columns)}")
    y = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
    cad = rows["cadence"].astype("str").to_numpy(dtype=object, na_value=None)
    return y, cad, rows["team"].to_numpy(dtype=object)


# --------------------------------------------------------------------------- team means


def team_mean_verdict(summary: pd.DataFrame, *, cutoffs: Mapping[str, float] = CUTOFFS) -> pd.DataFrame:
    r"""Does a team's mean mean something? One verdict per construct, from :func:`measurement_summary`.

    The conventional cut-offs (:data:`toolkit.stats.measurement.CUTOFFS`, LeBreton & Senter 2008)
    applied in order, the first that holds giving the verdict:

    1. ``unreliable scale``: coefficient alpha below ``cutoffs["raw_alpha"]`` (0.70): the
       construct itself is measured too noisily to interpret any mean;
    2. ``no team differences``: ICC(1) at or below 0 (teams differ no more than chance);
    3. ``noisy``: teams differ, but ICC(2) (the reliability of a team's mean at this team
       size) is below ``cutoffs["icc2"]`` (0.70): compare groups of teams (cadences,
       divisions), do not rank single teams;
    4. ``members disagree``: the median r_wg(J) is below ``cutoffs["rwg_j"]`` (0.70): the
       mean hides disagreement within teams;
    5. ``meaningful`` otherwise.

    A statistic that is missing fails its check (it cannot support a verdict).

    ``respondents_needed`` is how many respondents a team would need for its mean to reach
    ICC(2) = ``cutoffs["icc2"]`` at this ICC(1), by the Spearman-Brown formula (Bliese 2000):
    :math:`\mathrm{ICC}(2) = k\,\mathrm{ICC}(1) / (1 + (k-1)\,\mathrm{ICC}(1))`, so
    :math:`k = \lceil t (1 - \mathrm{ICC}(1)) / (\mathrm{ICC}(1) (1 - t)) \rceil` for target
    :math:`t` (missing when ICC(1) is not positive).

    Parameters
    ----------
    summary : DataFrame
        :func:`toolkit.measurement_summary` (``construct``, ``raw_alpha``, ``icc1``,
        ``icc2``, ``rwg_j_median``; ``label`` when present).
    cutoffs : mapping
        ``raw_alpha``, ``icc2`` and ``rwg_j``.

    Returns
    -------
    DataFrame
        ``construct``, (``label``,) ``raw_alpha``, ``icc1``, ``icc2``, ``rwg_j_median``,
        ``verdict`` (one of :data:`VERDICTS`), ``reason`` (a sentence with the numbers),
        ``respondents_needed`` (nullable integer).

    Examples
    --------
    >>> m = pd.DataFrame({"construct": ["a", "b", "c"], "raw_alpha": [0.85, 0.9, 0.6],
    ...                   "icc1": [0.1, 0.3, 0.1], "icc2": [0.45, 0.8, 0.5], "rwg_j_median": [0.8, 0.9, 0.8]})
    >>> team_mean_verdict(m)[["construct", "verdict", "respondents_needed"]]
      construct           verdict  respondents_needed
    0         a             noisy                  21
    1         b        meaningful                   6
    2         c  unreliable scale                  21
    """
    _need(summary, ["construct", "raw_alpha", "icc1", "icc2", "rwg_j_median"], "summary")
    keep = [c for c in ("construct", "label", "raw_alpha", "icc1", "icc2", "rwg_j_median") if c in summary]
    out = summary[keep].reset_index(drop=True)
    stats_ = ("raw_alpha", "icc1", "icc2", "rwg_j_median")
    values = {c: out[c].to_numpy(dtype=float, na_value=np.nan) for c in stats_}
    verdicts, reasons = [], []
    for i in range(len(out)):
        alpha, icc1, icc2, rwg = (values[c][i] for c in stats_)
        if not alpha >= cutoffs["raw_alpha"]:
            verdict = "unreliable scale"
            reason = f"alpha {alpha:.2f} is below {cutoffs['raw_alpha']:.2f}"
        elif not icc1 > 0:
            verdict, reason = "no team differences", f"ICC(1) {icc1:.2f}: teams differ no more than chance"
        elif not icc2 >= cutoffs["icc2"]:
            verdict = "noisy"
            reason = (
                f"ICC(1) {icc1:.2f}: teams differ, but ICC(2) {icc2:.2f} is below {cutoffs['icc2']:.2f}: "
                "one team's mean is unreliable at this team size"
            )
        elif not rwg >= cutoffs["rwg_j"]:
            verdict = "members disagree"
            reason = f"median r_wg(J) {rwg:.2f} is below {cutoffs['rwg_j']:.2f}"
        else:
            verdict = "meaningful"
            reason = f"ICC(2) {icc2:.2f} and median r_wg(J) {rwg:.2f} reach {cutoffs['icc2']:.2f}"
        verdicts.append(verdict)
        reasons.append(reason)
    target = cutoffs["icc2"]
    icc1 = values["icc1"]
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(icc1 > 0, np.ceil(target * (1 - icc1) / (icc1 * (1 - target)) - 1e-9), np.nan)
    return out.assign(verdict=verdicts, reason=reasons, respondents_needed=pd.array(k, dtype="Int64"))


# --------------------------------------------------------------------------- helpers


def _need(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}; it has {list(table.columns)}")


def _alpha(alpha: float) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number between 0 and 1; got {alpha!r}")
