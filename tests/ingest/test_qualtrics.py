"""The Qualtrics reader: header rows, -99, choice positions, status, encodings, the sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from toolkit import InputError
from toolkit.ingest.canonical import read_canonical
from toolkit.ingest.export import read_export
from toolkit.ingest.qualtrics import read_qualtrics

ROOT = Path(__file__).resolve().parents[2]
WAVES = ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
SAMPLE = ROOT / "data" / "sample"


def _same(got: pd.Series, want: pd.Series) -> bool:
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    return bool(((got == want) | (got.isna() & want.isna())).all())


@pytest.mark.parametrize("platform", ["qualtrics", "google_forms"])
@pytest.mark.parametrize("wave", WAVES)
def test_sample_exports_give_the_canonical_answers_row_for_row(survey, contract, platform, wave):
    export = read_export(SAMPLE / "exports" / f"{platform}_{wave}.csv", survey)
    canonical = read_canonical(SAMPLE / f"responses_{wave}.csv")
    contract(export, survey)
    assert export.format == platform and export.missing_items == () and export.failures.empty
    table = export.table
    assert len(table) == len(canonical)
    assert table.index[0] == (4 if platform == "qualtrics" else 2)
    for column in ("team", *survey.item_columns):
        assert _same(table[column], canonical[column]), column
    assert _same(table["submitted_at"], pd.to_datetime(canonical["submitted_at"], utc=True).dt.as_unit("us"))
    if platform == "qualtrics":
        assert _same(table["duration_s"], pd.to_numeric(canonical["duration_s"]).astype("Float64"))
        assert table["employee_id"].str.match(r"^e\d+$").all() and "email" not in table.columns
    else:
        assert table["duration_s"].isna().all() and table["email"].str.endswith("@example.org").all()


def test_three_header_rows_with_bom(small, contract, fixture_path):
    export = read_qualtrics(fixture_path("qualtrics_bom.csv"), small)
    contract(export, small)
    t = export.table
    assert export.format == "qualtrics"
    assert list(t.index) == [4, 5, 6, 7, 8]
    # ImportId alias (QID2, German question text), text row, "Stem - statement", curly apostrophe
    assert list(t.columns) == [
        "employee_id", "submitted_at", "duration_s", "team", "cadence", "reach", "depth", "honest", "comment"
    ]  # fmt: skip
    assert t.loc[4, "cadence"] == "biweekly" and t.loc[5, "cadence"] == "none"  # 1-based choice positions
    assert pd.isna(t.loc[4, "depth"]) and pd.isna(t.loc[7, "cadence"])  # -99: seen, unanswered
    assert t.loc[7, "depth"] == "7"  # unmappable: kept for validation to report
    assert t.loc[7, "honest"] == "4"  # a label
    assert t.loc[7, "comment"] == 'Line one\nsays "hi", twice'
    assert export.missing_items == ("topics",)
    assert "Q6 - Topics" in export.ignored


def test_identifiers_are_dropped_and_listed(small, fixture_path):
    export = read_qualtrics(fixture_path("qualtrics_bom.csv"), small)
    for name in ("IPAddress", "ResponseId", "RecipientEmail", "RecipientFirstName", "LocationLatitude"):
        assert name in export.dropped
    assert not set(export.dropped) & set(export.table.columns)
    assert "email" not in export.table.columns  # employee ids are there: no e-mail join key


def test_preview_test_and_spam_responses_are_kept_with_a_failure(small, fixture_path):
    export = read_qualtrics(fixture_path("qualtrics_bom.csv"), small)
    status = export.failures[export.failures["rule"] == "platform_status"]
    assert status["row"].tolist() == [5, 6] and status["value"].tolist() == ["1", "8"]
    assert {5, 6} <= set(export.table.index)


def test_unreadable_timestamp_and_duration_become_missing_with_a_failure(small, fixture_path):
    export = read_qualtrics(fixture_path("qualtrics_bom.csv"), small)
    bad = export.failures[export.failures["row"] == 8]
    assert bad[["column", "rule", "value"]].values.tolist() == [
        ["submitted_at", "dtype", "not a date"],
        ["duration_s", "dtype", "abc"],
    ]
    assert pd.isna(export.table.loc[8, "submitted_at"]) and pd.isna(export.table.loc[8, "duration_s"])


def test_naive_timestamps_are_in_the_given_timezone(small, fixture_path):
    utc = read_qualtrics(fixture_path("qualtrics_bom.csv"), small).table
    berlin = read_qualtrics(fixture_path("qualtrics_bom.csv"), small, timezone="Europe/Berlin").table
    assert str(utc.loc[4, "submitted_at"]) == "2026-02-02 08:05:01+00:00"
    assert str(berlin.loc[4, "submitted_at"]) == "2026-02-02 07:05:01+00:00"


def test_legacy_two_header_rows_with_trailing_commas(small, contract, fixture_path):
    export = read_export(fixture_path("qualtrics_legacy.csv"), small)
    contract(export, small)
    t = export.table
    assert export.format == "qualtrics_legacy" and list(t.index) == [3, 4]
    assert t["employee_id"].tolist() == ["e001", "e002"]
    assert t["cadence"].tolist() == ["monthly", "weekly"] and pd.isna(t.loc[4, "reach"])
    assert t.loc[3, "duration_s"] == 39  # EndDate - StartDate
    assert {"ResponseID", "Name", "EmailAddress", "IPAddress", "LocationLatitude"} <= set(export.dropped)
    assert export.failures["rule"].tolist() == ["platform_status"]


def test_legacy_tsv_in_utf16(small, fixture_path, write):
    text = fixture_path("qualtrics_legacy.csv").read_text(encoding="utf-8")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    tsv = "".join("\t".join(r) + "\r\n" for r in rows)
    path = write("legacy.tsv", tsv, encoding="utf-16")
    export = read_export(path, small)
    assert export.format == "qualtrics_legacy"
    assert export.table.loc[3, "comment"] == "café au lait" and export.table["team"].tolist() == ["t1", "t2"]


def test_windows_1252_export(small, fixture_path, write):
    text = fixture_path("qualtrics_legacy.csv").read_text(encoding="utf-8")
    export = read_export(write("cp1252.csv", text, encoding="cp1252"), small)
    assert export.table.loc[3, "comment"] == "café au lait"


def test_duration_from_start_and_end_when_no_duration_column(small, write):
    header = "StartDate,EndDate,RecordedDate,ResponseId,Q1\n"
    texts = "Start Date,End Date,Recorded Date,Response ID,Which team are you part of?\n"
    body = "2026-01-01 10:00:00,2026-01-01 10:02:30,2026-01-01 10:02:31,R_1,t1\n"
    export = read_export(write("q.csv", header + texts + body), small, format="qualtrics")
    assert export.table.loc[3, "duration_s"] == 150
    assert str(export.table.loc[3, "submitted_at"]) == "2026-01-01 10:02:31+00:00"
    assert export.table["employee_id"].isna().all()


def test_missing_recorded_date_is_an_input_error(small, write):
    path = write(
        "q.csv", 'ResponseId,StartDate,Q1\nResponse ID,Start Date,Team\n{"ImportId":"x"},{},{}\nR_1,x,t1\n'
    )
    with pytest.raises(InputError, match=r"missing required metadata column RecordedDate \(or EndDate\)"):
        read_export(path, small, format="qualtrics")


def test_real_qualtrics_exports(reference, reference_survey, contract):
    for name, fmt, first in (("sample.csv", "qualtrics", 4), ("sample_legacy.csv", "qualtrics_legacy", 3)):
        export = read_export(reference / "qualtrics" / name, reference_survey)
        contract(export, reference_survey)
        t = export.table
        assert export.format == fmt and list(t.index) == [first]
        assert t.loc[first, "q1"] == "second" and t.loc[first, "q2"] == "Hello World!"
        assert str(t.loc[first, "submitted_at"]) == "2017-07-18 08:28:48+00:00"
        assert {"IPAddress", "LocationLatitude", "LocationLongitude"} <= set(export.dropped)
        assert not {"IPAddress", "RecipientEmail", "ResponseId", "ResponseID"} & set(t.columns)
    modern = read_export(reference / "qualtrics" / "sample.csv", reference_survey)
    assert {"RecipientEmail", "ResponseId", "RecipientLastName", "RecipientFirstName"} <= set(modern.dropped)
    assert modern.table.loc[4, "duration_s"] == 38 and "Q2 - Topics" in modern.ignored


def test_multi_select_codes_and_status_labels(small, write):
    header = "RecordedDate,Status,ExternalReference,Q1,Q2,topics\n"
    texts = (
        "Recorded Date,Response Type,External Data Reference,Which team are you part of?,How often?,Topics\n"
    )
    imports = '{"ImportId":"recordedDate"},{"ImportId":"status"},{},{},{"ImportId":"QID2"},{}\n'
    body = (
        '2026-01-01 10:00:00,IP Address,e1,t1,"1,2"," 1,3,4"\n2026-01-01 11:00:00,Survey Preview,e2,t1,3,\n'
    )
    export = read_export(write("q.csv", header + texts + imports + body), small)
    t = export.table
    assert t.loc[4, "topics"] == " 1,3,4" and t.loc[4, "cadence"] == "1,2"  # kept as given
    assert export.failures[["row", "rule", "value"]].values.tolist() == [
        [5, "platform_status", "Survey Preview"]
    ]
