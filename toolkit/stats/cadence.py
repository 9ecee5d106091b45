r"""Cadence comparisons: do weekly teams have deeper 1:1s than monthly teams, and what moderates it?

:func:`compare_cadence` estimates differences between 1:1 cadences (weekly, biweekly, monthly,
less than monthly, none) in a construct score or a single item, with one of four models that
respect the clustering of people in teams; :func:`cadence_omnibus` tests all cadence levels
at once; :func:`moderation` estimates the interaction of cadence with a person-level variable
(does availability weaken the link between cadence and holding back; does everyday informal
contact substitute for depth).

**Input.** ``scores`` is either the *long* table of :func:`toolkit.score` (it has a
``construct`` column) or a *wide* table of one row per respondent. In a long table a name
(``outcome``, ``moderator``, a covariate) that is a construct id means that construct's
``score``, matched by ``respondent`` and ``wave``; any other name means a column (joined on
by the caller, e.g. ``log_size``, ``division`` or an item's codes), taken from the
respondent's first row. In a wide table every name is a column. Both need ``team`` and
``cadence`` (the cadence the respondent reported); a ``wave`` column, if present, must hold
a single wave (follow teams across waves with the panel tools instead). Every model is fit
on the complete cases of its variables (R's ``na.omit``).

**Cadence** is either the person's own answer (``cadence="reported"``) or the team's policy
(``cadence="policy"``: the modal report of the team in the wave, :func:`toolkit.stats.policy.team_policy`,
computed from all rows of ``scores``, ties to the more frequent cadence). The reference level
is monthly (as in the R reference); levels without data are left out of the model.

Checked against R 4.2.2 (lme4 1.1-31, lmerTest 3.1-3, sandwich 3.0-2, ordinal 2022.11-16) on
the data sets and outputs of ``tests/reference/cadence`` (README there).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.stats._design import _CODES, CADENCE_PER_MONTH, _Data, _fit
from toolkit.stats._effects import P_ADJUST
from toolkit.stats._effects import p_adjust as _p_adjust
from toolkit.stats._lmm import t_interval

__all__ = ["CADENCE_PER_MONTH", "COMPARE_COLUMNS", "cadence_omnibus", "compare_cadence", "moderation"]

#: The columns of :func:`compare_cadence`, in order.
COMPARE_COLUMNS = (
    "outcome", "contrast", "level_a", "level_b", "method", "cadence_source", "estimate", "se", "df",
    "ci_low", "ci_high", "p_val", "p_adj", "g", "g_ci_low", "g_ci_high", "n_people", "n_teams",
)  # fmt: skip
_METHODS = ("lmm", "ols_cluster", "team_means", "ordinal")


# --------------------------------------------------------------------------- public API


def compare_cadence(
    scores: pd.DataFrame,
    *,
    outcome: str | Sequence[str],
    contrast: tuple[str, str] | Sequence[tuple[str, str]] | str = ("weekly", "monthly"),
    covariates: Sequence[str] = (),
    level: str = "person",
    method: str = "lmm",
    cadence: str = "reported",
    p_adjust: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Differences between 1:1 cadences in an outcome, with team clustering taken into account.

    The model is :math:`y_i = \beta_0 + \sum_{c \ne \text{monthly}} \beta_c [c_i = c] + x_i'\gamma
    + (u_{team(i)}) + e_i` and a contrast of levels :math:`a, b` is
    :math:`\hat\Delta = \hat\beta_a - \hat\beta_b` (:math:`\beta_{\text{monthly}} = 0`), with
    :math:`\operatorname{se} = \sqrt{L'VL}`. Methods:

    ``"lmm"`` (default)
        Random team intercept, REML, as ``lme4::lmer(y ~ relevel(factor(cadence), "monthly") +
        covariates + (1 | team), REML = TRUE)``; ``V = vcov(fit)``. Inference: t with
        **Satterthwaite** df as ``lmerTest::contest1D(fit, L, ddf = "Satterthwaite")``
        (its Hessian taken analytically rather than numerically). The fit uses team sums only
        (:mod:`toolkit.stats._lmm`): 200,000 people in 25,000 teams take well under a second.
    ``"ols_cluster"``
        OLS with the cluster-robust (by team) CR1 covariance, ``sandwich::vcovCL(lm(...),
        cluster = ~team, type = "HC1")`` :math:`= \frac{G}{G-1}\frac{N-1}{N-K} B M B`;
        t on :math:`G - 1` df.
    ``"team_means"`` (or ``level="team"``)
        The unweighted mean of each team's outcome regressed on the team's policy and
        covariates (which must be constant within team), ``lm(ybar ~ ...)`` with plain SEs,
        t on the residual df. Needs ``cadence="policy"``.
    ``"ordinal"``
        Cumulative logit of a single item's integer codes, ``ordinal::clm(factor(item, ordered =
        TRUE) ~ ...)``, :math:`\operatorname{logit} P(Y \le j) = \alpha_j - x'\beta`, so a positive
        estimate shifts answers up (a log cumulative odds ratio); cluster-robust CR1
        (``vcovCL(clm, type = "HC1")``), t on :math:`G - 1` df. The item's codes must be a
        column of ``scores`` with not-applicable codes already missing: for the default survey
        join ``toolkit.item_block(responses, survey, "depth")["depth_why"]`` (which also
        reverses reverse-keyed items); its observed codes are the ordered categories.

    The standardised effect ``g`` is Hedges' (2007) g for cluster designs (:mod:`toolkit.stats._effects`):
    :math:`g = J(h)\,\hat\Delta/\sqrt{\hat\tau^2 + \hat\sigma^2}` with the between- and
    within-team variances of the fitted model (``"lmm"``) or of a one-way random-effects
    (REML, intercept-only) decomposition of the outcome on the rows used (``"ols_cluster"``,
    ``"team_means"``), the small-sample factor :math:`J(h) = 1 - 3/(4h-1)` on Hedges'
    effective df :math:`h`, and the delta-method interval
    :math:`g \pm z_{1-\alpha/2} J \sqrt{\operatorname{se}^2/S_T^2 + d^2\operatorname{Var}(S_T^2)/(4S_T^4)}`.
    For ``"ordinal"``, :math:`g = \hat\beta\sqrt{3}/\pi` (the latent logistic SD; Chinn 2000)
    and its interval is the estimate's, transformed.

    Parameters
    ----------
    scores : DataFrame
        Long scores (:func:`toolkit.score`) or a wide table; see the module notes.
    outcome : str or list of str
        Construct ids (long table), column names, or item columns for ``"ordinal"``.
    contrast : (str, str), list of pairs, or "all"
        Pairs ``(a, b)`` estimated as ``a - b``; ``"all"``: every pair of the levels with data,
        ``a`` before ``b`` in the order weekly, biweekly, monthly, less_than_monthly, none.
        A requested level without data raises a ValueError naming it.
    covariates : list of str
        Numeric columns enter as they are; text and categorical ones as treatment-coded
        factors (reference: the first sorted value, or a Categorical's first category).
    level : {"person", "team"}
    method : {"lmm", "ols_cluster", "team_means", "ordinal"}
    cadence : {"reported", "policy"}
    p_adjust : {"holm", "bh", "bonferroni", "none"}
        Adjustment over **all rows of the call** (every outcome and contrast), as ``p.adjust``.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per outcome and contrast with :data:`COMPARE_COLUMNS`: ``estimate``
        (level_a - level_b), ``se``, ``df`` (of the t reference), ``ci_low``, ``ci_high``,
        ``p_val``, ``p_adj``, ``g``, ``g_ci_low``, ``g_ci_high``, ``n_people`` and ``n_teams``
        used (for ``"team_means"`` the people behind the team means).

    Raises
    ------
    TypeError
        When ``scores`` is not a DataFrame.
    ValueError
        Naming the argument or column: an unknown method, level, cadence source, contrast
        level or p_adjust; a missing column or construct; a contrast level without data;
        more than one wave; a non-numeric outcome; non-integer codes for ``"ordinal"``; a
        covariate that varies within team for ``"team_means"``; a rank-deficient design.

    Examples
    --------
    >>> d = pd.read_csv("tests/reference/cadence/D1_persons.csv")
    >>> res = compare_cadence(d, outcome="depth", covariates=["log_size", "division"])
    >>> print(res[["contrast", "estimate", "se", "df", "p_val", "g", "n_teams"]].round(4).to_string())
               contrast  estimate      se        df   p_val       g  n_teams
    0  weekly - monthly    0.2659  0.0941  566.4617  0.0049  0.3192      297
    """
    method = _method(method, level)
    outcomes = _names(outcome, "outcome")
    covs = _names(covariates, "covariates", empty=True)
    _choice(cadence, "cadence", ("reported", "policy"))
    _choice(p_adjust, "p_adjust", P_ADJUST)
    _alpha(alpha)
    pairs = _contrasts(contrast)
    if method == "team_means" and cadence != "policy":
        raise ValueError(
            "method 'team_means' (level='team') compares teams, so it needs the team's cadence: "
            f"pass cadence='policy' (got cadence={cadence!r})"
        )
    data = _Data(scores, [*outcomes, *covs], cadence)
    rows = []
    for y in outcomes:
        model = _fit(data, y, covs, method)
        if pairs is None and len(model.levels) < 2:
            raise ValueError(f"outcome {y!r} has data for one cadence level only ({model.levels[0]})")
        for a, b in pairs if pairs is not None else _all_pairs(model.levels):
            rows.append(model.contrast(a, b, alpha))
    out = pd.DataFrame(rows, columns=[c for c in COMPARE_COLUMNS if c != "p_adj"])
    out.insert(COMPARE_COLUMNS.index("p_adj"), "p_adj", _p_adjust(out["p_val"].to_numpy(float), p_adjust))
    return out


