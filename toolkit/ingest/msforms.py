"""Read a Microsoft Forms export (the xlsx from "Open results in Excel", or a CSV of it).

Columns: ``ID`` (the platform's response number: dropped), ``Start time``, ``Completion
time``, ``Email`` (``anonymous`` when the form does not record who answered), ``Name``
(dropped), sometimes ``Last modified time``, then one column per question headed by its
text, answers as labels. Quiz columns (``Total points``, ``Quiz feedback``, ``Points - …``,
``Feedback - …``) are ignored.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.ingest._text import open_grid
from toolkit.ingest.export import Export, build, plain_layout, read_export, require
from toolkit.survey import Survey

__all__ = ["read_msforms"]

_QUIZ = ("points - ", "feedback - ")


def read_msforms(path: str | Path, survey: Survey, *, timezone: str = "UTC") -> Export:
    """Read a Microsoft Forms export.

    Parameters
    ----------
    path : str or Path
    survey : Survey
    timezone : str
        The time zone of ``Start time`` and ``Completion time`` (Forms writes them in the
        form owner's zone, without one).

    Returns
    -------
    Export
        ``submitted_at`` from ``Completion time``; ``duration_s`` = completion − start;
        ``email`` from ``Email`` (``anonymous`` is missing) as the roster join key.

    Raises
    ------
    InputError
        See :func:`toolkit.ingest.read_export`; also without a ``Completion time`` column.
    """
    return read_export(path, survey, format="msforms", timezone=timezone)


def read(
    path: str | Path,
    survey: Survey,
    *,
    timezone: str,
    format: str | None = None,
    team_column: str | None = None,
) -> Export:
    """Read a Microsoft Forms export (for :func:`toolkit.ingest.read_export`)."""
    grid = open_grid(path)
    layout = plain_layout(grid)
    layout.submitted = layout.find("Completion time")
    require(grid, "Completion time", layout.submitted)
    layout.start = layout.find("Start time")
    layout.email = layout.find("Email")
    layout.no_email = ("anonymous",)
    layout.serial = grid.kind == "xlsx"
    ids = layout.find("ID")
    layout.identifiers = frozenset(j for j in (ids, layout.find("Name")) if j is not None)
    layout.metadata(ids, layout.find("Name"), layout.find("Last modified time"), layout.find("Total points"))
    layout.metadata(layout.find("Quiz feedback"), layout.start, layout.submitted, layout.email)
    for j, name in enumerate(layout.names):
        if name.casefold().startswith(_QUIZ):
            layout.headers[j] = ()
    return build(
        grid, layout, survey, format="msforms", timezone=timezone, source=path, team_column=team_column
    )
