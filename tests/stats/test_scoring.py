"""Construct scores: hand-made cases (reverse keying, not-applicable codes, minimum valid items,
favourable answers, the 0-100 scale), recomputation with plain pandas on the sample, the item
block R used for the reference values, group summaries and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, SAMPLE, mini_row, mini_table
from toolkit import InputError, read_canonical, validate
from toolkit.stats.scoring import SCORE_COLUMNS, SUMMARY_COLUMNS, item_block, score, summarise
from toolkit.survey import CADENCE_CODES, parse_survey
from toolkit.survey.validate import to_canonical


def canonical(survey, *rows: dict) -> pd.DataFrame:
    table, failures = to_canonical(mini_table(*rows), survey)
    assert not failures
    return table


@pytest.fixture
def mini_rows(mini_survey):
    # construct depth = q1, q2, q3 (q3 reverse keyed), min_valid 2; agree5 1..5, 9 = not applicable
    return canonical(
        mini_survey,
        mini_row(respondent="p1", q1="4", q2="9", q3="2"),  # q2 n/a; q3 -> 6 - 2 = 4
        mini_row(respondent="p2", cadence="monthly", q1="5", q2="1", q3="5"),  # q3 -> 1
        mini_row(respondent="p3", cadence="none", meeting_length=None, q1="3", q2=None, q3="9"),  # one valid
        mini_row(respondent="p4", team="t2", q1="2", q2="2", q3=None),
    )


@pytest.fixture
def sample_valid(survey):
    return validate(read_canonical(SAMPLE / "responses_2026Q1.csv"), survey).valid


# --------------------------------------------------------------------------- hand-made cases


def test_hand_made_scores(mini_survey, mini_rows):
    before = mini_rows.copy()
    got = score(mini_rows, mini_survey)
    pd.testing.assert_frame_equal(mini_rows, before)  # input not mutated
    assert list(got.columns) == list(SCORE_COLUMNS)
    assert list(got["respondent"]) == ["p1", "p2", "p3", "p4"]
    assert list(got["construct"]) == ["depth"] * 4
    expected_score = [4.0, 7 / 3, None, 2.0]
    for g, e in zip(got["score"], expected_score, strict=True):
        assert (g is pd.NA) if e is None else g == pytest.approx(e)
    assert list(got["n_items"]) == [2, 3, 1, 2]  # n/a codes and blanks are not valid; p3 below min_valid
    assert got["score_100"].iloc[0] == 75.0 and got["score_100"].iloc[1] == pytest.approx(100 / 3)
    # favourable: q1=4 and reversed q3=4 (disagreeing that ... is favourable); p2: only q1=5
    assert list(got["favourable"].iloc[[0, 1, 3]]) == [1.0, pytest.approx(1 / 3), 0.0]
    assert got[["score", "score_100", "favourable"]].iloc[2].isna().all()
    assert got["score"].dtype == "Float64" and got["n_items"].dtype == "int64"
    assert list(got["cadence"].astype("str")) == ["weekly", "monthly", "none", "weekly"]
    assert list(got["cadence"].cat.categories) == ["weekly", "monthly", "none"]
    assert list(got["team"]) == ["t1", "t1", "t1", "t2"]


def test_min_valid_is_the_construct_rule(mini_spec, tmp_path):
    mini_spec["constructs"]["depth"]["min_valid"] = 1
    survey = parse_survey(yaml.safe_dump(mini_spec))
    table = canonical(survey, mini_row(q1="3", q2=None, q3="9"))
    got = score(table, survey).iloc[0]
    assert (got["score"], got["n_items"], got["score_100"], got["favourable"]) == (3.0, 1, 50.0, 0.0)


def test_no_answers_gives_no_score_even_with_min_valid_zero_items(mini_survey):
    table = canonical(mini_survey, mini_row(q1=None, q2="9", q3=None))
    got = score(table, mini_survey).iloc[0]
    assert got["n_items"] == 0 and got["score"] is pd.NA


def test_survey_without_cadence_item(mini_spec):
    mini_spec["items"] = [it for it in mini_spec["items"] if it["id"] not in ("cadence", "meeting_length")]
    survey = parse_survey(yaml.safe_dump(mini_spec))
    rows = [
        {k: v for k, v in mini_row(respondent=f"p{i}").items() if k not in ("cadence", "meeting_length")}
        for i in (1, 2)
    ]
    table, failures = to_canonical(mini_table(*rows), survey)
    assert not failures
    got = score(table, survey)
    assert got["cadence"].isna().all()
    assert list(got["cadence"].cat.categories) == list(CADENCE_CODES)


def test_scale_without_favourable_codes(mini_spec):
    del mini_spec["scales"]["agree5"]["favourable"]
    survey = parse_survey(yaml.safe_dump(mini_spec))
    got = score(canonical(survey, mini_row()), survey).iloc[0]
    assert got["favourable"] is pd.NA and got["score"] == 4.0


def test_text_codes_are_accepted(mini_survey):
    text = mini_table(mini_row(q1="4", q2="9", q3="2"))
    got = score(text, mini_survey).iloc[0]
    assert (got["score"], got["n_items"]) == (4.0, 2)


# --------------------------------------------------------------------------- the sample


def test_sample_recomputed_with_plain_pandas(survey, sample_valid):
    got = score(sample_valid, survey)
    assert len(got) == len(sample_valid) * len(survey.constructs)
    for cid, con in survey.constructs.items():
        mine = got[got["construct"] == cid].reset_index(drop=True)
        items = sample_valid[list(con.items)].astype("float64")
        for item_id in con.items:
            scale = survey.scale_of(item_id)
            items[item_id] = items[item_id].mask(items[item_id].isin(scale.na_codes))
            if survey.item(item_id).reverse:
                items[item_id] = min(scale.codes) + max(scale.codes) - items[item_id]
        n = items.notna().sum(axis=1).reset_index(drop=True)
        mean = items.mean(axis=1).reset_index(drop=True).where(n >= con.min_valid)
        # favourable is the good end: agreeing, or for holding back (better: lower) disagreeing
        good = [4, 5] if con.higher_is_better else [1, 2]
        fav = items.isin(good).sum(axis=1).reset_index(drop=True) / n
        pd.testing.assert_series_equal(mine["n_items"], n, check_names=False)
        np.testing.assert_allclose(mine["score"].to_numpy(float, na_value=np.nan), mean, atol=1e-12)
        np.testing.assert_allclose(
            mine["score_100"].to_numpy(float, na_value=np.nan), ((mean - 1) / 4 * 100), atol=1e-12
        )
        np.testing.assert_allclose(
            mine["favourable"].to_numpy(float, na_value=np.nan), fav.where(mean.notna()), atol=1e-12
        )
        assert (mine["respondent"].to_numpy() == sample_valid["respondent"].to_numpy()).all()
        assert (
            mine["cadence"].astype("str").to_numpy() == sample_valid["cadence"].astype("str").to_numpy()
        ).all()


def test_item_block_is_the_block_r_used(survey):
    """data_B_sample.csv is what reference.R built from the sample: 9 -> NA, depth_repeats -> 6 - x."""
    raw = read_canonical(SAMPLE / "responses_2026Q1.csv")  # text, as read; rows numbered from 2
    ref = pd.read_csv(ROOT / "tests" / "reference" / "psychometrics" / "data_B_sample.csv")
    block = item_block(raw, survey, "depth").loc[ref["file_row"] + 1]
    expected = ref.rename(columns={"depth_repeats_r": "depth_repeats"})[list(block.columns)]
    np.testing.assert_array_equal(block.to_numpy(float, na_value=np.nan), expected.to_numpy(float))
    assert (block.dtypes == "Float64").all()
    # the construct score is R's row mean wherever min_valid (3 of 5) is met
    s = score(raw, survey)
    depth = s[s["construct"] == "depth"].set_index(raw.index).loc[ref["file_row"] + 1]
    has = (depth["n_items"] >= 3).to_numpy()
    np.testing.assert_allclose(
        depth["score"].to_numpy(float, na_value=np.nan)[has], ref["score"][has], atol=1e-12
    )


def test_summarise_pools_item_answers(survey, sample_valid):
    s = score(sample_valid, survey)
    got = summarise(s, by=["team", "construct"])
    assert list(got.columns) == ["team", "construct", *SUMMARY_COLUMNS]
    block = item_block(sample_valid, survey, "depth")
    scored = block.notna().sum(axis=1) >= survey.constructs["depth"].min_valid
    fav = block.isin([4, 5]).where(block.notna())[scored]  # favourable answers among valid ones
    teams = sample_valid.loc[scored, "team"]
    pooled = (
        100 * fav.sum(axis=1).groupby(teams).sum() / block[scored].notna().sum(axis=1).groupby(teams).sum()
    )
    depth = got[got["construct"] == "depth"].set_index("team")
    np.testing.assert_allclose(depth["percent_favourable"], pooled.loc[depth.index], atol=1e-9)
    plain = s[s["construct"] == "depth"].astype({"score": "float64"}).groupby("team")["score"]
    np.testing.assert_allclose(depth["mean"], plain.mean().loc[depth.index], atol=1e-12)
    np.testing.assert_allclose(depth["n"], plain.count().loc[depth.index])
    np.testing.assert_allclose(depth["mean_100"], (depth["mean"] - 1) / 4 * 100, atol=1e-9)


def test_summarise_hand_made():
    s = pd.DataFrame(
        {
            "team": ["a", "a", "a", "b"],
            "construct": "x",
            "score": pd.array([4.0, 3.0, None, 5.0], dtype="Float64"),
            "n_items": [4, 2, 1, 3],
            "score_100": pd.array([75.0, 50.0, None, 100.0], dtype="Float64"),
            "favourable": pd.array([0.75, 0.5, None, 1.0], dtype="Float64"),
        }
    )
    got = summarise(s, by="team").set_index("team")
    assert got.loc["a", "n"] == 2 and got.loc["a", "mean"] == 3.5 and got.loc["a", "mean_100"] == 62.5
    assert got.loc["a", "percent_favourable"] == pytest.approx(100 * 4 / 6)  # (3 + 1) of 6 answers
    assert got.loc["b", "percent_favourable"] == 100.0 and np.isnan(got.loc["b", "sd"])


# --------------------------------------------------------------------------- errors


def test_errors(survey, mini_survey, sample_valid):
    with pytest.raises(TypeError, match="survey must be a Survey"):
        score(sample_valid, "surveys/one_on_one_pulse.yaml")
    with pytest.raises(TypeError, match="responses must be a DataFrame"):
        score(sample_valid.to_numpy(), survey)
    with pytest.raises(InputError, match="no column 'depth_why'"):
        score(sample_valid.drop(columns="depth_why"), survey)
    with pytest.raises(InputError, match="no column 'team'"):
        score(sample_valid.drop(columns="team"), survey)
    bad = sample_valid.astype({"depth_why": "float64"})
    bad.iloc[0, bad.columns.get_loc("depth_why")] = 7
    with pytest.raises(
        ValueError, match=r"column 'depth_why' holds codes \[7.0\] .* allowed: \[1, 2, 3, 4, 5, 9\]"
    ):
        score(bad, survey)
    text = mini_table(mini_row(q1="often"))
    with pytest.raises(ValueError, match="column 'q1' holds 'often', not a code"):
        score(text, mini_survey)
    with pytest.raises(ValueError, match="column 'cadence' holds 'daily', not a code of scale 'cadence'"):
        score(mini_table(mini_row(cadence="daily")), mini_survey)
    with pytest.raises(TypeError, match="column 'q1' must hold numeric answer codes"):
        score(canonical(mini_survey, mini_row()).astype({"q1": "category"}), mini_survey)
    with pytest.raises(ValueError, match=r"construct must be one of availability, .* got 'depht'"):
        item_block(sample_valid, survey, "depht")
    with pytest.raises(ValueError, match="by must name one or more distinct columns"):
        summarise(score(sample_valid, survey), by=[])
    with pytest.raises(InputError, match="scores has no column 'unit'"):
        summarise(score(sample_valid, survey), by=["unit"])


def test_favourable_counts_the_good_end_of_a_lower_is_better_construct(survey, sample_valid):
    assert not survey.constructs["holding_back"].higher_is_better
    assert all(c.higher_is_better for k, c in survey.constructs.items() if k != "holding_back")
    s = score(sample_valid, survey)
    hold = s[(s["construct"] == "holding_back") & s["score"].notna()]
    # a respondent who holds nothing back (scores 1) answers favourably throughout, one who holds
    # everything back (5) never does
    low, high = hold[hold["score"] <= 1.5], hold[hold["score"] >= 4.5]
    assert len(low) and (low["favourable"] >= 0.5).all()
    assert len(high) == 0 or (high["favourable"] <= 0.5).all()
    r = np.corrcoef(hold["score"].astype(float), hold["favourable"].astype(float))[0, 1]
    assert r < -0.8  # favourable falls as holding back rises
