"""Scrub direct identifiers out of free text.

Respondents sometimes sign a comment with their name or leave an email address. Free text
leaves ingest only after :func:`scrub_text` has replaced every email address and every name
from the roster; reports scrub again before a comment is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["EMAIL_PATTERN", "roster_words", "scrub_text"]

#: Anything shaped like an email address (deliberately broad: a false hit only hides text).
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_NAME_MIN = 3


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
    out = texts.astype("str")
    if out.dropna().empty:
        return out
    literal = sorted({e.strip() for e in emails if isinstance(e, str) and e.strip()}, key=len, reverse=True)
    email_re = "|".join([*map(re.escape, literal), EMAIL_PATTERN])
    out = out.str.replace(email_re, email_mark, regex=True, flags=re.IGNORECASE)
    loose = {n.strip() for n in names if isinstance(n, str) and len(n.strip()) >= _NAME_MIN}
    capital = {n.strip() for n in given_names if isinstance(n, str) and len(n.strip()) >= 2}
    capital |= {n.strip() for n in names if isinstance(n, str) and len(n.strip()) == 2}
    patterns = [(w, _words(w)) for w in loose] + [(w, _capitalised(w)) for w in capital - loose]
    if patterns:
        # longest first, whole words, with any run of spaces between the parts of a name
        alternatives = "|".join(p for _, p in sorted(patterns, key=lambda wp: len(wp[0]), reverse=True))
        out = out.str.replace(rf"(?<!\w)(?:{alternatives})(?!\w)", name_mark, regex=True)
    return out


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
        for full in roster["name"].dropna().astype("str").str.strip():
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
