r"""Measurement invariance across groups: multi-group confirmatory factor analysis, as lavaan fits it.

Do the depth items mean the same thing to people with weekly and with monthly 1:1s? If they
do not, a difference in scores may be a difference in how the questions are read. The usual
answer is a sequence of nested multi-group CFA models (Meredith 1993; Vandenberg & Lance
2000):

- **configural**: the same items load on the same factors in every group, every parameter
  free per group;
- **metric** (weak): the loadings are equal across groups. If it holds, relationships
  (correlations, regressions) of the factors can be compared across groups;
- **scalar** (strong): loadings and item intercepts are equal. If it holds, the means of the
  factors (and of the scores) can be compared across groups.

:func:`invariance` fits them by maximum likelihood exactly as R's lavaan does with
``cfa(model, data, group=, group.equal=)`` and its defaults, and returns the fit measures of
every level with the chi-square difference to the level before. :func:`invariance_verdict`
says in one sentence, with the numbers, which comparison the data support, and by which rule;
:func:`supported_level` gives the same decision as a word. :func:`cadence_invariance` runs it
for one construct of a survey across the cadence of 1:1s the respondents reported.

Everything is computed from each group's mean vector and covariance matrix; a model is fitted
by Fisher scoring with analytic derivatives (a few milliseconds for the sample's models).

References
----------
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software, 48*(2), 1-36. (lavaan 0.6-14 is the reference implementation.)

Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
measurement invariance. *Structural Equation Modeling, 9*, 233-255.

Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance.
*Structural Equation Modeling, 14*, 464-504.

Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure
analysis. *Structural Equation Modeling, 6*, 1-55.

Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
*Psychometrika, 58*, 525-543.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.stats._sem import (
    INVARIANCE_COLUMNS,
    LEVELS,
    _check_data,
    _check_factors,
    _check_levels,
    _Fit,
    _fit,
    _groups,
    _Layout,
    _measures,
    _n_moments,
    _Spec,
    _table,
)
from toolkit.stats.scoring import item_block
from toolkit.survey import Survey

__all__ = [
    "DELTA_CFI",
    "FIT_CUTOFFS",
    "INVARIANCE_COLUMNS",
    "LEVELS",
    "SMALL_SAMPLE_DELTA_CFI",
    "cadence_invariance",
    "invariance",
    "invariance_verdict",
    "supported_level",
]

#: The levels of invariance, from the least to the most constrained.
#: The rule :func:`invariance_verdict` applies: a level holds when CFI drops by no more than
#: 0.01 from the level before (Cheung & Rensvold 2002; Chen 2007).
DELTA_CFI = -0.01
#: Chen's (2007) stricter rule for 300 respondents or fewer with unequal groups, shown beside the verdict.
SMALL_SAMPLE_DELTA_CFI = -0.005
#: Conventional cut-offs for the configural model's fit (Hu & Bentler 1999), shown beside the
#: numbers by :func:`invariance_verdict`; they do not decide its verdict.
FIT_CUTOFFS = {"cfi": 0.95, "rmsea": 0.06, "srmr": 0.08}

_SUPPORTS = {
    "scalar": "means could be compared",
    "metric": "only relationships could be compared",
    "configural": "neither means nor relationships could be compared",
}
_MISSING = ("listwise",)


# --------------------------------------------------------------------------- public API


def invariance(
    data: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    group: str,
    levels: Sequence[str] = LEVELS,
    *,
    missing: str = "listwise",
) -> pd.DataFrame:
    r"""Fit configural, metric and scalar multi-group CFA models, as ``lavaan::cfa(..., group=)``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent: the item columns (numeric, missing answers as NA) and the
        group column. Not changed.
    factors : mapping of str to sequence of str
        Factor names to their item columns, e.g. ``{"depth": ["depth_why", ...]}``. Each item
        belongs to one factor; the first item of each factor is its marker (loading fixed
        to 1). Factors covary freely.
    group : str
        The column that names each row's group. Rows without a group are left out. Groups
        are taken in order of first appearance, as lavaan takes them; the first is the
        reference group whose latent means are fixed to 0 in the scalar model.
    levels : sequence of str, default ("configural", "metric", "scalar")
        Which models to fit, in this order (any of them, in the order of :data:`LEVELS`).
    missing : {"listwise"}, keyword-only
        Rows with a missing answer to any item of the model are left out, as lavaan's
        default ``missing = "listwise"`` does. (Full-information ML is not implemented.)

    Returns
    -------
    DataFrame
        One row per level, in order, with :data:`INVARIANCE_COLUMNS`: ``level``, ``chisq``,
        ``df``, ``pvalue`` (NaN when df is 0, as lavaan's NA), ``cfi``, ``tli``, ``rmsea``,
        ``srmr``, ``aic``, ``bic``, ``n`` (complete rows used), ``delta_chisq``,
        ``delta_df`` and ``p_delta`` (the chi-square difference test against the previous
        row, as ``lavTestLRT``; NaN in the first row), and ``note``: the rows left out for a
        missing answer, the group sizes, and anything else the reader must know (a
        just-identified model, a model that did not converge, whose fit measures are then
        NaN, an improper solution).

    Raises
    ------
    TypeError
        When ``data`` is not a DataFrame, ``factors`` not a mapping of names to lists of
        column names, or an item column is not numeric.
    InputError
        When an item or the group column is not a column of ``data`` (the error names it).
    ValueError
        When a level is unknown, repeated or out of order; ``missing`` is not "listwise"; a
        factor has fewer than 2 items; an item is listed twice; fewer than 2 groups have
        rows; a group has fewer complete rows than items + 1, or its covariance matrix is
        singular (a constant item); the configural model has more parameters than moments
        (df < 0, e.g. a single factor of 2 items).

    Notes
    -----
    **Model.** In group :math:`g` the :math:`p` items :math:`x` of respondent :math:`i` follow
    :math:`x = \nu_g + \Lambda_g \eta + \varepsilon`, :math:`\eta \sim N(\alpha_g, \Phi_g)`,
    :math:`\varepsilon \sim N(0, \Theta_g)`, :math:`\Theta_g` diagonal, so

    .. math:: \Sigma_g = \Lambda_g \Phi_g \Lambda_g' + \Theta_g, \qquad
              \mu_g = \nu_g + \Lambda_g \alpha_g.

    Each item loads on one factor; the first loading of every factor is 1; :math:`\Phi_g`
    (variances and covariances of the factors), :math:`\Theta_g` and :math:`\nu_g` are free
    in every group, and :math:`\alpha_g = 0`. *Metric*: :math:`\Lambda_g = \Lambda`.
    *Scalar*: also :math:`\nu_g = \nu`, and :math:`\alpha_g` is free in every group but the
    first. These are lavaan's defaults for ``cfa(model, group=)`` with ``group.equal``
    ``"loadings"`` and ``c("loadings", "intercepts")``.

    **Estimation.** With :math:`\bar x_g` and :math:`S_g` (divisor :math:`n_g`) the mean and
    covariance of the :math:`n_g` complete rows of group :math:`g`, :math:`N = \sum_g n_g`, the
    ML discrepancy

    .. math:: F = \sum_g \frac{n_g}{N}\Bigl[\log|\Sigma_g| - \log|S_g|
              + \operatorname{tr}(S_g\Sigma_g^{-1}) - p
              + (\bar x_g - \mu_g)'\Sigma_g^{-1}(\bar x_g - \mu_g)\Bigr]

    is minimised by Fisher scoring with analytic derivatives and step halving, until a Newton
    step would lower :math:`F` by less than 1e-14; scipy's BFGS takes over if scoring stalls.
    Each level starts from the solution of the level before; if that fails, from estimates
    from the data (loadings by Hägglund's FABIN 3, as lavaan starts them, from the pooled and
    then from the first group's covariances). A model that converges nowhere is reported as
    such, without fit measures. The test statistic is :math:`\chi^2 = N \hat F` with
    :math:`df = G\,(p(p+1)/2 + p) - q`, :math:`q` the number of distinct free parameters.

    **Fit measures**, as lavaan's ``fitMeasures`` defines them. The baseline model has free
    means and variances and no covariances in every group:
    :math:`\chi^2_b = \sum_g n_g(\sum_j \log s_{g,jj} - \log|S_g|)`,
    :math:`df_b = G\,p(p-1)/2`. Then

    .. math::

        \mathrm{CFI} = 1 - \frac{\max(\chi^2 - df, 0)}{\max(\chi^2 - df, \chi^2_b - df_b, 0)},
        \qquad
        \mathrm{TLI} = 1 - \frac{(\chi^2 - df)\,df_b}{(\chi^2_b - df_b)\,df},

        \mathrm{RMSEA} = \sqrt{G}\,\sqrt{\max\Bigl(\frac{\chi^2/N}{df} - \frac1N,\ 0\Bigr)}

    (CFI = 1 when both maxima are 0, TLI = 1 and RMSEA = 0 when df = 0; TLI is not truncated
    at 1). SRMR is lavaan's default with a mean structure (Bentler's, means included): with
    :math:`s_j = \sqrt{s_{g,jj}}`,

    .. math:: \mathrm{SRMR} = \sum_g \frac{n_g}{N}\sqrt{\frac{\sum_j \bigl(\frac{\bar x_{gj}
              - \hat\mu_{gj}}{s_j}\bigr)^2 + \sum_{j \le k}\bigl(\frac{s_{g,jk} -
              \hat\sigma_{g,jk}}{s_j s_k}\bigr)^2}{p + p(p+1)/2}}.

    :math:`\mathrm{AIC} = -2\ell + 2q`, :math:`\mathrm{BIC} = -2\ell + q\log N` with the
    log-likelihood :math:`\ell = -\tfrac12\sum_g n_g[p\log 2\pi + \log|\Sigma_g| +
    \operatorname{tr}(S_g\Sigma_g^{-1}) + (\bar x_g - \mu_g)'\Sigma_g^{-1}(\bar x_g - \mu_g)]`.
    The difference test of a level against the one before is
    :math:`\Delta\chi^2 = \chi^2 - \chi^2_{prev}` on :math:`\Delta df` degrees of freedom
    (``lavTestLRT``'s standard test).

    The chi-square statistics and their p-values assume independent respondents and
    multivariate normal answers. Answers from the same team are not independent, and
    5-point answers are not normal: read the p-values as approximate (lavaan's
    ``estimator = "MLR"`` with ``cluster =`` would correct both; it is not implemented here).

    Checked against R 4.2.2 with lavaan 0.6-14 (``fitMeasures(fit, c("chisq", "df",
    "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"))`` and ``lavTestLRT``) on
    lavaan's HolzingerSwineford1939 (3 factors, 2 schools), on constructs of the sample
    organisation across cadence, on a just-identified 3-item factor with unequal groups, on a
    Heywood case and on a marker that barely loads (``tests/reference/invariance``): every
    number within 1e-3 (in fact within 1e-6). On some data where lavaan's default optimiser
    reports no convergence, this function finds a minimum (with a positive-definite Hessian
    in the cases examined) and reports it.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> data = toolkit.item_block(valid, survey, "availability").assign(cadence=valid["cadence"])
    >>> data = data[data["cadence"].isin(["weekly", "monthly"])]
    >>> table = invariance(data, {"availability": list(data.columns[:4])}, "cadence")
    >>> table[["level", "chisq", "df", "cfi", "rmsea", "delta_chisq", "p_delta"]].round(3)
            level   chisq  df    cfi  rmsea  delta_chisq  p_delta
    0  configural   2.434   4  1.000  0.000          NaN      NaN
    1      metric   9.914   7  0.981  0.084        7.480    0.058
    2      scalar  10.533  10  0.997  0.030        0.619    0.892
    >>> table["note"].iloc[0]
    'listwise: 15 of 133 rows with a missing answer left out; groups (complete rows): monthly 50, weekly 68'
    """
    levels = _check_levels(levels)
    if missing not in _MISSING:
        raise ValueError(
            f"missing must be one of {', '.join(map(repr, _MISSING))} (full-information ML is not "
            f"implemented); got {missing!r}"
        )
    items, member, names = _check_factors(factors)
    _check_data(data, items, group)
    groups = _groups(data, items, group)
    m = len(names)
    marker = np.zeros(len(items), dtype=bool)
    marker[[member.tolist().index(j) for j in range(m)]] = True
    spec = _Spec(items=items, factors=names, member=member, marker=marker)
    config = _Layout.build(spec, len(groups.labels), "configural")
    df0 = len(groups.labels) * _n_moments(len(items)) - config.q
    if df0 < 0:
        raise ValueError(
            f"factors: the configural model has {config.q} free parameters but only "
            f"{len(groups.labels) * _n_moments(len(items))} means, variances and covariances (df {df0}): "
            f"it is not identified (lavaan fits it anyway, gives no chi-square and warns that it cannot "
            f"compute standard errors). A factor of 2 items is identified only when it covaries with "
            f"another factor; give a single factor at least 3 items"
        )
    rows = []
    previous: _Fit | None = None
    for level in levels:
        fit = _fit(spec, groups, level, previous)
        rows.append(_measures(fit, groups))
        if fit.converged:
            previous = fit
    return _table(rows, groups)


def supported_level(table: pd.DataFrame, *, delta_cfi: float = DELTA_CFI) -> str:
    """The most constrained level that holds by the rule ΔCFI ≥ ``delta_cfi`` (as a word).

    Parameters
    ----------
    table : DataFrame
        From :func:`invariance` (or :func:`cadence_invariance`), with the configural and
        metric rows at least.
    delta_cfi : float, default -0.01
        The largest drop of CFI from one level to the next that still counts as invariant
        (Cheung & Rensvold 2002; Chen 2007).

    Returns
    -------
    str
        ``"scalar"`` (means can be compared), ``"metric"`` (relationships can be compared,
        means cannot; also when the scalar row is absent and metric holds),
        ``"configural"`` (neither: only the pattern of loadings is shared) or
        ``"undetermined"`` (a model that decides did not converge).

    Raises
    ------
    TypeError, InputError, ValueError
        As :func:`invariance_verdict`.

    Examples
    --------
    >>> t = pd.DataFrame({"level": ["configural", "metric", "scalar"], "cfi": [0.99, 0.985, 0.96]})
    >>> supported_level(t)
    'metric'
    """
    return _decide(_check_table(table, ("level", "cfi")), delta_cfi)[0]


def invariance_verdict(table: pd.DataFrame, *, delta_cfi: float = DELTA_CFI) -> str:
    r"""One plain sentence: can means, or only relationships, be compared across the groups?

    The rule (Cheung & Rensvold 2002; Chen 2007): a level holds when CFI drops by no more than
    0.01 from the level before (ΔCFI ≥ −0.01); metric invariance supports comparing
    relationships (correlations, regressions), scalar invariance also comparing means. The
    sentence names the rule and shows, for each step, ΔCFI with the chi-square difference test
    beside it (which is not applied: with hundreds of respondents it rejects trivial
    differences, and it assumes independent respondents). It also shows the configural
    model's CFI, RMSEA and SRMR beside Hu & Bentler's (1999) conventions (:data:`FIT_CUTOFFS`),
    and warns when the configural model misses them, since invariance of a model that fits
    badly means little. With 300 respondents or fewer it adds what Chen's (2007) stricter rule
    for small, unequal groups (ΔCFI ≥ −0.005, :data:`SMALL_SAMPLE_DELTA_CFI`) would conclude.
    Partial invariance (freeing some loadings or intercepts) is not considered.

    Parameters
    ----------
    table : DataFrame
        From :func:`invariance` (or :func:`cadence_invariance`, whose ``groups`` column
        names the groups in the sentence), with the configural and metric rows at least.
    delta_cfi : float, default -0.01
        The rule's threshold (a number between -1 and 0); the sentence states it.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        When ``table`` is not a DataFrame.
    InputError
        When a column of :data:`INVARIANCE_COLUMNS` is missing.
    ValueError
        When the configural or metric row is missing, or ``delta_cfi`` is not between -1
        and 0.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "level": ["configural", "metric", "scalar"], "chisq": [7.5, 9.0, 11.9], "df": [10, 14, 18],
    ...     "pvalue": [0.67, 0.83, 0.85], "cfi": [1.0, 1.0, 1.0], "tli": [1.03, 1.04, 1.04],
    ...     "rmsea": [0.0, 0.0, 0.0], "srmr": [0.028, 0.044, 0.051], "aic": 0.0, "bic": 0.0, "n": 320,
    ...     "delta_chisq": [np.nan, 1.45, 2.92], "delta_df": [np.nan, 4, 4],
    ...     "p_delta": [np.nan, 0.835, 0.571], "note": ""})
    >>> print(invariance_verdict(t))
    Means can be compared across the groups: scalar invariance holds by the rule ΔCFI ≥ −0.01 between successive levels (Cheung & Rensvold 2002; Chen 2007). Metric vs configural: ΔCFI = +0.000 (Δχ²(4) = 1.45, p = 0.835); scalar vs metric: ΔCFI = +0.000 (Δχ²(4) = 2.92, p = 0.571). Configural model: CFI 1.000, RMSEA 0.000, SRMR 0.028, within the conventions CFI ≥ 0.95, RMSEA ≤ 0.06, SRMR ≤ 0.08 (Hu & Bentler 1999). The Δχ² p-values are shown, not applied.
    """  # noqa: E501
    table = _check_table(table, INVARIANCE_COLUMNS[:-1])
    if not (isinstance(delta_cfi, int | float) and -1 < delta_cfi <= 0):
        raise ValueError(f"delta_cfi must be a number between -1 and 0, like -0.01; got {delta_cfi!r}")
    level, why = _decide(table, delta_cfi)
    rows = table.set_index("level")
    where = "the groups"
    if "groups" in table.columns and isinstance(table["groups"].iloc[0], str):
        where = _and(table["groups"].iloc[0].split(", "))
    rule = (
        f"by the rule ΔCFI ≥ {'−' if delta_cfi < 0 else ''}{abs(delta_cfi):g} between successive levels "
        f"(Cheung & Rensvold 2002; Chen 2007)"
    )
    head = {
        "scalar": f"Means can be compared across {where}: scalar invariance holds {rule}.",
        "metric": (
            f"Only relationships can be compared across {where}, not means: metric invariance holds "
            f"but scalar invariance does not, {rule}."
            if "scalar" in rows.index
            else f"Relationships can be compared across {where}: metric invariance holds {rule}; "
            f"means were not tested (no scalar model)."
        ),
        "configural": (
            f"Neither means nor relationships can be compared across {where}: metric invariance "
            f"does not hold {rule}."
        ),
        "undetermined": f"Invariance across {where} cannot be judged: {why}.",
    }[level]
    steps = []
    for prev, cur in itertools.pairwise([lv for lv in LEVELS if lv in rows.index]):
        a, b = rows.loc[prev], rows.loc[cur]
        test = (
            f"Δχ²({_int(b['delta_df'])}) = {b['delta_chisq']:.2f}, {_p(b['p_delta'])}"
            if np.isfinite(b["delta_chisq"])
            else "no Δχ² test"
        )
        change = b["cfi"] - a["cfi"]
        # a change that rounds to the threshold is shown with one more digit, so the verdict can be seen
        digits = 4 if np.isfinite(change) and round(change, 3) == round(delta_cfi, 3) else 3
        steps.append(f"{cur} vs {prev}: ΔCFI = {_signed(change, digits)} ({test})")
    parts = [head]
    if steps:
        parts.append(_capital("; ".join(steps)) + ".")
    parts.append(_configural_sentence(rows.loc["configural"]))
    n = rows.loc["configural", "n"]
    if n <= 300 and delta_cfi < SMALL_SAMPLE_DELTA_CFI and level != "undetermined":
        strict = _decide(table, SMALL_SAMPLE_DELTA_CFI)[0]
        parts.append(
            f"With {_int(n)} respondents (300 or fewer) and unequal groups, Chen (2007) proposes the "
            f"stricter ΔCFI ≥ −0.005; by it {_SUPPORTS[strict]}."
        )
    if level in ("metric", "configural"):
        parts.append("Partial invariance (freeing some loadings or intercepts) is not examined.")
    parts.append("The Δχ² p-values are shown, not applied.")
    return " ".join(parts)


def cadence_invariance(
    responses: pd.DataFrame,
    survey: Survey,
    construct: str,
    *,
    levels_of_cadence: Sequence[str] | None = ("weekly", "monthly"),
    wave: str | None = None,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """Invariance of one construct's items across the cadence of 1:1s the respondents reported.

    Builds the construct's item block with :func:`toolkit.item_block` (not-applicable codes
    missing, reverse-keyed items reversed), groups the respondents by the survey's cadence
    item and calls :func:`invariance` with the construct as a single factor (its first item
    the marker), missing answers left out listwise.

    Parameters
    ----------
    responses : DataFrame
        Canonical responses (``toolkit.validate(...).valid``) of one wave.
    survey : Survey
    construct : str
        A construct id of ``survey`` with at least 3 items.
    levels_of_cadence : sequence of str or None, default ("weekly", "monthly")
        The cadences to compare (codes of the cadence scale), each a group; ``None`` takes
        every code of the scale (the five: weekly, biweekly, monthly, less than monthly,
        none). The first is the reference group.
    wave : str, optional
        The wave to use when ``responses`` holds several (a respondent answering in several
        waves would otherwise count as several independent people).
    levels : sequence of str, default ("configural", "metric", "scalar")
        As for :func:`invariance`.

    Returns
    -------
    DataFrame
        ``construct``, ``groups`` (the cadences compared, e.g. ``"weekly, monthly"``), then
        :data:`INVARIANCE_COLUMNS`; the note also says that respondents are treated as
        independent although they cluster in teams. Pass it to :func:`invariance_verdict`.

    Raises
    ------
    TypeError, InputError, ValueError
        As :func:`invariance` and :func:`toolkit.item_block`; ValueError also when the
        survey has no cadence item, a cadence is not a code of its scale or is repeated,
        fewer than 2 cadences are given, ``responses`` holds several waves and ``wave`` is
        not given, or ``wave`` is not in it.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> table = cadence_invariance(valid, survey, "depth")
    >>> table[["groups", "level", "chisq", "df", "cfi", "rmsea", "srmr"]].round(3)
                groups       level   chisq  df  cfi  rmsea   srmr
    0  weekly, monthly  configural   7.548  10  1.0    0.0  0.028
    1  weekly, monthly      metric   8.999  14  1.0    0.0  0.044
    2  weekly, monthly      scalar  11.918  18  1.0    0.0  0.051
    >>> supported_level(table)
    'scalar'
    """
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a DataFrame, got {type(responses).__name__}")
    item = survey.role_item("cadence")
    if item is None:
        raise ValueError(
            f"survey {survey.id!r} has no item with role 'cadence': there is no cadence to compare"
        )
    codes = list(survey.scales[item.scale].allowed)
    chosen = codes if levels_of_cadence is None else _check_cadences(levels_of_cadence, codes)
    if item.id not in responses.columns:
        raise InputError(f"responses has no column {item.id!r} (the cadence item)", column=item.id)
    rows = _one_wave(responses, wave)
    block = item_block(rows, survey, construct)
    cadence = rows[item.id].astype("object").where(rows[item.id].notna(), None)
    keep = cadence.isin(chosen).to_numpy()
    data = block.loc[keep].copy()
    data[item.id] = pd.Categorical(cadence[keep], categories=chosen)
    data = data.sort_values(item.id, kind="stable")  # the first cadence is the reference group
    table = invariance(data, {construct: list(block.columns)}, item.id, levels)
    table["note"] = table["note"] + (
        "; respondents treated as independent (they cluster in teams, so the p-values are likely too small)"
    )
    table.insert(0, "groups", ", ".join(c for c in chosen if c in set(data[item.id])))
    table.insert(0, "construct", construct)
    return table


# --------------------------------------------------------------------------- verdict


def _check_table(table: pd.DataFrame, need: Sequence[str]) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be the DataFrame of toolkit.invariance, got {type(table).__name__}")
    for col in need:
        if col not in table.columns:
            raise InputError(
                f"table has no column {col!r}; pass the result of toolkit.invariance", column=col
            )
    levels = list(table["level"])
    for lv in ("configural", "metric"):
        if lv not in levels:
            raise ValueError(
                f"table must hold the configural and metric rows of toolkit.invariance; got levels {levels}"
            )
    return table


def _decide(table: pd.DataFrame, delta_cfi: float) -> tuple[str, str]:
    cfi = table.set_index("level")["cfi"].astype("float64")

    def holds(level: str, before: str) -> bool:  # a change of exactly the threshold holds (≥)
        return cfi[level] - cfi[before] >= delta_cfi - 1e-12

    for lv in ("configural", "metric"):
        if not np.isfinite(cfi[lv]):
            return "undetermined", f"the {lv} model did not converge"
    if not holds("metric", "configural"):
        return "configural", ""
    if "scalar" not in cfi.index:
        return "metric", ""
    if not np.isfinite(cfi["scalar"]):
        return "undetermined", "the scalar model did not converge"
    return ("scalar", "") if holds("scalar", "metric") else ("metric", "")


def _configural_sentence(row: pd.Series) -> str:
    if not np.isfinite(row["cfi"]):
        return "The configural model did not converge."
    if row["df"] == 0:
        return "The configural model is just identified (df 0): its own fit cannot be tested."
    fit = f"CFI {row['cfi']:.3f}, RMSEA {row['rmsea']:.3f}, SRMR {row['srmr']:.3f}"
    rule = (
        f"CFI ≥ {FIT_CUTOFFS['cfi']:.2f}, RMSEA ≤ {FIT_CUTOFFS['rmsea']:.2f}, "
        f"SRMR ≤ {FIT_CUTOFFS['srmr']:.2f} (Hu & Bentler 1999)"
    )
    misses = [
        name
        for name, bad in (
            ("CFI", row["cfi"] < FIT_CUTOFFS["cfi"]),
            ("RMSEA", row["rmsea"] > FIT_CUTOFFS["rmsea"]),
            ("SRMR", row["srmr"] > FIT_CUTOFFS["srmr"]),
        )
        if bad
    ]
    if not misses:
        return f"Configural model: {fit}, within the conventions {rule}."
    return (
        f"Configural model: {fit}; {_and(misses)} outside the conventions {rule}, so even the shared "
        f"pattern of loadings fits loosely and the invariance steps compare loosely fitting models."
    )


def _signed(x: float, digits: int) -> str:
    text = f"{abs(x):.{digits}f}"
    return ("−" if x < 0 and float(text) != 0 else "+") + text


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _int(x: float) -> str:
    return str(round(float(x)))


def _and(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- cadence


def _check_cadences(chosen: Sequence[str], codes: list[str]) -> list[str]:
    if isinstance(chosen, str) or not pd.api.types.is_list_like(chosen):
        raise TypeError(f"levels_of_cadence must be a list of cadence codes or None; got {chosen!r}")
    chosen = list(chosen)
    bad = [c for c in chosen if c not in codes]
    if bad:
        raise ValueError(
            f"levels_of_cadence must be codes of the cadence scale ({', '.join(codes)}); got {bad[0]!r}"
        )
    if len(set(chosen)) != len(chosen) or len(chosen) < 2:
        raise ValueError(f"levels_of_cadence must name at least 2 distinct cadences; got {list(chosen)}")
    return list(chosen)


def _one_wave(responses: pd.DataFrame, wave: str | None) -> pd.DataFrame:
    if "wave" not in responses.columns:
        if wave is not None:
            raise InputError("responses has no column 'wave', so wave= cannot choose one", column="wave")
        return responses
    waves = list(pd.unique(responses["wave"].dropna()))
    if wave is None:
        if len(waves) > 1:
            raise ValueError(
                f"responses hold {len(waves)} waves ({', '.join(map(str, waves))}); pass wave= to choose one "
                f"(a respondent answering in several waves would count as several independent people)"
            )
        return responses
    if wave not in waves:
        raise ValueError(
            f"wave must be one of the waves in responses ({', '.join(map(str, waves))}); got {wave!r}"
        )
    return responses[responses["wave"] == wave]
