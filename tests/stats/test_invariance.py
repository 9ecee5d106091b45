"""Measurement invariance (multi-group CFA) against R's lavaan 0.6-14.

Expected values come from ``tests/reference/invariance`` (``reference.R``, run with R 4.2.2 and
lavaan 0.6-14; its README defines every column and data set). For each data set and level the
R call is

    configural: cfa(model, data, group = g)
    metric:     cfa(model, data, group = g, group.equal = "loadings")
    scalar:     cfa(model, data, group = g, group.equal = c("loadings", "intercepts"))
    fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"))
    lavTestLRT(configural, metric, scalar)

Tolerance: 1e-3 absolute for every number, as the issue states (the implementation reproduces
lavaan to about 1e-7 on these data: lavaan's own convergence tolerance).
"""

from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from tests.conftest import MINIMAL_SURVEY, ROOT, SAMPLE
from toolkit import InputError, item_block, read_canonical, validate
from toolkit.stats import _sem as sem
from toolkit.stats import invariance as inv
from toolkit.stats.invariance import (
    INVARIANCE_COLUMNS,
    LEVELS,
    cadence_invariance,
    invariance,
    invariance_verdict,
    supported_level,
)
from toolkit.survey import parse_survey

REF = ROOT / "tests" / "reference" / "invariance"
TOL = 1e-3  # the tolerance against lavaan, for every statistic

DEPTH = ["depth_beyond_status", "depth_how_work", "depth_why", "depth_growth", "depth_repeats"]
AVAIL = ["avail_reachable", "avail_makes_time", "avail_unplanned", "avail_wait"]
CONTACT = ["contact_chat", "contact_talk", "contact_quick_questions"]
HS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@functools.cache
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def _weekly_monthly() -> pd.DataFrame:
    sample = _csv("sample_2026Q1.csv")
    return sample[sample["cadence"].isin(["weekly", "monthly"])]


# name in lavaan_fit.csv -> (data, factors, group), exactly what reference.R passed to cfa()
CASES = {
    "hs": (lambda: _csv("HolzingerSwineford1939.csv"), HS, "school"),
    "depth_wm": (_weekly_monthly, {"depth": DEPTH}, "cadence"),
    "depth_all": (lambda: _csv("sample_2026Q1.csv"), {"depth": DEPTH}, "cadence"),
    "availability_wm": (_weekly_monthly, {"availability": AVAIL}, "cadence"),
    "availability_all": (lambda: _csv("sample_2026Q1.csv"), {"availability": AVAIL}, "cadence"),
    "availability_depth_wm": (_weekly_monthly, {"availability": AVAIL, "depth": DEPTH}, "cadence"),
    "contact_edge": (lambda: _csv("edge_contact.csv"), {"informal_contact": CONTACT}, "cadence"),
    "contact_all": (lambda: _csv("sample_2026Q1.csv"), {"informal_contact": CONTACT}, "cadence"),
    "synthetic_two_factors": (lambda: _csv("synthetic.csv"), {"f1": ["a", "b"], "f2": ["c", "d"]}, "grp"),
    "synthetic_heywood": (lambda: _csv("synthetic.csv"), {"f": ["x", "y", "z"]}, "grp"),
    "weak_marker": (
        lambda: _csv("weak_marker.csv"),
        {"f1": [f"w{i}" for i in range(5)], "f2": [f"w{i}" for i in range(5, 10)]},
        "grp",
    ),
}
# ours <- the column of lavaan_fit.csv (fitMeasures names; ntotal = lavInspect(fit, "ntotal"))
COLUMN_MAP = {
    "chisq": "chisq",  # fitMeasures(fit, "chisq")
    "df": "df",  # fitMeasures(fit, "df")
    "pvalue": "pvalue",  # fitMeasures(fit, "pvalue"); NA when df = 0
    "cfi": "cfi",  # fitMeasures(fit, "cfi")
    "tli": "tli",  # fitMeasures(fit, "tli")
    "rmsea": "rmsea",  # fitMeasures(fit, "rmsea")
    "srmr": "srmr",  # fitMeasures(fit, "srmr") (= srmr_bentler, means included)
    "aic": "aic",  # fitMeasures(fit, "aic")
    "bic": "bic",  # fitMeasures(fit, "bic")
    "n": "ntotal",  # fitMeasures(fit, "ntotal")
    "delta_chisq": "delta_chisq",  # lavTestLRT(...)[, "Chisq diff"]
    "delta_df": "delta_df",  # lavTestLRT(...)[, "Df diff"]
    "p_delta": "p_delta",  # lavTestLRT(...)[, "Pr(>Chisq)"]
}


