"""Read any supported platform export: the :class:`Export` it gives, and format detection.

:func:`read_export` looks at the file's content (never only its name) to tell which platform
wrote it, then calls that platform's reader. Every reader gives the same :class:`Export`:
a table with ``employee_id``, (``email``,) ``submitted_at``, ``duration_s``, (``team``,)
and one text column per survey item found, rows numbered as a spreadsheet shows them,
direct identifiers removed and listed.
"""

from __future__ import annotations

import csv
import importlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import InputError
from toolkit.ingest._mapping import code_column, is_identifier, match_columns
from toolkit.ingest._text import Grid, as_text, normalised_header, open_grid, parse_times, strip_text
from toolkit.survey import Survey

__all__ = ["FAILURE_COLUMNS", "FORMATS", "Export", "detect_format", "read_export"]

#: The formats :func:`read_export` knows, as ``Export.format`` names them.
FORMATS = (
    "qualtrics",
    "qualtrics_legacy",
    "google_forms",
    "google_sheets",
    "msforms",
    "limesurvey",
    "kobo",
    "canonical",
)
#: The columns of ``Export.failures`` (those of :attr:`toolkit.survey.validate.Validation.failures`).
FAILURE_COLUMNS = ["row", "column", "rule", "value", "message"]
_READERS = {
    "qualtrics": "qualtrics",
    "qualtrics_legacy": "qualtrics",
    "google_forms": "google_forms",
    "google_sheets": "google_forms",
    "msforms": "msforms",
    "limesurvey": "limesurvey",
    "kobo": "kobo",
}
_ROSTER_ID = {"employeeid", "employee", "externalreference", "externaldatareference", "rosterid", "personid"}
_TEAM = {"team", "teamid"}
_STR = pa.large_string()


@dataclass(frozen=True)
class Export:
    """A platform export read into the toolkit's terms.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``row`` (the row as a spreadsheet shows the file). Columns:
        ``employee_id`` (str, missing when the platform has none), ``email`` (str; only
        when the file has an e-mail column and no employee id, as the key to join the
        roster), ``submitted_at`` (``datetime64[us, UTC]``), ``duration_s`` (Float64),
        ``team`` (str; when the file has the team item or a team column), then one column
        per survey item found, in survey order, as text codes. A ``canonical`` file's table
        has the survey's columns as :func:`toolkit.ingest.read_canonical` read them (``respondent``
        or ``employee_id``/``email``, ``wave``, ...), every other column dropped.
    format : str
        One of :data:`FORMATS`.
    source : str
        The path as given.
    dropped : tuple of str
        Columns removed as direct identifiers (names, e-mails other than the join key, IP
        addresses, locations, platform response ids, recipient fields), as headed in the file.
    ignored : tuple of str
        Other columns not used (platform metadata, unknown questions); other sheets of a
        workbook as ``sheet:<name>``.
    missing_items : tuple of str
        Survey item ids with no column in the file.
    failures : DataFrame
        Reader-level failures (``row``, ``column``, ``rule``, ``value``, ``message``):
        rule ``dtype`` for an unreadable timestamp or duration, ``platform_status`` for
        Qualtrics preview, test and spam responses. Their rows stay in the table.
    """

    table: pd.DataFrame
    format: str
    source: str
    dropped: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    missing_items: tuple[str, ...] = ()
    failures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FAILURE_COLUMNS))


