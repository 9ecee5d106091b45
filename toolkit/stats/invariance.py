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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from toolkit.errors import InputError
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
LEVELS = ("configural", "metric", "scalar")
#: The columns of :func:`invariance`, in order.
INVARIANCE_COLUMNS = (
    "level",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "aic",
    "bic",
    "n",
    "delta_chisq",
    "delta_df",
    "p_delta",
    "note",
)
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
_GROUP_EQUAL = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
_MISSING = ("listwise",)
_GTOL = 1e-9  # largest |gradient| of the ML discrepancy F (not of the chi-square N F) at convergence
_DECREMENT = 1e-14  # or: a Newton step would lower F by less than this (scale free, unlike the gradient)
_MAX_ITER = 200  # Fisher scoring; it needs 10 to 60 on well-identified models
_DIVERGED = 1e6  # a parameter this large means the iterations run off to infinity
_ALL_EQUAL_TOL = 1.5e-8  # R's all.equal tolerance, used by lavaan's CFI


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


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Spec:
    items: tuple[str, ...]
    factors: tuple[str, ...]
    member: np.ndarray  # factor index of each item
    marker: np.ndarray  # True for the first item of each factor


@dataclass(frozen=True)
class _Groups:
    labels: tuple[str, ...]
    n: np.ndarray  # (G,) complete rows
    mean: np.ndarray  # (G, p)
    cov: np.ndarray  # (G, p, p), divisor n_g
    logdet: np.ndarray  # (G,) log|S_g|
    n_rows: int  # rows with a group
    n_incomplete: int  # of those, rows left out for a missing answer
    n_no_group: int  # rows without a group


def _check_levels(levels: Sequence[str]) -> tuple[str, ...]:
    if isinstance(levels, str) or not isinstance(levels, Sequence):
        raise TypeError(f"levels must be a sequence of level names like {LEVELS}; got {levels!r}")
    levels = tuple(levels)
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise ValueError(f"levels must be among {', '.join(LEVELS)}; got unknown {unknown[0]!r}")
    if not levels:
        raise ValueError(f"levels must name at least one of {', '.join(LEVELS)}; got none")
    if len(set(levels)) != len(levels) or list(levels) != sorted(levels, key=LEVELS.index):
        raise ValueError(
            f"levels must be distinct and in the order {', '.join(LEVELS)} (each is compared with the "
            f"one before); got {', '.join(levels)}"
        )
    return levels


def _check_factors(factors: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], np.ndarray, tuple]:
    if not isinstance(factors, Mapping) or not factors:
        raise TypeError(
            f"factors must be a non-empty mapping of factor names to item columns, like "
            f"{{'depth': ['depth_why', 'depth_growth', 'depth_how_work']}}; got {factors!r}"
        )
    items: list[str] = []
    member: list[int] = []
    seen: dict[str, str] = {}
    for j, (name, cols) in enumerate(factors.items()):
        if isinstance(cols, str) or not pd.api.types.is_list_like(cols):
            raise TypeError(f"factors[{name!r}] must be a list of item columns; got {cols!r}")
        cols = list(cols)
        if len(cols) < 2:
            raise ValueError(
                f"factors[{name!r}] must have at least 2 items; got {len(cols)}. A factor of one item is "
                f"not a factor. lavaan accepts a factor of 2 items but identifies it only through its "
                f"covariance with another factor: alone, a 2-item factor has one parameter more than "
                f"the data have moments in each group (lavaan reports df -2 for two groups, no "
                f"chi-square, and warns that the model may not be identified); use 3 or more"
            )
        for col in cols:
            if col in seen:
                where = f"twice under {name!r}" if seen[col] == name else f"under {seen[col]!r} and {name!r}"
                raise ValueError(
                    f"factors: item {col!r} is listed {where}; each item must load on one factor, once"
                )
            seen[col] = name
            items.append(col)
            member.append(j)
    return tuple(items), np.array(member), tuple(factors)


