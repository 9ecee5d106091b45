"""The per-construct measurement summary assembles checked statistics without applying cut-offs."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit import agreement, icc, item_block, measurement_summary, reliability, score, validate
from toolkit.cli import main
from toolkit.ingest.pipeline import ingest
from toolkit.simulate import pseudonym_key


@pytest.fixture(scope="module")
def valid(survey):
    from toolkit import read_canonical

    return validate(read_canonical(SAMPLE / "responses_2026Q1.csv"), survey).valid


def test_every_number_is_the_checked_function_s(valid, survey):
    table = measurement_summary(valid, survey).set_index("construct")
    assert list(table.index) == list(survey.constructs)
    scores = score(valid, survey)
    for cid, construct in survey.constructs.items():
        block = item_block(valid, survey, cid)
        rel = reliability(block).iloc[0]
        mine = scores[(scores["construct"] == cid) & scores["score"].notna()]
        team = icc(
            pd.DataFrame({"s": mine["score"].astype(float), "team": mine["team"]}), value="s", group="team"
        )
        rwg = agreement(
            block.assign(team=valid["team"]), items=list(construct.items), group="team", scale_points=5
        )
        row = table.loc[cid]
        assert row["raw_alpha"] == pytest.approx(rel["raw_alpha"], abs=1e-12)
        assert row["omega_total"] == pytest.approx(rel["omega_total"], abs=1e-12)
        assert row["icc1"] == pytest.approx(team.iloc[0]["icc1"], abs=1e-12)
        assert row["rwg_j_median"] == pytest.approx(rwg["rwg_j"].median(), abs=1e-12)
        assert row["share_rwg_j_70"] == pytest.approx((rwg["rwg_j"].dropna() >= 0.7).mean(), abs=1e-12)
        assert row["n"] == len(mine) and row["mean"] == pytest.approx(mine["score"].mean())


def test_cutoffs_are_not_applied_and_problems_become_notes(valid, survey):
    constant = valid.assign(depth_why=pd.array([3] * len(valid), dtype="Int8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = measurement_summary(constant, survey).set_index("construct")
    assert table.loc["depth", "k"] == 4  # the constant item is dropped, as psych::alpha does
    assert "depth_why" in table.loc["depth", "notes"]
    few = valid[valid["team"].isin(valid["team"].unique()[:1])]
    one_team = measurement_summary(few, survey).set_index("construct")
    assert one_team["icc1"].isna().all()
    assert one_team.loc["depth", "notes"].startswith("ICC not computed")
    # nothing is filtered: every construct keeps its row whatever its numbers
    assert len(one_team) == len(survey.constructs)
    with pytest.raises(ValueError, match="group must be a column of responses; 'unit' is not one"):
        measurement_summary(valid, survey, group="unit")


def test_cli_score_writes_scores_and_the_measurement_report(tmp_path, survey):
    roster = pd.read_csv(SAMPLE / "roster.csv", dtype="str")
    store = tmp_path / "store"
    export = SAMPLE / "exports" / "qualtrics_2026Q1.csv"
    ingest(export, survey, roster=roster, wave="2026Q1", store=store, key=pseudonym_key(2026))
    args = ["score", "--store", str(store), "--survey", str(SURVEY_PATH)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "wave 2026Q1" in result.output and "depth" in result.output
    scores = pd.read_parquet(store / "scores" / "2026Q1.parquet")
    assert set(scores["construct"]) == set(survey.constructs)
    md = (store / "reports" / "measurement_2026Q1.md").read_text(encoding="utf-8")
    assert "shown and not applied" in md and "| depth |" in md
    again = CliRunner().invoke(main, args, catch_exceptions=False)  # re-running replaces, never appends
    assert again.exit_code == 0
    assert len(pd.read_parquet(store / "scores" / "2026Q1.parquet")) == len(scores)
    missing = CliRunner().invoke(main, [*args, "--wave", "2031Q1"], catch_exceptions=False)
    assert missing.exit_code == 2 and "2031Q1" in missing.output


def test_item_summary_is_item_statistics_and_loadings_per_construct(valid, survey):
    from toolkit import item_statistics, loadings
    from toolkit.stats.measurement import item_summary

    items = item_summary(valid, survey)
    assert list(items.columns) == [
        "construct",
        "item",
        "reverse",
        "n",
        "mean",
        "sd",
        "r_drop",
        "alpha_if_dropped",
        "loading",
    ]
    depth = items[items["construct"] == "depth"].set_index("item")
    block = item_block(valid, survey, "depth")
    stats = item_statistics(block).set_index("item")
    load = loadings(block).set_index("item")
    pd.testing.assert_series_equal(depth["r_drop"], stats["r_drop"], check_names=False)
    pd.testing.assert_series_equal(depth["loading"], load["loading"], check_names=False)
    assert depth.loc["depth_repeats", "reverse"] and not depth.loc["depth_why", "reverse"]
