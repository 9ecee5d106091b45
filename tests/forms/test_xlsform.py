"""The XLSForm: pyxform converts it without error or warning, and it carries what the survey says."""

from __future__ import annotations

import re

import pytest
from pyxform.xls2xform import convert

from tests.forms.conftest import read_xlsform, tiny_survey
from toolkit.forms import to_xlsform
from toolkit.forms.xlsform import SURVEY_COLUMNS, xlsform_sheets


@pytest.fixture(scope="module")
def pulse_xform(pulse_forms):
    warnings: list[str] = []
    result = convert(str(pulse_forms["xlsform"]), warnings=warnings)
    return result.xform, warnings


def _bind(xform: str, name: str) -> str:
    """The ``<bind>`` element of the question called ``name``."""
    found = re.findall(rf'<bind nodeset="/[^"]*/{re.escape(name)}"[^>]*/>', xform)
    assert len(found) == 1, (name, found)
    return found[0]


def test_pyxform_converts_the_default_survey_without_warnings(pulse_xform, pulse):
    xform, warnings = pulse_xform
    assert warnings == []
    assert xform.startswith("<?xml")
    for it in pulse.items:
        assert f"/{it.id}" in _bind(xform, it.id)
    assert 'id="one_on_one_pulse"' in xform and 'version="1.0"' in xform
    assert f"<h:title>{pulse.title}</h:title>" in xform


def test_required_and_conditional_questions(pulse_xform, pulse):
    xform, _ = pulse_xform
    for it in pulse.items:
        assert ('required="true()"' in _bind(xform, it.id)) == it.required, it.id
    # the 1:1 length only when there are 1:1s: the relevant expression, with pyxform's paths
    length = _bind(xform, "meeting_length")
    assert re.search(r"relevant=\" /data/context/cadence\s+!= 'none'\"", length), length
    assert sum("relevant=" in _bind(xform, it.id) for it in pulse.items) == 1


def test_choices_carry_codes_labels_and_not_applicable(pulse, pulse_forms, pulse_xform):
    form = read_xlsform(pulse_forms["xlsform"])
    for name, scale in pulse.scales.items():
        expected = [(str(c.code), c.label) for c in scale.values + scale.not_applicable]
        assert form["choices"][name] == expected
    assert ("9", "Does not apply to me") in form["choices"]["agree5"]
    xform, _ = pulse_xform
    assert "<name>60_plus</name>" in xform and "<name>9</name>" in xform
    by_name = {q["name"]: q for q in form["questions"]}
    assert by_name["attention"]["type"] == "select_one agree5"
    assert by_name["attention"]["required"] == "yes"
    assert by_name["comment"]["type"] == "text" and by_name["comment"]["appearance"] == "multiline"
    assert by_name["team"]["type"] == "text"


def test_groups_metadata_and_settings(pulse, pulse_forms):
    form = read_xlsform(pulse_forms["xlsform"])
    paths = {q["name"]: q["path"] for q in form["questions"]}
    assert paths["avail_reachable"] == "availability/avail_reachable"
    assert paths["attention"] == "attention_check/attention"
    assert paths["tenure"] == "about_you/tenure"
    assert [q["type"] for q in form["questions"][:3]] == ["start", "end", "hidden"]
    assert paths["employee_id"] == "employee_id"
    labels = [q["label"] for q in form["questions"] if q["name"] in {it.id for it in pulse.items}]
    assert labels == [it.text for it in pulse.items]
    groups = [r for r in form["sheets"]["survey"] if r["type"] == "begin_group"]
    assert all(g["label"] == "" and g["appearance"] == "field-list" for g in groups)
    assert form["settings"] == {
        "form_title": pulse.title,
        "form_id": "one_on_one_pulse",
        "version": "1.0",
        "default_language": "en",
        "style": "pages",
    }


def test_awkward_survey_converts(odd, tmp_path):
    path = to_xlsform(odd, tmp_path / "odd.xlsx")
    warnings: list[str] = []
    xform = convert(str(path), warnings=warnings).xform
    assert warnings == []
    assert re.search(r"relevant=\" /data/other/has_meetings\s+= 'yes'\"", _bind(xform, "useful"))
    why = _bind(xform, "why_useful")
    assert "= '4' or" in why and "= '5'" in why
    # the markup in a label is text, escaped in the XForm
    assert "Statement &lt;one&gt; &amp; [[two]]" in xform
    assert "<name>0</name>" in xform
    sheets = xlsform_sheets(odd)
    assert sheets["survey"][0] == list(SURVEY_COLUMNS)
    assert sheets["settings"][1][:4] == ['Forms <test> & "quotes"', "form_test", "2.1", "de"]


def test_a_label_like_a_formula_stays_text(tmp_path):
    survey = tiny_survey(tmp_path, '  - {id: q, text: "=1+1 is two?", type: text}')
    form = read_xlsform(to_xlsform(survey, tmp_path / "f.xlsx"))
    assert form["questions"][-1]["label"] == "=1+1 is two?"
