r"""Find roster names in many texts at once, by the rules of one regular expression, without it.

:func:`toolkit.privacy.scrub.scrub_text` hides roster names in free text. Its rules are those of one
regular expression, ``(?<!\w)(?:name|name|...)(?!\w)``: whole words, the longest name first,
every name in any case except given names, whose first letter must be written as in the roster.
Applied to every text, such an expression costs rows times names (43 s for a million comments
and a million-person roster). This module finds the same matches with lookups, in numpy and Arrow:

* Every text is cut into *tokens*, the runs of word characters (``\w`` exactly as Python's ``re``
  reads it), and the *gaps* between them. A name that begins and ends with a word character can
  only match whole tokens: a name of k words matches k consecutive tokens of one text whose gaps
  equal the name's separators (a run of white space counts as one space where the expression has
  ``\s+``).
* Case: ``re.IGNORECASE`` compares a character's simple lower case, plus a few extra equivalences
  (``re._casefix``: dotless i, long s, Greek symbol forms). :func:`tables` maps every character to
  one representative of its class, so that comparing folded text is the expression's
  case-insensitive comparison, character for character (the tests check this for every character).
* The names form a trie over (word, separator) ids. All tokens walk it at once, and at each token
  the longest name (by its length as written, as the expression orders its alternatives) that
  ends on a token boundary wins; matches do not overlap, the leftmost wins.

What this model does not cover goes back to the regular expression, with only the names that can
occur there (:meth:`NameMatcher.relevant`): names that begin or end with a non-word character
("(Bob)", "Jr."), and texts holding a non-word character that the expression's case rules let match
a word character (U+0345, which matches iota).
"""

from __future__ import annotations

import _sre
import functools
import sys
from re._casefix import _EXTRA_CASES  # the equivalences re.IGNORECASE adds to simple lower case

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["NameMatcher", "decode", "fold_map", "tables"]

_CP_BITS = 21  # a code point fits in 21 bits
_CASED_BELOW = 0x20000
_BUCKET_BITS = 20


@functools.cache
def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Per code point: ``word`` (``\w``), ``space`` (``\s``), ``fold`` and ``hazard``.

    ``fold`` maps a character to the representative of the characters that ``re.IGNORECASE``
    takes for it; ``hazard`` marks the non-word characters whose class holds a word character.
    Built once per process (about 0.3 s), from ``re`` itself.
    """
    import re

    n = sys.maxunicode + 1
    everything = "".join(map(chr, range(n)))
    word = np.zeros(n, dtype=bool)
    for m in re.finditer(r"\w+", everything):
        word[m.start() : m.end()] = True
    space = np.zeros(n, dtype=bool)
    for m in re.finditer(r"\s+", everything):
        space[m.start() : m.end()] = True
    # no character past U+1FFFF has a case (the tests check this for the running Python)
    cased = np.zeros(n, dtype=bool)
    cased[:_CASED_BELOW] = np.fromiter(map(_sre.unicode_iscased, range(_CASED_BELOW)), dtype=bool)
    fold = np.arange(n, dtype=np.uint32)
    for c in np.flatnonzero(cased).tolist():
        lower = _sre.unicode_tolower(c)
        fold[c] = min((lower, *_EXTRA_CASES.get(lower, ())))
    size = np.bincount(fold, minlength=n)
    words = np.bincount(fold, weights=word, minlength=n)
    mixed = (words > 0) & (words < size)
    hazard = mixed[fold] & ~word
    for table in (word, space, fold, hazard):
        table.setflags(write=False)
    return word, space, fold, hazard


@functools.cache
def _first_hazard() -> int:
    hazard = np.flatnonzero(tables()[3])
    return int(hazard[0]) if len(hazard) else sys.maxunicode + 1


@functools.cache
def fold_map() -> dict[int, int]:
    """The fold of :func:`tables` as a ``str.translate`` table."""
    fold = tables()[2]
    moved = np.flatnonzero(fold != np.arange(len(fold), dtype=np.uint32))
    return dict(zip(moved.tolist(), fold[moved].tolist(), strict=True))


def decode(arr: pa.Array) -> tuple[str, np.ndarray, np.ndarray]:
    """The strings of ``arr`` (no nulls) as one Python string, its code points (uint32), and the
    position where each string starts in it (one more than there are strings)."""
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    n = len(arr)
    lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    if buffers[2] is None or offsets[-1] == offsets[0]:
        return "", np.zeros(0, dtype=np.uint32), starts
    text = str(memoryview(buffers[2])[offsets[0] : offsets[-1]], "utf-8")
    return text, np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), starts


def _tokens(u: np.ndarray, starts: np.ndarray, word: np.ndarray):
    """The runs of word characters within each string: first and end position, and string."""
    n = len(u)
    w = word[u]
    row_first = np.zeros(n + 1, dtype=bool)
    row_first[starts] = True
    before = np.zeros(n, dtype=bool)
    before[1:] = w[:-1]
    before &= ~row_first[:n]
    after = np.zeros(n, dtype=bool)
    after[:-1] = w[1:]
    after &= ~row_first[1:]
    first = np.flatnonzero(w & ~before)
    end = np.flatnonzero(w & ~after) + 1
    return w, first, end, _owners(starts, first)


def _owners(starts: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The string each of the sorted ``positions`` is in: the strings are looked up among the
    positions (fewer, and a repeat) rather than every position among the strings."""
    before = np.searchsorted(positions, starts, side="left")
    return np.repeat(np.arange(len(starts) - 1, dtype=np.int64), np.diff(before))


