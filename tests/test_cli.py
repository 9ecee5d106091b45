"""The command line: outputs, summaries and exit codes (0 ok, 1 problems found, 2 unusable input)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import MINIMAL_SURVEY, ROOT, SAMPLE, SURVEY_PATH
from toolkit.cli import main


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _sample_store(tmp_path, survey, *waves):
    """A store holding the sample's Qualtrics exports of ``waves``, ingested with the sample's key."""
    from toolkit.ingest.pipeline import ingest
    from toolkit.simulate import pseudonym_key

    roster = pd.read_csv(SAMPLE / "roster.csv", dtype="str")
    store = tmp_path / "store"
    for wave in waves:
        export = SAMPLE / "exports" / f"qualtrics_{wave}.csv"
        ingest(export, survey, roster=roster, wave=wave, store=store, key=pseudonym_key(2026))
    return store


def test_survey_check_ok(run):
    result = run("survey", "check", SURVEY_PATH)
    assert result.exit_code == 0
    assert "ok" in result.output and "one_on_one_pulse 1.0" in result.output
    assert "holding_back" in result.output and "roles: team=team, cadence=cadence" in result.output


def test_survey_check_malformed_is_exit_1_and_names_the_line(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL_SURVEY.replace("scale: agree5, reverse: true", "scale: agree6, reverse: true"))
    result = run("survey", "check", bad)
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "items[4].scale: unknown scale 'agree6'" in result.output
    assert "Traceback" not in result.output


def test_survey_check_missing_file_is_exit_2(run, tmp_path):
    result = run("survey", "check", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "file not found" in result.output


def test_survey_codebook_writes_files(run, tmp_path):
    result = run("survey", "codebook", SURVEY_PATH, "--out", tmp_path / "cb")
    assert result.exit_code == 0
    for name in ("codebook.csv", "codebook.md", "schema.md"):
        assert (tmp_path / "cb" / name).is_file()
        assert name in result.output


def test_survey_codebook_of_a_broken_survey_is_exit_2(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    result = run("survey", "codebook", bad, "--out", tmp_path / "cb")
    assert result.exit_code == 2 and "invalid YAML" in result.output
    assert not (tmp_path / "cb").exists()


def test_validate_a_clean_table_is_exit_0_and_writes_outputs(run, tmp_path, clean_csv):
    out = tmp_path / "v"
    result = run(
        "validate", clean_csv, "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--out", out
    )
    assert result.exit_code == 0, result.output
    n = len(pd.read_csv(clean_csv))
    assert f"{n} rows read = {n} valid + 0 quarantined" in result.output
    valid = pd.read_parquet(out / "valid.parquet")
    assert len(valid) == n and str(valid["avail_reachable"].dtype) == "Int8"
    assert pd.read_csv(out / "quarantine.csv").empty


def test_validate_the_messy_sample_quarantines_what_was_planted(run, tmp_path):
    out = tmp_path / "v"
    result = run(
        "validate",
        SAMPLE / "responses_2026Q1.csv",
        "--survey",
        SURVEY_PATH,
        "--roster",
        SAMPLE / "roster.csv",
        "--out",
        out,
    )
    assert result.exit_code == 1
    n = len(pd.read_csv(SAMPLE / "responses_2026Q1.csv"))
    valid = pd.read_parquet(out / "valid.parquet")
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert f"{n} rows read = {len(valid)} valid + {len(quarantine)} quarantined" in result.output
    assert len(valid) + len(quarantine) == n and len(quarantine) > 0
    assert set(pd.read_csv(out / "failures.csv")["rule"]) == {"attention_check", "unique_per_wave"}


def test_validate_failing_rows_is_exit_1_with_a_summary(run, tmp_path, clean_csv):
    table = pd.read_csv(clean_csv, dtype="str", keep_default_na=False, na_values=[""])
    table.loc[0, "avail_reachable"] = "7"
    table.loc[3, "attention"] = "5"
    table.loc[4, "team"] = "t_unknown"
    path = tmp_path / "broken.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "v"
    result = run("validate", path, "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--out", out)
    assert result.exit_code == 1
    n = len(table)
    assert f"{n} rows read = {n - 3} valid + 3 quarantined" in result.output
    assert "allowed_values   avail_reachable" in result.output and "(e.g. 2)" in result.output
    assert "attention_check  attention" in result.output and "(e.g. 5)" in result.output
    assert "known_team       team" in result.output and "(e.g. 6)" in result.output
    quarantine = pd.read_csv(out / "quarantine.csv", dtype="str")
    assert quarantine["row"].tolist() == ["2", "5", "6"]
    assert quarantine.loc[0, "reasons"] == "avail_reachable: allowed_values (7)"
    failures = pd.read_csv(out / "failures.csv")
    assert failures[["row", "column", "rule"]].values.tolist() == [
        [2, "avail_reachable", "allowed_values"],
        [5, "attention", "attention_check"],
        [6, "team", "known_team"],
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("respondent,wave\np1,2026Q1\n", "missing columns"),
        ("", "the file is empty"),
        (b"\x00\x01\x02\x03binary", "binary file"),
    ],
)
def test_validate_unusable_input_is_exit_2(run, tmp_path, content, message):
    path = tmp_path / "r.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run("validate", path, "--survey", SURVEY_PATH)
    assert result.exit_code == 2
    assert message in result.output and str(path) in result.output
    assert "Traceback" not in result.output


def test_validate_missing_files_are_exit_2(run, tmp_path):
    result = run("validate", tmp_path / "nope.csv", "--survey", SURVEY_PATH)
    assert result.exit_code == 2 and "file not found" in result.output
    result = run("validate", SAMPLE / "responses_2026Q1.csv", "--survey", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "file not found" in result.output
    result = run(
        "validate",
        SAMPLE / "responses_2026Q1.csv",
        "--survey",
        SURVEY_PATH,
        "--roster",
        tmp_path / "nope.csv",
    )
    assert result.exit_code == 2 and "roster file not found" in result.output


def test_validate_roster_without_team_column_is_exit_2(run, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("employee_id,unit\nE1,t1\n")
    result = run("validate", SAMPLE / "responses_2026Q1.csv", "--survey", SURVEY_PATH, "--roster", roster)
    assert result.exit_code == 2
    assert "needs a 'team' column" in result.output


def test_python_dash_m_and_console_script_agree():
    by_module = subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage: oneonone" in by_module.stdout
    for command in ("survey", "validate"):
        assert command in by_module.stdout
    version = subprocess.run(
        [sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("oneonone, version ")


def test_simulate_writes_an_organisation_that_validates(run, tmp_path):
    out = tmp_path / "org"
    result = run("simulate", "--survey", SURVEY_PATH, "--teams", 6, "--waves", 2, "--seed", 3, "--out", out)
    assert result.exit_code == 0, result.output
    assert "simulated 6 teams" in result.output and "waves 2026Q1, 2026Q2" in result.output
    assert "true weekly-vs-monthly effect on depth" in result.output
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "units.csv",
        "teams.csv",
        "roster.csv",
        "truth.json",
        "responses_2026Q2.csv",
        "exports/qualtrics_2026Q1.csv",
        "exports/google_forms_2026Q2.csv",
    } <= names
    check = run(
        "validate", out / "responses_2026Q1.csv", "--survey", SURVEY_PATH, "--roster", out / "roster.csv"
    )
    assert check.exit_code in (0, 1)  # planted attention failures and duplicates may be quarantined
    assert "Traceback" not in check.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--teams", 0], "Invalid value for '--teams'"),
        (["--icc", 0.5], "Invalid value for '--icc'"),
        (["--first-wave", "2026-Q1"], "first_wave"),
    ],
)
def test_simulate_bad_arguments_are_exit_2(run, tmp_path, args, message):
    result = run("simulate", "--survey", SURVEY_PATH, "--out", tmp_path / "o", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_release_writes_parquet_and_csv_with_the_release_columns(run, tmp_path, survey):
    store = _sample_store(tmp_path, survey, "2026Q1")
    out = tmp_path / "release"
    result = run(
        "release",
        "--store",
        store,
        "--units",
        SAMPLE / "units.csv",
        "--survey",
        SURVEY_PATH,
        "--roster",
        SAMPLE / "roster.csv",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out.with_suffix(".parquet"))
    assert list(table.columns) == ["audience", "wave", "unit", "cut", "measure", "value", "n"]
    assert len(pd.read_csv(out.with_suffix(".csv"))) == len(table)
    assert {"analyst", "manager:t01"} <= set(table["audience"])
    assert (table["measure"] == "response_rate").any()
    comments = pd.read_parquet(tmp_path / "release_comments.parquet")
    assert list(comments.columns) == ["audience", "wave", "unit", "item", "comment", "n"]
    assert len(comments) and (comments["n"] >= 10).all()
    assert len(pd.read_csv(tmp_path / "release_comments.csv")) == len(comments)
    assert "comments:" in result.output
    bad = run(
        "release", "--store", store, "--units", tmp_path / "nope.csv", "--survey", SURVEY_PATH, "--out", out
    )
    assert bad.exit_code == 2 and "units file not found" in bad.output


def test_power_gives_the_mde_or_the_teams_needed(run):
    from toolkit.stats.power import power

    result = run("power", "--teams-per-arm", 50, "--team-size", 8, "--icc", 0.1)
    assert result.exit_code == 0, result.output
    expected = power(teams_per_arm=50, team_size=8, icc=0.1, distribution="t")["mde"].iloc[0]
    assert f"{expected:.3f}" in result.output and "design_effect" in result.output
    needed = run("power", "--effect", 0.3, "--team-size", 8, "--icc", 0.1, "--icc", 0.2)
    assert needed.exit_code == 0 and "teams_needed" in needed.output
    both = run("power", "--effect", 0.3, "--teams-per-arm", 50, "--team-size", 8, "--icc", 0.1)
    assert both.exit_code == 2 and "one of them" in both.output


def test_report_writes_a_report_per_team_a_manifest_and_the_heatmap(run, tmp_path, survey):
    store = _sample_store(tmp_path, survey, "2026Q1", "2026Q2")
    out = tmp_path / "reports"
    args = [
        "report",
        "--store",
        store,
        "--units",
        SAMPLE / "units.csv",
        "--survey",
        SURVEY_PATH,
        "--roster",
        SAMPLE / "roster.csv",
        "--teams",
        SAMPLE / "teams.csv",
        "--out",
        out,
    ]
    result = run(*args, "--wave", "2026Q2")
    assert result.exit_code == 0, result.output
    manifest = pd.read_csv(out / "manifest.csv")
    assert len(manifest) == (pd.read_csv(SAMPLE / "units.csv")["kind"] == "team").sum()
    assert manifest["file"].map(lambda f: (out / f).is_file()).all()
    assert set(manifest["manager"]) <= set(pd.read_csv(SAMPLE / "teams.csv")["manager"])
    assert (out / "organisation.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert any("<blockquote>" in (out / f).read_text(encoding="utf-8") for f in manifest["file"])
    missing = run(*args, "--wave", "2031Q1")
    assert missing.exit_code == 2 and "wave 2031Q1 is not in the store" in missing.output


def test_compare_prints_adjusted_contrasts_and_writes_table_and_forest_plot(run, tmp_path, survey):
    store = _sample_store(tmp_path, survey, "2026Q1")
    args = ["compare", "--store", store, "--survey", SURVEY_PATH, "--wave", "2026Q1"]
    result = run(
        *args, "--units", SAMPLE / "units.csv", "--roster", SAMPLE / "roster.csv", "--outcome", "depth"
    )
    assert result.exit_code == 0, result.output
    assert "adjusted for division, log_size" in result.output and "weekly - monthly" in result.output
    table = pd.read_csv(store / "reports" / "compare_2026Q1.csv")
    assert table[["outcome", "contrast", "method"]].values.tolist() == [["depth", "weekly - monthly", "lmm"]]
    assert (store / "reports" / "compare_2026Q1.png").stat().st_size > 1000
    unadjusted = run(*args, "--outcome", "depth", "--contrast", "weekly")
    assert unadjusted.exit_code == 2 and "a:b" in unadjusted.output


@pytest.fixture
def two_waves(tmp_path):
    """An exports folder with the sample's Qualtrics exports of two waves, one per wave."""
    import shutil

    folder = tmp_path / "exports"
    folder.mkdir()
    for wave in ("2026Q1", "2026Q2"):
        shutil.copy(SAMPLE / "exports" / f"qualtrics_{wave}.csv", folder)
    return folder


