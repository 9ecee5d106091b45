"""The printable questionnaire: complete, self-contained, accessible, escaped, and honest about use."""

from __future__ import annotations

import re

import pytest

from tests.forms.conftest import read_questionnaire, tiny_survey
from toolkit.forms import to_html
from toolkit.forms._common import sections
from toolkit.privacy.disclosure import DEFAULT_POLICY


@pytest.fixture(scope="module")
def page(pulse):
    return to_html(pulse)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_question_and_option_in_survey_order(pulse, page):
    parsed = read_questionnaire(page)
    assert [q["id"] for q in parsed.questions] == [f"q-{it.id}" for it in pulse.items]
    assert [q["text"] for q in parsed.questions] == [it.text for it in pulse.items]
    for q, it in zip(parsed.questions, pulse.items, strict=True):
        scale = pulse.scale_of(it.id)
        expected = [c.label for c in scale.values + scale.not_applicable] if scale else []
        assert q["options"] == expected, it.id
    assert "(code <code>9</code>, not applicable)" in page
    assert "(code <code>less_than_monthly</code>)" in page


def test_self_contained_and_accessible(pulse, page):
    parsed = read_questionnaire(page)
    assert parsed.lang == "en"
    assert parsed.title == "1:1 and manager availability pulse, version 1.0: questionnaire for review"
    tags = {tag for tag, _ in parsed.attrs}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "form"}
    assert all("src" not in a and "href" not in a for _, a in parsed.attrs)
    assert not re.search(r"https?:|//[a-z]", page.split("<body>")[1])
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page
    assert page.count("<fieldset") == page.count("<legend>") == len(pulse.items)
    assert page.count('<ol class="options"') == sum(it.scale is not None for it in pulse.items)
    assert all(a.get("aria-label") for tag, a in parsed.attrs if tag == "ol")
    headings = re.findall(r"<h3 id=\"part-([a-z_0-9]+)\">", page)
    assert headings == [s.key for s in sections(pulse)]


def test_marks_are_explained_in_words(pulse, page):
    text = _squash(page)
    assert text.count('<strong class="req">(Required)</strong>') == sum(it.required for it in pulse.items) + 1
    assert text.count("Reverse-keyed: scored in reverse") == sum(it.reverse for it in pulse.items)
    assert (
        "Asked only when the answer to “How often do you usually have a 1:1 with your manager?” is not "
        "“We do not have 1:1s”. (<code>cadence not in (none)</code>)"
    ) in text
    assert "instructed answer is 2 (Disagree)" in text
    assert text.count("Quasi-identifier:") == 3
    assert "Introduction</h2> <p>How reports experience their manager&#39;s availability" in text


def test_how_answers_are_used_states_the_policy(pulse, page):
    text = _squash(page.split('id="how-answers-are-used"')[1])
    assert f"<td>{DEFAULT_POLICY['min_scores']} respondents</td>" in text
    assert f"<td>{DEFAULT_POLICY['min_distribution']} respondents</td>" in text
    assert f"<td>{DEFAULT_POLICY['min_comments']} comments</td>" in text
    assert f"<td>{DEFAULT_POLICY['min_invited']} people invited</td>" in text
    for it in pulse.items_with_role("demographic"):
        assert f"{it.text} (<code>{it.id}</code>)" in text
    assert "HMAC-SHA256" in text and "never set below 3" in text
    custom = _squash(to_html(pulse, policy={"min_scores": 7, "min_comments": 12}))
    assert "<td>7 respondents</td>" in custom and "<td>12 comments</td>" in custom


def test_a_bad_policy_is_refused(pulse):
    with pytest.raises(ValueError, match="policy min_scores must be at least 3; got 2"):
        to_html(pulse, policy={"min_scores": 2})


def test_everything_is_escaped(odd):
    page = to_html(odd)
    parsed = read_questionnaire(page)
    assert parsed.lang == "de"
    assert [q["text"] for q in parsed.questions] == [it.text for it in odd.items]
    assert "<one>" not in page and "<b>markup" not in page
    assert "Statement &lt;one&gt; &amp; [[two]]" in page
    assert 'Forms &lt;test&gt; &amp; &#34;quotes&#34;' in page
    text = _squash(page)
    assert "is one of “Agree”, “Strongly agree”. (<code>useful in (4, 5)</code>)" in text
    assert "is “Yes of course”." in text
    assert "Replaces item <code>q3</code> of an earlier version; scores are not compared across" in text
    assert "Reworded in 2.0." in text
    assert "quasi-identifiers" not in text  # no demographic items, no list
    assert "attention check" not in text.lower()


def test_script_in_a_question_stays_text(tmp_path):
    survey = tiny_survey(tmp_path, "  - {id: x, text: \"<script>alert(1)</script>\", type: text}")
    page = to_html(survey)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
