"""Ingest one platform export into the wave store: read, pseudonymise, validate, quarantine, store.

The steps, in order:

1. read the export with the reader for its platform (:func:`toolkit.ingest.read_export`),
   which drops direct identifiers and maps headers and answer labels to the survey;
2. join the roster of the wave by employee id (or email), to find each respondent's team,
   and pseudonymise: ``respondent`` = HMAC-SHA256 of the employee id under the user's key;
   the employee id and email are dropped, and free text is scrubbed of roster names and
   email addresses;
3. resolve duplicate submissions (the last complete one is kept) and flag careless responses
   (:mod:`toolkit.careless`), then validate the rest against the survey's schema;
4. quarantine every row with any failure, with all its reasons, and store the wave with its
   quarantine atomically (:mod:`toolkit.store`); write the ingest report.

Rows read = rows stored + rows quarantined, always. Re-ingesting the same export is a
no-op; a different export for a stored wave needs ``replace=True``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.careless import careless_failures, careless_flags
from toolkit.errors import InputError
from toolkit.ingest.export import Export, read_export
from toolkit.pseudonym import normalise_ids, pseudonymise
from toolkit.schema import WAVE_PATTERN, response_schema, without_rule
from toolkit.scrub import Scrubber
from toolkit.store import file_sha256, manifest, store_wave
from toolkit.survey import METADATA_COLUMNS, Survey
from toolkit.validate import FAILURE_COLUMNS, Validation, to_canonical, validate_typed

__all__ = ["IngestResult", "ingest"]

#: Teams with fewer people invited than this get no published response rate.
MIN_INVITED = 5


@dataclass(frozen=True)
class IngestResult:
    """What :func:`ingest` did.

    ``status`` is ``"written"``, ``"replaced"`` or ``"unchanged"`` (the same export was
    stored before: nothing was read or written, and the tables here are empty).
    ``response_rates`` has one row per team with at least ``min_invited`` people in the
    roster: ``team``, ``invited``, ``responses`` (valid rows), ``response_rate``.
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

    @property
    def balanced(self) -> bool:
        """Rows read = rows stored + rows quarantined."""
        return self.rows_read == self.rows_stored + self.rows_quarantined


