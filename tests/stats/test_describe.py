"""Descriptive tables for the notebooks, checked against scipy and plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit.ingest.batch import ingest_exports
from toolkit.simulate import pseudonym_key
from toolkit.stats.describe import (
    INGEST_COLUMNS,
    MEANS_COLUMNS,
    NAIVE_COLUMNS,
    VERDICTS,
    cadence_means,
    ingest_summary,
    naive_comparison,
    quarantine_reasons,
    screening,
    team_mean_verdict,
)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    store = tmp_path_factory.mktemp("describe") / "store"
    results = ingest_exports(
        SAMPLE / "exports", survey=SURVEY_PATH, roster=SAMPLE / "roster.csv", store=store,
        key=pseudonym_key(2026), format="qualtrics", waves=["2026Q1", "2026Q2"],
    )  # fmt: skip
    return store, results


def _scores(seed=7, n=240):
    rng = np.random.default_rng(seed)
    cadence = rng.choice(["weekly", "biweekly", "monthly", "none"], size=n, p=[0.4, 0.2, 0.3, 0.1])
    team = rng.integers(0, 30, size=n).astype(str)
    rows = []
    for construct, shift in (("depth", 0.3), ("trust", 0.0)):
        y = 3 + shift * (cadence == "weekly") + rng.normal(0, 0.8, n)
        y[rng.random(n) < 0.05] = np.nan
        rows.append(pd.DataFrame({"respondent": np.arange(n).astype(str), "wave": "2026Q1", "team": team,
                                  "cadence": cadence, "construct": construct, "score": y}))  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    out["score"] = out["score"].astype("Float64")
    codes = ["weekly", "biweekly", "monthly", "less_than_monthly", "none"]
    out["cadence"] = pd.Categorical(out["cadence"], categories=codes)
    return out


# --------------------------------------------------------------------------- ingest


def test_ingest_summary_and_quarantine_reasons_agree_with_the_results(ingested):
    store, results = ingested
    table = ingest_summary(results)
    assert list(table.columns) == list(INGEST_COLUMNS)
    assert table["balanced"].all() and list(table["wave"]) == ["2026Q1", "2026Q2"]
    reasons = quarantine_reasons(store)
    assert list(reasons.columns) == ["wave", "rule", "column", "n_rows"]
    for result in results:
        mine = reasons[reasons["wave"] == result.wave]
        # each quarantined row has at least one reason; rules are counted per row
        assert mine["n_rows"].sum() >= result.rows_quarantined
        failures = result.validation.failures.drop_duplicates(["row", "rule", "column"])
        expected = failures.groupby(["rule", "column"]).size().sort_index()
        assert mine.set_index(["rule", "column"])["n_rows"].sort_index().to_dict() == expected.to_dict()
    only = quarantine_reasons(store, waves=["2026Q2"])
    assert set(only["wave"]) == {"2026Q2"}
    with pytest.raises(ValueError, match=r"waves \['2026Q4'\] are not stored; the store has 2026Q1, 2026Q2"):
        quarantine_reasons(store, waves=["2026Q4"])


def test_screening_recomputes_the_flags_of_every_row_read(ingested, survey):
    store, results = ingested
    rows = screening(store, survey)
    assert list(rows.columns[:3]) == ["wave", "status", "reasons"]
    assert "respondent" not in rows.columns
    for result in results:
        mine = rows[rows["wave"] == result.wave]
        assert len(mine) == result.rows_read
        assert (mine["status"] == "quarantined").sum() == result.rows_quarantined
        for flag in ("speeder", "straight_liner", "attention_failure", "duplicate"):
            assert int(mine[flag].sum()) == int(result.flags[flag].sum()), flag
        stored = mine[mine["status"] == "stored"]
        assert not stored[["speeder", "straight_liner", "duplicate"]].any().any()


# --------------------------------------------------------------------------- cadence means


def test_cadence_means_match_scipy_and_pandas():
    scores = _scores()
    means = cadence_means(scores)
    assert list(means.columns) == ["construct", "cadence", *MEANS_COLUMNS]
    assert list(means["construct"].unique()) == ["depth", "trust"]
    depth = means[means["construct"] == "depth"]
    assert list(depth["cadence"]) == ["weekly", "biweekly", "monthly", "none"]
    for row in means.itertuples(index=False):
        part = scores[(scores["construct"] == row.construct) & (scores["cadence"] == row.cadence)]
        y = part["score"].dropna().to_numpy(float)
        ci = stats.ttest_1samp(y, 0).confidence_interval(0.95)  # scipy, as R's t.test(y)$conf.int
        assert row.n == len(y) and row.n_teams == part.loc[part["score"].notna(), "team"].nunique()
        assert row.mean == pytest.approx(y.mean(), abs=1e-12)
        assert row.sd == pytest.approx(y.std(ddof=1), abs=1e-12)
        assert row.se == pytest.approx(stats.sem(y), abs=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-10)


def test_cadence_means_by_wave_and_a_subset_of_constructs():
    scores = pd.concat([_scores(1), _scores(2).assign(wave="2026Q2")], ignore_index=True)
    trends = cadence_means(scores, by=("wave", "cadence"), constructs=["trust"], alpha=0.1)
    assert set(trends["construct"]) == {"trust"}
    assert list(trends.columns[:3]) == ["construct", "wave", "cadence"]
    row = trends.iloc[0]
    y = scores[(scores["construct"] == "trust") & (scores["wave"] == row["wave"])
               & (scores["cadence"] == row["cadence"])]["score"].dropna().to_numpy(float)  # fmt: skip
    assert row["ci_high"] - row["mean"] == pytest.approx(stats.t.ppf(0.95, len(y) - 1) * stats.sem(y))


def test_cadence_means_errors_and_single_people():
    scores = _scores()
    one = cadence_means(scores[scores["cadence"] != "none"].iloc[:1])
    assert one["n"].iloc[0] == 1 and np.isnan(one["sd"].iloc[0]) and np.isnan(one["ci_low"].iloc[0])
    with pytest.raises(ValueError, match=r"scores lacks the columns \['wave'\]"):
        cadence_means(scores.drop(columns="wave"), by=("wave", "cadence"))
    with pytest.raises(ValueError, match=r"constructs \['grit'\] are not in scores"):
        cadence_means(scores, constructs=["grit"])
    with pytest.raises(ValueError, match=r"alpha must be a number between 0 and 1; got 1\.5"):
        cadence_means(scores, alpha=1.5)


# --------------------------------------------------------------------------- naive comparison


@pytest.mark.parametrize("equal_var", [False, True])
def test_naive_comparison_is_scipys_two_sample_t_test(equal_var):
    scores = _scores()
    result = naive_comparison(scores, outcome=["depth", "trust"], equal_var=equal_var)
    assert list(result.columns) == list(NAIVE_COLUMNS)
    assert list(result["method"]) == ["naive_student" if equal_var else "naive_welch"] * 2
    for row in result.itertuples(index=False):
        part = scores[scores["construct"] == row.outcome]
        a = part.loc[part["cadence"] == "weekly", "score"].dropna().to_numpy(float)
        b = part.loc[part["cadence"] == "monthly", "score"].dropna().to_numpy(float)
        ref = stats.ttest_ind(a, b, equal_var=equal_var)  # as R's t.test(a, b, var.equal = ...)
        ci = ref.confidence_interval(0.95)
        assert row.estimate == pytest.approx(a.mean() - b.mean(), abs=1e-12)
        assert row.estimate / row.se == pytest.approx(ref.statistic, abs=1e-10)
        assert row.df == pytest.approx(ref.df, abs=1e-9)
        assert row.p_val == pytest.approx(ref.pvalue, abs=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-10)
        assert (row.n_a, row.n_b, row.n_people) == (len(a), len(b), len(a) + len(b))


def test_naive_comparison_wide_and_errors():
    scores = _scores()
    wide = scores[scores["construct"] == "depth"].rename(columns={"score": "depth"}).drop(columns="construct")
    long = naive_comparison(scores, outcome="depth", contrast=("monthly", "none"))
    assert naive_comparison(wide, outcome="depth", contrast=("monthly", "none"))["estimate"].iloc[0] == (
        pytest.approx(long["estimate"].iloc[0])
    )
    assert long["contrast"].iloc[0] == "monthly - none"
    with pytest.raises(ValueError, match="'grit' is not a construct of scores"):
        naive_comparison(scores, outcome="grit")
    with pytest.raises(ValueError, match="'grit' is not a column of scores"):
        naive_comparison(wide, outcome="grit")
    with pytest.raises(ValueError, match="cadence 'less_than_monthly' has 0 people with 'depth'"):
        naive_comparison(scores, outcome="depth", contrast=("weekly", "less_than_monthly"))
    two_waves = pd.concat([scores, scores.assign(wave="2026Q2")])
    with pytest.raises(ValueError, match="scores holds several waves"):
        naive_comparison(two_waves, outcome="depth")
    with pytest.raises(ValueError, match=r"scores lacks the columns \['team'\]"):
        naive_comparison(scores.drop(columns="team"), outcome="depth")


# --------------------------------------------------------------------------- verdict


def test_team_mean_verdict_applies_the_cut_offs_in_order():
    summary = pd.DataFrame(
        {
            "construct": list("abcdef"),
            "raw_alpha": [0.9, 0.9, 0.9, 0.9, 0.6, np.nan],
            "icc1": [0.3, 0.1, -0.02, 0.3, 0.3, 0.2],
            "icc2": [0.8, 0.45, -0.1, 0.8, 0.8, 0.8],
            "rwg_j_median": [0.75, 0.9, 0.9, 0.6, 0.9, 0.9],
        }
    )
    verdict = team_mean_verdict(summary)
    assert list(verdict["verdict"]) == [
        "meaningful", "noisy", "no team differences", "members disagree", "unreliable scale",
        "unreliable scale",
    ]  # fmt: skip
    assert set(verdict["verdict"]) <= set(VERDICTS)
    assert "ICC(2) 0.45 is below 0.70" in verdict["reason"].iloc[1]
    # Spearman-Brown: k respondents give ICC(2) = k ICC(1) / (1 + (k - 1) ICC(1)); the smallest k reaching .70
    for icc1, k in zip(verdict["icc1"], verdict["respondents_needed"], strict=True):
        if icc1 <= 0:
            assert pd.isna(k)
            continue
        reached = [n * icc1 / (1 + (n - 1) * icc1) for n in (k - 1, k)]
        assert reached[1] >= 0.70 - 1e-12 and (k == 1 or reached[0] < 0.70)
    stricter = team_mean_verdict(summary, cutoffs={"raw_alpha": 0.95, "icc2": 0.7, "rwg_j": 0.7})
    assert set(stricter["verdict"]) == {"unreliable scale"}
    with pytest.raises(ValueError, match=r"summary lacks the columns \['icc2'\]"):
        team_mean_verdict(summary.drop(columns="icc2"))


def test_team_mean_verdict_on_measurement_summary(survey):
    from toolkit import measurement_summary, read_canonical, validate

    valid = validate(read_canonical(SAMPLE / "responses_2026Q1.csv"), survey).valid
    summary = measurement_summary(valid, survey)
    verdict = team_mean_verdict(summary)
    assert list(verdict["construct"]) == list(survey.constructs)
    assert "label" in verdict.columns and verdict["verdict"].isin(VERDICTS).all()
