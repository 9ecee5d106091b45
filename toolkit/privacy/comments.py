"""Disclosure control for free-text comments: the comment release, the only source of comments
in reports.

Numbers are published by :func:`toolkit.release`; comments cannot be rounded or summed, so they
follow a rule of their own. A comment is never attributed to a group of fewer than
``min_comments`` respondents (default 10, :data:`toolkit.privacy.disclosure.DEFAULT_POLICY`), and it is
published **once**, at a single unit, so that no audience can take one set of comments from another
(a department's comments minus its teams' would otherwise be the comments of the teams that were
too small to show their own). Per wave, from the teams up:

- a team with at least ``min_comments`` respondents has its comments published at the team;
- the respondents of the teams below a unit whose comments are not published yet are pooled at that
  unit; when the pool reaches ``min_comments`` respondents its comments are published at the unit
  (as "teams of this unit too small to show their own"), otherwise the pool moves up to the parent;
- a pool that is still short at the root is not published at all.

Pools change from wave to wave (a team may stand alone one quarter and be pooled the next), so a
comment that only one person wrote, repeated word for word in a later wave where again only one
person wrote it, could be traced to the teams the two comment sets share. Such a repeat is not
published (comparing texts casefolded, with spaces collapsed); common texts that several people
wrote in a wave carry no such trace and are published every time.

``n`` is the number of respondents behind a comment set (everyone of the pooled teams who took
part, with or without a comment), so a lone comment is still one of at least ``min_comments``.
Comments have no demographic or cadence cuts, carry no timestamp or respondent, and are sorted
alphabetically within their set (the order of submission would say who wrote them). Roster names
and email addresses are scrubbed once more (:func:`toolkit.scrub_text`; the store's text was
scrubbed at ingest with the roster of that time). Audiences see comments as they see numbers: the
analyst all of them, a manager those of their team and of the units above it, a leader those of
their unit and the units below it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.privacy.disclosure import load_policy
from toolkit.privacy.scrub import roster_words, scrub_text
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["COMMENT_COLUMNS", "release_comments"]

#: The columns of :func:`release_comments`, in order.
COMMENT_COLUMNS = ("audience", "wave", "unit", "item", "comment", "n")


def release_comments(
    responses: pd.DataFrame,
    survey: Survey,
    units: pd.DataFrame,
    *,
    roster: pd.DataFrame | None = None,
    policy: Mapping | str | Path | None = None,
    audiences: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The comment release: every comment each audience may read, after disclosure control.

    Parameters
    ----------
    responses : DataFrame
        Canonical responses of one or more waves (``respondent``, ``wave``, ``team`` and the
        survey's comment items, role ``comment``).
    survey : Survey
        Gives the comment items.
    units : DataFrame
        ``unit``, ``parent``, ``kind``; the teams are the units of the ``team`` column.
    roster : DataFrame, optional
        Its ``name`` and ``email`` columns (when present) are scrubbed from the comments.
    policy : mapping, str or Path, optional
        See :func:`toolkit.load_policy`; ``min_comments`` applies.
    audiences : iterable of str, optional
        Keep only these audiences (``analyst``, ``manager:<team>``, ``leader:<unit>``).

    Returns
    -------
    DataFrame
        :data:`COMMENT_COLUMNS`: ``audience``, ``wave``, ``unit`` (where the set is published),
        ``item`` (the comment item), ``comment`` (scrubbed text), ``n`` (respondents behind the
        set). One row per comment and audience; a comment that may not be shown has no row.

    Raises
    ------
    ValueError
        When a column is missing, a team is not a team of ``units``, or an audience is unknown.

    Examples
    --------
    >>> import toolkit
    >>> survey = toolkit.load_survey("surveys/one_on_one_pulse.yaml")
    >>> units = pd.read_csv("data/sample/units.csv")
    >>> valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> c = release_comments(valid, survey, units, audiences=["analyst"])
    >>> list(c.columns)
    ['audience', 'wave', 'unit', 'item', 'comment', 'n']
    >>> bool((c["n"] >= 10).all())
    True
    """
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a DataFrame, got {type(responses).__name__}")
    k = load_policy(policy)["min_comments"]
    tree = Units(units)
    items = [it.id for it in survey.items_with_role("comment")]
    for col in ("wave", "team", *items):
        if col not in responses.columns:
            raise ValueError(f"responses has no column {col!r}")
    if responses["wave"].isna().any():
        raise ValueError("responses has rows without a wave")
    team = _team_units(responses["team"], tree)
    words = roster_words(roster)
    published = []
    waves = responses["wave"].astype("str").to_numpy(dtype=object)
    seen: set[str] = set()  # texts unique in an earlier wave and published there
    for wave in sorted(set(waves)):
        rows = np.flatnonzero(waves == wave)
        home, n = _placement(team[rows], tree, k)
        texts = {}
        for item in items:
            text = scrub_text(responses[item].iloc[rows].astype("str"), **words).str.strip()
            texts[item] = text.where(text != "")
        key = [t.dropna().str.casefold().str.split().str.join(" ") for t in texts.values()]
        key = pd.concat(key) if key else pd.Series(dtype="str")
        once = set(key[~key.duplicated(keep=False)])  # texts that only one person wrote this wave
        for item in items:
            text = texts[item]
            norm = text.str.casefold().str.split().str.join(" ")
            # a text only one person wrote, already published in an earlier wave where only one
            # person wrote it too, is not published again: the two comment sets it would appear
            # in could be intersected to narrow down who wrote it
            repeat = norm.isin(seen & once).to_numpy()
            keep = text.notna().to_numpy() & (home >= 0) & ~repeat
            seen |= set(norm[keep & norm.isin(once).to_numpy()])
            if keep.any():
                published.append(
                    pd.DataFrame(
                        {
                            "wave": wave,
                            "unit": home[keep],
                            "item": item,
                            "comment": text.to_numpy(dtype=object)[keep],
                            "n": n[home[keep]],
                        }
                    )
                )
    if published:
        table = pd.concat(published, ignore_index=True)
    else:
        table = pd.DataFrame({"wave": [], "unit": np.array([], np.int64), "item": [], "comment": [], "n": []})
    return _audiences(table, tree, audiences)


