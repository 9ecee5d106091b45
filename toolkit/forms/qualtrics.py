"""The survey in Qualtrics' Advanced Format TXT, the plain-text survey import.

Import it with *Tools › Import/Export › Import survey* (or when creating a survey from a
file). Each item becomes a question whose ``[[ID:…]]`` is the item id: Qualtrics uses it as
the question's export tag, so the response export's column headers are the item ids and the
toolkit's Qualtrics reader maps them back by id. Each section (context, each construct, the
attention check, demographics, comments) is a block; every block starts a new page.

Answer options are ``[[AdvancedChoices]]`` with ``[[Choice:n]]``, which fixes each choice's
id and recode value: an ordinal item's recode values are its codes (``1`` … ``5``, the
not-applicable ``9``); a categorical item's are the 1-based positions of its codes (not
applicable last), which is how the reader decodes a categorical answer. The default
"numeric values" export then maps back without recoding by hand.

What the TXT format cannot carry, to set in the survey editor after the import:

- required items (*Add validation › Force response*); the format has no tag for it;
- display logic: the conditional question (``ask_if``, e.g. the 1:1 length only when there
  are 1:1s) is imported as an ordinary question and needs *Add display logic* on it;
- the attention check's instructed answer (there is nothing to set: Qualtrics must not
  enforce it; validation quarantines a wrong answer);
- comments in the file: the format has none, so these notes live here only.

Question texts are HTML in Qualtrics: ``&``, ``<`` and ``>`` are written as entities.
"""

from __future__ import annotations

import html

from toolkit.forms._common import one_line, sections
from toolkit.survey import Item, Survey

__all__ = ["qualtrics_recodes", "to_qualtrics_txt"]


def qualtrics_recodes(survey: Survey, item_id: str) -> dict[int | str, int]:
    """The recode value Qualtrics exports for each code of an item.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> s = load_survey("surveys/one_on_one_pulse.yaml")
    >>> qualtrics_recodes(s, "cadence")["none"], qualtrics_recodes(s, "avail_reachable")[9]
    (5, 9)
    """
    scale = survey.scale_of(item_id)
    if scale is None:
        return {}
    if scale.kind == "ordinal":
        return {c: int(c) for c in scale.allowed}
    return {c: k for k, c in enumerate(scale.allowed, start=1)}


def to_qualtrics_txt(survey: Survey) -> str:
    """The survey as a Qualtrics Advanced Format TXT file.

    Returns
    -------
    str
        The file's text (write it as UTF-8).

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> txt = to_qualtrics_txt(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> print("\\n".join(txt.splitlines()[:12]))
    [[AdvancedFormat]]
    <BLANKLINE>
    [[Block:Your team and your 1:1s]]
    <BLANKLINE>
    [[Question:TE:SingleLine]]
    [[ID:team]]
    Which team are you part of?
    <BLANKLINE>
    [[Question:MC:SingleAnswer:Vertical]]
    [[ID:cadence]]
    How often do you usually have a 1:1 with your manager?
    [[AdvancedChoices]]
    """
    lines = ["[[AdvancedFormat]]", ""]
    for section in sections(survey):
        lines += [f"[[Block:{_text(section.title)}]]", ""]
        for it in section.items:
            lines += _question(survey, it)
    return "\n".join(lines).rstrip("\n") + "\n"


def _question(survey: Survey, it: Item) -> list[str]:
    scale = survey.scale_of(it.id)
    if scale is None:
        kind = "TE:Essay" if it.role == "comment" else "TE:SingleLine"
        return [f"[[Question:{kind}]]", f"[[ID:{it.id}]]", _text(it.text), ""]
    out = ["[[Question:MC:SingleAnswer:Vertical]]", f"[[ID:{it.id}]]", _text(it.text), "[[AdvancedChoices]]"]
    recodes = qualtrics_recodes(survey, it.id)
    for choice in scale.values + scale.not_applicable:
        out += [f"[[Choice:{recodes[choice.code]}]]", _text(choice.label)]
    return [*out, ""]


def _text(text: str) -> str:
    """One line, HTML-escaped, with no ``[[`` that the importer would read as a tag."""
    return html.escape(one_line(text), quote=False).replace("[[", "[&#91;")