def _check_data(data: pd.DataFrame, items: tuple[str, ...], group: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    if not isinstance(group, str):
        raise TypeError(f"group must be a column name (str); got {group!r}")
    for col in (*items, group):
        if col not in data.columns:
            what = "the group column" if col == group else "an item of factors"
            raise InputError(f"data has no column {col!r} ({what})", column=col)
    if group in items:
        raise ValueError(f"group {group!r} is also an item of factors; the group must be another column")
    for col in items:
        dtype = data[col].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise TypeError(f"item column {col!r} must be numeric (answer codes or scores); got {dtype}")


def _groups(data: pd.DataFrame, items: tuple[str, ...], group: str) -> _Groups:
    x = data[list(items)].astype("float64").to_numpy(na_value=np.nan)
    if np.isinf(x).any():
        col = items[int(np.flatnonzero(np.isinf(x).any(axis=0))[0])]
        raise ValueError(f"item column {col!r} holds an infinite value; answers must be finite numbers")
    g = data[group]
    has_group = g.notna().to_numpy()
    complete = has_group & ~np.isnan(x).any(axis=1)
    labels = pd.unique(g[has_group].astype("object"))
    if len(labels) < 2:
        raise ValueError(
            f"group column {group!r} must hold at least 2 groups to compare; got {len(labels)}"
            + (f" ({labels[0]!r})" if len(labels) else "")
        )
    p = len(items)
    n, mean, cov, logdet = [], [], [], []
    codes = g.to_numpy(dtype=object)
    for lab in labels:
        rows = x[complete & (codes == lab)]
        if len(rows) < p + 1:
            raise ValueError(
                f"group {lab!r} of column {group!r} has {len(rows)} complete rows; at least {p + 1} "
                f"(items + 1) are needed for its covariance matrix to be positive definite"
            )
        mu = rows.mean(axis=0)
        s = (rows - mu).T @ (rows - mu) / len(rows)
        var = np.diag(s)
        if (var <= 0).any():
            item = items[int(np.flatnonzero(var <= 0)[0])]
            raise ValueError(
                f"group {lab!r} of column {group!r}: item {item!r} has the same answer in all "
                f"{len(rows)} complete rows, so the covariance matrix is singular and the model cannot "
                f"be fitted (lavaan stops there too)"
            )
        if np.linalg.eigvalsh(s / np.sqrt(np.outer(var, var))).min() < 1e-10:
            raise ValueError(
                f"group {lab!r} of column {group!r}: the covariance matrix of the items is singular "
                f"(some items are linear combinations of others), so the model cannot be fitted"
            )
        ld = float(np.linalg.slogdet(s)[1])
        n.append(len(rows))
        mean.append(mu)
        cov.append(s)
        logdet.append(ld)
    return _Groups(
        labels=tuple(str(lab) for lab in labels),
        n=np.array(n, dtype=np.int64),
        mean=np.array(mean),
        cov=np.array(cov),
        logdet=np.array(logdet),
        n_rows=int(has_group.sum()),
        n_incomplete=int(has_group.sum() - complete.sum()),
        n_no_group=int((~has_group).sum()),
    )


def _n_moments(p: int) -> int:
    return p * (p + 1) // 2 + p


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Layout:
    """Where each free parameter sits: index into theta, or -1 for a fixed value."""

    spec: _Spec
    level: str
    lam: np.ndarray  # (G, p) loading of item i on its factor; -1 for markers (fixed 1)
    phi: np.ndarray  # (G, m, m) factor (co)variances, symmetric, all free
    th: np.ndarray  # (G, p) residual variances
    nu: np.ndarray  # (G, p) intercepts
    al: np.ndarray  # (G, m) latent means; -1 means fixed at 0
    q: int

    @classmethod
    def build(cls, spec: _Spec, n_groups: int, level: str) -> _Layout:
        p, m, G = len(spec.items), len(spec.factors), n_groups
        count = itertools.count()
        equal = _GROUP_EQUAL[level]

        def block(shape: tuple[int, ...], shared: bool) -> np.ndarray:
            if shared:
                one = np.array([next(count) for _ in range(int(np.prod(shape)))]).reshape(shape)
                return np.broadcast_to(one, (G, *shape)).copy()
            return np.array([next(count) for _ in range(G * int(np.prod(shape)))]).reshape((G, *shape))

        free = np.flatnonzero(~spec.marker)
        lam = np.full((G, p), -1)
        lam[:, free] = block((len(free),), "loadings" in equal)
        tri = np.tril_indices(m)
        phi = np.full((G, m, m), -1)
        vals = block((len(tri[0]),), False)
        phi[:, tri[0], tri[1]] = vals
        phi[:, tri[1], tri[0]] = vals
        th = block((p,), False)
        nu = block((p,), "intercepts" in equal)
        al = np.full((G, m), -1)
        if "intercepts" in equal:
            al[1:] = block((m,), False)[1:]
        used = np.unique(np.concatenate([a[a >= 0] for a in (lam, phi, th, nu, al)]))
        remap = np.full(next(count), -1)
        remap[used] = np.arange(len(used))
        lam, phi, th, nu, al = (np.where(a >= 0, remap[a], -1) for a in (lam, phi, th, nu, al))
        return cls(spec=spec, level=level, lam=lam, phi=phi, th=th, nu=nu, al=al, q=len(used))

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Lambda (G, p, m), Phi (G, m, m), theta (G, p), nu (G, p), alpha (G, m) of every group."""
        G, p = self.th.shape
        lam = np.zeros((G, p, len(self.spec.factors)))
        lam[:, np.arange(p), self.spec.member] = np.where(self.lam >= 0, theta[self.lam], 1.0)
        al = np.where(self.al >= 0, theta[self.al], 0.0)
        return lam, theta[self.phi], theta[self.th], theta[self.nu], al

    def implied(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sigma (G, p, p) and mu (G, p) of every group."""
        lam, phi, th, nu, al = self.matrices(theta)
        sigma = lam @ phi @ lam.transpose(0, 2, 1)
        sigma[:, np.arange(th.shape[1]), np.arange(th.shape[1])] += th
        return sigma, nu + np.einsum("gpm,gm->gp", lam, al)

    def pack(self, parts: list[tuple[np.ndarray, ...]], weights: np.ndarray) -> np.ndarray:
        """theta from per-group (Lambda, Phi, theta, nu, alpha): a weighted mean where shared."""
        num, den = np.zeros(self.q), np.zeros(self.q)
        for g, (lam, phi, th, nu, al) in enumerate(parts):  # one tuple per group
            loading = lam[np.arange(len(self.spec.items)), self.spec.member]
            for idx, val in ((self.lam[g], loading), (self.phi[g], phi), (self.th[g], th)):
                self._add(num, den, idx, val, weights[g])
            self._add(num, den, self.nu[g], nu, weights[g])
            self._add(num, den, self.al[g], al, weights[g])
        return num / den

    @staticmethod
    def _add(num: np.ndarray, den: np.ndarray, idx: np.ndarray, val: np.ndarray, w: float) -> None:
        ok = idx >= 0
        np.add.at(num, idx[ok], w * val[ok])
        np.add.at(den, idx[ok], w)


@dataclass(frozen=True)
class _Fit:
    layout: _Layout
    theta: np.ndarray
    fmin: float  # the ML discrepancy F at the solution
    converged: bool
    iterations: int


def _discrepancy(layout: _Layout, groups: _Groups, theta: np.ndarray) -> float:
    """The ML discrepancy F of theta (inf where an implied covariance matrix is not positive definite)."""
    sigma, mu = layout.implied(theta)
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    inv = np.linalg.inv(sigma)
    d = groups.mean - mu
    f = (
        logdet
        - groups.logdet
        + np.einsum("gij,gji->g", groups.cov, inv)
        - sigma.shape[1]
        + np.einsum("gi,gij,gj->g", d, inv, d)
    )
    return float(groups.n @ f / groups.n.sum())


def _derivatives(layout: _Layout, groups: _Groups, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of F and its expected second derivatives (the Fisher information of F)."""
    spec, q = layout.spec, layout.q
    G, p = layout.th.shape
    m = len(spec.factors)
    w = groups.n / groups.n.sum()
    lam, phi, th, nu, al = layout.matrices(theta)
    sigma = lam @ phi @ lam.transpose(0, 2, 1)
    sigma[:, np.arange(p), np.arange(p)] += th
    inv = np.linalg.inv(sigma)
    inv = (inv + inv.transpose(0, 2, 1)) / 2
    d = groups.mean - nu - np.einsum("gpm,gm->gp", lam, al)
    a = np.einsum("gij,gj->gi", inv, d)
    # dF/dSigma and dF/dmu of every group
    g_sigma = inv - inv @ groups.cov @ inv - a[:, :, None] * a[:, None, :]
    g_mu = -2.0 * a
    # derivatives of Sigma (G, q, p, p) and mu (G, q, p) with respect to every parameter
    d_sigma = np.zeros((G, q, p, p))
    d_mu = np.zeros((G, q, p))
    gi, ii = np.nonzero(layout.lam >= 0)
    kk, jj = layout.lam[gi, ii], spec.member[ii]
    lp = (lam @ phi)[gi, :, jj]  # (n, p): column j of Lambda Phi
    d_sigma[gi, kk, ii, :] += lp
    d_sigma[gi, kk, :, ii] += lp
    d_mu[gi, kk, ii] += al[gi, jj]
    groups_ = np.arange(G)
    for j, l_ in zip(*np.tril_indices(m), strict=True):
        outer = lam[:, :, j, None] * lam[:, None, :, l_]
        d_sigma[groups_, layout.phi[:, j, l_]] += outer if j == l_ else outer + outer.transpose(0, 2, 1)
    gg, ii = np.indices((G, p)).reshape(2, -1)
    d_sigma[gg, layout.th[gg, ii], ii, ii] += 1.0
    d_mu[gg, layout.nu[gg, ii], ii] += 1.0
    gi, jj = np.nonzero(layout.al >= 0)
    d_mu[gi, layout.al[gi, jj]] += lam[gi, :, jj]
    grad = np.einsum("g,gkij,gij->k", w, d_sigma, g_sigma) + np.einsum("g,gkp,gp->k", w, d_mu, g_mu)
    # E[d2F/dk dl] = sum_g w_g [tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l) + 2 dmu_k' Sigma^-1 dmu_l]
    a_k = inv[:, None] @ d_sigma  # (G, q, p, p): Sigma^-1 dSigma_k
    x = (w[:, None, None, None] * a_k).reshape(G, q, p * p)
    y = a_k.transpose(0, 1, 3, 2).reshape(G, q, p * p)
    info = (x @ y.transpose(0, 2, 1)).sum(axis=0)
    info += 2.0 * ((w[:, None, None] * d_mu) @ inv @ d_mu.transpose(0, 2, 1)).sum(axis=0)
    return grad, info


def _fit(spec: _Spec, groups: _Groups, level: str, previous: _Fit | None) -> _Fit:
    """Fit one level: from the previous level's solution, and from the data when that fails."""
    layout = _Layout.build(spec, len(groups.labels), level)
    sources: list[_Fit | str] = [] if previous is None else [previous]
    sources += ["pooled", "first"] if "loadings" in _GROUP_EQUAL[level] else ["groups"]
    best: _Fit | None = None
    for source in sources:
        fit = _optimise(layout, groups, _start(layout, groups, source))
        if best is None or (fit.converged, -fit.fmin) > (best.converged, -best.fmin):
            best = fit
        if fit.converged:
            break
    return best


def _optimise(layout: _Layout, groups: _Groups, theta: np.ndarray) -> _Fit:
    """Fisher scoring with step halving; scipy's BFGS takes over when scoring stalls."""
    f = _discrepancy(layout, groups, theta)
    converged = diverged = False
    it = 0
    for it in range(1, _MAX_ITER + 1):  # noqa: B007 (the count is reported)
        grad, info = _derivatives(layout, groups, theta)
        step = _solve(info, grad)
        slope = float(grad @ step)  # the Newton decrement: about twice F minus its minimum
        if np.max(np.abs(grad)) < _GTOL or 0 <= slope < _DECREMENT:
            converged = True
            break
        t = 1.0
        for _ in range(40):
            new = theta - t * step
            f_new = _discrepancy(layout, groups, new)
            if np.isfinite(f_new) and f_new <= f - 1e-4 * t * max(slope, 0.0):
                break
            t /= 2
        else:
            break
        stalled = f - f_new < 1e-15 and np.max(np.abs(theta - new)) < 1e-12
        theta, f = new, f_new
        if stalled:
            converged = _stationary(layout, groups, theta)
            break
        if np.max(np.abs(theta)) > _DIVERGED:  # off along a ridge: a marker that barely loads
            diverged = True
            break
    if not converged and not diverged:  # scipy's BFGS from where scoring stopped
        res = optimize.minimize(
            lambda t: min(_discrepancy(layout, groups, t), 1e10),
            theta,
            jac=lambda t: _safe_gradient(layout, groups, t),
            method="BFGS",
            options={"gtol": _GTOL, "maxiter": 300},
        )
        if np.isfinite(res.fun) and res.fun <= f:
            theta, f = res.x, float(res.fun)
        converged = _stationary(layout, groups, theta)
    return _Fit(layout=layout, theta=theta, fmin=max(f, 0.0), converged=bool(converged), iterations=it)


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, grad)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, grad, rcond=None)[0]


