"""Ingest a folder of exports, one per wave, in wave order (:func:`ingest_exports`).

The analysis notebooks, ``oneonone run`` and :func:`toolkit.run_quarter` ingest this way: every
export whose file name carries a wave label (``qualtrics_2026Q3.csv``) is ingested as that wave
(:func:`toolkit.ingest`, which writes each wave's ingest report); re-ingesting an export that is
already stored is a no-op.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from toolkit._io import read_table
from toolkit.errors import InputError
from toolkit.ingest.export import detect_format
from toolkit.ingest.pipeline import IngestResult, ingest
from toolkit.survey import Survey, as_survey

__all__ = ["WAVE_IN_NAME", "ingest_exports"]

#: A wave label inside a file name: ``qualtrics_2026Q3.csv`` is an export of wave ``2026Q3``.
WAVE_IN_NAME = re.compile(r"\d{4}Q[1-4]")


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
    the_survey = as_survey(survey)
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
