"""The organisation as a tree: ``unit``, ``parent``, ``kind`` (organisation, division,
department, team). Teams are the leaves; their ``unit`` is the team id used in responses."""

from __future__ import annotations

import pandas as pd

__all__ = ["KINDS", "ancestor"]

KINDS = ("organisation", "division", "department", "team")


def ancestor(units: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """For every team, its ancestor of ``kind`` (its division, say), for use as a covariate.

    Parameters
    ----------
    units : DataFrame
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
    missing = [c for c in ("unit", "parent", "kind") if c not in units.columns]
    if missing:
        raise ValueError(f"units lacks the columns {missing}; it has {list(units.columns)}")
    if kind not in KINDS[:-1]:
        raise ValueError(f"kind must be one of {', '.join(KINDS[:-1])}; got {kind!r}")
    parent = dict(zip(units["unit"].astype("str"), units["parent"], strict=True))
    kinds = dict(zip(units["unit"].astype("str"), units["kind"].astype("str"), strict=True))
    teams = units.loc[units["kind"] == "team", "unit"].astype("str").tolist()
    found = []
    for team in teams:  # a tree is a few levels deep: walking up each team is cheap
        node, seen = parent.get(team), {team}
        while isinstance(node, str) and kinds.get(node) != kind:
            if node in seen:
                raise ValueError(f"units has a cycle through {node!r}")
            seen.add(node)
            node = parent.get(node)
        found.append(node if isinstance(node, str) else None)
    return pd.DataFrame({"team": teams, kind: pd.array(found, dtype="str")})