@functools.cache
def fitted(name: str) -> pd.DataFrame:
    data, factors, group = CASES[name]
    return invariance(data(), factors, group)


def lavaan(name: str) -> pd.DataFrame:
    ref = _csv("lavaan_fit.csv")
    return ref[ref["dataset"] == name].set_index("level")


def sample_valid(wave: str = "2026Q1") -> pd.DataFrame:
    return _valid(wave).copy()


@functools.cache
def _valid(wave: str) -> pd.DataFrame:
    from toolkit import load_survey

    survey = load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")
    return validate(read_canonical(SAMPLE / f"responses_{wave}.csv"), survey).valid


# --------------------------------------------------------------------------- against lavaan


@pytest.mark.parametrize("name", list(CASES))
def test_every_fit_measure_matches_lavaan(name):
    got = fitted(name).set_index("level")
    ref = lavaan(name)
    assert list(got.index) == list(LEVELS) == list(ref.index)
    for ours, theirs in COLUMN_MAP.items():
        np.testing.assert_allclose(
            got[ours].to_numpy(float), ref[theirs].to_numpy(float), atol=TOL, rtol=0, err_msg=ours
        )  # NaN where lavaan has NA (pvalue at df 0, the deltas of configural)


@pytest.mark.parametrize("name", list(CASES))
def test_groups_and_listwise_deletion_match_lavaan(name):
    got = fitted(name)
    ref = lavaan(name).iloc[0]
    labels, sizes = ref["groups"].split(";"), [int(n) for n in ref["group_n"].split(";")]
    expected = ", ".join(f"{lab} {n}" for lab, n in zip(labels, sizes, strict=True))
    # lavInspect(fit, "group.label") and lavInspect(fit, "nobs"), in lavaan's order (first appearance)
    assert f"groups (complete rows): {expected}" in got["note"].iloc[0]
    assert (got["n"] == sum(sizes)).all()


@pytest.mark.parametrize("name", list(CASES))
def test_negative_variances_are_reported_as_lavaan_finds_them(name):
    ref = lavaan(name)["negative_variances"].fillna("")  # parameterEstimates(fit): variances below 0
    for level, note in fitted(name).set_index("level")["note"].items():
        found = {
            (item, grp): float(v)
            for item, groups in re.findall(
                r"negative residual variance of '(\w+)' in groups? ([^;]*?) \(lavaan", note
            )
            for grp, v in re.findall(r"(\w+) \((-?[\d.]+)\)", groups)
        }
        expected = {
            (item, grp): float(v) for item, grp, v in (x.split(":") for x in ref[level].split(";") if x)
        }
        assert found.keys() == expected.keys(), level
        for key, value in expected.items():
            assert found[key] == pytest.approx(value, abs=TOL), key  # the note shows 3 decimals


def test_the_edge_case_is_just_identified_as_lavaan_says():
    row = fitted("contact_edge").iloc[0]
    ref = lavaan("contact_edge").loc["configural"]
    assert (row["df"], ref["df"]) == (0, 0)
    assert row["chisq"] == pytest.approx(0, abs=1e-8)  # lavaan: 1.9e-13
    assert np.isnan(row["pvalue"]) and np.isnan(ref["pvalue"])
    assert row["cfi"] == pytest.approx(1, abs=1e-9)  # lavaan: 1 - chisq / (baseline chisq - df) = 1 - 2e-15
    assert (row["tli"], row["rmsea"]) == (1.0, 0.0)
    assert row["srmr"] == pytest.approx(0, abs=1e-6)
    assert "just identified (df 0)" in row["note"]


