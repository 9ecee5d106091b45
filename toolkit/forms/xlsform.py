"""The survey as an XLSForm, for ODK Collect, Enketo and KoboToolbox.

An XLSForm is a workbook with three sheets: ``survey`` (one row per question, in order),
``choices`` (one row per answer option) and ``settings``. pyxform turns it into the XForm the
platforms run; the tests convert every form this module writes with pyxform.

What the form carries:

- every item as a question named by its item id, so that a KoboToolbox export (headers
  ``group/name`` or labels, answers as choice names or labels) maps back by id;
- ordinal and categorical items as ``select_one <scale>``; the choice names are the codes
  (``1`` … ``5``, ``weekly``), the not-applicable codes come after the scale's values;
- free-text items as ``text`` (comments multi-line);
- ``required`` for required items (a conditional item is required only when it is asked:
  ODK checks ``required`` on relevant questions only);
- ``ask_if`` as ``relevant``: ``${cadence} != 'none'``;
- the attention check as the question it is, required, with its instructed answer among the
  choices (the instructed answer is not enforced: a constraint would defeat the check);
- one group (page, ``field-list``) per section: the context questions, each construct, the
  attention check, the demographic questions, the comments. Groups have no label, so
  respondents do not see construct names;
- the metadata KoboToolbox needs for the ingest: ``start`` and ``end`` (the reader's
  ``submitted_at`` and ``duration_s``), and a hidden ``employee_id`` to prefill from the
  invitation link (``d[/data/employee_id]=…`` in Enketo), the key that joins the roster.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from toolkit._io import atomic_write
from toolkit.forms._common import one_line, sections
from toolkit.survey import Condition, Item, Survey

__all__ = ["SURVEY_COLUMNS", "to_xlsform", "xlsform_sheets"]

#: Columns of the ``survey`` sheet, in order.
SURVEY_COLUMNS = ("type", "name", "label", "required", "relevant", "appearance")
_CHOICES_COLUMNS = ("list_name", "name", "label")
_SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "style")


def xlsform_sheets(survey: Survey) -> dict[str, list[list[str]]]:
    """The three sheets of the XLSForm as rows of text, header first.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> sheets = xlsform_sheets(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> list(sheets)
    ['survey', 'choices', 'settings']
    >>> row = next(r for r in sheets["survey"] if r[1] == "meeting_length")
    >>> row[0], row[4]
    ('select_one length', "${cadence} != 'none'")
    >>> sheets["choices"][1:3]
    [['agree5', '1', 'Strongly disagree'], ['agree5', '2', 'Disagree']]
    """
    rows: list[list[str]] = [list(SURVEY_COLUMNS)]

    def row(**cells: str) -> None:
        rows.append([cells.get(c, "") for c in SURVEY_COLUMNS])

    row(type="start", name="start")
    row(type="end", name="end")
    row(type="hidden", name="employee_id")
    for section in sections(survey):
        row(type="begin_group", name=section.key, appearance="field-list")
        for it in section.items:
            row(
                type=_type(it),
                name=it.id,
                label=one_line(it.text),
                required="yes" if it.required else "",
                relevant=_relevant(it.ask_if) if it.ask_if is not None else "",
                appearance="multiline" if it.role == "comment" else "",
            )
        row(type="end_group", name=section.key)
    used = {it.scale for it in survey.items if it.scale is not None}
    choices = [list(_CHOICES_COLUMNS)]
    for name, scale in survey.scales.items():
        if name in used:
            options = scale.values + scale.not_applicable
            choices.extend([name, str(c.code), one_line(c.label)] for c in options)
    settings = [
        list(_SETTINGS_COLUMNS),
        [one_line(survey.title), survey.id, survey.version, survey.language, "pages"],
    ]
    return {"survey": rows, "choices": choices, "settings": settings}


def to_xlsform(survey: Survey, path: str | Path) -> Path:
    """Write the survey as an XLSForm workbook (atomically).

    Parameters
    ----------
    survey : Survey
    path : str or Path
        The ``.xlsx`` file to write.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from toolkit.survey import load_survey
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "pulse.xlsx"
    >>> to_xlsform(load_survey("surveys/one_on_one_pulse.yaml"), out).name
    'pulse.xlsx'
    """
    sheets = xlsform_sheets(survey)
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, not a formula
    return atomic_write(path, book.save)


def _type(it: Item) -> str:
    if it.scale is None:
        return "text"
    return f"select_one {it.scale}"


def _relevant(cond: Condition) -> str:
    """``${x} != 'a' and ${x} != 'b'`` (not in), ``${x} = 'a' or ${x} = 'b'`` (in)."""
    op, join = ("!=", " and ") if cond.negate else ("=", " or ")
    return join.join(f"${{{cond.item}}} {op} '{code}'" for code in cond.codes)
