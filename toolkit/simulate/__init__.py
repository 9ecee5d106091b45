"""Synthetic organisations with known truth: teams, managers, 1:1 cadences and survey waves.

:func:`simulate` draws an organisation (divisions, departments, teams, one manager per team),
its people over several quarterly waves (with turnover), each manager's 1:1 policy (with
confounding and switches), and every report's answers to a survey from a multilevel
generative model, then makes the answers as messy as real platform data. The
:class:`SimulatedOrg` it returns holds the canonical responses, the roster, the unit
tree, the per-row truth and ``truth`` (every parameter, and the population effects on
the score scale the analyses use); :meth:`SimulatedOrg.write` writes them with platform
exports (Qualtrics, Google Forms). Everything is reproducible from ``seed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from toolkit.simulate._model import _calibrate
from toolkit.simulate._org import _Simulation, pseudonym_key
from toolkit.simulate._params import (
    _NULLED,
    DEFAULT_DESIGN,
    DEFAULT_EFFECTS,
    DEFAULT_MESS,
    _merge_design,
    _merge_effects,
    _merge_mess,
    _number,
    _rate_range,
    _wave_labels,
    _whole,
)
from toolkit.simulate._plan import _Plan
from toolkit.simulate._result import SimulatedOrg
from toolkit.survey import Survey

__all__ = [
    "DEFAULT_DESIGN",
    "DEFAULT_EFFECTS",
    "DEFAULT_MESS",
    "SimulatedOrg",
    "pseudonym_key",
    "simulate",
]


def simulate(
    survey: Survey,
    *,
    teams: int = 60,
    waves: int = 4,
    seed: int = 0,
    icc: float = 0.10,
    null: bool = False,
    effects: Mapping[str, Any] | None = None,
    response_rate: tuple[float, float] = (0.6, 0.9),
    first_wave: str = "2026Q1",
    mess: Mapping[str, float] | None = None,
    design: Mapping[str, Any] | None = None,
) -> SimulatedOrg:
    r"""Simulate an organisation, its 1:1 practices and its survey waves, with known truth.

    Parameters
    ----------
    survey : Survey
        The survey to answer. Constructs with the ids of the default survey
        (availability, holding_back, depth, reliability, informal_contact, engagement,
        growth, trust, intent_to_stay) follow the model below; any other construct gets
        team and person variation only. Items are found through their roles and constructs.
    teams : int, default 60
        Number of teams (one manager each); about 8.5 employees per team on average.
    waves : int, default 4
        Number of quarterly waves (1 to 40).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the pseudonym key is derived from it too.
    icc : float, default 0.10
        Target ICC(1) of every construct's observed score (the mean of its items on their
        scale, reverse keyed; one-way ANOVA estimator), among attentive respondents (careless
        answers dilute it a little), from 0 to 0.3. The latent team share is calibrated to
        reach it (``icc_latent`` in ``truth["variance_components"]``). The team-level effects
        (cadence, team size, division) alone imply some clustering, and a target below that
        floor gives the floor (``icc_floor``): with the default effects about 0.07 for depth
        and 0.06 for reliability, and 0.105 for depth with ``null=True`` (the division effect
        is then no longer offset by cadence).
    null : bool, default False
        Set every effect of the 1:1 (``depth_cadence``, ``reliability_cadence``,
        ``outcome_cadence``, ``depth_length``, ``only_channel``) to zero, for type-I error
        checks. The confounders stay.
    effects : mapping, optional
        Overrides of :data:`DEFAULT_EFFECTS` (cadence and length profiles are merged code by
        code, in latent SD relative to monthly or to about_30).
    response_rate : (float, float), default (0.6, 0.9)
        Range of the teams' response rates (uniform per team, varying a little by wave).
    first_wave : str, default "2026Q1"
        Label of the first wave; later waves are the following quarters.
    mess : mapping, optional
        Overrides of :data:`DEFAULT_MESS`: ``speeders``, ``straight_liners`` and
        ``attention_failures`` (shares of respondents, exclusive), ``duplicates`` (share of
        respondents who submit twice), ``item_nonresponse`` (optional questions left blank),
        ``not_applicable`` (answers given as the scale's not-applicable code), ``comments``
        and ``self_naming`` (respondents who sign their comment with their name).
    design : mapping, optional
        Overrides of :data:`DEFAULT_DESIGN`: policy and length shares, team-size mix
        (shares of teams of 1-3, 4-12 and 15+), disagreement, switch and turnover rates.

    Returns
    -------
    SimulatedOrg

    Raises
    ------
    ValueError
        When an argument is out of range, naming it, what is allowed and what was given.

    Notes
    -----
    Organisation: divisions :math:`d` (about :math:`\sqrt{T}`, at most 40) with a 1:1
    culture :math:`c_d` (standardised), departments of about 6 teams, team sizes from a
    mixture (7% of 1-3, 83% of 4-12, 10% of 15+) and
    :math:`z_t = (\log n_t - \log 8) / 0.5`. Each manager's policy is an ordered probit,

    .. math:: f_t = 2.0\,c_d - 1.0\,z_t + \epsilon_t,\quad \epsilon_t \sim N(0, 1),

    cut at the organisation's quantiles so that 30/30/25/10/5% of managers meet
    weekly/biweekly/monthly/less than monthly/never: larger teams and some divisions meet
    less often. A report's
    experienced cadence :math:`c_i` is the policy, or with probability 0.12 a neighbouring
    code; the report answers the experienced cadence (the usual length likewise, 0.10).
    Every wave 5% leave, 3% move teams and joiners fill vacancies (HR attributes stay as
    drawn; joiners are in their first year); 8% of weekly and of monthly managers switch
    between weekly and monthly, and half of those switch back a wave later
    (``truth["switches"]``, ``team_waves``).

    Latent constructs (SD 1 each, :math:`\delta` from ``effects``, :math:`F(c)` the 1:1s
    per week relative to weekly):

    .. math::

        A &= -0.15 z + r_A,\qquad I = 0.4 A + r_I,\qquad
        R = \delta_R(c_i) - 0.10 z + r_R\\
        D &= \delta_D(c_i) + \delta_L(\ell_i) - 0.05 z - 0.35 c_d + 0 \cdot I + r_D\\
        H &= -0.40 A + 0.25\,F(c_i)\,(-A) + r_H\\
        O &= 0.45 D + 0.10 R + 0.15 A + \delta_O(c_i) + r_O
        \quad (O = \text{engagement, growth, trust, intent to stay})

    with :math:`\delta_D` = 0.30, 0.18, 0, -0.25, -0.70 from weekly to none (monthly to
    weekly is d = 0.3; no 1:1s far below monthly), :math:`\delta_R` = 0.25, 0.15, 0, -0.20,
    -0.50, :math:`\delta_O` = 0.05, 0.03, 0, -0.03, -0.10 and :math:`\delta_L` = -0.25 for
    1:1s of 15 minutes or less. Divisions whose culture favours frequent 1:1s use them more
    for status (:math:`-0.35 c_d`), so the naive weekly-monthly comparison of depth is
    biased towards zero; adjusting for division and team size removes the bias.

    The residual is :math:`r_k = b_{tk} + u_{ik} + e_{ikw}`: a team effect, a person effect
    that persists across waves and moves with the person (60% of the person variance) and
    occasion noise, with variances calibrated so that :math:`\operatorname{Var}(\eta_k)=1`
    and the observed score ICC(1) is ``icc``. Item :math:`j` of construct :math:`k` is
    :math:`y^*_j = 0.8\,\eta_k + a_j + 0.6\,\varepsilon_j` cut at thresholds onto the
    scale's codes (answers skewed to agreement, about 5/16/32/32/14%), reverse-keyed items
    reversed. Then the mess: teams respond at their rate; speeders (random answers, 0.5 to
    1.7 s per rated item where others take about 11); straight-liners (one position for
    every rated item); attention failures (random answers and a wrong attention answer);
    duplicate submissions (a later copy with a few answers changed); not-applicable codes;
    blank optional answers; comments, and self-naming comments ("This is <roster name>.").
    Speeders and straight-liners pass the attention check, so :func:`toolkit.validate`
    quarantines exactly the attention failures and both submissions of a duplicate.

    ``truth["estimands"]`` defines each population effect and gives it on the score scale
    (computed from the item response curves over a Monte Carlo population of 80,000
    reports) and on the latent scale, e.g. ``depth_weekly_vs_monthly``: the expected
    difference in the depth score between reports with weekly and with monthly 1:1s,
    holding team size, division and person effects fixed.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> org = simulate(load_survey("surveys/one_on_one_pulse.yaml"), teams=5, waves=2, seed=1)
    >>> org.waves
    ('2026Q1', '2026Q2')
    >>> list(org.responses["2026Q1"].columns) == list(org.survey.columns)
    True
    >>> org.truth["estimands"]["depth_weekly_vs_monthly"]["latent"]
    0.3
    """
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")
    n_teams = _whole(teams, "teams", 1, 200_000)
    n_waves = _whole(waves, "waves", 1, 40)
    seed = _whole(seed, "seed", 0, 2**63 - 1)
    icc = _number(icc, "icc", 0.0, 0.3)
    if not isinstance(null, bool):
        raise ValueError(f"null must be True or False; got {null!r}")
    rates = _rate_range(response_rate)
    labels = _wave_labels(first_wave, n_waves)
    eff = _merge_effects(effects)
    if null:
        eff = {
            k: (dict.fromkeys(v, 0.0) if isinstance(v, Mapping) else 0.0) if k in _NULLED else v
            for k, v in eff.items()
        }
    des = _merge_design(design)
    mes = _merge_mess(mess)

    plan = _Plan.build(survey, eff, des)
    cal = _calibrate(plan, des, icc)
    rng = np.random.default_rng(seed)
    return _Simulation(plan, eff, des, mes, cal, rng, seed, n_teams, labels, rates, icc, null).run()
