"""Fixtures of the form tests: a survey with the awkward cases, the generated forms, and parsers
that read each form file back the way a platform would (never from the Survey object).
"""

from __future__ import annotations

import csv
import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from toolkit.forms import export_form
from toolkit.survey import load_survey

ROOT = Path(__file__).resolve().parents[2]

#: A survey with what the default one lacks: markup and quotes in texts, an ``in`` condition
#: on a categorical item and one on an ordinal item, a zero code, an id too long for one
#: LimeSurvey code, an item outside constructs and roles, lineage, another language.
FORM_SURVEY = """\
id: form_test
version: "2.1"
title: Forms <test> & "quotes"
language: de
description: An introduction with <b>markup</b> & an ampersand.
scales:
  agree5:
    label: Agreement
    type: ordinal
    values: {1: Strongly disagree, 2: Disagree, 3: Neither, 4: Agree, 5: Strongly agree}
    not_applicable: {9: Does not apply}
  freq:
    type: ordinal
    values: {0: Never, 1: Sometimes, 2: Often}
  yesno:
    type: categorical
    values: {"yes": Yes of course, "no": "No"}
items:
  - {id: team, text: "Which team?", type: text, role: team, required: true}
  - {id: has_meetings, text: "Do you have 1:1s?", scale: yesno, required: true}
  - {id: useful, text: "My 1:1s are useful.", scale: agree5, required: true,
     ask_if: {item: has_meetings, in: ["yes"]}}
  - {id: why_useful, text: "What makes them useful?", type: text, ask_if: {item: useful, in: [4, 5]}}
  - {id: q1, text: "Statement <one> & [[two]]", scale: agree5, required: true}
  - {id: q2, text: 'Say "no" to this.', scale: agree5, reverse: true}
  - {id: q3_new, text: "Statement three, reworded.", scale: agree5,
     replaces: {item: q3, comparable: false, note: Reworded in 2.0.}}
  - {id: contact_quick_questions_often, text: "How often do you ask quick questions?", scale: freq}
  - {id: other_note, text: "A question of no construct.", type: text}
constructs:
  c1:
    label: Construct one
    items: [q1, q2, q3_new]
    min_valid: 2
"""


@pytest.fixture(scope="session")
def pulse():
    """The default survey."""
    return load_survey(ROOT / "surveys" / "one_on_one_pulse.yaml")


@pytest.fixture(scope="session")
def odd(tmp_path_factory):
    """The survey with the awkward cases (:data:`FORM_SURVEY`)."""
    path = tmp_path_factory.mktemp("surveys") / "form_test.yaml"
    path.write_text(FORM_SURVEY, encoding="utf-8")
    return load_survey(path)


@pytest.fixture(scope="session")
def pulse_forms(pulse, tmp_path_factory):
    """The four forms of the default survey, written by :func:`export_form` into one folder."""
    folder = tmp_path_factory.mktemp("forms")
    return {to: export_form(pulse, to, folder) for to in ("xlsform", "qualtrics", "limesurvey", "html")}


TINY = """\
id: tiny
version: "1"
title: Tiny
scales:
  agree3: {{type: ordinal, values: {{1: "No", 2: Maybe, 3: "Yes"}}}}
{scales}
items:
  - {{id: s1, text: One, scale: agree3}}
  - {{id: s2, text: Two, scale: agree3}}
  - {{id: s3, text: Three, scale: agree3}}
{items}
constructs:
  c: {{label: C, items: [s1, s2, s3], min_valid: 2}}
"""


