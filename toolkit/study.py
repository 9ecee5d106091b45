"""A study: the quarter's exports ingested into a store, and everything the analyses load from it.

The analysis notebooks and ``oneonone run`` share these steps, so that no notebook defines a
function and no two notebooks repeat a cell:

- :func:`toolkit.ingest_exports` (:mod:`toolkit.ingest.batch`) ingests every export of a folder,
  wave by wave, into the store;
- :func:`load_study` loads the stored waves with the survey, the organisation (units), the
  roster and the managers' 1:1 policies into one :class:`Study`: responses, construct scores,
  the covariates the cadence comparisons adjust for, and the release;
- :func:`load_truth` reads the simulator's ``truth.json`` (the sample is synthetic, so the
  estimates can be shown beside the truth they should recover).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit._io import read_table
from toolkit.errors import InputError, StoreError
from toolkit.privacy.disclosure import release as _release
from toolkit.stats.scoring import score
from toolkit.stats.steps import team_covariates
from toolkit.store import linkage, load_waves, manifest
from toolkit.survey import Survey, as_survey
from toolkit.units import headcounts

__all__ = ["Study", "Truth", "load_study", "load_truth", "study_key"]

_POLICY = re.compile(r"^policy_(\d{4}Q[1-4])$")


def study_key(key: str | Path | None) -> bytes:
    """The pseudonym key a notebook (or ``oneonone run``) ingests with, named without its secret.

    Parameters
    ----------
    key : None, "env", str or Path
        ``None``: the public key of the synthetic sample, :func:`toolkit.simulate.pseudonym_key`
        of its seed 2026, **only for data/sample**: :func:`toolkit.ingest` refuses it for any
        file that is not one of the sample's (recognised by content, see
        :mod:`toolkit.privacy._public_key`) and asks for a key file or ``ONEONONE_KEY`` instead;
        ``"env"``: the secret in the environment variable ``ONEONONE_KEY``; anything else: the
        path of a key file. Either way :func:`toolkit.load_key` checks it, and the key itself
        never appears in a notebook or its output.

    Raises
    ------
    SecretKeyError
        When the environment variable or key file is missing or holds an unusable key.

    Examples
    --------
    >>> from toolkit.simulate import pseudonym_key
    >>> study_key(None) == pseudonym_key(2026)
    True
    """
    from toolkit.privacy.pseudonym import load_key
    from toolkit.simulate import pseudonym_key

    if key is None:
        return pseudonym_key(2026)
    if isinstance(key, str) and key == "env":
        return load_key()
    return load_key(key_file=key)


# --------------------------------------------------------------------------- the study


@dataclass(frozen=True)
class Study:
    """Everything the analyses of a store need, loaded once (:func:`load_study`).

    Attributes
    ----------
    survey : Survey
    responses : DataFrame
        The canonical responses of every stored wave (:func:`toolkit.load_waves`).
    waves : tuple of str
        The stored waves, in order.
    scores : DataFrame
        The long construct scores of every wave (:func:`toolkit.score`).
    units : DataFrame or None
        The organisation: ``unit``, ``parent``, ``kind`` (text).
    roster : DataFrame or None
        The people invited (text), for headcounts.
    teams : DataFrame or None
        One row per team (``team``, ``manager``, ...), as given.
    policies : DataFrame or None
        The manager's 1:1 policy per team and wave, from the ``policy_<wave>`` (and
        ``length_<wave>``) columns of ``teams``: ``team``, ``wave``, ``policy`` (and
        ``length``), the long shape ``cadence_switches(..., policies=study.policies)`` reads
        with its default ``cadence="policy"``. None when ``teams`` has no such columns.
    anonymous : bool
        Some stored wave was ingested without identity (``--anonymous``): its respondent ids
        are random.
    linkage : str
        Empty when the same respondent can be followed across the stored waves; otherwise why
        not (anonymous waves, or several pseudonym series), in a sentence.
    """

    survey: Survey
    responses: pd.DataFrame
    waves: tuple[str, ...]
    scores: pd.DataFrame
    units: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None
    policies: pd.DataFrame | None = None
    anonymous: bool = False
    linkage: str = ""

    @property
    def linked(self) -> bool:
        """Whether the same respondent can be followed across the stored waves.

        Analyses of individuals across waves (the same people's change, an individual's
        switch of cadence) need it; team-level analyses (team means per wave, cadence
        switches of teams) do not.
        """
        return not self.linkage

    def require_linked(self, what: str) -> None:
        """Raise when respondents cannot be followed across waves, saying which analysis needs it.

        Raises
        ------
        InputError
            Naming ``what`` and why (anonymous waves, several pseudonym series), and what
            works instead (its team-level form).
        """
        if self.linkage:
            raise InputError(
                f"{what} needs the same respondents in several waves, which this store cannot give: "
                f"{self.linkage}. Use the team-level analysis (team means per wave) instead."
            )

    @property
    def labels(self) -> dict[str, str]:
        """Construct id to its label in the survey, for tables and figures."""
        return {cid: construct.label for cid, construct in self.survey.constructs.items()}

    @property
    def adjusted_for(self) -> list[str]:
        """The covariates of the adjusted cadence comparisons that this study can provide.

        ``log_size`` (log of the team's headcount in the wave, from the roster) and
        ``division`` (from the units): team size and division drive cadence, so comparisons of
        cadences adjust for them (the columns :meth:`wave_scores` joins on).
        """
        sources = (("log_size", self.roster), ("division", self.units))
        return [name for name, source in sources if source is not None]

    def wave_responses(self, wave: str) -> pd.DataFrame:
        """The canonical responses of one stored wave (a fresh index)."""
        self._check_wave(wave)
        return self.responses[self.responses["wave"] == wave].reset_index(drop=True)

    def wave_scores(self, wave: str) -> pd.DataFrame:
        r"""The long scores of one wave, with the covariates of :attr:`adjusted_for` joined on.

        ``log_size`` is the natural log of the team's headcount in the wave's roster rows (all
        rows when the roster has no ``wave`` column), missing for a team without roster rows;
        ``division`` is the team's division in the units. This is the table
        :func:`toolkit.compare_cadence` and :func:`toolkit.moderation` take, with
        ``covariates=study.adjusted_for``.
        """
        self._check_wave(wave)
        out = self.scores[self.scores["wave"] == wave].reset_index(drop=True)
        out, _ = team_covariates(out, units=self.units, roster=self.roster, wave=wave)
        return out

    @property
    def invited(self) -> pd.DataFrame | None:
        """Headcounts for response rates: ``team``, ``wave``, ``invited`` (:func:`toolkit.units.headcounts`:
        the roster's people, else the teams' ``headcount`` columns)."""
        return headcounts(list(self.waves), roster=self.roster, teams=self.teams)

    def release(self, policy=None, *, audiences: Sequence[str] | None = None) -> pd.DataFrame:
        """The release of every stored wave (:func:`toolkit.release`), with response rates
        when the study has a roster.

        Parameters
        ----------
        policy : mapping, str or Path, optional
            The disclosure policy (:func:`toolkit.load_policy`).
        audiences : sequence of str, optional
            Only these audiences, e.g. ``["manager:t01"]``.

        Raises
        ------
        ValueError
            When the study was loaded without units.
        """
        if self.units is None:
            raise ValueError("the release needs the organisation: load the study with units=")
        return _release(
            self.responses, self.survey, self.units, invited=self.invited, policy=policy, audiences=audiences
        )

    def _check_wave(self, wave: str) -> None:
        if wave not in self.waves:
            raise ValueError(f"wave {wave!r} is not stored; the store has {', '.join(self.waves)}")


def load_study(
    store: str | Path,
    *,
    survey: Survey | str | Path,
    units: pd.DataFrame | str | Path | None = None,
    roster: pd.DataFrame | str | Path | None = None,
    teams: pd.DataFrame | str | Path | None = None,
) -> Study:
    """Load every stored wave, score it, and gather what the analyses need.

    Parameters
    ----------
    store : str or Path
        The wave store folder.
    survey : Survey, str or Path
        The survey the waves answer (or its YAML file).
    units, roster, teams : DataFrame, str or Path, optional
        The organisation (``unit``, ``parent``, ``kind``), the roster (``team``, optionally
        ``wave``) and the teams table (``team``, optionally ``policy_<wave>`` and
        ``length_<wave>``), or their CSV files (read as text).

    Returns
    -------
    Study

    Raises
    ------
    StoreError
        When the store holds no wave (the message says to ingest first: run notebook 01 or
        ``oneonone ingest``), or a stored wave does not fit the survey.
    InputError
        When a table file is missing or lacks a required column.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import ingest_exports
    >>> from toolkit.simulate import pseudonym_key
    >>> with tempfile.TemporaryDirectory() as store:
    ...     _ = ingest_exports("data/sample/exports", survey="surveys/one_on_one_pulse.yaml",
    ...                        roster="data/sample/roster.csv", store=store, key=pseudonym_key(2026),
    ...                        waves=["2026Q1", "2026Q2"], format="qualtrics")
    ...     study = load_study(store, survey="surveys/one_on_one_pulse.yaml", units="data/sample/units.csv",
    ...                        roster="data/sample/roster.csv", teams="data/sample/teams.csv")
    >>> study.waves, study.adjusted_for
    (('2026Q1', '2026Q2'), ['log_size', 'division'])
    >>> study.policies.head(2)
      team    wave  policy    length
    0  t01  2026Q1  weekly  about_30
    1  t01  2026Q2  weekly  about_30
    >>> sorted(study.wave_scores("2026Q2").columns)[:4]
    ['cadence', 'construct', 'division', 'favourable']
    """
    the_survey = as_survey(survey)
    if not (Path(store) / "manifest.json").is_file():
        raise StoreError(
            "no wave is stored here yet: ingest the exports first (run notebook 01_validate_and_clean, "
            "or `oneonone ingest`)",
            store=store,
        )
    responses = load_waves(store, survey=the_survey)
    the_teams = None if teams is None else read_table(teams, what="teams", required=("team",))
    linked, why = linkage(store)
    return Study(
        survey=the_survey,
        responses=responses,
        waves=tuple(sorted(pd.unique(responses["wave"].astype("str")))),
        scores=score(responses, the_survey),
        units=None if units is None else read_table(units, what="units", required=("unit", "parent", "kind")),
        roster=None if roster is None else read_table(roster, what="roster", required=("team",)),
        teams=the_teams,
        policies=None if the_teams is None else _policies(the_teams),
        anonymous=any(e.get("anonymous", False) for e in manifest(store)["waves"].values()),
        linkage="" if linked else why,
    )


def _policies(teams: pd.DataFrame) -> pd.DataFrame | None:
    """The ``policy_<wave>``/``length_<wave>`` columns of the teams table, long."""
    waves = [m.group(1) for c in teams.columns if (m := _POLICY.match(str(c)))]
    if not waves:
        return None
    parts = []
    for wave in sorted(waves):
        policy = teams[f"policy_{wave}"].astype("str")
        part = pd.DataFrame({"team": teams["team"].astype("str"), "wave": wave, "policy": policy})
        if f"length_{wave}" in teams.columns:
            part["length"] = teams[f"length_{wave}"].astype("str")
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["team", "wave"], ignore_index=True)


# --------------------------------------------------------------------------- the simulator's truth


@dataclass(frozen=True)
class Truth:
    """What a simulated organisation was generated with (:func:`load_truth`); empty for real data.

    Attributes
    ----------
    contrasts : DataFrame
        ``outcome``, ``level_a``, ``level_b`` (the reference, monthly), ``contrast``
        (``"weekly - monthly"``), ``truth``: the true difference in score points between
        reports of each cadence and of monthly 1:1s, as reported (every construct).
    switches : DataFrame
        The planted switches of the managers' 1:1 policy: ``team``, ``wave``,
        ``previous_wave``, ``from``, ``to``.
    estimands : dict
        Every estimand of ``truth.json`` as written there.
    """

    contrasts: pd.DataFrame
    switches: pd.DataFrame
    estimands: dict

    @property
    def known(self) -> bool:
        """True when there is a truth (a simulated sample), False for real data."""
        return bool(self.estimands)


def load_truth(truth: str | Path | dict | None) -> Truth:
    """The simulator's truth (``truth.json``), as tidy tables; an empty :class:`Truth` for None.

    Parameters
    ----------
    truth : str, Path, dict or None
        The ``truth.json`` of a simulated sample (or its parsed content); None for real data,
        which has no truth.

    Raises
    ------
    InputError
        When the file is missing or is not a simulator's truth.

    Examples
    --------
    >>> t = load_truth("data/sample/truth.json")
    >>> row = t.contrasts.query("outcome == 'depth' and level_a == 'weekly'")
    >>> row[["contrast", "truth"]].round(3).to_dict("records")
    [{'contrast': 'weekly - monthly', 'truth': 0.237}]
    >>> len(t.switches), load_truth(None).known
    (10, False)
    """
    columns = ["outcome", "level_a", "level_b", "contrast", "truth"]
    switch_columns = ["team", "wave", "previous_wave", "from", "to"]
    if truth is None:
        return Truth(pd.DataFrame(columns=columns), pd.DataFrame(columns=switch_columns), {})
    path = None
    if isinstance(truth, str | Path):
        path = Path(truth)
        if not path.is_file():
            raise InputError("truth file not found", path=path)
        truth = json.loads(path.read_text(encoding="utf-8"))
    try:
        block = truth["estimands"]["cadence_contrasts"]
        reference, by_reported = block["reference"], block["by_reported"]
    except (KeyError, TypeError):
        raise InputError(
            "not a simulator's truth: it lacks estimands.cadence_contrasts.by_reported", path=path
        ) from None
    rows = [
        (outcome, level, reference, f"{level} - {reference}", float(values["score"]))
        for outcome, levels in by_reported.items()
        for level, values in levels.items()
        if level != reference
    ]
    switches = pd.DataFrame(truth.get("switches", []), columns=switch_columns)
    return Truth(pd.DataFrame(rows, columns=columns), switches, dict(truth["estimands"]))
