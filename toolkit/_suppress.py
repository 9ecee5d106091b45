r"""Cell suppression over linear relations ``total = sum(members)`` (private to :mod:`toolkit.disclosure`).

A *cell* is one published group of respondents (a unit, a cut, a wave, a measure family) with
its respondent count ``n``. A *relation* says that the respondents of one cell (the total) are
exactly the union of the respondents of other cells (the members), e.g. a parent unit and its
children, or a unit and the cuts of one demographic item (plus a never-published cell for those
who did not answer the item). :func:`protect` hides cells until, in every relation whose total is
published, the hidden members that have respondents are either none, or at least two that
together hold at least ``threshold`` respondents; otherwise it hides the smallest published
member (ties: lowest cell index), or the total when no member is left to hide. It repeats until
nothing changes, so the result is deterministic and stable. *Soft* cells are hidden only because
they are not released (the cadence cuts below a division): a soft cell of at least ``threshold``
respondents that is derivable from visible cells counts as visible in every relation.
"""

from __future__ import annotations

import numpy as np


def protect(
    n: np.ndarray,
    hidden: np.ndarray,
    totals: np.ndarray,
    member_group: np.ndarray,
    member_cell: np.ndarray,
    threshold: int,
    soft: np.ndarray | None = None,
    prefer: np.ndarray | None = None,
) -> np.ndarray:
    """Complementary suppression: the hidden mask after every relation is safe.

    Parameters
    ----------
    n : ndarray of int
        Respondents per cell.
    hidden : ndarray of bool
        Cells hidden before (primary suppression and cells that are never published).
    totals : ndarray of int
        The total cell of each relation.
    member_group, member_cell : ndarray of int
        One entry per (relation, member cell).
    threshold : int
        The minimum number of respondents a hidden set must hold together.
    soft : ndarray of bool, optional
        Hidden cells that are only *not released* (like the cadence cuts of a team): one of at
        least ``threshold`` respondents may become derivable, and then counts as published in
        every other relation; when a derivable soft cell would reveal a small group, the smallest
        ``prefer`` cell of the relations that derive it is hidden.
    prefer : ndarray of bool, optional
        The published cells that may be hidden when a soft cell must stop being derivable (the
        released cells of the item whose other cells are soft). A soft cell derivable from other
        cells alone adds nothing to them, and is left as it is.

    Returns
    -------
    ndarray of bool
        The new hidden mask (the input is not modified).

    Examples
    --------
    >>> n = np.array([7, 5, 2])  # a parent of 7 and its children of 5 and 2
    >>> protect(n, n < 3, np.array([0]), np.array([0, 0]), np.array([1, 2]), 3).tolist()
    [False, True, True]
    """
    hidden = hidden.copy()
    if len(totals) == 0:
        return hidden
    soft = np.zeros(len(n), bool) if soft is None else soft & hidden & (n >= threshold)
    prefer = np.zeros(len(n), bool) if prefer is None else prefer
    groups = len(totals)
    mem_n = n[member_cell].astype(np.float64)
    positive = mem_n > 0
    tot_pos = n[totals] > 0
    while True:
        visible, why = _reveal(hidden, soft, totals, member_group, member_cell, positive, groups)
        hid = ~visible[member_cell] & positive
        cnt = np.bincount(member_group, weights=hid, minlength=groups)
        tot = np.bincount(member_group, weights=np.where(hid, mem_n, 0.0), minlength=groups)
        bad = visible[totals] & tot_pos & (cnt >= 1) & ((cnt == 1) | (tot < threshold))
        if not bad.any():
            return hidden
        cand = bad[member_group] & ~hidden[member_cell] & positive
        g, c, v = member_group[cand], member_cell[cand], mem_n[cand]
        order = np.lexsort((c, v, g))
        g, c = g[order], c[order]
        first = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
        hidden[c[first]] = True
        served = np.zeros(groups, bool)
        served[g[first]] = True
        # no published member left: a derivable soft member is made underivable, else the total hidden
        derived = bad[member_group] & ~served[member_group] & hidden[member_cell] & visible[member_cell]
        derived &= positive
        has_derived = np.bincount(member_group[derived], minlength=groups) > 0
        rest = np.flatnonzero(bad & ~served & ~has_derived)
        plain = totals[rest][~hidden[totals[rest]]]
        hidden[plain] = True
        if len(c) or len(plain):
            continue  # derivations are recomputed before any soft cell is made underivable
        changed = False
        for k in np.flatnonzero(bad & ~served):
            start = member_cell[derived & (member_group == k)].tolist()
            if hidden[totals[k]]:
                start.append(int(totals[k]))
            changed |= _unreveal(start, hidden, why, n, totals, member_group, member_cell, prefer)
        if not changed:  # derivable from cells that may not be hidden for it: as without soft cells
            return hidden


def _reveal(hidden, soft, totals, member_group, member_cell, positive, groups):
    """Which cells are visible: published ones, and soft cells derivable from visible ones.

    ``why[c]`` is the relation that made soft cell ``c`` derivable (``-1`` otherwise).
    """
    visible = ~hidden
    why = np.full(len(hidden), -1, np.int64)
    if not soft.any():
        return visible, why
    while True:
        hid = ~visible[member_cell] & positive
        cnt = np.bincount(member_group, weights=hid, minlength=groups)
        # a visible total with one hidden member: the member is derivable
        one = visible[totals][member_group] & (cnt[member_group] == 1) & hid & soft[member_cell]
        # every member visible: the total is derivable
        full = ~visible[totals] & soft[totals] & (cnt == 0)
        if not one.any() and not full.any():
            return visible, why
        cells, grp = member_cell[one], member_group[one]
        visible[cells] = True
        why[cells] = grp
        g = np.flatnonzero(full)
        visible[totals[g]] = True
        why[totals[g]] = g


def _unreveal(cells, hidden, why, n, totals, member_group, member_cell, prefer) -> bool:
    """Hide the smallest published ``prefer`` cell of the relations that make the soft ``cells``
    derivable (following soft cells back). False when there is none."""
    todo, seen, found = list(cells), set(), []
    while todo:
        c = todo.pop()
        if c in seen or why[c] < 0:
            continue
        seen.add(c)
        g = why[c]
        cells = np.r_[totals[g], member_cell[member_group == g]]
        found.append(cells[~hidden[cells] & (n[cells] > 0)])
        todo += [int(x) for x in cells if x != c and hidden[x]]
    hideable = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    hideable = hideable[prefer[hideable]]
    if not len(hideable):
        return False
    hidden[hideable[np.lexsort((hideable, n[hideable]))[0]]] = True
    return True
