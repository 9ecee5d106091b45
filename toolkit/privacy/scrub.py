"""Scrub direct identifiers out of free text.

Respondents sometimes sign a comment with their name or leave an email address. Free text
leaves ingest only after :func:`scrub_text` has replaced every email address and every name
from the roster; reports scrub again before a comment is shown.

The rules are those of two regular expressions, applied in turn: every email address (the
roster's, then anything shaped like one), then every roster name as a whole word, the longest
first. Built from a whole roster and applied to every comment, such an expression costs rows
times names (a million comments against a million-person roster took 43 s). :class:`Scrubber`
finds the same matches with lookups instead: comments without an ``@`` cannot hold an address,
and names are looked up token by token (:mod:`toolkit.privacy._textscan`); the tests compare both on
generated comments.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.privacy._textscan import NameMatcher, decode, fold_map

__all__ = ["EMAIL_PATTERN", "Scrubber", "roster_words", "scrub_text"]

#: Anything shaped like an email address (deliberately broad: a false hit only hides text).
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_NAME_MIN = 3
_EMAIL = re.compile(EMAIL_PATTERN, re.IGNORECASE)
_CHUNK_BYTES = 1 << 23  # texts are scanned in pieces of about 8 MB, to bound memory


def scrub_text(
    texts: pd.Series,
    *,
    names: Iterable[str] = (),
    given_names: Iterable[str] = (),
    emails: Iterable[str] = (),
    name_mark: str = "[name]",
    email_mark: str = "[email]",
) -> pd.Series:
    """Replace email addresses and known names in free text.

    Every email address (any text shaped like one, plus the given ``emails``) becomes
    ``[email]``; every name becomes ``[name]``. Names match whole words, longest first, so
    that "Ana Lopez" is replaced whole rather than leaving "Lopez". ``names`` (full names and
    surnames) match in any case. ``given_names`` (first names, and names shorter than 3
    letters such as the surname "Xu") match only when written with their capital letter, so
    that a first name that is also a word ("Will", "Mark", "Grace") hides the name but not the
    word ("I will"); everything after the first letter matches in any case. Names of one
    letter are ignored. :func:`roster_words` makes all three lists from a roster.

    Parameters
    ----------
    texts : Series
        Free text; missing values stay missing. The input is not changed.
    names, given_names, emails : iterables of str
        Names and addresses to remove (see :func:`roster_words`).

    Returns
    -------
    Series
        Of dtype ``str``, same index.

    Examples
    --------
    >>> s = pd.Series(["Thanks! Ana Lopez (ana.lopez@example.org)", "lopez said no", None])
    >>> scrub_text(s, names=["Ana Lopez", "Lopez"]).tolist()
    ['Thanks! [name] ([email])', '[name] said no', nan]
    >>> s = pd.Series(["Will said I will ask Xu, not xu", "ANA and ana"])
    >>> scrub_text(s, given_names=["Will", "Xu", "Ana"]).tolist()
    ['[name] said I will ask [name], not xu', '[name] and ana']
    """
    if not isinstance(texts, pd.Series):
        raise TypeError(f"texts must be a pandas Series, got {type(texts).__name__}")
    scrubber = Scrubber(
        names=names, given_names=given_names, emails=emails, name_mark=name_mark, email_mark=email_mark
    )
    return scrubber(texts)


class Scrubber:
    """:func:`scrub_text` with its names and addresses prepared once, for several columns.

    Parameters are those of :func:`scrub_text`. The names are compiled on first use.

    Examples
    --------
    >>> scrub = Scrubber(**roster_words(pd.DataFrame({"name": ["Ana Lopez"], "email": ["al@x.org"]})))
    >>> scrub(pd.Series(["Ana wrote to AL@X.ORG", "ask lopez"])).tolist()
    ['[name] wrote to [email]', 'ask [name]']
    """

    def __init__(
        self,
        *,
        names: Iterable[str] = (),
        given_names: Iterable[str] = (),
        emails: Iterable[str] = (),
        name_mark: str = "[name]",
        email_mark: str = "[email]",
    ):
        self._names = [n for n in names if isinstance(n, str)]
        self._given = [n for n in given_names if isinstance(n, str)]
        self._literals = _stripped_unique(emails)
        self.name_mark, self.email_mark = name_mark, email_mark
        self._matcher: NameMatcher | None = None
        self._addresses: _Addresses | None = None

    def prepare(self) -> Scrubber:
        """Compile the names and addresses now (else on first use); returns the scrubber."""
        if self._matcher is None and (self._names or self._given):
            self._matcher = NameMatcher(self._names, self._given)
        if self._addresses is None:
            self._addresses = _Addresses(self._literals)
        return self

    @classmethod
    def of_roster(cls, roster: pd.DataFrame | None) -> Scrubber:
        """The scrubber of a roster's names and emails (:func:`roster_words`), compiled."""
        return cls(**roster_words(roster)).prepare()

    def __call__(self, texts: pd.Series) -> pd.Series:
        """``texts`` with every address and name replaced (``str``, same index, missing stays missing)."""
        if not isinstance(texts, pd.Series):
            raise TypeError(f"texts must be a pandas Series, got {type(texts).__name__}")
        out = texts.astype("str")
        present = out.notna().to_numpy()
        if not present.any():
            return out
        values = _large(pa.array(out.array[present]))
        values = self._without_addresses(values)
        if self._names or self._given:
            values = self._without_names(values)
        if present.all():
            full = values
        else:
            full = pc.replace_with_mask(_large(pa.array(out.array)), pa.array(present), values)
        return pd.Series(pd.array(full, dtype="str"), index=out.index, name=out.name)

    def _without_addresses(self, values: pa.LargeStringArray) -> pa.LargeStringArray:
        if self._addresses is None:
            self._addresses = _Addresses(self._literals)
        found = self._addresses
        rows = (
            np.arange(len(values))
            if found.bare
            else np.flatnonzero(pc.match_substring(values, "@").to_numpy(zero_copy_only=False))
        )
        if len(rows) == 0:
            return values
        texts = values.take(pa.array(rows)).to_pylist()
        new = found.replace(texts, self.email_mark)
        changed = np.array([a != b for a, b in zip(texts, new, strict=True)], dtype=bool)
        if not changed.any():
            return values
        mask = np.zeros(len(values), dtype=bool)
        mask[rows[changed]] = True
        replacements = pa.array([t for t, c in zip(new, changed, strict=True) if c], type=pa.large_string())
        return pc.replace_with_mask(values, pa.array(mask), replacements)

    def _without_names(self, values: pa.LargeStringArray) -> pa.LargeStringArray:
        if self._matcher is None:
            self._matcher = NameMatcher(self._names, self._given)
        matcher, mark = self._matcher, self.name_mark
        pieces = []
        for chunk in _chunks(values):
            text, u, starts = decode(chunk)
            rows, first, end, regex_rows, words = matcher.find(u, starts)
            new: dict[int, str] = {}
            starts_l = starts.tolist()
            # most texts name one person: one slice either side of the mark
            alone = np.ones(len(rows), dtype=bool)
            alone[1:] &= rows[1:] != rows[:-1]
            alone[:-1] &= rows[:-1] != rows[1:]
            one = rows[alone]
            new.update(
                zip(
                    one.tolist(),
                    [
                        text[a:f] + mark + text[e:b]
                        for a, f, e, b in zip(
                            starts[one].tolist(), first[alone].tolist(), end[alone].tolist(),
                            starts[one + 1].tolist(), strict=True,
                        )
                    ],
                    strict=True,
                )
            )  # fmt: skip
            several = ~alone
            rows_l, first_l, end_l = rows[several].tolist(), first[several].tolist(), end[several].tolist()
            i = 0
            while i < len(rows_l):
                r, pos, parts = rows_l[i], starts_l[rows_l[i]], []
                while i < len(rows_l) and rows_l[i] == r:
                    parts += (text[pos : first_l[i]], mark)
                    pos = end_l[i]
                    i += 1
                parts.append(text[pos : starts_l[r + 1]])
                new[r] = "".join(parts)
            special = np.flatnonzero(regex_rows).tolist()
            if special:
                pattern = _name_regex(*matcher.relevant(words))
                for r in special:
                    new[r] = pattern.sub(mark, text[starts_l[r] : starts_l[r + 1]]) if pattern else None
                new = {r: t for r, t in new.items() if t is not None}
            if new:
                order = sorted(new)
                mask = np.zeros(len(chunk), dtype=bool)
                mask[order] = True
                chunk = pc.replace_with_mask(
                    chunk, pa.array(mask), pa.array([new[r] for r in order], type=pa.large_string())
                )
            pieces.append(chunk)
        return pa.concat_arrays(pieces) if len(pieces) > 1 else pieces[0]


