"""The comment release: thresholds, one place per comment, audiences, scrubbing."""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from toolkit.privacy.comments import COMMENT_COLUMNS, release_comments

UNITS = pd.DataFrame(
    {
        "unit": ["org", "div1", "div2", "depA", "depB", "depC", "tA", "tB", "tC", "tD", "tE", "tF"],
        "parent": [None, "org", "org", "div1", "div1", "div2"] + ["depA"] * 3 + ["depB"] * 2 + ["depC"],
        "kind": ["organisation", "division", "division"]
        + ["department"] * 3
        + ["team"] * 6,
    }
)
#: respondents per team: tA alone reaches 10; tB+tC (7) and tD+tE (8) reach it only together at div1;
#: tF (5) is alone in div2 and never reaches it
SIZES = {"tA": 12, "tB": 4, "tC": 3, "tD": 6, "tE": 2, "tF": 5}


@pytest.fixture(scope="module")
def survey():
    return toolkit.load_survey("surveys/one_on_one_pulse.yaml")


def _responses(sizes=SIZES, wave="2026Q1", blank_every=3):
    rows = []
    for team, n in sizes.items():
        for i in range(n):
            text = None if i % blank_every == blank_every - 1 else f"{team} says {chr(ord('z') - i)}"
            rows.append({"respondent": f"p_{team}_{i}", "wave": wave, "team": team, "comment": text})
    return pd.DataFrame(rows)


def _said(table, team):
    return sorted(table.loc[table["team"] == team, "comment"].dropna())


def test_columns_and_types(survey):
    out = release_comments(_responses(), survey, UNITS)
    assert tuple(out.columns) == COMMENT_COLUMNS
    assert out["n"].dtype == "int64"
    assert all(isinstance(v, str) for v in out["comment"])


def test_small_teams_pool_upwards_and_each_comment_is_published_once(survey):
    table = _responses()
    analyst = release_comments(table, survey, UNITS, audiences=["analyst"])
    sets = analyst.groupby("unit")
    assert set(sets.groups) == {"tA", "div1"}
    assert sets.get_group("tA")["comment"].tolist() == _said(table, "tA")
    assert (sets.get_group("tA")["n"] == 12).all()
    pooled = sorted(c for t in ("tB", "tC", "tD", "tE") for c in _said(table, t))
    assert sorted(sets.get_group("div1")["comment"]) == pooled
    assert (sets.get_group("div1")["n"] == 4 + 3 + 6 + 2).all()
    # tF's comments (5 respondents, alone in its division) are published nowhere
    assert not analyst["comment"].str.startswith("tF").any()
    # every published comment appears at exactly one unit: nothing to subtract between levels
    assert not analyst.duplicated(["wave", "comment"]).any()


def test_every_set_stands_on_at_least_min_comments_respondents(survey):
    out = release_comments(_responses(), survey, UNITS)
    assert (out["n"] >= 10).all()
    lower = release_comments(_responses(), survey, UNITS, policy={"min_comments": 5}, audiences=["analyst"])
    assert set(lower["unit"]) == {"tA", "tD", "tF", "depA"}  # tB+tC=7 at depA; tE (2) nowhere
    assert (lower["n"] >= 5).all()
    assert not lower["comment"].str.startswith("tE").any()
    with pytest.raises(ValueError, match="min_comments must be at least 3"):
        release_comments(_responses(), survey, UNITS, policy={"min_comments": 2})


def test_audiences_see_their_path_or_subtree_never_a_sibling(survey):
    out = release_comments(_responses(), survey, UNITS)
    seen = {a: set(part["unit"]) for a, part in out.groupby("audience")}
    assert seen["analyst"] == {"tA", "div1"}
    assert seen["manager:tA"] == {"tA", "div1"}
    for team in ("tB", "tC", "tD", "tE"):
        assert seen[f"manager:{team}"] == {"div1"}  # never tA's comments
    assert "manager:tF" not in seen and "leader:div2" not in seen
    assert seen["leader:depA"] == {"tA"} and seen["leader:div1"] == {"tA", "div1"}
    assert seen["leader:org"] == {"tA", "div1"}
    only = release_comments(_responses(), survey, UNITS, audiences=["manager:tB"])
    assert set(only["audience"]) == {"manager:tB"}


def test_sorted_alphabetically_not_by_submission(survey):
    out = release_comments(_responses(), survey, UNITS, audiences=["analyst"])
    for _, part in out.groupby("unit"):
        texts = part["comment"].tolist()
        assert texts == sorted(texts, key=str.casefold)
    assert "respondent" not in out.columns and "submitted_at" not in out.columns


def test_roster_names_and_emails_are_scrubbed(survey):
    table = _responses()
    table.loc[0, "comment"] = "Ana Lopez (ana.lopez@example.org) and Lopez again; mail bo@corp.example"
    roster = pd.DataFrame({"name": ["Ana Lopez"], "email": ["ana.lopez@example.org"]})
    out = release_comments(table, survey, UNITS, roster=roster, audiences=["analyst"])
    text = " ".join(out["comment"])
    assert "Ana" not in text and "Lopez" not in text and "@" not in text
    assert "[name] ([email]) and [name] again; mail [email]" in text


