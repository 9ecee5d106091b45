"""The releases the portal serves, and their pages rendered by the report renderers.

One renderer, two outlets: a page is :func:`toolkit.report.manager_report` (``manager:<team>``),
:func:`toolkit.report.unit.unit_report` (``leader:<unit>``) or
:func:`toolkit.report.organisation_report` (``analyst``) of the release rows of that audience,
exactly the HTML the static reports write. The portal only adds a bar (all my reports, sign out)
and its own style block.

Releases are ``.parquet`` files written by ``oneonone release`` or ``oneonone run --out DIR``
(``DIR/release.parquet``, with ``DIR/release_comments.parquet``), given as files or folders.
When several hold the same wave, the most recently written file serves it. Files are read once per
version (their size and modification time), and each page is rendered once per version of its file
and kept (least recently used pages are dropped past a byte budget).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from toolkit.errors import InputError
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["RELEASE_COLUMNS", "Catalog", "find_releases"]

log = logging.getLogger("toolkit.serve")

RELEASE_COLUMNS = ("audience", "wave", "unit", "cut", "measure", "value", "n")


def find_releases(paths: Iterable[str | Path]) -> list[Path]:
    """The release files of ``paths``: a ``.parquet`` file, or every release ``.parquet`` of a folder.

    Raises
    ------
    InputError
        When a path is missing, or a file or a folder holds no release.
    """
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p for p in path.glob("*.parquet") if not p.stem.endswith("_comments") and _is_release(p)
            )
            if not inside:
                raise InputError(
                    "no release in this folder: give a .parquet written by oneonone release, or the "
                    "folder of oneonone run --out",
                    path=path,
                )
            found.extend(inside)
        elif path.is_file():
            if not _is_release(path):
                raise InputError(
                    "not a release: a release is the .parquet written by oneonone release, with the "
                    "columns " + ", ".join(RELEASE_COLUMNS),
                    path=path,
                )
            found.append(path)
        else:
            raise InputError("release not found", path=path)
    return list(dict.fromkeys(p.resolve() for p in found))


def _is_release(path: Path) -> bool:
    try:
        names = set(pq.read_schema(path).names)
    except Exception:  # not Parquet at all
        return False
    return set(RELEASE_COLUMNS) <= names


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


@dataclass
class _Loaded:
    path: Path
    stamp: tuple
    waves: dict[str, frozenset[str]]  # wave -> audiences with rows in it
    by_audience: dict[str, pd.DataFrame]  # the release rows of each audience
    comments: dict[str, pd.DataFrame] | None  # the comment release rows of each audience
    no_comments: pd.DataFrame | None  # the comment release's columns, no row

    def comments_of(self, audience: str) -> pd.DataFrame | None:
        if self.comments is None:
            return None  # no comment release beside the release: the report says so
        return self.comments.get(audience, self.no_comments)


def _load(path: Path) -> _Loaded:
    from toolkit.privacy.publish import read_release

    stamp = _stamp(path)
    frame = read_release(path)
    pairs = frame[["wave", "audience"]].drop_duplicates()
    waves: dict[str, set[str]] = {}
    for w, a in zip(pairs["wave"].astype("str"), pairs["audience"].astype("str"), strict=True):
        waves.setdefault(w, set()).add(a)
    by_audience = {str(a): part for a, part in frame.groupby("audience", observed=True, sort=False)}
    notes = path.with_name(path.stem + "_comments.parquet")
    comments = empty = None
    if notes.is_file():
        said = pd.read_parquet(notes)
        comments = {str(a): part for a, part in said.groupby(said["audience"].astype("str"), sort=False)}
        empty = said.iloc[:0]
    return _Loaded(path, stamp, {w: frozenset(a) for w, a in waves.items()}, by_audience, comments, empty)


class Catalog:
    """Which waves and audiences the releases hold, and their pages (rendered once, then kept).

    Parameters
    ----------
    sources : callable
        Returns the release files to serve (called again at most every ``check_every`` seconds,
        so that a release added while the portal runs is served without a restart).
    survey, units, policy
        As the reports take them: wording, the organisation's shape, the release's policy.
    decorate : callable, optional
        Applied to each rendered page once, before it is kept (the portal's bar).
    budget : int
        Bytes of rendered pages kept.
    """

    def __init__(
        self,
        sources: Callable[[], list[Path]],
        survey: Survey,
        units: pd.DataFrame,
        *,
        policy: Mapping | str | Path | None = None,
        decorate: Callable[[str], str] = lambda html: html,
        budget: int = 256 * 2**20,
        check_every: float = 2.0,
    ) -> None:
        from toolkit.privacy.disclosure import load_policy

        self.sources, self.survey, self.units = sources, survey, Units(units).frame
        self.policy = load_policy(policy)
        self.decorate, self.budget, self.check_every = decorate, budget, check_every
        # the files read and which file serves each wave, replaced together by refresh()
        self._state: tuple[dict[Path, _Loaded], dict[str, Path]] = ({}, {})
        self._pages: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._checked = -1e18
        self._lock = threading.RLock()
        self._reloading = threading.Lock()
        self._render_locks: dict[tuple, threading.Lock] = {}
        self.refresh(force=True)

    # ------------------------------------------------------------------ what is served

    def refresh(self, *, force: bool = False) -> None:
        """Look at the list of releases and their files again, at most every ``check_every`` s.

        Files are read in a background thread (pages are served from the releases read before
        meanwhile); ``force`` reads them now.
        """
        if force:
            self._reload()
            return
        now = time.monotonic()
        if now - self._checked < self.check_every or self._reloading.locked():
            return
        self._checked = now
        threading.Thread(target=self._reload_quietly, name="releases", daemon=True).start()

    def _reload(self) -> None:
        with self._reloading:
            self._checked = time.monotonic()
            before, files = self._state[0], {}
            for path in self.sources():
                old = before.get(path)
                stamp = _stamp(path)
                if stamp == (0, 0):
                    continue  # a release removed since it was added
                files[path] = old if old is not None and old.stamp == stamp else _load(path)
            order = sorted(files.values(), key=lambda f: f.stamp[0])  # the newest file serves a wave
            self._state = (files, {w: f.path for f in order for w in f.waves})

    def _reload_quietly(self) -> None:
        try:
            self._reload()
        except Exception:  # a release being replaced, a disk error: keep serving what was read
            log.exception("could not read the releases again; serving the ones read before")

    def waves(self) -> list[str]:
        """Every served wave, newest first."""
        self.refresh()
        return sorted(self._state[1], reverse=True)

    def audiences(self, wave: str) -> frozenset[str]:
        """The audiences with release rows in ``wave`` (none for a wave not served)."""
        self.refresh()
        files, wave_file = self._state
        path = wave_file.get(wave)
        return frozenset() if path is None else files[path].waves[wave]

    # ------------------------------------------------------------------ pages

    def _key(self, wave: str, audience: str) -> tuple | None:
        files, wave_file = self._state
        path = wave_file.get(wave)
        if path is None or audience not in files[path].waves[wave]:
            return None
        return (path, files[path].stamp, wave, audience)

    def cached(self, wave: str, audience: str) -> bytes | None:
        """The page when already rendered (cheap: call it before :meth:`page`)."""
        self.refresh()
        key = self._key(wave, audience)
        if key is None:
            return None
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def page(self, wave: str, audience: str) -> bytes | None:
        """The page of ``audience`` in ``wave`` (rendered on first use), or None when there is none."""
        self.refresh()
        with self._lock:
            key = self._key(wave, audience)
            if key is None:
                return None
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
            loaded = self._state[0][key[0]]
            lock = self._render_locks.setdefault(key, threading.Lock())
        with lock:  # one render per page, however many ask at once
            with self._lock:
                if key in self._pages:
                    return self._pages[key]
            html = self.decorate(self._render(loaded, wave, audience)).encode("utf-8")
            with self._lock:
                self._pages[key] = html
                self._bytes += len(html)
                while self._bytes > self.budget and len(self._pages) > 1:
                    _, dropped = self._pages.popitem(last=False)
                    self._bytes -= len(dropped)
                self._render_locks.pop(key, None)
            return html

    def _render(self, loaded: _Loaded, wave: str, audience: str) -> str:
        from toolkit.report import manager_report, organisation_report
        from toolkit.report.unit import unit_report

        rows = loaded.by_audience[audience]  # the audience's rows alone reach the renderer
        role, _, unit = audience.partition(":")
        args = (rows, self.survey, self.units)
        if role == "analyst":
            return organisation_report(*args, wave=wave, policy=self.policy)
        said = loaded.comments_of(audience)  # and the audience's comments alone
        if role == "manager":
            return manager_report(*args, team=unit, wave=wave, policy=self.policy, comments=said)
        return unit_report(*args, unit=unit, wave=wave, policy=self.policy, comments=said)

    def warm(self, audiences: Iterable[str], *, waves: int | None = None) -> int:
        """Render the pages of ``audiences`` (every audience for an analyst) in the newest ``waves``
        waves (None: all) ahead of the first visit, newest wave first, until 90% of the byte budget
        is used; the number of pages ready."""
        done = 0
        wanted = set(audiences)
        for wave in self.waves()[:waves]:
            here = self.audiences(wave)
            todo = here if "analyst" in wanted else wanted & here
            for audience in sorted(todo):
                if self._bytes > 0.9 * self.budget:
                    return done
                if self.page(wave, audience) is not None:
                    done += 1
        return done
