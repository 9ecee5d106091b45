"""The application layer: a quarter from the platform's exports to the reports, in one call.

:func:`run_quarter` chains the stages, each of which writes its own files:

1. ingest every export up to the wave (:func:`toolkit.ingest_exports`, with each wave's ingest
   report) into ``out/store``;
2. score every stored wave and check its measurement (:func:`toolkit.stats.steps.score_store`);
3. compare weekly and monthly teams in the wave (:func:`toolkit.stats.steps.compare_store`);
4. build the release and the comment release (:func:`toolkit.privacy.publish.release_store`)
   and write them (``out/release.parquet`` and its companions);
5. write the manager reports and the organisation heatmap (:func:`toolkit.report.write_reports`);
6. execute the analysis notebooks into ``out/notebooks`` (:func:`toolkit.notebooks.run_notebooks`).

``oneonone run`` is this function with a progress display.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit._io import read_table
from toolkit.errors import InputError
from toolkit.survey import Survey, as_survey
from toolkit.units import Units

__all__ = ["STEPS", "QuarterResult", "run_quarter"]

#: The steps of a quarter, in order (``notebooks`` only when asked for).
STEPS = ("ingest", "score", "compare", "release", "reports", "notebooks")


@dataclass
class QuarterResult:
    """What :func:`run_quarter` did.

    Attributes
    ----------
    wave : str
    outputs : dict
        Each output's name and its path: ``store``, ``ingest_<wave>`` (each ingest report),
        ``scores_<wave>`` and ``measurement_<wave>`` (every stored wave), ``comparison`` and
        ``forest_plot``, ``release``, ``release_csv``, ``comments``, ``comments_csv``,
        ``manifest``, ``organisation``, ``reports`` (the folder of the manager reports), and with
        the notebooks ``notebooks`` and ``notebook_<stem>`` (each executed notebook's HTML).
    ingested, scored, comparison, published, reports, notebooks
        Each step's result (:class:`toolkit.IngestResult` list, :class:`toolkit.stats.steps.ScoredWave`
        list, :class:`toolkit.stats.steps.Comparison`, :class:`toolkit.privacy.publish.Published`,
        :class:`toolkit.report.Reports`, the table of executed notebooks or None).
    seconds : dict
        Wall time of each step.
    """

    wave: str
    outputs: dict[str, Path] = field(default_factory=dict)
    ingested: list = field(default_factory=list)
    scored: list = field(default_factory=list)
    comparison: object = None
    published: object = None
    reports: object = None
    notebooks: pd.DataFrame | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def run_quarter(
    survey: Survey | str | Path,
    roster: pd.DataFrame | str | Path | None,
    exports: str | Path,
    wave: str,
    out: str | Path,
    *,
    units: pd.DataFrame | str | Path | Units | None = None,
    teams: pd.DataFrame | str | Path | None = None,
    key: bytes | str | Path | None = None,
    format: str | None = None,
    notebooks: bool | Sequence[str] = True,
    anonymous: bool = False,
    team_column: str | None = None,
    progress: Callable[..., object] | None = None,
    policy: Mapping | str | Path | None = None,
    truth: str | Path | None = None,
    team: str | None = None,
    waves_table: pd.DataFrame | str | Path | None = None,
    allow_outside_window: bool = False,
    new_key: bool = False,
) -> QuarterResult:
    """Run a quarter: ingest, score, compare, release, reports and (optionally) the notebooks.

    Parameters
    ----------
    survey : Survey, str or Path
        The survey the exports answer (or its YAML file).
    roster : DataFrame, str or Path, or None
        The people invited (``employee_id``, ``team``, optionally ``wave``, ``email``, ``name``).
        Optional with ``anonymous`` (``team`` only: headcounts).
    exports : str or Path
        The folder of platform exports, one per wave, each named with its wave
        (``qualtrics_2026Q3.csv``); every wave up to ``wave`` is ingested (stored waves from the
        same export are skipped).
    wave : str
        The quarter to analyse and report, like ``2026Q3``.
    out : str or Path
        The folder everything goes into: ``store/``, ``release.*``, ``reports/``, ``notebooks/``.
    units : DataFrame, str, Path or Units, optional
        The organisation; default ``units.csv`` beside the roster.
    teams : DataFrame, str or Path, optional
        ``team``, ``manager`` (and ``policy_<wave>``, ``headcount``...): names each report's
        manager; the known teams and headcounts of an anonymous survey. Default ``teams.csv``
        beside the roster, if any.
    key : bytes, str or Path, optional
        The secret pseudonym key, or the path of its key file; default the environment variable
        ``ONEONONE_KEY``. None with ``anonymous``. Never written anywhere, the notebooks included.
    format : str, optional
        When a wave has exports of several platforms, the one to ingest.
    notebooks : bool or sequence of str, default True
        Execute the analysis notebooks (or only these stems, like ``["06_team_report"]``).
    anonymous, team_column, waves_table, allow_outside_window, new_key
        As :func:`toolkit.ingest`.
    progress : callable, optional
        Called as ``progress(event, **info)``: ``("step", name=, index=, total=)`` when a step
        starts; ``("ingesting", wave=, path=)`` before each export; ``("notebook", stem=,
        index=, total=)`` before each notebook; and when a step ends, ``("done", name=,
        result=)`` with that step's result.
    policy : mapping, str or Path, optional
        The disclosure policy.
    truth : str or Path, optional
        ``truth.json`` of a simulated organisation, shown beside the estimates in the notebooks.
    team : str, optional
        The team whose manager's view notebook 06 shows (default: the first team).

    Returns
    -------
    QuarterResult
        Its ``outputs`` map each output's name to its path.

    Raises
    ------
    InputError, SecretKeyError, StoreError
        Before any work when the key, the units or the team cannot be used; then as each step.

    Examples
    --------
    >>> import os, tempfile
    >>> from toolkit.simulate import pseudonym_key
    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +SKIP
    ...     done = run_quarter("surveys/one_on_one_pulse.yaml", "data/sample/roster.csv",
    ...                        "data/sample/exports", "2026Q2", out, key=pseudonym_key(2026),
    ...                        format="qualtrics", notebooks=False)
    ...     sorted(done.outputs)[:3]
    ['comments', 'comments_csv', 'comparison']
    """
    from toolkit.ingest.batch import ingest_exports
    from toolkit.privacy.publish import release_store, write_release
    from toolkit.report import write_reports
    from toolkit.stats.steps import compare_store, score_store

    s = as_survey(survey)
    out = Path(out)
    store = out / "store"
    roster_path = Path(roster) if isinstance(roster, str | Path) else None
    if units is None:
        units = _beside(roster_path, "units.csv", required=True, what="units")
    if teams is None and roster_path is not None:
        teams = _beside(roster_path, "teams.csv", required=False, what="teams")
    tree = Units(units)
    the_teams = None if teams is None else read_table(teams, what="teams", required=("team",))
    if team is not None and tree.kind.get(team) != "team":
        raise InputError(f"team {team!r} is not a team of the units table", path=tree.source)
    people = None
    if roster is not None:
        people = read_table(
            roster, what="roster", required=("team",) if anonymous else ("employee_id", "team")
        )
    the_key, key_parameter, kernel_env = _key(key, anonymous, out)
    chosen = _notebooks(notebooks)
    if chosen:
        _check_notebook_extra()
    steps = [s_ for s_ in STEPS if s_ != "notebooks" or chosen]
    result = QuarterResult(wave)
    tell = progress or (lambda *a, **k: None)
    clock = [time.perf_counter()]

    def step(name: str) -> None:
        clock[0] = time.perf_counter()
        tell("step", name=name, index=steps.index(name) + 1, total=len(steps))

    def done(name: str, value) -> None:
        result.seconds[name] = time.perf_counter() - clock[0]
        tell("done", name=name, result=value)

    step("ingest")
    result.ingested = ingest_exports(
        exports,
        survey=s,
        roster=people,
        store=store,
        key=the_key,
        format=format,
        up_to=wave,
        progress=lambda w, path: tell("ingesting", wave=w, path=path),
        anonymous=anonymous,
        team_column=team_column,
        teams=the_teams if anonymous else None,
        units=tree.frame if anonymous else None,
        waves_table=waves_table,
        allow_outside_window=allow_outside_window,
        new_key=new_key,
    )
    result.outputs["store"] = store
    for r in result.ingested:
        result.outputs.update({f"ingest_{r.wave}": p for k, p in r.reports.items() if k == "html"})
    done("ingest", result.ingested)

    step("score")
    result.scored = score_store(store, s)
    for r in result.scored:
        result.outputs[f"scores_{r.wave}"] = r.paths["scores"]
        result.outputs[f"measurement_{r.wave}"] = r.paths["measurement"]
    done("score", result.scored)

    step("compare")
    result.comparison = compare_store(store, s, wave, units=tree, roster=people)
    result.outputs["comparison"] = result.comparison.paths["table"]
    if "plot" in result.comparison.paths:
        result.outputs["forest_plot"] = result.comparison.paths["plot"]
    done("compare", result.comparison)

    step("release")
    result.published = release_store(store, s, tree, roster=people, teams=the_teams, policy=policy)
    result.outputs.update(write_release(result.published, out / "release"))
    done("release", result.published)

    step("reports")
    managers = the_teams if the_teams is not None and "manager" in the_teams.columns else None
    result.reports = write_reports(
        result.published.release,
        s,
        tree.frame,
        wave=wave,
        out_dir=out / "reports",
        managers=managers,
        policy=result.published.policy,
        comments=result.published.comments,
    )
    result.outputs["reports"] = out / "reports"
    result.outputs.update(result.reports.paths)
    done("reports", result.reports)

    if chosen:
        from toolkit.notebooks import NOTEBOOKS, run_notebooks

        step("notebooks")
        parameters = {
            "SURVEY": str(Path(s.path).resolve()) if s.path else None,
            "EXPORTS": str(Path(exports).resolve()),
            "ROSTER": None if roster_path is None else str(roster_path.resolve()),
            "UNITS": _path_of(units, out / "inputs" / "units.csv"),
            "STORE": str(store.resolve()),
            "WAVE": wave,
            "FORMAT": format,
            "KEY": key_parameter,  # a key file's path or "env": never the key
            "TRUTH": None if truth is None else str(Path(truth).resolve()),
            "ANONYMOUS": anonymous,
            "TEAM_COLUMN": team_column,
            "WAVES_TABLE": None
            if waves_table is None
            else _path_of(waves_table, out / "inputs" / "waves.csv"),
            "ALLOW_OUTSIDE_WINDOW": allow_outside_window,
            "NEW_KEY": new_key,
            "TEAM": team or tree.teams()[0],
        }
        if teams is not None:
            parameters["TEAMS"] = _path_of(teams, out / "inputs" / "teams.csv")
        stems = list(NOTEBOOKS) if chosen is True else list(chosen)
        result.notebooks = run_notebooks(
            out / "notebooks",
            parameters=parameters,
            notebooks=stems,
            progress=lambda stem: tell("notebook", stem=stem, index=stems.index(stem), total=len(stems)),
            strict=chosen is True,  # a subset of the notebooks uses a subset of the parameters
            env=kernel_env,
        )
        result.outputs["notebooks"] = out / "notebooks"
        for r in result.notebooks.itertuples(index=False):
            result.outputs[f"notebook_{r.notebook}"] = Path(r.html)
        done("notebooks", result.notebooks)
    return result


def _beside(roster: Path | None, name: str, *, required: bool, what: str) -> Path | None:
    """A table the quarter needs, by default next to the roster (as in data/sample/)."""
    if roster is None:
        if required:
            raise InputError(
                f"give the {what} table (units=): without a roster file there is no folder to find it in"
            )
        return None
    path = roster.parent / name
    if path.is_file():
        return path
    if required:
        raise InputError(f"give the {what} table: there is no {name} beside the roster {roster}", path=path)
    return None


def _key(key, anonymous: bool, out: Path) -> tuple[bytes | None, str | None, dict[str, str]]:
    """The key, the notebooks' KEY parameter (a key file's path or "env"), and the kernel's extra
    environment (the key of a caller who passed bytes, so that it never enters a notebook)."""
    from toolkit.privacy.pseudonym import check_key_location, load_key

    if anonymous:
        if key is not None:
            raise InputError("an anonymous quarter takes no key: its respondent ids are random")
        return None, None, {}
    if isinstance(key, bytes):  # checked as load_key checks the environment variable
        text = key.decode("utf-8")
        return load_key(env={"ONEONONE_KEY": text}), "env", {"ONEONONE_KEY": text}
    if key is not None:
        check_key_location(Path(key), out)
        return load_key(key_file=key), str(Path(key).resolve()), {}
    return load_key(), "env", {}  # fails early, before any work, when there is no key


def _check_notebook_extra() -> None:
    """Refuse before any work when the notebooks cannot be executed: a light install lacks them."""
    from importlib.util import find_spec

    for name in ("nbformat", "nbclient", "nbconvert", "jupytext", "ipykernel"):
        if find_spec(name) is None:
            raise InputError(
                f"executing the notebooks needs the notebooks extra ({name} is not installed): install "
                "it with pip install 'one-on-one-toolkit[notebooks]', or leave the notebooks out "
                "(notebooks=False, oneonone run --no-notebooks)"
            )


def _notebooks(notebooks: bool | Sequence[str]) -> bool | list[str]:
    if isinstance(notebooks, bool):
        return notebooks
    if isinstance(notebooks, str):
        return [notebooks]
    return list(notebooks) or True


def _path_of(table, default: Path) -> str:
    """The path the notebooks read a table from: its file, or a private copy of a DataFrame."""
    if isinstance(table, Units):
        table = table.frame
    if isinstance(table, pd.DataFrame):
        from toolkit._io import atomic_write

        atomic_write(default, lambda tmp: table.to_csv(tmp, index=False), private=True)
        return str(default.resolve())
    return str(Path(table).resolve())