def test_run_does_the_quarter_and_a_rerun_changes_nothing(run, tmp_path, two_waves, monkeypatch):
    from toolkit.simulate import pseudonym_key
    from toolkit.store import manifest

    monkeypatch.setenv("ONEONONE_KEY", pseudonym_key(2026).decode())
    out = tmp_path / "out"
    args = ["run", "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--exports", two_waves]
    args += ["--wave", "2026Q2", "--out", out, "--no-notebooks"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    for step in ("1/5 ingest", "2/5 score", "3/5 compare", "4/5 release", "5/5 reports"):
        assert step in result.output
    assert sorted(manifest(out / "store")["waves"]) == ["2026Q1", "2026Q2"]
    for path in (
        "store/reports/measurement_2026Q2.md",
        "store/reports/compare_2026Q2.csv",
        "release.parquet",
        "release_comments.parquet",
        "reports/manifest.csv",
        "reports/organisation.html",
        "reports/t01.html",
    ):
        assert (out / path).is_file(), path
    assert "units.csv beside the roster" not in result.output and "outputs" in result.output
    written = manifest(out / "store")["waves"]["2026Q2"]["written_at"]
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert "already stored as wave 2026Q2 from this export; nothing to do" in again.output
    assert manifest(out / "store")["waves"]["2026Q2"]["written_at"] == written


def test_run_refuses_without_key_or_with_an_ambiguous_folder(run, tmp_path, two_waves, monkeypatch):
    from toolkit.simulate import pseudonym_key

    monkeypatch.delenv("ONEONONE_KEY", raising=False)
    args = ["run", "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--wave", "2026Q2"]
    args += ["--out", tmp_path / "out", "--no-notebooks"]
    no_key = run(*args, "--exports", two_waves)
    assert no_key.exit_code == 2 and "ONEONONE_KEY" in no_key.output
    assert not (tmp_path / "out" / "store").exists()
    monkeypatch.setenv("ONEONONE_KEY", pseudonym_key(2026).decode())
    both = run(*args, "--exports", SAMPLE / "exports")
    assert both.exit_code == 2 and "several exports name wave 2026Q1" in both.output
    no_units = run(*args, "--exports", two_waves, "--units", tmp_path / "missing.csv")
    assert no_units.exit_code == 2 and "missing.csv" in no_units.output


def test_extract_writes_a_k_anonymous_file_with_fresh_pseudonyms(run, tmp_path, survey):
    import pyreadstat

    store = _sample_store(tmp_path, survey, "2026Q1")
    args = ["extract", "--store", store, "--survey", SURVEY_PATH, "--units", SAMPLE / "units.csv"]
    result = run(*args, "--to", "dta", "--out", tmp_path / "x1", "--seed", 3)
    assert result.exit_code == 0, result.output
    assert "k = 5" in result.output and "extract_report.md" in result.output
    data, meta = pyreadstat.read_dta(tmp_path / "x1" / "extract.dta")
    assert meta.column_names_to_labels["avail_reachable"] == survey.item("avail_reachable").text[:80]
    stored = set(pd.read_parquet(store / "waves" / "2026Q1.parquet")["respondent"])
    assert not set(data["respondent"]) & stored
    second = run(*args, "--to", "csv", "--out", tmp_path / "x2", "--waves", "2026Q1")
    assert second.exit_code == 0, second.output
    other = pd.read_csv(tmp_path / "x2" / "extract.csv")
    assert not set(other["respondent"]) & set(data["respondent"])
    assert (tmp_path / "x2" / "codebook.csv").is_file()
    bad = run(*args, "--to", "csv", "--out", tmp_path / "x3", "--k", 1)
    assert bad.exit_code == 2 and "k" in bad.output


def test_survey_diff_lists_changes_and_comparability(run):
    new = ROOT / "tests" / "fixtures" / "versions" / "one_on_one_pulse_1_1.yaml"
    result = run("survey", "diff", SURVEY_PATH, new)
    assert result.exit_code == 0, result.output
    assert "| reworded | `growth_sponsor` | `growth_supported` | no |" in result.output
    assert "| `availability` | yes |" in result.output
    missing = run("survey", "diff", SURVEY_PATH, new.with_name("nope.yaml"))
    assert missing.exit_code == 2 and "nope.yaml" in missing.output


@pytest.mark.parametrize(
    ("to", "name"),
    [
        ("xlsform", "one_on_one_pulse.xlsx"),
        ("qualtrics", "one_on_one_pulse.qualtrics.txt"),
        ("limesurvey", "one_on_one_pulse.limesurvey.txt"),
        ("html", "one_on_one_pulse.html"),
    ],
)
def test_survey_export_writes_each_form(run, tmp_path, to, name):
    result = run("survey", "export", SURVEY_PATH, "--to", to, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).is_file() and name in result.output.replace("\n", "")


def test_survey_export_out_folder_as_in_the_readme(run, tmp_path, monkeypatch):
    # README: oneonone survey export ... --out forms/  (a folder that does not exist yet)
    monkeypatch.chdir(tmp_path)
    result = run("survey", "export", SURVEY_PATH, "--to", "xlsform", "--out", "forms/")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "forms").is_dir() and (tmp_path / "forms" / "one_on_one_pulse.xlsx").is_file()
    # an existing folder without the slash, and a file path, as before
    assert run("survey", "export", SURVEY_PATH, "--to", "html", "--out", "forms").exit_code == 0
    assert (tmp_path / "forms" / "one_on_one_pulse.html").is_file()
    result = run("survey", "export", SURVEY_PATH, "--to", "html", "--out", "out/questionnaire.html")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "questionnaire.html").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["questionnaire.html"]


