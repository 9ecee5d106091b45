"""The questionnaire as one printable, accessible HTML page, for review before fieldwork.

Works councils, ethics boards and data-protection officers review a questionnaire before it is
sent. This page shows them what respondents see and what the toolkit does with it: every
question with its answer options and their codes, grouped as the survey groups them (the
context questions, each construct, the attention check, the demographic questions, the
comments), which answers are required, which items are reverse-keyed, when the conditional
question is asked, which questions are quasi-identifiers, and the reporting thresholds that
protect respondents (``toolkit.disclosure``).

The page is self-contained: inline CSS, no scripts, no external fonts or images, so it can be
attached to an e-mail or archived as it is, and it prints cleanly (``@media print``). Every
text from the survey is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import jinja2

from toolkit.forms._common import condition_in_words, one_line, sections
from toolkit.privacy.disclosure import load_policy
from toolkit.survey import Item, Survey

__all__ = ["to_html"]

_ROLE_NOTES = {
    "team": "Team: usually filled in from the invitation link or the roster.",
    "cadence": "1:1 cadence: the analyses compare teams by this answer.",
    "meeting_length": "Usual 1:1 length: the analyses compare short and long 1:1s.",
    "comment": "Free-text comment: shown to managers only in groups of at least {min_comments} "
    "comments, with names and e-mail addresses removed.",
}


def to_html(survey: Survey, *, policy: Mapping | str | Path | None = None) -> str:
    """The questionnaire as a self-contained HTML page.

    Parameters
    ----------
    survey : Survey
    policy : mapping, str, Path or None
        The disclosure policy whose thresholds the page states (see
        :func:`toolkit.privacy.disclosure.load_policy`); ``None`` for the defaults.

    Returns
    -------
    str
        The page (write it as UTF-8).

    Raises
    ------
    ValueError
        When ``policy`` is not a valid disclosure policy.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> page = to_html(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> page.startswith("<!DOCTYPE html>"), '<html lang="en">' in page, "http" in page
    (True, True, False)
    """
    pol = load_policy(policy)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("questionnaire.html.j2")
    number = 0
    parts = []
    for section in sections(survey):
        questions = []
        for it in section.items:
            number += 1
            questions.append(_question(survey, it, number, pol))
        parts.append({"section": section, "questions": questions})
    demographic = [it for it in survey.items if it.role == "demographic"]
    checks = [it for it in survey.items if it.role == "attention_check"]
    return template.render(
        survey=survey,
        title=one_line(survey.title),
        description=one_line(survey.description),
        parts=parts,
        n_questions=number,
        policy=pol,
        demographic=[(it.id, one_line(it.text)) for it in demographic],
        checks=len(checks),
        has_reverse=any(it.reverse for it in survey.items),
        has_conditional=any(it.ask_if is not None for it in survey.items),
    )


def _question(survey: Survey, it: Item, number: int, pol: Mapping) -> dict:
    scale = survey.scale_of(it.id)
    notes = []
    if it.role in _ROLE_NOTES:
        notes.append(_ROLE_NOTES[it.role].format(**pol))
    if it.reverse:
        notes.append("Reverse-keyed: scored in reverse (agreeing lowers the construct score).")
    if it.role == "attention_check":
        expected = scale.label_of(it.expected) if scale is not None else it.expected
        notes.append(
            f"Attention check, not scored: the instructed answer is {it.expected} ({expected}); a response "
            "with another answer is set aside and not analysed."
        )
    if it.role == "demographic":
        notes.append(
            "Quasi-identifier: reports never show a breakdown by this answer that could single someone out."
        )
    options = []
    if scale is not None:
        options = [(str(c.code), one_line(c.label), False) for c in scale.values]
        options += [(str(c.code), one_line(c.label), True) for c in scale.not_applicable]
    return {
        "number": number,
        "item": it,
        "text": one_line(it.text),
        "condition": condition_in_words(survey, it.ask_if) if it.ask_if is not None else "",
        "condition_code": it.ask_if.describe() if it.ask_if is not None else "",
        "options": options,
        "scale_label": one_line(scale.label) if scale is not None else "",
        "notes": notes,
        "lineage": it.replaces,
        "long_text": it.role == "comment",
    }
