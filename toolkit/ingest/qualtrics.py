"""Read a Qualtrics response export (CSV or the legacy exporter's TSV).

The current export has three header rows: column ids (``Q7``, or the item id when the
survey was exported from this toolkit), question texts, and ``{"ImportId":"QID7"}``; the
first response is row 4. The legacy export has two: ``V1``..``V10`` and question ids, then
metadata names and question texts, with a trailing comma on every line; its first response
is row 3. The legacy exporter also wrote tab-separated UTF-16. Answers are recode values;
a categorical answer is the 1-based position of the choice; ``-99`` marks a question seen
but not answered (missing). Preview, test and spam responses (``Status`` 1, 2, 8 and
their spam and offline-preview variants) are kept but get a ``platform_status`` failure,
so that validation quarantines them.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.ingest._text import Grid, normalised_header, open_grid
from toolkit.ingest.export import Export, Layout, build, read_export, require
from toolkit.survey import Survey

__all__ = ["read_qualtrics"]

_IMPORT_ID = re.compile(r'"ImportId"\s*:\s*"([^"]*)"')
_V = re.compile(r"^V\d+$")
_METADATA = {
    normalised_header(n)
    for n in (
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
        "RecordedDate", "ResponseId", "ResponseID", "RecipientLastName", "RecipientFirstName",
        "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
        "LocationLongitude", "LocationAccuracy", "DistributionChannel", "UserLanguage", "ResponseSet",
        "Name", "EmailAddress",
    )
}  # fmt: skip
#: Status values of responses that are not real: preview, test, spam (as codes and as labels).
PLATFORM_STATUS = frozenset(
    {"1", "2", "8", "9", "12", "17", "survey preview", "survey test", "spam", "preview spam",
     "survey preview spam", "imported spam", "offline survey preview"}
)  # fmt: skip


def read_qualtrics(path: str | Path, survey: Survey, *, timezone: str = "UTC") -> Export:
    """Read a Qualtrics export, current (three header rows) or legacy (two).

    Parameters
    ----------
    path : str or Path
        The export (CSV in UTF-8 with or without a byte-order mark, or the legacy
        exporter's tab-separated UTF-16).
    survey : Survey
    timezone : str
        The time zone of ``RecordedDate``, ``StartDate`` and ``EndDate`` (Qualtrics writes
        them without one, in the zone chosen for the export).

    Returns
    -------
    Export
        ``employee_id`` from ``ExternalReference`` (legacy ``ExternalDataReference``);
        ``submitted_at`` from ``RecordedDate`` (legacy ``EndDate``); ``duration_s`` from
        ``Duration (in seconds)`` or ``EndDate - StartDate``.

    Raises
    ------
    InputError
        See :func:`toolkit.ingest.read_export`.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> export = read_qualtrics("data/sample/exports/qualtrics_2026Q1.csv", survey)
    >>> export.table["cadence"].iloc[:3].tolist(), export.missing_items
    (['less_than_monthly', 'monthly', 'less_than_monthly'], ())
    """
    return read_export(path, survey, format="qualtrics", timezone=timezone)


def read(
    path: str | Path,
    survey: Survey,
    *,
    timezone: str,
    format: str | None = None,
    team_column: str | None = None,
) -> Export:
    """Read a Qualtrics export (for :func:`toolkit.ingest.read_export`)."""
    grid = open_grid(path)
    legacy = _is_legacy(grid)  # the content decides between the two layouts, whatever was forced
    layout = _legacy_layout(grid) if legacy else _layout(grid)
    fmt = "qualtrics_legacy" if legacy else "qualtrics"
    return build(grid, layout, survey, format=fmt, timezone=timezone, source=path, team_column=team_column)


def _is_legacy(grid: Grid) -> bool:
    first = grid.records[0]
    return len(first) >= 2 and first[0] == "V1" and first[1] == "V2" and len(grid.records) >= 2


def _layout(grid: Grid) -> Layout:
    rows = grid.records
    ids = [h.strip() for h in rows[0]]
    header_rows = 1
    texts: list[str] = [""] * grid.width
    imports: list[str | None] = [None] * grid.width
    for r in (1, 2):
        if len(rows) <= r or r != header_rows:
            break
        row = rows[r]
        if any(_IMPORT_ID.search(c) for c in row):
            imports = [(_IMPORT_ID.search(c).group(1) if _IMPORT_ID.search(c) else None) for c in row]
            header_rows = r + 1
        elif _describes(ids, row):
            texts = list(row)
            header_rows = r + 1
    layout = Layout(
        header_rows,
        ids,
        [(i, t) for i, t in zip(ids, texts, strict=True)],
        import_ids=imports,
    )
    _roles(grid, layout)
    return layout


def _describes(ids: list[str], row: tuple[str, ...]) -> bool:
    """Whether the second record is the question-text row (its dates are not dates)."""
    for name in ("StartDate", "EndDate", "RecordedDate"):
        key = normalised_header(name)
        for j, i in enumerate(ids):
            if normalised_header(i) == key:
                return not any(ch.isdigit() for ch in row[j])
    return not any(c.strip().lstrip("-").isdigit() for c in row)


def _legacy_layout(grid: Grid) -> Layout:
    rows = grid.records
    if len(rows) < 2:
        return _layout(grid)
    first, second = [h.strip() for h in rows[0]], [h.strip() for h in rows[1]]
    names = [s if _V.match(f) or not f else f for f, s in zip(first, second, strict=True)]
    layout = Layout(2, names, [(f, s) for f, s in zip(first, second, strict=True)])
    _roles(grid, layout)
    return layout


def _roles(grid: Grid, layout: Layout) -> None:
    layout.employee_id = layout.find("ExternalReference", "ExternalDataReference")
    layout.email = layout.find("RecipientEmail", "EmailAddress")
    layout.submitted = layout.find("RecordedDate", "EndDate")
    layout.start = layout.find("StartDate")
    layout.end = layout.find("EndDate")
    layout.duration = layout.find("Duration (in seconds)")
    layout.status = layout.find("Status")
    layout.status_codes = PLATFORM_STATUS
    layout.positions = True
    layout.unanswered = ("-99",)
    for j, name in enumerate(layout.names):
        if normalised_header(name) in _METADATA or name.startswith("Q_"):
            layout.headers[j] = ()
    require(grid, "RecordedDate (or EndDate)", layout.submitted)
