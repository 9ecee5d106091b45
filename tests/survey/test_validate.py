"""The response schema and validation: every rule fails on a table that breaks it, all
failures are found at once, and every row ends up valid or quarantined."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import mini_row, mini_table
from toolkit import InputError, canonical_dtypes, response_schema, validate
from toolkit.survey.schema import RULES
from toolkit.survey.validate import to_canonical


def test_sample_validates_to_canonical_rows_and_planted_mess(survey, sample_table):
    result = validate(sample_table, survey)
    assert result.n_read == len(sample_table)
    # the simulator plants failed attention checks and duplicate submissions, nothing else
    assert set(result.failures["rule"]) == {"attention_check", "unique_per_wave"}
    assert {c: str(t) for c, t in result.valid.dtypes.items()} == {
        c: str(t) for c, t in canonical_dtypes(survey).items()
    }
    # the schema itself accepts the canonical table, and validating it again changes nothing
    response_schema(survey).validate(result.valid)
    again = validate(result.valid, survey)
    assert again.ok
    pd.testing.assert_frame_equal(again.valid, result.valid)


def test_validate_does_not_mutate_its_input(survey, sample_table):
    before = sample_table.copy()
    broken = sample_table.copy()
    broken.loc[broken.index[0], "avail_reachable"] = "7"
    validate(broken, survey)
    validate(sample_table, survey)
    pd.testing.assert_frame_equal(sample_table, before)


# Each case: changes to the second of two otherwise valid rows, the (column, rule) that must
# fail, and whether a roster with team t1 is given.
BROKEN = [
    ({"q1": None}, ("q1", "required"), False),
    ({"respondent": None}, ("respondent", "required"), False),
    ({"q1": "7"}, ("q1", "allowed_values"), False),
    ({"cadence": "daily"}, ("cadence", "allowed_values"), False),
    ({"wave": "2026-Q1"}, ("wave", "wave_format"), False),
    ({"respondent": "  "}, ("respondent", "non_empty"), False),
    ({"team": "t9"}, ("team", "known_team"), True),
    ({"duration_s": "-1"}, ("duration_s", "non_negative"), False),
    ({"check": "2"}, ("check", "attention_check"), False),
    ({"respondent": "p_1"}, ("respondent", "unique_per_wave"), False),
    ({"cadence": "none"}, ("meeting_length", "asked_if"), False),
    ({"meeting_length": None}, ("meeting_length", "required_if"), False),
    ({"q1": "abc"}, ("q1", "dtype"), False),
    ({"q1": "3.5"}, ("q1", "dtype"), False),
    ({"submitted_at": "soon"}, ("submitted_at", "dtype"), False),
    ({"duration_s": "fast"}, ("duration_s", "dtype"), False),
]


@pytest.mark.parametrize(
    ("changes", "failure", "with_roster"), BROKEN, ids=[f"{c[1][1]}:{c[1][0]}" for c in BROKEN]
)
def test_every_rule_fails_on_a_table_that_breaks_it(mini_survey, changes, failure, with_roster):
    table = mini_table(mini_row(), mini_row(**{"respondent": "p_2", **changes}))
    roster = pd.DataFrame({"team": ["t1"]}) if with_roster else None
    result = validate(table, mini_survey, roster=roster)
    got = set(zip(result.failures["column"], result.failures["rule"], strict=True))
    assert failure in got
    if failure[1] == "unique_per_wave":
        assert set(result.failures["row"]) == {0, 1}  # both submissions are held back
        assert result.valid.empty
    else:
        assert got == {failure}
        assert set(result.failures["row"]) == {1}
        assert list(result.valid.index) == [0]
    assert failure[1] in RULES
    assert result.quarantine["reasons"].str.contains(f"{failure[0]}: {failure[1]}").all()


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"q1": 7}, "isin"),
        ({"wave": "2026-Q1"}, "str_matches"),
        ({"check": 2}, "attention_check"),
        ({"cadence": "none"}, "asked_if"),
        ({"meeting_length": None}, "required_if"),
        ({"duration_s": -1.0}, "greater_than_or_equal_to"),
    ],
)
def test_the_pandera_schema_itself_enforces_the_rules(mini_survey, changes, check):
    typed, failures = to_canonical(mini_table(mini_row()), mini_survey)
    assert failures == []
    schema = response_schema(mini_survey)
    schema.validate(typed)
    for col, value in changes.items():
        typed[col] = pd.Series([value], dtype=typed[col].dtype)
    with pytest.raises(pa.errors.SchemaErrors, match=check):
        schema.validate(typed, lazy=True)


def test_schema_is_strict_and_knows_the_roster(mini_survey):
    typed, _ = to_canonical(mini_table(mini_row()), mini_survey)
    with pytest.raises(pa.errors.SchemaErrors, match="column_in_schema"):
        response_schema(mini_survey).validate(typed.assign(email="a@b.c"), lazy=True)
    with pytest.raises(pa.errors.SchemaErrors, match="known_team"):
        response_schema(mini_survey, roster=["t2"]).validate(typed, lazy=True)
    response_schema(mini_survey, roster=pd.DataFrame({"team": ["t1", None]})).validate(typed)


def test_roster_argument_errors(mini_survey):
    with pytest.raises(ValueError, match="roster must have a 'team' column; it has unit"):
        response_schema(mini_survey, roster=pd.DataFrame({"unit": ["t1"]}))
    with pytest.raises(TypeError, match="not one string"):
        response_schema(mini_survey, roster="t1")


def test_all_failures_are_found_at_once(mini_survey):
    row = mini_row(respondent="p_2", q1="abc", cadence="none", check="1", wave="2026Q5")
    result = validate(mini_table(mini_row(), row), mini_survey)
    assert set(zip(result.failures["column"], result.failures["rule"], strict=True)) == {
        ("q1", "dtype"),
        ("meeting_length", "asked_if"),
        ("check", "attention_check"),
        ("wave", "wave_format"),
    }
    reasons = result.quarantine.loc[1, "reasons"]
    assert reasons.split("; ") == [
        "wave: wave_format (2026Q5)",
        "meeting_length: asked_if (short)",
        "q1: dtype (abc)",
        "check: attention_check (1)",
    ]


def test_unreadable_value_of_a_required_item_is_reported_once(mini_survey):
    result = validate(mini_table(mini_row(q1="four")), mini_survey)
    assert result.failures[["column", "rule", "value"]].values.tolist() == [["q1", "dtype", "four"]]


def test_rows_read_equal_valid_plus_quarantined_and_quarantine_keeps_values(mini_survey):
    rows = [mini_row(respondent=f"p_{i}") for i in range(6)]
    rows[2]["q1"] = "11"
    rows[4]["cadence"] = "daily"
    table = mini_table(*rows)
    table.index = pd.RangeIndex(2, 8, name="row")
    result = validate(table, mini_survey)
    assert result.n_read == 6 == len(result.valid) + len(result.quarantine)
    assert list(result.quarantine.index) == [4, 6]
    assert result.quarantine.loc[4, "q1"] == "11"  # the value as given, not a converted one
    assert result.quarantine.loc[6, "cadence"] == "daily"
    assert list(result.failures["row"]) == [4, 6]
    summary = result.summary()
    assert summary[["rule", "column", "n_failures", "n_rows", "example_rows"]].values.tolist() == [
        ["allowed_values", "cadence", 1, 1, "6"],
        ["allowed_values", "q1", 1, 1, "4"],
    ]


def test_codes_and_timestamps_are_read_as_platforms_write_them(mini_survey):
    row = mini_row(
        q1="4.0", q2=" 9 ", cadence=" weekly ", submitted_at="2026-02-01T12:00:00+02:00", note="NA"
    )
    result = validate(mini_table(row), mini_survey)
    assert result.ok, result.failures
    valid = result.valid.iloc[0]
    assert (valid["q1"], valid["q2"], valid["cadence"], valid["note"]) == (4, 9, "weekly", "NA")
    assert valid["submitted_at"] == pd.Timestamp("2026-02-01T10:00:00Z")


def test_table_level_problems_are_unusable_input(mini_survey):
    table = mini_table(mini_row())
    with pytest.raises(InputError, match=r"missing columns q2 that survey 'mini' version 0\.1 needs") as info:
        validate(table.drop(columns=["q2"]), mini_survey, source="r.csv")
    assert (info.value.path, info.value.column) == ("r.csv", "q2")
    with pytest.raises(InputError, match=r"columns email are not part of survey 'mini'.*identifiers"):
        validate(table.assign(email="x@example.org"), mini_survey)
    with pytest.raises(InputError, match="duplicate labels"):
        validate(pd.concat([table, table]), mini_survey)
    with pytest.raises(TypeError, match="must be a pandas DataFrame, got list"):
        validate([mini_row()], mini_survey)


def test_summary_of_a_clean_table_is_empty(mini_survey):
    result = validate(mini_table(mini_row()), mini_survey)
    assert result.ok and result.summary().empty
    assert list(result.summary().columns) == [
        "rule",
        "column",
        "n_failures",
        "n_rows",
        "example_rows",
        "message",
    ]


_JUNK = st.sampled_from(
    [
        "",
        " ",
        "abc",
        "-1",
        "3.5",
        "99",
        "1e9",
        "none",
        "daily",
        "2026-13-45",
        "NaN",
        "\u00e9",
        "0x10",
        "4",
        "9",
        "weekly",
        "short",
        None,
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.sampled_from(
                [
                    "respondent",
                    "wave",
                    "team",
                    "submitted_at",
                    "duration_s",
                    "cadence",
                    "meeting_length",
                    "q1",
                    "q2",
                    "q3",
                    "check",
                    "note",
                ]
            ),
            _JUNK,
        ),
        max_size=12,
    )
)
def test_any_corruption_ends_valid_or_quarantined(mini_survey, cells):
    table = mini_table(*[mini_row(respondent=f"p_{i}") for i in range(5)])
    for row, col, value in cells:
        table.loc[row, col] = value
    result = validate(table, mini_survey)
    assert result.n_read == len(table)
    assert set(result.valid.index).isdisjoint(result.quarantine.index)
    assert set(result.failures["row"]) == set(result.quarantine.index)
    assert result.quarantine["reasons"].str.len().gt(0).all()
    response_schema(mini_survey).validate(result.valid)  # what passes really is canonical


def test_clean_codes_take_the_arrow_cast_and_agree_with_the_exact_path():
    from toolkit.survey.validate import _arrow_int8, _to_int8

    clean = pd.Series(["1", "5", None, "9", "03"] * 3, dtype="str", index=range(10, 25))
    fast = _arrow_int8(clean)
    assert fast is not None and list(fast.index) == list(clean.index)
    exact, failed, _ = _to_int8(pd.Series(clean.to_numpy(dtype=object), index=clean.index))
    pd.testing.assert_series_equal(fast, exact)
    assert not failed.any()
    for dirty in (["1", "abc"], ["1", "300"], ["1", "4.0"], ["1", " 2"]):
        assert _arrow_int8(pd.Series(dirty, dtype="str")) is None  # left to the exact path, which reports it


def test_validate_typed_is_the_second_half_of_validate(survey, sample_table):
    from toolkit.survey.schema import response_schema, without_rule
    from toolkit.survey.validate import to_canonical, validate_typed

    table = sample_table
    whole = validate(table, survey)
    typed, conversion = to_canonical(table, survey)
    halves = validate_typed(table, typed, conversion, survey, response_schema(survey))
    pd.testing.assert_frame_equal(halves.failures, whole.failures)
    assert halves.valid.index.equals(whole.valid.index)
    # without the uniqueness rule, duplicates are no longer a reason (the ingest resolves them first)
    lax_schema = without_rule(response_schema(survey), "unique_per_wave")
    lax = validate_typed(table, typed, conversion, survey, lax_schema)
    assert "unique_per_wave" in set(whole.failures["rule"])
    assert "unique_per_wave" not in set(lax.failures["rule"])
    with pytest.raises(ValueError, match="no table-level rule 'nope'"):
        without_rule(response_schema(survey), "nope")