def _ranges(first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``first[i], first[i]+1, ..., first[i]+lengths[i]-1`` for every i, concatenated."""
    total = int(lengths.sum())
    before = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=before[1:])
    return np.repeat(first - before, lengths) + np.arange(total, dtype=np.int64)


def _strings(cps: np.ndarray, lengths: np.ndarray) -> pa.LargeStringArray:
    """Strings made of consecutive runs of code points ``cps``, of the given ``lengths``."""
    ends = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ends[1:])
    data = cps.astype("<u4", copy=False).tobytes().decode("utf-32-le").encode("utf-8")
    offsets = ends
    if len(data) != len(cps):  # UTF-8 takes more than a byte for the few characters past ASCII
        wide = np.flatnonzero(cps >= 0x80)
        extra = 1 + (cps[wide] >= 0x800).astype(np.int64) + (cps[wide] >= 0x10000)
        before = np.zeros(len(wide) + 1, dtype=np.int64)
        np.cumsum(extra, out=before[1:])
        offsets = ends + before[np.searchsorted(wide, ends)]
    return pa.LargeStringArray.from_buffers(len(lengths), pa.py_buffer(offsets), pa.py_buffer(data))


def _gaps(u: np.ndarray, first: np.ndarray, end: np.ndarray, *, collapse: bool) -> pa.LargeStringArray:
    r"""The folded text between ``first`` and ``end``; with ``collapse``, every run of white space
    as one space (what ``\s+`` between two words of a name matches)."""
    _, space, fold, _ = tables()
    lengths = end - first
    idx = _ranges(first, lengths)
    cp = u[idx]
    folded = fold[cp]
    if collapse and len(cp):
        sp = space[cp]
        begins = np.zeros(len(cp), dtype=bool)
        begins[(np.cumsum(lengths) - lengths)[lengths > 0]] = True
        repeat = sp.copy()
        repeat[1:] &= sp[:-1]
        repeat &= ~begins
        repeat[0] = False
        folded = np.where(sp, np.uint32(32), folded)[~repeat]
        gap = np.repeat(np.arange(len(lengths)), lengths)[~repeat]
        lengths = np.bincount(gap, minlength=len(lengths)).astype(np.int64)
    return _strings(folded, lengths)


def _ids(values: pa.Array, vocabulary: pa.Array) -> np.ndarray:
    """The position of each value in ``vocabulary``, -1 when absent (an exact hash lookup)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(values, value_set=vocabulary)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def _pack(high: np.ndarray, low: np.ndarray, bits: int = 32) -> np.ndarray:
    return (high.astype(np.uint64) << np.uint64(bits)) | low.astype(np.uint64)


def _shape(first: np.ndarray, last: np.ndarray, length: np.ndarray) -> np.ndarray:
    """A word's folded first and last letter and its length (up to 255), packed in 50 bits."""
    return (
        (first.astype(np.uint64) << np.uint64(_CP_BITS + 8))
        | (last.astype(np.uint64) << np.uint64(8))
        | np.minimum(length, 255).astype(np.uint64)
    )


def _bucket(shape: np.ndarray) -> np.ndarray:
    """A multiplicative hash of :func:`_shape` to ``_BUCKET_BITS`` bits."""
    return ((shape * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - _BUCKET_BITS)).astype(np.int64)


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``values`` at the position of each ``query`` in the sorted ``keys``, -1 when absent."""
    if len(keys) == 0:
        return np.full(len(query), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], -1)


class _Trie:
    """Names of one kind as a trie over word and separator ids.

    The root's children are keyed by the first word's id (for ``capital`` names, packed with the
    first letter's code point, which must be written as in the roster); every further word is two
    steps, its separator, then its word. ``best[node]`` is the length (as written) of the longest
    name that ends at ``node``, -1 where none does.
    """

    def __init__(self, name, level, word, sep, first_cp, lengths, *, capital: bool):
        self.capital = capital
        empty_keys, empty_nodes = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        self.sep_keys, self.sep_nodes = empty_keys, empty_nodes
        self.word_keys, self.word_nodes = empty_keys, empty_nodes
        self.separators = pc.unique(sep.filter(pa.array(level > 0))) if len(sep) else sep
        top = level == 0
        self.root_keys, inverse = np.unique(self._symbol(word[top], first_cp[top]), return_inverse=True)
        self.root_nodes = np.arange(len(self.root_keys), dtype=np.int64)
        node_of = np.full(len(lengths), -1, dtype=np.int64)
        node_of[name[top]] = inverse
        count = len(self.root_keys)
        sep_keys, sep_nodes, word_keys, word_nodes = [], [], [], []
        for depth in range(1, int(level.max(initial=0)) + 1):
            at = level == depth
            who = name[at]
            sep_id = _ids(sep.filter(pa.array(at)), self.separators)
            keys, inverse = np.unique(_pack(node_of[who], sep_id), return_inverse=True)
            sep_keys.append(keys)
            sep_nodes.append(np.arange(count, count + len(keys), dtype=np.int64))
            mid = count + inverse
            count += len(keys)
            keys, inverse = np.unique(_pack(mid, word[at]), return_inverse=True)
            word_keys.append(keys)
            word_nodes.append(np.arange(count, count + len(keys), dtype=np.int64))
            node_of[who] = count + inverse
            count += len(keys)
        # node_of holds the node each name reached with its last word
        self.best = np.full(count, -1, dtype=np.int64)
        named = np.flatnonzero(node_of >= 0)
        np.maximum.at(self.best, node_of[named], lengths[named])
        if sep_keys:
            self.sep_keys, self.sep_nodes = _sorted(sep_keys, sep_nodes)
            self.word_keys, self.word_nodes = _sorted(word_keys, word_nodes)

    def _symbol(self, word_id: np.ndarray, first_cp: np.ndarray) -> np.ndarray:
        if self.capital:
            return _pack(word_id, first_cp, _CP_BITS)
        return word_id.astype(np.uint64)

    def walk(self, tid, tfirst, tend, trow, u, best_len, best_ext, *, ties: bool) -> None:
        """Record at each token the longest name of this trie that starts there (in place)."""
        if len(self.root_keys) == 0:
            return
        cand = np.flatnonzero(tid >= 0)
        node = _lookup(self.root_keys, self.root_nodes, self._symbol(tid[cand], u[tfirst[cand]]))
        found = node >= 0
        start, node = cand[found], node[found]
        cur, extent, ntok = start, 1, len(tid)
        while len(start):
            _record(best_len, best_ext, start, self.best[node], extent, ties=ties)
            if len(self.sep_keys) == 0:
                return
            nxt = cur + 1
            ok = nxt < ntok
            ok[ok] = (trow[nxt[ok]] == trow[cur[ok]]) & (tid[nxt[ok]] >= 0)
            start, cur, node, nxt = start[ok], cur[ok], node[ok], nxt[ok]
            sid = _ids(_gaps(u, tend[cur], tfirst[nxt], collapse=not self.capital), self.separators)
            ok = sid >= 0
            mid = np.full(len(sid), -1, dtype=np.int64)
            mid[ok] = _lookup(self.sep_keys, self.sep_nodes, _pack(node[ok], sid[ok]))
            ok = mid >= 0
            node = np.full(len(mid), -1, dtype=np.int64)
            node[ok] = _lookup(self.word_keys, self.word_nodes, _pack(mid[ok], tid[nxt[ok]]))
            ok = node >= 0
            start, cur, node = start[ok], nxt[ok], node[ok]
            extent += 1


def _sorted(keys: list[np.ndarray], nodes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    k, v = np.concatenate(keys), np.concatenate(nodes)
    order = np.argsort(k, kind="stable")
    return k[order], v[order]


def _leftmost(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Which of the matches (sorted by ``first``, spanning tokens ``first`` to ``last``) a left-to-right
    scan keeps: a match that starts within one kept before it is skipped."""
    keep = np.ones(len(first), dtype=bool)
    if len(first) < 2:
        return keep
    reach = np.maximum.accumulate(last)
    covered = np.zeros(len(first), dtype=bool)
    covered[1:] = first[1:] <= reach[:-1]
    if not covered.any():
        return keep
    # the match that reaches furthest before each one; when that one is kept (it is covered by
    # none), the ones it covers are skipped. Chains (a covered match covering the next) are rare:
    # they are settled one by one.
    index = np.arange(len(first))
    top = np.maximum.accumulate(np.where(last == reach, index, 0))
    by = np.zeros(len(first), dtype=np.int64)
    by[1:] = top[:-1]
    if not covered[by[covered]].any():
        keep[covered] = False
        return keep
    furthest = -1
    for i, (a, b) in enumerate(zip(first.tolist(), last.tolist(), strict=True)):
        if a > furthest:
            furthest = b
        else:
            keep[i] = False
    return keep


def _record(best_len, best_ext, start, length, extent: int, *, ties: bool) -> None:
    """Keep at each start the longest name; with ``ties``, a name as long that spans more tokens."""
    current = best_len[start]
    better = length > current
    if ties:
        better |= (length == current) & (length >= 0) & (extent > best_ext[start])
    best_len[start[better]] = length[better]
    best_ext[start[better]] = extent


class NameMatcher:
    """The names and given names of :func:`toolkit.privacy.scrub.scrub_text`, ready to be found in texts.

    ``names`` of 3 characters or more (after stripping white space) match in any case, names of
    2 and ``given_names`` of 2 or more only with their first letter as written; shorter ones are
    ignored. Matching names that this model cannot take (see the module's documentation) are
    named by :meth:`relevant`, for the regular expression.
    """

    def __init__(self, names: list[str], given_names: list[str]):
        word, space, fold, hazard = tables()
        entries = pa.array([*names, *given_names], type=pa.large_string())
        n = len(entries)
        text, u, starts = decode(entries)
        self._text = text
        # the name as stripped, where it starts and ends in ``text``
        solid = np.flatnonzero(~space[u])
        owner = _owners(starts, solid)
        first = np.flatnonzero(np.diff(owner, prepend=-1))  # owner is sorted: where each name begins
        rows = owner[first]
        lo, hi = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        lo[rows] = solid[first]
        hi[rows] = solid[np.append(first[1:], len(solid)) - 1] + 1
        length = hi - lo
        is_name = np.arange(n) < len(names)
        self._capital = np.where(is_name, length == 2, length >= 2)
        self._used = self._capital | (is_name & (length >= 3))
        self._lo, self._hi = lo, hi
        w, tfirst, tend, trow = _tokens(u, starts, word)
        n_tokens = np.bincount(trow, minlength=n)
        dubious = np.zeros(n, dtype=bool)  # a character whose case class mixes word and non-word ones
        dubious[np.searchsorted(starts, np.flatnonzero(hazard[u]), side="right") - 1] = True
        self._anywhere = self._used & ((n_tokens == 0) | dubious)
        bounded = np.zeros(n, dtype=bool)
        has = self._used & (length > 0)
        bounded[has] = word[u[lo[has]]] & word[u[hi[has] - 1]]
        self._odd = self._used & ~self._anywhere & ~bounded
        normal = self._used & ~self._anywhere & bounded

        words = _strings(fold[u[w]], tend - tfirst)
        self.vocabulary = pc.unique(words)
        tid = _ids(words, self.vocabulary)
        self._shapes = np.unique(_shape(fold[u[tfirst]], fold[u[tend - 1]], tend - tfirst))
        self._shape_bits = np.zeros(1 << _BUCKET_BITS, dtype=bool)
        self._shape_bits[_bucket(self._shapes)] = True
        level = np.arange(len(trow)) - np.searchsorted(trow, trow, side="left")
        self._first_word = np.full(n, -1, dtype=np.int64)
        self._first_word[trow[level == 0]] = tid[level == 0]
        self.odd_first = np.zeros(len(self.vocabulary), dtype=bool)
        odd_first = self._first_word[self._odd]
        self.odd_first[odd_first[odd_first >= 0]] = True
        self.anywhere = bool(self._anywhere.any())

        self.tries = []
        for capital in (False, True):
            chosen = normal & (self._capital == capital)
            keep = chosen[trow]
            prev = np.flatnonzero(keep) - 1
            gap_first = np.where(level[keep] > 0, tend[np.maximum(prev, 0)], tfirst[keep])
            sep = _gaps(u, gap_first, tfirst[keep], collapse=not capital)
            self.tries.append(
                _Trie(
                    trow[keep],
                    level[keep],
                    tid[keep],
                    sep,
                    u[tfirst[keep]],
                    length,
                    capital=capital,
                )
            )

    def find(self, u: np.ndarray, starts: np.ndarray):
        """The matches in the texts ``u`` (code points; ``starts`` as from :func:`decode`).

        Returns ``(rows, first, end, regex_rows)``: for each match the text it is in (0-based) and
        its character positions in ``u`` (the leftmost of overlapping matches is kept); and the
        texts left to the regular expression (boolean; their matches are not listed), and the ids
        of the words found in them (``None`` when every name must be tried there), for
        :meth:`relevant`.
        """
        word, _, _, hazard = tables()
        n_rows = len(starts) - 1
        _, tfirst, tend, trow = _tokens(u, starts, word)
        tid = self._word_ids(u, tfirst, tend)
        hazard_rows = np.zeros(n_rows, dtype=bool)
        if len(u) and u.max() >= _first_hazard():
            hazard_rows[np.searchsorted(starts, np.flatnonzero(hazard[u]), side="right") - 1] = True
        regex_rows = hazard_rows | self.anywhere
        known = tid >= 0
        if self.odd_first.any():
            odd = np.zeros(len(tid), dtype=bool)
            odd[known] = self.odd_first[tid[known]]
            regex_rows[trow[odd]] = True
        best_len = np.full(len(tid), -1, dtype=np.int64)
        best_ext = np.zeros(len(tid), dtype=np.int64)
        for trie in self.tries:
            trie.walk(tid, tfirst, tend, trow, u, best_len, best_ext, ties=not trie.capital)
        at = np.flatnonzero(best_len >= 0)
        if regex_rows.any():
            at = at[~regex_rows[trow[at]]]
        last = at + best_ext[at] - 1
        chosen = _leftmost(at, last)
        at, last = at[chosen], last[chosen]
        every = self.anywhere or bool(hazard_rows.any())
        words = None if every or not regex_rows.any() else np.unique(tid[known & regex_rows[trow]])
        return trow[at], tfirst[at], tend[last], regex_rows, words

    def _word_ids(self, u: np.ndarray, tfirst: np.ndarray, tend: np.ndarray) -> np.ndarray:
        """Each token's id in the vocabulary of name words, -1 when it is none. Only the tokens
        shaped like a name word (first and last letter folded, length) are folded and looked up:
        about a fifth of a comment's words."""
        fold = tables()[2]
        tid = np.full(len(tfirst), -1, dtype=np.int64)
        if len(tfirst) == 0 or len(self._shapes) == 0:
            return tid
        length = tend - tfirst
        shape = _shape(fold[u[tfirst]], fold[u[tend - 1]], length)
        maybe = np.flatnonzero(self._shape_bits[_bucket(shape)])  # a superset, then exactly:
        pos = np.minimum(np.searchsorted(self._shapes, shape[maybe]), len(self._shapes) - 1)
        maybe = maybe[self._shapes[pos] == shape[maybe]]
        if len(maybe):
            cps = fold[u[_ranges(tfirst[maybe], length[maybe])]]
            tid[maybe] = _ids(_strings(cps, length[maybe]), self.vocabulary)
        return tid

    def relevant(self, words: np.ndarray | None) -> tuple[list[str], list[str]]:
        """The names (any case) and capitalised names that can occur in texts holding the word ids
        ``words`` (every name when ``None``): for the regular expression."""
        chosen = self._used.copy()
        if words is not None:
            present = np.zeros(len(self.vocabulary), dtype=bool)
            present[words] = True
            first = self._first_word
            chosen &= self._anywhere | ((first >= 0) & present[np.maximum(first, 0)])
        idx = np.flatnonzero(chosen)
        strings = [
            self._text[a:b] for a, b in zip(self._lo[idx].tolist(), self._hi[idx].tolist(), strict=True)
        ]
        capital = self._capital[idx].tolist()
        loose = [s for s, c in zip(strings, capital, strict=True) if not c]
        return loose, [s for s, c in zip(strings, capital, strict=True) if c]
