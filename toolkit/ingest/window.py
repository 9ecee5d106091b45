"""When a wave's responses were submitted: its window, and the rows that fall outside it.

An export ingested under the wrong wave label (the May export as ``--wave 2026Q3``) would be
stored and analysed as another quarter without any sign of it. So every ingest knows the window
of its wave and refuses an export with submissions outside it:

- a quarter label ``YYYYQn`` opens :data:`GRACE_BEFORE` (7 days) before the quarter's first day
  and closes :data:`GRACE_AFTER` (6 weeks) after its last day, since pulse surveys often run into
  the following weeks (a Q4 survey closing in mid-January is still Q4's);
- a waves table (the CLI's ``--waves-table``) gives a wave's window exactly: a CSV with the
  columns ``wave``, ``start`` and ``end``, dates (``2026-07-01``) or times (``2026-07-01T09:00``),
  both ends included (a date as ``end`` means until the end of that day), read in the export's
  time zone (``--timezone``). It takes precedence over the quarter's window. (A wave label that
  is not a quarter would need it too; the store accepts quarter labels only, for now.)

Times are compared in UTC. :func:`outside_window` finds the rows outside; the pipeline refuses
them unless asked to store them anyway (``--allow-outside-window``), and the ingest report and
the store's manifest say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError

__all__ = ["GRACE_AFTER", "GRACE_BEFORE", "Window", "outside_window", "read_waves_table", "wave_window"]

#: How long before a quarter's first day its survey may open.
GRACE_BEFORE = pd.Timedelta(days=7)
#: How long after a quarter's last day its survey may still be answered.
GRACE_AFTER = pd.Timedelta(weeks=6)
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_COLUMNS = ("wave", "start", "end")


@dataclass(frozen=True)
class Window:
    """The time a wave's responses may have been submitted: ``start <= t < end`` (UTC).

    ``source`` says where it comes from, in words (shown in errors and reports).
    """

    wave: str
    start: pd.Timestamp
    end: pd.Timestamp
    source: str

    def describe(self) -> str:
        """The window in words, like ``2026-06-24 to 2026-11-11 (the quarter ... )``."""
        last = self.end - pd.Timedelta(microseconds=1)
        return f"{_day(self.start)} to {_day(last)} UTC ({self.source})"

    def as_dict(self) -> dict[str, str]:
        """For the store's manifest: ``start`` and ``end`` (ISO 8601, UTC) and ``source``."""
        return {"start": _iso(self.start), "end": _iso(self.end), "source": self.source}


def wave_window(
    wave: str, *, waves_table: pd.DataFrame | str | Path | None = None, timezone: str = "UTC"
) -> Window:
    """The window of a wave: from the waves table when it lists the wave, else from its quarter.

    Parameters
    ----------
    wave : str
        The wave label, like ``2026Q3``.
    waves_table : DataFrame, str or Path, optional
        ``wave``, ``start``, ``end`` (see the module documentation), or its CSV file.
    timezone : str, default "UTC"
        The zone of the table's dates and times.

    Returns
    -------
    Window

    Raises
    ------
    InputError
        When the waves table is unusable, or the wave is neither in it nor a quarter label.

    Examples
    --------
    >>> window = wave_window("2026Q3")
    >>> str(window.start), str(window.end)
    ('2026-06-24 00:00:00+00:00', '2026-11-12 00:00:00+00:00')
    >>> window.source
    'quarter 2026Q3, 2026-07-01 to 2026-09-30, from 7 days before to 6 weeks after'
    >>> table = pd.DataFrame({"wave": ["2026Q3"], "start": ["2026-08-01"], "end": ["2026-08-31"]})
    >>> wave_window("2026Q3", waves_table=table).describe()
    '2026-08-01 to 2026-08-31 UTC (the waves table)'
    """
    source = None
    if waves_table is not None:
        table, source = read_waves_table(waves_table), waves_table
        rows = table[table["wave"] == wave]
        if len(rows):
            row = rows.iloc[0]
            start = _time(row["start"], timezone, end=False)
            end = _time(row["end"], timezone, end=True)
            named = Path(source).name if isinstance(source, str | Path) else "the waves table"
            return Window(wave, start, end, named if named == "the waves table" else f"waves table {named}")
    match = _QUARTER.match(wave)
    if match is None:
        where = (
            f"the waves table {source} does not list it" if source is not None else "no waves table was given"
        )
        raise InputError(
            f"wave {wave!r} is not a quarter like 2026Q3 and {where}: give its dates in a waves table "
            "(--waves-table FILE, a CSV with wave,start,end) so that submissions can be checked against it",
            path=source if isinstance(source, str | Path) else None,
        )
    year, quarter = int(match.group(1)), int(match.group(2))
    first = pd.Timestamp(year=year, month=3 * quarter - 2, day=1, tz="UTC")
    after = first + pd.DateOffset(months=3)
    last = after - pd.Timedelta(days=1)
    words = (
        f"quarter {wave}, {_day(first)} to {_day(last)}, from {GRACE_BEFORE.days} days before to "
        f"{GRACE_AFTER.days // 7} weeks after"
    )
    return Window(wave, first - GRACE_BEFORE, after + GRACE_AFTER, words)


def read_waves_table(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    """A waves table (``wave``, ``start``, ``end``) as text, checked.

    Raises
    ------
    InputError
        When the file is missing or unreadable, a column is missing, a wave is listed twice,
        or a date does not parse.
    """
    path = None
    if isinstance(table, str | Path):
        from toolkit._io import read_table

        path = table
        table = read_table(path, what="waves table", required=_COLUMNS)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"waves_table must be a DataFrame or a CSV file, got {type(table).__name__}")
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            "the waves table needs the columns wave, start, end; it has "
            + ", ".join(map(str, table.columns)),
            path=path,
            column=missing[0],
        )
    out = table[list(_COLUMNS)].astype("str").apply(lambda c: c.str.strip())
    twice = out["wave"][out["wave"].duplicated()]
    if len(twice):
        raise InputError(f"wave {twice.iloc[0]} is listed twice", path=path, column="wave")
    for column in ("start", "end"):
        for i, value in out[column].items():
            try:
                _time(value, "UTC", end=False)
            except ValueError:
                raise InputError(
                    f"{value!r} is not a date like 2026-07-01 (or a time like 2026-07-01T09:00)",
                    path=path,
                    row=_row(out, i),
                    column=column,
                ) from None
    return out


def outside_window(times: pd.Series, window: Window) -> pd.Series:
    """Where a submission time (UTC) lies outside the window; missing times are not outside."""
    inside = (times >= window.start) & (times < window.end)
    return (~inside.fillna(True)).astype("bool") & times.notna()


def _time(value: object, timezone: str, *, end: bool) -> pd.Timestamp:
    text = str(value).strip()
    if not text or text.lower() in ("nan", "<na>", "none"):
        raise ValueError(text)
    stamp = pd.Timestamp(text)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone)
    stamp = stamp.tz_convert("UTC")
    date_only = re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None
    if end:
        stamp = stamp + (pd.Timedelta(days=1) if date_only else pd.Timedelta(microseconds=1))
    return stamp


def _day(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d")


def _iso(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(table: pd.DataFrame, label: object) -> int:
    """The spreadsheet row of a table row (the header is row 1)."""
    return int(table.index.get_loc(label)) + 2
