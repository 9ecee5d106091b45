"""The LimeSurvey TSV structure: LimeSurvey's code rules, relevance, and codes the reader maps back."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.forms.conftest import read_limesurvey_tsv, tiny_survey
from toolkit.errors import SurveyError
from toolkit.forms import limesurvey_codes, to_limesurvey_tsv
from toolkit.forms.limesurvey import COLUMNS, limesurvey_answer_codes
from toolkit.ingest._mapping import match_columns

QUESTION_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,19}$")  # LimeSurvey's Question model rules
SUBQUESTION_CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")
ANSWER_CODE = re.compile(r"^[A-Za-z0-9]{1,5}$")


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@pytest.mark.parametrize("which", ["pulse", "odd"])
def test_codes_follow_limesurvey_rules(which, request):
    survey = request.getfixturevalue(which)
    rows = _rows(to_limesurvey_tsv(survey))
    assert list(rows[0]) == list(COLUMNS)
    questions = [r["name"] for r in rows if r["class"] == "Q"]
    assert all(QUESTION_CODE.match(q) for q in questions), questions
    assert len({q.casefold() for q in questions}) == len(questions)
    assert all(SUBQUESTION_CODE.match(r["name"]) and r["name"] != "time" for r in rows if r["class"] == "SQ")
    assert all(ANSWER_CODE.match(r["name"]) for r in rows if r["class"] == "A")
    assert all("\t" not in v and "\n" not in v for r in rows for v in r.values())
    assert all(r["class"] in {"S", "SL", "G", "Q", "SQ", "A"} for r in rows)


def test_the_reader_maps_every_column_back_by_id(pulse, odd):
    for survey in (pulse, odd):
        columns = [c for c in read_limesurvey_tsv(to_limesurvey_tsv(survey)) if c["header"] != "employeeid"]
        matched = match_columns([[c["header"]] for c in columns], survey, style="limesurvey")
        assert [matched[j] for j in range(len(columns))] == [it.id for it in survey.items]


def test_long_ids_become_an_array_of_one(pulse, odd):
    assert limesurvey_codes(pulse)["contact_quick_questions"] == "contact[quickquestions]"
    columns = {c["header"]: c for c in read_limesurvey_tsv(to_limesurvey_tsv(odd))}
    array = columns["contact[quickquestionsoften]"]
    assert array["type"] == "F"
    assert array["answers"] == [("0", "Never"), ("1", "Sometimes"), ("2", "Often")]


def test_settings_groups_mandatory_relevance(pulse):
    text = to_limesurvey_tsv(pulse)
    rows = _rows(text)
    settings = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    assert settings == {
        "language": "en", "format": "G", "datestamp": "Y", "savetimings": "Y", "showgroupinfo": "X",
    }  # fmt: skip
    title = next(r for r in rows if r["class"] == "SL" and r["name"] == "surveyls_title")
    assert title["text"] == "1:1 and manager availability pulse"
    assert sum(r["class"] == "G" for r in rows) == 13
    columns = {c["header"]: c for c in read_limesurvey_tsv(text)}
    assert columns["meetinglength"]["relevance"] == "cadence.NAOK != '5'"
    assert columns["meetinglength"]["mandatory"] == "N"
    assert columns["cadence"]["mandatory"] == "Y" and columns["cadence"]["type"] == "L"
    assert columns["cadence"]["answers"][-1] == ("5", "We do not have 1:1s")
    assert columns["attention"]["mandatory"] == "Y"
    assert columns["depthwhy"]["answers"][-1] == ("9", "Does not apply to me")
    assert columns["comment"]["type"] == "T" and columns["team"]["type"] == "S"
    assert columns["employeeid"]["hidden"] == "1"
    assert sum(c["relevance"] != "" for c in columns.values()) == 1


def test_in_conditions_and_escaped_texts(odd):
    columns = {c["header"]: c for c in read_limesurvey_tsv(to_limesurvey_tsv(odd))}
    assert columns["useful"]["relevance"] == "hasmeetings.NAOK == '1'"
    assert columns["whyuseful"]["relevance"] == "useful.NAOK == '4' or useful.NAOK == '5'"
    assert columns["q1"]["text"] == "Statement <one> & [[two]]"
    assert columns["q2"]["text"] == 'Say "no" to this.'
    assert '"' not in to_limesurvey_tsv(odd).replace("&quot;", "")
    assert limesurvey_answer_codes(odd, "has_meetings") == {"yes": "1", "no": "2"}
    assert limesurvey_answer_codes(odd, "other_note") == {}


def test_items_that_would_share_a_code_are_refused(tmp_path):
    survey = tiny_survey(tmp_path, "  - {id: a_bc, text: A, type: text}\n  - {id: ab_c, text: B, type: text}")
    message = r"items 'a_bc' and 'ab_c' would both get the LimeSurvey question code 'abc'"
    with pytest.raises(SurveyError, match=message):
        to_limesurvey_tsv(survey)


def test_the_employee_id_code_is_taken(tmp_path):
    survey = tiny_survey(tmp_path, "  - {id: employee_id, text: Id, type: text}")
    with pytest.raises(SurveyError, match="would both get the LimeSurvey question code 'employeeid'"):
        limesurvey_codes(survey)


@pytest.mark.parametrize("item_id", ["self", "submitdate", "attribute_1", "email"])
def test_reserved_codes_are_refused(tmp_path, item_id):
    survey = tiny_survey(tmp_path, f"  - {{id: {item_id}, text: X, type: text}}")
    with pytest.raises(SurveyError, match=f"item '{item_id}' gives the LimeSurvey code .* reserves"):
        to_limesurvey_tsv(survey)


def test_an_id_too_long_to_split_is_refused(tmp_path):
    long_id = "a" * 32
    survey = tiny_survey(tmp_path, f"  - {{id: {long_id}, text: X, type: text}}")
    with pytest.raises(SurveyError, match=f"item '{long_id}' is too long for a LimeSurvey question code"):
        to_limesurvey_tsv(survey)


def test_long_ids_sharing_a_prefix_take_the_next_split(tmp_path):
    survey = tiny_survey(
        tmp_path,
        "  - {id: contact_quick_questions_a, text: A, type: text}\n"
        "  - {id: contact_quick_questions_b, text: B, type: text}",
    )
    codes = limesurvey_codes(survey)
    assert codes["contact_quick_questions_a"] == "contact[quickquestionsa]"
    assert codes["contact_quick_questions_b"] == "contactquick[questionsb]"
    columns = read_limesurvey_tsv(to_limesurvey_tsv(survey))
    assert [c["type"] for c in columns[-2:]] == ["Q", "Q"]  # text items: multiple short text


def test_negative_ordinal_codes_are_refused(tmp_path):
    survey = tiny_survey(
        tmp_path,
        "  - {id: bal, text: Balance, scale: bal}",
        scales="  bal: {type: ordinal, values: {-1: Less, 0: Same, 1: More}}",
    )
    with pytest.raises(SurveyError, match=r"scale 'bal' has code -1, which LimeSurvey cannot hold"):
        to_limesurvey_tsv(survey)
