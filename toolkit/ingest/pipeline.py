"""Ingest one platform export into the wave store: read, pseudonymise, validate, quarantine, store.

The steps, in order, the same for every input (a platform export or a canonical file):

1. refuse what cannot be right before reading: a key other than the one that pseudonymised the
   stored waves (:func:`toolkit.store.check_key`; ``new_key=True`` starts a new series on
   purpose), and the synthetic sample's public key for anything but the sample's files
   (:mod:`toolkit.privacy._public_key`);
2. read the export with the reader for its platform (:func:`toolkit.ingest.read_export`),
   which drops direct identifiers and maps headers and answer labels to the survey; refuse an
   export that lacks a column the survey requires, or that has nothing to tell who answered;
3. join the roster of the wave by employee id (or email), to find each respondent's team,
   and pseudonymise: ``respondent`` = HMAC-SHA256 of the employee id under the user's key
   (a canonical file already pseudonymised is checked against the roster under the key); the
   employee id and email are dropped, and free text is scrubbed of roster names and email
   addresses. An anonymous export (``anonymous=True``) has no identity: each row gets a
   random respondent id that links nothing across waves, and its team comes from
   ``team_column``;
4. refuse an export whose submission times fall outside the wave's window
   (:mod:`toolkit.ingest.window`) unless ``allow_outside_window``;
5. resolve duplicate submissions (the last complete one is kept) and flag careless responses
   (:mod:`toolkit.ingest.careless`), then validate the rest against the survey's schema;
6. quarantine every row with any failure, with all its reasons (the quarantine keeps the
   canonical columns only: never an identifier column), and store the wave with its
   quarantine atomically (:mod:`toolkit.store`); write the ingest report.

Rows read = rows stored + rows quarantined, always. Re-ingesting the same export is a
no-op; a different export for a stored wave needs ``replace=True``. A refusal raises before
anything is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.ingest._people import (
    _invited,
    _join_keys,
    _known_teams,
    _norm,
    _response_rates,
    _table,
    _teams_of_wave,
    _unknown_teams,
)
from toolkit.ingest.careless import careless_failures, careless_flags
from toolkit.ingest.export import Export, read_export
from toolkit.ingest.window import Window, outside_window, wave_window
from toolkit.privacy._public_key import check_public_key
from toolkit.privacy.pseudonym import key_fingerprint, pseudonymise
from toolkit.privacy.scrub import Scrubber, roster_words
from toolkit.store import check_key, file_sha256, manifest, store_wave
from toolkit.survey import Survey
from toolkit.survey.schema import WAVE_PATTERN, response_schema, without_rule
from toolkit.survey.validate import FAILURE_COLUMNS, Validation, to_canonical, validate_typed

__all__ = ["IngestResult", "ingest"]

#: Teams with fewer people invited than this get no published response rate.
MIN_INVITED = 5


@dataclass(frozen=True)
class IngestResult:
    """What :func:`ingest` did.

    ``status`` is ``"written"``, ``"replaced"`` or ``"unchanged"`` (the same export was
    stored before: nothing was read or written, and the tables here are empty).
    ``response_rates`` has one row per team with at least ``min_invited`` people invited
    (from the roster, or for an anonymous wave the teams' headcounts): ``team``, ``invited``,
    ``responses`` (valid rows), ``response_rate``. ``anonymous`` is True for a wave ingested
    without identity. ``window`` is the wave's window of submission times;
    ``rows_outside_window`` counts the rows outside it, stored only because
    ``allow_outside_window`` was given. ``new_series`` is True when this wave started a new
    pseudonym series (``new_key`` with a key other than the store's).
    """

    wave: str
    status: str
    source: str
    format: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    validation: Validation | None = None
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)
    dropped: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    missing_items: tuple[str, ...] = ()
    response_rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    store: str = ""
    anonymous: bool = False
    team_column: str | None = None
    window: Window | None = None
    rows_outside_window: int = 0
    new_series: bool = False
    names_scrubbed: bool = True
    reports: dict[str, Path] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Rows read = rows stored + rows quarantined."""
        return self.rows_read == self.rows_stored + self.rows_quarantined


def ingest(
    export: str | Path,
    survey: Survey,
    *,
    roster: pd.DataFrame | None = None,
    wave: str,
    store: str | Path,
    key: bytes | None = None,
    format: str | None = None,
    replace: bool = False,
    timezone: str = "UTC",
    min_invited: int = MIN_INVITED,
    anonymous: bool = False,
    team_column: str | None = None,
    teams: pd.DataFrame | Iterable[str] | None = None,
    units: pd.DataFrame | None = None,
    waves_table: pd.DataFrame | str | Path | None = None,
    allow_outside_window: bool = False,
    new_key: bool = False,
    report: bool = True,
) -> IngestResult:
    """Ingest a platform export as one wave of the store.

    Parameters
    ----------
    export : str or Path
        The platform's export file (Qualtrics, Google Forms, Microsoft Forms, LimeSurvey,
        KoboToolbox, or a canonical CSV/Parquet); the platform is detected from the content.
    survey : Survey
        The survey the export answers.
    roster : DataFrame
        The people invited: ``employee_id`` and ``team``, optionally ``wave`` (then only the
        rows of ``wave`` are used), ``email`` (to join exports that carry emails but no
        employee id) and ``name`` (scrubbed from free text). Needed unless ``anonymous``; for
        an anonymous wave it is optional and only ``team`` is needed: its rows per team are
        the headcounts of the response rates, its teams the known teams, its names and
        emails are scrubbed from free text.
    wave : str
        The wave label, like ``2026Q3``.
    store : str or Path
        The wave store folder.
    key : bytes
        The secret pseudonym key, from :func:`toolkit.load_key`. It is never stored; the
        store keeps its fingerprint and refuses another key for later waves. Needed unless
        ``anonymous`` (which takes none). The synthetic sample's public key is refused for
        anything but the sample's files.
    format : str, optional
        Force a reader instead of detecting the platform (the CLI's ``--format``); an error
        when the file is not of that format.
    replace : bool, default False
        Replace a wave stored from a different export.
    timezone : str, default "UTC"
        The zone of timestamps the export writes without one (and of a waves table's dates).
    min_invited : int, default 5
        Response rates are reported only for teams with at least this many people invited.
    anonymous : bool, default False
        The export has no identity (a Google Form without sign-in, a Qualtrics anonymous
        link): each row gets a random respondent id (``a_`` and 24 hex characters) that links
        nothing across waves; no roster join, no key. Needs ``team_column``.
    team_column : str, optional
        With ``anonymous``: the column holding each respondent's team, by its header (an
        embedded-data field such as ``team``, or the team question's header such as "Which
        team are you part of?").
    teams : DataFrame or iterable of str, optional
        With ``anonymous``: the known teams (a teams table with ``team``, or the team ids);
        a response from another team is quarantined (``known_team``). A ``headcount`` (or
        ``headcount_<wave>``) column gives the people invited per team.
    units : DataFrame, optional
        With ``anonymous``: the organisation (``unit``, ``parent``, ``kind``); its units of
        kind ``team`` are the known teams.
    waves_table : DataFrame, str or Path, optional
        ``wave``, ``start``, ``end``: the wave's window of submission times, instead of the
        quarter's (see :mod:`toolkit.ingest.window`).
    allow_outside_window : bool, default False
        Store rows submitted outside the wave's window instead of refusing the export (the
        report and the manifest say how many).
    new_key : bool, default False
        Accept a key other than the one that pseudonymised the stored waves: a new pseudonym
        series starts with this wave (the manifest records it). Respondents of two series
        do not link.
    report : bool, default True
        Write the ingest report, ``reports/ingest_<wave>.html`` and ``.md`` in the store
        (counts, failures by rule and column, identifiers dropped, careless flags, response
        rates); its paths are in ``reports`` of the result. Not for an unchanged wave.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        For an unusable export or roster (the message names file, row and column), an
        export that lacks a column the survey requires or anything that identifies
        respondents, whose submission times fall outside the wave, or that does not fit
        ``format``. Nothing is written.
    StoreError
        When the wave is stored from a different export and ``replace`` is false, or the key
        differs from the store's and ``new_key`` is false.
    SecretKeyError
        When the key is the sample's public key and the export is not the sample's.
    ValueError
        When an argument is out of range or the arguments do not fit together (a key for
        an anonymous ingest, a ``team_column`` without ``anonymous``, ...).
    """
    if not isinstance(wave, str) or not pd.Series([wave]).str.fullmatch(WAVE_PATTERN[1:-1]).iloc[0]:
        raise ValueError(f"wave must look like 2026Q3; got {wave!r}")
    if isinstance(min_invited, bool) or not isinstance(min_invited, int) or min_invited < 3:
        raise ValueError(f"min_invited must be a whole number of at least 3; got {min_invited!r}")
    _check_mode(
        anonymous, roster=roster, key=key, team_column=team_column, teams=teams, units=units, new_key=new_key
    )
    export = Path(export)
    window = wave_window(wave, waves_table=waves_table, timezone=timezone)
    fingerprint = None
    if anonymous:
        people = _teams_of_wave(roster, wave)
        known = _known_teams(people, teams, units)
        invited = _invited(people, teams, wave)
    else:
        people = _roster_of_wave(roster, wave)
        known, invited = None, _invited(people, None, wave)
        fingerprint = key_fingerprint(key)
        check_key(store, fingerprint, new_key=new_key)
    previous = _stored_entry(store, wave)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest") as pool:
        # Hashing (the file's SHA-256, the roster's pseudonyms) runs beside the reader, whose
        # Arrow parser releases the GIL: on a million rows that hides most of their cost.
        # A wave stored before needs the file's hash first, to skip an unchanged export.
        sha = pool.submit(file_sha256, export) if export.is_file() else None
        if previous is not None and sha is not None and _unchanged(previous, sha.result(), survey, anonymous):
            return IngestResult(
                wave=wave,
                status="unchanged",
                source=str(export),
                format="",
                rows_read=previous["rows_read"],
                rows_stored=previous["rows_stored"],
                rows_quarantined=previous["rows_quarantined"],
                store=str(store),
                anonymous=anonymous,
                team_column=team_column,
            )
        roster_pseudonyms = None if anonymous else pool.submit(pseudonymise, people["_key"], key)
        try:
            read = read_export(export, survey, format=format, timezone=timezone, team_column=team_column)
        except BaseException:
            if roster_pseudonyms is not None:
                roster_pseudonyms.cancel()
            raise
        if key is not None:  # a readable export, pseudonymised with the sample's public key?
            check_public_key(key, export)
        _check_required(read, survey)
        words = roster_words(roster)
        scrub = Scrubber(**words).prepare()  # compiled after reading: beside Arrow's reader it competes
        pseudonyms = None if roster_pseudonyms is None else roster_pseudonyms.result()
        table, join_failures, team_from_file = _table(
            read, survey, people, wave, key, pseudonyms, scrub, anonymous
        )
        sha = None if sha is None else sha.result()
    # convert once: careless flags and the schema both work on canonical dtypes; values that
    # cannot be converted are failures of their own (and the quarantine keeps them as given)
    typed, conversion = to_canonical(table, survey)
    outside = outside_window(typed["submitted_at"], window)
    if outside.any() and not allow_outside_window:
        raise _outside_error(export, typed["submitted_at"], outside, window)
    typed_flags = careless_flags(typed, survey)
    superseded = typed_flags.index[typed_flags["duplicate"]]
    kept = typed.drop(index=superseded) if len(superseded) else typed
    # a known respondent's team comes from the roster, and an unknown one fails not_in_roster: only
    # a file whose teams are its own (a pseudonymised canonical file) needs the schema's known_team
    # check, and an anonymous export's teams are checked against the teams given; with the
    # superseded submissions set aside, one row per respondent is left, so unique_per_wave holds
    schema = response_schema(survey, roster=people if team_from_file else None)
    checked = validate_typed(kept, kept, [], survey, without_rule(schema, "unique_per_wave"))
    extra = [
        read.failures,
        join_failures,
        pd.DataFrame(conversion, columns=FAILURE_COLUMNS),
        careless_failures(typed_flags, table),
        _unknown_teams(typed, known),
    ]
    extra = [f for f in extra if not f.empty]
    failures = pd.concat(extra, ignore_index=True) if extra else pd.DataFrame(columns=FAILURE_COLUMNS)
    result = checked.with_failures(table, failures)

    n_outside = int(outside.sum())
    before = _stored_series(store)
    status = store_wave(
        store,
        wave=wave,
        valid=result.valid,
        quarantine=result.quarantine,
        survey=survey,
        source_sha256=sha,
        source_name=export.name,
        replace=replace,
        rows_read=len(table),
        key_fingerprint=fingerprint,
        new_key=new_key,
        anonymous=anonymous,
        details={"window": window.as_dict(), "rows_outside_window": n_outside},
    )
    done = IngestResult(
        wave=wave,
        status=status,
        source=str(export),
        format=read.format,
        rows_read=len(table),
        rows_stored=len(result.valid),
        rows_quarantined=len(result.quarantine),
        validation=result,
        flags=typed_flags,
        dropped=read.dropped + _join_keys(read, anonymous),
        ignored=read.ignored,
        missing_items=read.missing_items,
        response_rates=_response_rates(result.valid, invited, min_invited),
        store=str(store),
        anonymous=anonymous,
        team_column=team_column,
        window=window,
        rows_outside_window=n_outside,
        new_series=before is not None and fingerprint is not None and before != fingerprint,
        names_scrubbed=bool(words["names"] or words["given_names"]),
    )
    if report and status != "unchanged":
        from toolkit.ingest.report import write_ingest_report

        label = f"{survey.id} {survey.version}"
        paths = write_ingest_report(
            done, Path(store) / "reports", survey_label=label, min_invited=min_invited
        )
        done = dataclasses.replace(done, reports=paths)
    return done


def _check_mode(anonymous: bool, *, roster, key, team_column, teams, units, new_key) -> None:
    """The arguments of an anonymous ingest, or of a pseudonymised one, fit together."""
    if anonymous:
        if team_column is None:
            raise ValueError(
                "anonymous=True needs team_column=: the column (an embedded-data field, or the team "
                "question's header) that holds each respondent's team"
            )
        if key is not None:
            raise ValueError("an anonymous ingest takes no key: its respondent ids are random")
        if new_key:
            raise ValueError("new_key is for pseudonymised waves: an anonymous ingest has no key")
        return
    if roster is None:
        raise ValueError(
            "roster= is needed to find and pseudonymise respondents; an export without identity is "
            "ingested with anonymous=True and team_column="
        )
    if key is None:
        raise ValueError("key= (from toolkit.load_key) is needed to pseudonymise; or pass anonymous=True")
    for name, value in (("team_column", team_column), ("teams", teams), ("units", units)):
        if value is not None:
            raise ValueError(
                f"{name}= is for anonymous=True; a pseudonymised ingest takes each respondent's team "
                "from the roster"
            )


def _roster_of_wave(roster: pd.DataFrame, wave: str) -> pd.DataFrame:
    if not isinstance(roster, pd.DataFrame):
        raise TypeError(f"roster must be a DataFrame, got {type(roster).__name__}")
    missing = [c for c in ("employee_id", "team") if c not in roster.columns]
    if missing:
        raise InputError(
            "the roster needs the columns employee_id and team; it has "
            + ", ".join(map(str, roster.columns)),
            column=missing[0],
        )
    people = roster
    if "wave" in roster.columns:
        people = roster[roster["wave"].astype("str") == wave]
        if people.empty:
            waves = ", ".join(sorted(roster["wave"].dropna().astype("str").unique()))
            raise InputError(f"the roster has no rows for wave {wave} (it has {waves})", column="wave")
    people = people.assign(_key=_norm(people["employee_id"]))
    dupes = people["_key"][people["_key"].duplicated() & people["_key"].notna()]
    if not dupes.empty:
        raise InputError(
            f"the roster lists employee {dupes.iloc[0]!r} more than once for wave {wave}",
            column="employee_id",
        )
    return people


def _unchanged(previous: dict, sha: str, survey: Survey, anonymous: bool) -> bool:
    """Whether the stored wave came from this very file, under this survey version, the same way."""
    return (
        previous.get("source_sha256") == sha
        and (previous.get("survey_id"), previous.get("survey_version")) == (survey.id, survey.version)
        and bool(previous.get("anonymous", False)) == anonymous
    )


def _stored_entry(store: str | Path, wave: str) -> dict | None:
    if not (Path(store) / "manifest.json").is_file():
        return None
    return manifest(store)["waves"].get(wave)


def _stored_series(store: str | Path) -> str | None:
    """The key fingerprint of the store's current pseudonym series (None when it has none)."""
    if not (Path(store) / "manifest.json").is_file():
        return None
    return manifest(store).get("pseudonyms", {}).get("key_fingerprint")


# --------------------------------------------------------------------------- refusals


def _check_required(read: Export, survey: Survey) -> None:
    """Refuse an export without a column for a required item: every row would be quarantined.

    The team is not asked of the export: it comes from the roster (or, for an anonymous
    export, from its team column, which the reader has found already).
    """
    missing = [i for i in read.missing_items if survey.item(i).required and survey.item(i).role != "team"]
    if not missing:
        return
    first = survey.item(missing[0])
    more = f" (nor for {len(missing) - 1} more: {', '.join(missing[1:6])})" if len(missing) > 1 else ""
    raise InputError(
        f"the export has no column for the survey's required item {first.id} ({first.text!r}){more}, "
        f"so every row would be quarantined: is this an export of survey {survey.id} {survey.version}? "
        "Nothing was stored. Export the responses with that question, or ingest them with the survey "
        "version they answer.",
        path=read.source,
        column=first.id,
    )


def _outside_error(export: Path, times: pd.Series, outside: pd.Series, window: Window) -> InputError:
    rows = times[outside]
    first = rows.index[0]
    n = int(outside.sum())
    return InputError(
        f"{n} of {len(times)} rows were submitted outside the window of wave {window.wave}, "
        f"{window.describe()}: e.g. row {first} at {_when(rows.iloc[0])}; the submissions outside run "
        f"from {_when(rows.min())} to {_when(rows.max())}. Is this the export of wave {window.wave}? "
        "Nothing was stored. Give the wave the export belongs to (--wave), set the wave's dates in a "
        "waves table (--waves-table FILE: wave,start,end), or pass --allow-outside-window to store "
        "these rows anyway (the ingest report says so).",
        path=export,
        row=int(first) if isinstance(first, int | np.integer) else None,
        column="submitted_at",
    )


def _when(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M UTC")
