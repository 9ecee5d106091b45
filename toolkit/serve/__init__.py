"""The portal: managers and leaders sign in and see their own reports, rendered from the release.

:func:`portal` assembles the application from the command line's inputs (releases, survey,
units, ``access.csv``, the SQLite file); :func:`invite` writes the sign-in links for a mail merge;
:func:`run` serves an application with uvicorn. The modules: :mod:`~toolkit.serve.access` (who
sees what), :mod:`~toolkit.serve.db` (links, sessions, releases, audit), :mod:`~toolkit.serve.catalog`
(releases and their pages, rendered by :mod:`toolkit.report`), :mod:`~toolkit.serve.app` (routes,
headers, sign-in). Needs the ``serve`` extra (Starlette, uvicorn).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError
from toolkit.serve.access import Access, read_access
from toolkit.serve.db import PortalDB

__all__ = ["Access", "PortalDB", "invite", "parse_duration", "portal", "read_access", "run"]

_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def parse_duration(text: str) -> int:
    """Seconds of a duration like ``7d``, ``12h`` or ``30m``.

    Examples
    --------
    >>> parse_duration("7d"), parse_duration("12h"), parse_duration("30m")
    (604800, 43200, 1800)
    """
    hit = _DURATION.match(str(text))
    if not hit or int(hit.group(1)) == 0:
        raise ValueError(
            f"a duration is a whole number of days, hours or minutes like 7d, 12h or 30m; got {text!r}"
        )
    return int(hit.group(1)) * _SECONDS[hit.group(2)]


class _AccessFile:
    """The access table, read again when its file changes (a bad new version keeps the old one)."""

    def __init__(self, path: Path, units) -> None:
        self.path, self.units = Path(path), units
        self.lock = threading.Lock()
        self.stamp = self._stamp()
        self.value = read_access(self.path, units=units)

    def _stamp(self):
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def __call__(self) -> Access:
        stamp = self._stamp()
        if stamp is not None and stamp != self.stamp:
            with self.lock:
                if stamp != self.stamp:
                    try:
                        self.value = read_access(self.path, units=self.units)
                    except InputError as exc:
                        logging.getLogger("toolkit.serve").error("kept the access table from before: %s", exc)
                    self.stamp = stamp
        return self.value


def _decorate(html: str) -> str:
    """The portal's bar and style block, added to a report page (the report itself is unchanged)."""
    from toolkit.serve.app import _templates

    env = _templates()
    style = "<style>\n" + env.get_template("_portal.css.j2").render() + "</style>\n</head>"
    bar = "<body>\n" + env.get_template("_bar.html.j2").render()
    return html.replace("</head>", style, 1).replace("<body>", bar, 1)


def portal(
    *,
    releases: Iterable[str | Path],
    survey,
    units,
    access: str | Path,
    db: str | Path | PortalDB,
    policy: Mapping | str | Path | None = None,
    settings=None,
):
    """The portal's ASGI application for these inputs.

    Parameters
    ----------
    releases : paths
        Release ``.parquet`` files or folders holding them (``oneonone run --out DIR``); the
        releases added to ``db`` with ``serve add-release`` are served too.
    survey : Survey, str or Path
        The survey the releases were made from.
    units : DataFrame, str or Path
        The organisation (``unit,parent,kind``).
    access : str or Path
        ``access.csv`` (``email,audience``); re-read when it changes.
    db : str, Path or PortalDB
        The SQLite file of links, sessions, releases and the audit log.
    policy : mapping, str or Path, optional
        The release's disclosure policy (number formats and thresholds named in the pages).
    settings : toolkit.serve.app.Settings, optional

    Raises
    ------
    InputError
        When a release, the units, the survey or the access table cannot be used.
    """
    from toolkit._io import read_table
    from toolkit.serve.app import Settings, create_app
    from toolkit.serve.catalog import Catalog, find_releases
    from toolkit.survey import Survey, load_survey

    s = survey if isinstance(survey, Survey) else load_survey(survey)
    tree = (
        units
        if isinstance(units, pd.DataFrame)
        else read_table(units, what="units", required=("unit", "parent", "kind"))
    )
    given = [Path(p) for p in releases]
    find_releases(given)  # refuses a missing or unusable release at start-up
    the_db = db if isinstance(db, PortalDB) else PortalDB(db)
    last: list[Path] = []

    def sources() -> list[Path]:
        # folders are looked into again, and releases added while the portal runs are served too
        paths = [*given, *[p for p in the_db.releases() if p.exists()]]
        try:
            last[:] = find_releases(paths) if paths else []
        except InputError as exc:
            logging.getLogger("toolkit.serve").error("kept the releases from before: %s", exc)
        return list(last)

    if not sources():
        raise InputError("no release to serve: give --release, or add one with oneonone serve add-release")
    settings = settings or Settings()
    catalog = Catalog(
        sources, s, tree, policy=policy, decorate=_decorate, check_every=settings.release_check_seconds
    )
    return create_app(the_db, catalog, _AccessFile(Path(access), tree), tree, settings)


def invite(
    access: Access | str | Path,
    db: str | Path | PortalDB,
    *,
    base_url: str,
    seconds: int = 7 * 86400,
    emails: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One new sign-in link per person of the access table (``email``, ``link``), for a mail merge.

    Each link replaces the person's earlier unused links. ``emails`` limits the invitation to some
    people of the table.
    """
    table = access if isinstance(access, Access) else read_access(access)
    if not re.match(r"^https?://[^/\s]+", base_url or ""):
        raise ValueError(
            f"base_url must be the portal's address like https://survey.example.org; got {base_url!r}"
        )
    chosen = table.emails
    if emails is not None:
        wanted = {e.strip().lower() for e in emails}
        unknown = sorted(wanted - set(chosen))
        if unknown:
            raise InputError(
                f"not in the access table: {', '.join(unknown)}", path=table.source, column="email"
            )
        chosen = [e for e in chosen if e in wanted]
    root = base_url.rstrip("/")
    the_db = db if isinstance(db, PortalDB) else PortalDB(db)
    try:
        links = [f"{root}/signin/{the_db.issue_link(e, seconds=seconds)}" for e in chosen]
        for e in chosen:
            the_db.log("invite", email=e)
    finally:
        if the_db is not db:
            the_db.close()
    return pd.DataFrame({"email": chosen, "link": links})


def run(app, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve ``app`` with uvicorn (no access log: links must not land in logs; the audit log is ours)."""
    import uvicorn

    logger = logging.getLogger("toolkit.serve")
    if not logger.handlers:  # the portal's own lines beside uvicorn's, in the same form
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        server_header=False,
        proxy_headers=False,  # the portal reads X-Forwarded-* itself, from trusted proxies only
    )
