"""The Qualtrics Advanced Format TXT: tags, export tags = item ids, recode values, escaping."""

from __future__ import annotations

import re

from tests.forms.conftest import read_qualtrics_txt
from toolkit.forms import to_qualtrics_txt
from toolkit.forms._common import sections
from toolkit.forms.qualtrics import qualtrics_recodes


def test_every_item_is_one_question_tagged_with_its_id(pulse):
    txt = to_qualtrics_txt(pulse)
    assert txt.splitlines()[0] == "[[AdvancedFormat]]"
    questions = read_qualtrics_txt(txt)
    assert [q["id"] for q in questions] == [it.id for it in pulse.items]
    assert [q["text"] for q in questions] == [it.text for it in pulse.items]
    assert txt.count("[[Question:") == len(pulse.items)
    types = {q["id"]: q["type"] for q in questions}
    assert types["team"] == "TE:SingleLine" and types["comment"] == "TE:Essay"
    assert types["cadence"] == types["depth_why"] == "MC:SingleAnswer:Vertical"


def test_every_tag_is_one_the_format_knows(pulse, odd):
    known = re.compile(
        r"AdvancedFormat|Block:[^\[\]]+|Question:(MC:SingleAnswer:Vertical|TE:SingleLine|TE:Essay)"
        r"|ID:[a-z0-9_]+|AdvancedChoices|Choice:\d+"
    )
    for survey in (pulse, odd):
        tags = re.findall(r"\[\[([^\]]*)\]\]", to_qualtrics_txt(survey))
        assert tags and all(known.fullmatch(t) for t in tags), [t for t in tags if not known.fullmatch(t)]


def test_recode_values_are_codes_and_positions(pulse):
    questions = {q["id"]: q for q in read_qualtrics_txt(to_qualtrics_txt(pulse))}
    assert questions["depth_why"]["choices"] == [
        [1, "Strongly disagree"], [2, "Disagree"], [3, "Neither agree nor disagree"], [4, "Agree"],
        [5, "Strongly agree"], [9, "Does not apply to me"],
    ]  # fmt: skip
    assert questions["contact_chat"]["choices"][0] == [1, "Rarely or never"]
    # categorical: the 1-based position of the code, which the Qualtrics reader decodes
    assert questions["cadence"]["choices"] == [
        [1, "Every week"], [2, "Every two weeks"], [3, "About once a month"], [4, "Less than once a month"],
        [5, "We do not have 1:1s"],
    ]  # fmt: skip
    assert qualtrics_recodes(pulse, "cadence") == {
        "weekly": 1, "biweekly": 2, "monthly": 3, "less_than_monthly": 4, "none": 5,
    }  # fmt: skip
    assert qualtrics_recodes(pulse, "comment") == {}


def test_one_block_per_section(pulse):
    questions = read_qualtrics_txt(to_qualtrics_txt(pulse))
    blocks = {q["id"]: q["block"] for q in questions}
    assert blocks["cadence"] == "Your team and your 1:1s"
    assert blocks["depth_why"] == "1:1 depth"
    assert blocks["attention"] == "Attention check"
    assert to_qualtrics_txt(pulse).count("[[Block:") == len(sections(pulse))


def test_what_the_format_cannot_carry_is_not_pretended(pulse):
    txt = to_qualtrics_txt(pulse)
    # no display logic or forced response in the TXT format: documented, never half-written
    assert "DisplayLogic" not in txt and "Required" not in txt and "ForceResponse" not in txt
    from toolkit.forms import qualtrics

    notes = qualtrics.__doc__
    assert "display logic" in notes and "Force response" in notes


def test_texts_are_escaped_and_cannot_open_a_tag(odd):
    txt = to_qualtrics_txt(odd)
    assert "Statement &lt;one&gt; &amp; [&#91;two]]" in txt
    assert "[[two]]" not in txt
    questions = {q["id"]: q for q in read_qualtrics_txt(txt)}
    assert questions["q2"]["text"] == 'Say "no" to this.'
    assert questions["contact_quick_questions_often"]["choices"][0] == [0, "Never"]
    assert questions["has_meetings"]["choices"] == [[1, "Yes of course"], [2, "No"]]