def _stationary(layout: _Layout, groups: _Groups, theta: np.ndarray) -> bool:
    """Converged, less strictly than the scoring loop asks: F is within 1e-10 of a minimum."""
    if not np.isfinite(_discrepancy(layout, groups, theta)):
        return False
    grad, info = _derivatives(layout, groups, theta)
    return bool(np.max(np.abs(grad)) < 1e-6 or 0 <= grad @ _solve(info, grad) < 1e-10)


def _safe_gradient(layout: _Layout, groups: _Groups, theta: np.ndarray) -> np.ndarray:
    if not np.isfinite(_discrepancy(layout, groups, theta)):  # outside the admissible region
        return np.zeros(layout.q)
    return _derivatives(layout, groups, theta)[0]


def _start(layout: _Layout, groups: _Groups, source: _Fit | str) -> np.ndarray:
    """Starting values: a previous level's solution, or estimates from the data.

    From the data, loadings are estimated in each group (``"groups"``), or, when they are
    equal across groups, from the pooled within-group covariances (``"pooled"``) or from the
    first group's (``"first"``, as lavaan starts them).
    """
    spec = layout.spec
    G = len(groups.labels)
    if isinstance(source, _Fit):
        parts = list(zip(*source.layout.matrices(source.theta), strict=True))
    else:
        shared = {
            "groups": None,
            "pooled": lambda: _fabin(spec, np.einsum("g,gij->ij", groups.n / groups.n.sum(), groups.cov)),
            "first": lambda: _fabin(spec, groups.cov[0]),
        }[source]
        loading = None if shared is None else shared()
        parts = [_data_start(spec, groups.cov[g], groups.mean[g], loading) for g in range(G)]
    if "intercepts" in _GROUP_EQUAL[layout.level]:
        # latent means from the markers' mean differences to the reference group, intercepts to match
        markers = np.flatnonzero(spec.marker)
        ref = groups.mean[0][markers]
        new = []
        for g, (lam, phi, th, _nu, _al) in enumerate(parts):
            al = groups.mean[g][markers] - ref if g else np.zeros(len(markers))
            new.append((lam, phi, th, groups.mean[g] - lam @ al, al))
        parts = new
    return layout.pack(parts, groups.n / groups.n.sum())