class _Addresses:
    """The roster's email addresses, found in a text as ``re.IGNORECASE`` would.

    An address with an ``@`` is looked up by the text before its first ``@`` (``local``), so
    that a comment is only compared with the addresses whose local part it holds; an address
    without one (a roster's "n/a") is searched for in every text.
    """

    def __init__(self, literals: pa.LargeStringArray):
        has_at = pc.match_substring(literals, "@")
        with_at = literals.filter(has_at)
        bare = literals.filter(pc.invert(has_at)).to_pylist()
        self.bare = sorted({x.translate(fold_map()) for x in bare}) if bare else []
        self._local_lengths: list[int] = []
        self._locals = pa.array([], type=pa.large_string())
        if len(with_at):
            folded = _folded(with_at)
            self._folded = folded
            self._locals = pc.list_element(pc.split_pattern(folded, "@", max_splits=1), 0)
            lengths = pc.unique(pc.utf8_length(self._locals)).to_numpy()
            self._local_lengths = sorted(int(x) for x in lengths)

    def replace(self, texts: list[str], mark: str) -> list[str]:
        """Every text with every address replaced: at each position the roster's addresses first
        (the longest), then anything shaped like an address, as one alternation would."""
        folding = fold_map()
        folded = [t.translate(folding) for t in texts]
        found: list[dict[int, int]] = [{} for _ in texts]
        for i, f in enumerate(folded):
            for lit in self.bare:
                at = f.find(lit)
                while at >= 0:
                    found[i][at] = max(found[i].get(at, 0), len(lit))
                    at = f.find(lit, at + 1)
        if self._local_lengths:
            self._find_addresses(folded, found)
        return [_replaced(t, occ, mark) for t, occ in zip(texts, found, strict=True)]

    def _find_addresses(self, folded: list[str], found: list[dict[int, int]]) -> None:
        """Where the roster's addresses with an ``@`` occur: the text before each ``@`` of a text is
        looked up among the addresses' local parts (one lookup for all texts), and only the addresses
        with a local part found are compared."""
        candidates, row, where = [], [], []
        for i, f in enumerate(folded):
            prev, k = -1, f.find("@")
            while k >= 0:
                room = k - prev - 1
                for a in self._local_lengths:
                    if a > room:
                        break
                    candidates.append(f[k - a : k])
                    row.append(i)
                    where.append(k - a)
                prev, k = k, f.find("@", k + 1)
        if not candidates:
            return
        # one pass over the roster's local parts with the few candidates as the lookup table
        wanted = pa.array(sorted(set(candidates)), type=pa.large_string())
        chosen = pc.is_in(self._locals, value_set=wanted)
        by_local: dict[str, list[str]] = {}
        for local, lit in zip(
            self._locals.filter(chosen).to_pylist(), self._folded.filter(chosen).to_pylist(), strict=True
        ):
            by_local.setdefault(local, []).append(lit)
        for j, local in enumerate(candidates):
            f, at = folded[row[j]], where[j]
            for lit in by_local.get(local, ()):
                if f.startswith(lit, at):
                    found[row[j]][at] = max(found[row[j]].get(at, 0), len(lit))


