"""The survey as a LimeSurvey tab-separated survey structure (``.txt``), which LimeSurvey imports.

Import it with *Create survey › Import* (the ``.txt`` is read as a TSV survey structure). One
row per survey setting (class ``S``/``SL``), question group (``G``), question (``Q``),
subquestion (``SQ``) and answer option (``A``); columns ``class``, ``type/scale``, ``name``,
``relevance``, ``text``, ``help``, ``language``, ``mandatory``, ``other``, …, and question
attributes (``hidden``) as further columns.

Question codes. LimeSurvey wants a question code to start with a letter, hold only letters and
digits (no underscore) and have at most 20 characters; its own importer strips anything else
(``avail_reachable`` becomes ``availreachable``). This module writes that code itself, the item
id without underscores, which the toolkit's LimeSurvey reader matches to the item (it compares
ids ignoring case and underscores). An id longer than 20 characters without underscores is
split at an underscore into an array question with one subquestion: ``contact_quick_questions``
is exported as the column ``contact[quickquestions]``, which the reader reads as
``contact_quickquestions``. Two items whose codes would be equal, or a code that LimeSurvey
reserves or that names a column of LimeSurvey's own (``id``, ``token``, ``submitdate``, …), is a
:class:`~toolkit.errors.SurveyError`.

Answer codes. LimeSurvey's answer codes have at most 5 letters or digits. An ordinal item's
codes are its integers (``1`` … ``5``, the not-applicable ``9``); a categorical item's codes
are the 1-based positions of its codes (not applicable last), as in Qualtrics. Export the
responses with *Full answers* (labels), which the reader maps back to the survey's codes; an
*Answer codes* export gives positions for categorical items, which the LimeSurvey reader does
not decode yet (it would, as the Qualtrics reader does, with ``layout.positions = True``; the
round-trip test of that export is marked as an expected failure until then).

Also carried: required items (``mandatory``, enforced by LimeSurvey only when the question is
shown), ``ask_if`` as a relevance equation (``cadence.NAOK != '5'``), groups per section (their
names hidden from respondents, ``showgroupinfo`` ``X``), submission and start dates
(``datestamp``) and timings (``savetimings``: the reader's ``duration_s``), and a hidden
question ``employeeid`` to prefill from the invitation link (``…&employeeid=e123``), the key that
joins the roster.
"""

from __future__ import annotations

import csv
import html
import io
import re

from toolkit.errors import SurveyError
from toolkit.forms._common import one_line, sections
from toolkit.survey import Condition, Item, Survey

__all__ = ["COLUMNS", "limesurvey_answer_codes", "limesurvey_codes", "to_limesurvey_tsv"]

#: Columns of the TSV structure, in order.
COLUMNS = (
    "id", "related_id", "class", "type/scale", "name", "relevance", "text", "help", "language",
    "validation", "mandatory", "encrypted", "other", "default", "same_default", "hidden",
)  # fmt: skip
_MAX_CODE = 20
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_ANSWER = re.compile(r"^[A-Za-z0-9]{1,5}$")
#: Codes LimeSurvey's ExpressionScript reserves, and the response table's own columns.
_RESERVED = {"lang", "sid", "savedid", "token", "qid", "gid", "sgq", "self", "that", "this"}
_RESERVED |= {
    "id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
    "refurl", "interviewtime", "firstname", "lastname", "email",
}  # fmt: skip
#: The hidden question that carries the employee id.
EMPLOYEE_CODE = "employeeid"


def limesurvey_codes(survey: Survey) -> dict[str, str]:
    """Each item's column header in a LimeSurvey response export (question-code headings).

    Raises
    ------
    SurveyError
        When an item cannot get a valid code of its own.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> codes = limesurvey_codes(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> codes["avail_reachable"], codes["hold_wait_for_1on1"], codes["contact_quick_questions"]
    ('availreachable', 'holdwaitfor1on1', 'contact[quickquestions]')
    """
    out: dict[str, str] = {}
    seen: dict[str, str] = {EMPLOYEE_CODE: "(the hidden employee id question)"}
    for it in survey.items:
        candidates = _codes(it, survey)
        free = [(q, sq) for q, sq in candidates if q.casefold() not in seen]
        if not free:
            q = candidates[0][0]
            raise SurveyError(
                f"items {seen[q.casefold()]!r} and {it.id!r} would both get the LimeSurvey question code "
                f"{q!r} (LimeSurvey codes have no underscores): rename one of them",
                path=survey.path,
            )
        q, sq = free[0]
        seen[q.casefold()] = it.id
        out[it.id] = q if sq is None else f"{q}[{sq}]"
    return out


def limesurvey_answer_codes(survey: Survey, item_id: str) -> dict[int | str, str]:
    """The LimeSurvey answer code of each code of an item.

    Raises
    ------
    SurveyError
        When an ordinal code is not a valid LimeSurvey answer code (a negative number, or more
        than 5 digits).

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> s = load_survey("surveys/one_on_one_pulse.yaml")
    >>> limesurvey_answer_codes(s, "cadence")["none"], limesurvey_answer_codes(s, "depth_why")[9]
    ('5', '9')
    """
    scale = survey.scale_of(item_id)
    if scale is None:
        return {}
    if scale.kind == "categorical":
        return {c: str(k) for k, c in enumerate(scale.allowed, start=1)}
    bad = [c for c in scale.allowed if not _ANSWER.match(str(c))]
    if bad:
        raise SurveyError(
            f"scale {scale.name!r} has code {bad[0]!r}, which LimeSurvey cannot hold (answer codes are "
            "1 to 5 letters or digits)",
            path=survey.path,
        )
    return {c: str(c) for c in scale.allowed}


