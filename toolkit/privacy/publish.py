"""The publishing step of a quarter: the release and the comment release of a store, and their files.

:func:`release_store` builds both from every stored wave (response rates from the roster's or
the teams' headcounts, the roster's names scrubbed from comments); :func:`write_release` writes
them as ``<out>.parquet`` and ``<out>.csv`` (every audience's rows) and
``<out>_comments.parquet`` and ``.csv``. ``oneonone release`` and :func:`toolkit.run_quarter`
call them; the reports and the portal read the files or the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from toolkit._io import atomic_write
from toolkit.privacy.comments import release_comments
from toolkit.privacy.disclosure import load_policy, release
from toolkit.survey import Survey
from toolkit.units import Units, headcounts

__all__ = ["Published", "read_release", "release_store", "write_release"]


@dataclass
class Published:
    """A store's release (:func:`toolkit.release`) and comment release, and where they were written."""

    release: pd.DataFrame
    comments: pd.DataFrame
    policy: dict
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def waves(self) -> list[str]:
        return _labels(self.release["wave"])

    def summary(self) -> list[str]:
        """Two lines: the numbers by kind of audience and the waves, and the comments."""
        aud = self.release["audience"]
        kinds = pd.Series(_labels(aud)).str.partition(":")[0]
        codes = aud.cat.codes.to_numpy() if isinstance(aud.dtype, pd.CategoricalDtype) else None
        if codes is not None:  # rows per kind of audience, counted on the codes (millions of rows)
            rows = np.bincount(codes[codes >= 0], minlength=len(kinds))
            per_kind = pd.Series(rows).groupby(kinds.to_numpy()).sum().sort_values(ascending=False)
            audiences = int((rows > 0).sum())
        else:
            per_kind = aud.astype("str").str.partition(":")[0].value_counts()
            audiences = aud.nunique()
        shown = self.comments[self.comments["audience"] == "analyst"]
        return [
            f"release: {len(self.release)} numbers for {audiences} audiences "
            f"({', '.join(f'{n} {k}' for k, n in per_kind.items())} rows), waves {', '.join(self.waves)}",
            f"comments: {len(shown)} published in {shown.groupby(['wave', 'unit']).ngroups} sets of at least "
            f"the threshold's respondents ({len(self.comments)} rows over all audiences)",
        ]


def release_store(
    store: str | Path,
    survey: Survey,
    units: pd.DataFrame | str | Path | Units,
    *,
    roster: pd.DataFrame | None = None,
    teams: pd.DataFrame | None = None,
    policy: Mapping | str | Path | None = None,
    responses: pd.DataFrame | None = None,
) -> Published:
    """The release and the comment release of every stored wave.

    Parameters
    ----------
    store : str or Path
        The wave store.
    survey : Survey
    units : DataFrame, str, Path or Units
    roster : DataFrame, optional
        The people invited (``team``, ``wave``; ``name`` and ``email`` are scrubbed from comments):
        headcounts for response rates.
    teams : DataFrame, optional
        Headcounts of an anonymous survey (``headcount`` or ``headcount_<wave>`` columns), used
        when there is no roster.
    policy : mapping, str or Path, optional
        The disclosure policy (:func:`toolkit.load_policy`).
    responses : DataFrame, optional
        The stored responses when already loaded (:func:`toolkit.load_waves`).

    Returns
    -------
    Published
    """
    from toolkit.store import load_waves

    tree = Units(units)
    pol = load_policy(policy)
    if responses is None:
        responses = load_waves(store, survey=survey)
    waves = sorted(pd.unique(responses["wave"].astype("str")))
    invited = headcounts(waves, roster=roster, teams=teams)
    numbers = release(responses, survey, tree.frame, invited=invited, policy=pol)
    comments = release_comments(responses, survey, tree.frame, roster=roster, policy=pol)
    return Published(numbers, comments, pol)


def write_release(published: Published, out: str | Path) -> dict[str, Path]:
    """Write the release and the comment release: ``<out>.parquet``, ``<out>.csv``,
    ``<out>_comments.parquet``, ``<out>_comments.csv`` (atomically). Returns their paths.

    The release's text columns are stored dictionary-encoded in Parquet (a 10,000-team release has
    tens of millions of rows and a few thousand distinct values per column), and written to CSV by
    Arrow, as plain text.
    """
    stem = Path(out).with_suffix("")
    notes = stem.with_name(stem.name + "_comments")
    table = pa.Table.from_pandas(published.release, preserve_index=False)
    plain = pa.table(
        {
            name: col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )
    comments = published.comments
    paths = {
        "release": atomic_write(stem.with_suffix(".parquet"), lambda tmp: pq.write_table(table, tmp)),
        "release_csv": atomic_write(stem.with_suffix(".csv"), lambda tmp: pacsv.write_csv(plain, tmp)),
        "comments": atomic_write(
            notes.with_suffix(".parquet"), lambda tmp: comments.to_parquet(tmp, index=False)
        ),
        "comments_csv": atomic_write(
            notes.with_suffix(".csv"), lambda tmp: comments.to_csv(tmp, index=False)
        ),
    }
    published.paths.update(paths)
    return paths


def read_release(path: str | Path) -> pd.DataFrame:
    """A release written by :func:`write_release` (``.parquet``), its text columns categorical."""
    frame = pd.read_parquet(path)
    for col in ("audience", "wave", "unit", "cut", "measure"):
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("category")
    return frame


def _labels(col: pd.Series) -> list[str]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return sorted({str(v) for v in pd.unique(col)})
