"""Read a Google Forms export: the CSV download, or the xlsx of its Google Sheet.

The CSV has ``Timestamp`` (``2023/11/13 4:20:37 pm CET``: local time with a zone
abbreviation), ``Email Address`` when the form collects it, then one column per question
headed by its text, answers as labels, checkbox answers joined with ``;``, CRLF line ends.
The Google Sheets download (``format="google_sheets"``) has the same columns, timestamps as
dates or Excel serial numbers (local time of the sheet: ``timezone``), and checkbox answers
joined with ``, ``. Checkbox answers are kept as text: the survey format has no multi-select
items yet. Grid questions (``Question [Row]``) match an item by the row's statement.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.ingest._text import open_grid
from toolkit.ingest.export import Export, build, plain_layout, read_export, require
from toolkit.survey import Survey

__all__ = ["read_google_forms"]


def read_google_forms(path: str | Path, survey: Survey, *, timezone: str = "UTC") -> Export:
    """Read a Google Forms CSV export or the xlsx download of its response sheet.

    Parameters
    ----------
    path : str or Path
    survey : Survey
    timezone : str
        The time zone of timestamps without a zone abbreviation (the spreadsheet's).

    Returns
    -------
    Export
        Format ``google_forms`` (CSV) or ``google_sheets`` (xlsx). ``employee_id`` is
        missing (unless the form asks for a roster id); ``email`` holds ``Email Address``
        as the key to join the roster; ``duration_s`` is missing (Forms does not record it).

    Raises
    ------
    InputError
        See :func:`toolkit.ingest.read_export`; also when there is no ``Timestamp`` column.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> export = read_google_forms("data/sample/exports/google_forms_2026Q1.csv", survey)
    >>> str(export.table["submitted_at"].iloc[0]), export.table["cadence"].iloc[0]
    ('2026-02-02 07:13:03+00:00', 'less_than_monthly')
    """
    return read_export(path, survey, format="google_forms", timezone=timezone)


def read(
    path: str | Path,
    survey: Survey,
    *,
    timezone: str,
    format: str | None = None,
    team_column: str | None = None,
) -> Export:
    """Read a Google Forms export (for :func:`toolkit.ingest.read_export`)."""
    grid = open_grid(path)
    layout = plain_layout(grid)
    layout.submitted = layout.find("Timestamp")
    require(grid, "Timestamp", layout.submitted)
    layout.email = layout.find("Email Address", "Username")
    layout.serial = grid.kind == "xlsx"
    layout.metadata(layout.submitted, layout.email, layout.find("Score"))
    fmt = "google_sheets" if grid.kind == "xlsx" else "google_forms"
    return build(grid, layout, survey, format=fmt, timezone=timezone, source=path, team_column=team_column)
