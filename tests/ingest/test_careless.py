"""Careless-response flags: hand-made cases for every flag, longstring against the definition
of ``careless::longstring`` (R package careless 1.2.2), duplicate submissions, failure records,
edge cases and errors, and recovery of the careless responses planted by the simulator."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import mini_row, mini_table
from toolkit import InputError, simulate, validate
from toolkit.ingest.careless import FLAG_COLUMNS, careless_failures, careless_flags, default_max_longstring
from toolkit.survey import parse_survey
from toolkit.survey.validate import to_canonical

FAILURE_COLUMNS = ["row", "column", "rule", "value", "message"]


def canonical(survey, *rows: dict) -> pd.DataFrame:
    """Rows of the minimal survey (text, as from CSV) in canonical dtypes."""
    table, failures = to_canonical(mini_table(*rows), survey)
    assert not failures
    return table


# --------------------------------------------------------------------------- sequence surveys


@functools.cache
def seq_survey(k: int, reverse: tuple[int, ...] = ()):
    """A survey of k ordinal items x1..xk (codes 0-5, not-applicable 9), nothing else. A survey
    file needs a construct of at least 3 items: shorter ones are cut from a longer one."""
    if k < 3:
        full = seq_survey(3, reverse)
        return dataclasses.replace(full, items=full.items[:k], constructs={})
    items = [
        {"id": f"x{j + 1}", "text": f"Item {j + 1}", "scale": "s", "reverse": j in reverse} for j in range(k)
    ]
    spec = {
        "id": "seq",
        "version": "1",
        "title": "Sequences",
        "scales": {
            "s": {
                "type": "ordinal",
                "values": {c: f"code {c}" for c in range(6)},
                "not_applicable": {9: "Does not apply"},
            }
        },
        "items": items,
        "constructs": {"all": {"label": "All", "items": [it["id"] for it in items], "min_valid": 1}},
    }
    return parse_survey(yaml.safe_dump(spec, sort_keys=False))


def seq_table(survey, rows: list[list]) -> pd.DataFrame:
    """A canonical table whose item answers are ``rows`` (None: missing)."""
    n = len(rows)
    cols = {
        "respondent": pd.array([f"p{i}" for i in range(n)], dtype="str"),
        "wave": pd.array(["2026Q1"] * n, dtype="str"),
        "team": pd.array(["t1"] * n, dtype="str"),
        "submitted_at": pd.Series(pd.to_datetime(["2026-02-01T10:00:00Z"] * n)).dt.as_unit("us").array,
        "duration_s": pd.array([600.0] * n, dtype="Float64"),
    }
    for j, item in enumerate(survey.item_columns):
        cols[item] = pd.array([r[j] for r in rows], dtype="Int8")
    return pd.DataFrame(cols)


def r_longstring(seq: list) -> int:
    """``max(rle(x)$lengths)``: a line-by-line port of R's ``base::rle`` as ``careless::longstring``
    (1.2.2) uses it. ``NA != y`` is ``NA``, and ``rle`` starts a new run wherever the comparison is
    ``TRUE`` or ``NA``, so a missing answer is a run of its own."""
    n = len(seq)
    y = [None if a is None or b is None else a != b for a, b in zip(seq[1:], seq[:-1], strict=True)]
    ends = [i + 1 for i, d in enumerate(y) if d is None or d] + [n]
    return max(b - a for a, b in zip([0, *ends[:-1]], ends, strict=True))


def longstring_of(rows: list[list], **kw) -> pd.DataFrame:
    survey = seq_survey(len(rows[0]))
    return careless_flags(seq_table(survey, rows), survey, **kw)


# --------------------------------------------------------------------------- longstring


def test_longstring_on_the_careless_packages_own_test_data():
    # careless/inst/testdata/lonstring-test-data.csv, checked in careless/tests/testthat/
    # test-longstring.R with expect_identical(longstring(ls.test.data), c(1:9*10, 10))
    rows = [[1] * (10 * i) + [0, 1] * ((100 - 10 * i) // 2) for i in range(1, 10)]
    rows.append(([1] * 10 + [0] * 10) * 5)
    flags = longstring_of(rows)
    assert flags["longstring"].tolist() == [10, 20, 30, 40, 50, 60, 70, 80, 90, 10]
    assert [r_longstring(r) for r in rows] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 10]


@pytest.mark.parametrize(
    ("seq", "expected", "start"),
    [
        ([1, 1, 1, 2, 2], 3, "x1"),
        ([1, 2, 3, 4, 5], 1, "x1"),
        ([1, 2, 2, 2, 3, 3, 3], 3, "x2"),  # ties: the first longest run
        ([4, 4, 4, 4, 4], 5, "x1"),
        ([3, 3, None, 3], 2, "x1"),  # a missing answer breaks the run, as in careless::longstring
        ([3, None, 3, 3, 3], 3, "x3"),
        ([None, 2, 2, None], 2, "x2"),
        ([None, 5, None, 5], 1, "x2"),  # R: 1 as well (every run has length 1)
        ([9, 9, 9, 1], 3, "x1"),  # a not-applicable code is an answer like any other
        ([None, None, None], 0, None),  # R gives 1 here (a run of one NA): no answer, no run
        ([2], 1, "x1"),
    ],
)
def test_longstring_on_known_sequences(seq, expected, start):
    flags = longstring_of([seq])
    assert flags.loc[0, "longstring"] == expected
    got = flags.loc[0, "longstring_from"]
    assert (pd.isna(got) and start is None) or got == start
    if any(v is not None for v in seq):
        assert r_longstring(seq) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda k: st.lists(
            st.lists(st.sampled_from([1, 2, 3, 9, None]), min_size=k, max_size=k), min_size=1, max_size=20
        )
    )
)
def test_longstring_matches_r_rle_on_random_sequences(rows):
    flags = longstring_of(rows)
    expected = [r_longstring(r) if any(v is not None for v in r) else 0 for r in rows]
    assert flags["longstring"].tolist() == expected
    # wider integer codes give the same runs
    survey = seq_survey(len(rows[0]))
    wide = seq_table(survey, rows).astype(dict.fromkeys(survey.item_columns, "Int64"))
    pd.testing.assert_frame_equal(careless_flags(wide, survey), flags)
    # the run named by longstring_from really is that long and starts there
    for r, length, first in zip(rows, flags["longstring"], flags["longstring_from"], strict=True):
        if length:
            j = int(first[1:]) - 1
            assert r[j] is not None and r[j : j + length] == [r[j]] * length


# --------------------------------------------------------------------------- straight-lining


def test_default_straight_liner_rule(survey, mini_survey):
    # default survey: 32 scored items, longest same-keyed stretch 8 -> more than 16 is flagged
    assert default_max_longstring(survey) == 16
    # minimal survey: q1, q2, reverse-keyed q3 -> only the same answer to all three
    assert default_max_longstring(mini_survey) == 2
    assert default_max_longstring(seq_survey(1)) == 1  # one item cannot straight-line
    assert default_max_longstring(seq_survey(4)) == 3  # no reverse keying: all four alike
    assert default_max_longstring(seq_survey(10, reverse=(5,))) == 5
    assert default_max_longstring(seq_survey(10, reverse=(9,))) == 9


def test_same_answer_to_every_item_is_flagged_but_a_consistent_respondent_is_not(survey):
    table = simulate(survey, teams=2, waves=1, seed=3).responses["2026Q1"].iloc[:3].copy()
    scored = [it for it in survey.items if it.kind == "ordinal" and it.role is None]
    table.loc[0, [it.id for it in scored]] = 4  # agrees with everything, reverse-keyed items too
    for it in scored:  # agrees with every statement, disagrees with every reverse-keyed one
        table.loc[1, it.id] = 2 if it.reverse else 4
    table.loc[2, [it.id for it in scored]] = 3  # the midpoint throughout
    flags = careless_flags(table, survey)
    assert flags["longstring"].tolist() == [32, 8, 32]
    assert flags["straight_liner"].tolist() == [True, False, True]
    assert flags.loc[0, "longstring_from"] == scored[0].id


def test_straight_liner_on_the_minimal_survey_and_the_max_longstring_option(mini_survey):
    table = canonical(
        mini_survey,
        mini_row(q1="4", q2="4", q3="4"),
        mini_row(respondent="p_2", q1="4", q2="4", q3="2"),
        mini_row(respondent="p_3", q1="4", q2=None, q3="4"),
    )
    assert careless_flags(table, mini_survey)["straight_liner"].tolist() == [True, False, False]
    flags = careless_flags(table, mini_survey, max_longstring=1)
    assert flags["straight_liner"].tolist() == [True, True, False]
    assert careless_flags(table, mini_survey, max_longstring=3)["straight_liner"].sum() == 0


# --------------------------------------------------------------------------- speeders, attention


def test_speeders_and_seconds_per_item(mini_survey):
    # 4 ordinal items (q1, q2, q3 and the attention check): 8 s is 2.0 s per item
    table = canonical(
        mini_survey,
        mini_row(duration_s="7"),
        mini_row(respondent="p_2", duration_s="8"),
        mini_row(respondent="p_3", duration_s=None),
        mini_row(respondent="p_4", duration_s="3", q2=None),
        mini_row(respondent="p_5", duration_s="-4"),
        mini_row(respondent="p_6", duration_s="5", q1=None, q2=None, q3=None, check=None),
    )
    flags = careless_flags(table, mini_survey)
    assert flags["n_answered"].tolist() == [4, 4, 4, 3, 4, 0]
    assert flags["seconds_per_item"].tolist()[:2] == [1.75, 2.0]
    assert flags["seconds_per_item"].isna().tolist() == [False, False, True, False, False, True]
    assert flags.loc[3, "seconds_per_item"] == 1.0
    assert flags["speeder"].tolist() == [True, False, False, True, False, False]
    slower = careless_flags(table, mini_survey, min_seconds_per_item=2.5)
    assert slower["speeder"].tolist() == [True, True, False, True, False, False]


def test_not_applicable_codes_count_as_answered(mini_survey):
    table = canonical(mini_survey, mini_row(q1="9", q2="9", q3="9", duration_s="4"))
    flags = careless_flags(table, mini_survey)
    assert flags.loc[0, "n_answered"] == 4
    assert flags.loc[0, "seconds_per_item"] == 1.0
    assert flags.loc[0, "longstring"] == 3


def test_attention_failures(mini_survey):
    table = canonical(
        mini_survey,
        mini_row(check="4"),
        mini_row(respondent="p_2", check="3"),
        mini_row(respondent="p_3", check=None),  # missing: validation reports it, not a failure here
        mini_row(respondent="p_4", check="9"),  # "does not apply" is not the instructed answer
    )
    flags = careless_flags(table, mini_survey)
    assert flags["attention_failure"].tolist() == [False, True, False, True]


def test_survey_without_attention_checks_or_durations(mini_spec):
    mini_spec["items"] = [it for it in mini_spec["items"] if it["id"] != "check"]
    survey = parse_survey(yaml.safe_dump(mini_spec))
    rows = [mini_row(respondent=f"p_{i}", duration_s=None) for i in range(3)]
    for row in rows:
        del row["check"]
    table = canonical(survey, *rows)
    flags = careless_flags(table, survey)
    assert not flags["attention_failure"].any()
    assert not flags["speeder"].any()
    assert flags["seconds_per_item"].isna().all()
    assert flags["n_answered"].tolist() == [3, 3, 3]


def test_all_answers_missing(mini_survey):
    table = canonical(mini_survey, mini_row(q1=None, q2=None, q3=None, check=None, cadence=None))
    flags = careless_flags(table, mini_survey)
    assert flags.loc[0, "n_answered"] == 0
    assert flags.loc[0, "longstring"] == 0
    assert pd.isna(flags.loc[0, "longstring_from"])
    assert not flags.loc[0, ["speeder", "straight_liner", "attention_failure", "duplicate"]].any()


# --------------------------------------------------------------------------- duplicates


def stamp(minute: int) -> str:
    return f"2026-02-01T10:{minute:02d}:00Z"


def duplicates(survey, *rows: dict) -> list[bool]:
    return careless_flags(canonical(survey, *rows), survey)["duplicate"].tolist()


def test_duplicates_keep_the_last_complete_submission(mini_survey):
    # both complete: the later one is kept, wherever it is in the table
    assert duplicates(mini_survey, mini_row(submitted_at=stamp(30)), mini_row(submitted_at=stamp(10))) == [
        False,
        True,
    ]
    # the last one is incomplete (a required item unanswered): the earlier complete one is kept
    assert duplicates(
        mini_survey, mini_row(submitted_at=stamp(10)), mini_row(submitted_at=stamp(30), q1=None)
    ) == [
        False,
        True,
    ]
    # none complete: the last one is kept
    assert duplicates(
        mini_survey, mini_row(submitted_at=stamp(10), q1=None), mini_row(submitted_at=stamp(30), cadence=None)
    ) == [True, False]
    # an optional item left blank does not make a submission incomplete
    assert duplicates(
        mini_survey, mini_row(submitted_at=stamp(10)), mini_row(submitted_at=stamp(30), q2=None)
    ) == [
        True,
        False,
    ]


def test_three_submissions(mini_survey):
    rows = [
        mini_row(submitted_at=stamp(10)),
        mini_row(submitted_at=stamp(20)),
        mini_row(submitted_at=stamp(30), q1=None),  # incomplete: q1 is required
    ]
    assert duplicates(mini_survey, *rows) == [True, False, True]
    rows[2]["q1"] = "4"
    assert duplicates(mini_survey, *rows) == [True, True, False]


def test_duplicates_with_ask_if(mini_survey):
    # meeting_length is required only when asked (cadence other than none)
    no_one_on_ones = mini_row(submitted_at=stamp(10), cadence="none", meeting_length=None)
    unanswered = mini_row(submitted_at=stamp(30), meeting_length=None)
    assert duplicates(mini_survey, no_one_on_ones, unanswered) == [False, True]
    # ... and not when the cadence itself is unanswered (that row is incomplete anyway)
    no_cadence = mini_row(submitted_at=stamp(40), cadence=None, meeting_length=None)
    assert duplicates(mini_survey, no_one_on_ones, no_cadence) == [False, True]


def test_duplicate_ties_missing_times_respondents_and_waves(mini_survey):
    # the same time: the later row is kept
    assert duplicates(mini_survey, mini_row(), mini_row(), mini_row()) == [True, True, False]
    # a missing submission time counts as earliest
    assert duplicates(mini_survey, mini_row(submitted_at=stamp(10)), mini_row(submitted_at=None)) == [
        False,
        True,
    ]
    # a missing respondent is nobody's duplicate; another wave is another submission
    assert duplicates(mini_survey, mini_row(respondent=None), mini_row(respondent=None)) == [False, False]
    assert duplicates(mini_survey, mini_row(), mini_row(wave="2026Q2")) == [False, False]
    assert duplicates(mini_survey, mini_row(wave=None), mini_row(wave=None)) == [False, False]
    # other respondents in between do not matter
    rows = [mini_row(submitted_at=stamp(30)), mini_row(respondent="p_2"), mini_row(submitted_at=stamp(10))]
    assert duplicates(mini_survey, *rows) == [False, False, True]


# --------------------------------------------------------------------------- failure records


def test_failure_records(mini_survey):
    rows = [
        mini_row(submitted_at=stamp(10), q1="4", q2="4", q3="4"),  # straight-liner, superseded
        mini_row(respondent="p_2", duration_s="7", check="3"),  # speeder, attention failure
        mini_row(submitted_at=stamp(30)),  # kept
    ]
    table = canonical(mini_survey, *rows)
    table.index = [2, 3, 4]  # rows numbered as a spreadsheet shows them
    flags = careless_flags(table, mini_survey)
    failures = careless_failures(flags, table)
    # the values named come from the table as read (text) just as well
    text = mini_table(*rows).set_axis([2, 3, 4])
    pd.testing.assert_frame_equal(careless_failures(flags, text), failures)
    assert list(failures.columns) == FAILURE_COLUMNS
    assert failures[["row", "column", "rule", "value"]].values.tolist() == [
        [2, "q1", "straight_liner", "3"],
        [2, "respondent", "duplicate_submission", "p_1"],
        [3, "duration_s", "speeder", "1.75"],
    ]
    assert failures.loc[0, "message"] == "the same answer (4) to 3 consecutive items from q1"
    assert failures.loc[1, "message"].startswith("superseded by row 4 of the same respondent in wave 2026Q1")
    assert (
        failures.loc[2, "message"] == "4 items answered in 7 s, 1.75 s per item: too fast to have read them"
    )
    # the failed attention check is flagged but not listed: the schema reports it
    assert flags.loc[3, "attention_failure"]
    assert "attention_check" not in set(failures["rule"])
    report = validate(mini_table(mini_row(check="3")), mini_survey)
    assert set(report.failures["rule"]) == {"attention_check"}


def test_failures_of_a_clean_table_and_of_an_empty_one(mini_survey):
    table = canonical(mini_survey, mini_row())
    empty = careless_failures(careless_flags(table, mini_survey), table)
    assert list(empty.columns) == FAILURE_COLUMNS
    assert empty.empty


def test_attention_failures_agree_with_validation(survey, sample_table):
    table, _ = to_canonical(sample_table, survey)
    flags = careless_flags(table, survey)
    reported = validate(sample_table, survey).failures
    schema_rows = set(reported.loc[reported["rule"] == "attention_check", "row"])
    assert set(flags.index[flags["attention_failure"]]) == schema_rows
    assert schema_rows  # the sample has some
    # and every row validation quarantines for unique_per_wave is a duplicate or the row kept
    unique = set(reported.loc[reported["rule"] == "unique_per_wave", "row"])
    assert set(flags.index[flags["duplicate"]]) < unique


# --------------------------------------------------------------------------- edge cases, errors


def test_empty_table(survey):
    table = simulate(survey, teams=2, waves=1, seed=1).responses["2026Q1"].iloc[:0]
    flags = careless_flags(table, survey)
    assert list(flags.columns) == list(FLAG_COLUMNS)
    assert flags.empty
    assert flags.index.equals(table.index)
    assert str(flags["seconds_per_item"].dtype) == "Float64"
    assert flags["speeder"].dtype == bool
    failures = careless_failures(flags, table)
    assert list(failures.columns) == FAILURE_COLUMNS
    assert failures.empty


def test_input_never_mutated_and_index_kept(survey):
    table = simulate(survey, teams=10, waves=1, seed=2).responses["2026Q1"]
    table.index = table.index * 10 + 7
    before = table.copy(deep=True)
    flags = careless_flags(table, survey)
    flags_before = flags.copy(deep=True)
    careless_failures(flags, table)
    pd.testing.assert_frame_equal(table, before)
    pd.testing.assert_frame_equal(flags, flags_before)
    assert flags.index.equals(table.index)


def test_argument_errors(mini_survey):
    table = canonical(mini_survey, mini_row())
    with pytest.raises(TypeError, match="responses must be a pandas DataFrame, got list"):
        careless_flags([1, 2], mini_survey)
    with pytest.raises(TypeError, match=r"survey must be a Survey .* got dict"):
        careless_flags(table, {"id": "mini"})
    for bad in (0, -1.5, float("nan"), float("inf"), "2", True, None):
        with pytest.raises(ValueError, match=r"min_seconds_per_item must be a positive finite number .* got"):
            careless_flags(table, mini_survey, min_seconds_per_item=bad)
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ValueError, match=r"max_longstring must be None .* or a whole number >= 0; got"):
            careless_flags(table, mini_survey, max_longstring=bad)
    with pytest.raises(TypeError, match="survey must be a Survey"):
        default_max_longstring("surveys/one_on_one_pulse.yaml")


def test_input_errors(mini_survey):
    table = canonical(mini_survey, mini_row())
    with pytest.raises(InputError, match="lacks the columns q2") as info:
        careless_flags(table.drop(columns=["q2"]), mini_survey)
    assert info.value.column == "q2"
    with pytest.raises(InputError, match="lacks the columns duration_s, check") as info:
        careless_flags(table.drop(columns=["duration_s", "check"]), mini_survey)
    assert info.value.column == "duration_s"
    with pytest.raises(InputError, match="ordinal item q1 must hold integer codes, not str; convert") as info:
        careless_flags(mini_table(mini_row()), mini_survey)
    assert info.value.column == "q1"
    with pytest.raises(InputError, match="duration_s must hold numbers of seconds"):
        careless_flags(table.assign(duration_s="120"), mini_survey)
    with pytest.raises(InputError, match="submitted_at must hold timestamps"):
        careless_flags(table.assign(submitted_at="2026-02-01"), mini_survey)
    doubled = pd.concat([table, table])
    with pytest.raises(InputError, match="duplicate labels"):
        careless_flags(doubled, mini_survey)


def test_careless_failures_errors(mini_survey):
    table = canonical(mini_survey, mini_row(), mini_row(respondent="p_2"))
    flags = careless_flags(table, mini_survey)
    with pytest.raises(TypeError, match="flags must be a pandas DataFrame, got Series"):
        careless_failures(flags["speeder"], table)
    with pytest.raises(TypeError, match="responses must be a pandas DataFrame, got NoneType"):
        careless_failures(flags, None)
    with pytest.raises(
        InputError, match=r"flags \(from careless_flags\) lacks the columns duplicate"
    ) as info:
        careless_failures(flags.drop(columns="duplicate"), table)
    assert info.value.column == "duplicate"
    with pytest.raises(InputError, match="responses lacks the columns respondent"):
        careless_failures(flags, table.drop(columns="respondent"))
    with pytest.raises(ValueError, match="flags must be indexed like responses"):
        careless_failures(flags.iloc[:1], table)


# --------------------------------------------------------------------------- recomputation


def test_flags_recomputed_with_plain_pandas(survey):
    org = simulate(survey, teams=20, waves=1, seed=4, mess={"item_nonresponse": 0.2})
    table = org.responses["2026Q1"]
    flags = careless_flags(table, survey)
    ordinal = [it.id for it in survey.items if it.kind == "ordinal"]
    scored = [it.id for it in survey.items if it.kind == "ordinal" and it.role is None]
    answered = table[ordinal].notna().sum(axis=1)
    assert flags["n_answered"].tolist() == answered.tolist()
    per_item = table["duration_s"] / answered
    pd.testing.assert_series_equal(flags["seconds_per_item"], per_item, check_names=False)
    rows = [[None if pd.isna(v) else int(v) for v in r] for r in table[scored].itertuples(index=False)]
    assert flags["longstring"].tolist() == [
        r_longstring(r) if any(v is not None for v in r) else 0 for r in rows
    ]


# --------------------------------------------------------------------------- simulated recovery


@pytest.fixture(scope="module")
def planted(survey):
    org = simulate(survey, teams=200, waves=1, seed=5)
    return org.responses["2026Q1"], org.latent["2026Q1"]


def test_recovery_of_planted_speeders(survey, planted):
    table, truth = planted
    # a duplicate submission copies the answers but is timed afresh: the planted copy is not fast
    speeders = truth["speeder"] & ~truth["is_duplicate"]
    attentive = ~(truth["speeder"] | truth["straight_liner"] | truth["attention_failure"])
    flags = careless_flags(table, survey)
    # the simulator times speeders at 0.5-1.7 s per rated item: the 2 s rule finds every one
    assert flags.loc[speeders, "speeder"].all()
    assert (flags.loc[speeders, "seconds_per_item"] < 2).all()
    assert not flags.loc[attentive, "speeder"].any()
    # and a threshold twice as strict still flags no attentive respondent
    stricter = careless_flags(table, survey, min_seconds_per_item=4.0)
    assert stricter.loc[attentive, "speeder"].mean() < 0.005


def test_recovery_of_planted_straight_liners_and_attention_failures(survey, planted):
    table, truth = planted
    flags = careless_flags(table, survey)
    straight = truth["straight_liner"].to_numpy()
    assert straight.sum() > 10
    assert flags.loc[straight, "straight_liner"].all()
    assert (flags.loc[straight, "longstring"] == 32).all()
    attentive = ~(truth["speeder"] | truth["straight_liner"] | truth["attention_failure"])
    assert not flags.loc[~straight, "straight_liner"].any()
    assert flags.loc[attentive, "longstring"].max() <= 12  # far below the limit of 16
    assert flags["attention_failure"].tolist() == truth["attention_failure"].tolist()
    # the false-positive rate among attentive respondents: any careless flag at all
    careless = flags[["speeder", "straight_liner", "attention_failure"]].any(axis=1)
    assert careless[attentive].mean() < 0.01


def test_recovery_of_planted_duplicates(survey, planted):
    table, truth = planted
    flags = careless_flags(table, survey)
    assert truth["is_duplicate"].sum() > 5
    # both submissions are complete, so the later one (the copy) is kept
    assert flags["duplicate"].tolist() == truth["has_duplicate"].tolist()
    kept = table.loc[~flags["duplicate"]]
    assert not kept.duplicated(["respondent", "wave"]).any()
    assert set(kept["respondent"]) == set(table["respondent"])
    failures = careless_failures(flags, table)
    dup = failures[failures["rule"] == "duplicate_submission"]
    assert len(dup) == truth["has_duplicate"].sum()
    copies = table.loc[truth["is_duplicate"].to_numpy()]
    copy_of = dict(zip(copies["respondent"], copies.index, strict=True))
    for row, message in zip(dup["row"], dup["message"], strict=True):
        assert message.startswith(f"superseded by row {copy_of[table.loc[row, 'respondent']]} ")


def test_failure_records_on_a_simulated_wave(survey, planted):
    table, _ = planted
    flags = careless_flags(table, survey)
    failures = careless_failures(flags, table)
    counts = failures["rule"].value_counts().to_dict()
    assert counts == {
        rule: int(flags[flag].sum())
        for rule, flag in [
            ("speeder", "speeder"),
            ("straight_liner", "straight_liner"),
            ("duplicate_submission", "duplicate"),
        ]
        if flags[flag].any()
    }
    positions = table.index.get_indexer(failures["row"])
    assert (np.diff(positions) >= 0).all()  # ordered by row
