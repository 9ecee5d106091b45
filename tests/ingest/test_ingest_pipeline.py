"""Ingest end to end: platform export -> pseudonymised, validated, quarantined, stored wave.

The sample's platform exports were written by the simulator with a known key, so an ingest
must give back its canonical responses, quarantine exactly the planted mess, and leave no
direct identifier anywhere in the store, the quarantine or the report.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit import InputError, StoreError, load_quarantine, load_waves, read_canonical
from toolkit.cli import main
from toolkit.ingest.pipeline import ingest
from toolkit.ingest.report import write_ingest_report
from toolkit.simulate import pseudonym_key
from toolkit.survey.validate import to_canonical

KEY = pseudonym_key(2026)
WAVE = "2026Q1"
QUALTRICS = SAMPLE / "exports" / f"qualtrics_{WAVE}.csv"
GOOGLE = SAMPLE / "exports" / f"google_forms_{WAVE}.csv"


@pytest.fixture(scope="module")
def roster():
    return pd.read_csv(SAMPLE / "roster.csv", dtype="str")


@pytest.fixture(scope="module")
def stored(tmp_path_factory, survey, roster):
    store = tmp_path_factory.mktemp("store")
    result = ingest(QUALTRICS, survey, roster=roster, wave=WAVE, store=store, key=KEY)
    return store, result


def test_rows_read_equal_rows_stored_plus_quarantined(stored):
    store, result = stored
    assert result.status == "written" and result.format == "qualtrics"
    assert result.balanced
    assert result.rows_read == len(pd.read_csv(QUALTRICS, skiprows=[1, 2]))
    assert len(load_waves(store, WAVE)) == result.rows_stored
    assert len(load_quarantine(store, WAVE)) == result.rows_quarantined


def test_the_export_ingests_to_the_canonical_responses(stored, survey):
    store, _ = stored
    canonical, _ = to_canonical(read_canonical(SAMPLE / f"responses_{WAVE}.csv"), survey)
    got = load_waves(store, WAVE)
    # every stored response is a row of the canonical file: the same pseudonym (same key), the same
    # submission time and the same answers (of duplicate submissions, the one ingest kept)
    merged = got.merge(canonical, on=["respondent", "submitted_at"], suffixes=("", "_canonical"))
    assert len(merged) == len(got)
    for item in ("avail_reachable", "depth_why", "cadence", "tenure", "team"):
        pd.testing.assert_series_equal(
            merged[item].astype("str"), merged[f"{item}_canonical"].astype("str"), check_names=False
        )


def test_careless_and_duplicate_rows_are_quarantined_with_reasons(stored):
    _, result = stored
    rules = set(result.validation.failures["rule"])
    assert {"attention_check", "duplicate_submission"} <= rules
    assert rules <= {
        "attention_check",
        "duplicate_submission",
        "speeder",
        "straight_liner",
        "not_in_roster",
        "required",
        "platform_status",
    }
    assert result.validation.quarantine["reasons"].str.len().gt(0).all()
    # one stored response per respondent
    assert not result.validation.valid["respondent"].duplicated().any()


def test_no_direct_identifier_leaves_ingest(stored, roster, survey):
    store, result = stored
    paths = write_ingest_report(result, store / "reports", survey_label=f"{survey.id} {survey.version}")
    texts = [p.read_text(encoding="utf-8") for p in paths.values()]
    texts.append((store / "manifest.json").read_text(encoding="utf-8"))
    for frame in (load_waves(store, WAVE), load_quarantine(store, WAVE)):
        texts.append(frame.astype("str").to_csv())
    blob = "\n".join(texts).casefold()
    people = roster[roster["wave"] == WAVE]
    for column in ("email", "name", "employee_id"):
        leaked = [v for v in people[column].dropna() if v.casefold() in blob]
        assert leaked == [], f"{column} leaked: {leaked[:3]}"
    export = pd.read_csv(QUALTRICS, skiprows=[1, 2], dtype="str")
    for column in ("IPAddress", "LocationLatitude", "LocationLongitude", "ResponseId", "RecipientEmail"):
        values = [v for v in export[column].dropna().unique() if len(v) > 4]
        assert not [v for v in values if v.casefold() in blob], column
    assert re.search(r"[\w.+-]+@[\w-]+\.\w+", blob) is None
    assert {"IPAddress", "RecipientEmail", "LocationLatitude", "LocationLongitude"} <= set(result.dropped)


def test_pseudonym_is_keyed_not_a_plain_hash(stored, roster):
    store, _ = stored
    respondents = set(load_waves(store, WAVE)["respondent"])
    for employee in roster["employee_id"].head(50):
        for plain in (
            hashlib.sha256(employee.encode()).hexdigest(),
            hashlib.md5(employee.encode()).hexdigest(),
        ):
            assert not any(plain[:24] in r for r in respondents)


def test_reingesting_the_same_export_is_a_no_op(stored, survey, roster):
    store, result = stored
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in store.rglob("*") if p.is_file()}
    again = ingest(QUALTRICS, survey, roster=roster, wave=WAVE, store=store, key=KEY)
    assert again.status == "unchanged"
    assert (again.rows_read, again.rows_stored) == (result.rows_read, result.rows_stored)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in store.rglob("*") if p.is_file()} == before


def test_another_export_for_a_stored_wave_needs_replace(tmp_path, survey, roster):
    ingest(QUALTRICS, survey, roster=roster, wave=WAVE, store=tmp_path, key=KEY)
    with pytest.raises(StoreError, match="--replace"):
        ingest(GOOGLE, survey, roster=roster, wave=WAVE, store=tmp_path, key=KEY)
    result = ingest(GOOGLE, survey, roster=roster, wave=WAVE, store=tmp_path, key=KEY, replace=True)
    assert result.status == "replaced" and result.format == "google_forms"


def test_google_forms_joins_by_email_to_the_same_pseudonyms(tmp_path, stored, survey, roster):
    store, _ = stored
    result = ingest(GOOGLE, survey, roster=roster, wave=WAVE, store=tmp_path, key=KEY)
    assert result.balanced
    by_email = set(load_waves(tmp_path, WAVE)["respondent"])
    by_id = set(load_waves(store, WAVE)["respondent"])
    assert len(by_email & by_id) >= 0.95 * len(by_id)


def test_responses_from_people_not_in_the_roster_are_quarantined(tmp_path, survey, roster):
    fewer = roster[~roster["employee_id"].isin(roster["employee_id"].head(5))]
    result = ingest(QUALTRICS, survey, roster=fewer, wave=WAVE, store=tmp_path, key=KEY)
    assert result.balanced
    assert (result.validation.failures["rule"] == "not_in_roster").sum() >= 1
    assert result.response_rates["invited"].ge(5).all()


def test_roster_errors(tmp_path, survey, roster):
    with pytest.raises(InputError, match="the roster has no rows for wave 2031Q1"):
        ingest(QUALTRICS, survey, roster=roster, wave="2031Q1", store=tmp_path, key=KEY)
    with pytest.raises(InputError, match="needs the columns employee_id and team"):
        ingest(QUALTRICS, survey, roster=roster.drop(columns="team"), wave=WAVE, store=tmp_path, key=KEY)
    twice = pd.concat([roster, roster.head(1)])
    with pytest.raises(InputError, match="lists employee 'e000001' more than once"):
        ingest(QUALTRICS, survey, roster=twice, wave=WAVE, store=tmp_path, key=KEY)
    with pytest.raises(ValueError, match="wave must look like 2026Q3"):
        ingest(QUALTRICS, survey, roster=roster, wave="Q1", store=tmp_path, key=KEY)


def _cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def test_cli_ingest_prints_the_balance_and_writes_the_report(tmp_path):
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(KEY)
    store = tmp_path / "store"
    args = [
        "ingest",
        QUALTRICS,
        "--survey",
        SURVEY_PATH,
        "--roster",
        SAMPLE / "roster.csv",
        "--wave",
        WAVE,
        "--store",
        store,
        "--key-file",
        key_file,
    ]
    result = _cli(*args)
    assert result.exit_code == 0, result.output
    assert re.search(r"(\d+) rows read = (\d+) stored \+ (\d+) quarantined", result.output)
    assert "identifier columns dropped: " in result.output and "IPAddress" in result.output
    assert (store / "reports" / f"ingest_{WAVE}.html").is_file()
    again = _cli(*args)
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_cli_refuses_without_a_key_and_with_a_key_inside_the_store(tmp_path):
    base = ["ingest", QUALTRICS, "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--wave", WAVE]
    result = _cli(*base, "--store", tmp_path / "s", env={"ONEONONE_KEY": None})
    assert result.exit_code == 2 and "no secret key for pseudonyms" in result.output
    inside = tmp_path / "s" / "key"
    inside.parent.mkdir()
    inside.write_bytes(KEY)
    result = _cli(*base, "--store", tmp_path / "s", "--key-file", inside)
    assert result.exit_code == 2 and "inside the store" in result.output
    assert KEY.decode() not in result.output


def test_a_canonical_file_is_checked_against_the_roster_under_the_key(tmp_path, survey, roster):
    canonical = SAMPLE / f"responses_{WAVE}.csv"
    result = ingest(canonical, survey, roster=roster, wave=WAVE, store=tmp_path / "a", key=KEY)
    assert result.format == "canonical" and result.balanced
    assert "not_in_roster" not in set(result.validation.failures["rule"])
    wrong = ingest(
        canonical, survey, roster=roster, wave=WAVE, store=tmp_path / "b", key=b"another key of 16+ bytes"
    )
    assert wrong.rows_stored == 0
    assert (wrong.validation.failures["rule"] == "not_in_roster").sum() == wrong.rows_read
    with pytest.raises(InputError, match="holds responses of wave\\(s\\) 2026Q1, not only 2026Q2"):
        ingest(canonical, survey, roster=roster, wave="2026Q2", store=tmp_path / "c", key=KEY)


def test_the_report_says_what_was_dropped_and_counts_without_values(stored, survey, tmp_path):
    _, result = stored
    paths = write_ingest_report(result, tmp_path, survey_label="one_on_one_pulse 1.0")
    md = paths["markdown"].read_text(encoding="utf-8")
    html = paths["html"].read_text(encoding="utf-8")
    line = (
        f"{result.rows_read} rows read = {result.rows_stored} stored + {result.rows_quarantined} quarantined"
    )
    assert line in md and line in html
    assert "`RecipientEmail`" in md and "<code>RecipientEmail</code>" in html
    assert "employee id (replaced by the pseudonym)" in md
    assert "| attention_check | attention |" in md
    assert html.startswith("<!DOCTYPE html>") and '<th scope="col">rule</th>' in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
        (b"Fruit,Colour\napple,red\n", "survey"),
    ],
)
def test_cli_unusable_exports_are_one_paragraph_and_exit_2(tmp_path, content, message):
    export = tmp_path / "export.csv"
    export.write_bytes(content)
    result = _cli(
        "ingest",
        export,
        "--survey",
        SURVEY_PATH,
        "--roster",
        SAMPLE / "roster.csv",
        "--wave",
        WAVE,
        "--store",
        tmp_path / "store",
        env={"ONEONONE_KEY": KEY.decode()},
    )
    assert result.exit_code == 2
    assert message in result.output.lower() and str(export) in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "store").exists()
