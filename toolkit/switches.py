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
with influence-function (plug-in) standard errors clustered by team. All the formulas, and
the R script that checks them, are in ``tests/reference/cadence/README.md`` (section g) and
``reference.R``: R has no ``fixest`` or ``did`` in Debian 12, so the reference is base R.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.policy import team_policy

__all__ = ["Switches", "cadence_switches"]

_DIRECTIONS = (("on", 0.0, 1.0), ("off", 1.0, -1.0))  # (name, baseline D, sign of treated - control)


@dataclass(frozen=True)
class Switches:
    """The result of :func:`cadence_switches`: one tidy table per question.

    Attributes
    ----------
    summary : DataFrame
        One row per estimator (``twfe``, ``cs_not_yet``, ``did_m``): ``estimator``,
        ``estimate`` (treated minus control cadence), ``se``, ``ci_low``, ``ci_high``,
        ``p_val`` (normal), ``n_teams`` (teams the estimate uses), ``n_switchers`` (twfe:
        teams whose cadence changes; cs_not_yet: switched teams in the e = 0 cells; did_m:
        switches, so a team that switches back counts twice), ``headline`` (True for
        ``did_m``), ``note``.
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
        ``estimate`` (on the direction's own scale: to minus from), ``se``, ``ci_low``,
        ``ci_high``, ``p_val``, ``sign`` (+1 on, -1 off), ``estimate_treated_minus_control``.
    event_study : DataFrame
        ``aggregate`` (``event_time`` or ``overall_post``), ``direction`` (``pooled``:
        signed treated minus control; ``on``, ``off``: the switch's own scale), ``e``
        (waves since the switch; NA for overall_post), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_val``, ``n`` (treated teams summed over cells), ``n_cells``.
    pretrend : DataFrame
        ``test`` (``cs_event_study``: joint Wald test that the event-study estimates with
        e <= -2 are 0; ``did_m_placebo``), ``direction``, ``event_times``, ``statistic``
        (chi-square), ``df``, ``p_val``.
    did_m : DataFrame
        ``estimator`` (``did_m``, ``did_m_placebo``), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_val``, ``n_switches``, ``n_joiners``, ``n_leavers``.
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
        Confidence intervals are :math:`\hat\beta \pm z_{1-\alpha/2}\,\mathrm{se}`.

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

    with teams weighted equally and a plug-in influence-function SE (the paper's package
    bootstraps). The placebo uses :math:`Y_{t-1}-Y_{t-2}` among teams with
    :math:`D_{t-2}=D_{t-1}`.

    **Group-time effects** (Callaway and Sant'Anna 2021, J. Econometrics 225(2), 200-230,
    not-yet-treated controls, universal base period). Direction ``on``: teams that start
    at ``control``; ``off``: teams that start at ``treated``. Cohort :math:`g` = first wave
    whose cadence differs from the first (teams switching back stay in their cohort):

    .. math::

        \mathrm{ATT}(g,t) = \overline{(Y_t - Y_{g-1})}_{G=g} - \overline{(Y_t - Y_{g-1})}_{G>\max(t,g-1)}

    The event study averages cells with :math:`e = t-g` weighted by their treated teams;
    SEs sum the cells' influence functions by team. ``cs_not_yet`` in the summary is the
    pooled :math:`e=0` estimate (the effect in the wave of the switch, like DID_M; later
    event times mix in teams that switched back). The pre-trend test is
    :math:`\hat\beta'\hat V^{-1}\hat\beta` over the event times :math:`e \le -2`.

    **TWFE**: OLS of the outcome on :math:`D`, team and wave dummies, at person level and on
    team-wave means, with sandwich ``vcovCL`` errors (HC0 = G/(G-1), HC1 also (N-1)/(N-K),
    K counting the team dummies); the summary row is the team-wave-mean HC1 fit.

    Checked against ``tests/reference/cadence/reference.R`` (section g) to 1e-10.

    Examples
    --------
    >>> persons = pd.read_csv("tests/reference/cadence/D3_persons.csv")
    >>> policies = pd.read_csv("tests/reference/cadence/D3_team_waves.csv")
    >>> res = cadence_switches(persons, outcome="depth", policies=policies)
    >>> res.summary[["estimator", "estimate", "se", "n_teams", "n_switchers"]].round(4)
        estimator  estimate      se  n_teams  n_switchers
    0        twfe    0.3092  0.0663      165           38
    1  cs_not_yet    0.3124  0.0847      162           36
    2       did_m    0.2813  0.0650      163           50
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
    cells, ifs, in_e0 = _cells(Y, D, first, wave_labels, treated, control, z)
    event_study, pre = _event_study(cells, ifs, z)
    did_m, periods, pl = _did_m(Y, D, wave_labels, z)
    pretrend = pd.concat([pre, pl], ignore_index=True)

    tw = twfe.iloc[1]
    e0 = event_study[(event_study["aggregate"] == "event_time") & (event_study["direction"] == "pooled")]
    e0 = e0[e0["e"] == 0]
    e0 = e0.iloc[0] if len(e0) else pd.Series({"estimate": np.nan, "se": np.nan, "n": 0})
    dm = did_m.iloc[0]
    adj = f"; outcome adjusted for {', '.join(covariates)} (SE ignores that step)" if covariates else ""
    summary = pd.DataFrame(
        {
            "estimator": ["twfe", "cs_not_yet", "did_m"],
            "estimate": [tw["estimate"], e0["estimate"], dm["estimate"]],
            "se": [tw["se_cl_hc1"], e0["se"], dm["se"]],
            "n_teams": [int(tw["n_teams"]), int(in_e0.sum()), int(dm["n_teams"])],
            "n_switchers": [int(varies.sum()), int(e0["n"]), int(dm["n_switches"])],
            "headline": [False, False, True],
            "note": [
                "two-way fixed effects on team-wave means, cluster-robust HC1; for comparison only: with "
                "staggered switches and heterogeneous effects it is biased (negative weights)" + adj,
                "Callaway-Sant'Anna group-time effects vs not-yet-switched teams, base g-1, pooled over both "
                "directions at e = 0 (the wave of the switch); n_switchers = treated teams" + adj,
                "de Chaisemartin-D'Haultfoeuille DID_M: effect of a switch in its wave, both directions, "
                "plug-in SE; n_switchers = switches counted" + adj,
            ],
        }
    )
    summary = _with_ci(summary, z)
    summary = summary[
        [
            "estimator",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "p_val",
            "n_teams",
            "n_switchers",
            "headline",
            "note",
        ]
    ]
    panel = panel.assign(cadence=np.where(panel["d"] == 1, treated, control), d=panel["d"].astype(int))
    panel = panel[["team", "wave", "cadence", "d", "n_members", "y"]]
    return Switches(summary, switches, panel, cells, event_study, pretrend, did_m, periods, twfe)


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


def _with_ci(df: pd.DataFrame, z: float, est: str = "estimate") -> pd.DataFrame:
    e, s = df[est].to_numpy(float), df["se"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(e / s))
    return df.assign(ci_low=e - z * s, ci_high=e + z * s, p_val=p)


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
    out = _with_ci(out.assign(se=out["se_cl_hc1"]), z).drop(columns="se")
    cols = ["level", "estimate", "se_iid", "se_cl_hc0", "se_cl_hc1", "ci_low", "ci_high", "p_val"]
    return out[[*cols, "n_obs", "n_teams", "k", "resid_df"]]


def _cells(Y, D, first, wave_labels, treated, control, z) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n, T = Y.shape
    known = ~np.isnan(D)
    base_d = D[np.arange(n), known.argmax(axis=1)]
    rows, ifs, members = [], [], np.zeros(n, bool)  # members: teams in an e = 0 cell
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
                inf = np.zeros(n)
                inf[tr] = (dy[tr] - m_t) / tr.sum()
                inf[co] = -(dy[co] - m_c) / max(co.sum(), 1)
                ifs.append(inf)
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
                        "se": np.sqrt(np.sum(inf**2)) if co.any() else np.nan,
                        "sign": sign,
                    }
                )
    cols = ["direction", "from", "to", "g", "t", "base", "e", "n_treated", "n_control", "mean_dy_treated"]
    cells = _with_ci(pd.DataFrame(rows, columns=[*cols, "mean_dy_control", "estimate", "se", "sign"]), z)
    cells["estimate_treated_minus_control"] = cells["estimate"] * cells["sign"]
    return cells.astype({"e": int}), np.column_stack(ifs) if ifs else np.zeros((n, 0)), members


def _aggregate(cells, ifs, sel, signed):
    sel = sel & cells["estimate"].notna().to_numpy()
    nt = cells["n_treated"].to_numpy(float)[sel]
    ws = nt / nt.sum() * (cells["sign"].to_numpy(float)[sel] if signed else 1.0)
    inf = ifs[:, sel] @ ws
    est = float(ws @ cells["estimate"].to_numpy(float)[sel])
    return est, inf, int(nt.sum()), int(sel.sum())


def _event_study(cells, ifs, z) -> tuple[pd.DataFrame, pd.DataFrame]:
    e = cells["e"].to_numpy()
    direc = cells["direction"].to_numpy()
    rows, infs = [], {}
    variants = (
        ("pooled", np.ones(len(e), bool), True),
        ("on", direc == "on", False),
        ("off", direc == "off", False),
    )
    for ee in sorted(set(e)):
        for name, mask, signed in variants:
            sel = mask & (e == ee)
            if sel.any() and cells["estimate"][sel].notna().any():
                est, inf, nt, nc = _aggregate(cells, ifs, sel, signed)
                infs[name, ee] = (est, inf)
                rows.append(("event_time", name, ee, est, np.sqrt(inf @ inf), nt, nc))
    for name, mask, signed in variants:
        sel = mask & (e >= 0)
        if sel.any() and cells["estimate"][sel].notna().any():
            est, inf, nt, nc = _aggregate(cells, ifs, sel, signed)
            rows.append(("overall_post", name, pd.NA, est, np.sqrt(inf @ inf), nt, nc))
    cols = ["aggregate", "direction", "e", "estimate", "se", "n", "n_cells"]
    es = _with_ci(pd.DataFrame(rows, columns=cols).astype({"e": "Int64"}), z)
    es = es[["aggregate", "direction", "e", "estimate", "se", "ci_low", "ci_high", "p_val", "n", "n_cells"]]
    pre = []
    for name, _, _ in variants:
        pes = sorted(ee for (v, ee) in infs if v == name and ee <= -2)
        if not pes:
            continue
        est = np.array([infs[name, ee][0] for ee in pes])
        M = np.column_stack([infs[name, ee][1] for ee in pes])
        V = M.T @ M
        df = np.linalg.matrix_rank(V)
        chi2 = float(est @ np.linalg.pinv(V) @ est) if df else np.nan
        p = stats.chi2.sf(chi2, df) if df else np.nan
        pre.append(("cs_event_study", name, " ".join(map(str, pes)), chi2, df, p))
    pre = pd.DataFrame(pre, columns=["test", "direction", "event_times", "statistic", "df", "p_val"])
    return es, pre


def _did_m(Y, D, wave_labels, z) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n, T = Y.shape
    out, periods = [], []
    for kind, lag in (("did_m", 0), ("did_m_placebo", 1)):
        parts = []
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
            dp = dy[g["J"]].mean() - dy[g["S0"]].mean() if g["J"].any() and g["S0"].any() else np.nan
            dm = dy[g["S1"]].mean() - dy[g["L"]].mean() if g["L"].any() and g["S1"].any() else np.nan
            parts.append((dy, g, dp, dm))
            periods.append((kind, wave_labels[t], *(int(g[k].sum()) for k in ("J", "S0", "L", "S1")), dp, dm))
        nj = np.array([0 if np.isnan(dp) else g["J"].sum() for _, g, dp, _ in parts])
        nl = np.array([0 if np.isnan(dm) else g["L"].sum() for _, g, _, dm in parts])
        ns = nj.sum() + nl.sum()
        total = sum(k * p for k, (_, _, p, _) in zip(nj, parts, strict=True) if k) + sum(
            k * m for k, (_, _, _, m) in zip(nl, parts, strict=True) if k
        )
        est = total / ns if ns else np.nan
        inf = np.zeros(n)
        teams = np.zeros(n, bool)
        for (dy, g, _, _), kj, kl in zip(parts, nj, nl, strict=True):
            for k, mover, stay, s in ((kj, "J", "S0", 1.0), (kl, "L", "S1", -1.0)):
                if k:
                    mv, st = g[mover], g[stay]
                    inf[mv] += s * (dy[mv] - dy[mv].mean()) / ns
                    inf[st] -= s * k / ns * (dy[st] - dy[st].mean()) / st.sum()
                    teams |= mv | st
        se = np.sqrt(inf @ inf) if ns else np.nan
        out.append((kind, est, se, int(ns), int(nj.sum()), int(nl.sum()), int(teams.sum())))
    cols = ["estimator", "estimate", "se", "n_switches", "n_joiners", "n_leavers", "n_teams"]
    did_m = _with_ci(pd.DataFrame(out, columns=cols), z)
    did_m = did_m[["estimator", "estimate", "se", "ci_low", "ci_high", "p_val", *cols[3:]]]
    counts = ["n_joiners", "n_stable_control", "n_leavers", "n_stable_treated"]
    periods = pd.DataFrame(periods, columns=["kind", "t", *counts, "did_plus", "did_minus"])
    pl = did_m.iloc[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = (pl["estimate"] / pl["se"]) ** 2
    placebo = pd.DataFrame(
        [("did_m_placebo", "pooled", "t-2..t-1", chi2, 1, stats.chi2.sf(chi2, 1))],
        columns=["test", "direction", "event_times", "statistic", "df", "p_val"],
    )
    if np.isnan(pl["estimate"]):
        placebo = placebo.iloc[:0]
    return did_m, periods, placebo