def tiny_survey(tmp_path: Path, items: str, scales: str = ""):
    """A valid survey of three scored items plus ``items`` (YAML list entries, indented by
    two spaces) and ``scales`` (YAML mapping entries, indented by two spaces)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(items=items, scales=scales), encoding="utf-8")
    return load_survey(path)


# --------------------------------------------------------------------------- reading forms back


def read_qualtrics_txt(text: str) -> list[dict]:
    """Questions of an Advanced Format TXT: ``type``, ``id``, ``text``, ``choices`` [(recode, label)],
    ``block``; read as Qualtrics' importer reads it (tags, then text up to the next tag)."""
    questions: list[dict] = []
    block = None
    current: dict | None = None
    mode = None
    for raw in text.splitlines():
        line = raw.strip()
        tag = re.fullmatch(r"\[\[([^\]]*)\]\]", line)
        if tag:
            name = tag.group(1)
            if name.startswith("Block:"):
                block = name.split(":", 1)[1]
            elif name.startswith("Question:"):
                kind = name.split(":", 1)[1]
                current = {"type": kind, "id": None, "text": "", "choices": [], "block": block}
                questions.append(current)
                mode = "text"
            elif name.startswith("ID:"):
                current["id"] = name.split(":", 1)[1]
            elif name == "AdvancedChoices":
                mode = "choices"
            elif name.startswith("Choice:"):
                current["choices"].append([int(name.split(":", 1)[1]), ""])
            continue
        if not line or current is None:
            continue
        if mode == "text":
            current["text"] = (current["text"] + " " + html.unescape(line)).strip()
        elif mode == "choices":
            current["choices"][-1][1] = html.unescape(line)
    return questions


def read_limesurvey_tsv(text: str) -> list[dict]:
    """Response columns of a LimeSurvey TSV structure: ``header`` (as the export heads it with
    question codes), ``text``, ``answers`` [(code, label)], ``relevance``, ``mandatory``, ``type``."""
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    columns: list[dict] = []
    question: dict | None = None
    for row in rows:
        if row["class"] == "Q":
            question = {
                "header": row["name"], "text": html.unescape(row["text"]), "answers": [],
                "relevance": row["relevance"], "mandatory": row["mandatory"], "type": row["type/scale"],
                "hidden": row["hidden"],
            }  # fmt: skip
            columns.append(question)
        elif row["class"] == "SQ":
            question["header"] = f"{question['header'].split('[')[0]}[{row['name']}]"
        elif row["class"] == "A":
            question["answers"].append((row["name"], html.unescape(row["text"])))
    return columns


def read_xlsform(path: Path) -> dict:
    """An XLSForm's questions (``type``, ``name``, ``label``, ``path`` with groups, ``required``,
    ``relevant``), its choice lists and its settings, read with openpyxl."""
    book = load_workbook(path, read_only=True)
    sheets = {}
    for name in ("survey", "choices", "settings"):
        rows = [["" if v is None else str(v) for v in r] for r in book[name].iter_rows(values_only=True)]
        sheets[name] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    book.close()
    groups: list[str] = []
    questions = []
    for row in sheets["survey"]:
        if row["type"] == "begin_group":
            groups.append(row["name"])
        elif row["type"] == "end_group":
            groups.pop()
        else:
            questions.append({**row, "path": "/".join([*groups, row["name"]])})
    choices: dict[str, list[tuple[str, str]]] = {}
    for row in sheets["choices"]:
        choices.setdefault(row["list_name"], []).append((row["name"], row["label"]))
    return {"questions": questions, "choices": choices, "settings": sheets["settings"][0], "sheets": sheets}


class _QuestionnaireParser(HTMLParser):
    """Questions of the printable questionnaire: legend text and option labels per fieldset."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.questions: list[dict] = []
        self.capture: str | None = None
        self.buffer = ""
        self.stack: list[str] = []
        self.attrs: list[tuple[str, dict]] = []
        self.lang = None
        self.title = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs.append((tag, a))
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "fieldset":
            self.questions.append({"id": a.get("id"), "text": "", "options": [], "notes": []})
        classes = (a.get("class") or "").split()
        if tag == "span" and ("text" in classes or "label" in classes) and self.questions:
            self.capture, self.buffer = ("text" if "text" in classes else "label"), ""
        if tag == "title":
            self.capture, self.buffer = "title", ""

    def handle_endtag(self, tag):
        if tag in ("span", "title") and self.capture:
            if self.capture == "text":
                self.questions[-1]["text"] = self.buffer
            elif self.capture == "label":
                self.questions[-1]["options"].append(self.buffer)
            else:
                self.title = self.buffer
            self.capture = None

    def handle_data(self, data):
        if self.capture:
            self.buffer += data


def read_questionnaire(text: str) -> _QuestionnaireParser:
    """Parse the printable questionnaire with :mod:`html.parser`."""
    parser = _QuestionnaireParser()
    parser.feed(text)
    parser.close()
    return parser
