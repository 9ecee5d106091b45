"""Anonymous surveys: an export without identity, ingested with random ids and a team column.

The sample's Qualtrics export (team as embedded data, ``team``) and Google Forms export (the
team as a question, "Which team are you part of?") are ingested without roster and key; then
everything downstream runs on the anonymous store: score, compare, release, reports, the run,
and the notebooks, which say what an anonymous store cannot give.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit import load_quarantine, load_waves, read_canonical
from toolkit.cli import main
from toolkit.errors import InputError
from toolkit.ingest.pipeline import ingest
from toolkit.store import linkage, manifest
from toolkit.study import load_study

GOOGLE_TEAM = "Which team are you part of?"
EXPORTS = {"qualtrics": ("qualtrics_{}.csv", "team"), "google_forms": ("google_forms_{}.csv", GOOGLE_TEAM)}


def _export(platform, wave):
    return SAMPLE / "exports" / EXPORTS[platform][0].format(wave)


def _cli(*args):
    return CliRunner().invoke(
        main, [str(a) for a in args], env={"ONEONONE_KEY": None}, catch_exceptions=False
    )


@pytest.fixture(scope="module")
def units():
    return pd.read_csv(SAMPLE / "units.csv", dtype="str")


@pytest.fixture(scope="module")
def anonymous_store(tmp_path_factory):
    """Two waves of the Google Forms export and one of the Qualtrics export, ingested anonymously
    through the CLI: no roster, no key; known teams from the units."""
    store = tmp_path_factory.mktemp("anonymous") / "store"
    outputs = []
    for platform, wave in (("google_forms", "2026Q1"), ("google_forms", "2026Q2"), ("qualtrics", "2026Q3")):
        result = _cli(
            "ingest", _export(platform, wave), "--survey", SURVEY_PATH, "--wave", wave, "--store", store,
            "--anonymous", "--team-column", EXPORTS[platform][1], "--units", SAMPLE / "units.csv",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return store, outputs


@pytest.mark.parametrize("platform", ["qualtrics", "google_forms"])
def test_both_sample_exports_ingest_without_roster_or_key(tmp_path, survey, units, platform):
    wave = "2026Q2"
    result = ingest(
        _export(platform, wave), survey, wave=wave, store=tmp_path, anonymous=True,
        team_column=EXPORTS[platform][1], units=units,
    )  # fmt: skip
    assert result.status == "written" and result.balanced and result.anonymous
    stored = load_waves(tmp_path, wave)
    assert stored["respondent"].str.fullmatch(r"a_[0-9a-f]{24}").all()
    assert not stored["respondent"].duplicated().any()
    # the sample's export and canonical file of a wave hold the same responses: every team is read
    truth = read_canonical(SAMPLE / f"responses_{wave}.csv")
    held = load_quarantine(tmp_path, wave)
    assert sorted([*stored["team"], *held["team"]]) == sorted(truth["team"])
    assert set(stored["team"]) <= set(units.loc[units["kind"] == "team", "unit"])
    assert stored["cadence"].notna().all()
    # no pseudonym of the sample (their key is public) and nothing from the identity columns
    assert not set(stored["respondent"]) & set(truth["respondent"])
    entry = manifest(tmp_path)["waves"][wave]
    assert entry["anonymous"] is True and "key_fingerprint" not in entry
    assert "pseudonyms" not in manifest(tmp_path)


def test_ids_are_random_and_link_nobody_across_waves(tmp_path, survey):
    kwargs = {"anonymous": True, "team_column": "team"}
    first = ingest(_export("qualtrics", "2026Q1"), survey, wave="2026Q1", store=tmp_path / "a", **kwargs)
    again = ingest(_export("qualtrics", "2026Q1"), survey, wave="2026Q1", store=tmp_path / "b", **kwargs)
    assert first.rows_stored == again.rows_stored
    a, b = load_waves(tmp_path / "a"), load_waves(tmp_path / "b")
    assert not set(a["respondent"]) & set(b["respondent"])  # the same file twice: no id in common
    assert linkage(tmp_path / "a") == (
        False,
        "wave 2026Q1 is anonymous: respondent ids are random and link nobody across waves",
    )


def test_teams_not_given_are_quarantined(tmp_path, survey):
    teams = pd.DataFrame({"team": [f"t{i:02d}" for i in range(1, 11)], "headcount": 9})
    result = ingest(
        _export("qualtrics", "2026Q2"), survey, wave="2026Q2", store=tmp_path, anonymous=True,
        team_column="team", teams=teams,
    )  # fmt: skip
    held = load_quarantine(tmp_path, "2026Q2")
    unknown = result.validation.failures.query("rule == 'known_team'")
    assert len(unknown) and set(unknown["column"]) == {"team"}
    assert set(load_waves(tmp_path)["team"]) <= set(teams["team"])
    assert held["reasons"].str.contains("team: known_team").sum() == len(unknown)
    # response rates from the teams' headcounts
    rates = result.response_rates.set_index("team")
    assert set(rates.index) == set(teams["team"]) and (rates["invited"] == 9).all()


def test_response_rates_from_a_roster_of_teams(tmp_path, survey):
    roster = pd.read_csv(SAMPLE / "roster.csv", dtype="str")[["wave", "team"]]  # no identity at all
    result = ingest(
        _export("google_forms", "2026Q3"), survey, wave="2026Q3", store=tmp_path, anonymous=True,
        team_column=GOOGLE_TEAM, roster=roster,
    )  # fmt: skip
    invited = roster[roster["wave"] == "2026Q3"].groupby("team").size()
    rates = result.response_rates.set_index("team")
    assert (rates["invited"] == invited[rates.index]).all() and len(rates) > 40


def test_the_arguments_of_an_anonymous_ingest(tmp_path, survey):
    export = _export("qualtrics", "2026Q1")
    with pytest.raises(ValueError, match="anonymous=True needs team_column="):
        ingest(export, survey, wave="2026Q1", store=tmp_path, anonymous=True)
    with pytest.raises(ValueError, match="takes no key"):
        ingest(
            export, survey, wave="2026Q1", store=tmp_path, anonymous=True, team_column="team", key=b"k" * 32
        )
    with pytest.raises(ValueError, match="team_column= is for anonymous=True"):
        ingest(
            export,
            survey,
            wave="2026Q1",
            store=tmp_path,
            roster=pd.DataFrame(),
            key=b"k" * 32,
            team_column="x",
        )
    with pytest.raises(InputError, match=r"no column headed 'Team name' \(--team-column\)") as info:
        ingest(export, survey, wave="2026Q1", store=tmp_path, anonymous=True, team_column="Team name")
    assert info.value.column == "Team name" and info.value.path == str(export)
    assert not (tmp_path / "manifest.json").exists()


def test_cli_anonymous_flags(tmp_path):
    base = ["ingest", _export("qualtrics", "2026Q1"), "--survey", SURVEY_PATH, "--wave", "2026Q1"]
    base += ["--store", tmp_path / "s"]
    missing = _cli(*base, "--anonymous")
    assert missing.exit_code == 2 and "--anonymous needs --team-column" in missing.output
    no_roster = _cli(*base)
    assert no_roster.exit_code == 2 and "--anonymous --team-column COL" in no_roster.output
    stray = _cli(*base, "--roster", SAMPLE / "roster.csv", "--team-column", "team")
    assert stray.exit_code == 2 and "--team-column is for --anonymous" in stray.output
    assert not (tmp_path / "s").exists()


def test_the_cli_says_it_is_anonymous_and_the_report_too(anonymous_store):
    store, outputs = anonymous_store
    assert all("anonymous: random respondent ids" in o for o in outputs)
    assert "Which team are you part of?" in outputs[0]
    md = (store / "reports" / "ingest_2026Q1.md").read_text(encoding="utf-8")
    assert "Anonymous ingest: every response got a random id that links nobody across waves" in md
    assert "Duplicate submissions cannot be recognised without identity" in md
    assert "email (not used: anonymous)" in md
    html = (store / "reports" / "ingest_2026Q1.html").read_text(encoding="utf-8")
    assert "Anonymous ingest" in html and "@" not in re.sub(r"<[^>]+>", "", html)


def test_everything_downstream_works_on_an_anonymous_store(anonymous_store, tmp_path):
    store, _ = anonymous_store
    common = ["--store", store, "--survey", SURVEY_PATH]
    scored = _cli("score", *common)
    assert scored.exit_code == 0, scored.output
    compared = _cli(
        "compare", *common, "--wave", "2026Q3", "--units", SAMPLE / "units.csv", "--outcome", "depth"
    )
    assert compared.exit_code == 0 and "weekly - monthly" in compared.output
    release = tmp_path / "release"
    released = _cli("release", *common, "--units", SAMPLE / "units.csv", "--out", release)
    assert released.exit_code == 0, released.output
    table = pd.read_parquet(release.with_suffix(".parquet"))
    assert {"analyst", "manager:t01"} <= set(table["audience"]) and set(table["wave"]) == {
        "2026Q1",
        "2026Q2",
        "2026Q3",
    }
    reports = tmp_path / "reports"
    reported = _cli("report", *common, "--units", SAMPLE / "units.csv", "--wave", "2026Q3", "--out", reports)
    assert reported.exit_code == 0, reported.output
    assert (reports / "organisation.html").is_file() and (reports / "t01.html").is_file()
    extract = _cli(
        "extract", *common, "--to", "csv", "--out", tmp_path / "x", "--units", SAMPLE / "units.csv"
    )
    assert extract.exit_code == 0, extract.output


def test_the_study_knows_it_cannot_follow_people(anonymous_store):
    from toolkit import cadence_switches

    store, _ = anonymous_store
    study = load_study(store, survey=SURVEY_PATH, units=SAMPLE / "units.csv", teams=SAMPLE / "teams.csv")
    assert study.anonymous and not study.linked
    assert "2026Q1, 2026Q2, 2026Q3 are anonymous" in study.linkage
    with pytest.raises(InputError, match="the change of the same respondents needs the same respondents"):
        study.require_linked("the change of the same respondents")
    # the team-level form works: cadence switches of teams from their team-wave means
    switches = cadence_switches(study.scores, outcome="depth", policies=study.policies)
    assert len(switches.summary) == 3


def test_run_anonymous_with_the_notebooks_that_follow_people(tmp_path):
    import shutil

    folder = tmp_path / "exports"
    folder.mkdir()
    for wave in ("2026Q1", "2026Q2"):
        shutil.copy(_export("google_forms", wave), folder)
    out = tmp_path / "out"
    result = _cli(
        "run", "--survey", SURVEY_PATH, "--exports", folder, "--wave", "2026Q2", "--out", out,
        "--anonymous", "--team-column", GOOGLE_TEAM, "--units", SAMPLE / "units.csv",
        "--teams", SAMPLE / "teams.csv", "--notebook", "01_validate_and_clean",
        "--notebook", "04_trends_and_switches",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(manifest(out / "store")["waves"]) == ["2026Q1", "2026Q2"]
    assert (out / "reports" / "organisation.html").is_file() and (out / "release.parquet").is_file()
    first = (out / "notebooks" / "01_validate_and_clean.html").read_text(encoding="utf-8")
    assert "Anonymous survey" in first and "Traceback" not in first
    switches = (out / "notebooks" / "04_trends_and_switches.html").read_text(encoding="utf-8")
    assert "Respondents are not linked across waves" in switches and "Traceback" not in switches
