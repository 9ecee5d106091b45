"""Scrubbing names and email addresses out of free text."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.scrub import scrub_text


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
    from toolkit.scrub import roster_words

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
