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
    by_audience: dict[str, pd.DataFrame]
    comments: pd.DataFrame | None


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
    comments = pd.read_parquet(notes) if notes.is_file() else None
    return _Loaded(path, stamp, {w: frozenset(a) for w, a in waves.items()}, by_audience, comments)


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
        self._render_locks: dict[tuple, threading.Lock] = {}
        self.refresh(force=True)

    # ------------------------------------------------------------------ what is served

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the list of releases and any file that changed (at most every ``check_every`` s)."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_every:
            return
        with self._lock:
            self._checked = now
            paths = self.sources()
            before, files = self._state[0], {}
            for path in paths:
                old = before.get(path)
                stamp = _stamp(path)
                if stamp == (0, 0):
                    continue  # a release removed since it was added
                files[path] = old if old is not None and old.stamp == stamp else _load(path)
            order = sorted(files.values(), key=lambda f: f.stamp[0])  # the newest file serves a wave
            self._state = (files, {w: f.path for f in order for w in f.waves})

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
        if role == "manager":
            return manager_report(*args, team=unit, wave=wave, policy=self.policy, comments=loaded.comments)
        return unit_report(*args, unit=unit, wave=wave, policy=self.policy, comments=loaded.comments)

    def warm(self, audiences: Iterable[str], *, waves: int | None = None) -> int:
        """Render the pages of ``audiences`` (every audience for an analyst) in the newest ``waves``
        waves (None: all) ahead of the first visit; the number of pages ready."""
        done = 0
        wanted = set(audiences)
        for wave in self.waves()[:waves]:
            here = self.audiences(wave)
            todo = here if "analyst" in wanted else wanted & here
            for audience in sorted(todo):
                if self.page(wave, audience) is not None:
                    done += 1
        return done