def read_export(
    path: str | Path,
    survey: Survey,
    *,
    format: str | None = None,
    timezone: str = "UTC",
    team_column: str | None = None,
) -> Export:
    """Read a survey platform's export of responses to ``survey``.

    Parameters
    ----------
    path : str or Path
        A CSV/TSV file or an ``.xlsx`` workbook from Qualtrics, Google Forms (or its Google
        Sheets download), Microsoft Forms, LimeSurvey or KoboToolbox, or a canonical CSV or
        Parquet file.
    survey : Survey
        The survey the responses answer: its item ids, question texts, aliases and answer
        labels find the columns and turn labels into codes.
    format : str, optional
        One of :data:`FORMATS`, to skip detection (the CLI's ``--format``). A format that does
        not fit the file is an error that names the format the file looks like.
    timezone : str
        The IANA time zone of timestamps the file gives without one.
    team_column : str, optional
        The column that holds each respondent's team (the CLI's ``--team-column``), by its
        header: an embedded-data field, or a question's header or text. It becomes ``team``
        (answer labels of the survey's team item become its codes).

    Returns
    -------
    Export

    Raises
    ------
    InputError
        When the file is missing, empty, binary, of no known format (or not of the forced
        ``format``), has a damaged row, lacks a required metadata column, has no column that
        matches an item of ``survey``, or has no column ``team_column``.
    ValueError
        When ``format`` or ``timezone`` is not known.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> export = read_export("data/sample/exports/qualtrics_2026Q1.csv", survey)
    >>> export.format, int(export.table.index[0]), "IPAddress" in export.dropped
    ('qualtrics', 4, True)
    >>> list(export.table.columns[:5])
    ['employee_id', 'submitted_at', 'duration_s', 'team', 'cadence']
    """
    check_timezone(timezone)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    if team_column is not None and (not isinstance(team_column, str) or not team_column.strip()):
        raise ValueError(f"team_column must be a column header; got {team_column!r}")
    fmt = format or detect_format(path)
    try:
        if fmt == "canonical":
            return _read_canonical(path, survey, team_column=team_column)
        reader = importlib.import_module(f"toolkit.ingest.{_READERS[fmt]}")
        return reader.read(path, survey, timezone=timezone, format=fmt, team_column=team_column)
    except InputError as exc:
        if format is None or not Path(path).is_file():
            raise
        raise _misfit(path, format, exc.problem, row=exc.row, column=exc.column) from None
    except (ValueError, UnicodeError, csv.Error, pa.ArrowException, OSError, zipfile.BadZipFile) as exc:
        if format is not None and Path(path).is_file():
            raise _misfit(path, format, str(exc)) from None
        raise InputError(f"cannot read the file as {fmt}: {exc}", path=path) from None


#: Formats that are one platform written two ways (a forced format may pick either).
_FAMILY = {"qualtrics_legacy": "qualtrics", "google_sheets": "google_forms"}


def _misfit(
    path: str | Path, format: str, problem: str, *, row: int | None = None, column: str | None = None
) -> InputError:
    """The error for ``--format`` that does not fit the file: what failed, and what the file looks like."""
    try:
        looks = detect_format(path)
    except InputError:
        looks = None
    hint = "leave out --format to have the platform recognised from the content"
    if looks is not None and _FAMILY.get(looks, looks) != _FAMILY.get(format, format):
        what = "canonical table" if looks == "canonical" else f"{looks} export"
        hint = f"the file looks like a {what}: leave out --format, or give --format {looks}"
    return InputError(
        f"--format {format} does not fit this file: {problem}; {hint}", path=path, row=row, column=column
    )


