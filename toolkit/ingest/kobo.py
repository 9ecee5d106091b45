"""Read a KoboToolbox export: CSV (``;``-separated by default) or XLSX.

Columns are named by the form's question names with their group path (``group/sub/q``),
matched to items by the last segment. Metadata: ``start`` and ``end`` (device times with an
offset), ``_submission_time`` (server time, UTC), ``_id``, ``_uuid``, ``_index``,
``meta/instanceID``, ``_validation_status``, ``_status``, ``_submitted_by``, ``_tags``,
``_notes``, ``__version__``, and device fields (``deviceid``, ``username``,
``phonenumber``, ...). Answers are choice names ("XML values") or labels. In an XLSX the
first sheet holds the main records; the sheets of repeat groups are not read and are listed
in ``ignored`` as ``sheet:<name>``. Geopoints (``_q_latitude`` …), ids and device fields are
dropped.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.ingest._text import normalised_header, open_grid
from toolkit.ingest.export import Export, build, plain_layout, read_export, require
from toolkit.survey import Survey

__all__ = ["read_kobo"]

_DROP = {
    "id", "uuid", "instanceid", "rootuuid", "deprecatedid", "deviceid", "subscriberid", "simserial",
    "phonenumber", "username", "submittedby", "geolocation", "instancename", "audit", "attachments",
}  # fmt: skip
_METADATA = _DROP | {
    "start", "end", "today", "submissiontime", "index", "parentindex", "parenttablename",
    "validationstatus", "status", "notes", "tags", "version", "xformidstring", "mediacount",
    "totalmedia", "mediaallreceived",
}  # fmt: skip


def read_kobo(path: str | Path, survey: Survey, *, timezone: str = "UTC") -> Export:
    """Read a KoboToolbox export.

    Parameters
    ----------
    path : str or Path
    survey : Survey
        Item ids (or aliases) are the form's question names.
    timezone : str
        The time zone of timestamps written without an offset (``_submission_time`` is
        always UTC).

    Returns
    -------
    Export
        ``submitted_at`` from ``end`` (or ``_submission_time``); ``duration_s`` = end −
        start; ``employee_id`` from an ``employee_id`` question or hidden field.

    Raises
    ------
    InputError
        See :func:`toolkit.ingest.read_export`; also without ``end`` or ``_submission_time``.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> export = read_kobo("tests/ingest/fixtures/kobo.csv", survey)
    >>> export.table[["employee_id", "team", "cadence"]].to_numpy().tolist()
    [['e001', 't1', 'weekly'], ['e002', 't2', 'monthly']]
    >>> "_uuid" in export.dropped, str(export.table["submitted_at"].iloc[0])
    (True, '2026-02-02 08:05:00+00:00')
    """
    return read_export(path, survey, format="kobo", timezone=timezone)


def read(
    path: str | Path,
    survey: Survey,
    *,
    timezone: str,
    format: str | None = None,
    team_column: str | None = None,
) -> Export:
    """Read a KoboToolbox export (for :func:`toolkit.ingest.read_export`)."""
    grid = open_grid(path)
    layout = plain_layout(grid)
    layout.style = "kobo"
    last = [normalised_header(n.rsplit("/", 1)[-1]) for n in layout.names]
    layout.employee_id = next((j for j, k in enumerate(last) if k in ("employeeid", "rosterid")), None)
    end = last.index("end") if "end" in last else None
    server = last.index("submissiontime") if "submissiontime" in last else None
    require(grid, "end (or _submission_time)", end, server)
    layout.submitted = end if end is not None else server
    layout.fallback = server if end is not None else None
    layout.start = last.index("start") if "start" in last and end is not None else None
    layout.utc = frozenset({server} if server is not None else ())
    segments = [n.rsplit("/", 1)[-1] for n in layout.names]
    geopoints = {s[1 : -len("_latitude")] for s in segments if s.startswith("_") and s.endswith("_latitude")}
    drop = set()
    for j, key in enumerate(last):
        if key in _METADATA:
            layout.headers[j] = ()
        if key in _DROP or segments[j] in geopoints:
            drop.add(j)
            layout.headers[j] = ()
    layout.identifiers = frozenset(drop)
    layout.metadata(layout.employee_id)
    return build(grid, layout, survey, format="kobo", timezone=timezone, source=path, team_column=team_column)
