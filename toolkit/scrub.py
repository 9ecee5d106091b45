"""Scrub direct identifiers out of free text.

Respondents sometimes sign a comment with their name or leave an email address. Free text
leaves ingest only after :func:`scrub_text` has replaced every email address and every name
from the roster; reports scrub again before a comment is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["EMAIL_PATTERN", "scrub_text"]

#: Anything shaped like an email address (deliberately broad: a false hit only hides text).
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_NAME_MIN = 3


def scrub_text(
    texts: pd.Series,
    *,
    names: Iterable[str] = (),
    emails: Iterable[str] = (),
    name_mark: str = "[name]",
    email_mark: str = "[email]",
) -> pd.Series:
    """Replace email addresses and known names in free text.

    Every email address (any text shaped like one, plus the given ``emails``) becomes
    ``[email]``; every given name becomes ``[name]``. Names match whole words, ignoring case,
    longest first, so that "Ana Lopez" is replaced whole rather than leaving "Lopez". Pass
    full names and surnames from the roster; a name shorter than 3 characters is ignored
    (it would hide ordinary words).

    Parameters
    ----------
    texts : Series
        Free text; missing values stay missing. The input is not changed.
    names, emails : iterables of str
        Names and addresses to remove, typically the roster's ``name`` and ``email``.

    Returns
    -------
    Series
        Of dtype ``str``, same index.

    Examples
    --------
    >>> s = pd.Series(["Thanks! Ana Lopez (ana.lopez@example.org)", "lopez said no", None])
    >>> scrub_text(s, names=["Ana Lopez", "Lopez"]).tolist()
    ['Thanks! [name] ([email])', '[name] said no', nan]
    """
    if not isinstance(texts, pd.Series):
        raise TypeError(f"texts must be a pandas Series, got {type(texts).__name__}")
    out = texts.astype("str")
    if out.dropna().empty:
        return out
    literal = sorted({e.strip() for e in emails if isinstance(e, str) and e.strip()}, key=len, reverse=True)
    email_re = "|".join([*map(re.escape, literal), EMAIL_PATTERN])
    out = out.str.replace(email_re, email_mark, regex=True, flags=re.IGNORECASE)
    words = sorted(
        {n.strip() for n in names if isinstance(n, str) and len(n.strip()) >= _NAME_MIN},
        key=len,
        reverse=True,
    )
    if words:
        # whole words, with any run of spaces between the parts of a name
        alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        out = out.str.replace(rf"(?<!\w)(?:{alternatives})(?!\w)", name_mark, regex=True, flags=re.IGNORECASE)
    return out
