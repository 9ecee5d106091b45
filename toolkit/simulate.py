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

import csv
import hashlib
import io
import json
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from toolkit._io import atomic_write_text
from toolkit.pseudonym import pseudonymise
from toolkit.schema import WAVE_PATTERN, canonical_dtypes, condition_holds
from toolkit.survey import CADENCE_CODES, Survey

__all__ = [
    "DEFAULT_DESIGN",
    "DEFAULT_EFFECTS",
    "DEFAULT_MESS",
    "SimulatedOrg",
    "pseudonym_key",
    "simulate",
]

_ro = MappingProxyType

#: Effects of the generative model, in latent standard deviations (see :func:`simulate`).
DEFAULT_EFFECTS: Mapping[str, Any] = _ro(
    {
        "depth_cadence": _ro(
            {"weekly": 0.30, "biweekly": 0.18, "monthly": 0.0, "less_than_monthly": -0.25, "none": -0.70}
        ),
        "reliability_cadence": _ro(
            {"weekly": 0.25, "biweekly": 0.15, "monthly": 0.0, "less_than_monthly": -0.20, "none": -0.50}
        ),
        "outcome_cadence": _ro(
            {"weekly": 0.05, "biweekly": 0.03, "monthly": 0.0, "less_than_monthly": -0.03, "none": -0.10}
        ),
        "depth_length": _ro({"up_to_15": -0.25, "about_30": 0.0, "about_45": 0.05, "60_plus": 0.05}),
        "only_channel": 0.25,
        "availability_on_holding_back": -0.40,
        "availability_on_informal": 0.40,
        "informal_on_depth": 0.0,
        "depth_on_outcomes": 0.45,
        "reliability_on_outcomes": 0.10,
        "availability_on_outcomes": 0.15,
        "size_on_availability": -0.15,
        "size_on_reliability": -0.10,
        "size_on_depth": -0.05,
        "division_on_depth": -0.35,
        "size_on_cadence": 1.0,
        "division_on_cadence": 2.0,
        "loading": 0.80,
        "person_persistence": 0.60,
    }
)
#: The organisation and its processes.
DEFAULT_DESIGN: Mapping[str, Any] = _ro(
    {
        "cadence_shares": _ro(
            {"weekly": 0.30, "biweekly": 0.30, "monthly": 0.25, "less_than_monthly": 0.10, "none": 0.05}
        ),
        "length_shares": _ro({"up_to_15": 0.15, "about_30": 0.50, "about_45": 0.20, "60_plus": 0.15}),
        "size_mix": (0.07, 0.83, 0.10),
        "teams_per_department": 6,
        "disagreement": 0.12,
        "length_disagreement": 0.10,
        "switch_rate": 0.08,
        "switch_back": 0.50,
        "leave_rate": 0.05,
        "move_rate": 0.03,
    }
)
#: Rates of the mess real survey data have (shares of respondents, or of answers for
#: ``item_nonresponse`` and ``not_applicable``).
DEFAULT_MESS: Mapping[str, float] = _ro(
    {
        "item_nonresponse": 0.04,
        "not_applicable": 0.02,
        "speeders": 0.03,
        "straight_liners": 0.02,
        "attention_failures": 0.03,
        "duplicates": 0.01,
        "comments": 0.25,
        "self_naming": 0.005,
    }
)