def test_blank_comments_are_not_published(survey):
    table = _responses()
    table.loc[table["team"] == "tA", "comment"] = "   "
    out = release_comments(table, survey, UNITS, audiences=["analyst"])
    assert "tA" not in set(out["unit"]) and (out["comment"].str.strip() != "").all()


def test_waves_are_placed_separately(survey):
    first = _responses()
    second = _responses({**SIZES, "tA": 8}, wave="2026Q2")  # tA shrinks below the threshold
    second["comment"] += " this time"  # new words (a repeat of a unique text would be held back)
    out = release_comments(pd.concat([first, second]), survey, UNITS, audiences=["analyst"])
    by_wave = {w: set(part["unit"]) for w, part in out.groupby("wave")}
    # Q2: tA+tB+tC (15) pool at depA; tD+tE (8) are still short at div1 and join tF (5) at org
    assert by_wave == {"2026Q1": {"tA", "div1"}, "2026Q2": {"depA", "org"}}
    n = out.groupby(["wave", "unit"])["n"].first().to_dict()
    assert n[("2026Q2", "depA")] == 8 + 4 + 3 and n[("2026Q2", "org")] == 6 + 2 + 5


def test_a_unique_comment_repeated_in_a_later_wave_is_not_published_again(survey):
    """The intersection attack: teams A (4), B (6) and C (6) under one department; wave 1 pools A and B,
    wave 2 pools A and C; a comment only one person wrote, repeated word for word in both waves,
    would come from A (4 people). It is published in wave 1 only; common texts stay in both."""
    units = pd.DataFrame(
        {
            "unit": ["org", "d", "A", "B", "C"],
            "parent": [None, "org", "d", "d", "d"],
            "kind": ["organisation", "department", "team", "team", "team"],
        }
    )
    w1 = _responses({"A": 4, "B": 6}, blank_every=99)
    w2 = _responses({"A": 4, "C": 6}, wave="2026Q2", blank_every=99)
    for table in (w1, w2):
        table.loc[table.index[0], "comment"] = "Only  I write THIS every quarter."
        table.loc[table.index[1:3], "comment"] = "No comment."  # two people: common, no trace
    w2.loc[w2.index[0], "comment"] = "only i write this   every quarter."  # casefolded, spaces collapsed
    out = release_comments(pd.concat([w1, w2]), survey, units, audiences=["leader:d"])
    q1, q2 = (out.loc[out["wave"] == w, "comment"].tolist() for w in ("2026Q1", "2026Q2"))
    assert "Only  I write THIS every quarter." in q1
    assert not any("every quarter" in c for c in q2)
    assert q1.count("No comment.") == 2 and q2.count("No comment.") == 2
    # a text written once in a wave and by two people in another is published both times
    w2.loc[w2.index[5], "comment"] = "only i write this every quarter."
    again = release_comments(pd.concat([w1, w2]), survey, units, audiences=["leader:d"])
    assert again.loc[again["wave"] == "2026Q2", "comment"].str.contains("every quarter").sum() == 2


def test_sample_recomputed_with_plain_pandas(survey):
    units = pd.read_csv("data/sample/units.csv")
    valid = toolkit.validate(toolkit.read_canonical("data/sample/responses_2026Q4.csv"), survey).valid
    out = release_comments(valid, survey, units, audiences=["analyst"])
    size = valid.groupby("team").size()
    for team in size[size >= 10].index:
        text = valid.loc[valid["team"] == team, "comment"].dropna().str.strip()
        expected = sorted(t for t in text if t)
        assert sorted(out.loc[out["unit"] == team, "comment"]) == expected, team
    small = set(size[size < 10].index)
    assert not set(out["unit"]) & small
    assert (out["n"] >= 10).all()


def test_no_comment_items_gives_an_empty_release(survey):
    from dataclasses import replace

    plain = replace(survey, items=tuple(it for it in survey.items if it.role != "comment"))
    out = release_comments(_responses().drop(columns="comment"), plain, UNITS)
    assert out.empty and tuple(out.columns) == COMMENT_COLUMNS


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda t: t.drop(columns="comment"), "no column 'comment'"),
        (lambda t: t.assign(team=t["team"].replace("tA", "tZ")), "not team units of units: \\['tZ'\\]"),
        (lambda t: t.assign(team=t["team"].replace("tA", "depA")), "not team units of units: \\['depA'\\]"),
    ],
)
def test_bad_input(survey, change, match):
    with pytest.raises(ValueError, match=match):
        release_comments(change(_responses()), survey, UNITS)


def test_bad_arguments(survey):
    with pytest.raises(ValueError, match="audiences must be analyst"):
        release_comments(_responses(), survey, UNITS, audiences=["manager:nobody"])
    with pytest.raises(TypeError, match="survey must be a Survey"):
        release_comments(_responses(), "survey.yaml", UNITS)
    with pytest.raises(TypeError, match="roster must be a DataFrame"):
        release_comments(_responses(), survey, UNITS, roster=["Ana"])
    with pytest.raises(ValueError, match="rows without a wave"):
        release_comments(_responses().assign(wave=None), survey, UNITS)
