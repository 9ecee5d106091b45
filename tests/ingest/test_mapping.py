"""Matching headers to items, answers to codes, and telling identifiers."""

from __future__ import annotations

import pyarrow as pa
import pytest

from toolkit import InputError
from toolkit.ingest._mapping import code_column, is_identifier, match_columns, normalise


def _match(survey, *headers, **options):
    return match_columns([h if isinstance(h, tuple) else (h,) for h in headers], survey, **options)


def test_match_by_id_case_text_alias_and_import_id(small):
    got = _match(
        small,
        "team",
        "REACH",
        ("Q9", "Our 1:1s  go beyond status updates."),
        "I\u2019m honest with my manager about mistakes I make.",
        "Unrelated",
        import_ids=[None, None, None, None, None],
    )
    assert got == {0: "team", 1: "reach", 2: "depth", 3: "honest"}
    assert _match(small, "Q2", import_ids=["QID2"]) == {0: "cadence"}


def test_match_kobo_paths_and_limesurvey_subquestions(small):
    assert _match(small, "about/team", "a/b/reach", style="kobo") == {0: "team", 1: "reach"}
    assert _match(small, "trust[depth]", "grid[honest]", style="limesurvey") == {0: "depth", 1: "honest"}
    assert _match(small, "about/team") == {}  # paths only in Kobo exports


def test_match_grid_statements(small):
    got = _match(
        small,
        "Your manager [When I need my manager, I can reach them.]",
        "Stem - Our 1:1s go beyond status updates.",
    )
    assert got == {0: "reach", 1: "depth"}


def test_a_better_match_wins_over_a_grid_statement(small):
    assert _match(small, "Points - When I need my manager, I can reach them.", "reach") == {1: "reach"}


def test_a_header_that_matches_two_items_is_an_error(small):
    with pytest.raises(InputError, match=r"matches two items, 'depth' and 'reach' \(by question text\)"):
        _match(small, ("When I need my manager, I can reach them.", "Our 1:1s go beyond status updates."))


def test_two_columns_for_one_item_is_an_error(small):
    with pytest.raises(InputError, match="two columns match item 'reach' equally well"):
        _match(small, "reach", "reach")


def test_normalise():
    assert normalise("  Don\u2019t \u201cknow\u201d \u2013 ok ") == 'don\'t "know" - ok'


@pytest.mark.parametrize(
    ("values", "item", "options", "expected"),
    [
        (
            ["Agree", " strongly agree ", "STRONGLY DISAGREE", "Does not apply to me"],
            "reach",
            {},
            ["4", "5", "1", "9"],
        ),
        (
            ["4", "4.0", "9", "-99", "", None],
            "reach",
            {"unanswered": ("-99",)},
            ["4", "4", "9", None, None, None],
        ),
        (["7", "Mostly", "0"], "reach", {}, ["7", "Mostly", "0"]),
        (
            ["1", "2", "3", "4", "5"],
            "cadence",
            {"positions": True},
            ["weekly", "biweekly", "monthly", "none", "5"],
        ),
        (["We don't have 1:1s", "EVERY WEEK", "monthly"], "cadence", {}, ["none", "weekly", "monthly"]),
        (["-99", "As given "], "comment", {"unanswered": ("-99",)}, [None, "As given "]),
    ],
)
def test_code_column(small, values, item, options, expected):
    got = code_column(
        pa.chunked_array([pa.array(values, pa.large_string())]), small.item(item), small, **options
    )
    assert got.to_pylist() == expected


def test_code_column_with_many_labels_uses_a_lookup(small):
    labels = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
    values = labels * 3 + ["Does not apply to me", "x", "-99"]
    got = code_column(
        pa.chunked_array([pa.array(values, pa.large_string())]),
        small.item("reach"),
        small,
        unanswered=("-99",),
    )
    assert got.to_pylist() == ["1", "2", "3", "4", "5"] * 3 + ["9", "x", None]


@pytest.mark.parametrize(
    "name",
    [
        "IPAddress",
        "RecipientEmail",
        "Email Address",
        "LocationLongitude",
        "ResponseId",
        "_uuid",
        "meta/instanceID",
        "Tell me your name!",
        "deviceid",
        "_where_latitude",
        "token",
        "refurl",
        "Name",
        "IP-Adresse",
        "Enter_name",
        "group_x/respondent_name",
        "firstName",
        "Location",
    ],
)
def test_identifiers(name):
    assert is_identifier(name)


@pytest.mark.parametrize(
    "name",
    [
        "Progress", "Finished", "DistributionChannel", "_index", "today", "Status", "seed",
        "In how many locations does your team work?", "Which locations do you visit?", "Address it promptly",
    ],
)  # fmt: skip
def test_not_identifiers(name):
    assert not is_identifier(name)
