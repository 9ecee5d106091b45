"""Scrubbing names and email addresses out of free text."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.privacy.scrub import scrub_text


def test_emails_any_shape_and_listed_ones_are_replaced():
    s = pd.Series(["mail me: a.b+c@sub.example.co.uk.", "ANA@EXAMPLE.ORG", "no address here", "x@y"])
    out = scrub_text(s, emails=["ana@example.org"])
    assert out.tolist() == ["mail me: [email].", "[email]", "no address here", "x@y"]


def test_names_whole_words_case_insensitive_longest_first():
    s = pd.Series(["Signed, ana  LOPEZ", "Lopezian ideas", "lopez", "Al said hi", "al dente", "A said"])
    out = scrub_text(s, names=["Ana Lopez", "Lopez", "Al", "A"])
    # a two-letter name is hidden only when capitalised; one letter is never a name to hide
    expected = ["Signed, [name]", "Lopezian ideas", "[name]", "[name] said hi", "al dente", "A said"]
    assert out.tolist() == expected


def test_roster_words_hide_first_names_but_not_the_words_they_spell():
    from toolkit.privacy.scrub import roster_words

    roster = pd.DataFrame({"name": ["Will Brown", "Zeynep Xu", "Lars Ek"], "email": ["wb@corp.example"] * 3})
    words = roster_words(roster)
    assert words["names"] == ["Brown", "Lars Ek", "Will Brown", "Zeynep Xu"]
    assert words["given_names"] == ["Ek", "Lars", "Will", "Xu", "Zeynep"]
    texts = pd.Series(["Will helps; I will ask Lars and Xu", "brown bread, BROWN", "zeynep said"])
    out = scrub_text(texts, **words)
    expected = ["[name] helps; I will ask [name] and [name]", "[name] bread, [name]", "zeynep said"]
    assert out.tolist() == expected


def test_missing_stays_missing_and_input_is_not_changed():
    s = pd.Series([None, "Ana Lopez"], dtype="str")
    before = s.copy()
    out = scrub_text(s, names=["Ana Lopez"])
    assert pd.isna(out.iloc[0]) and out.iloc[1] == "[name]"
    pd.testing.assert_series_equal(s, before)
    assert str(out.dtype) == "str"


def test_regex_characters_in_names_are_literal():
    out = scrub_text(pd.Series(["J.R. (Bob) Smith-Jones wrote"]), names=["Smith-Jones", "(Bob)"])
    assert out.iloc[0] == "J.R. [name] [name] wrote"


def test_not_a_series():
    with pytest.raises(TypeError, match="texts must be a pandas Series, got list"):
        scrub_text(["a"])


# --------------------------------------------------------------------------- the lookups equal the regex
#
# scrub_text finds names by token lookups (toolkit._textscan) instead of one regular expression of
# every name. _regex_scrub_text is that regular expression, as scrub_text had it before: the tests
# below compare both on generated comments, character for character.


def _regex_scrub_text(
    texts, *, names=(), given_names=(), emails=(), name_mark="[name]", email_mark="[email]"
):
    import re

    from toolkit.privacy.scrub import EMAIL_PATTERN

    def words(name):
        return "(?i:" + r"\s+".join(map(re.escape, name.split())) + ")"

    def capitalised(name):
        first, rest = name[0], name[1:]
        return re.escape(first) + ("(?i:" + re.escape(rest) + ")" if rest else "")

    out = texts.astype("str")
    if out.dropna().empty:
        return out
    literal = sorted({e.strip() for e in emails if isinstance(e, str) and e.strip()}, key=len, reverse=True)
    email_re = "|".join([*map(re.escape, literal), EMAIL_PATTERN])
    out = out.str.replace(email_re, email_mark, regex=True, flags=re.IGNORECASE)
    loose = {n.strip() for n in names if isinstance(n, str) and len(n.strip()) >= 3}
    capital = {n.strip() for n in given_names if isinstance(n, str) and len(n.strip()) >= 2}
    capital |= {n.strip() for n in names if isinstance(n, str) and len(n.strip()) == 2}
    patterns = [(w, words(w)) for w in loose] + [(w, capitalised(w)) for w in capital - loose]
    if patterns:
        alternatives = "|".join(p for _, p in sorted(patterns, key=lambda wp: len(wp[0]), reverse=True))
        out = out.str.replace(rf"(?<!\w)(?:{alternatives})(?!\w)", name_mark, regex=True)
    return out


TRICKY_ROSTER = [
    "Ana Lopez",
    "Will Brown",
    "Zeynep Xu",
    "Lars Ek",
    "Mark Young",
    "Grace Long",
    "May Best",
    "José Álvarez",
    "Zoë Müller",
    "Søren Ødegaard",
    "Łukasz Wróbel",
    "İlker Şahin",
    "Ilkay Işık",
    "Anne-Marie Smith-Jones",
    "Seán O'Brien",
    "Priya D'Souza",
    "Awa N'Diaye",
    "Jan van der Berg",
    "María de la Cruz",
    "Li Na",
    "Ng Wei",
    "Minh Do",
    "Thi Le",
    "J.R. Ewing",
    "Martin Luther King Jr.",
    "Ιωάννης Παπαδόπουλος",
    "Пётр Иванов",
    "王 芳",
    "Ste\u0301phane Dupont",
    "Kim",
    "Ole  Hansen",
    "Chiara\u00a0Rossi",
    "ſam Kelvin",
    "Ὀδυσσεύς Ἰθάκης",
    "Bob (Rob) Stone",
    "Al",
    "O",
    "x-Ray Moss",
    "Grace",
    "Hope Day",
    "Do Van",
    "Emma Can",
    "Nur Ay",
]
TRICKY_EMAILS = [
    "ana.lopez@example.org",
    "will.brown@corp.example",
    "o'brien@example.org",
    "jose.alvarez@example.org",
    "n/a",
    "  ",
    "ZOE@EXAMPLE.ORG",
    "li.na@ex-ample.co.uk",
    "@example.org",
    "x@y",
]


def _tricky_comments(n: int, seed: int) -> list[str]:
    """Comments that mention roster names (whole, in parts, in any case, beside punctuation, inside
    longer words, possessive, hyphenated) and addresses, and words that names spell."""
    import numpy as np

    rng = np.random.default_rng(seed)
    parts = sorted({p for name in TRICKY_ROSTER for p in name.split()} | set(TRICKY_ROSTER))
    words = [
        "will",
        "mark",
        "grace",
        "long",
        "young",
        "best",
        "may",
        "hope",
        "day",
        "can",
        "do",
        "le",
        "li",
        "the",
        "1:1",
        "Our",
        "meeting",
        "helps",
        "I",
        "ask",
        "brown",
        "xu",
        "XU",
        "Xu's",
        "Lopezian",
        "Willow",
        "MARKED",
        "ana@example.org",
        "ANA.LOPEZ@EXAMPLE.ORG.uk",
        "x.ana.lopez@example.org",
        "ana.lopez@example.org-x",
        "o'brien@example.org",
        "O'BRIEN@EXAMPLE.ORG.",
        "see n/a",
        "N/A",
        "ı",
        "İ",
        "ſ",
        "K",
        "\u0345",
        "ς",
        "σ",
        "Σ",
        "ß",
        "ẞ",
        "i\u0307",
        "é",
        "e\u0301",
    ]
    seps = [
        " ",
        " ",
        " ",
        "  ",
        "\t",
        "\n",
        ", ",
        ". ",
        "! ",
        "? ",
        " (",
        ") ",
        "'s ",
        "’s ",
        "-",
        "'",
        '"',
        " — ",
        "_",
        "",
        "\u00a0",
        ": ",
        "/",
    ]
    cases = [str, str.lower, str.upper, str.title, str.swapcase, str.casefold]
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 9))
        pieces = []
        for _ in range(k):
            pool = parts if rng.random() < 0.6 else words
            piece = pool[int(rng.integers(len(pool)))]
            if rng.random() < 0.35:
                piece = cases[int(rng.integers(len(cases)))](piece)
            pieces.append(piece)
            pieces.append(seps[int(rng.integers(len(seps)))])
        text = "".join(pieces[:-1] if rng.random() < 0.5 else pieces)
        out.append(text)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lookups_equal_the_regex_on_generated_comments(seed):
    from toolkit.privacy.scrub import roster_words

    roster = pd.DataFrame({"name": TRICKY_ROSTER, "email": (TRICKY_EMAILS * 10)[: len(TRICKY_ROSTER)]})
    words = roster_words(roster)
    texts = pd.Series([*_tricky_comments(4000, seed), None, "", "Ana", "ana lopez", "Will"], dtype="str")
    new = scrub_text(texts, **words)
    old = _regex_scrub_text(texts, **words)
    differ = new.ne(old) & ~(new.isna() & old.isna())
    assert not differ.any(), pd.DataFrame(
        {"text": texts[differ], "new": new[differ], "old": old[differ]}
    ).head()
    assert new.str.contains("[name]", regex=False).sum() > 1000  # the comments do name people


@pytest.mark.parametrize("seed", [4, 5])
def test_lookups_equal_the_regex_with_names_given_directly(seed):
    # names straight from a caller, not from roster_words: several spaces, odd characters, lone letters
    names = [
        "Ana  Lopez",
        "(Bob)",
        "Smith-Jones",
        "J.R.",
        "Lopez",
        "Al",
        "A",
        " Xu ",
        "x-Ray",
        "...",
        "Ste\u0345ve",
    ]
    given = ["Will", "Mark", "Ana", "İlker", "ſam", "Kelvin", "ab", "b"]
    texts = pd.Series([*_tricky_comments(2000, seed), "(Bob) and (bob)", "J.R. J.R.x", "... ok", "steιve"])
    new = scrub_text(texts, names=names, given_names=given, emails=["ana@example.org"], name_mark="<N>")
    old = _regex_scrub_text(
        texts, names=names, given_names=given, emails=["ana@example.org"], name_mark="<N>"
    )
    assert new.tolist() == old.tolist()


def test_lookups_equal_the_regex_on_arbitrary_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from toolkit.privacy.scrub import roster_words

    words = roster_words(
        pd.DataFrame({"name": TRICKY_ROSTER, "email": TRICKY_EMAILS * 4 + TRICKY_EMAILS[:3]})
    )
    alphabet = st.sampled_from(
        [
            *sorted({p for n in TRICKY_ROSTER for p in n.split()}),
            " ",
            "  ",
            "\t",
            "-",
            "'",
            ".",
            "@",
            "a",
            "I",
            "ı",
            "\u0345",
            "ι",
            "K",
            "k",
            "ſ",
            "S",
            "_",
            "1",
            *TRICKY_EMAILS[:4],
        ]
    )

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.lists(st.lists(alphabet, max_size=12).map("".join), min_size=1, max_size=20))
    def check(texts):
        s = pd.Series(texts, dtype="str")
        assert scrub_text(s, **words).tolist() == _regex_scrub_text(s, **words).tolist()

    check()


def test_fold_is_the_regex_case_rule():
    """Folded characters are equal exactly when re.IGNORECASE matches them, for every character."""
    import re
    import sys

    import numpy as np

    from toolkit.privacy._textscan import tables

    word, space, fold, hazard = tables()
    n = sys.maxunicode + 1
    assert [c for c in range(n) if space[c] != chr(c).isspace()] == []
    assert [c for c in range(n) if word[c] != (chr(c).isalnum() or chr(c) == "_")] == []
    # the cased characters (the only ones re.IGNORECASE treats apart): each one's pattern finds
    # exactly the characters that fold as it does; an uncased one matches only itself
    import _sre

    cased = np.array([_sre.unicode_iscased(c) for c in range(n)])
    assert not cased[0x20000:].any()  # tables() looks for cased characters below U+20000 only
    assert (fold[~cased] == np.flatnonzero(~cased)).all()
    codes = np.flatnonzero(cased)
    assert not np.isin(fold[codes], np.flatnonzero(~cased)).any()
    space_of_search = "".join(map(chr, codes))
    by_fold = {}
    for c in codes.tolist():
        by_fold.setdefault(int(fold[c]), set()).add(c)
    for c in codes.tolist():
        found = {ord(m.group()) for m in re.finditer("(?i:" + re.escape(chr(c)) + ")", space_of_search)}
        assert found == by_fold[int(fold[c])], hex(c)
    assert {0x4B, 0x6B, 0x212A} <= by_fold[ord("k")] and {0x49, 0x69, 0x130, 0x131} <= by_fold[ord("i")]
    assert np.flatnonzero(hazard).tolist() == [0x345]