_KNOWN = (
    "availability",
    "informal_contact",
    "reliability",
    "depth",
    "holding_back",
    "engagement",
    "growth",
    "trust",
    "intent_to_stay",
)
_OUTCOMES = ("engagement", "growth", "trust", "intent_to_stay")
_CADENCE_PROFILES = ("depth_cadence", "reliability_cadence", "outcome_cadence")
_NULLED = ("depth_cadence", "reliability_cadence", "outcome_cadence", "depth_length", "only_channel")
#: 1:1s per week of each cadence, relative to weekly (the "only channel" term uses it).
_FREQUENCY = {"weekly": 1.0, "biweekly": 0.5, "monthly": 12 / 52, "less_than_monthly": 0.1, "none": 0.0}
_LENGTH_CODES = ("up_to_15", "about_30", "about_45", "60_plus")
_LOG_SIZE_CENTRE, _LOG_SIZE_SCALE = math.log(8.0), 0.5
_CALIBRATION_SEED = 20_260_401
_CAL_TEAMS, _CAL_PAIRS = 100_000, 40_000
_GRID = np.linspace(-8.0, 8.0, 1601)
_DEMOGRAPHIC_SHARES = {
    ("under_1y", "1_to_3y", "over_3y"): (0.20, 0.35, 0.45),
    ("office", "hybrid", "remote"): (0.35, 0.45, 0.20),
    ("individual", "senior", "manager"): (0.65, 0.27, 0.08),
}
#: Joiners' answers where they differ from everyone's (a joiner has been here under a year).
_JOINER_SHARES = {("under_1y", "1_to_3y", "over_3y"): (1.0, 0.0, 0.0)}
_FIRST = np.array(
    [
        "Anna",
        "Ben",
        "Chiara",
        "David",
        "Elif",
        "Femi",
        "Grace",
        "Hugo",
        "Ines",
        "Jonas",
        "Kavya",
        "Lars",
        "Maria",
        "Noah",
        "Olga",
        "Pablo",
        "Quinn",
        "Rosa",
        "Samir",
        "Tara",
        "Umar",
        "Vera",
        "Wei",
        "Ximena",
        "Yusuf",
        "Zoe",
        "Amara",
        "Bruno",
        "Carmen",
        "Dmitri",
        "Emma",
        "Felix",
        "Gita",
        "Hana",
        "Ivan",
        "Julia",
        "Kenji",
        "Lena",
        "Mateo",
        "Nadia",
        "Omar",
        "Priya",
        "Rafael",
        "Sofia",
        "Tomas",
        "Uma",
        "Viktor",
        "Wanda",
        "Yara",
        "Zeynep",
    ]
)
_LAST = np.array(
    [
        "Adler",
        "Bauer",
        "Costa",
        "Dubois",
        "Eriksen",
        "Fischer",
        "Garcia",
        "Hansen",
        "Ivanova",
        "Jansen",
        "Kowalski",
        "Lopez",
        "Meyer",
        "Nakamura",
        "Okafor",
        "Petrov",
        "Quispe",
        "Rossi",
        "Schmidt",
        "Tanaka",
        "Urban",
        "Varga",
        "Wagner",
        "Xu",
        "Yilmaz",
        "Zimmermann",
        "Andersen",
        "Brandt",
        "Chen",
        "Dias",
        "Evans",
        "Fontaine",
        "Gupta",
        "Horvat",
        "Ito",
        "Jovanovic",
        "Kim",
        "Larsen",
        "Moreau",
        "Novak",
        "Olsen",
        "Park",
        "Ramos",
        "Silva",
        "Torres",
        "Ueda",
        "Vogel",
        "Weber",
        "Young",
        "Zhang",
    ]
)
_COMMENTS = np.array(
    [
        "Our 1:1s help me plan my week.",
        "I would like more time on career topics.",
        "Sometimes the 1:1 turns into a status meeting.",
        "I wish our 1:1s were cancelled less often.",
        "Most things get sorted in chat before the 1:1.",
        "The 1:1 is where I can raise harder topics.",
        "Shorter but more frequent 1:1s would suit me.",
        "I appreciate that my manager keeps our 1:1s.",
        "We rarely get past urgent issues.",
        "More feedback on how I work would help.",
        "Our 1:1s feel rushed.",
        "No comment, things are fine.",
    ]
)
_Q_META = (
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class SimulatedOrg:
    """A simulated organisation and its survey waves, with the truth behind them.

    Attributes
    ----------
    survey : Survey
        The survey the responses answer.
    seed : int
        The seed everything was drawn from.
    waves : tuple of str
        Wave labels in order, like ``("2026Q1", "2026Q2")``.
    units : DataFrame
        ``unit``, ``parent``, ``kind`` (organisation, division, department, team); teams are
        the leaves and their ``unit`` is the team id.
    teams : DataFrame
        ``team``, ``manager``, ``department``, ``division``, then ``policy_<wave>`` (the
        manager's 1:1 cadence) and ``length_<wave>`` (their usual 1:1 length) per wave.
    team_waves : DataFrame
        One row per team per wave: ``team``, ``wave``, ``department``, ``division``,
        ``policy``, ``length``, ``headcount``, ``response_rate`` (the true propensity to
        respond), ``switched`` (the policy changed since the previous wave).
    roster : DataFrame
        One row per employee per wave: ``employee_id``, ``wave``, ``team``, ``manager``, one
        column per demographic item (its codes), ``name``, ``email``.
    people : DataFrame
        One row per employee ever employed: ``employee_id``, ``first_name``, ``last_name``,
        ``name``, ``email``.
    responses : dict of str to DataFrame
        Per wave, the canonical response table as a platform would collect it (duplicates,
        speeders, straight-liners and failed attention checks included), exactly
        ``survey.columns`` in the dtypes of :func:`toolkit.canonical_dtypes`, sorted by
        submission time.
    latent : dict of str to DataFrame
        Per wave, the truth behind each response row (same index): ``employee_id``,
        ``team``, ``policy``, ``cadence`` and ``meeting_length`` (as experienced),
        ``eta_<construct>`` (latent scores), and the flags ``speeder``, ``straight_liner``,
        ``attention_failure``, ``is_duplicate`` (the extra submission), ``has_duplicate``
        (the first submission of someone who submitted twice), ``names_self``.
    truth : dict
        Every parameter and the true population effects (see :func:`simulate`); what
        ``truth.json`` holds.
    """

    survey: Survey
    seed: int
    waves: tuple[str, ...]
    units: pd.DataFrame
    teams: pd.DataFrame
    team_waves: pd.DataFrame
    roster: pd.DataFrame
    people: pd.DataFrame
    responses: Mapping[str, pd.DataFrame]
    latent: Mapping[str, pd.DataFrame]
    truth: Mapping[str, Any]

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write every table, the platform exports and ``truth.json`` under ``out_dir``.

        Files (each written atomically): ``units.csv``, ``teams.csv``, ``roster.csv``,
        ``truth.json``, ``responses_<wave>.csv`` (canonical, ISO-8601 UTC timestamps),
        ``exports/qualtrics_<wave>.csv`` (three header rows: column ids, question text,
        ImportId JSON; identifying columns; numeric codes, categorical answers as the
        1-based position of the choice) and ``exports/google_forms_<wave>.csv``
        (``Timestamp`` in Central European time, ``Email Address``, question text as
        headers, answer labels, CRLF line ends).

        Returns
        -------
        dict of str to Path
            Keyed ``units``, ``teams``, ``roster``, ``truth``, ``responses_<wave>``,
            ``qualtrics_<wave>``, ``google_forms_<wave>``.
        """
        out = Path(out_dir)
        paths: dict[str, Path] = {}
        paths["units"] = _write_csv(out / "units.csv", self.units)
        paths["teams"] = _write_csv(out / "teams.csv", self.teams)
        paths["roster"] = _write_csv(out / "roster.csv", self.roster)
        text = json.dumps(_jsonable(self.truth), indent=2, allow_nan=False) + "\n"
        paths["truth"] = atomic_write_text(out / "truth.json", text)
        people = self.people.set_index("employee_id")
        for i, wave in enumerate(self.waves):
            paths[f"responses_{wave}"] = _write_csv(
                out / f"responses_{wave}.csv", _canonical_text(self.responses[wave])
            )
            who = people.reindex(self.latent[wave]["employee_id"])
            q = _qualtrics_text(
                self.survey,
                self.responses[wave],
                who,
                self.latent[wave],
                np.random.default_rng([self.seed, 1, i]),
            )
            paths[f"qualtrics_{wave}"] = atomic_write_text(out / "exports" / f"qualtrics_{wave}.csv", q)
            g = _google_forms_text(self.survey, self.responses[wave], who)
            paths[f"google_forms_{wave}"] = atomic_write_text(out / "exports" / f"google_forms_{wave}.csv", g)
        return paths


def pseudonym_key(seed: int) -> bytes:
    """The secret key behind a simulated organisation's pseudonyms.

    A synthetic organisation has no secret: its key is derived from the seed, so that its
    platform exports ingest (with this key) to the same respondents as its canonical files.

    Examples
    --------
    >>> len(pseudonym_key(2026))
    64
    """
    return hashlib.sha256(f"toolkit.simulate pseudonym key {seed}".encode()).hexdigest().encode()


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
    reversed. Then the mess: teams respond at their rate, speeders (random answers, a
    fraction of the usual time), straight-liners (one position for every rated item),
    attention failures (random answers and a wrong attention answer), duplicate
    submissions (a later copy with a few answers changed), not-applicable codes, blank
    optional answers, comments, and self-naming comments ("This is <roster name>. ...").
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
    cal = _calibrate(plan, eff, des, icc)
    rng = np.random.default_rng(seed)
    return _Simulation(plan, eff, des, mes, cal, rng, seed, n_teams, labels, rates, icc, null).run()


# --------------------------------------------------------------------------- argument checks


def _whole(value: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}; got {value!r}")
    return int(value)


def _number(value: Any, name: str, lo: float, hi: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or not lo <= value <= hi
    ):
        raise ValueError(f"{name} must be a number from {lo} to {hi}; got {value!r}")
    return float(value)


def _rate_range(value: Any) -> tuple[float, float]:
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in value)
    )
    if not ok or not 0 < value[0] <= value[1] <= 1:
        raise ValueError(f"response_rate must be a pair (low, high) with 0 < low <= high <= 1; got {value!r}")
    return float(value[0]), float(value[1])


def _wave_labels(first: Any, n: int) -> tuple[str, ...]:
    if not isinstance(first, str) or not re.match(WAVE_PATTERN, first):
        raise ValueError(f"first_wave must look like 2026Q1 (a year, Q, a quarter 1-4); got {first!r}")
    year, q = int(first[:4]), int(first[5]) - 1
    return tuple(f"{year + (q + i) // 4}Q{(q + i) % 4 + 1}" for i in range(n))


def _check_keys(given: Mapping, defaults: Mapping, name: str) -> None:
    if not isinstance(given, Mapping):
        raise ValueError(f"{name} must be a mapping of names to values; got {type(given).__name__}")
    unknown = [k for k in given if k not in defaults]
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; allowed: {', '.join(defaults)}")


def _merge_effects(given: Mapping | None) -> dict[str, Any]:
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in DEFAULT_EFFECTS.items()}
    if given is None:
        return out
    _check_keys(given, DEFAULT_EFFECTS, "effects")
    for key, value in given.items():
        if isinstance(DEFAULT_EFFECTS[key], Mapping):
            if not isinstance(value, Mapping):
                raise ValueError(f"effects[{key!r}] must be a mapping of codes to numbers; got {value!r}")
            allowed = CADENCE_CODES if key in _CADENCE_PROFILES else None
            for code, v in value.items():
                if allowed is not None and code not in allowed:
                    raise ValueError(
                        f"effects[{key!r}] has unknown code {code!r}; allowed: {', '.join(allowed)}"
                    )
                if not isinstance(code, str):
                    raise ValueError(f"effects[{key!r}] codes must be text; got {code!r}")
                out[key][code] = _number(v, f"effects[{key!r}][{code!r}]", -3.0, 3.0)
        elif key == "loading":
            out[key] = _number(value, "effects['loading']", 0.3, 0.95)
        elif key == "person_persistence":
            out[key] = _number(value, "effects['person_persistence']", 0.0, 1.0)
        else:
            out[key] = _number(value, f"effects[{key!r}]", -3.0, 3.0)
    return out


def _merge_design(given: Mapping | None) -> dict[str, Any]:
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in DEFAULT_DESIGN.items()}
    if given is None:
        return out
    _check_keys(given, DEFAULT_DESIGN, "design")
    for key, value in given.items():
        name = f"design[{key!r}]"
        if key in ("cadence_shares", "length_shares"):
            if not isinstance(value, Mapping) or not value:
                raise ValueError(f"{name} must be a non-empty mapping of codes to shares; got {value!r}")
            if key == "cadence_shares" and any(c not in CADENCE_CODES for c in value):
                raise ValueError(f"{name} codes must be among {', '.join(CADENCE_CODES)}; got {list(value)}")
            out[key] = {str(c): _number(v, f"{name}[{c!r}]", 0.0, 1.0) for c, v in value.items()}
        elif key == "size_mix":
            if not isinstance(value, (tuple, list)) or len(value) != 3:
                raise ValueError(f"{name} must be three shares (teams of 1-3, 4-12, 15+); got {value!r}")
            mix = tuple(_number(v, name, 0.0, 1.0) for v in value)
            if sum(mix) <= 0:
                raise ValueError(f"{name} must have a positive share; got {value!r}")
            out[key] = tuple(v / sum(mix) for v in mix)
        elif key == "teams_per_department":
            out[key] = _whole(value, name, 1, 1000)
        else:
            out[key] = _number(value, name, 0.0, 0.5 if key != "switch_back" else 1.0)
    return out


def _merge_mess(given: Mapping | None) -> dict[str, float]:
    out = dict(DEFAULT_MESS)
    if given is None:
        return out
    _check_keys(given, DEFAULT_MESS, "mess")
    for key, value in given.items():
        out[key] = _number(value, f"mess[{key!r}]", 0.0, 0.5)
    careless = out["speeders"] + out["straight_liners"] + out["attention_failures"]
    if careless > 0.5:
        raise ValueError(
            "mess speeders + straight_liners + attention_failures must be at most 0.5 (they are "
            f"exclusive shares of respondents); got {careless:g}"
        )
    return out


# --------------------------------------------------------------------------- the survey as a plan


@dataclass(frozen=True)
class _ItemPlan:
    id: str
    kind: str
    role: str | None
    construct: str | None
    required: bool
    codes: np.ndarray | None  # substantive codes, in order
    allowed: tuple | None  # substantive then not-applicable codes
    na_code: Any
    thresholds: np.ndarray | None  # ordinal: cut points of y* onto the codes
    offset: float
    reverse: bool


@dataclass(frozen=True)
class _Plan:
    survey: Survey
    items: tuple[_ItemPlan, ...]
    order: tuple[str, ...]  # latent constructs, in causal order
    measured: Mapping[str, tuple[_ItemPlan, ...]]
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]]  # construct -> (E[score|eta], Var[score|eta])
    cad_codes: tuple[str, ...]
    len_codes: tuple[str, ...]
    cad_shares: np.ndarray
    len_shares: np.ndarray
    cad_move: np.ndarray  # P(experienced | policy)
    len_move: np.ndarray
    demographics: tuple[tuple[str, tuple, np.ndarray, np.ndarray], ...]
    par: Mapping[str, Any]  # effects as arrays over codes

    @staticmethod
    def build(survey: Survey, eff: Mapping[str, Any], des: Mapping[str, Any]) -> _Plan:
        loading = eff["loading"]
        items = tuple(_item_plan(survey, it) for it in survey.items)
        order = _KNOWN + tuple(k for k in survey.constructs if k not in _KNOWN)
        by_id = {p.id: p for p in items}
        measured = {k: tuple(by_id[i] for i in c.items) for k, c in survey.constructs.items()}
        curves = {k: _score_curve(ps, loading) for k, ps in measured.items()}
        cad_item, len_item = survey.role_item("cadence"), survey.role_item("meeting_length")
        cad_codes = (
            CADENCE_CODES
            if cad_item is None
            else tuple(c for c in CADENCE_CODES if c in survey.scales[cad_item.scale].codes)
        )
        len_codes = _LENGTH_CODES if len_item is None else tuple(survey.scales[len_item.scale].codes)
        cad_shares = _shares(des["cadence_shares"], cad_codes, "design['cadence_shares']")
        len_shares = _shares(des["length_shares"], len_codes, "design['length_shares']", uniform_ok=True)
        demographics = []
        for it in survey.items_with_role("demographic"):
            codes = tuple(survey.scales[it.scale].codes)
            p = np.asarray(_DEMOGRAPHIC_SHARES.get(codes, np.full(len(codes), 1 / len(codes))), float)
            pj = np.asarray(_JOINER_SHARES.get(codes, p), float)
            demographics.append((it.id, codes, p / p.sum(), pj / pj.sum()))
        par = {
            "rel_c": np.array([eff["reliability_cadence"].get(c, 0.0) for c in cad_codes]),
            "dep_c": np.array([eff["depth_cadence"].get(c, 0.0) for c in cad_codes]),
            "out_c": np.array([eff["outcome_cadence"].get(c, 0.0) for c in cad_codes]),
            "dep_len": np.array([eff["depth_length"].get(c, 0.0) for c in len_codes]),
            "freq": np.array([_FREQUENCY[c] for c in cad_codes]),
            **{k: v for k, v in eff.items() if not isinstance(v, Mapping)},
        }
        return _Plan(
            survey,
            items,
            order,
            measured,
            curves,
            cad_codes,
            len_codes,
            cad_shares,
            len_shares,
            _neighbour_matrix(len(cad_codes), des["disagreement"]),
            _neighbour_matrix(len(len_codes), des["length_disagreement"]),
            tuple(demographics),
            par,
        )


def _item_plan(survey: Survey, it: Any) -> _ItemPlan:
    scale = survey.scales.get(it.scale) if it.scale else None
    codes = thresholds = allowed = na = None
    if scale is not None:
        codes = np.array(scale.codes, dtype=object if scale.kind == "categorical" else float)
        allowed = tuple(scale.allowed)
        na = scale.na_codes[0] if scale.na_codes else None
        if scale.kind == "ordinal":
            k = len(scale.codes)
            p = 0.85 * special.comb(k - 1, np.arange(k)) * 0.6 ** np.arange(k) * 0.4 ** (k - 1 - np.arange(k))
            p = p + 0.15 / k
            thresholds = special.ndtri(np.cumsum(p)[:-1])
    offset = (zlib.crc32(it.id.encode()) % 1001) / 1000 * 0.5 - 0.25
    return _ItemPlan(
        it.id, it.kind, it.role, it.construct, it.required, codes, allowed, na, thresholds, offset, it.reverse
    )


def _score_curve(plans: tuple[_ItemPlan, ...], loading: float) -> tuple[np.ndarray, np.ndarray]:
    """E[score | eta] and Var[score | eta] on a grid of eta (score = mean of keyed items)."""
    sd = math.sqrt(1 - loading**2)
    mean = np.zeros_like(_GRID)
    var = np.zeros_like(_GRID)
    for p in plans:
        ge = special.ndtr((loading * _GRID[:, None] + p.offset - p.thresholds[None, :]) / sd)
        ones = np.ones((len(_GRID), 1))
        probs = -np.diff(np.hstack([ones, ge, 0 * ones]), axis=1)
        m = probs @ p.codes
        mean += m
        var += probs @ p.codes**2 - m**2
    return mean / len(plans), var / len(plans) ** 2


def _curve_at(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``table`` (values on :data:`_GRID`, evenly spaced) at ``x``."""
    step = _GRID[1] - _GRID[0]
    pos = np.clip((x - _GRID[0]) / step, 0, len(_GRID) - 1.000001)
    i = pos.astype(np.int64)
    frac = pos - i
    return table[i] * (1 - frac) + table[i + 1] * frac


def _shares(given: Mapping[str, float], codes: tuple, name: str, *, uniform_ok: bool = False) -> np.ndarray:
    p = np.array([given.get(c, 0.0) for c in codes], float)
    if p.sum() <= 0:
        if not uniform_ok:
            raise ValueError(f"{name} gives no positive share to any of the survey's codes {list(codes)}")
        p = np.ones(len(codes))
    return p / p.sum()


def _neighbour_matrix(n: int, rate: float) -> np.ndarray:
    m = np.eye(n) * (1 - rate)
    for i in range(n):
        nb = [j for j in (i - 1, i + 1) if 0 <= j < n]
        if not nb:
            m[i, i] = 1.0
        for j in nb:
            m[i, j] = rate / len(nb)
    return m


def _draw_from(rng: np.random.Generator, idx: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Draw a new index for each row from ``matrix[idx]`` (rows are probabilities)."""
    cum = np.cumsum(matrix, axis=1)[idx]
    u = rng.random(len(idx))
    return np.minimum((u[:, None] > cum).sum(axis=1), matrix.shape[1] - 1)


# --------------------------------------------------------------------------- the latent model


def _structural(
    k: str, env: Mapping[str, np.ndarray], eta: Mapping[str, np.ndarray], par: Mapping[str, Any]
) -> np.ndarray:
    """The structural part of construct ``k`` (everything but its residual)."""
    cad, z = env["cad"], env["z"]
    if k == "availability":
        return par["size_on_availability"] * z
    if k == "informal_contact":
        return par["availability_on_informal"] * eta["availability"]
    if k == "reliability":
        return par["rel_c"][cad] + par["size_on_reliability"] * z
    if k == "depth":
        return (
            par["dep_c"][cad]
            + par["dep_len"][env["len"]]
            + par["size_on_depth"] * z
            + par["division_on_depth"] * env["cult"]
            + par["informal_on_depth"] * eta["informal_contact"]
        )
    if k == "holding_back":
        a = eta["availability"]
        return par["availability_on_holding_back"] * a - par["only_channel"] * par["freq"][cad] * a
    if k in _OUTCOMES:
        return (
            par["depth_on_outcomes"] * eta["depth"]
            + par["reliability_on_outcomes"] * eta["reliability"]
            + par["availability_on_outcomes"] * eta["availability"]
            + par["out_c"][cad]
        )
    return np.zeros(len(z))


def _chain(
    plan: _Plan,
    env: Mapping[str, np.ndarray],
    resid: Mapping[str, np.ndarray],
    *,
    shift: Mapping[str, float] | None = None,
    fix: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """All latent constructs in causal order; ``shift`` adds to a construct, ``fix`` sets it."""
    eta: dict[str, np.ndarray] = {}
    for k in plan.order:
        if fix and k in fix:
            eta[k] = np.full(len(env["z"]), float(fix[k]))
            continue
        x = _structural(k, env, eta, plan.par) + resid[k]
        eta[k] = x + shift[k] if shift and k in shift else x
    return eta


def _z_size(sizes: np.ndarray) -> np.ndarray:
    return (np.log(np.maximum(sizes, 1)) - _LOG_SIZE_CENTRE) / _LOG_SIZE_SCALE


def _team_sizes(rng: np.random.Generator, n: int, mix: tuple[float, float, float]) -> np.ndarray:
    kind = rng.choice(3, size=n, p=np.asarray(mix, float))
    small = rng.integers(1, 4, size=n)
    regular = 4 + rng.binomial(8, 0.45, size=n)
    large = 15 + rng.poisson(6, size=n)
    return np.choose(kind, [small, regular, large]).astype(np.int64)


def _policy(f: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Policy index (0 = most frequent) from the propensity to meet often."""
    return len(cuts) - np.searchsorted(cuts, f, side="right")


@dataclass(frozen=True)
class _Calibration:
    cuts: np.ndarray
    tau: Mapping[str, float]  # team SD
    person: Mapping[str, float]  # persistent person SD
    occasion: Mapping[str, float]  # occasion SD
    components: Mapping[str, dict]
    estimands: Mapping[str, Any]


def _calibrate(plan: _Plan, eff: Mapping[str, Any], des: Mapping[str, Any], icc: float) -> _Calibration:
    """Fit the residual variances to ``icc`` and compute the population estimands.

    A Monte Carlo population of pairs of reports (two per team, teams drawn in proportion
    to their size) with its own fixed seed, so the truth depends only on the parameters:
    the covariance of a pair is the between-team variance, so each construct's observed
    score ICC(1) is Cov(h(eta_1), h(eta_2)) / (Var h(eta) + E Var(score | eta)).
    """
    rng = np.random.default_rng(_CALIBRATION_SEED)
    par = plan.par
    sizes = _team_sizes(rng, _CAL_TEAMS, des["size_mix"])
    z_t = _z_size(sizes)
    cult_t = rng.standard_normal(_CAL_TEAMS)
    f = par["division_on_cadence"] * cult_t - par["size_on_cadence"] * z_t + rng.standard_normal(_CAL_TEAMS)
    rare_first = np.cumsum(plan.cad_shares[::-1])[:-1]
    cuts = np.quantile(f, np.clip(rare_first, 0, 1))
    pol_t = _policy(f, cuts)
    len_t = rng.choice(len(plan.len_codes), size=_CAL_TEAMS, p=plan.len_shares)
    pick = rng.choice(_CAL_TEAMS, size=_CAL_PAIRS, p=sizes / sizes.sum())
    team = np.concatenate([pick, pick])
    env = {
        "cad": _draw_from(rng, pol_t[team], plan.cad_move),
        "len": _draw_from(rng, len_t[team], plan.len_move),
        "z": z_t[team],
        "cult": cult_t[team],
    }
    n = _CAL_PAIRS
    eta: dict[str, np.ndarray] = {}
    resid: dict[str, np.ndarray] = {}
    tau, person, occasion, comps = {}, {}, {}, {}
    for k in plan.order:
        zb = np.tile(rng.standard_normal(n), 2)
        zw = rng.standard_normal(2 * n)
        x = _structural(k, env, eta, par)
        xc = x - x.mean()
        v_team = float(np.mean(xc[:n] * xc[n:]))
        v_person = float(np.var(x)) - v_team
        hi = 1.0 - v_person - 0.02
        if hi <= max(v_team, 0.0):
            raise ValueError(
                f"effects explain too much of construct {k!r} (structural variance "
                f"{v_team + v_person:.2f} of a total of 1); lower the effects on it"
            )
        curve = plan.curves.get(k)

        def obs_icc(rho: float, x=x, zb=zb, zw=zw, curve=curve, v_team=v_team, v_person=v_person) -> float:
            e = x + math.sqrt(max(rho - v_team, 0.0)) * zb + math.sqrt(1 - rho - v_person) * zw
            h = _curve_at(e, curve[0])
            hc = h - h.mean()
            return float(np.mean(hc[:n] * hc[n:]) / (np.var(h) + np.mean(_curve_at(e, curve[1]))))

        lo = max(v_team, 0.0)
        if curve is None:
            rho = max(icc, lo)
            floor = expected = None
        else:
            floor = obs_icc(lo)
            if floor >= icc:
                rho = lo
            elif obs_icc(hi) < icc:
                raise ValueError(f"icc {icc} cannot be reached for construct {k!r} with these effects")
            else:
                rho = optimize.brentq(lambda r, f=obs_icc: f(r) - icc, lo, hi, xtol=1e-6)
            expected = obs_icc(rho)
        if rho > hi:
            raise ValueError(f"icc {icc} cannot be reached for construct {k!r} with these effects")
        t2, p2 = rho - lo, 1 - rho - v_person
        tau[k] = math.sqrt(t2)
        person[k] = math.sqrt(p2 * par["person_persistence"])
        occasion[k] = math.sqrt(p2 * (1 - par["person_persistence"]))
        resid[k] = tau[k] * zb + math.sqrt(p2) * zw
        eta[k] = x + resid[k]
        comps[k] = {
            "team_variance": t2,
            "person_variance": person[k] ** 2,
            "occasion_variance": occasion[k] ** 2,
            "structural_team_variance": v_team,
            "structural_person_variance": v_person,
            "icc_latent": rho,
            "icc_score": expected,
            "icc_floor": floor,
        }
    estimands = _estimands(plan, env, resid)
    return _Calibration(cuts, tau, person, occasion, comps, estimands)


def _estimands(plan: _Plan, env: dict[str, np.ndarray], resid: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Population effects, by counterfactuals on the calibration population."""
    codes, curves = plan.cad_codes, plan.curves

    def means(eta: Mapping[str, np.ndarray]) -> dict[str, tuple[float | None, float]]:
        return {
            k: (
                float(np.mean(_curve_at(eta[k], curves[k][0]))) if k in curves else None,
                float(np.mean(eta[k])),
            )
            for k in eta
        }

    def diff(a: Mapping, b: Mapping, k: str) -> dict[str, float | None]:
        sa, la = a[k]
        sb, lb = b[k]
        return {"score": None if sa is None else sa - sb, "latent": round(la - lb, 12)}

    n = len(env["z"])
    by_code = {c: means(_chain(plan, {**env, "cad": np.full(n, i)}, resid)) for i, c in enumerate(codes)}
    by_policy = {}
    for i, c in enumerate(codes):
        by_policy[c] = {
            k: (
                None
                if by_code[c][k][0] is None
                else sum(plan.cad_move[i, j] * by_code[cj][k][0] for j, cj in enumerate(codes)),
                sum(plan.cad_move[i, j] * by_code[cj][k][1] for j, cj in enumerate(codes)),
            )
            for k in plan.order
        }
    out: dict[str, Any] = {}
    ref = "monthly" if "monthly" in codes else None
    if ref and "weekly" in codes:
        out["depth_weekly_vs_monthly"] = {
            "definition": "expected difference in the depth construct score (mean of its items on their "
            "scale, after reverse keying) between reports who have weekly and reports who have "
            "monthly 1:1s (the cadence they report), holding team size, division and person "
            "effects fixed; latent: the same on the latent depth scale (SD 1)",
            **diff(by_code["weekly"], by_code["monthly"], "depth"),
        }
    if ref:
        out["cadence_contrasts"] = {
            "definition": "for each construct and cadence code: expected difference in the construct score "
            "(and latent score) between reports with that cadence and with monthly 1:1s, "
            "holding team size, division and person effects fixed; by_reported uses the "
            "cadence the report experiences and reports, by_policy the manager's policy "
            "(reports' disagreement included)",
            "reference": ref,
            "by_reported": {k: {c: diff(by_code[c], by_code[ref], k) for c in codes} for k in plan.order},
            "by_policy": {k: {c: diff(by_policy[c], by_policy[ref], k) for c in codes} for k in plan.order},
        }
    base = means(_chain(plan, env, resid))

    def shifted(k_from: str, k_to: str) -> dict[str, float | None]:
        return diff(means(_chain(plan, env, resid, shift={k_from: 1.0})), base, k_to)

    out["availability_on_holding_back"] = {
        "definition": "expected change in the holding_back score when latent availability rises by 1 SD, "
        "everything else fixed (averaged over the cadence distribution)",
        **shifted("availability", "holding_back"),
    }
    out["informal_on_depth"] = {
        "definition": "expected change in the depth score when latent informal contact rises by 1 SD, "
        "everything else fixed (0: informal contact does not substitute for depth)",
        **shifted("informal_contact", "depth"),
    }
    out["depth_on_outcomes"] = {
        "definition": "expected change in each outcome score when latent depth rises by 1 SD, everything "
        "else fixed",
        **{k: shifted("depth", k) for k in _OUTCOMES},
    }
    if ref and "weekly" in codes:
        cell = {}
        for a in (-1.0, 1.0):
            w = means(
                _chain(
                    plan, {**env, "cad": np.full(n, codes.index("weekly"))}, resid, fix={"availability": a}
                )
            )
            m = means(
                _chain(
                    plan, {**env, "cad": np.full(n, codes.index("monthly"))}, resid, fix={"availability": a}
                )
            )
            cell[a] = diff(w, m, "holding_back")
        out["only_channel"] = {
            "definition": "weekly minus monthly difference in the holding_back score among reports whose "
            "latent availability is 1 SD below the mean (low_availability) and 1 SD above "
            "(high_availability), and low minus high (difference): holding back is higher "
            "where the 1:1 is the only channel",
            "low_availability": cell[-1.0],
            "high_availability": cell[1.0],
            "difference": {
                s: (None if cell[-1.0][s] is None else cell[-1.0][s] - cell[1.0][s])
                for s in ("score", "latent")
            },
        }
    if "up_to_15" in plan.len_codes and "about_30" in plan.len_codes:

        def at_length(code: str) -> dict:
            return means(_chain(plan, {**env, "len": np.full(n, plan.len_codes.index(code))}, resid))

        out["short_vs_30min_on_depth"] = {
            "definition": "expected difference in the depth score between reports whose 1:1s last 15 minutes "
            "or less and about 30 minutes, everything else fixed",
            **diff(at_length("up_to_15"), at_length("about_30"), "depth"),
        }
    return out


# --------------------------------------------------------------------------- the simulation


class _Simulation:
    """Draws the organisation and its waves; one object per call of :func:`simulate`."""

    def __init__(
        self,
        plan: _Plan,
        eff: dict,
        des: dict,
        mes: dict,
        cal: _Calibration,
        rng: np.random.Generator,
        seed: int,
        n_teams: int,
        labels: tuple[str, ...],
        rates: tuple[float, float],
        icc: float,
        null: bool,
    ) -> None:
        self.plan, self.eff, self.des, self.mes, self.cal = plan, eff, des, mes, cal
        self.rng, self.seed, self.T, self.labels, self.rates = rng, seed, n_teams, labels, rates
        self.icc, self.null = icc, null
        self.K = len(plan.order)

    # -- organisation
    def _units(self) -> None:
        rng, T = self.rng, self.T
        n_div = int(np.clip(round(math.sqrt(T)), 1, 40))
        n_dep = max(n_div, math.ceil(T / self.des["teams_per_department"]))
        self.dep_div = rng.permutation(np.arange(n_dep) % n_div)
        self.team_dep = rng.permutation(np.arange(T) % n_dep)
        self.team_div = self.dep_div[self.team_dep]
        raw = rng.standard_normal(n_div)
        self.cult = (raw - raw.mean()) / raw.std() if n_div > 1 else np.zeros(1)
        self.div_ids = _ids("div", n_div)
        self.dep_ids = _ids("dep", n_dep)
        self.team_ids = _ids("t", T)
        self.manager_ids = _ids("m", T)

    def _people(self, n: int, joiners: bool) -> None:
        rng = self.rng
        first = rng.integers(0, len(_FIRST), n)
        last = rng.integers(0, len(_LAST), n)
        demo = [
            rng.choice(len(codes), size=n, p=(pj if joiners else p))
            for _, codes, p, pj in self.plan.demographics
        ]
        u = rng.standard_normal((n, self.K))
        self.first = np.concatenate([self.first, first])
        self.last = np.concatenate([self.last, last])
        self.demo = [np.concatenate([a, b]) for a, b in zip(self.demo, demo, strict=True)]
        self.u = np.vstack([self.u, u])

    def run(self) -> SimulatedOrg:
        rng, T, plan, des = self.rng, self.T, self.plan, self.des
        self._units()
        size0 = _team_sizes(rng, T, des["size_mix"])
        z0 = _z_size(size0)
        f = (
            plan.par["division_on_cadence"] * self.cult[self.team_div]
            - plan.par["size_on_cadence"] * z0
            + rng.standard_normal(T)
        )
        # cut at this organisation's quantiles, so that its policy shares are the design's
        self.cuts = np.quantile(f, np.clip(np.cumsum(plan.cad_shares[::-1])[:-1], 0, 1))
        policy = _policy(f, self.cuts)
        length = rng.choice(len(plan.len_codes), size=T, p=plan.len_shares)
        lo, hi = self.rates
        base_rate = rng.uniform(lo, hi, T)
        b = rng.standard_normal((T, self.K)) * np.array([self.cal.tau[k] for k in plan.order])
        su = np.array([self.cal.person[k] for k in plan.order])
        se = np.array([self.cal.occasion[k] for k in plan.order])

        self.first = self.last = np.zeros(0, np.int64)
        self.demo = [np.zeros(0, np.int64) for _ in plan.demographics]
        self.u = np.zeros((0, self.K))
        n0 = int(size0.sum())
        self._people(n0, joiners=False)
        emp_team = np.repeat(np.arange(T), size0)
        active = np.ones(n0, bool)

        w_idx = {c: i for i, c in enumerate(plan.cad_codes)}
        weekly, monthly = w_idx.get("weekly"), w_idx.get("monthly")
        switched_prev = np.zeros(T, bool)
        pol_hist, len_hist, switches, team_rows = [], [], [], []
        wave_rows: list[tuple] = []
        for w, label in enumerate(self.labels):
            switched = np.zeros(T, bool)
            if w > 0:
                emp_team, active = self._turnover(emp_team, active, size0)
                if weekly is not None and monthly is not None:
                    old = policy.copy()
                    r = rng.random(T)
                    back = switched_prev & (r < des["switch_back"])
                    go_w = ~switched_prev & (policy == weekly) & (r < des["switch_rate"])
                    go_m = ~switched_prev & (policy == monthly) & (r < des["switch_rate"])
                    policy = policy.copy()
                    policy[back] = pol_hist[-2][back] if len(pol_hist) >= 2 else policy[back]
                    policy[go_w] = monthly
                    policy[go_m] = weekly
                    switched = policy != old
                    for t in np.flatnonzero(switched):  # a loop over the few switching teams
                        switches.append(
                            {
                                "team": self.team_ids[t],
                                "wave": label,
                                "previous_wave": self.labels[w - 1],
                                "from": plan.cad_codes[old[t]],
                                "to": plan.cad_codes[policy[t]],
                            }
                        )
            switched_prev = switched
            pol_hist.append(policy.copy())
            len_hist.append(length.copy())
            rate = np.clip(base_rate + rng.normal(0, 0.03, T), lo, hi)
            act = np.flatnonzero(active)
            tm = emp_team[act]
            headcount = np.bincount(tm, minlength=T)
            team_rows.append((label, policy.copy(), length.copy(), headcount, rate, switched))
            env = {
                "cad": _draw_from(rng, policy[tm], plan.cad_move),
                "len": _draw_from(rng, length[tm], plan.len_move),
                "z": _z_size(headcount[tm]),
                "cult": self.cult[self.team_div[tm]],
            }
            noise = rng.standard_normal((len(act), self.K))
            resid = {
                k: b[tm, i] + su[i] * self.u[act, i] + se[i] * noise[:, i] for i, k in enumerate(plan.order)
            }
            eta = _chain(plan, env, resid)
            responds = rng.random(len(act)) < rate[tm]
            wave_rows.append((label, act, tm, policy[tm], env, eta, responds))

        self.n_emp = len(self.first)
        self.width = max(6, len(str(self.n_emp)))
        self.emp_ids = _ids("e", self.n_emp, width=self.width)
        # the pseudonyms ingest gives with this (public) key, so exports ingest to the same people
        self.pseudonyms = pseudonymise(pd.Series(self.emp_ids), pseudonym_key(self.seed)).to_numpy()
        self._names()
        responses, latent, roster = {}, {}, []
        for label, act, tm, pol, env, eta, responds in wave_rows:
            roster.append(self._roster(label, act, tm))
            sel = np.flatnonzero(responds)
            df, truth = _Wave(
                self,
                label,
                act[sel],
                tm[sel],
                pol[sel],
                {k: v[sel] for k, v in env.items()},
                {k: v[sel] for k, v in eta.items()},
            ).build()
            responses[label], latent[label] = df, truth
        return SimulatedOrg(
            survey=plan.survey,
            seed=self.seed,
            waves=self.labels,
            units=self._unit_table(),
            teams=self._team_table(pol_hist, len_hist),
            team_waves=self._team_waves(team_rows),
            roster=pd.concat(roster, ignore_index=True),
            people=self._people_table(),
            responses=responses,
            latent=latent,
            truth=self._truth(switches),
        )

    def _turnover(
        self, emp_team: np.ndarray, active: np.ndarray, size0: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        rng, des, T = self.rng, self.des, self.T
        n_active = int(active.sum())
        r = rng.random(len(active))
        active = active & ~(r < des["leave_rate"])
        move = active & (r >= des["leave_rate"]) & (r < des["leave_rate"] + des["move_rate"])
        emp_team = emp_team.copy()
        emp_team[move] = rng.choice(T, size=int(move.sum()), p=size0 / size0.sum())
        n_join = int(rng.poisson(des["leave_rate"] * n_active))
        head = np.bincount(emp_team[active], minlength=T)
        vacancy = np.maximum(size0 - head, 0) + 0.05 * size0
        joiner_team = rng.choice(T, size=n_join, p=vacancy / vacancy.sum())
        self._people(n_join, joiners=True)
        return np.concatenate([emp_team, joiner_team]), np.concatenate([active, np.ones(n_join, bool)])

    def _names(self) -> None:
        first = _FIRST[self.first]
        last = _LAST[self.last]
        self.names = np.strings.add(np.strings.add(first, " "), last)
        stem = np.strings.lower(np.strings.add(np.strings.add(first, "."), last))
        nth = pd.Series(stem).groupby(stem).cumcount().to_numpy() + 1
        suffix = np.where(nth > 1, nth.astype(str), "")
        self.emails = np.strings.add(np.strings.add(stem, suffix), "@example.org")

    def _roster(self, label: str, act: np.ndarray, tm: np.ndarray) -> pd.DataFrame:
        cols: dict[str, Any] = {
            "employee_id": self.emp_ids[act],
            "wave": np.full(len(act), label),
            "team": self.team_ids[tm],
            "manager": self.manager_ids[tm],
        }
        for (item_id, codes, _, _), values in zip(self.plan.demographics, self.demo, strict=True):
            cols[item_id] = np.asarray(codes, dtype=object)[values[act]]
        cols["name"] = self.names[act]
        cols["email"] = self.emails[act]
        return pd.DataFrame({k: pd.array(np.asarray(v, dtype=object), dtype="str") for k, v in cols.items()})

    def _people_table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "employee_id": pd.array(self.emp_ids, dtype="str"),
                "first_name": pd.array(_FIRST[self.first], dtype="str"),
                "last_name": pd.array(_LAST[self.last], dtype="str"),
                "name": pd.array(self.names, dtype="str"),
                "email": pd.array(self.emails, dtype="str"),
            }
        )

    def _unit_table(self) -> pd.DataFrame:
        units = ["org", *self.div_ids, *self.dep_ids, *self.team_ids]
        parents = [
            None,
            *(["org"] * len(self.div_ids)),
            *self.div_ids[self.dep_div],
            *self.dep_ids[self.team_dep],
        ]
        kinds = (
            ["organisation"]
            + ["division"] * len(self.div_ids)
            + ["department"] * len(self.dep_ids)
            + ["team"] * self.T
        )
        return pd.DataFrame(
            {
                "unit": pd.array(units, dtype="str"),
                "parent": pd.array(parents, dtype="str"),
                "kind": pd.array(kinds, dtype="str"),
            }
        )

    def _team_table(self, pol_hist: list, len_hist: list) -> pd.DataFrame:
        cols: dict[str, Any] = {
            "team": self.team_ids,
            "manager": self.manager_ids,
            "department": self.dep_ids[self.team_dep],
            "division": self.div_ids[self.team_div],
        }
        cad, ln = np.array(self.plan.cad_codes, dtype=object), np.array(self.plan.len_codes, dtype=object)
        for label, pol, length in zip(self.labels, pol_hist, len_hist, strict=True):
            cols[f"policy_{label}"] = cad[pol]
            cols[f"length_{label}"] = ln[length]
        return pd.DataFrame({k: pd.array(np.asarray(v, dtype=object), dtype="str") for k, v in cols.items()})

    def _team_waves(self, rows: list) -> pd.DataFrame:
        cad, ln = np.array(self.plan.cad_codes, dtype=object), np.array(self.plan.len_codes, dtype=object)
        parts = []
        for label, pol, length, head, rate, switched in rows:
            parts.append(
                pd.DataFrame(
                    {
                        "team": pd.array(self.team_ids, dtype="str"),
                        "wave": pd.array([label] * self.T, dtype="str"),
                        "department": pd.array(self.dep_ids[self.team_dep], dtype="str"),
                        "division": pd.array(self.div_ids[self.team_div], dtype="str"),
                        "policy": pd.array(cad[pol], dtype="str"),
                        "length": pd.array(ln[length], dtype="str"),
                        "headcount": head.astype(np.int64),
                        "response_rate": rate,
                        "switched": switched,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def _truth(self, switches: list) -> dict[str, Any]:
        plan = self.plan
        return {
            "model": "toolkit.simulate v1 (see the docstring of toolkit.simulate.simulate for the formulas)",
            "seed": self.seed,
            "survey": {"id": plan.survey.id, "version": plan.survey.version},
            "waves": list(self.labels),
            "n_teams": self.T,
            "parameters": {
                "icc": self.icc,
                "icc_scale": "ICC(1) of the observed construct score",
                "null": self.null,
                "response_rate": list(self.rates),
                "first_wave": self.labels[0],
                "effects": self.eff,
                "design": self.des,
                "mess": self.mes,
                "cadence_codes": list(plan.cad_codes),
                "length_codes": list(plan.len_codes),
                "size_scale": {"z": "(log(team headcount) - log 8) / 0.5"},
                "cadence_cutpoints": {
                    "population": self.cal.cuts.tolist(),
                    "organisation": self.cuts.tolist(),
                    "propensity": "division_on_cadence * c_d - size_on_cadence * z + N(0, 1), cut from the "
                    "rarest cadence up",
                },
            },
            "variance_components": self.cal.components,
            "estimands": self.cal.estimands,
            "switches": switches,
        }


class _Wave:
    """The responses of one wave: answers from the latent scores, then the mess."""

    def __init__(
        self,
        sim: _Simulation,
        label: str,
        emp: np.ndarray,
        tm: np.ndarray,
        pol: np.ndarray,
        env: dict[str, np.ndarray],
        eta: dict[str, np.ndarray],
    ) -> None:
        self.sim, self.label = sim, label
        self.emp, self.tm, self.pol, self.env, self.eta = emp, tm, pol, env, eta
        self.rng = sim.rng
        self.n = len(emp)

    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        sim, rng, n, mes = self.sim, self.rng, self.n, self.sim.mes
        plan = sim.plan
        survey = plan.survey
        attention = [p for p in plan.items if p.role == "attention_check"]
        u = rng.random(n)
        s1 = mes["speeders"]
        s2 = s1 + mes["straight_liners"]
        s3 = s2 + (mes["attention_failures"] if attention else 0.0)
        speeder, straight, failed = u < s1, (u >= s1) & (u < s2), (u >= s2) & (u < s3)
        random_answers = speeder | failed
        careless = random_answers | straight
        ordinal = [p for p in plan.items if p.kind == "ordinal" and p.role is None]
        min_k = min((len(p.codes) for p in ordinal), default=1)
        straight_pos = rng.integers(0, min_k, n)

        values: dict[str, np.ndarray] = {}  # scale items: index into the allowed codes (-1: missing)
        names_self = np.zeros(n, bool)
        for p in plan.items:
            if p.role == "team":
                continue
            if p.kind == "text":
                values[p.id], signed = self._text(p)
                names_self |= signed
                continue
            values[p.id] = self._answer(p, random_answers, straight, straight_pos, careless, failed)
            if not p.required and p.role != "attention_check":
                values[p.id] = np.where(rng.random(n) < mes["item_nonresponse"], -1, values[p.id])

        k_items = sum(1 for it in survey.items if it.role != "team")
        median = 60.0 + 10.0 * k_items
        duration = median * np.exp(0.4 * rng.standard_normal(n))
        duration = np.where(straight, duration * 0.55, duration)
        duration = np.where(failed, duration * 0.7, duration)
        duration = np.where(speeder, median * rng.uniform(0.08, 0.25, n), duration)
        duration = np.round(duration)
        start = _wave_start(self.label)
        day = np.minimum(np.floor(rng.exponential(3.5, n)), 20)
        tod = (6 + 14 * rng.beta(2.5, 3.0, n)) * 3600  # 06:00 to 20:00 UTC, peak before noon
        stamp = start + (day * 86400 + np.round(tod)).astype(np.int64)

        # duplicate submissions: a copy submitted later, a few answers changed
        dup = np.flatnonzero(rng.random(n) < mes["duplicates"])
        src = np.concatenate([np.arange(n), dup])
        is_copy = np.concatenate([np.zeros(n, bool), np.ones(len(dup), bool)])
        has_copy = np.zeros(n + len(dup), bool)
        has_copy[dup] = True
        for p in plan.items:
            if p.id in values:
                v = values[p.id][src]
                if p.construct is not None and len(dup):
                    change = is_copy & (rng.random(len(src)) < 0.15) & (v >= 0) & (v < len(p.codes))
                    step = rng.choice([-1, 1], len(src))
                    v = np.where(change, np.clip(v + step, 0, len(p.codes) - 1), v)
                values[p.id] = v
        stamp = np.concatenate([stamp, stamp[dup] + rng.integers(120, 7200, len(dup))])
        duration = np.concatenate([duration, np.round(median * np.exp(0.4 * rng.standard_normal(len(dup))))])

        df = self._frame(values, src, stamp, duration)
        order = np.argsort(stamp, kind="stable")
        df = df.iloc[order].reset_index(drop=True)
        truth = self._truth(src, speeder, straight, failed, is_copy, has_copy, names_self).iloc[order]
        return df, truth.reset_index(drop=True)

    def _answer(
        self,
        p: _ItemPlan,
        random_answers: np.ndarray,
        straight: np.ndarray,
        straight_pos: np.ndarray,
        careless: np.ndarray,
        failed: np.ndarray,
    ) -> np.ndarray:
        """The answers to a scale item, as positions in its allowed codes."""
        rng, n = self.rng, self.n
        k = len(p.codes)
        if p.role == "attention_check":
            expected = list(p.codes).index(self.sim.plan.survey.item(p.id).expected)
            other = rng.integers(0, k - 1, n)
            return np.where(failed, other + (other >= expected), expected)
        given = self._role_index(p)
        if given is not None:  # cadence and length as experienced, demographics as on the roster
            if p.role == "demographic":
                return given
            return np.where(random_answers, rng.integers(0, k, n), given)
        if p.kind == "categorical":
            idx = rng.integers(0, k, n)
        else:
            lam = self.sim.eff["loading"]
            latent = self.eta[p.construct] if p.construct is not None else 0.0
            ystar = lam * latent + p.offset + math.sqrt(1 - lam**2) * rng.standard_normal(n)
            keyed = np.searchsorted(p.thresholds, ystar)
            idx = k - 1 - keyed if p.reverse else keyed
            idx = np.where(random_answers, rng.integers(0, k, n), idx)
            idx = np.where(straight, np.minimum(straight_pos, k - 1), idx)
        if p.na_code is not None and p.role is None:
            idx = np.where(~careless & (rng.random(n) < self.sim.mes["not_applicable"]), k, idx)
        return idx

    def _role_index(self, p: _ItemPlan) -> np.ndarray | None:
        plan = self.sim.plan
        if p.role == "cadence":
            source, idx = plan.cad_codes, self.env["cad"]
        elif p.role == "meeting_length":
            source, idx = plan.len_codes, self.env["len"]
        elif p.role == "demographic":
            which = [d[0] for d in plan.demographics].index(p.id)
            source, idx = plan.demographics[which][1], self.sim.demo[which][self.emp]
        else:
            return None
        codes = list(p.codes)
        return np.array([codes.index(c) for c in source])[idx]

    def _text(self, p: _ItemPlan) -> tuple[np.ndarray, np.ndarray]:
        rng, n, mes = self.rng, self.n, self.sim.mes
        none = np.zeros(n, bool)
        if p.role != "comment":
            return np.full(n, None, dtype=object), none
        has = rng.random(n) < mes["comments"]
        text = _COMMENTS[rng.integers(0, len(_COMMENTS), n)]
        first_comment = p.id == next(q.id for q in self.sim.plan.items if q.role == "comment")
        signed = first_comment & (rng.random(n) < mes["self_naming"]) if first_comment else none
        text = np.where(
            signed,
            np.strings.add(np.strings.add("This is ", self.sim.names[self.emp]), np.strings.add(". ", text)),
            text,
        )
        return np.where(has | signed, text.astype(object), None), signed

    def _frame(
        self, values: dict[str, np.ndarray], src: np.ndarray, stamp: np.ndarray, duration: np.ndarray
    ) -> pd.DataFrame:
        sim, plan = self.sim, self.sim.plan
        dtypes = canonical_dtypes(plan.survey)
        m = len(src)
        ts = pd.Series((stamp * 1_000_000).astype("datetime64[us]")).dt.tz_localize("UTC")
        cols: dict[str, Any] = {
            "respondent": pd.array(sim.pseudonyms[self.emp[src]], dtype="str"),
            "wave": pd.array(np.full(m, self.label, dtype=object), dtype="str"),
            "team": pd.array(sim.team_ids[self.tm[src]], dtype="str"),
            "submitted_at": ts.array,
            "duration_s": pd.array(duration, dtype="Float64"),
        }
        for p in plan.items:
            if p.role == "team":
                continue
            v = values[p.id]
            if p.kind == "ordinal":
                codes = np.asarray(p.allowed, dtype=np.int8)[np.maximum(v, 0)]
                cols[p.id] = pd.arrays.IntegerArray(codes, v < 0)
            elif p.kind == "categorical":
                cols[p.id] = pd.Categorical.from_codes(v.astype(np.int64), dtype=dtypes[p.id])
            else:
                cols[p.id] = pd.array(v, dtype="str")
        df = pd.DataFrame(cols)
        for it in plan.survey.items:
            if it.ask_if is not None and it.id in df.columns:
                off = condition_holds(df, it.ask_if).eq(False).fillna(False).to_numpy(bool)
                df[it.id] = df[it.id].mask(off)
        return df

    def _truth(self, src, speeder, straight, failed, is_copy, has_copy, names_self) -> pd.DataFrame:
        sim, plan = self.sim, self.sim.plan
        cad, ln = np.array(plan.cad_codes, dtype=object), np.array(plan.len_codes, dtype=object)
        out = pd.DataFrame(
            {
                "employee_id": pd.array(sim.emp_ids[self.emp[src]], dtype="str"),
                "team": pd.array(sim.team_ids[self.tm[src]], dtype="str"),
                "policy": pd.array(cad[self.pol[src]], dtype="str"),
                "cadence": pd.array(cad[self.env["cad"][src]], dtype="str"),
                "meeting_length": pd.array(ln[self.env["len"][src]], dtype="str"),
                **{f"eta_{k}": self.eta[k][src] for k in plan.order},
                "speeder": speeder[src],
                "straight_liner": straight[src],
                "attention_failure": failed[src],
                "is_duplicate": is_copy,
                "has_duplicate": has_copy,
                "names_self": names_self[src],
            }
        )
        return out


# --------------------------------------------------------------------------- writing


def _ids(prefix: str, n: int, *, width: int | None = None) -> np.ndarray:
    width = width or max(2, len(str(n)))
    return np.strings.add(prefix, np.strings.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _wave_start(label: str) -> int:
    """Seconds since the epoch when the wave's survey opens: the 2nd of the quarter's 2nd month."""
    year, q = int(label[:4]), int(label[5])
    return int(np.datetime64(f"{year}-{3 * (q - 1) + 2:02d}-02", "s").astype(np.int64))


def _write_csv(path: Path, df: pd.DataFrame, *, crlf: bool = False) -> Path:
    text = df.to_csv(index=False, lineterminator="\r\n" if crlf else "\n")
    return atomic_write_text(path, text)


def _canonical_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["submitted_at"] = out["submitted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out["duration_s"] = out["duration_s"].round().astype("Int64")
    return out


def _qualtrics_text(
    survey: Survey, df: pd.DataFrame, who: pd.DataFrame, latent: pd.DataFrame, rng: np.random.Generator
) -> str:
    n = len(df)
    end = df["submitted_at"]
    start = end - pd.to_timedelta(df["duration_s"].fillna(0).astype("float64"), unit="s")
    fmt = "%Y-%m-%d %H:%M:%S"
    alnum = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype="S1")
    rid = alnum[rng.integers(0, len(alnum), (n, 15))].view("S15").ravel().astype(str)
    ip = rng.integers(1, 255, (n, 2)).astype(str)
    meta = {
        "StartDate": start.dt.strftime(fmt),
        "EndDate": end.dt.strftime(fmt),
        "Status": 0,
        "IPAddress": np.strings.add(np.strings.add(np.strings.add("198.51.", ip[:, 0]), "."), ip[:, 1]),
        "Progress": 100,
        "Duration (in seconds)": df["duration_s"].round().astype("Int64").to_numpy(),
        "Finished": 1,
        "RecordedDate": end.dt.strftime(fmt),
        "ResponseId": np.strings.add("R_", rid),
        "RecipientLastName": who["last_name"].to_numpy(),
        "RecipientFirstName": who["first_name"].to_numpy(),
        "RecipientEmail": who["email"].to_numpy(),
        "ExternalReference": latent["employee_id"].to_numpy(),
        "LocationLatitude": np.round(52.52 + rng.normal(0, 0.3, n), 6),
        "LocationLongitude": np.round(13.40 + rng.normal(0, 0.5, n), 6),
        "DistributionChannel": "email",
        "UserLanguage": "EN",
    }
    cols: dict[str, Any] = {k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in meta.items()}
    texts = [m[1] for m in _Q_META]
    imports = [m[2] for m in _Q_META]
    for i, it in enumerate(survey.items, start=1):
        if it.role == "team":
            cols[it.id] = df["team"].to_numpy()
        elif it.kind == "categorical":
            codes = df[it.id].cat.codes.to_numpy() + 1
            cols[it.id] = pd.array(np.where(codes > 0, codes, 0), dtype="Int64")
            cols[it.id][codes <= 0] = pd.NA
        else:
            cols[it.id] = df[it.id].to_numpy()
        texts.append(it.text)
        imports.append(f"QID{i}_TEXT" if it.kind == "text" else f"QID{i}")
    table = pd.DataFrame(cols, index=df.index)
    head = io.StringIO()
    writer = csv.writer(head, lineterminator="\n")
    writer.writerow(list(table.columns))
    writer.writerow(texts)
    writer.writerow([json.dumps({"ImportId": q}, separators=(",", ":")) for q in imports])
    return head.getvalue() + table.to_csv(index=False, header=False, lineterminator="\n")


def _google_forms_text(survey: Survey, df: pd.DataFrame, who: pd.DataFrame) -> str:
    local = df["submitted_at"].dt.tz_convert("Europe/Berlin")
    utc = df["submitted_at"].dt.tz_localize(None)
    offset_h = (local.dt.tz_localize(None) - utc).dt.total_seconds() / 3600
    hour = local.dt.hour
    h12 = (hour % 12).where(hour % 12 != 0, 12).astype(str)
    stamp = (
        local.dt.strftime("%Y/%m/%d ")
        + h12
        + local.dt.strftime(":%M:%S ")
        + np.where(hour < 12, "am", "pm")
        + np.where(offset_h > 1.5, " CEST", " CET")
    )
    cols: dict[str, Any] = {"Timestamp": stamp.to_numpy(), "Email Address": who["email"].to_numpy()}
    for it in survey.items:
        if it.role == "team":
            values = df["team"]
        elif it.scale is not None:
            scale = survey.scales[it.scale]
            labels = {c.code: c.label for c in scale.values + scale.not_applicable}
            s = df[it.id]
            values = (
                s.astype("object").map(labels)
                if it.kind == "ordinal"
                else s.cat.rename_categories([labels[c] for c in s.cat.categories]).astype("object")
            )
        else:
            values = df[it.id]
        cols[it.text] = np.asarray(values.to_numpy(), dtype=object)
    return pd.DataFrame(cols).to_csv(index=False, lineterminator="\r\n")


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x)
    return x