def ingest(
    export: str | Path,
    survey: Survey,
    *,
    roster: pd.DataFrame,
    wave: str,
    store: str | Path,
    key: bytes,
    format: str | None = None,
    replace: bool = False,
    timezone: str = "UTC",
    min_invited: int = MIN_INVITED,
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
        employee id) and ``name`` (scrubbed from free text).
    wave : str
        The wave label, like ``2026Q3``.
    store : str or Path
        The wave store folder.
    key : bytes
        The secret pseudonym key, from :func:`toolkit.load_key`. It is never stored.
    format : str, optional
        Force a reader instead of detecting the platform.
    replace : bool, default False
        Replace a wave stored from a different export.
    timezone : str, default "UTC"
        The zone of timestamps the export writes without one.
    min_invited : int, default 5
        Response rates are reported only for teams with at least this many people invited.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        For an unusable export or roster (the message names file, row and column).
    StoreError
        When the wave is stored from a different export and ``replace`` is false.
    """
    if not isinstance(wave, str) or not pd.Series([wave]).str.fullmatch(WAVE_PATTERN[1:-1]).iloc[0]:
        raise ValueError(f"wave must look like 2026Q3; got {wave!r}")
    if isinstance(min_invited, bool) or not isinstance(min_invited, int) or min_invited < 3:
        raise ValueError(f"min_invited must be a whole number of at least 3; got {min_invited!r}")
    export = Path(export)
    people = _roster_of_wave(roster, wave)
    previous = _stored_entry(store, wave)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest") as pool:
        # Hashing (the file's SHA-256, the roster's pseudonyms) runs beside the reader, whose
        # Arrow parser releases the GIL: on a million rows that hides most of their cost.
        # A wave stored before needs the file's hash first, to skip an unchanged export.
        sha = pool.submit(file_sha256, export) if export.is_file() else None
        if previous is not None and sha is not None and _unchanged(previous, sha.result(), survey):
            return IngestResult(
                wave=wave,
                status="unchanged",
                source=str(export),
                format="",
                rows_read=previous["rows_read"],
                rows_stored=previous["rows_stored"],
                rows_quarantined=previous["rows_quarantined"],
                store=str(store),
            )
        roster_pseudonyms = pool.submit(pseudonymise, people["_key"], key)
        try:
            read = read_export(export, survey, format=format, timezone=timezone)
        except BaseException:
            roster_pseudonyms.cancel()
            raise
        if read.format == "canonical":
            table, join_failures = _canonical(read, survey, people, wave, roster_pseudonyms.result())
        else:
            table, join_failures = _pseudonymised(
                read, survey, people, wave, key, roster_pseudonyms.result(), Scrubber.of_roster(roster)
            )
        sha = None if sha is None else sha.result()
    # convert once: careless flags and the schema both work on canonical dtypes; values that
    # cannot be converted are failures of their own (and the quarantine keeps them as given)
    typed, conversion = to_canonical(table, survey)
    typed_flags = careless_flags(typed, survey)
    superseded = typed_flags.index[typed_flags["duplicate"]]
    kept = typed.drop(index=superseded) if len(superseded) else typed
    # a known respondent's team comes from the roster, and an unknown one fails not_in_roster: only
    # a canonical file, whose teams are its own, needs the schema's known_team check; and with the
    # superseded submissions set aside, one row per respondent is left, so unique_per_wave holds
    team_from_file = read.format == "canonical"
    schema = response_schema(survey, roster=people if team_from_file else None)
    checked = validate_typed(kept, kept, [], survey, without_rule(schema, "unique_per_wave"))
    extra = [
        read.failures,
        join_failures,
        pd.DataFrame(conversion, columns=FAILURE_COLUMNS),
        careless_failures(typed_flags, table),
    ]
    extra = [f for f in extra if not f.empty]
    failures = pd.concat(extra, ignore_index=True) if extra else pd.DataFrame(columns=FAILURE_COLUMNS)
    result = checked.with_failures(table, failures)

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
    )
    return IngestResult(
        wave=wave,
        status=status,
        source=str(export),
        format=read.format,
        rows_read=len(table),
        rows_stored=len(result.valid),
        rows_quarantined=len(result.quarantine),
        validation=result,
        flags=typed_flags,
        dropped=read.dropped + _join_keys(read),
        ignored=read.ignored,
        missing_items=read.missing_items,
        response_rates=_response_rates(result.valid, people, min_invited),
        store=str(store),
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


def _norm(ids: pd.Series) -> pd.Series:
    return normalise_ids(ids)


def _unchanged(previous: dict, sha: str, survey: Survey) -> bool:
    """Whether the stored wave came from this very file, under this survey version."""
    return previous.get("source_sha256") == sha and (
        previous.get("survey_id"),
        previous.get("survey_version"),
    ) == (survey.id, survey.version)


def _stored_entry(store: str | Path, wave: str) -> dict | None:
    if not (Path(store) / "manifest.json").is_file():
        return None
    return manifest(store)["waves"].get(wave)


def _pseudonymised(
    read: Export,
    survey: Survey,
    people: pd.DataFrame,
    wave: str,
    key: bytes,
    roster_pseudonyms: pd.Series,
    scrub: Scrubber,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export as a canonical-shaped table (text values), identified by pseudonym only.

    ``roster_pseudonyms`` are the pseudonyms of ``people["_key"]``: a respondent found in the
    roster takes theirs, and only the others are hashed here. Free text is scrubbed of
    ``scrub`` (:meth:`toolkit.scrub.Scrubber.of_roster` of the whole roster: every wave's people).
    """
    raw = read.table
    employee = (
        _norm(raw["employee_id"])
        if "employee_id" in raw.columns
        else pd.Series(pd.NA, index=raw.index, dtype="str")
    )
    if "email" in raw.columns and "email" in people.columns:
        emails_norm = _norm(people["email"])
        first = ~emails_norm.duplicated() & emails_norm.notna()
        at = _positions(_norm(raw["email"]), emails_norm[first])
        by_email = np.where(at >= 0, people["_key"][first].to_numpy(dtype=object)[at], None)
        employee = employee.fillna(pd.Series(by_email, index=raw.index, dtype="str"))
    at = _positions(employee, people["_key"])
    known = at >= 0
    failures = _not_in_roster(
        raw.index[~known], f"the respondent is not in the roster of wave {wave} (by employee id or email)"
    )
    rows = pa.array(at, mask=~known)  # the roster row of each respondent, null when unknown
    team = _take_text(people["team"], rows, raw.index)
    if "team" in raw.columns:
        team = team.fillna(raw["team"].astype("str"))
    respondent = _take_text(roster_pseudonyms, rows, raw.index)
    if not known.all():
        respondent[~known] = pseudonymise(employee[~known], key)
    n = len(raw)
    out = {
        "respondent": respondent.array,
        "wave": pd.array(pa.repeat(pa.scalar(wave, pa.large_string()), n), dtype="str"),
        "team": team.array,
        "submitted_at": raw["submitted_at"].array if "submitted_at" in raw.columns else pd.NaT,
        "duration_s": raw["duration_s"].array if "duration_s" in raw.columns else pd.NA,
    }
    for item_id in survey.item_columns:
        column = raw[item_id] if item_id in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="str")
        if survey.item(item_id).kind == "text":
            column = scrub(column)
        out[item_id] = column.array
    # one frame from arrays: assigning 45 aligned Series one by one costs a second on a million rows
    out = pd.DataFrame(out, index=raw.index)
    return out[list(METADATA_COLUMNS) + list(survey.item_columns)], failures