def test_scoring_stopped_early_still_reaches_lavaans_solution_with_scipy(monkeypatch):
    monkeypatch.setattr(sem, "_MAX_ITER", 2)  # Fisher scoring gives up; scipy's BFGS finishes
    got = invariance(_csv("HolzingerSwineford1939.csv"), HS, "school").set_index("level")
    ref = lavaan("hs")
    for ours, theirs in COLUMN_MAP.items():
        np.testing.assert_allclose(got[ours], ref[theirs].astype(float), atol=TOL, rtol=0, err_msg=ours)


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("name", list(CASES))
def test_df_grows_by_the_number_of_constraints(name):
    _, factors, _ = CASES[name]
    t = fitted(name).set_index("level")
    p, m = sum(len(v) for v in factors.values()), len(factors)
    g = len(lavaan(name).iloc[0]["groups"].split(";"))
    moments = g * (p * (p + 1) // 2 + p)
    configural_q = g * (p - m + m * (m + 1) // 2 + p + p)  # loadings, Phi, residual variances, intercepts
    assert t.loc["configural", "df"] == moments - configural_q
    assert t.loc["metric", "df"] - t.loc["configural", "df"] == (g - 1) * (p - m)  # equal free loadings
    # equal intercepts (p per group) less the latent means freed in every group but the first (m)
    assert t.loc["scalar", "df"] - t.loc["metric", "df"] == (g - 1) * (p - m)


@pytest.mark.parametrize("name", list(CASES))
def test_delta_columns_are_the_differences_of_the_rows(name):
    t = fitted(name)
    assert np.isnan(t.loc[0, ["delta_chisq", "delta_df", "p_delta"]].astype(float)).all()
    np.testing.assert_allclose(t["delta_chisq"][1:], np.diff(t["chisq"]), rtol=1e-12)
    np.testing.assert_array_equal(t["delta_df"][1:], np.diff(t["df"]))
    np.testing.assert_allclose(t["p_delta"][1:], stats.chi2.sf(np.diff(t["chisq"]), np.diff(t["df"])))
    np.testing.assert_allclose(t["pvalue"][t["df"] > 0], stats.chi2.sf(t["chisq"], t["df"])[t["df"] > 0])


@pytest.mark.parametrize("name", list(CASES))
def test_fit_indices_recomputed_with_plain_pandas(name):
    # baseline (independence) model per group from pandas' covariances, then lavaan's formulas
    data, factors, group = CASES[name]
    items = [i for v in factors.values() for i in v]
    rows = data().dropna(subset=[*items, group])
    t = fitted(name)
    assert (t["n"] == len(rows)).all()
    base, n_groups = 0.0, rows[group].nunique()
    for _, part in rows.groupby(group):
        cov = part[items].cov(ddof=0).to_numpy()
        base += len(part) * (np.log(np.diag(cov)).sum() - np.linalg.slogdet(cov)[1])
    base_df = n_groups * len(items) * (len(items) - 1) // 2
    assert base == pytest.approx(lavaan(name)["baseline.chisq"].iloc[0], abs=TOL)  # fitMeasures
    for _, row in t.iterrows():
        x2, df, n = row["chisq"], row["df"], row["n"]
        cfi = 1 - max(x2 - df, 0) / max(x2 - df, base - base_df, 0) if max(x2 - df, 0) > 1e-8 else 1.0
        assert row["cfi"] == pytest.approx(cfi, abs=1e-12)
        tli = 1 - (x2 - df) * base_df / ((base - base_df) * df) if df > 0 else 1.0
        assert row["tli"] == pytest.approx(tli, abs=1e-12)
        rmsea = np.sqrt(max(x2 / n / df - 1 / n, 0)) * np.sqrt(n_groups) if df > 0 else 0.0
        assert row["rmsea"] == pytest.approx(rmsea, abs=1e-12)
        q = n_groups * (len(items) * (len(items) + 3) // 2) - df  # free parameters
        assert row["bic"] - row["aic"] == pytest.approx(q * (np.log(n) - 2), abs=1e-8)


def test_listwise_note_counts_what_plain_pandas_counts():
    data = _weekly_monthly()
    note = fitted("depth_wm")["note"].iloc[0]
    missing = int(data[DEPTH].isna().any(axis=1).sum())
    assert note.startswith(f"listwise: {missing} of {len(data)} rows with a missing answer left out; ")
    synthetic = fitted("synthetic_two_factors")["note"].iloc[0]
    assert (
        "listwise: 4 of 330 rows with a missing answer left out; 2 rows without a group left out" in synthetic
    )
    assert fitted("contact_all")["note"].iloc[0].startswith("listwise: no missing answers in 325 rows")


def test_which_group_comes_first_changes_no_fit_measure():
    data = _csv("HolzingerSwineford1939.csv")
    flipped = invariance(data.iloc[::-1], HS, "school")  # Grant-White becomes the reference group
    cols = list(COLUMN_MAP)
    pd.testing.assert_frame_equal(flipped[cols], fitted("hs")[cols], atol=1e-7, rtol=0)
    assert "Grant-White 145, Pasteur 156" in flipped["note"].iloc[0]


def test_rescaling_or_reflecting_an_item_changes_no_fit_measure():
    data = _csv("HolzingerSwineford1939.csv").assign(x2=lambda d: 10 * d["x2"] + 3, x1=lambda d: -d["x1"])
    rescaled = invariance(data, HS, "school")
    cols = ["chisq", "df", "cfi", "tli", "rmsea", "srmr"]  # ML is scale free, SRMR standardises
    pd.testing.assert_frame_equal(rescaled[cols], fitted("hs")[cols], atol=1e-6, rtol=0)


def test_result_shape_and_types_and_the_input_is_not_changed():
    data = _weekly_monthly().copy()
    before = data.copy()
    t = invariance(data, {"depth": DEPTH}, "cadence")
    pd.testing.assert_frame_equal(data, before)
    assert list(t.columns) == list(INVARIANCE_COLUMNS)
    assert t["df"].dtype == "int64" and t["n"].dtype == "int64"
    assert all(t[c].dtype == "float64" for c in INVARIANCE_COLUMNS if c not in ("level", "df", "n", "note"))
    assert t["level"].tolist() == list(LEVELS)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (("configural", "scalar"), ["configural", "scalar"]),
        (["metric"], ["metric"]),
        (("scalar",), ["scalar"]),
    ],
)
def test_a_subset_of_levels_compares_with_the_previous_row(levels, expected):
    t = invariance(_csv("HolzingerSwineford1939.csv"), HS, "school", levels)
    assert t["level"].tolist() == expected
    full = fitted("hs").set_index("level")
    np.testing.assert_allclose(t["chisq"], full.loc[expected, "chisq"], atol=1e-7)
    if len(expected) == 2:
        assert t.loc[1, "delta_df"] == full.loc["scalar", "df"] - full.loc["configural", "df"]
        assert t.loc[1, "delta_chisq"] == pytest.approx(
            full.loc["scalar", "chisq"] - full.loc["configural", "chisq"]
        )
    else:
        assert np.isnan(t.loc[0, "delta_chisq"])


def test_nullable_columns_and_a_categorical_group_are_accepted():
    data = _weekly_monthly()
    typed = data.astype(dict.fromkeys(DEPTH, "Int64")).astype({"cadence": "category"})
    t = invariance(typed, {"depth": DEPTH}, "cadence")
    np.testing.assert_allclose(t["chisq"], fitted("depth_wm")["chisq"], atol=1e-7)


def test_a_model_that_does_not_converge_says_so_and_leaves_its_numbers_out(monkeypatch):
    original = inv._fit

    def fake(spec, groups, level, previous):
        fit = original(spec, groups, level, previous)
        return dataclasses.replace(fit, converged=False) if level == "metric" else fit

    monkeypatch.setattr(inv, "_fit", fake)
    t = invariance(_csv("HolzingerSwineford1939.csv"), HS, "school").set_index("level")
    assert np.isnan(t.loc["metric", ["chisq", "cfi", "rmsea", "srmr", "aic"]].astype(float)).all()
    assert t.loc["metric", "df"] == 54
    assert "metric model did not converge: its fit measures are left out" in t.loc["metric", "note"]
    assert t.loc["scalar", "chisq"] == pytest.approx(lavaan("hs").loc["scalar", "chisq"], abs=TOL)
    assert np.isnan(t.loc["scalar", "delta_chisq"])
    assert supported_level(t.reset_index()) == "undetermined"
    assert invariance_verdict(t.reset_index()).startswith(
        "Invariance across the groups cannot be judged: the metric model did not converge."
    )


# --------------------------------------------------------------------------- errors


@pytest.fixture
def hs() -> pd.DataFrame:
    return _csv("HolzingerSwineford1939.csv").copy()


@pytest.mark.parametrize(
    ("levels", "match"),
    [
        (("configural", "strict"), "levels must be among configural, metric, scalar; got unknown 'strict'"),
        ((), "levels must name at least one"),
        (("metric", "configural"), "levels must be distinct and in the order configural, metric, scalar"),
        (("metric", "metric"), "levels must be distinct"),
    ],
)
def test_bad_levels_raise(hs, levels, match):
    with pytest.raises(ValueError, match=match):
        invariance(hs, HS, "school", levels)


def test_levels_as_one_string_raises(hs):
    with pytest.raises(TypeError, match="levels must be a sequence of level names"):
        invariance(hs, HS, "school", "metric")


def test_missing_other_than_listwise_raises(hs):
    with pytest.raises(ValueError, match=r"missing must be one of 'listwise' .*not implemented.*got 'fiml'"):
        invariance(hs, HS, "school", missing="fiml")


def test_data_must_be_a_dataframe():
    with pytest.raises(TypeError, match="data must be a DataFrame, got dict"):
        invariance({"x1": [1]}, HS, "school")


@pytest.mark.parametrize(
    ("factors", "error", "match"),
    [
        ({}, TypeError, "factors must be a non-empty mapping"),
        (["x1", "x2"], TypeError, "factors must be a non-empty mapping"),
        ({"f": "x1"}, TypeError, r"factors\['f'\] must be a list of item columns; got 'x1'"),
        (
            {"f": ["x1"], "g": ["x2", "x3"]},
            ValueError,
            r"factors\['f'\] must have at least 2 items; got 1.*lavaan accepts a factor of 2 items",
        ),
        (
            {"f": ["x1", "x2"], "g": ["x2", "x3"]},
            ValueError,
            "item 'x2' is listed under 'f' and 'g'; each item must load on one factor",
        ),
        ({"f": ["x1", "x2", "x1"]}, ValueError, "item 'x1' is listed twice under 'f'"),
        (
            {"f": ["x1", "x2"]},
            ValueError,
            r"\(df -2\): it is not identified \(lavaan fits it anyway.*A factor of 2 items is identified",
        ),
    ],
)
def test_bad_factors_raise(hs, factors, error, match):
    with pytest.raises(error, match=match):
        invariance(hs, factors, "school")


@pytest.mark.parametrize(
    ("factors", "group", "column"),
    [({"f": ["x1", "x2", "nope"]}, "school", "nope"), (HS, "grade_band", "grade_band")],
)
def test_a_column_that_is_not_there_raises_naming_it(hs, factors, group, column):
    with pytest.raises(InputError, match=f"data has no column '{column}'") as err:
        invariance(hs, factors, group)
    assert err.value.column == column


def test_group_must_be_a_column_name(hs):
    with pytest.raises(TypeError, match="group must be a column name"):
        invariance(hs, HS, ["school"])


def test_group_that_is_an_item_raises(hs):
    with pytest.raises(ValueError, match="group 'x3' is also an item of factors"):
        invariance(hs, {"f": ["x1", "x2", "x3"]}, "x3")


def test_a_text_item_raises(hs):
    hs["x1"] = hs["x1"].astype("str")
    with pytest.raises(TypeError, match="item column 'x1' must be numeric"):
        invariance(hs, HS, "school")


def test_an_infinite_answer_raises(hs):
    hs.loc[5, "x4"] = np.inf
    with pytest.raises(ValueError, match="item column 'x4' holds an infinite value"):
        invariance(hs, HS, "school")


def test_fewer_than_two_groups_raises(hs):
    with pytest.raises(
        ValueError, match="group column 'school' must hold at least 2 groups to compare; got 1"
    ):
        invariance(hs[hs["school"] == "Pasteur"], HS, "school")
    hs["school"] = None
    with pytest.raises(ValueError, match="must hold at least 2 groups to compare; got 0"):
        invariance(hs, HS, "school")


def test_a_group_with_too_few_complete_rows_raises(hs):
    small = pd.concat([hs[hs["school"] == "Pasteur"], hs[hs["school"] == "Grant-White"].head(9)])
    small.loc[small.index[-1], "x9"] = np.nan  # 8 complete rows for 9 items
    with pytest.raises(
        ValueError, match=r"group 'Grant-White' of column 'school' has 8 complete rows; at least 10"
    ):
        invariance(small, HS, "school")


def test_a_constant_item_in_a_group_raises(hs):
    hs.loc[hs["school"] == "Pasteur", "x5"] = 3.0
    with pytest.raises(ValueError, match="group 'Pasteur' of column 'school': item 'x5' has the same answer"):
        invariance(hs, HS, "school")


def test_linearly_dependent_items_raise(hs):
    hs["x10"] = hs["x1"] + hs["x2"]
    with pytest.raises(ValueError, match="covariance matrix of the items is singular"):
        invariance(hs, {"f": ["x1", "x2", "x10"], "g": ["x4", "x5", "x6"]}, "school")


# --------------------------------------------------------------------------- verdict


def table(cfi, *, n=400, df=(10, 14, 18), rmsea=0.03, srmr=0.03, levels=LEVELS) -> pd.DataFrame:
    k = len(levels)
    chisq = np.array([12.0, 15.0, 30.0][:k])
    out = pd.DataFrame(
        {
            "level": list(levels),
            "chisq": chisq,
            "df": list(df[:k]),
            "pvalue": 0.5,
            "cfi": list(cfi[:k]),
            "tli": 1.0,
            "rmsea": rmsea,
            "srmr": srmr,
            "aic": 0.0,
            "bic": 0.0,
            "n": n,
        }
    )
    out["delta_chisq"] = out["chisq"].diff()
    out["delta_df"] = out["df"].diff()
    out["p_delta"] = stats.chi2.sf(out["delta_chisq"], out["delta_df"])
    out["note"] = ""
    return out


def test_verdict_scalar_states_the_rule_the_source_and_the_numbers():
    text = invariance_verdict(table([0.990, 0.985, 0.980]))
    assert text.startswith(
        "Means can be compared across the groups: scalar invariance holds by the rule ΔCFI ≥ −0.01 "
        "between successive levels (Cheung & Rensvold 2002; Chen 2007)."
    )
    assert "Metric vs configural: ΔCFI = −0.005 (Δχ²(4) = 3.00, p = 0.558)" in text
    assert "scalar vs metric: ΔCFI = −0.005 (Δχ²(4) = 15.00, p = 0.005)" in text
    assert "within the conventions CFI ≥ 0.95, RMSEA ≤ 0.06, SRMR ≤ 0.08 (Hu & Bentler 1999)" in text
    assert "The Δχ² p-values are shown, not applied." in text
    assert "300 or more" not in text and "Partial invariance" not in text
    assert supported_level(table([0.990, 0.985, 0.980])) == "scalar"


def test_verdict_metric_says_only_relationships():
    t = table([0.990, 0.985, 0.970])
    assert supported_level(t) == "metric"
    text = invariance_verdict(t)
    assert text.startswith(
        "Only relationships can be compared across the groups, not means: metric invariance holds but "
        "scalar invariance does not"
    )
    assert "scalar vs metric: ΔCFI = −0.015" in text
    assert "Partial invariance (freeing some loadings or intercepts) is not examined." in text


def test_verdict_neither_when_metric_fails():
    t = table([0.990, 0.970, 0.969])
    assert supported_level(t) == "configural"
    assert invariance_verdict(t).startswith(
        "Neither means nor relationships can be compared across the groups: metric invariance does not hold"
    )


def test_verdict_without_a_scalar_row_says_means_were_not_tested():
    t = table([0.990, 0.985], levels=("configural", "metric"))
    assert supported_level(t) == "metric"
    assert "means were not tested (no scalar model)" in invariance_verdict(t)


def test_verdict_shows_a_fourth_digit_when_the_change_rounds_to_the_threshold():
    t = table([0.990, 0.9796, 0.9796])
    assert supported_level(t) == "configural"
    assert "ΔCFI = −0.0104" in invariance_verdict(t)


def test_verdict_takes_another_threshold_and_names_it():
    t = table([0.990, 0.985, 0.980])
    assert supported_level(t, delta_cfi=-0.002) == "configural"
    assert "by the rule ΔCFI ≥ −0.00 " not in invariance_verdict(t, delta_cfi=-0.002)
    assert "by the rule ΔCFI ≥ −0.002 " in invariance_verdict(t, delta_cfi=-0.002)


def test_verdict_warns_about_a_loose_configural_fit_small_samples_and_df_0():
    loose = invariance_verdict(table([0.93, 0.93, 0.93], rmsea=0.09, n=120))
    assert (
        "Configural model: CFI 0.930, RMSEA 0.090, SRMR 0.030; CFI and RMSEA outside the conventions" in loose
    )
    assert (
        "With 120 respondents (300 or fewer) and unequal groups, Chen (2007) proposes the stricter "
        "ΔCFI ≥ −0.005; by it means could be compared." in loose
    )
    strict = invariance_verdict(table([0.99, 0.985, 0.975], n=200))
    assert strict.startswith("Means can be compared")  # by ΔCFI ≥ −0.01
    assert "by it only relationships could be compared." in strict
    just = invariance_verdict(table([1.0, 0.99, 0.99], df=(0, 2, 4)))
    assert "The configural model is just identified (df 0): its own fit cannot be tested." in just


def test_verdict_on_holzinger_swineford_is_the_known_metric_result():
    text = invariance_verdict(fitted("hs"))
    assert supported_level(fitted("hs")) == "metric"  # the textbook result: intercepts differ by school
    assert "Metric vs configural: ΔCFI = −0.002 (Δχ²(6) = 8.19, p = 0.224)" in text
    assert "scalar vs metric: ΔCFI = −0.038 (Δχ²(6) = 40.06, p < 0.001)" in text


def test_verdict_names_the_groups_of_cadence_invariance():
    text = invariance_verdict(cadence_invariance(sample_valid(), _survey(), "depth"))
    assert text.startswith("Means can be compared across weekly and monthly: scalar invariance holds")


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ("not a table", TypeError, "table must be the DataFrame of toolkit.invariance, got str"),
        (pd.DataFrame({"level": ["configural", "metric"]}), InputError, "table has no column 'chisq'"),
        (
            table([0.99, 0.98, 0.97])[lambda t: t["level"] != "metric"],
            ValueError,
            "configural and metric rows",
        ),
    ],
)
def test_verdict_refuses_what_is_not_an_invariance_table(bad, error, match):
    with pytest.raises(error, match=match):
        invariance_verdict(bad)
    with pytest.raises(error, match=match if error is not InputError else "table has no column 'cfi'"):
        supported_level(bad)


