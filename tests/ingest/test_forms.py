"""Google Forms (CSV and the Google Sheets xlsx) and Microsoft Forms."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from toolkit import InputError
from toolkit.ingest.export import read_export
from toolkit.ingest.google_forms import read_google_forms
from toolkit.ingest.msforms import read_msforms

QUESTIONS = [
    "Which team are you part of?",
    "How often do you usually have a 1:1 with your manager?",
    "When I need my manager, I can reach them.",
    "Which topics did you discuss?",
]


def test_google_forms_csv(small, contract, fixture_path):
    export = read_google_forms(fixture_path("google_forms.csv"), small, timezone="Europe/Berlin")
    contract(export, small)
    t = export.table
    assert export.format == "google_forms" and list(t.index) == [2, 3, 4, 5, 6, 7]
    assert t["email"].tolist()[:2] == ["ana@example.org", "ben@example.org"]
    assert t["cadence"].tolist() == ["weekly", "biweekly", "none", "monthly", "Sometimes", "weekly"]
    assert t.loc[2, "depth"] == "5" and t.loc[2, "honest"] == "9"  # case, spaces, curly quotes
    assert t.loc[2, "topics"] == "Growth;Workload"  # checkbox answers kept as text
    assert export.dropped == ("Tell me your name!",) and export.missing_items == ()
    assert t["duration_s"].isna().all() and t["employee_id"].isna().all()


def test_google_forms_timestamps_to_utc(small, fixture_path):
    t = read_google_forms(fixture_path("google_forms.csv"), small, timezone="Europe/Berlin").table
    got = [str(x) for x in t["submitted_at"]]
    assert got == [
        "2023-11-13 15:20:37+00:00",  # 4:20:37 pm CET
        "2023-07-01 07:05:00+00:00",  # 9:05:00 am CEST
        "2023-11-13 15:20:37+00:00",  # GMT+1
        "2023-11-13 18:20:37+00:00",  # 10:20:37 am PST
        "2023-11-13 15:20:37+00:00",  # no zone: the timezone argument (Berlin, winter)
        "2023-11-13 15:20:00+00:00",  # day first
    ]


@pytest.mark.parametrize(
    ("stamp", "timezone", "expected"),
    [
        ("2023/11/13 4:20:37 pm UTC", "UTC", "2023-11-13 16:20:37+00:00"),
        ("2023/11/13 4:20:37 pm GMT", "UTC", "2023-11-13 16:20:37+00:00"),
        ("2023/11/13 4:20:37 pm EST", "UTC", "2023-11-13 21:20:37+00:00"),
        ("2023/06/13 4:20:37 pm EDT", "UTC", "2023-06-13 20:20:37+00:00"),
        ("2023/06/13 4:20:37 pm PDT", "UTC", "2023-06-13 23:20:37+00:00"),
        ("2023/06/13 4:20:37 pm BST", "UTC", "2023-06-13 15:20:37+00:00"),
        ("2023/11/13 4:20:37 pm IST", "UTC", "2023-11-13 10:50:37+00:00"),
        ("2023/06/13 4:20:37 pm IST", "Europe/Dublin", "2023-06-13 15:20:37+00:00"),
        ("2023/11/13 4:20:37 pm GMT+05:30", "UTC", "2023-11-13 10:50:37+00:00"),
        ("2023/11/13 4:20:37 pm GMT-3", "UTC", "2023-11-13 19:20:37+00:00"),
        ("2023/11/13 12:05:00 am CET", "UTC", "2023-11-12 23:05:00+00:00"),
        ("2023-11-13T16:20:37+01:00", "UTC", "2023-11-13 15:20:37+00:00"),
        ("2023-11-13T16:20:37Z", "Europe/Berlin", "2023-11-13 16:20:37+00:00"),
    ],
)
def test_timestamp_forms(small, write, stamp, timezone, expected):
    path = write("f.csv", f"Timestamp,Which team are you part of?\r\n{stamp},t1\r\n")
    export = read_export(path, small, timezone=timezone)
    assert str(export.table.loc[2, "submitted_at"]) == expected and export.failures.empty


def test_unparseable_timestamp_is_missing_with_a_dtype_failure(small, write):
    path = write(
        "f.csv", "Timestamp,Which team are you part of?\r\nyesterday,t1\r\n2023/11/13 4:20:37 pm XYZ,t2\r\n"
    )
    export = read_export(path, small)
    assert export.table["submitted_at"].isna().all()
    f = export.failures
    assert (
        f["row"].tolist() == [2, 3] and set(f["rule"]) == {"dtype"} and set(f["column"]) == {"submitted_at"}
    )
    assert f["value"].tolist() == ["yesterday", "2023/11/13 4:20:37 pm XYZ"]


def test_google_sheets_xlsx(small, contract, workbook):
    rows = [
        ["Timestamp", "Email address", *QUESTIONS],
        [datetime(2026, 2, 2, 9, 13, 3), "ana@example.org", "t1", "Every week", "Agree", "Growth, Workload"],
        [46055.5, "ben@example.org", "t2", "About once a month", 5, None],  # Excel serial number
    ]
    path = workbook("sheet.xlsx", {"Form responses 1": rows})
    export = read_export(path, small, timezone="Europe/Berlin")
    contract(export, small)
    t = export.table
    assert export.format == "google_sheets" and list(t.index) == [2, 3]
    assert [str(x) for x in t["submitted_at"]] == ["2026-02-02 08:13:03+00:00", "2026-02-02 11:00:00+00:00"]
    assert t["reach"].tolist() == ["4", "5"] and t.loc[2, "topics"] == "Growth, Workload"
    assert t["email"].tolist() == ["ana@example.org", "ben@example.org"]


def test_real_google_forms_export(reference, reference_survey, contract):
    export = read_export(reference / "google-forms" / "responses.csv", reference_survey)
    contract(export, reference_survey)
    t = export.table
    assert export.format == "google_forms" and list(t.index) == [2, 3, 4, 5, 6]
    assert t["fruit"].tolist() == ["apple", "orange", "banana", "banana", "orange"]
    assert t.loc[2, "days"] == "Sunday;Monday"
    assert str(t.loc[2, "submitted_at"]) == "2023-11-13 15:20:37+00:00"  # 4:20:37 pm CET
    assert export.dropped == ("Tell me your name!",)


def test_microsoft_forms_xlsx(small, contract, workbook):
    rows = [
        ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time", *QUESTIONS],
        [1, datetime(2026, 2, 2, 9, 0), datetime(2026, 2, 2, 9, 4, 30), "anonymous", None, None,
         "t1", "Every two weeks", "Strongly agree", "Growth;Workload;"],
        [2, "2/3/2026 10:00:00", "2/3/2026 10:01:00", "kim@example.org", "Kim Lee", None,
         "t2", "Every week", "Disagree", None],
    ]  # fmt: skip
    rows[0] += ["Points - When I need my manager, I can reach them.", "Total points"]
    rows[1] += [1, 1]
    rows[2] += [0, 0]
    export = read_msforms(workbook("ms.xlsx", {"Sheet1": rows}), small, timezone="Europe/Berlin")
    contract(export, small)
    t = export.table
    assert export.format == "msforms" and list(t.index) == [2, 3]
    assert t["duration_s"].tolist() == [270, 60]
    assert str(t.loc[3, "submitted_at"]) == "2026-02-03 09:01:00+00:00"
    assert pd.isna(t.loc[2, "email"]) and t.loc[3, "email"] == "kim@example.org"  # anonymous: no key
    assert t["reach"].tolist() == ["5", "2"] and t["cadence"].tolist() == ["biweekly", "weekly"]
    assert {"ID", "Name"} <= set(export.dropped) and "Kim Lee" not in t.to_numpy()
    assert {"Points - When I need my manager, I can reach them.", "Total points"} <= set(export.ignored)


def test_microsoft_forms_without_completion_time(small, workbook):
    path = workbook(
        "ms.xlsx", {"Sheet1": [["ID", "Start time", "Email", *QUESTIONS[:1]], [1, "x", "y", "t1"]]}
    )
    with pytest.raises(InputError, match="missing required metadata column Completion time"):
        read_export(path, small, format="msforms")


def test_email_is_a_join_key_only_where_there_is_no_employee_id(small, write):
    text = (
        "Timestamp,Email Address,employee_id,Which team are you part of?\r\n"
        "2023/11/13 4:20:37 pm CET,ana@example.org,e1,t1\r\n"
        "2023/11/13 4:20:38 pm CET,ben@example.org,,t1\r\n"
    )
    t = read_export(write("f.csv", text), small).table
    assert t["employee_id"].tolist()[0] == "e1" and pd.isna(t.loc[3, "employee_id"])
    assert pd.isna(t.loc[2, "email"]) and t.loc[3, "email"] == "ben@example.org"
