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

from toolkit.stats.policy import team_policy

__all__ = ["Switches", "cadence_switches"]

_DIRECTIONS = (("on", 0.0, 1.0), ("off", 1.0, -1.0))  # (name, baseline D, sign of treated - control)
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


# --------------------------------------------------------------------------- estimators

_ONE_TEAM = (
    "one {what}: no SE, as a single team's change cannot be told apart from that team's own "
    "wave-to-wave noise"
)


def _normal_ci(df: pd.DataFrame, z: float) -> pd.DataFrame:
    e, s = df["estimate"].to_numpy(float), df["se"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(e / s))
    return df.assign(ci_low=e - z * s, ci_high=e + z * s, p_val=p)


def _t_ci(df: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Intervals and p-values from Student t on the ``df`` column (inf: normal; NaN: none)."""
    e, s, dof = (df[c].to_numpy(float) for c in ("estimate", "se", "df"))
    q, p = np.full(len(df), np.nan), np.full(len(df), np.nan)
    normal, t = np.isinf(dof), np.isfinite(dof) & (dof > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(e / s)
        q[normal], p[normal] = stats.norm.ppf(1 - alpha / 2), 2 * stats.norm.sf(ratio[normal])
        q[t], p[t] = stats.t.ppf(1 - alpha / 2, dof[t]), 2 * stats.t.sf(ratio[t], dof[t])
    return df.assign(ci_low=e - q * s, ci_high=e + q * s, p_val=p)


@dataclass(frozen=True)
class _Estimate:
    r"""A mean of switcher contrasts and its influence function (IF), in two parts.

    ``switcher``: :math:`\sum_{k \in i} (x_k - \hat\theta)/N` for each team *i* (the
    deviations of its contrasts from the estimate); ``control``: the comparison groups' part;
    ``teams``: the G teams behind the contrasts (the clusters); ``n``: the N contrasts.
    """

    estimate: float
    switcher: np.ndarray
    control: np.ndarray
    teams: np.ndarray
    n: int

    @property
    def n_teams(self) -> int:
        return int(self.teams.sum())

    def influence(self) -> np.ndarray:
        """Per-team IF with the switcher part scaled by sqrt(G / (G - 1)); NaN when G < 2."""
        g = self.n_teams
        if g < 2:
            return np.full(len(self.teams), np.nan)
        return np.sqrt(g / (g - 1)) * self.switcher + self.control

    def se(self) -> float:
        inf = self.influence()
        return float(np.sqrt(inf @ inf))

    def df(self) -> float:
        return float(self.n_teams - 1) if self.n_teams > 1 else np.nan


def _fe_ols(y, X, team, wave, names):
    """OLS of y on X with team and wave dummies (Frisch-Waugh: X and wave dummies demeaned within team).

    Returns (coefficients of [X, wave dummies], residuals, rows of (Z'Z)^+ Z' for X, K, G).
    """
    _, team = np.unique(team, return_inverse=True)
    G = team.max() + 1
    W = np.eye(wave.max() + 1)[wave][:, 1:]
    Z = np.column_stack([X, W])
    cnt = np.bincount(team, minlength=G)

    def within(a):
        a = np.asarray(a, float).reshape(len(team), -1)
        means = np.stack([np.bincount(team, weights=col, minlength=G) for col in a.T], axis=1) / cnt[:, None]
        return a - means[team]

    Zt, yt = within(Z), within(y)[:, 0]
    k = X.shape[1]
    rank = np.linalg.matrix_rank(Zt)
    if np.linalg.matrix_rank(Zt[:, k:]) + k > rank:
        raise ValueError(
            f"{names} do not vary within teams beyond the wave effects (team and wave effects absorb them)"
        )
    B = np.linalg.pinv(Zt.T @ Zt)
    coef = B @ Zt.T @ yt
    resid = yt - Zt @ coef
    return coef, resid, (B @ Zt.T)[:k], G + rank, G, team


def _twfe(persons: pd.DataFrame, panel: pd.DataFrame, covariates: list[str], z: float) -> pd.DataFrame:
    rows = []
    for level, data in (("person", persons), ("team_wave_mean", panel)):
        X = data[["d", *covariates]].to_numpy(float)
        team = data["team"].to_numpy()
        wave = pd.factorize(data["wave"], sort=True)[0]
        coef, e, H, K, G, tcode = _fe_ols(data["y"].to_numpy(float), X, team, wave, ["d", *covariates])
        N = len(e)
        h = H[0]
        se_iid = np.sqrt(np.sum(e**2) / (N - K) * np.sum(h**2))
        v0n = np.sum(np.bincount(tcode, weights=h * e, minlength=G) ** 2)
        rows.append(
            {
                "level": level,
                "estimate": coef[0],
                "se_iid": se_iid,
                "se_cl_hc0": np.sqrt(G / (G - 1) * v0n),
                "se_cl_hc1": np.sqrt(G / (G - 1) * (N - 1) / (N - K) * v0n),
                "n_obs": N,
                "n_teams": G,
                "k": K,
                "resid_df": N - K,
            }
        )
    out = pd.DataFrame(rows)
    out = _normal_ci(out.assign(se=out["se_cl_hc1"]), z).drop(columns="se")
    cols = ["level", "estimate", "se_iid", "se_cl_hc0", "se_cl_hc1", "ci_low", "ci_high", "p_val"]
    return out[[*cols, "n_obs", "n_teams", "k", "resid_df"]]


def _cells(Y, D, first, wave_labels, treated, control, alpha):
    """Group-time cells, each cell's (treated, contrasts, control IF), and the teams of e = 0 cells."""
    n, T = Y.shape
    known = ~np.isnan(D)
    base_d = D[np.arange(n), known.argmax(axis=1)]
    rows, parts, members = [], [], np.zeros(n, bool)  # members: teams in an e = 0 cell
    for direction, b0, sign in _DIRECTIONS:
        grp = base_d == b0
        for g in range(1, T):
            b = g - 1
            for t in range(T):
                if t == b:
                    continue
                obs = ~np.isnan(Y[:, t]) & ~np.isnan(Y[:, b])
                tr = grp & (first == g) & obs
                co = grp & (first > max(t, b)) & (first != g) & obs
                if not tr.any():
                    continue
                dy, e_ = Y[:, t] - Y[:, b], t - g
                m_t = dy[tr].mean()
                m_c = dy[co].mean() if co.any() else np.nan
                contrast = np.where(tr, dy - m_c, 0.0)  # each treated team against the controls' mean
                ctl = np.zeros(n)
                ctl[co] = -(dy[co] - m_c) / max(co.sum(), 1)
                parts.append((tr, contrast, ctl))
                members |= tr | co if e_ == 0 else False
                rows.append(
                    {
                        "direction": direction,
                        "from": control if direction == "on" else treated,
                        "to": treated if direction == "on" else control,
                        "g": wave_labels[g],
                        "t": wave_labels[t],
                        "base": wave_labels[b],
                        "e": t - g,
                        "n_treated": int(tr.sum()),
                        "n_control": int(co.sum()),
                        "mean_dy_treated": m_t,
                        "mean_dy_control": m_c,
                        "estimate": m_t - m_c,
                        "sign": sign,
                    }
                )
    cols = ["direction", "from", "to", "g", "t", "base", "e", "n_treated", "n_control", "mean_dy_treated"]
    cells = pd.DataFrame(rows, columns=[*cols, "mean_dy_control", "estimate", "sign"])
    se, dof, note = np.full(len(cells), np.nan), np.full(len(cells), np.nan), []
    for k in range(len(cells)):  # a cell alone: its IF is the deviation from its own mean
        if np.isnan(cells["estimate"].iloc[k]):
            note.append("no not-yet-switched control team")
            continue
        fit = _aggregate(cells, parts, np.arange(len(cells)) == k, signed=False)
        se[k], dof[k] = fit.se(), fit.df()
        note.append("" if fit.n_teams > 1 else _ONE_TEAM.format(what="treated team"))
    cells = _t_ci(cells.assign(se=se, df=dof), alpha)
    cells["estimate_treated_minus_control"] = cells["estimate"] * cells["sign"]
    cells["se_note"] = pd.Series(note, index=cells.index, dtype="str")
    order = [*cols, "mean_dy_control", "estimate", "se", "df", "ci_low", "ci_high", "p_val", "sign"]
    return cells[[*order, "estimate_treated_minus_control", "se_note"]].astype({"e": int}), parts, members


def _aggregate(cells, parts, sel, signed) -> _Estimate:
    r"""The cells' mean weighted by n_treated = the mean of their N treated team-cell contrasts.

    :math:`x_{ic} = s_c(\Delta Y_{ic} - \overline{\Delta Y}_{C_c})`, :math:`\hat\theta =
    \bar x`; switcher part of the IF :math:`\sum_{c \ni i}(x_{ic} - \hat\theta)/N`, control
    part :math:`\sum_c (n_c/N)\, s_c\, \mathrm{IF}^C_{ic}`.
    """
    idx = np.flatnonzero(sel & cells["estimate"].notna().to_numpy())
    nt = cells["n_treated"].to_numpy(float)[idx]
    sign = cells["sign"].to_numpy(float)[idx] if signed else np.ones(len(idx))
    N = nt.sum()
    est = float((nt / N * sign) @ cells["estimate"].to_numpy(float)[idx])
    n = len(parts[0][0])
    switcher, control, teams = np.zeros(n), np.zeros(n), np.zeros(n, bool)
    for k, s, m in zip(idx, sign, nt, strict=True):
        tr, contrast, ctl = parts[k]
        switcher[tr] += (s * contrast[tr] - est) / N
        control += m / N * s * ctl
        teams |= tr
    return _Estimate(est, switcher, control, teams, int(N))


def _event_study(cells, parts, alpha) -> tuple[pd.DataFrame, list[tuple]]:
    e = cells["e"].to_numpy()
    direc = cells["direction"].to_numpy()
    has = cells["estimate"].notna().to_numpy()
    rows, fits = [], {}
    variants = (
        ("pooled", np.ones(len(e), bool), True),
        ("on", direc == "on", False),
        ("off", direc == "off", False),
    )
    aggregates = [("event_time", ee, e == ee) for ee in sorted(set(e))] + [("overall_post", pd.NA, e >= 0)]
    for aggregate, ee, at in aggregates:
        for name, mask, signed in variants:
            sel = mask & at & has
            if not sel.any():
                continue
            fit = _aggregate(cells, parts, sel, signed)
            if aggregate == "event_time":
                fits[name, ee] = fit
            note = "" if fit.n_teams > 1 else _ONE_TEAM.format(what="treated team")
            row = (fit.estimate, fit.se(), fit.df(), fit.n, sel.sum(), fit.n_teams, note)
            rows.append((aggregate, name, ee, *row))
    cols = ["estimate", "se", "df", "n", "n_cells", "n_treated_teams", "se_note"]
    es = pd.DataFrame(rows, columns=["aggregate", "direction", "e", *cols])
    es = _t_ci(es.astype({"e": "Int64", "n_cells": int, "se_note": "str"}), alpha)
    es = es[["aggregate", "direction", "e", *cols[:2], "ci_low", "ci_high", "p_val", *cols[2:]]]
    pre = [_joint_pretrend(name, fits) for name, _, _ in variants]
    return es, [p for p in pre if p]


_PRETREND_COLUMNS = {
    "test": "str", "direction": "str", "event_times": "str", "statistic": float, "df": int,
    "f_statistic": float, "df_denom": float, "p_val": float, "p_chi2": float, "n_treated_teams": int,
    "note": "str",
}  # fmt: skip


def _pretrend_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(_PRETREND_COLUMNS)).astype(_PRETREND_COLUMNS)


def _joint_pretrend(name: str, fits: dict) -> tuple | None:
    r"""Hotelling-type joint test that the event-time estimates with e <= -2 are all zero.

    :math:`W = \hat\beta'\hat V^{-1}\hat\beta` (``statistic``, ``df`` = q) with
    :math:`\hat V = M'M`, M the q estimates' influence functions (each as in its event-time
    row), and :math:`F = W/q \cdot (G-q)/(G-1)` on (q, G - q) df (``p_val``), G the treated
    teams behind them. Estimates with one treated team (no SE) are left out; NaN, with a
    note, when none is left or G <= q.
    """
    times = sorted(ee for (v, ee) in fits if v == name and ee <= -2)
    if not times:
        return None
    usable = [ee for ee in times if fits[name, ee].n_teams > 1]
    dropped = ", ".join(str(ee) for ee in times if ee not in usable)
    notes = [f"left out e = {dropped}: one treated team, no SE"] if dropped else []
    teams = np.zeros_like(fits[name, times[0]].teams)
    for ee in usable:
        teams |= fits[name, ee].teams
    G, q = int(teams.sum()), len(usable)
    label = " ".join(map(str, usable or times))
    if not usable or q >= G:
        why = f"{G} treated teams behind {q} pre-switch estimates: the test needs more teams"
        notes.append(why if usable else "no pre-switch estimate has an SE")
        return ("cs_event_study", name, label, np.nan, q, np.nan, np.nan, np.nan, np.nan, G, "; ".join(notes))
    beta = np.array([fits[name, ee].estimate for ee in usable])
    M = np.column_stack([fits[name, ee].influence() for ee in usable])
    V = M.T @ M
    if np.linalg.matrix_rank(V) < q:
        notes.append("singular covariance of the pre-switch estimates")
        return ("cs_event_study", name, label, np.nan, q, np.nan, np.nan, np.nan, np.nan, G, "; ".join(notes))
    W = float(beta @ np.linalg.solve(V, beta))
    F = W / q * (G - q) / (G - 1)
    p_f, p_chi2 = stats.f.sf(F, q, G - q), stats.chi2.sf(W, q)
    return ("cs_event_study", name, label, W, q, F, G - q, p_f, p_chi2, G, "; ".join(notes))


def _did_m(Y, D, wave_labels, alpha) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple]]:
    """DID_M and its placebo: each switch's contrast against the stable teams, pooled (Notes)."""
    n, T = Y.shape
    out, periods = [], []
    for kind, lag in (("did_m", 0), ("did_m_placebo", 1)):
        contrasts, control, teams = [], np.zeros(n), np.zeros(n, bool)
        for t in range(1 + lag, T):
            a, b = t - 1 - lag, t - lag  # outcome change from a to b
            ok = ~np.isnan(Y[:, a]) & ~np.isnan(Y[:, b])
            stable = np.ones(n, bool) if lag == 0 else D[:, t - 2] == D[:, t - 1]
            prev, now = D[:, t - 1], D[:, t]
            g = {
                "J": ok & stable & (prev == 0) & (now == 1),
                "S0": ok & stable & (prev == 0) & (now == 0),
                "L": ok & stable & (prev == 1) & (now == 0),
                "S1": ok & stable & (prev == 1) & (now == 1),
            }
            dy = Y[:, b] - Y[:, a]
            did = {"J": np.nan, "L": np.nan}
            for mover, stay, s in (("J", "S0", 1.0), ("L", "S1", -1.0)):
                mv, st = g[mover], g[stay]
                if mv.any() and st.any():
                    m_st = dy[st].mean()
                    c = s * (dy[mv] - m_st)  # each switch against the stable teams' mean change
                    contrasts.append((mv, c, mover))
                    did[mover] = c.mean()
                    control[st] -= s * mv.sum() * (dy[st] - m_st) / st.sum()  # / N below
                    teams |= mv | st
            counts = (int(g[k].sum()) for k in ("J", "S0", "L", "S1"))
            periods.append((kind, wave_labels[t], *counts, did["J"], did["L"]))
        N = sum(len(c) for _, c, _ in contrasts)
        est = sum(c.sum() for _, c, _ in contrasts) / N if N else np.nan
        switcher, movers = np.zeros(n), np.zeros(n, bool)
        for mv, c, _ in contrasts:
            switcher[mv] += (c - est) / N
            movers |= mv
        fit = _Estimate(est, switcher, control / max(N, 1), movers, N)
        nj = sum(len(c) for _, c, k in contrasts if k == "J")
        note = _ONE_TEAM.format(what="switching team") if fit.n_teams == 1 else ""
        out.append((kind, est, fit.se(), fit.df(), N, nj, N - nj, int(teams.sum()), fit.n_teams, note))
    cols = ["estimator", "estimate", "se", "df", "n_switches", "n_joiners", "n_leavers", "n_teams"]
    cols = [*cols, "n_switching_teams", "se_note"]
    did_m = _t_ci(pd.DataFrame(out, columns=cols).astype({"se_note": "str"}), alpha)
    did_m = did_m[["estimator", "estimate", "se", "ci_low", "ci_high", "p_val", *cols[3:]]]
    counts = ["n_joiners", "n_stable_control", "n_leavers", "n_stable_treated"]
    periods = pd.DataFrame(periods, columns=["kind", "t", *counts, "did_plus", "did_minus"])
    pl = did_m.iloc[1]
    if np.isnan(pl["estimate"]):
        return did_m, periods, []
    with np.errstate(invalid="ignore", divide="ignore"):
        t2 = float((pl["estimate"] / pl["se"]) ** 2)  # the Wald statistic, = F(1, df)
    placebo = ("did_m_placebo", "pooled", "t-2..t-1", t2, 1, t2, pl["df"], pl["p_val"], stats.chi2.sf(t2, 1))
    return did_m, periods, [(*placebo, int(pl["n_switching_teams"]), pl["se_note"])]