def check_timezone(timezone: str) -> None:
    """Raise ValueError unless ``timezone`` is an IANA time zone name."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(timezone)
    except (ValueError, TypeError, KeyError, OSError):
        raise ValueError(
            f"timezone must be an IANA time zone such as 'Europe/Berlin'; got {timezone!r}"
        ) from None


def detect_format(path: str | Path) -> str:
    """Tell which platform wrote a file, from its content.

    Raises
    ------
    InputError
        When the file cannot be read or no known platform writes files like it.

    Examples
    --------
    >>> detect_format("data/sample/exports/google_forms_2026Q1.csv")
    'google_forms'
    >>> detect_format("data/sample/responses_2026Q1.csv")
    'canonical'
    """
    path = Path(path)
    if path.is_file():
        with path.open("rb") as fh:
            if fh.read(4) == b"PAR1":
                return "canonical"
    grid = open_grid(path)
    fmt = _detect(grid)
    if fmt is None:
        shown = ", ".join(repr(h) for h in grid.records[0][:6])
        raise InputError(
            f"cannot tell which platform wrote this file (its first columns are {shown}); "
            f"give --format, one of {', '.join(FORMATS)}",
            path=path,
        )
    return fmt


def _detect(grid: Grid) -> str | None:
    first = grid.records[0]
    names = {normalised_header(h) for h in first}
    last = {normalised_header(h.rsplit("/", 1)[-1]) for h in first}
    if grid.kind == "csv" and len(first) >= 2 and first[0] == "V1" and first[1] == "V2":
        return "qualtrics_legacy"
    if grid.kind == "csv" and (
        {"responseid", "startdate"} <= names
        or "recordeddate" in names
        or any('"ImportId"' in c for r in grid.records[1:3] for c in r)
    ):
        return "qualtrics"
    if "submitdate" in names and names & {"lastpage", "startlanguage", "startdate"}:
        return "limesurvey"
    if "datesubmitted" in names and names & {"lastpage", "startlanguage", "responseid"}:
        return "limesurvey"
    if last & {"uuid", "submissiontime", "index"} and any(h.startswith("_") for h in first):
        return "kobo"
    if {"id", "starttime", "completiontime"} <= names:
        return "msforms"
    if "timestamp" in names:
        return "google_sheets" if grid.kind == "xlsx" else "google_forms"
    if {"respondent", "wave"} <= names and grid.kind == "csv":
        return "canonical"
    return None


#: Columns of a canonical file that identify the respondent: kept to pseudonymise, never stored.
_CANONICAL_KEYS = ("employee_id", "email")


def _read_canonical(path: str | Path, survey: Survey, *, team_column: str | None = None) -> Export:
    """A canonical file as an :class:`Export`: the survey's columns, the keys that identify the
    respondent (``respondent``, or ``employee_id``/``email`` to pseudonymise), and every other
    column dropped (listed in ``dropped`` when its header names an identifier, else in
    ``ignored``), exactly as the platform readers do."""
    from toolkit.ingest.canonical import read_canonical

    table = read_canonical(path)
    columns = [str(c) for c in table.columns]
    if team_column is not None:
        if team_column not in columns:
            raise InputError(
                f"no column headed {team_column!r} (--team-column); the file has "
                + ", ".join(repr(c) for c in columns[:12]),
                path=path,
                column=team_column,
            )
        if team_column != "team":
            table = table.drop(columns=[c for c in ("team",) if c in columns]).rename(
                columns={team_column: "team"}
            )
            columns = [str(c) for c in table.columns]
    if "submitted_at" not in columns:
        raise InputError(
            "this is not a canonical response table, which has the columns respondent (or "
            "employee_id), wave, team, submitted_at, duration_s and one per item id: it has no "
            "submitted_at",
            path=path,
            column="submitted_at",
        )
    wanted = set(survey.columns) | set(_CANONICAL_KEYS)
    if "employee_id" in columns:  # the e-mail is a key only where there is no employee id
        wanted.discard("email")
    kept = [c for c in columns if c in wanted]
    if not set(kept) & set(survey.item_columns):
        raise InputError(
            f"no column matches an item of survey {survey.id!r} (version {survey.version}): is this "
            "the right survey for this file?",
            path=path,
        )
    dropped = tuple(c for c in columns if c not in wanted and (c in _CANONICAL_KEYS or is_identifier(c)))
    ignored = tuple(c for c in columns if c not in wanted and c not in dropped)
    missing = tuple(it.id for it in survey.items if it.id not in columns and it.role != "team")
    if survey.role_item("team") is not None and "team" not in columns:
        missing = (survey.role_item("team").id, *missing)
    out = table[kept] if len(kept) < len(columns) else table
    return Export(out, "canonical", str(path), dropped=dropped, ignored=ignored, missing_items=missing)


# --------------------------------------------------------------------------- building an Export


@dataclass
class Layout:
    """What a reader found in a file's header: which column plays which part.

    ``headers`` holds, per column, the texts that may name an item (``()`` for platform
    metadata); ``names`` the header shown in ``dropped`` and ``ignored``. The other fields
    are column positions (or ``None``) and reading options.
    """

    header_rows: int
    names: list[str]
    headers: list[tuple[str, ...]]
    import_ids: list[str | None] | None = None
    style: str = "plain"
    employee_id: int | None = None
    email: int | None = None
    submitted: int | None = None
    fallback: int | None = None
    start: int | None = None
    end: int | None = None
    duration: int | None = None
    team: int | None = None
    status: int | None = None
    status_codes: frozenset[str] = frozenset()
    utc: frozenset[int] = frozenset()
    identifiers: frozenset[int] = frozenset()
    positions: bool = False
    unanswered: tuple[str, ...] = ()
    serial: bool = False
    no_email: tuple[str, ...] = ()

    def find(self, *aliases: str) -> int | None:
        """The first column whose header is one of ``aliases`` (compared loosely)."""
        wanted = [normalised_header(a) for a in aliases]
        keys = [normalised_header(n) for n in self.names]
        for a in wanted:
            if a in keys:
                return keys.index(a)
        return None

    def metadata(self, *positions: int | None) -> None:
        """Mark columns as platform metadata: never matched to an item."""
        for j in positions:
            if j is not None:
                self.headers[j] = ()


def plain_layout(grid: Grid, header_rows: int = 1) -> Layout:
    """A layout whose header is the first record; roster-id and team columns found by name."""
    names = [h.strip() for h in grid.records[0]]
    layout = Layout(header_rows, names, [(n,) for n in names])
    layout.employee_id = next((j for j, n in enumerate(names) if normalised_header(n) in _ROSTER_ID), None)
    return layout


def require(grid: Grid, what: str, *columns: int | None) -> None:
    """Raise InputError unless one of ``columns`` was found."""
    if all(c is None for c in columns):
        raise InputError(
            f"missing required metadata column {what}: is this the right export?", path=grid.path
        )


def build(
    grid: Grid,
    layout: Layout,
    survey: Survey,
    *,
    format: str,
    timezone: str,
    source: str | Path,
    team_column: str | None = None,
) -> Export:
    """Read the body of ``grid`` as ``layout`` says and assemble the :class:`Export`.

    ``team_column`` names the column that holds the team (see :func:`read_export`); it takes
    the place of any column that answers the survey's team item.
    """
    path = grid.path
    items = match_columns(layout.headers, survey, import_ids=layout.import_ids, style=layout.style, path=path)
    items = {j: i for j, i in items.items() if j not in _meta_positions(layout)}
    team_item = survey.role_item("team")
    if team_column is not None:
        j = _team_column(layout, team_column, path)
        if j in items and (team_item is None or items[j] != team_item.id):
            raise InputError(
                f"the --team-column {team_column!r} answers the survey's item {items[j]!r}, not the team: "
                "name the column that holds each respondent's team",
                path=path,
                column=team_column,
            )
        if j in _meta_positions(layout):
            raise InputError(
                f"the --team-column {team_column!r} is the export's {_role_of(layout, j)} column, not "
                "the team: name the column that holds each respondent's team",
                path=path,
                column=team_column,
            )
        items = {k: i for k, i in items.items() if team_item is None or i != team_item.id}
        if team_item is not None:  # read as the team item: its answer labels become codes
            items[j] = team_item.id
        else:
            layout.team = j
    if not items:
        raise InputError(
            f"no column matches an item of survey {survey.id!r} (version {survey.version}): is this "
            "the right survey for this export?",
            path=path,
        )
    team_col = next((j for j, i in items.items() if team_item is not None and i == team_item.id), None)
    if team_col is None and layout.team is None:
        layout.team = next((j for j, n in enumerate(layout.names) if normalised_header(n) in _TEAM), None)
        if layout.team in items:
            layout.team = None
    meta = [layout.employee_id, layout.email, layout.submitted, layout.start, layout.end, layout.duration]
    meta += [layout.team, layout.fallback]
    meta.append(layout.status)
    keep = {j for j in meta if j is not None} | set(items)
    cols, index = grid.body(layout.header_rows, keep)
    failures: list[tuple] = []
    out: dict[str, object] = {}
    used: set[int] = set()

    def text(j: int | None) -> pa.ChunkedArray:
        if j is None:
            return pa.chunked_array([pa.nulls(len(index), _STR)], type=_STR)
        used.add(j)
        return strip_text(cols[j])

    out["employee_id"] = text(layout.employee_id)
    if layout.email is not None:
        # the e-mail only where there is no employee id: it is the key to join the roster
        email = strip_text(cols[layout.email])
        for word in layout.no_email:
            email = pc.if_else(pc.equal(pc.utf8_lower(email), word), pa.scalar(None, _STR), email)
        email = pc.if_else(pc.is_valid(out["employee_id"]), pa.scalar(None, _STR), email)
        if pc.any(pc.is_valid(email)).as_py():
            out["email"] = email
            used.add(layout.email)
    out["submitted_at"] = _times(cols, layout, layout.submitted, index, timezone, failures, "submitted_at")
    used.add(layout.submitted)
    if layout.fallback is not None:
        used.add(layout.fallback)
        other = _times(cols, layout, layout.fallback, index, timezone, failures, "submitted_at")
        out["submitted_at"] = out["submitted_at"].fillna(other)
    out["duration_s"] = _duration(cols, layout, out["submitted_at"], index, timezone, failures, used)
    if team_col is not None:
        out["team"] = strip_text(code_column(cols[team_col], team_item, survey, unanswered=layout.unanswered))
    elif layout.team is not None:
        out["team"] = text(layout.team)
    by_item = {i: j for j, i in items.items()}
    for it in survey.items:
        if it.role == "team" or it.id not in by_item:
            continue
        arr = cols[by_item[it.id]]
        out[it.id] = code_column(arr, it, survey, positions=layout.positions, unanswered=layout.unanswered)
    if layout.status is not None:
        failures.extend(_status_failures(cols[layout.status], layout, index))
        used.add(layout.status)
    return _assemble(grid, layout, survey, out, index, failures, items, used, format=format, source=source)


def _team_column(layout: Layout, name: str, path: object) -> int:
    """The position of the column headed ``name``: by any of its header rows (an embedded-data
    field's name, a question's id or text), compared loosely."""
    wanted = normalised_header(name)
    for exact in (True, False):
        for j, (shown, texts) in enumerate(zip(layout.names, layout.headers, strict=True)):
            for text in (shown, *texts):
                if (text.strip() == name.strip()) if exact else (normalised_header(text) == wanted):
                    return j
    shown = ", ".join(repr(n) for n in layout.names[:12]) + (" ..." if len(layout.names) > 12 else "")
    raise InputError(
        f"no column headed {name!r} (--team-column); the export's columns are {shown}",
        path=path,
        column=name,
    )


def _role_of(layout: Layout, j: int) -> str:
    roles = {
        "employee id": layout.employee_id,
        "e-mail": layout.email,
        "submission time": layout.submitted,
        "start time": layout.start,
        "end time": layout.end,
        "duration": layout.duration,
        "status": layout.status,
    }
    return next((role for role, k in roles.items() if k == j), "metadata")


def _meta_positions(layout: Layout) -> set[int]:
    fields = (layout.employee_id, layout.email, layout.submitted, layout.start, layout.end, layout.duration)
    fields += (layout.status, layout.fallback)
    return {j for j in fields if j is not None}


def _times(cols, layout, j, index, timezone, failures, column) -> pd.Series:
    zone = "UTC" if j in layout.utc else timezone
    values, bad = parse_times(cols[j], timezone=zone, serial=layout.serial)
    if bad.any():
        given = as_text(cols[j])[bad]
        what = layout.names[j]
        for row, value in zip(index[bad], given, strict=True):
            failures.append((int(row), column, "dtype", value, f"{what}: not a timestamp"))
    return values


def _duration(cols, layout, submitted, index, timezone, failures, used) -> pd.Series:
    """Seconds from the platform's duration column, else (or where it is empty) end - start."""
    out = pd.Series(pd.array(np.full(len(index), np.nan), dtype="Float64"))
    if layout.duration is not None:
        used.add(layout.duration)
        raw = strip_text(cols[layout.duration])
        try:
            out = pd.Series(pd.array(pc.cast(raw, pa.float64()), dtype="Float64"))
        except pa.ArrowInvalid:  # some cell is not a number: find which, the slow way
            out = pd.to_numeric(as_text(raw), errors="coerce").astype("Float64")
        given = pc.is_valid(raw).to_numpy(zero_copy_only=False)
        bad = given & out.isna().to_numpy()
        for row, value in zip(index[bad], as_text(raw)[bad], strict=True):
            failures.append((int(row), "duration_s", "dtype", value, "not a number of seconds"))
        if given.all() or layout.start is None:
            return out
    if layout.start is not None:
        used.add(layout.start)
        start = _times(cols, layout, layout.start, index, timezone, [], "duration_s")
        end = submitted
        if layout.end is not None and layout.end != layout.submitted:
            used.add(layout.end)
            end = _times(cols, layout, layout.end, index, timezone, [], "duration_s")
        out = out.fillna((end - start).dt.total_seconds().astype("Float64"))
    return out