@pytest.mark.parametrize("value", [0.01, -1, "0.01"])
def test_verdict_refuses_a_threshold_out_of_range(value):
    with pytest.raises(ValueError, match="delta_cfi must be a number between -1 and 0"):
        invariance_verdict(table([0.99, 0.98, 0.97]), delta_cfi=value)


# --------------------------------------------------------------------------- cadence_invariance


@functools.cache
def _survey():
    from toolkit import load_survey

    return load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")


@pytest.mark.parametrize(
    ("construct", "levels_of_cadence", "name"),
    [
        ("depth", ("weekly", "monthly"), "depth_wm"),
        ("depth", None, "depth_all"),
        ("availability", ["weekly", "monthly"], "availability_wm"),
        ("availability", None, "availability_all"),
        ("informal_contact", None, "contact_all"),
    ],
)
def test_cadence_invariance_matches_lavaan_on_the_sample(construct, levels_of_cadence, name):
    got = cadence_invariance(sample_valid(), _survey(), construct, levels_of_cadence=levels_of_cadence)
    ref = lavaan(name)
    assert list(got.columns) == ["construct", "groups", *INVARIANCE_COLUMNS]
    assert (got["construct"] == construct).all()
    expected_groups = (
        "weekly, monthly" if levels_of_cadence else "weekly, biweekly, monthly, less_than_monthly, none"
    )
    assert (got["groups"] == expected_groups).all()
    for ours, theirs in COLUMN_MAP.items():
        np.testing.assert_allclose(got[ours], ref[theirs].astype(float), atol=TOL, rtol=0, err_msg=ours)
    first = expected_groups.split(", ")[0]
    assert f"groups (complete rows): {first} " in got["note"].iloc[0]  # the first cadence is the reference
    assert got["note"].str.endswith("(they cluster in teams, so the p-values are likely too small)").all()


