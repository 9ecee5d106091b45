"""The organisation as a tree: ``unit``, ``parent``, ``kind`` (organisation, division, department,
team), parsed and checked once.

:class:`Units` is the one reader of the units table: disclosure control, the reports, the
research extracts and the covariates of the cadence comparisons all take it. Teams are the leaves;
their ``unit`` is the team id used in responses. Optional columns: ``label`` (or ``name``), the
name shown in reports, and ``manager``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import UnitsError

__all__ = ["KINDS", "Units", "ancestor", "headcounts"]

KINDS = ("organisation", "division", "department", "team")


class Units:
    """The units table, checked: unique ids, known kinds, parents that are units, one root, no cycle.

    Parameters
    ----------
    units : DataFrame, str, Path or Units
        ``unit``, ``parent``, ``kind`` (and optionally ``label`` or ``name``, ``manager``), or
        its CSV file (read as text). A :class:`Units` is returned as it is.
    source : str or Path, optional
        The file the table came from, named in errors (default: the path, or "units").

    Attributes
    ----------
    names : list of str
        The unit ids, in the table's order.
    kind, parent, label, manager : dict
        Per unit id (``parent`` is None for the root; ``manager`` is empty without the column).
    root : str
    frame : DataFrame
        The table as given (text).
    source : str
        Where the table came from (its file, or "units"), as errors name it.
    index : dict
        Unit id to its position; ``kinds``, ``parent_index`` (``-1`` for the root), ``depth`` and
        ``path`` (``path[u, d]``: the ancestor of ``u`` at depth ``d``, ``-1`` below ``u``) are
        arrays in that order, for vectorised work.

    Raises
    ------
    UnitsError
        Naming the file, the row (as a spreadsheet shows it: the header is row 1) and the column.

    Examples
    --------
    >>> u = Units(pd.DataFrame({"unit": ["org", "d1", "t1", "t2"], "parent": [None, "org", "d1", "org"],
    ...                         "kind": ["organisation", "division", "team", "team"]}))
    >>> u.chain("t1"), u.teams(), u.root
    (['t1', 'd1', 'org'], ['t1', 't2'], 'org')
    >>> Units(pd.DataFrame({"unit": ["org", "t1"], "parent": [None, "d9"], "kind": ["organisation", "team"]}))
    Traceback (most recent call last):
    ...
    toolkit.errors.UnitsError: units, row 3, column 'parent': the parent 'd9' of unit 't1' is not a unit
    """

    def __new__(cls, units=None, *, source=None):
        if isinstance(units, Units):
            return units
        return super().__new__(cls)

    def __init__(self, units: pd.DataFrame | str | Path | Units, *, source: str | Path | None = None):
        if isinstance(units, Units):
            return
        if isinstance(units, str | Path):
            from toolkit._io import read_table

            source = source or units
            units = read_table(units, what="units")
        if not isinstance(units, pd.DataFrame):
            raise TypeError(
                f"units must be a DataFrame or the path of a CSV file, got {type(units).__name__}"
            )
        where = str(source) if source is not None else "units"
        missing = [c for c in ("unit", "parent", "kind") if c not in units.columns]
        if missing:
            raise UnitsError(
                f"units lacks the columns {missing}; it needs unit, parent, kind (it has "
                f"{', '.join(map(str, units.columns))})",
                path=where,
                column=missing[0],
            )
        names = [None if pd.isna(u) or str(u).strip() == "" else str(u).strip() for u in units["unit"]]
        parents = [None if pd.isna(p) or str(p).strip() == "" else str(p).strip() for p in units["parent"]]
        kinds = [None if pd.isna(k) else str(k).strip() for k in units["kind"]]

        def fail(problem: str, i: int | None = None, column: str | None = None):
            raise UnitsError(problem, path=where, row=None if i is None else i + 2, column=column)

        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name is None:
                fail("a unit without an id", i, "unit")
            if name in seen:
                fail(
                    f"unit {name!r} appears twice (also in row {seen[name] + 2}); unit ids must be unique",
                    i,
                    "unit",
                )
            seen[name] = i
        for i, kind in enumerate(kinds):
            if kind not in KINDS:
                fail(f"kind must be one of {', '.join(KINDS)}; got {kind!r}", i, "kind")
        for i, parent in enumerate(parents):
            if parent is not None and parent not in seen:
                fail(f"the parent {parent!r} of unit {names[i]!r} is not a unit", i, "parent")
            if parent is not None and kinds[seen[parent]] == "team":
                fail(
                    f"unit {names[i]!r} has the team {parent!r} as its parent; teams are the leaves",
                    i,
                    "parent",
                )
        roots = [i for i, p in enumerate(parents) if p is None]
        if len(roots) != 1:
            listed = ", ".join(repr(names[i]) for i in roots[:5])
            fail(f"units must have exactly one root (a unit without parent); found {len(roots)}: {listed}")
        self.names: list[str] = names
        self.index = {u: i for i, u in enumerate(names)}
        self.parent = dict(zip(names, parents, strict=True))
        self.kind = dict(zip(names, kinds, strict=True))
        label_col = next((c for c in ("label", "name") if c in units.columns), None)
        labels = [
            str(v) if label_col and not pd.isna(v) else u
            for u, v in zip(names, units[label_col] if label_col else names, strict=True)
        ]
        self.label = dict(zip(names, labels, strict=True))
        self.manager = (
            dict(zip(names, units["manager"].astype("str").tolist(), strict=True))
            if "manager" in units.columns
            else {}
        )
        self.root = names[roots[0]]
        self.frame = units
        self.source = where
        self.size = len(names)
        self.kinds = np.array(kinds, dtype=object)
        self.parent_index = np.array([-1 if p is None else self.index[p] for p in parents], dtype=np.int64)
        depth = np.full(self.size, -1, dtype=np.int64)
        depth[roots[0]] = 0
        for _ in range(self.size):
            todo = depth < 0
            if not todo.any():
                break
            ready = todo & (depth[np.maximum(self.parent_index, 0)] >= 0)
            if not ready.any():
                stuck = sorted(names[i] for i in np.flatnonzero(todo))
                fail(f"units has a cycle through {stuck[0]!r} (units that never reach the root: {stuck[:5]})")
            depth[ready] = depth[self.parent_index[ready]] + 1
        self.depth = depth
        path = np.full((self.size, depth.max() + 1), -1, dtype=np.int64)
        cur = np.arange(self.size)
        for _ in range(depth.max() + 1):
            ok = cur >= 0
            path[np.flatnonzero(ok), depth[cur[ok]]] = cur[ok]
            cur = np.where(ok, self.parent_index[np.maximum(cur, 0)], -1)
        self.path = path

    # -- lookups

    def chain(self, unit: str) -> list[str]:
        """``unit`` and its ancestors up to the root, nearest first."""
        out = []
        cur: str | None = unit
        while cur is not None:
            out.append(cur)
            cur = self.parent.get(cur)
        return out

    def teams(self) -> list[str]:
        """The team ids, in the table's order."""
        return [u for u in self.names if self.kind[u] == "team"]

    def order(self) -> list[str]:
        """Every unit in depth-first order (each parent before its children, siblings by id)."""
        kids: dict[str | None, list[str]] = {}
        for u in self.names:
            kids.setdefault(self.parent[u], []).append(u)
        out, stack = [], sorted(kids.get(None, []), reverse=True)
        while stack:
            u = stack.pop()
            out.append(u)
            stack.extend(sorted(kids.get(u, []), reverse=True))
        return out

    def ancestor(self, *, kind: str) -> pd.DataFrame:
        """For every team, its ancestor of ``kind`` (its division, say): ``team`` and a column ``kind``.

        Missing where a team has no such ancestor.
        """
        if kind not in KINDS[:-1]:
            raise ValueError(f"kind must be one of {', '.join(KINDS[:-1])}; got {kind!r}")
        teams = self.teams()
        found = []
        for team in teams:
            hit = next((u for u in self.chain(team)[1:] if self.kind[u] == kind), None)
            found.append(hit)
        return pd.DataFrame({"team": pd.array(teams, dtype="str"), kind: pd.array(found, dtype="str")})

    def rollup(self, values: np.ndarray) -> np.ndarray:
        """Sum an array indexed by unit on axis 0 from every unit into its ancestors."""
        out = values.copy()
        for d in range(int(self.depth.max()), 0, -1):
            at = np.flatnonzero(self.depth == d)
            np.add.at(out, self.parent_index[at], out[at])
        return out