def _fabin(spec: _Spec, s: np.ndarray) -> np.ndarray:
    """Loadings by Hägglund's (1982) FABIN 3 instrumental variables, as lavaan starts them."""
    loading = np.ones(len(spec.items))
    for j in range(len(spec.factors)):
        idx = np.flatnonzero(spec.member == j)
        mk = idx[spec.marker[idx]][0]
        for i in idx[idx != mk]:
            z = idx[(idx != mk) & (idx != i)]
            if not len(z):
                continue
            w = np.linalg.solve(s[np.ix_(z, z)], s[z, mk])
            den = s[mk, z] @ w
            if abs(den) > 1e-8 * s[mk, mk]:
                loading[i] = (s[i, z] @ w) / den
    return loading


def _data_start(
    spec: _Spec, s: np.ndarray, mean: np.ndarray, loading: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Lambda, Phi, theta, nu, alpha of one group from its moments (and given loadings)."""
    p, m = len(spec.items), len(spec.factors)
    loading = _fabin(spec, s) if loading is None else loading
    diag = np.diag(s)
    phi = np.zeros((m, m))
    for j in range(m):
        idx = np.flatnonzero(spec.member == j)
        mk = idx[spec.marker[idx]][0]
        pairs = [(a, b) for a in idx for b in idx if a < b]
        est = np.mean([s[a, b] / (loading[a] * loading[b]) for a, b in pairs])
        phi[j, j] = est if np.isfinite(est) and est > 0.05 * diag[mk] else 0.5 * diag[mk]
    th = np.maximum(diag - loading**2 * np.diag(phi)[spec.member], 0.1 * diag)
    for j, k in zip(*np.tril_indices(m, -1), strict=True):
        a, b = np.flatnonzero(spec.member == j), np.flatnonzero(spec.member == k)
        ratio = s[np.ix_(a, b)] / np.outer(loading[a], loading[b])
        r = np.clip(ratio.mean() / np.sqrt(phi[j, j] * phi[k, k]), -0.9, 0.9)
        phi[j, k] = phi[k, j] = r * np.sqrt(phi[j, j] * phi[k, k])
    lam = np.zeros((p, m))
    lam[np.arange(p), spec.member] = loading
    return lam, phi, th, mean.copy(), np.zeros(m)


# --------------------------------------------------------------------------- fit measures


def _measures(fit: _Fit, groups: _Groups) -> dict:
    layout = fit.layout
    spec = layout.spec
    G, p = len(groups.labels), len(spec.items)
    N = int(groups.n.sum())
    q = layout.q
    df = G * _n_moments(p) - q
    notes = []
    if df == 0:
        notes.append(
            f"{layout.level} model just identified (df 0): it reproduces the data exactly, so its fit "
            f"cannot be tested (chisq 0, CFI and TLI 1, RMSEA 0 by lavaan's convention)"
        )
    if not fit.converged:
        notes.append(f"{layout.level} model did not converge: its fit measures are left out")
        return {"level": layout.level, "df": df, "n": N, "notes": notes, "converged": False}
    chisq = N * fit.fmin
    base_chisq = float(
        np.sum(groups.n * (np.log(np.diagonal(groups.cov, axis1=1, axis2=2)).sum(1) - groups.logdet))
    )
    base_df = G * p * (p - 1) // 2
    sigma, mu = layout.implied(fit.theta)
    inv = np.linalg.inv(sigma)
    d = groups.mean - mu
    quad = np.einsum("gij,gji->g", groups.cov, inv) + np.einsum("gi,gij,gj->g", d, inv, d)
    logl = -0.5 * float(groups.n @ (p * np.log(2 * np.pi) + np.linalg.slogdet(sigma)[1] + quad))
    sd = np.sqrt(np.diagonal(groups.cov, axis1=1, axis2=2))
    tri = np.tril_indices(p)
    res_cov = ((groups.cov - sigma) / (sd[:, :, None] * sd[:, None, :]))[:, tri[0], tri[1]]
    res_mean = d / sd
    srmr_g = np.sqrt(((res_cov**2).sum(1) + (res_mean**2).sum(1)) / (len(tri[0]) + p))
    notes += _improper(layout, fit.theta, groups.labels)
    return {
        "level": layout.level,
        "chisq": chisq,
        "df": df,
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan,
        "cfi": _cfi(chisq, df, base_chisq, base_df),
        "tli": _tli(chisq, df, base_chisq, base_df),
        "rmsea": float(np.sqrt(max(chisq / N / df - 1 / N, 0.0)) * np.sqrt(G)) if df > 0 else 0.0,
        "srmr": float(np.sum(groups.n / N * srmr_g)),
        "aic": -2 * logl + 2 * q,
        "bic": -2 * logl + q * np.log(N),
        "n": N,
        "notes": notes,
        "converged": True,
    }


def _cfi(x2: float, df: int, x2_b: float, df_b: int) -> float:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2_b - df_b, 0.0)
    if abs(t1) < _ALL_EQUAL_TOL and abs(t2) < _ALL_EQUAL_TOL:
        return 1.0
    return 1.0 - t1 / t2


def _tli(x2: float, df: int, x2_b: float, df_b: int) -> float:
    t1 = (x2 - df) * df_b
    t2 = (x2_b - df_b) * df
    if df > 0 and abs(t2) > 0:
        return 1.0 - t1 / t2
    return 1.0


def _improper(layout: _Layout, theta: np.ndarray, labels: tuple[str, ...]) -> list[str]:
    """Heywood cases: a residual variance below 0, or factor covariances that are not positive definite."""
    _, phi, th, _, _ = layout.matrices(theta)
    out = []
    for i, item in enumerate(layout.spec.items):
        bad = np.flatnonzero(th[:, i] < 0)
        if len(bad):
            where = ", ".join(f"{labels[g]} ({th[g, i]:.3f})" for g in bad)
            out.append(
                f"improper solution: negative residual variance of {item!r} in "
                f"{'group' if len(bad) == 1 else 'groups'} {where} "
                f"(lavaan warns of it too; the fit measures stand, but the model misdescribes the item)"
            )
    bad = [labels[g] for g in range(len(labels)) if np.linalg.eigvalsh(phi[g]).min() < 0]
    if bad:
        out.append(
            f"improper solution: the factors' covariance matrix is not positive definite in "
            f"{'group' if len(bad) == 1 else 'groups'} {', '.join(bad)} (a correlation beyond ±1 "
            f"or a negative variance)"
        )
    return out


def _table(rows: list[dict], groups: _Groups) -> pd.DataFrame:
    if groups.n_incomplete:
        missing = f"listwise: {groups.n_incomplete} of {_rows(groups.n_rows)} with a missing answer left out"
    else:
        missing = f"listwise: no missing answers in {_rows(groups.n_rows)}"
    if groups.n_no_group:
        missing += f"; {_rows(groups.n_no_group)} without a group left out"
    sizes = ", ".join(f"{lab} {n}" for lab, n in zip(groups.labels, groups.n, strict=True))
    head = f"{missing}; groups (complete rows): {sizes}"
    out = pd.DataFrame(rows).reindex(columns=[*INVARIANCE_COLUMNS[:11], "notes"])
    out["note"] = ["; ".join([head, *r["notes"]]) for r in rows]
    out["delta_chisq"] = out["chisq"].diff()
    out["delta_df"] = out["df"].diff()
    ok = out["delta_df"] > 0
    out["p_delta"] = np.where(
        ok, stats.chi2.sf(out["delta_chisq"].clip(lower=0).fillna(0), out["delta_df"].where(ok, 1)), np.nan
    )
    out = out[list(INVARIANCE_COLUMNS)]
    floats = [c for c in INVARIANCE_COLUMNS if c not in ("level", "df", "n", "note")]
    out[floats] = out[floats].astype("float64")
    return out.astype({"level": "str", "df": "int64", "n": "int64", "note": "str"})


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


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


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
