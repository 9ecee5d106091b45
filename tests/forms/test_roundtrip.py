"""Round trip: form out, platform export in, the same canonical table back.

For each platform the toolkit reads, a response table (a slice of the sample's valid 2026Q4
responses) is written as that platform would export it, with the column headers and answer
values taken by *parsing the generated form file* (never from the Survey object): Qualtrics'
export tags, question texts and recode values from the Advanced Format TXT (as the current and
the legacy exporter write them), LimeSurvey's question codes and answer codes from the TSV
structure, KoboToolbox's ``group/name`` paths, labels and choice names from the XLSForm. The
survey is used only to know which column of the table answers which question (by its question
text) and which label an answer code has.

Google Forms and Microsoft Forms have no survey import format: the form there *is* its question
texts and answer labels, typed or pasted from the printable questionnaire; their exports are
headed with the question texts, and answered with the option labels, parsed from the HTML
questionnaire (Google Forms as its CSV download and as the xlsx of its response sheet).

The export is then read with :func:`toolkit.read_export` (the platform detected from the
content) and converted to canonical dtypes; the columns the platform carries must equal the
original table.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from pandas.testing import assert_frame_equal

from tests.forms.conftest import (
    ROOT,
    read_limesurvey_tsv,
    read_qualtrics_txt,
    read_questionnaire,
    read_xlsform,
)
from toolkit.ingest import read_canonical, read_export
from toolkit.survey import Survey
from toolkit.survey.validate import to_canonical, validate

WAVE = "2026Q4"


@pytest.fixture(scope="module")
def original(pulse) -> pd.DataFrame:
    """Valid responses that hold what matters: teams without 1:1s (the conditional item
    missing), not-applicable answers, skipped optional questions, comments; one comment holds
    quotes, a semicolon, a comma and a line break."""
    valid = validate(read_canonical(ROOT / "data" / "sample" / f"responses_{WAVE}.csv"), pulse).valid
    ordinal = [it.id for it in pulse.items if it.kind == "ordinal"]
    picks = [
        valid.head(10),
        valid[valid["cadence"] == "none"].head(4),
        valid[valid[ordinal].eq(9).fillna(False).any(axis=1)].head(4),
        valid[valid["tenure"].isna()].head(3),
        valid[valid["comment"].notna()].head(4),
    ]
    out = pd.concat(picks)
    out = out[~out.index.duplicated()].sort_index().reset_index(drop=True)
    hard = out.index[out["comment"].notna()][0]
    out.loc[hard, "comment"] = 'A "quoted" word; a semicolon, a comma\nand a second line'
    return out


@pytest.fixture(scope="module")
def columns(pulse) -> list[str]:
    """The table's columns a platform form asks: team, then the items."""
    return ["team", *pulse.item_columns]


def _text_of(survey: Survey, column: str) -> str:
    """The question text of a table column: the join key between the table and a form."""
    item = survey.role_item("team") if column == "team" else survey.item(column)
    return item.text


def _values(survey: Survey, table: pd.DataFrame, column: str, choices: list[tuple[str, str]], *, use: int):
    """A column's answers as a platform writes them: ``choices`` are the form's (value, label)
    pairs; ``use`` 0 writes the value, 1 the label. Text answers as they are; missing as ''."""
    item_id = survey.role_item("team").id if column == "team" else column
    scale = survey.scale_of(item_id)
    series = table[column].astype("object")
    if scale is None:
        return series.where(series.notna(), "").tolist()
    by_label = {label: (value, label) for value, label in choices}
    mapping = {code: by_label[scale.label_of(code)][use] for code in scale.allowed}
    return [mapping[v] if v is not pd.NA and v == v else "" for v in series]