def _positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """The position of each of ``values`` in ``keys`` (unique), -1 when absent or missing: one Arrow
    hash lookup (pandas' isin, map or get_indexer are several times slower on a million strings)."""
    found = pc.index_in(_arrow_text(values), value_set=_arrow_text(keys).drop_null())
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _arrow_text(values: pd.Series) -> pa.Array:
    arr = pa.array(values.astype("str").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _take_text(values: pd.Series, rows: pa.Array, index: pd.Index) -> pd.Series:
    """``values`` (text) at positions ``rows`` (null: missing), by Arrow, without Python objects."""
    taken = pc.take(_arrow_text(values), rows)
    return pd.Series(pd.array(taken, dtype="str"), index=index)


def _join_keys(read: Export) -> tuple[str, ...]:
    """The identifying columns used to join the roster, then replaced by the pseudonym."""
    labels = {
        "employee_id": "employee id (replaced by the pseudonym)",
        "email": "email (used to join the roster)",
    }
    table = read.table
    return tuple(label for column, label in labels.items() if column in table and table[column].notna().any())


def _canonical(
    read: Export, survey: Survey, people: pd.DataFrame, wave: str, roster_pseudonyms: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A canonical file is already pseudonymised: check its wave, and find each respondent in the
    roster by pseudonymising the roster's employee ids with the same key."""
    table = read.table.copy()
    waves = table["wave"].dropna().astype("str").unique() if "wave" in table.columns else []
    other = sorted(set(waves) - {wave})
    if other:
        raise InputError(
            f"the file holds responses of wave(s) {', '.join(other)}, not only {wave}: "
            "ingest one wave at a time",
            path=read.source,
            column="wave",
        )
    known = (
        table["respondent"].isin(set(roster_pseudonyms.dropna()))
        if "respondent" in table.columns
        else False
    )
    failures = _not_in_roster(
        table.index[~known], f"the pseudonym matches nobody in the roster of wave {wave} under this key"
    )
    return table, failures


def _not_in_roster(rows: pd.Index, message: str) -> pd.DataFrame:
    """Failures for rows whose respondent is not in the roster (the id itself is withheld)."""
    return pd.DataFrame(
        {
            "row": rows,
            "column": "respondent",
            "rule": "not_in_roster",
            "value": "(withheld)",
            "message": message,
        },
        columns=FAILURE_COLUMNS,
    )


def _response_rates(valid: pd.DataFrame, people: pd.DataFrame, min_invited: int) -> pd.DataFrame:
    invited = people.groupby("team").size().rename("invited")
    responses = valid.groupby("team").size().rename("responses")
    rates = pd.concat([invited, responses], axis=1).fillna(0).astype("int64")
    rates = rates[rates["invited"] >= min_invited]
    rates["response_rate"] = rates["responses"] / rates["invited"]
    return rates.rename_axis("team").reset_index()