def ancestor(units: pd.DataFrame | Units, *, kind: str) -> pd.DataFrame:
    """For every team, its ancestor of ``kind`` (its division, say), for use as a covariate.

    Parameters
    ----------
    units : DataFrame or Units
        ``unit``, ``parent``, ``kind``.
    kind : str
        One of organisation, division, department.

    Returns
    -------
    DataFrame
        ``team`` and a column named ``kind`` (missing where a team has no such ancestor).

    Examples
    --------
    >>> u = pd.DataFrame({"unit": ["org", "d1", "t1", "t2"], "parent": [None, "org", "d1", "org"],
    ...                   "kind": ["organisation", "division", "team", "team"]})
    >>> ancestor(u, kind="division")
      team division
    0   t1       d1
    1   t2      NaN
    """
    if kind not in KINDS[:-1]:
        raise ValueError(f"kind must be one of {', '.join(KINDS[:-1])}; got {kind!r}")
    return Units(units).ancestor(kind=kind)


def headcounts(
    waves: str | list[str] | tuple[str, ...],
    *,
    roster: pd.DataFrame | None = None,
    teams: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """People invited per team and wave, for response rates: ``team``, ``wave``, ``invited``.

    From the roster (one row per person: ``team``, and ``wave`` when people change between waves;
    without ``wave`` its rows count in every wave), else from the teams table's
    ``headcount_<wave>`` or ``headcount`` column (an anonymous survey has no roster). None when
    neither gives headcounts.

    Raises
    ------
    InputError
        When a headcount is not a whole number of at least 0 (naming the column).

    Examples
    --------
    >>> headcounts(["2026Q1", "2026Q2"], roster=pd.DataFrame({"team": ["t1", "t1", "t2"]}))
      team    wave  invited
    0   t1  2026Q1        2
    1   t1  2026Q2        2
    2   t2  2026Q1        1
    3   t2  2026Q2        1
    >>> headcounts("2026Q1", teams=pd.DataFrame({"team": ["t1"], "headcount_2026Q1": ["7"]}))
      team    wave  invited
    0   t1  2026Q1        7
    """
    from toolkit.errors import InputError

    waves = [waves] if isinstance(waves, str) else list(waves)
    columns = ["team", "wave", "invited"]
    if roster is not None:
        if "team" not in roster.columns:
            raise InputError("the roster needs a team column", column="team")
        team = roster["team"].astype("str").str.strip()
        if "wave" in roster.columns:
            keys = pd.DataFrame({"team": team, "wave": roster["wave"].astype("str")})
            counts = keys[keys["wave"].isin(waves)].groupby(["team", "wave"]).size()
            out = counts.rename("invited").reset_index()
        else:
            size = team.groupby(team).size()
            out = pd.DataFrame([(t, w, int(n)) for t, n in size.items() for w in waves], columns=columns)
        return out.sort_values(["team", "wave"], ignore_index=True)[columns]
    if teams is None or "team" not in teams.columns:
        return None
    rows = []
    for wave in waves:
        column = next((c for c in (f"headcount_{wave}", "headcount") if c in teams.columns), None)
        if column is None:
            continue
        counts = pd.to_numeric(teams[column], errors="coerce")
        bad = counts.isna() | (counts < 0) | (counts % 1 != 0)
        if bad.any():
            raise InputError(
                f"headcounts must be whole numbers; got {teams[column][bad].iloc[0]!r}", column=column
            )
        per = counts.astype("int64").groupby(teams["team"].astype("str").str.strip()).sum()
        rows += [(t, wave, int(n)) for t, n in per.items()]
    if not rows:
        return None
    return pd.DataFrame(rows, columns=columns).sort_values(["team", "wave"], ignore_index=True)
