"""Forms out: the survey as the files survey platforms import, and as a printable questionnaire.

=============  ===========================================  ==============================
``to``         what is written                              file name in a folder
=============  ===========================================  ==============================
``xlsform``    XLSForm workbook (ODK, Enketo, KoboToolbox)  ``<survey id>.xlsx``
``qualtrics``  Qualtrics Advanced Format TXT                ``<survey id>.qualtrics.txt``
``limesurvey`` LimeSurvey tab-separated survey structure    ``<survey id>.limesurvey.txt``
``html``       printable questionnaire for review           ``<survey id>.html``
=============  ===========================================  ==============================

Each platform form names its questions so that the platform's response export maps back to
the item ids through the toolkit's readers (:func:`toolkit.ingest.read_export`); the tests
round-trip a response table through every reader with headers taken from these files. What a
format cannot carry (Qualtrics TXT has no required flag and no display logic) is listed in its
module's notes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from toolkit._io import atomic_write_text
from toolkit.forms.html import to_html
from toolkit.forms.limesurvey import limesurvey_codes, to_limesurvey_tsv
from toolkit.forms.qualtrics import to_qualtrics_txt
from toolkit.forms.xlsform import to_xlsform
from toolkit.survey import Survey

__all__ = [
    "FORMATS",
    "export_form",
    "limesurvey_codes",
    "to_html",
    "to_limesurvey_tsv",
    "to_qualtrics_txt",
    "to_xlsform",
]

#: The formats :func:`export_form` writes.
FORMATS = ("xlsform", "qualtrics", "limesurvey", "html")
_SUFFIX = {
    "xlsform": ".xlsx",
    "qualtrics": ".qualtrics.txt",
    "limesurvey": ".limesurvey.txt",
    "html": ".html",
}


def export_form(
    survey: Survey, to: str, out: str | Path, *, policy: Mapping | str | Path | None = None
) -> Path:
    """Write the survey as a platform form or the printable questionnaire (atomically).

    Parameters
    ----------
    survey : Survey
    to : {"xlsform", "qualtrics", "limesurvey", "html"}
        The format; see :data:`FORMATS`.
    out : str or Path
        The file to write, or a folder: an existing folder, or a path ending in ``/`` (created
        when missing). In a folder the file is ``<survey id>.xlsx``, ``.qualtrics.txt``,
        ``.limesurvey.txt`` or ``.html``.
    policy : mapping, str, Path or None
        For ``html``: the disclosure policy whose thresholds the questionnaire states (see
        :func:`toolkit.privacy.disclosure.load_policy`); ``None`` for the defaults. The platform forms
        do not use it.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        When ``to`` is not one of :data:`FORMATS`, or ``policy`` is not a valid policy.
    SurveyError
        When the survey cannot be expressed in the format (LimeSurvey's code rules).

    Examples
    --------
    >>> import tempfile
    >>> from toolkit.survey import load_survey
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> folder = tempfile.mkdtemp()
    >>> [export_form(survey, to, folder).name for to in FORMATS]  # doctest: +NORMALIZE_WHITESPACE
    ['one_on_one_pulse.xlsx', 'one_on_one_pulse.qualtrics.txt', 'one_on_one_pulse.limesurvey.txt',
     'one_on_one_pulse.html']
    >>> export_form(survey, "html", folder + "/forms/").relative_to(folder).as_posix()
    'forms/one_on_one_pulse.html'
    """
    if to not in FORMATS:
        raise ValueError(f"to must be one of {', '.join(FORMATS)}; got {to!r}")
    page = to_html(survey, policy=policy) if to == "html" else None  # a bad policy fails before writing
    path = Path(out)
    if path.is_dir() or _names_a_folder(out):
        path.mkdir(parents=True, exist_ok=True)
        path = path / f"{survey.id}{_SUFFIX[to]}"
    if to == "xlsform":
        return to_xlsform(survey, path)
    if to == "qualtrics":
        return atomic_write_text(path, to_qualtrics_txt(survey))
    if to == "limesurvey":
        return atomic_write_text(path, to_limesurvey_tsv(survey))
    return atomic_write_text(path, page)


def _names_a_folder(out: str | Path) -> bool:
    """A path written with a trailing separator (``forms/``) names a folder, existing or not."""
    text = os.fspath(out)
    return text.endswith(("/", os.sep)) or (os.altsep is not None and text.endswith(os.altsep))