def _csv(rows: list[list], *, delimiter: str = ",", newline: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def _stamp(s: pd.Series, fmt: str) -> list[str]:
    return s.dt.strftime(fmt).tolist()


def _start(table: pd.DataFrame) -> pd.Series:
    return table["submitted_at"] - pd.to_timedelta(table["duration_s"].astype("float64"), unit="s")


# --------------------------------------------------------------------------- platform exports


def _qualtrics(survey, table, forms, tmp_path, columns):
    questions = read_qualtrics_txt(forms["qualtrics"].read_text(encoding="utf-8"))
    by_text = {q["text"]: q for q in questions}
    n = len(table)
    fmt = "%Y-%m-%d %H:%M:%S"
    duration, employee = table["duration_s"], table["respondent"].tolist()
    meta = {
        "StartDate": ("Start Date", "startDate", _stamp(_start(table), fmt)),
        "EndDate": ("End Date", "endDate", _stamp(table["submitted_at"], fmt)),
        "Status": ("Response Type", "status", ["0"] * n),
        "IPAddress": ("IP Address", "ipAddress", ["198.51.100.7"] * n),
        "Progress": ("Progress", "progress", ["100"] * n),
        "Duration (in seconds)": ("Duration (in seconds)", "duration", [f"{d:.0f}" for d in duration]),
        "Finished": ("Finished", "finished", ["1"] * n),
        "RecordedDate": ("Recorded Date", "recordedDate", _stamp(table["submitted_at"], fmt)),
        "ResponseId": ("Response ID", "_recordId", [f"R_{i:015d}" for i in range(n)]),
        "RecipientEmail": ("Recipient Email", "recipientEmail", ["someone@example.org"] * n),
        "ExternalReference": ("External Data Reference", "externalDataReference", employee),
        "LocationLatitude": ("Location Latitude", "locationLatitude", ["52.52"] * n),
        "UserLanguage": ("User Language", "userLanguage", ["EN"] * n),
    }
    head = [list(meta), [m[0] for m in meta.values()], [f'{{"ImportId":"{m[1]}"}}' for m in meta.values()]]
    body = [list(v) for v in zip(*(m[2] for m in meta.values()), strict=True)]
    by_column = {c: by_text[_text_of(survey, c)] for c in columns}
    for k, q in enumerate(questions, start=1):
        column = next(c for c, qq in by_column.items() if qq is q)
        text_entry = q["type"].startswith("TE")
        head[0].append(q["id"])
        head[1].append(q["text"])
        head[2].append(f'{{"ImportId":"QID{k}_TEXT"}}' if text_entry else f'{{"ImportId":"QID{k}"}}')
        values = _values(survey, table, column, [(str(r), label) for r, label in q["choices"]], use=0)
        if not text_entry and survey.item(column).ask_if is None:  # seen but not answered
            values = [v if v != "" else "-99" for v in values]
        for row, v in zip(body, values, strict=True):
            row.append(v)
    path = tmp_path / "qualtrics.csv"
    path.write_text(_csv(head + body), encoding="utf-8-sig")
    return path, "qualtrics", ["respondent", "submitted_at", "duration_s", *columns]


def _qualtrics_legacy(survey, table, forms, tmp_path, columns):
    """The legacy exporter: ``V1``..``V10`` and export tags, then names and question texts; tab
    separated UTF-16 with a trailing separator on every line; no duration column."""
    questions = read_qualtrics_txt(forms["qualtrics"].read_text(encoding="utf-8"))
    by_text = {q["text"]: q for q in questions}
    fmt = "%Y-%m-%d %H:%M:%S"
    n = len(table)
    meta = {
        "ResponseID": [f"R_{i:015d}" for i in range(n)],
        "ResponseSet": ["Default Response Set"] * n,
        "Name": ["Anonymous"] * n,
        "ExternalDataReference": table["respondent"].tolist(),
        "EmailAddress": [""] * n,
        "IPAddress": ["192.0.2.66"] * n,
        "Status": ["0"] * n,
        "StartDate": _stamp(_start(table), fmt),
        "EndDate": _stamp(table["submitted_at"], fmt),
        "Finished": ["1"] * n,
    }
    head = [[f"V{k}" for k in range(1, 11)], list(meta)]
    body = [list(v) for v in zip(*meta.values(), strict=True)]
    for column in columns:
        q = by_text[_text_of(survey, column)]
        head[0].append(q["id"])
        head[1].append(q["text"])
        values = _values(survey, table, column, [(str(r), label) for r, label in q["choices"]], use=0)
        for row, v in zip(body, values, strict=True):
            row.append(v)
    rows = [[*r, ""] for r in head + body]  # the trailing separator
    path = tmp_path / "qualtrics_legacy.tsv"
    path.write_text(_csv(rows, delimiter="\t"), encoding="utf-16")
    return path, "qualtrics_legacy", ["respondent", "submitted_at", "duration_s", *columns]


def _limesurvey(survey, table, forms, tmp_path, columns, *, answers: str):
    form = read_limesurvey_tsv(forms["limesurvey"].read_text(encoding="utf-8"))
    by_text = {c["text"]: c for c in form}
    fmt = "%Y-%m-%d %H:%M:%S"
    n = len(table)
    meta = {
        "id": [str(i + 1) for i in range(n)],
        "submitdate": _stamp(table["submitted_at"], fmt),
        "lastpage": ["13"] * n,
        "startlanguage": ["en"] * n,
        "seed": ["123456"] * n,
        "startdate": _stamp(_start(table), fmt),
        "datestamp": _stamp(table["submitted_at"], fmt),
    }
    out = dict(meta)
    employee = next(c for c in form if c["hidden"] == "1")
    out[employee["header"]] = table["respondent"].tolist()
    for column in columns:
        question = by_text[_text_of(survey, column)]
        out[question["header"]] = _values(survey, table, column, question["answers"], use=answers == "labels")
    out["interviewtime"] = [f"{d:.2f}" for d in table["duration_s"]]
    out["groupTime1"] = ["12.5"] * n
    out[f"{form[1]['header']}Time"] = ["3.1"] * n
    rows = [list(out), *(list(r) for r in zip(*out.values(), strict=True))]
    path = tmp_path / "limesurvey.csv"
    path.write_text(_csv(rows, delimiter=";"), encoding="utf-8")
    return path, "limesurvey", ["respondent", "submitted_at", "duration_s", *columns]


def _kobo(survey, table, forms, tmp_path, columns, *, headers: str):
    form = read_xlsform(forms["xlsform"])
    questions = {q["label"]: q for q in form["questions"] if q["label"]}
    n = len(table)
    local = table["submitted_at"].dt.tz_convert("Europe/Berlin")
    start = _start(table).dt.tz_convert("Europe/Berlin")
    out: dict[str, list[str]] = {
        "start": [t.isoformat(timespec="milliseconds") for t in start],
        "end": [t.isoformat(timespec="milliseconds") for t in local],
        "today": _stamp(local, "%Y-%m-%d"),
        "deviceid": ["enketo.org:abc"] * n,
    }
    hidden = next(q for q in form["questions"] if q["type"] == "hidden")
    out[hidden["path"] if headers == "names" else hidden["name"]] = table["respondent"].tolist()
    for column in columns:
        q = questions[_text_of(survey, column)]
        kind, _, choice_list = q["type"].partition(" ")
        choices = form["choices"][choice_list] if kind == "select_one" else []
        values = _values(survey, table, column, choices, use=0 if headers == "names" else 1)
        out[q["path"] if headers == "names" else q["label"]] = values
    server = table["submitted_at"] + pd.Timedelta(seconds=7)
    out |= {
        "_id": [str(100 + i) for i in range(n)],
        "_uuid": [f"9f1c-{i:04d}" for i in range(n)],
        "_submission_time": _stamp(server, "%Y-%m-%dT%H:%M:%S"),
        "_validation_status": [""] * n,
        "_notes": [""] * n,
        "_status": ["submitted_via_web"] * n,
        "_submitted_by": [""] * n,
        "__version__": ["vAbC"] * n,
        "_tags": [""] * n,
        "_index": [str(i + 1) for i in range(n)],
    }
    rows = [list(out), *(list(r) for r in zip(*out.values(), strict=True))]
    path = tmp_path / f"kobo_{headers}.csv"
    path.write_text(_csv(rows, delimiter=";"), encoding="utf-8")
    return path, "kobo", ["respondent", "submitted_at", "duration_s", *columns]


def _questionnaire(forms) -> dict[str, dict]:
    return {q["text"]: q for q in read_questionnaire(forms["html"].read_text(encoding="utf-8")).questions}


def _google_forms(survey, table, forms, tmp_path, columns):
    questions = _questionnaire(forms)
    stamp = table["submitted_at"]
    hour = stamp.dt.hour
    h12 = np.where(hour % 12 == 0, 12, hour % 12)
    times = [
        f"{d} {h}:{ms} {'am' if hh < 12 else 'pm'} GMT"
        for d, h, ms, hh in zip(_stamp(stamp, "%Y/%m/%d"), h12, _stamp(stamp, "%M:%S"), hour, strict=True)
    ]
    out = {"Timestamp": times, "Email Address": [f"{r}@example.org" for r in table["respondent"]]}
    for column in columns:
        q = questions[_text_of(survey, column)]
        out[q["text"]] = _values(survey, table, column, [(label, label) for label in q["options"]], use=1)
    rows = [list(out), *(list(r) for r in zip(*out.values(), strict=True))]
    path = tmp_path / "google_forms.csv"
    path.write_text(_csv(rows, newline="\r\n"), encoding="utf-8")
    return path, "google_forms", ["submitted_at", *columns]


def _google_sheets(survey, table, forms, tmp_path, columns):
    """The xlsx download of the form's response sheet: timestamps as dates in the sheet's zone."""
    questions = _questionnaire(forms)
    book = Workbook()
    sheet = book.active
    sheet.title = "Form Responses 1"
    texts = [questions[_text_of(survey, c)]["text"] for c in columns]
    sheet.append(["Timestamp", "Email Address", *texts])
    answers = [
        _values(survey, table, c, [(label, label) for label in questions[t]["options"]], use=1)
        for c, t in zip(columns, texts, strict=True)
    ]
    for i, stamp in enumerate(table["submitted_at"]):
        when = datetime.fromisoformat(stamp.tz_convert(None).isoformat())
        email = f"{table['respondent'].iloc[i]}@example.org"
        sheet.append([when, email, *(a[i] if a[i] != "" else None for a in answers)])
    path = tmp_path / "google_sheets.xlsx"
    book.save(path)
    return path, "google_sheets", ["submitted_at", *columns]


def _msforms(survey, table, forms, tmp_path, columns):
    questions = _questionnaire(forms)
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    header = ["ID", "Start time", "Completion time", "Email", "Name"]
    answers = []
    for column in columns:
        q = questions[_text_of(survey, column)]
        header.append(q["text"])
        answers.append(_values(survey, table, column, [(label, label) for label in q["options"]], use=1))
    sheet.append(header)
    starts, ends = _start(table), table["submitted_at"]
    for i in range(len(table)):
        times = (starts.iloc[i], ends.iloc[i])
        naive = [datetime.fromisoformat(t.tz_convert(None).isoformat()) for t in times]
        sheet.append([i + 1, *naive, "anonymous", "", *(a[i] if a[i] != "" else None for a in answers)])
    path = tmp_path / "msforms.xlsx"
    book.save(path)
    return path, "msforms", ["submitted_at", "duration_s", *columns]


def _canonical_csv(survey, table, forms, tmp_path, columns):
    path = tmp_path / "responses.csv"
    text = table.assign(submitted_at=table["submitted_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    path.write_text(text.to_csv(index=False), encoding="utf-8")
    return path, "canonical", list(table.columns)


def _canonical_parquet(survey, table, forms, tmp_path, columns):
    path = tmp_path / "responses.parquet"
    table.to_parquet(path)
    return path, "canonical", list(table.columns)


CASES = {
    "qualtrics": _qualtrics,
    "qualtrics-legacy": _qualtrics_legacy,
    "limesurvey-full-answers": lambda *a: _limesurvey(*a, answers="labels"),
    "limesurvey-answer-codes": lambda *a: _limesurvey(*a, answers="codes"),
    "kobo-xml-values": lambda *a: _kobo(*a, headers="names"),
    "kobo-labels": lambda *a: _kobo(*a, headers="labels"),
    "google_forms": _google_forms,
    "google_sheets": _google_sheets,
    "msforms": _msforms,
    "canonical-csv": _canonical_csv,
    "canonical-parquet": _canonical_parquet,
}
PARAMS = [pytest.param(name, id=name) for name in CASES]


def _back_to_canonical(export, survey: Survey) -> pd.DataFrame:
    table = export.table.reset_index(drop=True)
    if export.format != "canonical":
        missing = pd.Series(pd.array([pd.NA] * len(table), dtype="str"))
        frame = pd.DataFrame(
            {
                "respondent": table.get("employee_id", missing),
                "wave": WAVE,
                "team": table.get("team", missing),
                "submitted_at": table["submitted_at"],
                "duration_s": table["duration_s"],
                **{c: table.get(c, missing) for c in survey.item_columns},
            }
        )
    else:
        frame = table
    typed, failures = to_canonical(frame, survey)
    assert failures == [], failures[:5]
    return typed


@pytest.mark.parametrize("case", PARAMS)
def test_round_trip(case, pulse, pulse_forms, original, columns, tmp_path: Path):
    path, fmt, carried = CASES[case](pulse, original, pulse_forms, tmp_path, columns)
    export = read_export(path, pulse)
    assert export.format == fmt
    assert export.missing_items == ()
    assert export.failures.empty
    back = _back_to_canonical(export, pulse)
    assert_frame_equal(back[carried], original[carried])


def test_google_forms_email_is_the_join_key(pulse, pulse_forms, original, columns, tmp_path):
    path, _, _ = _google_forms(pulse, original, pulse_forms, tmp_path, columns)
    export = read_export(path, pulse)
    assert export.table["email"].tolist() == [f"{r}@example.org" for r in original["respondent"]]
    assert export.table["employee_id"].isna().all()


def test_identifying_columns_are_dropped(pulse, pulse_forms, original, columns, tmp_path):
    path, _, _ = _qualtrics(pulse, original, pulse_forms, tmp_path, columns)
    dropped = set(read_export(path, pulse).dropped)
    assert {"IPAddress", "RecipientEmail", "ResponseId", "LocationLatitude"} <= dropped
    path, _, _ = _kobo(pulse, original, pulse_forms, tmp_path, columns, headers="names")
    assert {"_uuid", "_id", "deviceid"} <= set(read_export(path, pulse).dropped)
    path, _, _ = _limesurvey(pulse, original, pulse_forms, tmp_path, columns, answers="labels")
    dropped = read_export(path, pulse).dropped
    assert "id" in dropped and "employeeid" not in dropped
