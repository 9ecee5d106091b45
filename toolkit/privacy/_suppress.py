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
    """
    published = candidate.copy()
    total = counts.sum(axis=2)
    U, L = published.shape
    while True:
        owner = owners(parent, depth, published)
        atom = atom_sums(owner, teams, team_counts)
        bad = published & ((atom > 0) & (atom < threshold)).any(axis=2)
        if not bad.any():
            return published
        # the published units whose nearest published ancestor is a bad unit, with people in their atom
        up = np.where(parent[:, None] >= 0, owner[np.maximum(parent, 0)], -1)
        dd, ll = np.nonzero(published & (up >= 0) & (atom.sum(axis=2) > 0))
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