def _replaced(text: str, occurrences: dict[int, int], mark: str) -> str:
    """``text`` with the given roster addresses (start -> length) and anything shaped like an
    address replaced, scanning as the regular expression ``literal|...|EMAIL_PATTERN`` does."""
    starts = sorted(occurrences)
    out, pos, j = [], 0, 0
    while True:
        while j < len(starts) and starts[j] < pos:
            j += 1
        literal = starts[j] if j < len(starts) else None
        m = _EMAIL.search(text, pos)
        if m is None and literal is None:
            break
        if literal is not None and (m is None or literal <= m.start()):
            first, end = literal, literal + occurrences[literal]
        else:
            first, end = m.start(), m.end()
        out += (text[pos:first], mark)
        pos = end
    out.append(text[pos:])
    return "".join(out)


#: What str.strip() removes (Python's white space), for Arrow's utf8_trim.
_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def _stripped_unique(values: Iterable[str]) -> pa.LargeStringArray:
    """The distinct strings of ``values`` (others skipped) as ``str.strip()`` leaves them, without ""."""
    values = values if isinstance(values, list) else list(values)
    try:
        arr = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([v for v in values if isinstance(v, str)], type=pa.large_string())
    arr = pc.unique(pc.utf8_trim(arr.drop_null(), characters=_WHITESPACE))
    return arr.filter(pc.not_equal(arr, ""))


