"""A study: the quarter's exports ingested into a store, and everything the analyses load from it.

The analysis notebooks and ``oneonone run`` share these steps, so that no notebook defines a
function and no two notebooks repeat a cell:

- :func:`ingest_exports` ingests every export of a folder whose file name carries a wave label
  (``2026Q3``), wave by wave, into the store (:func:`toolkit.ingest`; re-ingesting an export
  that is already stored is a no-op);
- :func:`load_study` loads the stored waves with the survey, the organisation (units), the
  roster and the managers' 1:1 policies into one :class:`Study`: responses, construct scores,
  the covariates the cadence comparisons adjust for, and the release;
- :func:`load_truth` reads the simulator's ``truth.json`` (the sample is synthetic, so the
  estimates can be shown beside the truth they should recover).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._io import read_table
from toolkit.errors import InputError, StoreError
from toolkit.ingest.export import detect_format
from toolkit.ingest.pipeline import IngestResult, ingest
from toolkit.privacy.disclosure import release as _release
from toolkit.stats.scoring import score
from toolkit.store import linkage, load_waves, manifest
from toolkit.survey import Survey, load_survey
from toolkit.units import ancestor

__all__ = ["WAVE_IN_NAME", "Study", "Truth", "ingest_exports", "load_study", "load_truth", "study_key"]

#: A wave label inside a file name: ``qualtrics_2026Q3.csv`` is an export of wave ``2026Q3``.
WAVE_IN_NAME = re.compile(r"\d{4}Q[1-4]")
_POLICY = re.compile(r"^policy_(\d{4}Q[1-4])$")


# --------------------------------------------------------------------------- ingest


def ingest_exports(
    exports: str | Path,
    *,
    survey: Survey | str | Path,
    roster: pd.DataFrame | str | Path | None = None,
    store: str | Path,
    key: bytes | None = None,
    waves: str | Sequence[str] | None = None,
    format: str | None = None,
    progress: Callable[[str, Path], object] | None = None,
    up_to: str | None = None,
    anonymous: bool = False,
    team_column: str | None = None,
    teams: pd.DataFrame | str | Path | None = None,
    units: pd.DataFrame | str | Path | None = None,
    waves_table: pd.DataFrame | str | Path | None = None,
    allow_outside_window: bool = False,
    new_key: bool = False,
) -> list[IngestResult]:
    """Ingest every export in a folder, wave by wave in order, into the wave store.

    Parameters
    ----------
    exports : str or Path
        A folder of platform exports. A file takes part when its name contains a wave label
        (:data:`WAVE_IN_NAME`, like ``qualtrics_2026Q3.csv``); other files are ignored.
    survey : Survey, str or Path
        The survey the exports answer (or its YAML file).
    roster : DataFrame, str or Path
        The people invited (``employee_id``, ``team``, optionally ``wave``, ``email``,
        ``name``), or its CSV file. Optional with ``anonymous`` (then ``team`` is enough:
        headcounts and known teams).
    store : str or Path
        The wave store folder.
    key : bytes
        The secret pseudonym key (:func:`toolkit.load_key`); none with ``anonymous``.
    waves : str or sequence of str, optional
        Only these waves (for example every wave up to the current one); each must have an
        export in the folder. Default: every wave found.
    format : str, optional
        When several files name the same wave, the platform (as
        :func:`toolkit.ingest.detect_format` names it, e.g. ``"qualtrics"``) whose export is
        ingested. It only chooses between files; the reader is always chosen by content.
    progress : callable, optional
        Called as ``progress(wave, path)`` before each wave is ingested (a progress bar).
    up_to : str, optional
        Only the waves up to and including this one (the quarter being analysed), of those
        found or of ``waves``; it must be one of them.
    anonymous, team_column, teams, units, waves_table, allow_outside_window, new_key
        As for :func:`toolkit.ingest` (``teams``, ``units`` and ``waves_table`` may be CSV
        files), for every wave. ``teams`` and ``units`` are used by an anonymous ingest only
        (a pseudonymised one takes the teams from the roster).

    Returns
    -------
    list of IngestResult
        One per wave, in wave order. A wave already stored from the same export has status
        ``"unchanged"``.

    Raises
    ------
    InputError
        When the folder is missing or holds no export with a wave label, a wave asked for
        (in ``waves`` or ``up_to``) has no export, or a wave has several exports and
        ``format`` does not pick exactly one (the message names the files).
    StoreError
        When a wave is stored from a different export (see :func:`toolkit.ingest`).

    Examples
    --------
    >>> import tempfile
    >>> from toolkit.simulate import pseudonym_key
    >>> with tempfile.TemporaryDirectory() as store:
    ...     done = ingest_exports("data/sample/exports", survey="surveys/one_on_one_pulse.yaml",
    ...                           roster="data/sample/roster.csv", store=store, key=pseudonym_key(2026),
    ...                           waves=["2026Q1"], format="qualtrics")
    ...     again = ingest_exports("data/sample/exports", survey="surveys/one_on_one_pulse.yaml",
    ...                            roster="data/sample/roster.csv", store=store, key=pseudonym_key(2026),
    ...                            up_to="2026Q1", format="qualtrics")
    >>> [(r.wave, r.status, r.format, r.balanced) for r in done]
    [('2026Q1', 'written', 'qualtrics', True)]
    >>> again[0].status
    'unchanged'
    """
    folder = Path(exports)
    if not folder.is_dir():
        raise InputError("the exports folder does not exist (or is not a folder)", path=folder)
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        match = WAVE_IN_NAME.search(path.name)
        if path.is_file() and not path.name.startswith(".") and match:
            found.setdefault(match.group(0), []).append(path)
    if not found:
        raise InputError("no export in the folder has a wave label like 2026Q3 in its file name", path=folder)
    chosen = _wanted(found, waves, folder)
    if up_to is not None:
        if up_to not in chosen:
            _wanted(found, [up_to], folder)  # names the folder's waves when up_to has no export
            raise ValueError(f"up_to={up_to!r} is not one of the waves asked for ({', '.join(chosen)})")
        chosen = [w for w in chosen if w <= up_to]
    the_survey = _survey(survey)
    people = None
    if roster is not None or not anonymous:
        people = read_table(
            roster, what="roster", required=("team",) if anonymous else ("employee_id", "team")
        )
    options = {
        "anonymous": anonymous,
        "team_column": team_column,
        "waves_table": waves_table,
        "allow_outside_window": allow_outside_window,
        "new_key": new_key,
    }
    if anonymous and teams is not None:  # the known teams of an anonymous export (the roster's otherwise)
        options["teams"] = read_table(teams, what="teams", required=("team",))
    if anonymous and units is not None:
        options["units"] = read_table(units, what="units", required=("unit", "parent", "kind"))
    results = []
    for wave in chosen:
        path = _pick(found[wave], wave, format, folder)
        if progress is not None:
            progress(wave, path)
        results.append(ingest(path, the_survey, roster=people, wave=wave, store=store, key=key, **options))
    return results


def _wanted(found: dict[str, list[Path]], waves: str | Sequence[str] | None, folder: Path) -> list[str]:
    if waves is None:
        return sorted(found)
    asked = [waves] if isinstance(waves, str) else list(waves)
    for wave in asked:
        if not isinstance(wave, str) or not WAVE_IN_NAME.fullmatch(wave):
            raise ValueError(f"waves must be wave labels like 2026Q3; got {wave!r}")
    absent = sorted(set(asked) - set(found))
    if absent:
        raise InputError(
            f"no export for wave(s) {', '.join(absent)}; the folder has exports of "
            f"{', '.join(sorted(found))}",
            path=folder,
        )
    return sorted(set(asked))


def _pick(paths: list[Path], wave: str, format: str | None, folder: Path) -> Path:
    """The one export of a wave: the only file, or the only file of platform ``format``."""
    if len(paths) == 1:
        return paths[0]
    names = ", ".join(p.name for p in paths)
    if format is None:
        raise InputError(
            f"several exports name wave {wave} ({names}): give --format, the platform to ingest "
            "(e.g. qualtrics), or keep one export per wave in the folder",
            path=folder,
        )
    platforms = {p: detect_format(p) for p in paths}
    mine = [p for p, f in platforms.items() if f == format]
    if len(mine) != 1:
        shown = ", ".join(f"{p.name} ({f})" for p, f in platforms.items())
        how_many = "none" if not mine else "more than one"
        raise InputError(
            f"wave {wave} has several exports ({shown}) and {how_many} of them is from platform "
            f"{format!r}: give the --format of exactly one, or keep one export per wave in the folder",
            path=folder,
        )
    return mine[0]


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
        if self.roster is not None:
            people = self.roster
            if "wave" in people.columns:
                people = people[people["wave"] == wave]
            size = people.groupby("team").size().astype("float64")
            out["log_size"] = np.log(out["team"].astype("str").map(size))
        if self.units is not None:
            out = out.merge(ancestor(self.units, kind="division"), on="team", how="left")
        return out

    @property
    def invited(self) -> pd.DataFrame | None:
        """Headcounts for response rates: ``team`` (``wave``) and ``invited``, from the roster."""
        if self.roster is None:
            return None
        keys = ["team", "wave"] if "wave" in self.roster.columns else ["team"]
        return self.roster.groupby(keys).size().rename("invited").reset_index()

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
    the_survey = _survey(survey)
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


def _survey(survey: Survey | str | Path) -> Survey:
    if isinstance(survey, Survey):
        return survey
    if isinstance(survey, str | Path):
        return load_survey(survey)
    raise TypeError(f"survey must be a Survey or the path of its YAML file, got {type(survey).__name__}")


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