def to_limesurvey_tsv(survey: Survey) -> str:
    """The survey as a LimeSurvey tab-separated survey structure.

    Returns
    -------
    str
        The file's text (write it as UTF-8, with a ``.txt`` name).

    Raises
    ------
    SurveyError
        When an item gets no valid question code or answer codes (see the module notes).

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> tsv = to_limesurvey_tsv(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> [line.split("\\t")[2:6] for line in tsv.splitlines() if "\\tmeetinglength\\t" in line]
    [['Q', 'L', 'meetinglength', "cadence.NAOK != '5'"]]
    """
    codes = limesurvey_codes(survey)
    lang = survey.language
    rows: list[dict[str, str]] = []
    settings = {"language": lang, "format": "G", "datestamp": "Y", "savetimings": "Y", "showgroupinfo": "X"}
    rows += [{"class": "S", "name": k, "text": v} for k, v in settings.items()]
    rows.append({"class": "SL", "name": "surveyls_title", "text": _text(survey.title), "language": lang})
    if survey.description:
        text = _text(survey.description)
        rows.append({"class": "SL", "name": "surveyls_description", "text": text, "language": lang})
    for n, section in enumerate(sections(survey)):
        rows.append({"class": "G", "name": _text(section.title), "text": _text(section.description)})
        rows[-1]["language"] = lang
        if n == 0:
            rows.append(
                {"class": "Q", "type/scale": "S", "name": EMPLOYEE_CODE, "text": "Employee id",
                 "help": "Filled in from the invitation link; not shown.", "language": lang,
                 "mandatory": "N", "other": "N", "hidden": "1"}
            )  # fmt: skip
        for it in section.items:
            rows += _question(survey, it, codes, lang)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, COLUMNS, delimiter="\t", lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _question(survey: Survey, it: Item, codes: dict[str, str], lang: str) -> list[dict[str, str]]:
    header = codes[it.id]
    q, _, sq = header.partition("[")
    sq = sq.rstrip("]")
    scale = survey.scale_of(it.id)
    if scale is not None:
        qtype = "F" if sq else "L"  # array (one row), list (radio)
    elif sq:
        qtype = "Q"  # multiple short text (one)
    else:
        qtype = "T" if it.role == "comment" else "S"  # long or short free text
    relevance = _relevance(it.ask_if, codes, survey) if it.ask_if is not None else ""
    text = _text(it.text)
    out = [
        {"class": "Q", "type/scale": qtype, "name": q, "relevance": relevance, "text": text, "language": lang,
         "mandatory": "Y" if it.required else "N", "other": "N"}
    ]  # fmt: skip
    if sq:
        out.append({"class": "SQ", "type/scale": "0", "name": sq, "text": text, "language": lang})
    if scale is not None:
        answers = limesurvey_answer_codes(survey, it.id)
        for choice in scale.values + scale.not_applicable:
            out.append(
                {"class": "A", "type/scale": "0", "name": answers[choice.code], "text": _text(choice.label),
                 "language": lang}
            )  # fmt: skip
    return out


def _relevance(cond: Condition, codes: dict[str, str], survey: Survey) -> str:
    """``x.NAOK != '5'`` (joined by ``and``) for not in; ``x.NAOK == '1'`` (``or``) for in."""
    name = codes[cond.item].replace("[", "_").rstrip("]")
    answers = limesurvey_answer_codes(survey, cond.item)
    op, join = ("!=", " and ") if cond.negate else ("==", " or ")
    return join.join(f"{name}.NAOK {op} '{answers.get(c, c)}'" for c in cond.codes)


def _codes(it: Item, survey: Survey) -> list[tuple[str, str | None]]:
    """The possible question codes, with a subquestion code when the id is too long for one."""
    parts = [p for p in it.id.split("_") if p]
    whole = "".join(parts)
    if len(whole) <= _MAX_CODE:
        _check_code(whole, it, survey)
        return [(whole, None)]
    out: list[tuple[str, str | None]] = []
    for i in range(1, len(parts)):
        q, sq = "".join(parts[:i]), "".join(parts[i:])
        if len(q) <= _MAX_CODE and len(sq) <= _MAX_CODE and sq.casefold() != "time":
            _check_code(q, it, survey)
            out.append((q, sq))
    if not out:
        raise SurveyError(
            f"item {it.id!r} is too long for a LimeSurvey question code ({_MAX_CODE} letters and digits, "
            "or two such parts split at an underscore): shorten the id",
            path=survey.path,
        )
    return out


def _check_code(code: str, it: Item, survey: Survey) -> None:
    if not _CODE.match(code):
        raise SurveyError(
            f"item {it.id!r} gives the LimeSurvey code {code!r}, which does not start with a letter",
            path=survey.path,
        )
    if code.casefold() in _RESERVED or code.casefold().startswith("attribute"):
        raise SurveyError(
            f"item {it.id!r} gives the LimeSurvey code {code!r}, which LimeSurvey reserves or uses for a "
            "column of its own: rename the item",
            path=survey.path,
        )


def _text(text: str) -> str:
    """One line of HTML (LimeSurvey's texts are HTML); double quotes as entities, so that no
    cell needs TSV quoting (LimeSurvey's importer strips quotes around a whole cell twice)."""
    return html.escape(one_line(text), quote=False).replace('"', "&quot;")