def test_cadence_invariance_builds_the_block_with_item_block():
    valid = sample_valid()
    block = item_block(valid, _survey(), "depth").assign(cadence=valid["cadence"])
    direct = invariance(block[block["cadence"].isin(["weekly", "monthly"])], {"depth": DEPTH}, "cadence")
    got = cadence_invariance(valid, _survey(), "depth")
    np.testing.assert_allclose(got["chisq"], direct["chisq"], atol=1e-8)


def test_cadence_invariance_picks_a_wave_and_refuses_several():
    both = pd.concat([sample_valid("2026Q1"), sample_valid("2026Q2")])
    with pytest.raises(ValueError, match=r"responses hold 2 waves \(2026Q1, 2026Q2\); pass wave="):
        cadence_invariance(both, _survey(), "depth")
    with pytest.raises(ValueError, match=r"wave must be one of the waves in responses .*got '2026Q4'"):
        cadence_invariance(both, _survey(), "depth", wave="2026Q4")
    got = cadence_invariance(both, _survey(), "depth", wave="2026Q1")
    np.testing.assert_allclose(got["chisq"], lavaan("depth_wm")["chisq"].astype(float), atol=TOL)


def test_cadence_invariance_without_a_wave_column_refuses_wave():
    valid = sample_valid().drop(columns="wave")
    with pytest.raises(InputError, match="responses has no column 'wave', so wave= cannot choose one"):
        cadence_invariance(valid, _survey(), "depth", wave="2026Q1")


