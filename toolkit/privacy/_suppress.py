r"""Disclosure control by respondent sets (private to :mod:`toolkit.privacy.disclosure`).

Every published number is a linear function of the answers of one set of respondents. An attacker
who sees several numbers can combine them linearly, and learns about a *small* set of people
exactly when some combination of the published sets is non-zero on fewer than ``threshold``
people. The functions here choose what to publish so that no such combination exists, under the
structures the release uses (each wave and each measure family on its own, since their unknown
answers never meet in one number):

- **The unit tree** (:func:`protect_tree`). The published units of a layer form a laminar family
  (nested or disjoint), so the combinations of their sets are exactly the functions constant on
  their *atoms*: a published unit's respondents minus those of its nearest published descendants.
  Every atom must hold no respondent or at least ``threshold``. An atom that does not is merged
  with the atom of its smallest published child (that child is hidden), or, with none left, with
  its parent's (the unit itself is hidden). Identical sets at two levels (a division with one
  department) make an empty atom, so they count once.
- **Items.** A construct's mean pools its valid answers (each answer once), so it is the sum of
  its items' sums and adds nothing to them; each item's numbers follow the tree rule above on the
  respondents who answered it validly (:func:`protect_tree` with one count per item).
- **Unanimous differences** (:func:`protect_tree` with ``codes``). An atom of an item's tree is
  a difference of published groups; if all its answers are one code while its unit's are not, the
  difference pins each of its members' answer, so it is merged like a small atom.
- **One-sided groups** (:func:`protect_bands`). A favourable share of 0 or 100 of a group whose
  members answered different numbers of items narrows the score of whoever skipped one; it is
  hidden, and the favourable shares' atoms may not be such groups either.
- **Cuts** (:func:`audit_cuts`). The cuts by demographic and by cadence are published for the
  organisation only, and the attacker is taken to know everyone's cut answers. A combination of the
  cut means with the units' means is :math:`v_i = A(\text{atom}_i) + \sum_a g_a(x_{ia})`. For one
  item, any :math:`g` reduces to the indicator of a set :math:`Q` of published codes, and the best
  :math:`A` per atom leaves :math:`\sum_{\text{atoms}} \min(|Q \cap \text{atom}|, |\bar Q \cap
  \text{atom}|)` people in the combination; for two items, :math:`g = [Q] \pm [R]`. Every such
  count must be zero (the cut is a union of atoms and adds nothing) or at least ``threshold``;
  otherwise the smallest published code involved is hidden, until none is left to find.

Rounding is ignored (the sums are taken as known exactly), which can only make the rules
stricter. The tests' integer-programming adversary (``tests/privacy``) checks the result with
everything a manager, a leader or a department sees.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

#: Sub-atoms processed at once when cut combinations are counted; the combinations already known
#: to isolate enough people are dropped after each block, so large organisations stay fast.
_BLOCK = 2048


def owners(parent: np.ndarray, depth: np.ndarray, published: np.ndarray) -> np.ndarray:
    """The nearest published unit at or above every unit, per layer (``-1`` where there is none).

    Parameters
    ----------
    parent, depth : ndarray of int, shape (U,)
        The unit tree (``-1`` for the root's parent).
    published : ndarray of bool, shape (U, L)

    Examples
    --------
    >>> parent, depth = np.array([-1, 0, 1, 1]), np.array([0, 1, 2, 2])
    >>> owners(parent, depth, np.array([[True], [False], [True], [False]]))[:, 0].tolist()
    [0, 0, 2, 0]
    """
    owner = np.full(published.shape, -1, dtype=np.int64)
    for d in range(int(depth.max()) + 1 if len(depth) else 0):
        at = np.flatnonzero(depth == d)
        above = owner[parent[at]] if d else np.full((len(at), published.shape[1]), -1)
        owner[at] = np.where(published[at], at[:, None], above)
    return owner


def atom_sums(owner: np.ndarray, teams: np.ndarray, team_values: np.ndarray) -> np.ndarray:
    """Sum ``team_values`` (shape ``(U, L, ...)``, non-zero on teams only) into their owners' atoms."""
    out = np.zeros(team_values.shape, dtype=np.float64)
    L = owner.shape[1]
    tt, ll = np.meshgrid(teams, np.arange(L), indexing="ij")
    own = owner[tt, ll]
    ok = own >= 0
    np.add.at(out, (own[ok], ll[ok]), team_values[tt[ok], ll[ok]])
    return out


def protect_tree(
    parent: np.ndarray,
    depth: np.ndarray,
    teams: np.ndarray,
    team_counts: np.ndarray,
    counts: np.ndarray,
    candidate: np.ndarray,
    threshold: int,
    codes: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The published units of every layer: every atom holds nobody or at least ``threshold``.

    Parameters
    ----------
    parent, depth : ndarray of int, shape (U,)
    teams : ndarray of int
        The team units (where respondents are).
    team_counts : ndarray, shape (U, L, J)
        Respondents of each team (zero elsewhere), for ``J`` sets that must all pass (the
        answerers of each item of a construct, say).
    counts : ndarray, shape (U, L, J)
        The same rolled up to every unit.
    candidate : ndarray of bool, shape (U, L)
        Units that may be published (already at or above the threshold in every set).
    threshold : int
    codes : pair of ndarray, shape (U, L, J, C), optional
        The valid answers of each team per set and answer code, and the same rolled up. With
        them, an atom must also not be *unanimous* (one code for all its answers in a set) while
        its unit is not: a difference of published groups would pin each of its members' answer
        while the group shows that others answered differently.

    Returns
    -------
    ndarray of bool, shape (U, L)

    Examples
    --------
    A department of 15 with teams of 6, 6 and 3: the team of 3 is hidden, and so is one team of
    6, since the department minus two published teams would be the 3.

    >>> parent, depth, teams = np.array([-1, 0, 0, 0]), np.array([0, 1, 1, 1]), np.array([1, 2, 3])
    >>> tc = np.array([0, 6, 6, 3], float)[:, None, None]
    >>> cnt = np.array([15, 6, 6, 3], float)[:, None, None]
    >>> protect_tree(parent, depth, teams, tc, cnt, cnt[:, :, 0] >= 5, 5)[:, 0].tolist()
    [True, False, True, False]

    Teams of 6, 3 and 3 under a department of 12, answering one item: the teams of 3 are hidden,
    and everyone in them answered 4 while the team of 6 did not, so the team of 6 is hidden too
    (the department minus it would pin six answers to 4).

    >>> tc = np.zeros((4, 1, 1, 5))
    >>> tc[1, 0, 0], tc[2, 0, 0], tc[3, 0, 0] = [0, 0, 3, 3, 0], [0, 0, 0, 3, 0], [0, 0, 0, 3, 0]
    >>> n = tc.sum(axis=3)
    >>> cnt = n.copy(); cnt[0] = n.sum(axis=0)
    >>> roll = tc.copy(); roll[0] = tc.sum(axis=0)
    >>> protect_tree(parent, depth, teams, n, cnt, cnt[:, :, 0] >= 5, 5, (tc, roll))[:, 0].tolist()
    [True, False, False, False]
    """
    published = candidate.copy()
    total = counts.sum(axis=2)
    if codes is not None:
        several = (codes[1] > 0).sum(axis=3) > 1  # [U, L, J]: the unit's answers differ
    while True:
        owner = owners(parent, depth, published)
        atom = atom_sums(owner, teams, team_counts)
        bad = published & ((atom > 0) & (atom < threshold)).any(axis=2)
        if codes is not None:
            one = (atom_sums(owner, teams, codes[0]) > 0).sum(axis=3) == 1
            bad |= published & (one & several).any(axis=2)
        if not bad.any():
            return published
        _merge(published, owner, parent, bad, atom.sum(axis=2), total)


def _merge(published, owner, parent, bad, atom_n, total) -> None:
    """Merge every bad unit's atom with its smallest published child's (hiding that child, one
    per bad unit), or hide the unit when no published child has people in its atom."""
    U, L = published.shape
    # the published units whose nearest published ancestor is a bad unit, with people in their atom
    up = np.where(parent[:, None] >= 0, owner[np.maximum(parent, 0)], -1)
    dd, ll = np.nonzero(published & (up >= 0) & (atom_n > 0))
    uu = up[dd, ll]
    keep = bad[uu, ll]
    dd, ll, uu = dd[keep], ll[keep], uu[keep]
    order = np.lexsort((dd, total[dd, ll], uu * L + ll))
    dd, ll, uu = dd[order], ll[order], uu[order]
    first = np.r_[True, (uu[1:] != uu[:-1]) | (ll[1:] != ll[:-1])] if len(dd) else np.zeros(0, bool)
    published[dd[first], ll[first]] = False
    served = np.zeros((U, L), bool)
    served[uu[first], ll[first]] = True
    published[bad & ~served] = False


def audit_cuts(
    sub: np.ndarray,
    codes: list[np.ndarray],
    published: list[np.ndarray],
    n: list[np.ndarray],
    threshold: int,
) -> list[np.ndarray]:
    """Hide cut codes until no combination of cuts and atoms isolates 1 to ``threshold - 1`` people.

    Parameters
    ----------
    sub : ndarray of int, shape (R,)
        The (sub-)atom of each respondent of the layer: respondents the published units cannot
        tell apart.
    codes : list of ndarray of int, shape (R,)
        Per cut item, each respondent's code index; the last index (``len(n[a])``) is "no
        answer", never published.
    published : list of ndarray of bool
        Per cut item, which codes are published (at least ``threshold`` respondents).
    n : list of ndarray of int
        Per cut item, the respondents of each code.
    threshold : int

    Returns
    -------
    list of ndarray of bool
        The published codes after the audit (the inputs are not modified).

    Examples
    --------
    Four teams: weekly minus the two all-weekly teams would be the 3 weekly people of a mixed team,
    and biweekly likewise its 5; monthly equals a whole team and adds nothing.

    >>> sub = np.repeat([0, 1, 2, 3], [6, 8, 6, 8])
    >>> cad = np.r_[[0] * 6, [1] * 5 + [0] * 3, [2] * 6, [0] * 8]
    >>> n = np.bincount(cad, minlength=3)
    >>> [p.tolist() for p in audit_cuts(sub, [cad], [n >= 5], [n], 5)]
    [[False, False, True]]
    """
    published = [p.copy() for p in published]
    if not len(sub):
        return published
    S = int(sub.max()) + 1
    while True:
        found = _violation(sub, S, codes, published, threshold)
        if found is None:
            return published
        candidates = [(int(n[a][x]), a, x) for a, x in found]
        _, a, x = min(candidates)
        published[a][x] = False


def _masks(pub: np.ndarray) -> np.ndarray:
    """Every non-empty subset of the published codes, as columns over all codes plus "no answer"."""
    idx = np.flatnonzero(pub)
    k = len(idx)
    m = np.zeros((len(pub) + 1, 2**k - 1))
    for q in range(1, 2**k):
        m[idx[[(q >> b) & 1 == 1 for b in range(k)]], q - 1] = 1.0
    return m


def _table(sub, S, *cols_and_sizes) -> np.ndarray:
    """Counts per sub-atom and code (or code pair), keeping only sub-atoms that are not uniform."""
    flat = sub.astype(np.int64)
    shape = [S]
    for col, size in cols_and_sizes:
        flat = flat * size + col
        shape.append(size)
    t = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape).astype(np.float64)
    t = t.reshape(S, -1)
    mixed = (t > 0).sum(axis=1) > 1
    return t[mixed].reshape([-1, *shape[1:]])


def _violation(sub, S, codes, published, threshold):
    """The codes of one combination that isolates 1 to ``threshold - 1`` people, or None."""
    T = threshold
    masks = [_masks(p) if p.any() else None for p in published]
    for a, m in enumerate(masks):
        if m is None:
            continue
        t = _table(sub, S, (codes[a], m.shape[0]))
        inq = t @ m
        support = np.minimum(inq, t.sum(axis=1, keepdims=True) - inq).sum(axis=0)
        bad = np.flatnonzero((support > 0) & (support < T))
        if len(bad):
            return [(a, x) for x in np.flatnonzero(m[:-1, bad[0]])]
    for a, b in combinations(range(len(codes)), 2):
        if masks[a] is None or masks[b] is None:
            continue
        hit = _pair_violation(sub, S, codes[a], codes[b], masks[a], masks[b], T)
        if hit is not None:
            q, r = hit
            return [(a, x) for x in np.flatnonzero(masks[a][:-1, q])] + [
                (b, y) for y in np.flatnonzero(masks[b][:-1, r])
            ]
    return None


def _pair_violation(sub, S, ca, cb, ma, mb, T):
    """A pair of code sets (Q, R) whose combination ``[Q] + [R]`` or ``[Q] - [R]`` isolates too few."""
    t = _table(sub, S, (ca, ma.shape[0]), (cb, mb.shape[0]))
    nq, nr = ma.shape[1], mb.shape[1]
    same = np.zeros((nq, nr))
    opposite = np.zeros((nq, nr))
    alive = np.ones((nq, nr), bool)
    for start in range(0, len(t), _BLOCK):
        blk = t[start : start + _BLOCK]
        tot = blk.sum(axis=(1, 2))[:, None, None]
        inq = np.einsum("sxy,xq->sq", blk, ma)[:, :, None]
        inr = np.einsum("sxy,yr->sr", blk, mb)[:, None, :]
        c11 = np.einsum("sxy,xq,yr->sqr", blk, ma, mb, optimize=True)
        c10, c01 = inq - c11, inr - c11
        c00 = tot - c11 - c10 - c01
        same += (tot - np.maximum(np.maximum(c00, c10 + c01), c11)).sum(axis=0)
        opposite += (tot - np.maximum(np.maximum(c00 + c11, c10), c01)).sum(axis=0)
        alive &= (same < T) | (opposite < T)
        if not alive.any():
            return None
        # only the pairs still below the threshold are counted further
        if alive.sum() * 4 < alive.size:
            qi, ri = np.nonzero(alive)
            return _pair_rest(t[start + _BLOCK :], ma, mb, qi, ri, same[qi, ri], opposite[qi, ri], T)
    bad = ((same > 0) & (same < T)) | ((opposite > 0) & (opposite < T))
    if bad.any():
        q, r = np.argwhere(bad)[0]
        return int(q), int(r)
    return None


def _pair_rest(t, ma, mb, qi, ri, same, opposite, T):
    """Finish :func:`_pair_violation` for a few surviving pairs over the remaining sub-atoms."""
    for k, (q, r) in enumerate(zip(qi.tolist(), ri.tolist(), strict=True)):
        s, o = same[k], opposite[k]
        if len(t):
            tot = t.sum(axis=(1, 2))
            c11 = np.einsum("sxy,x,y->s", t, ma[:, q], mb[:, r])
            c10 = np.einsum("sxy,x->s", t, ma[:, q]) - c11
            c01 = np.einsum("sxy,y->s", t, mb[:, r]) - c11
            c00 = tot - c11 - c10 - c01
            s += (tot - np.maximum(np.maximum(c00, c10 + c01), c11)).sum()
            o += (tot - np.maximum(np.maximum(c00 + c11, c10), c01)).sum()
        if (0 < s < T) or (0 < o < T):
            return q, r
    return None


def protect_bands(
    tree,
    teams: np.ndarray,
    team_stats: np.ndarray,
    candidate: np.ndarray,
    sensitive: np.ndarray,
) -> np.ndarray:
    """The units whose favourable share is published: no group of members with unequal numbers
    of answers is shown to have answered entirely on one side.

    A favourable share of 0 or 100 confines every answer of the group to one side of the scale.
    When the group's members answered different numbers of the construct's items (someone
    answered "does not apply"), the item means can then pin one item for everyone, and the score
    of whoever skipped another item falls in a narrower range than their teammates' scores: it
    singles them out. Such a group is *sensitive*; its share is hidden, and so is whatever would
    give it back: every atom (a published unit's members minus those of its nearest published
    descendants, whose count is the unit's minus theirs) must not be all on one side with
    unequal numbers of answers, and a sensitive unit must not be covered by atoms all on its
    side. An offending atom is merged with its smallest published child's (that child is
    hidden), or its unit is hidden; a sensitive unit covered by one-sided atoms hides its
    smallest published descendant.

    Parameters
    ----------
    tree : toolkit.units.Units
        The unit tree (its ``parent_index``, ``depth``, ``path`` and ``rollup``).
    teams : ndarray of int
    team_stats : ndarray, shape (U, L, 5)
        Per team (zero elsewhere) and layer: members, their answers, the sum of squares of their numbers of
        answers, favourable answers, answers on a scale with a favourable end (integers).
    candidate : ndarray of bool, shape (U, L)
        Units whose construct mean is published.
    sensitive : ndarray of int, shape (U, L)
        ``1`` where the unit's shown share is 100, ``-1`` where it is 0 and its members' numbers of
        answers differ, else ``0``.

    Returns
    -------
    ndarray of bool, shape (U, L)

    Examples
    --------
    A department of three teams; team 1 answered favourably only, and one of its members skipped
    an item (5 members, 14 answers). Hiding its share alone would leave it as the department's
    minus the other two teams', so the smaller of them is hidden as well.

    >>> import pandas as pd
    >>> from toolkit.units import Units
    >>> def tree(*rows):
    ...     return Units(pd.DataFrame(rows, columns=["unit", "parent", "kind"]))
    >>> org = tree(("org", None, "organisation"), ("t1", "org", "team"), ("t2", "org", "team"),
    ...            ("t3", "org", "team"))
    >>> st = np.zeros((4, 1, 5))
    >>> st[1, 0], st[2, 0], st[3, 0] = [5, 14, 40, 14, 14], [6, 18, 54, 9, 18], [7, 21, 63, 12, 21]
    >>> sens = np.array([0, 1, 0, 0])[:, None]
    >>> protect_bands(org, np.array([1, 2, 3]), st, np.ones((4, 1), bool), sens)[:, 0].tolist()
    [True, False, False, True]

    A department whose two teams each answered favourably only, one answering every item and the
    other skipping one each: the department is one-sided with unequal answers, the teams are not.
    With both teams shown, their shares give the department's; hiding them leaves the
    organisation minus the other team, so that is hidden too.

    >>> org = tree(("org", None, "organisation"), ("d", "org", "department"), ("t1", "d", "team"),
    ...            ("t2", "d", "team"), ("t3", "org", "team"))
    >>> st = np.zeros((5, 1, 5))
    >>> st[2, 0], st[3, 0], st[4, 0] = [5, 15, 45, 15, 15], [5, 10, 20, 10, 10], [6, 18, 54, 9, 18]
    >>> sens = np.array([0, 1, 0, 0, 0])[:, None]
    >>> protect_bands(org, np.array([2, 3, 4]), st, np.ones((5, 1), bool), sens)[:, 0].tolist()
    [True, False, False, False, False]
    """
    parent, depth, path = tree.parent_index, tree.depth, tree.path
    published = candidate & (sensitive == 0)
    n = team_stats[..., 0]
    U = published.shape[0]
    total = tree.rollup(n)
    while True:
        owner = owners(parent, depth, published)
        atom = atom_sums(owner, teams, team_stats)
        an, am, am2, afav, aans = (atom[..., i] for i in range(5))
        side = np.where((aans > 0) & (afav == aans), 1, np.where((aans > 0) & (afav == 0), -1, 0))
        unequal = an * am2 != am * am
        bad = published & (side != 0) & unequal
        # sensitive units all of whose members lie in atoms on the unit's side
        own = owner[teams]
        team_side = np.zeros(published.shape, np.int64)
        team_side[teams] = np.where(own >= 0, np.take_along_axis(side, np.maximum(own, 0), axis=0), 0)
        covered = np.zeros(published.shape, bool)
        for s in (1, -1):
            covered |= (sensitive == s) & (tree.rollup(np.where(team_side != s, n, 0.0)) == 0)
        if not bad.any() and not covered.any():
            return published
        if not bad.any():
            # a covered sensitive unit: hide its smallest published descendant (with none, its
            # members would share one atom above it, one-sided with unequal answers: bad)
            for s_, l_ in zip(*np.nonzero(covered), strict=True):
                inside = np.flatnonzero((path[:, depth[s_]] == s_) & published[:, l_] & (np.arange(U) != s_))
                if len(inside):
                    published[inside[np.argmin(total[inside, l_])], l_] = False
                elif owner[s_, l_] >= 0:
                    published[owner[s_, l_], l_] = False
            continue
        # a bad atom: hide its smallest published child with people in its atom, else the unit
        _merge(published, owner, parent, bad, an, total)
