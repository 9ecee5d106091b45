"""Format detection, canonical files, encodings, and every unusable file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from toolkit import InputError
from toolkit.ingest.export import FORMATS, detect_format, read_export

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
GF = 'Timestamp,Which team are you part of?,"When I need my manager, I can reach them."\n'


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("qualtrics_bom.csv", "qualtrics"),
        ("qualtrics_legacy.csv", "qualtrics_legacy"),
        ("google_forms.csv", "google_forms"),
        ("limesurvey.csv", "limesurvey"),
        ("kobo.csv", "kobo"),
    ],
)
def test_detect_format_by_content(fixture_path, write, name, expected):
    assert detect_format(fixture_path(name)) == expected
    renamed = write("export.txt", fixture_path(name).read_bytes())  # the name does not matter
    assert detect_format(renamed) == expected


def test_detect_workbooks(workbook):
    ms = workbook(
        "a.xlsx", {"s": [["ID", "Start time", "Completion time", "Email", "Name"], [1, 2, 3, 4, 5]]}
    )
    gs = workbook("b.xlsx", {"s": [["Timestamp", "Q"], [1, 2]]})
    kb = workbook("c.xlsx", {"s": [["end", "_uuid", "_index"], [1, 2, 3]]})
    assert [detect_format(p) for p in (ms, gs, kb)] == ["msforms", "google_sheets", "kobo"]


def test_canonical_csv_and_parquet_are_read_by_read_canonical(survey, tmp_path):
    export = read_export(SAMPLE / "responses_2026Q1.csv", survey)
    assert export.format == "canonical" and export.table.index[0] == 2 and export.missing_items == ()
    assert export.failures.empty and export.dropped == () and "respondent" in export.table.columns
    parquet = tmp_path / "r.parquet"
    export.table.iloc[:5].to_parquet(parquet)
    again = read_export(parquet, survey)
    assert again.format == "canonical" and list(again.table.index) == [1, 2, 3, 4, 5]


def test_format_can_be_forced(small, fixture_path):
    export = read_export(fixture_path("google_forms.csv"), small, format="google_forms")
    assert export.format == "google_forms"
    with pytest.raises(InputError, match="missing required metadata column Completion time"):
        read_export(fixture_path("google_forms.csv"), small, format="msforms")


def test_unknown_format_and_timezone_are_argument_errors(small, fixture_path):
    with pytest.raises(ValueError, match="format must be one of qualtrics, "):
        read_export(fixture_path("google_forms.csv"), small, format="surveymonkey")
    with pytest.raises(ValueError, match="timezone must be an IANA time zone"):
        read_export(fixture_path("google_forms.csv"), small, timezone="Mars/Olympus")
    assert len(FORMATS) == 8


def test_utf8_is_never_read_as_windows_1252(small, write):
    # plain ASCII for the first 64 KiB, then UTF-8: the bytes decide, not a guess from the start
    body = "".join(f"2023/11/13 4:20:37 pm CET,t{i},Agree\n" for i in range(3000))
    path = write("late.csv", GF + body + "2023/11/13 4:20:37 pm CET,café,Agree\n")
    assert read_export(path, small).table["team"].iloc[-1] == "café"
    path = write("late1252.csv", GF + body + "2023/11/13 4:20:37 pm CET,café,Agree\n", encoding="cp1252")
    assert read_export(path, small).table["team"].iloc[-1] == "café"


def test_utf16_without_byte_order_mark(small, write):
    path = write("u16.csv", GF + "2023/11/13 4:20:37 pm CET,tø,Agree\n", encoding="utf-16-le")
    assert read_export(path, small).table.loc[2, "team"] == "tø"


BAD = [
    ("empty.csv", b"", "the file is empty", None),
    ("blank.csv", b"\r\n\n  \n", "the file is empty", None),
    ("header.csv", GF.encode(), "has a header but no responses", None),
    ("bin.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file", None),
    ("ragged.csv", (GF + "2023/11/13 4:20:37 pm CET,t1,Agree\n2023/11/13,t2,A,extra\nx,t3,A\n").encode(),
     "the row has 4 fields but the header has 3", 3),
    ("truncated.csv", (GF + "2023/11/13 4:20:37 pm CET,t1,Agree\n2023/11/13 4:2").encode(),
     "the row has 1 fields but the header has 3", 3),
    ("latin.csv", GF.encode() + b"\x81\x8d\x8f\x90\x9d,t1,Agree\n", "not text in a known encoding", None),
    ("unknown.csv", b"a,b\n1,2\n", "cannot tell which platform wrote this file", None),
    ("fake.xlsx", b"PK\x03\x04 not really a zip", "not a readable workbook", None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "message", "row"), BAD, ids=[b[0] for b in BAD])
def test_unusable_files_raise_input_error(small, write, name, data, message, row):
    path = write(name, data)
    with pytest.raises(InputError, match=message) as info:
        read_export(path, small)
    assert info.value.path == str(path) and info.value.row == row


def test_a_bad_last_row_of_a_large_file_is_named(small, write):
    rows = "".join(f"2023/11/13 4:20:37 pm CET,t{i},Agree\n" for i in range(50_000))
    path = write("big.csv", GF + rows + "2023/11/13 4:20:37 pm CET,t,Agree,oops\n")
    with pytest.raises(InputError, match="the row has 4 fields") as info:
        read_export(path, small)
    assert info.value.row == 50_002


def test_a_damaged_qualtrics_row_is_named_as_the_spreadsheet_shows_it(small, fixture_path, write):
    text = fixture_path("qualtrics_bom.csv").read_bytes() + b"2026-02-03 08:00:00,x\n"
    with pytest.raises(InputError, match="the row has 2 fields") as info:
        read_export(write("q.csv", text), small)
    assert info.value.row == 9


@pytest.mark.parametrize("name", ["kobo.csv", "google_forms.csv", "limesurvey.csv"])
def test_wrong_survey_names_the_survey(reference_survey, fixture_path, name):
    with pytest.raises(
        InputError, match=r"survey 'reference_exports' \(version 1.0\): is this the right survey"
    ):
        read_export(fixture_path(name), reference_survey)


def test_missing_file(small, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_export(tmp_path / "nope.csv", small)
    with pytest.raises(InputError, match="not a file"):
        read_export(tmp_path, small)


def test_no_identifier_reaches_the_table(small, fixture_path):
    for name in (
        "qualtrics_bom.csv",
        "qualtrics_legacy.csv",
        "google_forms.csv",
        "limesurvey.csv",
        "kobo.csv",
    ):
        export = read_export(fixture_path(name), small)
        text = [v for v in export.table.astype("str").to_numpy().ravel().tolist() if isinstance(v, str)]
        assert not [v for v in text if "198.51." in v or "130.92." in v or "R_" in v or "uuid" in v]
        assert not {"Ana", "Ben", "Doe", "Jo", "tok1"} & set(text)
        emails = [v for v in text if "@" in v]
        assert not emails or "email" in export.table.columns
        assert pd.api.types.is_integer_dtype(export.table.index)


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("limesurvey.csv", "google_forms", "missing required metadata column Timestamp"),
        ("google_forms.csv", "kobo", r"missing required metadata column end \(or _submission_time\)"),
        ("kobo.csv", "limesurvey", "missing required metadata column submitdate"),
        ("kobo.csv", "qualtrics", r"missing required metadata column RecordedDate \(or EndDate\)"),
    ],
)
def test_forcing_the_wrong_format_names_the_missing_column(small, fixture_path, name, fmt, message):
    with pytest.raises(InputError, match=message):
        read_export(fixture_path(name), small, format=fmt)


def test_question_text_with_a_line_break_in_a_header_row(small, write):
    text = (
        "RecordedDate,Q1,Q2\n"
        'Recorded Date,"Which team\nare you part of?","When I need my manager, I can reach them."\n'
        '{"ImportId":"recordedDate"},{"ImportId":"QID1_TEXT"},{"ImportId":"QID9"}\n'
        "2026-01-01 10:00:00,t1,4\n2026-01-01 11:00:00,t2,5\n"
    )
    export = read_export(write("q.csv", text), small)
    assert list(export.table.index) == [4, 5] and export.table["reach"].tolist() == ["4", "5"]
    assert export.table["team"].tolist() == ["t1", "t2"]  # the line break is white space
    assert export.missing_items == ("cadence", "depth", "honest", "topics", "comment")