def cadence_omnibus(
    scores: pd.DataFrame,
    *,
    outcome: str | Sequence[str],
    covariates: Sequence[str] = (),
    method: str = "lmm",
    cadence: str = "reported",
) -> pd.DataFrame:
    r"""Joint Wald test that all cadence levels have the same mean (all cadence coefficients zero).

    :math:`\chi^2 = \hat b' V^{-1} \hat b` on :math:`q` = (levels with data - 1) df, with
    :math:`\hat b, V` the cadence block of the model of :func:`compare_cadence` (same methods and
    covariances), and its F version :math:`F = \chi^2/q` on :math:`(q, \nu)` df with
    :math:`\nu` the Satterthwaite denominator of ``lmerTest::contest(fit, L, joint = TRUE)``
    (``"lmm"``), :math:`G - 1` (``"ols_cluster"``, ``"ordinal"``) or the residual df
    (``"team_means"``, where it equals ``anova(fit0, fit)``).

    Returns
    -------
    DataFrame
        One row per outcome: ``outcome, method, cadence_source, statistic`` (chi2), ``df``,
        ``p_val`` (chi2), ``f_stat, df_den, p_f`` (the small-sample version), ``n_people,
        n_teams``.

    Examples
    --------
    >>> d = pd.read_csv("tests/reference/cadence/D1_persons.csv")
    >>> omni = cadence_omnibus(d, outcome="depth", covariates=["log_size", "division"])
    >>> cols = ["statistic", "df", "p_val", "f_stat", "df_den", "p_f"]
    >>> print(omni[cols].to_string(float_format="{:.4g}".format))
       statistic  df     p_val  f_stat  df_den       p_f
    0      40.08   4 4.174e-08   10.02   548.7 7.844e-08
    """
    method = _method(method, "team" if method == "team_means" else "person")
    outcomes = _names(outcome, "outcome")
    covs = _names(covariates, "covariates", empty=True)
    _choice(cadence, "cadence", ("reported", "policy"))
    if method == "team_means" and cadence != "policy":
        raise ValueError(f"method 'team_means' needs cadence='policy' (got cadence={cadence!r})")
    data = _Data(scores, [*outcomes, *covs], cadence)
    rows = []
    for y in outcomes:
        model = _fit(data, y, covs, method)
        if len(model.levels) < 2:
            raise ValueError(f"outcome {y!r} has data for one cadence level only ({model.levels[0]})")
        chi2, q, den, f = model.joint(model.cadence_cols)
        rows.append(
            {
                "outcome": y, "method": method, "cadence_source": cadence, "statistic": chi2, "df": q,
                "p_val": float(stats.chi2.sf(chi2, q)), "f_stat": f, "df_den": den,
                "p_f": float(stats.f.sf(f, q, den)), "n_people": model.n_people, "n_teams": model.n_teams,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def moderation(
    scores: pd.DataFrame,
    *,
    outcome: str,
    moderator: str,
    cadence_coding: str = "per_month",
    covariates: Sequence[str] = (),
    method: str = "lmm",
    cadence: str = "reported",
    alpha: float = 0.05,
) -> pd.DataFrame:
    r"""Does a person-level variable change the cadence effect? The cadence x moderator interaction.

    ``y ~ cadence * moderator + covariates (+ (1 | team))``, so main effects are at moderator
    = 0 (the moderator is not centred, as in the R reference). With
    ``cadence_coding="per_month"`` cadence is :data:`CADENCE_PER_MONTH` (1:1s per month, term
    ``cadence_num``; ``lmer(holding_back ~ cadence_num * availability + ...)``: a negative
    ``cadence_num:availability`` means more frequent 1:1s add less holding back where
    availability is high); with ``"levels"`` it is the treatment-coded factor (reference
    monthly; terms ``cadence[weekly]:informal_contact``, ...: whether everyday informal contact
    substitutes for depth). ``"lmm"`` uses Satterthwaite t (lmerTest), ``"ols_cluster"`` CR1
    with t on :math:`G - 1` df, as :func:`compare_cadence`.

    Returns
    -------
    DataFrame
        One row per interaction term: ``outcome, moderator, term, estimate, se, df, ci_low,
        ci_high, p_val, method, n_people, n_teams``.

    Examples
    --------
    >>> d = pd.read_csv("tests/reference/cadence/D1_persons.csv")
    >>> covs = ["log_size", "division"]
    >>> m = moderation(d, outcome="holding_back", moderator="availability", covariates=covs)
    >>> m[["term", "estimate", "se", "p_val"]].round(4)
                           term  estimate      se   p_val
    0  cadence_num:availability   -0.0467  0.0139  0.0008
    """
    _choice(cadence_coding, "cadence_coding", ("per_month", "levels"))
    _choice(method, "method", ("lmm", "ols_cluster"))
    _choice(cadence, "cadence", ("reported", "policy"))
    _alpha(alpha)
    (y,) = _names(outcome, "outcome", single=True)
    (mod,) = _names(moderator, "moderator", single=True)
    covs = _names(covariates, "covariates", empty=True)
    data = _Data(scores, [y, mod, *covs], cadence)
    model = _fit(data, y, covs, method, moderator=mod, coding=cadence_coding)
    rows = []
    for j in model.interaction_cols:
        L = np.zeros(len(model.names))
        L[j] = 1.0
        est, se, df = model.linear(L)
        p, lo, hi = t_interval(est, se, df, alpha)
        rows.append(
            {
                "outcome": y, "moderator": mod, "term": model.names[j], "estimate": est, "se": se, "df": df,
                "ci_low": lo, "ci_high": hi, "p_val": p, "method": method, "n_people": model.n_people,
                "n_teams": model.n_teams,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- arguments


def _choice(value, name: str, allowed: Sequence[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


def _alpha(alpha) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number between 0 and 1 (exclusive); got {alpha!r}")


def _method(method, level) -> str:
    _choice(level, "level", ("person", "team"))
    _choice(method, "method", _METHODS)
    if level == "team":
        if method not in ("lmm", "team_means"):
            raise ValueError(
                f"level='team' compares team means (method 'team_means'); method={method!r} works on people"
            )
        return "team_means"
    return method


def _names(value, name: str, *, empty: bool = False, single: bool = False) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(v, str) for v in items):
        raise ValueError(f"{name} must be a column or construct name or a list of them; got {value!r}")
    items = list(dict.fromkeys(items))
    if (not items and not empty) or (single and len(items) != 1):
        raise ValueError(f"{name} must name {'one' if single else 'at least one'} variable; got {value!r}")
    return items


def _contrasts(contrast) -> list[tuple[str, str]] | None:
    if isinstance(contrast, str):
        if contrast == "all":
            return None
        raise ValueError(
            f"contrast must be a pair of cadence levels, a list of pairs or 'all'; got {contrast!r}"
        )
    if isinstance(contrast, Sequence) and len(contrast) == 2 and all(isinstance(c, str) for c in contrast):
        contrast = [contrast]
    pairs = []
    for pair in contrast if isinstance(contrast, Sequence) else [contrast]:
        if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
            raise ValueError(f"contrast must hold pairs (level_a, level_b); got {pair!r}")
        for lv in pair:
            if lv not in _CODES:
                raise ValueError(f"contrast level {lv!r} is not a cadence; use one of {', '.join(_CODES)}")
        if pair[0] == pair[1]:
            raise ValueError(f"contrast compares {pair[0]!r} with itself")
        pairs.append((pair[0], pair[1]))
    if not pairs:
        raise ValueError("contrast must name at least one pair of cadence levels")
    return pairs


def _all_pairs(levels: Sequence[str]) -> list[tuple[str, str]]:
    present = [c for c in _CODES if c in levels]
    return [(a, b) for i, a in enumerate(present) for b in present[i + 1 :]]
