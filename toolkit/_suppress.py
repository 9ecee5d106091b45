r"""Cell suppression over linear relations ``total = sum(members)`` (private to :mod:`toolkit.disclosure`).

A *cell* is one published group of respondents (a unit, a cut, a wave, a measure family) with
its respondent count ``n``. A *relation* says that the respondents of one cell (the total) are
exactly the union of the respondents of other cells (the members), e.g. a parent unit and its
children, or a unit and the cuts of one demographic item (plus a never-published cell for those
who did not answer the item). :func:`protect` hides cells until, in every relation whose total is
published, the hidden members that have respondents are either none, or at least two that
together hold at least ``threshold`` respondents; otherwise it hides the smallest published
member (ties: lowest cell index), or the total when no member is left to hide. It repeats until
nothing changes, so the result is deterministic and stable.
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
    groups = len(totals)
    mem_n = n[member_cell].astype(np.float64)
    positive = mem_n > 0
    tot_pos = n[totals] > 0
    while True:
        hid = hidden[member_cell] & positive
        cnt = np.bincount(member_group, weights=hid, minlength=groups)
        tot = np.bincount(member_group, weights=np.where(hid, mem_n, 0.0), minlength=groups)
        bad = ~hidden[totals] & tot_pos & (cnt >= 1) & ((cnt == 1) | (tot < threshold))
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
        hidden[totals[bad & ~served]] = True