@pytest.mark.parametrize(
    ("levels_of_cadence", "error", "match"),
    [
        (
            ("weekly", "fortnightly"),
            ValueError,
            "levels_of_cadence must be codes of the cadence scale .*'fortnightly'",
        ),
        (("weekly",), ValueError, "levels_of_cadence must name at least 2 distinct cadences"),
        (("weekly", "weekly"), ValueError, "at least 2 distinct cadences"),
        ("weekly", TypeError, "levels_of_cadence must be a list of cadence codes or None"),
    ],
)
def test_cadence_invariance_refuses_bad_cadences(levels_of_cadence, error, match):
    with pytest.raises(error, match=match):
        cadence_invariance(sample_valid(), _survey(), "depth", levels_of_cadence=levels_of_cadence)


def test_cadence_invariance_refuses_bad_arguments():
    valid = sample_valid()
    with pytest.raises(TypeError, match="survey must be a Survey"):
        cadence_invariance(valid, "surveys/one_on_one_pulse.yaml", "depth")
    with pytest.raises(TypeError, match="responses must be a DataFrame"):
        cadence_invariance(valid.to_dict(), _survey(), "depth")
    with pytest.raises(ValueError, match="construct must be one of"):
        cadence_invariance(valid, _survey(), "happiness")
    with pytest.raises(InputError, match="responses has no column 'cadence'"):
        cadence_invariance(valid.drop(columns="cadence"), _survey(), "depth")
    spec = yaml.safe_load(MINIMAL_SURVEY)
    spec["items"] = [i for i in spec["items"] if i["id"] not in ("cadence", "meeting_length")]
    with pytest.raises(ValueError, match="survey 'mini' has no item with role 'cadence'"):
        cadence_invariance(valid, parse_survey(yaml.safe_dump(spec)), "depth")