def _team_units(teams: pd.Series, tree: Units) -> np.ndarray:
    names = teams.astype("str").to_numpy(dtype=object)
    lookup = {t: tree.index.get(t, -1) for t in pd.unique(names)}
    unknown = sorted(str(t) for t, u in lookup.items() if u < 0 or tree.kinds[u] != "team")
    if unknown:
        raise ValueError(f"responses name teams that are not team units of units: {unknown[:5]}")
    return np.array([lookup[t] for t in names], dtype=np.int64)


def _placement(team: np.ndarray, tree: Units, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each respondent, the unit where their comments are published (-1: nowhere), and per
    unit the respondents behind the set published there."""
    count = np.bincount(team, minlength=tree.size)
    pool = np.zeros(tree.size, np.int64)  # respondents waiting at a unit, from teams not yet shown
    members: list[list[int]] = [[] for _ in range(tree.size)]  # the teams in that pool
    where = np.full(tree.size, -1, np.int64)  # per team: the unit that publishes its comments
    n = np.zeros(tree.size, np.int64)
    for u in np.argsort(-tree.depth, kind="stable"):  # children before their parents
        if tree.kinds[u] == "team" and count[u]:
            pool[u] += count[u]
            members[u].append(int(u))
        if not pool[u]:
            continue
        if pool[u] >= k:
            where[members[u]] = u
            n[u] = pool[u]
        elif tree.parent_index[u] >= 0:
            pool[tree.parent_index[u]] += pool[u]
            members[tree.parent_index[u]].extend(members[u])
        members[u] = []
    return where[team], n


def _audiences(table: pd.DataFrame, tree: Units, keep: Iterable[str] | None) -> pd.DataFrame:
    """Each audience's comments: the analyst all; a manager their team's path from the root; a
    leader their unit's subtree. Sorted by audience, wave, unit, item, then text."""
    teams = np.flatnonzero(tree.kinds == "team")
    heads = np.flatnonzero(tree.kinds != "team")
    names = [
        "analyst",
        *(f"manager:{tree.names[t]}" for t in teams),
        *(f"leader:{tree.names[h]}" for h in heads),
    ]
    if keep is not None:
        keep = [keep] if isinstance(keep, str) else list(keep)
        bad = [a for a in keep if a not in set(names)]
        if bad:
            raise ValueError(
                f"audiences must be analyst, manager:<team> or leader:<unit> of units; got {bad[:5]}"
            )
    wanted = names if keep is None else [a for a in names if a in set(keep)]
    unit = table["unit"].to_numpy(dtype=np.int64)
    parts = []
    for audience in wanted:
        if audience == "analyst":
            sel = np.ones(len(table), bool)
        else:
            kind, _, who = audience.partition(":")
            u = tree.index[who]
            if kind == "manager":  # the team and the units above it
                sel = np.isin(unit, tree.path[u][tree.path[u] >= 0])
            else:  # the unit and every unit below it
                sel = tree.path[unit, tree.depth[u]] == u if len(unit) else np.zeros(0, bool)
        if sel.any():
            parts.append(table[sel].assign(audience=audience))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "n" else "str") for c in COMMENT_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["unit"] = np.asarray(tree.names, dtype=object)[out["unit"].to_numpy(dtype=np.int64)]
    out["sort"] = out["comment"].str.casefold()
    out["order"] = out["audience"].map({a: i for i, a in enumerate(names)})
    out = out.sort_values(["order", "wave", "unit", "item", "sort", "comment"], kind="stable")
    out = out[list(COMMENT_COLUMNS)].reset_index(drop=True)
    return out.astype({c: "str" for c in COMMENT_COLUMNS if c != "n"} | {"n": "int64"})