def _large(arr: pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr


def _folded(arr: pa.LargeStringArray) -> pa.LargeStringArray:
    """Every string folded as ``re.IGNORECASE`` compares characters: ASCII text is its lower case
    (the class of ``i`` and of ``s``, ``k`` hold non-ASCII letters, but ASCII ones fold to them),
    the rest character by character."""
    out = pc.ascii_lower(arr)
    other = pc.invert(pc.string_is_ascii(arr))
    if pc.any(other).as_py():
        folding = fold_map()
        mask = other.fill_null(False)
        folded = [t.translate(folding) for t in arr.filter(mask).to_pylist()]
        out = pc.replace_with_mask(out, mask, pa.array(folded, type=pa.large_string()))
    return out


def _chunks(values: pa.LargeStringArray):
    offsets = np.frombuffer(
        values.buffers()[1], dtype=np.int64, count=len(values) + 1, offset=values.offset * 8
    )
    cuts = np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], _CHUNK_BYTES)[1:])
    bounds = [0, *np.unique(cuts).tolist(), len(values)]
    for a, b in itertools.pairwise(bounds):
        if b > a:
            yield values.slice(a, b - a)


def _name_regex(loose: list[str], capital: list[str]) -> re.Pattern | None:
    """The regular expression of the names (the rules the lookups follow, for what they leave)."""
    loose_set = set(loose)
    patterns = [(w, _words(w)) for w in sorted(loose_set)]
    patterns += [(w, _capitalised(w)) for w in sorted(set(capital) - loose_set)]
    if not patterns:
        return None
    # longest first, whole words, with any run of spaces between the parts of a name
    alternatives = "|".join(p for _, p in sorted(patterns, key=lambda wp: len(wp[0]), reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def roster_words(roster: pd.DataFrame | None) -> dict[str, list[str]]:
    """The words of a roster to scrub from free text, as keyword arguments of :func:`scrub_text`.

    From the ``name`` column: ``names`` holds every full name and surname (the last word) of
    3 letters or more; ``given_names`` every other word of a name (first and middle names) and
    the surnames shorter than 3 letters. ``emails`` holds the ``email`` column. Missing columns
    give empty lists.

    Examples
    --------
    >>> words = roster_words(pd.DataFrame({"name": ["Ana Lopez", "Zeynep Xu"], "email": ["a@x.org", None]}))
    >>> words["names"], words["given_names"], words["emails"]
    (['Ana Lopez', 'Lopez', 'Zeynep Xu'], ['Ana', 'Xu', 'Zeynep'], ['a@x.org'])
    """
    if roster is None:
        return {"names": [], "given_names": [], "emails": []}
    if not isinstance(roster, pd.DataFrame):
        raise TypeError(f"roster must be a DataFrame, got {type(roster).__name__}")
    names: set[str] = set()
    given: set[str] = set()
    if "name" in roster.columns:
        # each distinct name once: a roster of a million people holds far fewer names
        distinct = pd.Series(roster["name"].dropna().astype("str").unique(), dtype="str")
        for full in distinct.str.strip().tolist():
            parts = full.split()
            if not parts:
                continue
            names.add(" ".join(parts))
            surname = parts[-1]
            (names if len(surname) >= _NAME_MIN else given).add(surname)
            given.update(parts[:-1])
    emails = roster["email"].dropna().astype("str").tolist() if "email" in roster.columns else []
    return {"names": sorted(names), "given_names": sorted(given - names), "emails": emails}


def _words(name: str) -> str:
    """A name in any case, any run of spaces between its words."""
    return "(?i:" + r"\s+".join(map(re.escape, name.split())) + ")"


def _capitalised(name: str) -> str:
    """A name with its first letter as written, the rest in any case."""
    first, rest = name[0], name[1:]
    return re.escape(first) + ("(?i:" + re.escape(rest) + ")" if rest else "")
