r"""Teams that switch 1:1 cadence across waves: difference in differences with staggered switches.

:func:`cadence_switches` finds the teams whose cadence changed between waves and estimates
the effect of the *treated* cadence (weekly) against the *control* cadence (monthly) from
the switches, in both directions (monthly to weekly, and back) and at different times:

- ``did_m`` (**the headline**): de Chaisemartin and D'Haultfœuille's DID_M, the average
  effect of a switch in the wave it happens, comparing the switchers' change with that of
  teams that keep their cadence over the same two waves. It is robust to effects that differ
  between teams and waves, allows switches in both directions and switching back, and
  comes with a placebo (the same comparison one wave earlier).
- ``cs_not_yet``: Callaway and Sant'Anna's group-time effects, each cohort of first
  switchers against teams that have not switched yet, with the universal base period
  :math:`g-1`, aggregated into an event study (effects by waves since the switch) and a
  joint test of the pre-switch estimates (pre-trends).
- ``twfe``: the two-way fixed-effects regression (team and wave effects), reported only for
  comparison: with staggered switches and effects that vary, it is a weighted mean of
  comparisons some of which use already-switched teams as controls, with weights that can
  be negative (Goodman-Bacon 2021; de Chaisemartin and D'Haultfœuille 2020).

The heterogeneity-robust estimators work on team-wave means, each team weighted equally,
with influence-function (plug-in) standard errors clustered by team. Switches are few (an
organisation of 60 teams sees about 10 a year), so the SEs are built for that: every switch
(or treated team in a cell) is one contrast, and the spread of the contrasts *around the
pooled estimate* gives the variance, with a small-sample factor G/(G-1) and Student t on
G - 1 degrees of freedom (G = switching teams). An estimate resting on one team has no SE:
a single team's change carries its own wave-to-wave noise (people answering differently,
joining, leaving), which nothing within the team can reveal. See the Notes of
:func:`cadence_switches`.

All the formulas, and the R script that checks them, are in
``tests/reference/cadence/README.md`` (section g) and ``reference.R``: R has no ``fixest``
or ``did`` in Debian 12, so the reference is base R written from the formulas; the coverage
of the intervals is checked by simulation in ``tests/test_switches_calibration.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.stats._did import _cells, _did_m, _event_study, _fe_ols, _pretrend_frame, _t_ci, _twfe
from toolkit.stats.policy import team_policy

__all__ = ["Switches", "cadence_switches"]

_FEW_TEAMS = 4  # below this many switching teams the summary warns (see the Notes of cadence_switches)


@dataclass(frozen=True)
class Switches:
    r"""The result of :func:`cadence_switches`: one tidy table per question.

    Attributes
    ----------
    summary : DataFrame
        One row per estimator (``twfe``, ``cs_not_yet``, ``did_m``): ``estimator``,
        ``estimate`` (treated minus control cadence), ``se``, ``ci_low``, ``ci_high``,
        ``p_val`` (Student t on ``df``), ``df`` (inf for twfe: normal; cs_not_yet: treated
        teams - 1; did_m: switching teams - 1), ``n_teams`` (teams the estimate uses),
        ``n_switchers`` (twfe: teams whose cadence changes; cs_not_yet: switched teams in
        the e = 0 cells; did_m: switches, so a team that switches back counts twice),
        ``headline`` (True for ``did_m``), ``note`` (also says when the SE is missing or the
        switching teams are few).
    switches : DataFrame
        Every change of cadence between consecutive known waves of a team (all teams, all
        cadences): ``team``, ``wave``, ``previous_wave``, ``from``, ``to``, ``direction``
        (``on`` = control to treated, ``off`` = treated to control, ``other``).
    panel : DataFrame
        The team-wave means analysed: ``team``, ``wave``, ``cadence``, ``d`` (1 treated,
        0 control), ``n_members``, ``y`` (mean outcome, adjusted for covariates if any).
    cells : DataFrame
        Group-time effects: ``direction``, ``from``, ``to``, ``g`` (wave of the first
        switch), ``t``, ``base`` (= the wave before ``g``), ``e`` (= t - g),
        ``n_treated``, ``n_control``, ``mean_dy_treated``, ``mean_dy_control``,
        ``estimate`` (on the direction's own scale: to minus from), ``se``, ``df``
        (``n_treated`` - 1), ``ci_low``, ``ci_high``, ``p_val``, ``sign`` (+1 on, -1 off),
        ``estimate_treated_minus_control``, ``se_note`` (why ``se`` is NaN: one treated
        team, or no control team; else empty).
    event_study : DataFrame
        ``aggregate`` (``event_time`` or ``overall_post``), ``direction`` (``pooled``:
        signed treated minus control; ``on``, ``off``: the switch's own scale), ``e``
        (waves since the switch; NA for overall_post), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_val``, ``df`` (``n_treated_teams`` - 1), ``n`` (treated
        team-cells: treated teams summed over cells), ``n_cells``, ``n_treated_teams``
        (distinct teams; fewer than ``n`` for overall_post), ``se_note``.
    pretrend : DataFrame
        ``test`` (``cs_event_study``: joint test that the event-study estimates with
        e <= -2 are 0; ``did_m_placebo``), ``direction``, ``event_times`` (those tested),
        ``statistic`` (the Wald chi-square :math:`W` with the small-sample covariance; for
        the placebo :math:`t^2`), ``df`` (q, the estimates tested), ``f_statistic``
        (:math:`W/q\cdot(G-q)/(G-1)`), ``df_denom`` (G - q), ``p_val`` (from F on
        (q, G - q), the test to read), ``p_chi2`` (W against chi-square(q), large-sample,
        for comparison), ``n_treated_teams`` (G), ``note`` (event times left out, or why
        the test is NaN).
    did_m : DataFrame
        ``estimator`` (``did_m``, ``did_m_placebo``), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_val``, ``df`` (switching teams - 1), ``n_switches``,
        ``n_joiners``, ``n_leavers``, ``n_teams`` (switching and stable teams used),
        ``n_switching_teams``, ``se_note``.
    did_m_periods : DataFrame
        Per wave ``t``: ``kind``, ``t``, ``n_joiners``, ``n_stable_control``,
        ``n_leavers``, ``n_stable_treated``, ``did_plus``, ``did_minus``.
    twfe : DataFrame
        ``level`` (``person``, ``team_wave_mean``), ``estimate``, ``se_iid``, ``se_cl_hc0``,
        ``se_cl_hc1``, ``ci_low``, ``ci_high``, ``p_val`` (from HC1), ``n_obs``,
        ``n_teams``, ``k``, ``resid_df``.
    """

    summary: pd.DataFrame
    switches: pd.DataFrame
    panel: pd.DataFrame
    cells: pd.DataFrame
    event_study: pd.DataFrame
    pretrend: pd.DataFrame
    did_m: pd.DataFrame
    did_m_periods: pd.DataFrame
    twfe: pd.DataFrame


def cadence_switches(
    waves: pd.DataFrame,
    *,
    outcome: str,
    treated: str = "weekly",
    control: str = "monthly",
    cadence: str = "policy",
    policies: pd.DataFrame | None = None,
    covariates: Sequence[str] = (),
    alpha: float = 0.05,
) -> Switches:
    r"""Effect of switching 1:1 cadence, from teams that switch across waves.

    Parameters
    ----------
    waves : DataFrame
        Several waves of data, either the long scores of :func:`toolkit.score` (it has the
        columns ``construct`` and ``score``: ``outcome`` and any covariate that is not a
        column name constructs, pivoted per ``respondent``, ``wave``, ``team``), or one row
        per respondent and wave with the outcome as a column (``team``, ``wave``, the
        outcome, the covariates; the layout of ``tests/reference/cadence/D3_persons.csv``).
    outcome : str
        The construct (long scores) or column to compare.
    treated, control : str
        The two cadences compared; the estimate is treated minus control. A team enters the
        analysis only if each of its known cadences is one of the two (as in the reference).
    cadence : str, default "policy"
        Where each team's cadence in each wave comes from: a column of ``waves`` that is
        constant within team and wave (like the manager's ``policy`` or ``team_modal``), or,
        when ``waves`` has no such column and ``cadence="policy"``, the team's policy as its
        reports describe it: the modal reported ``cadence`` (:func:`toolkit.team_policy`).
    policies : DataFrame, optional
        ``team``, ``wave`` and the ``cadence`` column for every team and wave (for example
        ``org.team_waves`` or ``D3_team_waves.csv``); overrides ``waves`` as the source of the
        cadence, so a switch in a wave without respondents is still placed right.
    covariates : sequence of str
        Time-varying team covariates (columns or constructs; team-wave means are used). TWFE
        includes them as regressors; for DID_M and the group-time effects the outcome is
        first adjusted, :math:`\tilde Y_{it} = Y_{it} - X_{it}'\hat\theta`, with
        :math:`\hat\theta` from a team and wave fixed-effects regression on the team-waves
        not yet switched (a two-stage DiD, Gardner 2021); the SEs ignore the error in
        :math:`\hat\theta`.
    alpha : float, default 0.05
        Confidence intervals are :math:`\hat\beta \pm t_{1-\alpha/2,\,\mathrm{df}}\,\mathrm{se}`
        (``twfe``: :math:`z_{1-\alpha/2}`).

    Returns
    -------
    Switches
        Tables ``summary``, ``switches``, ``panel``, ``cells``, ``event_study``,
        ``pretrend``, ``did_m``, ``did_m_periods``, ``twfe`` (see :class:`Switches`).

    Raises
    ------
    ValueError
        An argument is out of range, a column is missing, a cadence column varies within a
        team-wave, or no team switches between ``treated`` and ``control``.

    Notes
    -----
    :math:`Y_{it}` is the unweighted mean outcome of team *i*'s respondents in wave *t*,
    :math:`D_{it} = 1` when its cadence is ``treated``; a team-wave with unknown cadence
    has no :math:`Y`. A comparison uses a team only where :math:`Y` is observed at both
    waves involved.

    **DID_M** (de Chaisemartin and D'Haultfœuille 2020, AER 110(9), 2964-2996). For
    :math:`t \ge 2`, joiners :math:`J_t` (:math:`D` 0→1), leavers :math:`L_t` (1→0), stable
    :math:`S^0_t, S^1_t`, :math:`\Delta Y = Y_t - Y_{t-1}`:

    .. math::

        \mathrm{DID}^+_t = \overline{\Delta Y}_{J_t} - \overline{\Delta Y}_{S^0_t},\quad
        \mathrm{DID}^-_t = \overline{\Delta Y}_{S^1_t} - \overline{\Delta Y}_{L_t},\quad
        \mathrm{DID}_M = \frac{\sum_t |J_t|\,\mathrm{DID}^+_t + |L_t|\,\mathrm{DID}^-_t}
        {\sum_t |J_t| + |L_t|}

    with teams weighted equally. Equivalently, with one contrast per switch *k* of team *i*
    in wave *t*, :math:`c_k = \Delta Y_{it} - \overline{\Delta Y}_{S^0_t}` for a joiner and
    :math:`c_k = \overline{\Delta Y}_{S^1_t} - \Delta Y_{it}` for a leaver,
    :math:`\mathrm{DID}_M = \bar c` over the :math:`N` switches. The placebo uses
    :math:`Y_{t-1}-Y_{t-2}` among teams with :math:`D_{t-2}=D_{t-1}`.

    **Standard errors** (plug-in influence functions, clustered by team; the paper's package
    bootstraps). Each switch is measured against the *pooled* estimate:

    .. math::

        \mathrm{IF}_i = \sqrt{\tfrac{G}{G-1}}\sum_{k \in i}\frac{c_k - \mathrm{DID}_M}{N}
        - \sum_t \frac{|J_t|}{N}\frac{\Delta Y_{it} - \overline{\Delta Y}_{S^0_t}}{|S^0_t|}[i \in S^0_t]
        + \sum_t \frac{|L_t|}{N}\frac{\Delta Y_{it} - \overline{\Delta Y}_{S^1_t}}{|S^1_t|}[i \in S^1_t],
        \qquad \mathrm{se} = \sqrt{\textstyle\sum_i \mathrm{IF}_i^2}

    with G the switching teams (a team that switches and switches back has two contrasts,
    which share the wave in between, so the team is the cluster), and intervals and
    p-values from Student t on G - 1 df. Measuring each switch against its own wave's
    switchers instead (the usual within-group plug-in) gives a wave with one switching team
    no variance at all, although that team's change carries its team-wave noise; with
    few switches such SEs were half the true sampling SD and 95% intervals covered the
    truth 61-76% of the time in simulated organisations. With G = 1 the SE is NaN (see
    ``se_note``).

    **Group-time effects** (Callaway and Sant'Anna 2021, J. Econometrics 225(2), 200-230,
    not-yet-treated controls, universal base period). Direction ``on``: teams that start
    at ``control``; ``off``: teams that start at ``treated``. Cohort :math:`g` = first wave
    whose cadence differs from the first (teams switching back stay in their cohort):

    .. math::

        \mathrm{ATT}(g,t) = \overline{(Y_t - Y_{g-1})}_{G=g} - \overline{(Y_t - Y_{g-1})}_{G>\max(t,g-1)}

    The event study averages cells with :math:`e = t-g` weighted by their treated teams,
    i.e. it is the mean of the :math:`N` treated team-cell contrasts
    :math:`x_{ic} = s_c(\Delta Y_{ic} - \overline{\Delta Y}_{C_c})` (:math:`s_c = -1` for
    ``off`` cells in the pooled rows). As for DID_M, the treated part of the influence
    function is :math:`\sqrt{G/(G-1)}\sum_{c \ni i}(x_{ic} - \hat\theta)/N`, summed by team
    (G = distinct treated teams; a team is in several cells of ``overall_post``), the
    control part :math:`-\sum_c (n_c/N)\,s_c(\Delta Y_{ic} - \overline{\Delta Y}_{C_c})/|C_c|`,
    and t on G - 1 df. A single cell keeps the deviations from its own mean (the same
    thing), with n_treated - 1 df and no SE when it has one treated team. ``cs_not_yet``
    in the summary is the pooled :math:`e=0` estimate (the effect in the wave of the
    switch, like DID_M; later event times mix in teams that switched back).

    The pre-trend test is Hotelling-type: :math:`W = \hat\beta'\hat V^{-1}\hat\beta` over
    the q event times :math:`e \le -2` that have an SE, :math:`\hat V = M'M` with M their
    influence functions, and :math:`F = W/q\cdot(G-q)/(G-1)` on (q, G - q) df, G the
    treated teams behind them (exact for G i.i.d. normal team vectors); NaN with a note
    when :math:`G \le q`. The placebo's test is :math:`t^2` = F(1, G - 1).

    **How far to trust the intervals.** In simulated organisations of 40-60 teams over 4
    waves (7-10 switches by 5-7 teams; ``tests/test_switches_calibration.py``) the 95% DID_M
    intervals covered the truth in 96-97% of them and the SE matched the SD of the estimates
    within 10-15%; the placebo and pre-trend tests rejected 0-3% of the time at
    :math:`\alpha` = 0.05: conservative, since the t reference counts only the switching
    teams' degrees of freedom and a few small, noisy teams dominate the spread. With 2-3
    switching teams the intervals are valid but very wide (t on 1-2 df), and the summary's
    ``note`` says so; with one there is no SE.

    **TWFE**: OLS of the outcome on :math:`D`, team and wave dummies, at person level and on
    team-wave means, with sandwich ``vcovCL`` errors (HC0 = G/(G-1), HC1 also (N-1)/(N-K),
    K counting the team dummies); the summary row is the team-wave-mean HC1 fit.

    Checked against ``tests/reference/cadence/reference.R`` (section g) to 1e-10.

    Examples
    --------
    >>> persons = pd.read_csv("tests/reference/cadence/D3_persons.csv")
    >>> policies = pd.read_csv("tests/reference/cadence/D3_team_waves.csv")
    >>> res = cadence_switches(persons, outcome="depth", policies=policies)
    >>> res.summary[["estimator", "estimate", "se", "df", "n_teams", "n_switchers"]].round(4)
        estimator  estimate      se    df  n_teams  n_switchers
    0        twfe    0.3092  0.0663   inf      165           38
    1  cs_not_yet    0.3124  0.0890  35.0      162           36
    2       did_m    0.2813  0.0697  35.0      163           50
    """
    _check_args(waves, outcome, treated, control, cadence, policies, covariates, alpha)
    covariates = list(covariates)
    persons, cad = _persons(waves, outcome, cadence, policies, covariates)
    wave_labels = sorted(set(persons["wave"]) | set(cad["wave"]))
    switches = _switch_list(cad, wave_labels, treated, control)

    codes = cad.groupby("team")["cadence"].agg(lambda s: set(s.dropna()))
    keep = sorted(t for t, s in codes.items() if s and s <= {treated, control})
    cad = cad[cad["team"].isin(keep)]
    d_of = {
        (t, w): float(c == treated) for t, w, c in cad[["team", "wave", "cadence"]].itertuples(index=False)
    }
    persons = persons[persons["team"].isin(keep)]
    persons = persons.assign(
        d=[d_of.get(k, np.nan) for k in zip(persons["team"], persons["wave"], strict=True)]
    )
    persons = persons[persons["d"].notna()].dropna(subset=["y", *covariates])
    if persons.empty:
        raise ValueError(f"no respondent with {outcome!r} in a team that is only ever {treated} or {control}")

    panel = persons.groupby(["team", "wave"], sort=True).agg(
        n_members=("y", "size"), y=("y", "mean"), d=("d", "first"), **{c: (c, "mean") for c in covariates}
    )
    panel = panel.reset_index()
    teams = sorted(set(panel["team"]))
    ti = {t: i for i, t in enumerate(teams)}
    wi = {w: i for i, w in enumerate(wave_labels)}
    n, T = len(teams), len(wave_labels)
    r, c = panel["team"].map(ti).to_numpy(), panel["wave"].map(wi).to_numpy()
    Y = np.full((n, T), np.nan)
    D = np.full((n, T), np.nan)
    Y[r, c] = panel["y"].to_numpy(float)
    for (team, wave), d in d_of.items():  # every known cadence, also in waves without data
        if team in ti:
            D[ti[team], wi[wave]] = d
    varies = panel.groupby("team")["d"].nunique() > 1
    if not varies.any():
        raise ValueError(f"no team with {outcome!r} data switches between {treated} and {control}")
    first = _first_switch(D)
    z = stats.norm.ppf(1 - alpha / 2)
    twfe = _twfe(persons, panel, covariates, z)
    if covariates:  # two-stage DiD: theta from the team-waves not yet switched, then Y - X theta
        X = panel[covariates].to_numpy(float)
        yet = c < first[r]
        theta = _fe_ols(panel["y"].to_numpy(float)[yet], X[yet], r[yet], c[yet], covariates)[0]
        Y[r, c] = Y[r, c] - X @ theta[: len(covariates)]
        panel["y"] = Y[r, c]
    cells, parts, in_e0 = _cells(Y, D, first, wave_labels, treated, control, alpha)
    event_study, pre = _event_study(cells, parts, alpha)
    did_m, periods, pl = _did_m(Y, D, wave_labels, alpha)
    pretrend = _pretrend_frame([*pre, *pl])

    tw = twfe.iloc[1]
    e0 = event_study[(event_study["aggregate"] == "event_time") & (event_study["direction"] == "pooled")]
    e0 = e0[e0["e"] == 0]
    empty = {"estimate": np.nan, "se": np.nan, "df": np.nan, "n": 0, "n_treated_teams": 0, "se_note": ""}
    e0 = e0.iloc[0] if len(e0) else pd.Series(empty)
    e0 = e0.rename({"n_treated_teams": "n_teams_behind"})
    dm = did_m.iloc[0].rename({"n_switching_teams": "n_teams_behind"})
    adj = f"; outcome adjusted for {', '.join(covariates)} (SE ignores that step)" if covariates else ""
    summary = pd.DataFrame(
        {
            "estimator": ["twfe", "cs_not_yet", "did_m"],
            "estimate": [tw["estimate"], e0["estimate"], dm["estimate"]],
            "se": [tw["se_cl_hc1"], e0["se"], dm["se"]],
            "df": [np.inf, e0["df"], dm["df"]],
            "n_teams": [int(tw["n_teams"]), int(in_e0.sum()), int(dm["n_teams"])],
            "n_switchers": [int(varies.sum()), int(e0["n"]), int(dm["n_switches"])],
            "headline": [False, False, True],
            "note": [
                "two-way fixed effects on team-wave means, cluster-robust HC1; for comparison only: with "
                "staggered switches and heterogeneous effects it is biased (negative weights)" + adj,
                "Callaway-Sant'Anna group-time effects vs not-yet-switched teams, base g-1, pooled over both "
                "directions at e = 0 (the wave of the switch); SE from treated-team contrasts around the "
                "estimate, t on treated teams - 1 df; n_switchers = treated teams"
                + adj
                + _few(e0, "treated"),
                "de Chaisemartin-D'Haultfoeuille DID_M: effect of a switch in its wave, both directions; SE "
                "from switch contrasts around the estimate, clustered by team, t on switching teams - 1 df; "
                "n_switchers = switches counted" + adj + _few(dm, "switching"),
            ],
        }
    )
    summary = _t_ci(summary, alpha)
    summary = summary[
        [
            "estimator",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "p_val",
            "df",
            "n_teams",
            "n_switchers",
            "headline",
            "note",
        ]
    ]
    panel = panel.assign(cadence=np.where(panel["d"] == 1, treated, control), d=panel["d"].astype(int))
    panel = panel[["team", "wave", "cadence", "d", "n_members", "y"]]
    return Switches(summary, switches, panel, cells, event_study, pretrend, did_m, periods, twfe)


def _few(row: pd.Series, kind: str) -> str:
    """The summary's warning when an estimate rests on too few teams for a useful interval."""
    g = int(row["n_teams_behind"])
    if g == 1:
        return f"; {row['se_note']}"
    if 1 < g < _FEW_TEAMS:
        return (
            f"; only {g} {kind} teams: the interval (t on {g - 1} df) is valid but wide, and tests have "
            "little power"
        )
    return ""


# --------------------------------------------------------------------------- input


def _check_args(waves, outcome, treated, control, cadence, policies, covariates, alpha) -> None:
    if not isinstance(waves, pd.DataFrame):
        raise TypeError(f"waves must be a DataFrame, got {type(waves).__name__}")
    for name, value in (
        ("outcome", outcome),
        ("treated", treated),
        ("control", control),
        ("cadence", cadence),
    ):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string; got {value!r}")
    if treated == control:
        raise ValueError(f"treated and control must differ; both are {treated!r}")
    if isinstance(covariates, str) or not all(isinstance(c, str) for c in covariates):
        raise ValueError(f"covariates must be a sequence of column or construct names; got {covariates!r}")
    if policies is not None and not isinstance(policies, pd.DataFrame):
        raise TypeError(f"policies must be a DataFrame or None, got {type(policies).__name__}")
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1 (exclusive); got {alpha!r}")
    missing = [c for c in ("team", "wave") if c not in waves.columns]
    if missing:
        raise ValueError(f"waves lacks the columns {missing}; it has {list(waves.columns)}")


def _persons(waves, outcome, cadence, policies, covariates) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person rows (team, wave, y, covariates) and the team-wave cadence table (team, wave, cadence)."""
    long = {"construct", "score"} <= set(waves.columns) and outcome not in waves.columns
    if long:
        if "respondent" not in waves.columns:
            raise ValueError("long scores (construct, score) need a respondent column")
        known = set(waves["construct"].dropna().astype(str))
        wanted = [outcome, *(c for c in covariates if c not in waves.columns)]
        absent = [c for c in wanted if c not in known]
        if absent:
            raise ValueError(f"constructs {absent} are not in waves['construct']; it has {sorted(known)}")
        keys = ["respondent", "wave", "team"]
        rows = waves[waves["construct"].astype(str).isin(wanted)]
        wide = rows.pivot_table(
            index=keys, columns="construct", values="score", aggfunc="first", observed=True
        )
        wide = wide.astype(float).reset_index()
        extra = [c for c in dict.fromkeys([*covariates, cadence, "cadence"]) if c in waves.columns]
        if extra:
            first = waves.drop_duplicates(keys)[keys + extra]
            wide = wide.merge(first.astype(dict.fromkeys(keys, str)), on=keys, how="left")
        source = wide.rename(columns={outcome: "__y"})
    else:
        absent = [c for c in (outcome, *covariates) if c not in waves.columns]
        if absent:
            raise ValueError(
                f"waves lacks the columns {absent} (outcome, covariates); it has {list(waves.columns)}"
            )
        source = waves.rename(columns={outcome: "__y"})
    persons = pd.DataFrame(
        {
            "team": source["team"].astype(str).to_numpy(),
            "wave": source["wave"].astype(str).to_numpy(),
            "y": pd.to_numeric(source["__y"]).astype(float).to_numpy(),
        }
    )
    for cov in covariates:
        persons[cov] = pd.to_numeric(source[cov]).astype(float).to_numpy()
    if policies is not None:
        need = [c for c in ("team", "wave", cadence) if c not in policies.columns]
        if need:
            raise ValueError(f"policies lacks the columns {need}; it has {list(policies.columns)}")
        cad = _as_cadence(policies, cadence)
    elif cadence in source.columns:
        cad = _as_cadence(source, cadence)
        varies = cad.groupby(["team", "wave"])["cadence"].nunique(dropna=True)
        if (varies > 1).any():
            team, wave = varies[varies > 1].index[0]
            raise ValueError(
                f"column {cadence!r} varies within team {team!r} in wave {wave!r}: the switch analysis "
                "needs a team-level cadence (use cadence='policy' for the modal report, or a policy column)"
            )
    elif cadence == "policy" and "cadence" in source.columns:
        cad = team_policy(source.assign(team=persons["team"].to_numpy(), wave=persons["wave"].to_numpy()))
        cad = _as_cadence(cad, "policy")
    else:
        raise ValueError(
            f"no cadence column {cadence!r} in waves (and no reported 'cadence' column to take the policy "
            f"from); it has {list(waves.columns)}"
        )
    return persons, cad.drop_duplicates(["team", "wave"]).reset_index(drop=True)


def _as_cadence(table: pd.DataFrame, column: str) -> pd.DataFrame:
    value = table[column].astype("str")
    return pd.DataFrame(
        {
            "team": table["team"].astype(str).to_numpy(),
            "wave": table["wave"].astype(str).to_numpy(),
            "cadence": value.to_numpy(dtype=object, na_value=None),
        }
    )


def _switch_list(cad: pd.DataFrame, wave_labels: list[str], treated: str, control: str) -> pd.DataFrame:
    known = cad.dropna(subset=["cadence"])
    known = known.assign(w=known["wave"].map({w: i for i, w in enumerate(wave_labels)}))
    known = known.sort_values(["team", "w"])
    prev = known.groupby("team")[["wave", "cadence"]].shift()
    moved = prev["cadence"].notna() & (prev["cadence"] != known["cadence"])
    out = pd.DataFrame(
        {
            "team": known["team"][moved],
            "wave": known["wave"][moved],
            "previous_wave": prev["wave"][moved],
            "from": prev["cadence"][moved],
            "to": known["cadence"][moved],
        }
    )
    on = (out["from"] == control) & (out["to"] == treated)
    off = (out["from"] == treated) & (out["to"] == control)
    out["direction"] = np.select([on, off], ["on", "off"], "other")
    out = out.astype(dict.fromkeys(out.columns, "str"))
    return out.sort_values(["wave", "team"], ignore_index=True)


def _first_switch(D: np.ndarray) -> np.ndarray:
    """0-based wave of the first known cadence that differs from the first known one (inf if never)."""
    known = ~np.isnan(D)
    base = D[np.arange(len(D)), known.argmax(axis=1)]
    moved = known & (base[:, None] != D)
    return np.where(moved.any(axis=1), moved.argmax(axis=1), np.inf)
