"""What every form writer shares: the survey cut into sections, and small text helpers.

A section is a run of consecutive items that belong together: the items of one construct,
the context questions (team, cadence, 1:1 length), an attention check, the demographic
questions, the comments. Platform forms make a section a page (an XLSForm group, a Qualtrics
block, a LimeSurvey question group); the printable questionnaire gives each one a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.survey import Condition, Item, Survey

__all__ = ["Section", "condition_in_words", "one_line", "sections"]

_SPACE = re.compile(r"\s+")
#: Section key and title of the items with a role, by role.
_ROLE_SECTIONS = {
    "team": ("context", "Your team and your 1:1s"),
    "cadence": ("context", "Your team and your 1:1s"),
    "meeting_length": ("context", "Your team and your 1:1s"),
    "attention_check": ("attention_check", "Attention check"),
    "demographic": ("about_you", "About you"),
    "comment": ("comments", "Comments"),
}


@dataclass(frozen=True)
class Section:
    """Consecutive items shown together.

    ``key`` is unique in the survey and a valid identifier (an XLSForm group name);
    ``title`` and ``description`` are for reviewers (a construct's label and description).
    """

    key: str
    title: str
    items: tuple[Item, ...]
    description: str = ""
    construct: str | None = None


def sections(survey: Survey) -> tuple[Section, ...]:
    """Cut the survey's items, in order, into sections.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> parts = sections(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> [p.key for p in parts][:3], [it.id for it in parts[0].items]
    (['context', 'availability', 'holding_back'], ['team', 'cadence', 'meeting_length'])
    >>> [p.key for p in parts][5:8]
    ['informal_contact', 'attention_check', 'engagement']
    """
    runs: list[tuple[str, str, str, str | None, list[Item]]] = []
    for it in survey.items:
        if it.construct is not None:
            con = survey.constructs[it.construct]
            key, title, description, construct = con.id, con.label, con.description, con.id
        elif it.role is not None:
            (key, title), description, construct = _ROLE_SECTIONS[it.role], "", None
        else:
            key, title, description, construct = "other", "Other questions", "", None
        if runs and runs[-1][0] == key:
            runs[-1][4].append(it)
        else:
            runs.append((key, title, description, construct, [it]))
    out: list[Section] = []
    used: set[str] = {it.id for it in survey.items}
    for key, title, description, construct, items in runs:
        unique, n = key, 1
        while unique in used:  # a group name must differ from every question name and group
            n += 1
            unique = f"{key}_{n}"
        used.add(unique)
        out.append(Section(unique, title, tuple(items), description, construct))
    return tuple(out)


def one_line(text: str) -> str:
    """Text with every run of white space (line breaks too) as one space.

    Examples
    --------
    >>> one_line("  How often\\n do you meet? ")
    'How often do you meet?'
    """
    return _SPACE.sub(" ", str(text)).strip()


def condition_in_words(survey: Survey, cond: Condition) -> str:
    """When a conditional item is asked, for a reader who does not know the item ids.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> s = load_survey("surveys/one_on_one_pulse.yaml")
    >>> print(condition_in_words(s, s.item("meeting_length").ask_if))
    Asked only when the answer to “How often do you usually have a 1:1 with your manager?” is not
    “We do not have 1:1s”.
    """
    item = survey.item(cond.item)
    scale = survey.scale_of(cond.item)
    labels = [f"“{scale.label_of(c)}”" if scale is not None else f"“{c}”" for c in cond.codes]
    if len(labels) == 1:
        verb = "is not" if cond.negate else "is"
    else:
        verb = "is none of" if cond.negate else "is one of"
    return f"Asked only when the answer to “{one_line(item.text)}” {verb} {', '.join(labels)}."
