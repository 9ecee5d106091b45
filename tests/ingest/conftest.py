"""Fixtures of the platform-reader tests: a small survey, file writers, and the contract check.

The shared reference exports (real files written by Qualtrics and Google Forms) live beside
the repository in ``../shared/reference``; tests that read them skip when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from toolkit.survey import load_survey

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = ROOT / ".." / "shared" / "reference" / "exports"
IDENTIFIER_WORDS = ("mail", "name", "ip", "latitude", "longitude", "response", "uuid", "token")

INGEST_SURVEY = """\
id: ingest_test
version: "1.0"
title: Survey of the reader tests
scales:
  agree5:
    type: ordinal
    values:
      {1: Strongly disagree, 2: Disagree, 3: Neither agree nor disagree, 4: Agree, 5: Strongly agree}
    not_applicable: {9: Does not apply to me}
  cadence:
    type: categorical
    values:
      {weekly: Every week, biweekly: Every two weeks, monthly: About once a month, none: "We don't have 1:1s"}
items:
  - {id: team, text: "Which team are you part of?", type: text, role: team}
  - {id: cadence, text: "How often do you usually have a 1:1 with your manager?", scale: cadence,
     role: cadence, aliases: [QID2]}
  - {id: reach, text: "When I need my manager, I can reach them.", scale: agree5}
  - {id: depth, text: "Our 1:1s go beyond status updates.", scale: agree5}
  - {id: honest, text: "I'm honest with my manager about mistakes I make.", scale: agree5}
  - {id: topics, text: "Which topics did you discuss?", type: text}
  - {id: comment, text: "Anything else you want to tell us?", type: text, role: comment}
constructs:
  trust:
    label: Trust
    items: [reach, depth, honest]
    min_valid: 2
"""

REFERENCE_SURVEY = """\
id: reference_exports
version: "1.0"
title: The questions of the shared reference exports
scales:
  choice:
    type: categorical
    values: {first: First choice, second: Second choice, third: Third choice}
  fruit:
    type: categorical
    values: {apple: Apple, orange: Orange, banana: Banana}
  yes_no:
    type: ordinal
    values: {1: "No", 2: "Yes"}
items:
  - {id: q1, text: "This is a multiple choice question.", scale: choice}
  - {id: q2, text: "This is a free text question.", type: text}
  - {id: fruit, text: "Your fave fruit?", scale: fruit}
  - {id: days, text: "Select all that apply", type: text}
  - {id: ok1, text: "Unused one", scale: yes_no}
  - {id: ok2, text: "Unused two", scale: yes_no}
  - {id: ok3, text: "Unused three", scale: yes_no}
constructs:
  unused:
    label: Unused
    items: [ok1, ok2, ok3]
    min_valid: 2
"""


def _load(tmp_path_factory, name: str, text: str):
    path = tmp_path_factory.mktemp("surveys") / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_survey(path)


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """The reader tests' survey: a team item, a categorical item (with the ImportId alias
    ``QID2``), three agreement items, two text items."""
    return _load(tmp_path_factory, "ingest_test", INGEST_SURVEY)


@pytest.fixture(scope="session")
def reference_survey(tmp_path_factory):
    """A survey whose items are the questions of the shared reference exports."""
    return _load(tmp_path_factory, "reference", REFERENCE_SURVEY)


@pytest.fixture
def reference() -> Path:
    """The shared reference exports; the test is skipped when they are not beside the repo."""
    if not REFERENCE.is_dir():
        pytest.skip("the shared reference exports (../shared/reference) are not available")
    return REFERENCE.resolve()


@pytest.fixture
def fixture_path():
    """The path of a committed fixture file."""
    return lambda name: FIXTURES / name


@pytest.fixture
def write(tmp_path):
    """Write text (UTF-8 unless ``encoding``) or bytes to a file in ``tmp_path``."""

    def _write(name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return path

    return _write


@pytest.fixture
def workbook(tmp_path):
    """Write an xlsx workbook: ``{sheet: rows}``, the first sheet first."""
    from openpyxl import Workbook

    def _workbook(name: str, sheets: dict[str, list[list[object]]]) -> Path:
        book = Workbook()
        book.remove(book.active)
        for title, rows in sheets.items():
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        path = tmp_path / name
        book.save(path)
        return path

    return _workbook


def check_contract(export, survey) -> None:
    """Everything the ingest pipeline relies on in an Export (raises AssertionError)."""
    table = export.table
    assert table.index.name == "row"
    assert pd.api.types.is_integer_dtype(table.index.dtype)
    assert table.index.is_unique
    assert (table.index >= 2).all()
    head = ["employee_id", "email", "submitted_at", "duration_s", "team"]
    items = [c for c in table.columns if c not in head]
    order = [c for c in head if c in table.columns]
    assert list(table.columns[: len(order)]) == order
    assert {"employee_id", "submitted_at", "duration_s"} <= set(table.columns)
    assert items == [i for i in survey.item_columns if i in items]
    assert str(table["submitted_at"].dtype) == "datetime64[us, UTC]"
    assert str(table["duration_s"].dtype) == "Float64"
    for col in ["employee_id", "email", "team", *items]:
        if col in table.columns:
            assert str(table[col].dtype) == "str", col
    assert set(export.missing_items) | set(items) | ({"team"} & set(table.columns)) >= {
        it.id for it in survey.items
    }
    assert not set(export.missing_items) & set(items)
    assert list(export.failures.columns) == ["row", "column", "rule", "value", "message"]
    assert set(export.failures["row"]) <= set(table.index)
    assert isinstance(export.dropped, tuple) and isinstance(export.ignored, tuple)
    assert not set(export.dropped) & set(export.ignored)


@pytest.fixture
def contract():
    """The contract check, as a fixture (conftest modules are not imported by tests)."""
    return check_contract
