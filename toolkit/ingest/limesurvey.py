"""Read a LimeSurvey response export (CSV, ``;``-separated through the RemoteControl API).

Columns with question codes as headers (``Q1``, ``G1Q3``, ``Q1[SQ001]`` for a sub-question
of an array) and answer codes, after LimeSurvey's own: ``id`` (the response id), ``token``
(the participant's access code), ``submitdate``, ``lastpage``, ``startlanguage``, ``seed``,
``startdate``, ``datestamp``, ``ipaddr``, ``refurl``, and with timings on ``interviewtime``
and ``…Time`` columns. The "full headings" export (``Response ID``, ``Date submitted``, …,
question texts) is read too. Response ids, tokens, IP addresses, referrer URLs and the
participant fields (``firstname``, ``lastname``, ``email``, ``attribute_N``) are dropped.
An incomplete response (no ``submitdate``) has no ``submitted_at``.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.ingest._text import normalised_header, open_grid
from toolkit.ingest.export import Export, build, plain_layout, read_export, require
from toolkit.survey import Survey

__all__ = ["read_limesurvey"]

_METADATA = {
    normalised_header(n)
    for n in (
        "id", "Response ID", "token", "Access code", "submitdate", "Date submitted", "lastpage",
        "Last page", "startlanguage", "Start language", "seed", "Seed", "startdate", "Date started",
        "datestamp", "Date last action", "ipaddr", "IP address", "refurl", "Referrer URL",
        "interviewtime", "Total time", "firstname", "lastname", "email",
    )
}  # fmt: skip
_IDENTIFIERS = {normalised_header(n) for n in ("id", "Response ID", "token", "Access code", "firstname")}
_IDENTIFIERS |= {normalised_header(n) for n in ("lastname", "email", "ipaddr", "IP address", "refurl")}
_IDENTIFIERS |= {normalised_header("Referrer URL")}
_TIMING = re.compile(r"(?:^groupTime\d+$|Time$)")


def read_limesurvey(path: str | Path, survey: Survey, *, timezone: str = "UTC") -> Export:
    """Read a LimeSurvey export.

    Parameters
    ----------
    path : str or Path
    survey : Survey
        Item ids (or aliases) must be the question codes; ``Q1[SQ001]`` also matches an
        item ``Q1_SQ001`` or ``SQ001``.
    timezone : str
        The survey's time zone (LimeSurvey writes dates without one).

    Returns
    -------
    Export
        ``submitted_at`` from ``submitdate``; ``duration_s`` from ``interviewtime`` or
        ``submitdate - startdate``; ``employee_id`` from an ``employee_id`` column (a
        participant attribute or hidden question) when there is one.

    Raises
    ------
    InputError
        See :func:`toolkit.ingest.read_export`; also without a ``submitdate`` column.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> export = read_limesurvey("tests/ingest/fixtures/limesurvey.csv", survey)
    >>> export.table["cadence"].tolist(), export.dropped
    (['weekly', 'monthly', 'monthly'], ('id', 'ipaddr', 'refurl', 'token'))
    """
    return read_export(path, survey, format="limesurvey", timezone=timezone)


def read(
    path: str | Path,
    survey: Survey,
    *,
    timezone: str,
    format: str | None = None,
    team_column: str | None = None,
) -> Export:
    """Read a LimeSurvey export (for :func:`toolkit.ingest.read_export`)."""
    grid = open_grid(path)
    layout = plain_layout(grid)
    layout.style = "limesurvey"
    layout.submitted = layout.find("submitdate", "Date submitted")
    require(grid, "submitdate", layout.submitted)
    layout.start = layout.find("startdate", "Date started")
    layout.duration = layout.find("interviewtime", "Total time")
    # answer codes are at most 5 letters or digits, so a survey's categorical choices are numbered
    # 1..n on LimeSurvey (toolkit.forms.limesurvey): an "Answer codes" export gives those numbers
    layout.positions = True
    ids = set()
    for j, name in enumerate(layout.names):
        key = normalised_header(name)
        if key in _METADATA or _TIMING.search(name) or key.startswith("attribute"):
            layout.headers[j] = ()
        if key in _IDENTIFIERS or key.startswith("attribute"):
            ids.add(j)
    layout.identifiers = frozenset(ids - {layout.employee_id})
    layout.metadata(layout.employee_id)
    return build(
        grid, layout, survey, format="limesurvey", timezone=timezone, source=path, team_column=team_column
    )
