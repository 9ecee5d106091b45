"""export_form: file names, formats, atomic writes, argument errors."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from toolkit.forms import FORMATS, export_form, to_html, to_limesurvey_tsv, to_qualtrics_txt


def test_a_folder_gets_the_survey_id_and_the_format_suffix(pulse, pulse_forms):
    assert {to: p.name for to, p in pulse_forms.items()} == {
        "xlsform": "one_on_one_pulse.xlsx",
        "qualtrics": "one_on_one_pulse.qualtrics.txt",
        "limesurvey": "one_on_one_pulse.limesurvey.txt",
        "html": "one_on_one_pulse.html",
    }
    assert pulse_forms["qualtrics"].read_text(encoding="utf-8") == to_qualtrics_txt(pulse)
    assert pulse_forms["limesurvey"].read_text(encoding="utf-8") == to_limesurvey_tsv(pulse)
    assert pulse_forms["html"].read_text(encoding="utf-8") == to_html(pulse)
    assert load_workbook(pulse_forms["xlsform"]).sheetnames == ["survey", "choices", "settings"]
    folder = pulse_forms["html"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in pulse_forms.values())


@pytest.mark.parametrize("to", FORMATS)
def test_a_file_path_is_written_as_given(pulse, tmp_path, to):
    target = tmp_path / "new" / f"form.{to}"
    assert export_form(pulse, to, target) == target
    assert target.is_file() and target.stat().st_size > 1000
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left


@pytest.mark.parametrize("to", FORMATS)
def test_a_path_ending_in_a_slash_is_a_folder_created_when_missing(pulse, tmp_path, to):
    written = export_form(pulse, to, f"{tmp_path}/forms/")
    assert written.parent == tmp_path / "forms" and written.name.startswith("one_on_one_pulse.")
    assert [p.name for p in (tmp_path / "forms").iterdir()] == [written.name]
    assert not (tmp_path / "forms").is_file()


def test_an_existing_file_is_replaced(pulse, tmp_path):
    target = tmp_path / "form.html"
    target.write_text("old", encoding="utf-8")
    export_form(pulse, "html", target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_an_unknown_format_is_refused(pulse, tmp_path):
    allowed = "xlsform, qualtrics, limesurvey, html"
    with pytest.raises(ValueError, match=rf"to must be one of {allowed}; got 'kobo'"):
        export_form(pulse, "kobo", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_policy_reaches_the_questionnaire(pulse, tmp_path):
    page = export_form(pulse, "html", tmp_path, policy={"min_distribution": 15}).read_text(encoding="utf-8")
    assert "<td>15 respondents</td>" in page
    with pytest.raises(ValueError, match="policy has unknown keys"):
        export_form(pulse, "html", tmp_path / "bad.html", policy={"min_teams": 5})
    assert not (tmp_path / "bad.html").exists()