def test_survey_export_bad_input(run, tmp_path):
    missing = run("survey", "export", tmp_path / "nope.yaml", "--to", "html")
    assert missing.exit_code == 2 and "nope.yaml" in missing.output
    wrong = run("survey", "export", SURVEY_PATH, "--to", "pdf")
    assert wrong.exit_code == 2 and "pdf" in wrong.output


def test_run_executes_the_chosen_notebook_into_html(run, tmp_path, two_waves, monkeypatch):
    from toolkit.simulate import pseudonym_key

    monkeypatch.setenv("ONEONONE_KEY", pseudonym_key(2026).decode())
    out = tmp_path / "out"
    args = ["run", "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--exports", two_waves]
    result = run(*args, "--wave", "2026Q2", "--out", out, "--notebook", "06_team_report", "--team", "t02")
    assert result.exit_code == 0, result.output
    assert "6/6 notebooks" in result.output and "06_team_report:" in result.output
    html = (out / "notebooks" / "06_team_report.html").read_text(encoding="utf-8")
    assert "t02" in html and "Traceback" not in html
    assert not (out / "notebooks" / "01_validate_and_clean.html").exists()
    bad = run(*args, "--wave", "2026Q2", "--out", out, "--notebook", "06_team_report", "--team", "zz")
    assert bad.exit_code == 2 and "--team zz is not a team" in bad.output
