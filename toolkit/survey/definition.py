"""The survey as code: load and check a survey definition (YAML).

A survey file declares response scales, items and constructs; everything else in the
toolkit (validation schema, codebook, platform forms, scoring, reports) is generated from
the :class:`Survey` that :func:`load_survey` returns. ``surveys/README.md`` documents the
format for authors; this module enforces it and reports every mistake with the file, the
key path (``items[7].scale``) and the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from toolkit.errors import SurveyError

__all__ = [
    "CADENCE_CODES",
    "METADATA_COLUMNS",
    "ROLES",
    "Choice",
    "Condition",
    "Construct",
    "Item",
    "Lineage",
    "Scale",
    "Survey",
    "as_survey",
    "load_survey",
    "parse_survey",
]

#: Roles that mark the special items of a survey.
ROLES = ("team", "cadence", "meeting_length", "attention_check", "demographic", "comment")
#: Roles that at most one item may have.
SINGLE_ROLES = ("team", "cadence", "meeting_length")
#: The cadence codes the analyses know, from most to least frequent.
CADENCE_CODES = ("weekly", "biweekly", "monthly", "less_than_monthly", "none")
#: Columns every canonical response table has before its item columns.
METADATA_COLUMNS = ("respondent", "wave", "team", "submitted_at", "duration_s")


@dataclass(frozen=True)
class Choice:
    """One answer option of a scale: the stored ``code`` and the ``label`` shown."""

    code: int | str
    label: str


@dataclass(frozen=True)
class Scale:
    """A response scale.

    ``kind`` is ``"ordinal"`` (integer codes, in order, scored) or ``"categorical"``
    (string codes, in display order). ``not_applicable`` holds the codes that answer the
    question without placing the respondent on the scale ("does not apply"); they are
    valid answers but count as missing when scored. ``favourable`` lists the codes counted
    as favourable (the top two boxes of a 5-point agreement scale).
    """

    name: str
    label: str
    kind: str
    values: tuple[Choice, ...]
    not_applicable: tuple[Choice, ...] = ()
    favourable: tuple[int, ...] = ()

    @property
    def codes(self) -> tuple[int | str, ...]:
        """The substantive codes, in order."""
        return tuple(c.code for c in self.values)

    @property
    def na_codes(self) -> tuple[int | str, ...]:
        """The not-applicable codes."""
        return tuple(c.code for c in self.not_applicable)

    @property
    def allowed(self) -> tuple[int | str, ...]:
        """Every code an answer may take: substantive codes, then not-applicable codes."""
        return self.codes + self.na_codes

    def label_of(self, code: int | str) -> str:
        """The label of ``code`` (substantive or not-applicable)."""
        for choice in self.values + self.not_applicable:
            if choice.code == code:
                return choice.label
        raise KeyError(f"scale {self.name!r} has no code {code!r}")


@dataclass(frozen=True)
class Condition:
    """Ask an item only when another item's answer is (or is not) among ``codes``."""

    item: str
    codes: tuple[int | str, ...]
    negate: bool = False

    def describe(self) -> str:
        """The condition in words, e.g. ``cadence not in (none)``."""
        op = "not in" if self.negate else "in"
        return f"{self.item} {op} ({', '.join(map(str, self.codes))})"


@dataclass(frozen=True)
class Lineage:
    """This item replaces ``item`` of an earlier version; ``comparable`` says whether
    scores may be joined across the change."""

    item: str
    comparable: bool
    note: str = ""


@dataclass(frozen=True)
class Item:
    """One question.

    ``kind`` is ``"ordinal"``, ``"categorical"`` or ``"text"``; ``scale`` names the
    response scale (``None`` for text). ``construct`` is filled in from the survey's
    constructs. ``expected`` is the instructed answer of an attention check.
    """

    id: str
    text: str
    kind: str
    scale: str | None = None
    required: bool = False
    reverse: bool = False
    role: str | None = None
    construct: str | None = None
    expected: int | str | None = None
    ask_if: Condition | None = None
    replaces: Lineage | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Construct:
    """A scored construct: the mean of its items when at least ``min_valid`` are answered.

    ``higher_is_better`` says which end of the scale is good (``better: lower`` in the file, as
    for holding issues back): percent favourable counts the answers at that end, and reports
    read every comparison in that direction.
    """

    id: str
    label: str
    items: tuple[str, ...]
    min_valid: int
    description: str = ""
    higher_is_better: bool = True


@dataclass(frozen=True)
class Survey:
    """A checked survey definition. Build it with :func:`load_survey`."""

    id: str
    version: str
    title: str
    scales: Mapping[str, Scale]
    items: tuple[Item, ...]
    constructs: Mapping[str, Construct]
    description: str = ""
    language: str = "en"
    path: str | None = field(default=None, compare=False)

    def item(self, item_id: str) -> Item:
        """The item called ``item_id``."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"survey {self.id!r} has no item {item_id!r}")

    def scale_of(self, item_id: str) -> Scale | None:
        """The response scale of an item (``None`` for a text item)."""
        it = self.item(item_id)
        return None if it.scale is None else self.scales[it.scale]

    def items_with_role(self, role: str) -> tuple[Item, ...]:
        """The items that have ``role`` (see :data:`ROLES`)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        return tuple(it for it in self.items if it.role == role)

    def role_item(self, role: str) -> Item | None:
        """The single item with a single-use role (team, cadence, meeting_length), if any."""
        found = self.items_with_role(role)
        return found[0] if found else None

    @property
    def item_columns(self) -> tuple[str, ...]:
        """Item columns of the canonical response table, in survey order.

        The item with role ``team`` has no column of its own: its answers are the
        ``team`` column.
        """
        return tuple(it.id for it in self.items if it.role != "team")

    @property
    def columns(self) -> tuple[str, ...]:
        """All columns of the canonical response table, in order."""
        return METADATA_COLUMNS + self.item_columns


# --------------------------------------------------------------------------- loading


def load_survey(path: str | Path) -> Survey:
    """Load and check a survey definition.

    Parameters
    ----------
    path : str or Path
        A YAML file in the format described in ``surveys/README.md``.

    Returns
    -------
    Survey

    Raises
    ------
    SurveyError
        When the file is missing, is not valid YAML, or breaks a rule of the format. The
        message names the file, the line and the key path.

    Examples
    --------
    >>> s = load_survey("surveys/one_on_one_pulse.yaml")
    >>> s.id, len(s.constructs) >= 6
    ('one_on_one_pulse', True)
    >>> s.constructs["depth"].items[:2]
    ('depth_beyond_status', 'depth_how_work')
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SurveyError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyError(f"cannot read the file: {exc}", path=path) from None
    return parse_survey(text, path=path)


def parse_survey(text: str, *, path: str | Path | None = None) -> Survey:
    """Check a survey definition given as YAML text; see :func:`load_survey`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = f" (column {mark.column + 1})" if mark is not None else ""
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise SurveyError(f"invalid YAML{col}: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise SurveyError(f"invalid YAML: {exc}", path=path) from None
    from toolkit.survey._yaml import Parser

    return Parser(path, root).survey(data)


def as_survey(survey: Survey | str | Path) -> Survey:
    """A :class:`Survey`, or the survey of a YAML file (:func:`load_survey`).

    Examples
    --------
    >>> as_survey("surveys/one_on_one_pulse.yaml").id
    'one_on_one_pulse'
    """
    if isinstance(survey, Survey):
        return survey
    if isinstance(survey, str | Path):
        return load_survey(survey)
    raise TypeError(f"survey must be a Survey or the path of its YAML file, got {type(survey).__name__}")