def _status_failures(arr: pa.ChunkedArray, layout: Layout, index: pd.Index) -> list[tuple]:
    arr = strip_text(arr)
    codes = pa.array(sorted(layout.status_codes), type=_STR)
    hit = pc.fill_null(pc.is_in(pc.utf8_lower(arr), value_set=codes), False).to_numpy(zero_copy_only=False)
    status = as_text(arr)
    name = layout.names[layout.status]
    return [
        (int(row), name, "platform_status", value, f"{name} {value}: a preview, test or spam response")
        for row, value in zip(index[hit], status[hit], strict=True)
    ]


def _assemble(grid, layout, survey, out, index, failures, items, used, *, format, source) -> Export:
    table = pd.DataFrame(
        {
            k: (v if isinstance(v, pd.Series) else pd.Series(pd.array(v, dtype="str"), copy=False))
            for k, v in out.items()
        }
    )
    table.index = index
    table["submitted_at"] = table["submitted_at"].astype("datetime64[us, UTC]")
    dropped, ignored = [], []
    for j, name in enumerate(layout.names):
        if j in items or j in used:
            continue
        if not name:
            ignored.append(f"(column {j + 1}, no header)")
        elif j in layout.identifiers or j == layout.email or is_identifier(name):
            dropped.append(name)
        else:
            ignored.append(name)
    ignored.extend(f"sheet:{s}" for s in grid.sheets)
    found = set(items.values())
    missing = tuple(
        it.id
        for it in survey.items
        if it.id not in found and not (it.role == "team" and "team" in table.columns)
    )
    frame = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    if not frame.empty:
        frame = frame.sort_values("row", kind="stable", ignore_index=True)
    return Export(
        table=table,
        format=format,
        source=str(source),
        dropped=tuple(dropped),
        ignored=tuple(ignored),
        missing_items=missing,
        failures=frame,
    )
