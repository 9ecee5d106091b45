"""The study summary (toolkit.study_summary, oneonone summarise) on the sample's four waves, read
against the sample's truth.json."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import toolkit
from tests.report.conftest import ROOT, SAMPLE
from toolkit.cli import main
from toolkit.simulate import pseudonym_key

SURVEY = ROOT / "surveys" / "one_on_one_pulse.yaml"
WAVE = "2026Q4"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = tmp_path_factory.mktemp("summary") / "store"
    toolkit.ingest_exports(
        SAMPLE / "exports", survey=SURVEY, roster=SAMPLE / "roster.csv", store=store, key=pseudonym_key(2026),
        format="qualtrics",
    )  # fmt: skip
    return store


@pytest.fixture(scope="module")
def study(store):
    return toolkit.load_study(
        store,
        survey=SURVEY,
        units=SAMPLE / "units.csv",
        roster=SAMPLE / "roster.csv",
        teams=SAMPLE / "teams.csv",
    )


@pytest.fixture(scope="module")
def summary(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("summary_out")
    return toolkit.study_summary(study, WAVE, out_dir=out, truth=SAMPLE / "truth.json")


def test_the_summary_reads_correctly_against_the_samples_truth(summary):
    truth = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))["estimands"]
    n = summary.numbers
    depth = n.contrasts.set_index("outcome").loc["depth"]
    true_reported = truth["depth_weekly_vs_monthly"]["score"]  # 0.237: reports' cadence, as compared
    assert depth["ci_low"] <= true_reported <= depth["ci_high"]
    assert depth["estimate"] > 0  # the sign of the truth
    # the outcomes: 4 of 5 intervals cover their truth (trust's, -0.827 to +0.090, misses +0.168); the
    # summary says so, and declares no outcome clearly different (Holm), so it claims nothing false
    covered = []
    for r in n.contrasts.itertuples(index=False):
        t = truth["cadence_contrasts"]["by_reported"][r.outcome]["weekly"]["score"]
        covered.append(r.ci_low <= t <= r.ci_high)
        assert r.p_adj >= 0.05 or np.sign(r.estimate) == np.sign(t), r.outcome
    assert (
        sum(covered) == 4 and "4 of the 5 adjusted intervals cover their true difference" in summary.markdown
    )
    assert "(not Trust in the manager: truth +0.168;" in summary.markdown
    did = n.switchers.set_index("estimator").loc["did_m"]
    true_policy = truth["cadence_contrasts"]["by_policy"]["depth"]["weekly"]["score"]  # 0.229: the policy
    assert did["ci_low"] <= true_policy <= did["ci_high"] and did["ci_low"] > 0
    # the text states those numbers, and the truth check says "inside" for both
    md = summary.markdown
    assert f"{depth['estimate']:+.3f} points on the 1-5 scale (95% interval {depth['ci_low']:+.3f} to " in md
    assert (
        f"depth was {did['estimate']:+.3f} points higher with weekly 1:1s (95% interval {did['ci_low']:+.3f}"
        in (md)
    )
    assert f"depth is {true_reported:+.3f}, inside the adjusted interval" in md
    assert f"is {true_policy:+.3f}, inside the switchers' interval" in md
    assert "The interval includes zero" in md and "This interval excludes zero." in md


def test_every_number_comes_from_the_functions_the_notebooks_call(study, summary):
    n = summary.numbers
    scores = study.wave_scores(WAVE)
    again = toolkit.compare_cadence(scores, outcome=n.constructs, covariates=study.adjusted_for)
    pd.testing.assert_frame_equal(n.contrasts, again)
    assert n.covariates == ["log_size", "division"]
    for r in again.itertuples(index=False):
        assert f"| {n.labels[r.outcome]} | {r.estimate:+.3f} | {r.ci_low:+.3f} to {r.ci_high:+.3f} |" in (
            summary.markdown
        )
    panel = study.scores[study.scores["wave"] <= WAVE]
    sw = toolkit.cadence_switches(panel, outcome="depth", policies=study.policies)
    pd.testing.assert_frame_equal(n.switchers, sw.summary.reset_index(drop=True))
    placebo = sw.pretrend.set_index("test").loc["did_m_placebo", "p_val"]
    assert f"placebo DID_M one wave before the switch gives p = {placebo:.3f}" in summary.markdown
    valid = study.wave_responses(WAVE)
    depth_wm = toolkit.cadence_invariance(valid, study.survey, "depth")
    row = n.invariance.set_index(["construct", "comparison"]).loc[("depth", "weekly vs monthly")]
    assert row["supported"] == toolkit.supported_level(depth_wm) == "configural"  # README: not scalar
    p = n.power
    assert (
        p["teams_needed_for_g"] == 52
        and f"needs about {p['teams_needed_for_g']} teams per arm" in summary.markdown
    )
    expect = toolkit.power(
        effect=abs(p["g"]), team_size=p["team_size_used"], icc=p["icc_used"], distribution="t"
    )
    assert int(expect["teams_needed"].iloc[0]) == p["teams_needed_for_g"]


def test_the_sections_say_what_the_issue_asks(summary):
    md = summary.markdown
    for needed in (
        "## Weekly vs monthly 1:1s, adjusted",
        "## Teams that switched between monthly and weekly 1:1s",
        "Pre-trend test",
        "## Do the questions mean the same across cadences?",
        "handled listwise",
        "## How well the survey measures",
        "ICC(1)",
        "## Power for the next quarter",
        "## What the data can and cannot say",
        "Observational design",
        "team size (log of the headcount) and division",
    ):
        assert needed in md, needed
    # the depth fit of 2026Q4 is singular: the note, and the CR2 check beside it
    assert "boundary (singular) fit" in md and "cluster-robust CR2" in md


def test_the_html_holds_organisation_level_numbers_only(summary, study):
    html = summary.paths["summary_html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and summary.paths["summary_md"].read_text() == summary.markdown
    teams = set(study.units.loc[study.units["kind"] == "team", "unit"])
    managers = set(pd.read_csv(SAMPLE / "teams.csv")["manager"].astype("str"))
    words = set(re.findall(r"[\w.-]+", re.sub(r"<[^>]+>", " ", html)))
    assert not (words & teams) and not any(m in html for m in managers)
    assert not any(str(r) in html for r in study.responses["respondent"].head(50))
    # every number of the brief is in the HTML as in the Markdown
    for _head, text in next(s for s in summary.sections if s["id"] == "brief")["bullets"]:
        assert text.replace("'", "&#39;") in html


def test_cli_summarise_writes_both_files(store, tmp_path):
    args = [
        "summarise", "--store", store, "--survey", SURVEY, "--wave", WAVE,
        "--units", SAMPLE / "units.csv", "--roster", SAMPLE / "roster.csv", "--teams", SAMPLE / "teams.csv",
    ]  # fmt: skip
    done = CliRunner().invoke(main, [str(a) for a in [*args, "--out", tmp_path]], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "the answer in brief" in done.output and "Depth, weekly minus monthly" in done.output
    assert (tmp_path / "summary.md").is_file() and (tmp_path / "summary.html").is_file()
    assert "Checked against the truth" not in (tmp_path / "summary.md").read_text()  # no --truth, no truth
    default = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert default.exit_code == 0 and (store / "reports" / "summary.html").is_file()
    missing = CliRunner().invoke(main, [str(a) for a in [*args[:5], "--wave", "2031Q1"]])
    assert missing.exit_code == 2 and "2031Q1" in missing.output


def test_one_wave_says_the_switchers_are_not_available(tmp_path):
    store = tmp_path / "store"
    toolkit.ingest_exports(
        SAMPLE / "exports", survey=SURVEY, roster=SAMPLE / "roster.csv", store=store, key=pseudonym_key(2026),
        format="qualtrics", waves=["2026Q1"],
    )  # fmt: skip
    study = toolkit.load_study(store, survey=SURVEY)  # no units, no roster: nothing to adjust for
    done = toolkit.study_summary(study, "2026Q1")
    assert done.paths == {} and done.numbers.switchers is None
    md = done.markdown
    assert "Not available: only one wave is stored up to 2026Q1" in md
    assert "not adjusted for anything (the study was loaded without units and roster)" in md
    assert "Checked against the truth" not in md
    with pytest.raises(ValueError, match="wave '2031Q1' is not stored"):
        toolkit.study_summary(study, "2031Q1")
