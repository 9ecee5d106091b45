"""Which export column answers which survey item, and answers as the survey's codes.

Shared by every platform reader. A column is matched to an item, in this order of
preference, by: the item id (exactly); the Qualtrics ImportId (``QID7``) when the survey
gives one (as an alias); the item id ignoring case (and, for Kobo, the last segment of a
group path ``group/sub/q``; for LimeSurvey, ``Q1[SQ001]`` read as ``Q1_SQ001``,
``Q1SQ001`` or ``SQ001``); the question text or an alias, compared after normalising case,
spaces, typographic quotes and dashes; and last the statement of a grid question
(``Stem - statement`` in Qualtrics, ``Stem [statement]`` in Google Forms). A column that
matches two items at its best level is an error, and so are two columns that match one
item equally well: the file is ambiguous and guessing would mix answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import InputError
from toolkit.survey import Item, Scale, Survey

__all__ = ["code_column", "is_identifier", "match_columns", "normalise"]

_STR = pa.large_string()
_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
        "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00a0": " ", "\u202f": " ", "\u2026": "...",
    }
)  # fmt: skip
_SPACE = re.compile(r"\s+")
_QID = re.compile(r"^QID\d+", re.IGNORECASE)
_LIME = re.compile(r"^([^\[\]]+)\[([^\[\]]+)\]$")
_TIERS = ("item id", "ImportId", "item id (loosely)", "question text", "grid statement")
_IDENTIFIER_NAMES = {
    "ip", "ipaddress", "ipaddr", "responseid", "recordid", "id", "uuid", "instanceid", "metainstanceid",
    "metarootuuid", "rootuuid", "token", "name", "firstname", "lastname", "fullname", "surname",
    "username", "submittedby", "deviceid", "subscriberid", "simserial", "phonenumber", "phone",
    "refurl", "referrerurl", "geolocation",
}  # fmt: skip
#: Words that make a header an identifier wherever they stand (``RecipientEmail``, ``IP-Adresse``).
_IDENTIFIER_PARTS = re.compile(r"e-?mail|latitude|longitude|geoloc|geopoint|phone|recipient", re.IGNORECASE)
#: Whole words (after splitting ``Enter_name``, ``firstName``, ``IP-Adresse`` into words) that make a
#: header an identifier; plurals are not among them, so "Which locations ..." is a question, not a GPS
#: column.
_IDENTIFIER_TOKENS = {"name", "names", "ip", "gps", "geo", "location", "surname", "username"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


@cache
def normalise(text: str) -> str:
    """Text as compared with question texts and answer labels.

    Examples
    --------
    >>> normalise("  Strongly\\u00a0AGREE ") == normalise("strongly agree")
    True
    >>> normalise("Choose \\u201cDisagree\\u201d \\u2013 here")
    'choose "disagree" - here'
    """
    text = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().casefold()


def _loose(text: str) -> str:
    """Only letters and digits, lower case: ``Avail_Reachable`` and ``availreachable`` agree."""
    return re.sub(r"[\W_]+", "", normalise(text))


def _candidates(names: Sequence[str], style: str) -> tuple[set[str], set[str], set[str], set[str]]:
    """For one column: its exact names, loose names, normalised texts and grid statements."""
    exact, loose, texts, statements = set(), set(), set(), set()
    for name in names:
        if not name or not name.strip():
            continue
        name = name.strip()
        exact.add(name)
        loose.add(_loose(name))
        texts.add(normalise(name))
        if style == "kobo" and "/" in name:
            last = name.rsplit("/", 1)[1]
            exact.add(last)
            loose.add(_loose(last))
        m = _LIME.match(name)
        if style == "limesurvey" and m:
            loose.update({_loose(m.group(1) + "_" + m.group(2)), _loose(m.group(2))})
        if " - " in name:
            statements.add(normalise(name.rsplit(" - ", 1)[1]))
        m = re.match(r"^.*\[(.+)\]\s*$", name, re.DOTALL)
        if m and style != "limesurvey":
            statements.add(normalise(m.group(1)))
    loose.discard("")
    return exact, loose, texts, statements


def match_columns(
    columns: Sequence[Sequence[str]],
    survey: Survey,
    *,
    import_ids: Sequence[str | None] | None = None,
    style: str = "plain",
    path: object = None,
) -> dict[int, str]:
    """Match export columns to survey items.

    Parameters
    ----------
    columns : sequence of sequence of str
        For each column, its header texts (a Qualtrics column has an id and a question
        text). Columns that must not be matched (platform metadata) are given as ``()``.
    survey : Survey
    import_ids : sequence of str or None, optional
        The Qualtrics ImportId of each column (``QID7``, ``QID7_TEXT``).
    style : {"plain", "kobo", "limesurvey"}
        How group paths and sub-question names are written.
    path : optional
        The file, named in errors.

    Returns
    -------
    dict of int to str
        Column position to item id, for the matched columns.

    Raises
    ------
    InputError
        When a column matches two items, or two columns match the same item equally well.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> s = load_survey("surveys/one_on_one_pulse.yaml")
    >>> match_columns([["Timestamp"], ["CADENCE"], ["Our 1:1s go beyond status updates."]], s)
    {1: 'cadence', 2: 'depth_beyond_status'}
    """
    keys = _item_keys(survey)
    best: dict[str, tuple[int, int]] = {}  # item -> (tier, column)
    found: dict[int, tuple[int, str]] = {}
    for j, names in enumerate(columns):
        exact, loose, texts, statements = _candidates(names, style)
        qid = (import_ids[j] or "") if import_ids is not None else ""
        qid = _QID.match(qid.strip())
        probes = (
            exact,
            {qid.group(0).upper()} if qid else set(),
            loose,
            texts,
            statements,
        )
        for tier, (probe, index) in enumerate(zip(probes, keys, strict=True)):
            hits = sorted({item for key in probe for item in index.get(key, ())})
            if len(hits) > 1:
                shown = " | ".join(n for n in names if n) or f"column {j + 1}"
                raise InputError(
                    f"the header matches two items, {hits[0]!r} and {hits[1]!r} (by {_TIERS[tier]}): "
                    "rename the column or the items' aliases so that it names one",
                    path=path,
                    column=shown,
                )
            if hits:
                found[j] = (tier, hits[0])
                break
    for j, (tier, item) in found.items():
        if item in best and best[item][0] == tier:
            other = best[item][1]
            raise InputError(
                f"two columns match item {item!r} equally well ({_label(columns[other])!r} and "
                f"{_label(columns[j])!r}): remove one or rename it",
                path=path,
                column=_label(columns[j]),
            )
        if item not in best or tier < best[item][0]:
            best[item] = (tier, j)
    return {j: item for item, (_, j) in sorted(best.items(), key=lambda kv: kv[1][1])}


def _label(names: Sequence[str]) -> str:
    return next((n for n in names if n), "")


def _item_keys(survey: Survey) -> tuple[dict[str, set[str]], ...]:
    exact: dict[str, set[str]] = {}
    qids: dict[str, set[str]] = {}
    loose: dict[str, set[str]] = {}
    texts: dict[str, set[str]] = {}
    for it in survey.items:
        exact.setdefault(it.id, set()).add(it.id)
        loose.setdefault(_loose(it.id), set()).add(it.id)
        for alias in (*it.aliases, getattr(it, "import_id", None) or ""):
            if _QID.fullmatch(alias.strip()):
                qids.setdefault(alias.strip().upper(), set()).add(it.id)
            elif alias:
                texts.setdefault(normalise(alias), set()).add(it.id)
        texts.setdefault(normalise(it.text), set()).add(it.id)
    return exact, qids, loose, texts, texts


# --------------------------------------------------------------------------- identifiers


def is_identifier(name: str) -> bool:
    """Whether a column that is not an item holds a direct identifier, by its header.

    Names, e-mail addresses, IP addresses, locations, phone numbers, platform response and
    device ids, access tokens, referrer URLs (they may carry an e-mail) and recipient
    fields: such columns are dropped and listed, never passed on. The header is split into
    words (at spaces, punctuation, underscores and ``camelCase``), so a Kobo question named
    ``Enter_name`` is a name, while a question that mentions "locations" is not a location.

    Examples
    --------
    >>> [is_identifier(n) for n in ("IPAddress", "Tell me your name!", "_uuid", "Progress")]
    [True, True, True, False]
    >>> [is_identifier(n) for n in ("Enter_name", "group/respondent_name", "Which locations do you visit?")]
    [True, True, False]
    """
    text = str(name)
    key = re.sub(r"[\W_]+", "", text.rsplit("/", 1)[-1]).casefold()
    if key in _IDENTIFIER_NAMES or key.endswith(("latitude", "longitude", "altitude", "precision")):
        return True
    if _IDENTIFIER_PARTS.search(text):
        return True
    words = {w.casefold() for w in re.split(r"[\W_]+", _CAMEL.sub(" ", text)) if w}
    return bool(words & _IDENTIFIER_TOKENS)


# --------------------------------------------------------------------------- answer codes


def code_column(
    arr: pa.ChunkedArray,
    item: Item,
    survey: Survey,
    *,
    positions: bool = False,
    unanswered: tuple[str, ...] = (),
) -> pa.ChunkedArray:
    """An item's answers as text codes, mapped once per distinct value.

    A cell that is a code stays; a label (after :func:`normalise`) becomes its code; with
    ``positions``, a whole number ``k`` answering a categorical item becomes the ``k``-th
    of the scale's codes (Qualtrics numbers the choices from 1); cells in ``unanswered``
    (Qualtrics' ``-99``) become missing; anything else is kept as it is, for validation to
    report.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> s = load_survey("surveys/one_on_one_pulse.yaml")
    >>> arr = pa.chunked_array([["Agree", "5", " strongly  DISAGREE", "-99", "7", None]])
    >>> code_column(arr, s.item("avail_reachable"), s, unanswered=("-99",)).to_pylist()
    ['4', '5', '1', None, '7', None]
    >>> code_column(pa.chunked_array([["2", "Every week"]]), s.item("cadence"), s, positions=True).to_pylist()
    ['biweekly', 'weekly']
    """
    scale = survey.scales[item.scale] if item.scale is not None else None
    if scale is None:  # text: as given, but for the platform's "unanswered" marker
        for old in unanswered:
            arr = pc.if_else(pc.equal(arr, old), pa.scalar(None, _STR), arr)
        return arr
    mapping: dict[str, str | None] = {}
    for value in pc.unique(arr).drop_null().to_pylist():
        new = _code_of(value, scale, positions, unanswered)
        if new != value:
            mapping[value] = new
    if not mapping:
        return arr
    if len(mapping) <= 6:
        for old, new in mapping.items():
            arr = pc.if_else(pc.equal(arr, old), pa.scalar(new, _STR), arr)
        return arr
    uniques = pc.unique(arr).drop_null()
    targets = pa.array([mapping.get(v, v) for v in uniques.to_pylist()], type=_STR)
    return pc.take(targets, pc.index_in(arr, value_set=uniques))


def _code_of(value: str, scale: Scale | None, positions: bool, unanswered: tuple[str, ...]) -> str | None:
    text = value.strip()
    if not text or text in unanswered:
        return None
    if scale is None:
        return value
    lookup = _lookup(scale)
    if positions and scale.kind == "categorical" and text.isdigit():
        k = int(text)
        if 1 <= k <= len(scale.allowed):
            return str(scale.allowed[k - 1])
    if text in lookup[0]:
        return lookup[0][text]
    key = normalise(text)
    if key in lookup[1]:
        return lookup[1][key]
    if scale.kind == "ordinal":
        try:
            number = float(text)
        except ValueError:
            return value
        if number.is_integer() and str(int(number)) in lookup[0]:
            return str(int(number))
    return value


@cache
def _lookup(scale: Scale) -> tuple[dict[str, str], dict[str, str]]:
    """Exact code texts, and normalised codes and labels, to code texts."""
    choices = scale.values + scale.not_applicable
    exact = {str(c.code): str(c.code) for c in choices}
    loose = {normalise(c.label): str(c.code) for c in choices}
    loose.update({normalise(str(c.code)): str(c.code) for c in choices})
    return exact, loose
