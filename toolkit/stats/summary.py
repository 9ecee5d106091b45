"""The numbers of the study's answer: one wave's adjusted contrasts, the switchers, measurement, power.

:func:`summary_numbers` gathers, for one wave of a :class:`toolkit.Study`, every number the
study summary (:func:`toolkit.study_summary`, rendered by :mod:`toolkit.report.summary`)
states. Each comes from a function checked against R elsewhere; this module only calls them
with the choices of the analysis notebooks (03 for the contrasts, 04 for the switchers, 02
for measurement and invariance, 05 for power) and keeps organisation-level results only:
nothing here is per team.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit.stats.agreement import icc
from toolkit.stats.cadence import compare_cadence
from toolkit.stats.measurement import invariance_summary, measurement_summary
from toolkit.stats.policy import team_policy
from toolkit.stats.power import power
from toolkit.stats.switches import cadence_switches

__all__ = ["OUTCOMES", "SummaryNumbers", "summary_numbers"]

#: The outcomes the summary compares besides depth, when the survey has them.
OUTCOMES = ("engagement", "growth", "trust", "intent_to_stay")
#: Effects (in SD units) whose teams needed per arm the summary gives.
PLANNED_EFFECTS = (0.2, 0.3, 0.5)


@dataclass
class SummaryNumbers:
    """Everything :func:`summary_numbers` computed for one wave (organisation-level only).

    Attributes
    ----------
    wave : str
    waves : tuple of str
        The stored waves up to ``wave`` (the switchers' panel).
    constructs : list of str
        Depth first, then the outcomes the survey has.
    labels : dict
        Construct id to label.
    covariates : list of str
        What the contrasts adjust for (``log_size``, ``division``), possibly empty.
    contrasts : DataFrame
        :func:`toolkit.compare_cadence` of weekly vs monthly on ``constructs`` (mixed model,
        Holm over the rows), with ``note``.
    switchers : DataFrame or None
        The switchers' ``summary`` rows (``did_m`` first) of :func:`toolkit.cadence_switches`
        on depth; None with the reason in ``switchers_reason``.
    pretrend : DataFrame or None
        The switchers' pre-trend tests.
    n_switches : int
        Changes between weekly and monthly seen (a count, never which teams).
    invariance : DataFrame
        :func:`toolkit.stats.measurement.invariance_summary` of ``constructs``.
    measurement : DataFrame
        :func:`toolkit.measurement_summary` rows of ``constructs``.
    power : dict
        ``icc1``, ``team_size`` (mean respondents per team), ``teams_weekly``,
        ``teams_monthly`` (by policy), ``teams_per_arm`` (the smaller), ``mde`` (detectable
        with 80% power now, SD units), ``g`` (this wave's adjusted effect on depth),
        ``teams_needed_for_g``, ``planned`` (effect -> teams needed per arm).
    robust : DataFrame
        For the constructs whose mixed model is singular (team variance estimated as zero),
        the same contrast by least squares with CR2 standard errors (``method="ols_cluster"``),
        indexed by outcome; empty otherwise.
    n_people, n_teams : int
        Respondents and teams of the wave.
    """

    wave: str
    waves: tuple[str, ...]
    constructs: list[str]
    labels: dict[str, str]
    covariates: list[str]
    contrasts: pd.DataFrame
    switchers: pd.DataFrame | None
    pretrend: pd.DataFrame | None
    n_switches: int
    invariance: pd.DataFrame
    measurement: pd.DataFrame
    power: dict = field(default_factory=dict)
    robust: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_people: int = 0
    n_teams: int = 0
    switchers_reason: str = ""


def summary_numbers(study, wave: str, *, alpha: float = 0.05) -> SummaryNumbers:
    """Compute the numbers of the study summary for ``wave`` of ``study``.

    Parameters
    ----------
    study : Study
        From :func:`toolkit.load_study` (with units and roster the contrasts are adjusted for
        division and team size; with teams, the switchers use the managers' policies).
    wave : str
        A stored wave.
    alpha : float, default 0.05
        1 - confidence level of the intervals.

    Returns
    -------
    SummaryNumbers

    Raises
    ------
    ValueError
        When ``wave`` is not stored, or the wave has no weekly or no monthly respondents.
    """
    survey = study.survey
    scores = study.wave_scores(wave)
    responses = study.wave_responses(wave)
    constructs = ["depth", *[c for c in OUTCOMES if c in survey.constructs]]
    if "depth" not in survey.constructs:
        raise ValueError(f"the study summary needs the construct 'depth'; survey {survey.id!r} has none")
    covariates = study.adjusted_for
    contrasts = compare_cadence(scores, outcome=constructs, covariates=covariates, alpha=alpha)
    singular = contrasts.loc[contrasts["note"] != "", "outcome"].tolist()
    robust = pd.DataFrame()
    if singular:
        robust = compare_cadence(
            scores, outcome=singular, covariates=covariates, method="ols_cluster", alpha=alpha
        ).set_index("outcome")
    waves = tuple(w for w in study.waves if w <= wave)
    switchers = pretrend = None
    reason, n_switches = "", 0
    if len(waves) < 2:
        reason = f"only one wave is stored up to {wave}, so no team can be seen switching"
    else:
        panel = study.scores[study.scores["wave"].isin(waves)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sw = cadence_switches(panel, outcome="depth", policies=study.policies, alpha=alpha)
        except ValueError as exc:
            reason = str(exc)
        else:
            switchers = sw.summary.reset_index(drop=True)
            pretrend = sw.pretrend.reset_index(drop=True)
            n_switches = int(sw.switches["direction"].isin(["on", "off"]).sum())
    with warnings.catch_warnings():  # constant items are reported in the table's notes
        warnings.simplefilter("ignore", UserWarning)
        measurement = measurement_summary(responses, survey)
    measurement = measurement[measurement["construct"].isin(constructs)].reset_index(drop=True)
    invariance = invariance_summary(responses, survey, constructs=constructs)
    return SummaryNumbers(
        wave=wave,
        waves=waves,
        constructs=constructs,
        labels={c: survey.constructs[c].label for c in constructs},
        covariates=list(covariates),
        contrasts=contrasts,
        switchers=switchers,
        pretrend=pretrend,
        n_switches=n_switches,
        invariance=invariance,
        measurement=measurement,
        power=_power(scores, responses, contrasts, alpha),
        robust=robust,
        n_people=int(responses["respondent"].nunique()),
        n_teams=int(responses["team"].nunique()),
        switchers_reason=reason,
    )


def _power(scores: pd.DataFrame, responses: pd.DataFrame, contrasts: pd.DataFrame, alpha: float) -> dict:
    """Power for the next quarter, as notebook 05: ICC(1) and team size of depth this wave."""
    depth = scores[scores["construct"] == "depth"].dropna(subset=["score"])
    icc1 = float(icc(depth, value="score", group="team").iloc[0]["icc1"])
    used = max(icc1, 0.01)  # a zero or negative estimate would promise too much
    size = float(depth.groupby("team")["score"].count().mean())
    m = max(2, round(size))
    policies = team_policy(responses)["policy"].astype("str").value_counts()
    weekly, monthly = int(policies.get("weekly", 0)), int(policies.get("monthly", 0))
    arm = max(min(weekly, monthly), 2)
    now = power(teams_per_arm=arm, team_size=m, icc=used, alpha=alpha, distribution="t").iloc[0]
    g = float(contrasts.loc[contrasts["outcome"] == "depth", "g"].iloc[0])
    needed = power(effect=max(abs(g), 0.05), team_size=m, icc=used, alpha=alpha, distribution="t")
    planned = power(effect=list(PLANNED_EFFECTS), team_size=m, icc=used, alpha=alpha, distribution="t")
    return {
        "icc1": icc1,
        "icc_used": used,
        "team_size": size,
        "team_size_used": m,
        "teams_weekly": weekly,
        "teams_monthly": monthly,
        "teams_per_arm": arm,
        "mde": float(now["mde"]),
        "g": g,
        "teams_needed_for_g": int(needed["teams_needed"].iloc[0]),
        "planned": {
            float(e): int(n) for e, n in zip(planned["effect"], planned["teams_needed"], strict=True)
        },
        "finite": bool(np.isfinite(now["mde"])),
    }
