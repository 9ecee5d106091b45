"""The pandera schema of the canonical response table, generated from a survey.

The canonical table has one row per respondent per wave: ``respondent``, ``wave``, ``team``,
``submitted_at`` (UTC), ``duration_s``, then one column per item (see
:attr:`toolkit.survey.Survey.columns`). Ordinal items are nullable ``Int8`` codes, categorical
items pandas categoricals whose categories are the scale's codes, text items strings.

Every check has a stable name, used as the *rule* in validation reports; :data:`RULES`
lists them with what fails each.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from toolkit.survey import Condition, Item, Survey

__all__ = [
    "RULES",
    "WAVE_PATTERN",
    "canonical_dtypes",
    "condition_holds",
    "frame_rules",
    "response_schema",
]

WAVE_PATTERN = r"^\d{4}Q[1-4]$"
#: Every validation rule, with what fails it.
RULES = {
    "required": "a required item, or an id column, is missing",
    "allowed_values": "a code that is neither an answer nor a not-applicable code of the item's scale",
    "wave_format": "a wave that is not like 2026Q3",
    "non_empty": "an empty respondent or team id",
    "known_team": "a team that is not in the roster (only checked with a roster)",
    "non_negative": "a negative duration",
    "attention_check": "an attention check answered other than instructed",
    "unique_per_wave": "the same respondent twice in one wave",
    "asked_if": "an answer to a question that should not have been asked",
    "required_if": "no answer to a required question that was asked",
    "dtype": "a value of the wrong type (text where a number or timestamp belongs)",
}
_TIMESTAMP = pd.DatetimeTZDtype("us", "UTC")


def canonical_dtypes(survey: Survey) -> dict[str, object]:
    """The dtype of every canonical column, in table order.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> d = canonical_dtypes(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> d["avail_reachable"], str(d["submitted_at"]), list(d["cadence"].categories)[:2]
    ('Int8', 'datetime64[us, UTC]', ['weekly', 'biweekly'])
    """
    out: dict[str, object] = {
        "respondent": "str",
        "wave": "str",
        "team": "str",
        "submitted_at": _TIMESTAMP,
        "duration_s": "Float64",
    }
    for item in survey.items:
        if item.role == "team":
            continue
        out[item.id] = _item_dtype(survey, item)
    return out


def _item_dtype(survey: Survey, item: Item) -> object:
    if item.kind == "ordinal":
        return "Int8"
    if item.kind == "categorical":
        return pd.CategoricalDtype(list(survey.scales[item.scale].allowed), ordered=False)
    return "str"


def condition_holds(df: pd.DataFrame, cond: Condition) -> pd.Series:
    """Where an item's ``ask_if`` condition is true: a nullable boolean Series, missing
    where the item it depends on is unanswered."""
    target = df[cond.item]
    hit = target.isin(list(cond.codes))
    if cond.negate:
        hit = ~hit
    return hit.astype("boolean").mask(target.isna())


def response_schema(
    survey: Survey, *, roster: pd.DataFrame | Iterable[str] | None = None
) -> pa.DataFrameSchema:
    """The pandera schema of the canonical response table for ``survey``.

    Parameters
    ----------
    survey : Survey
        From :func:`toolkit.load_survey`.
    roster : DataFrame or iterable of str, optional
        The known teams: a roster with a ``team`` column, or the team ids themselves. When
        given, a response from any other team fails the ``known_team`` rule.

    Returns
    -------
    pandera.DataFrameSchema
        Strict (no columns beyond the survey's), with the rules listed in this module's
        documentation. Validate with ``lazy=True`` to see every failure at once;
        :func:`toolkit.validate` does that and sorts rows into valid and quarantined.

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> schema = response_schema(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> list(schema.columns)[:5]
    ['respondent', 'wave', 'team', 'submitted_at', 'duration_s']
    """
    teams = _teams(roster)
    team_checks = [pa.Check.str_length(min_value=1, name="non_empty")]
    if teams is not None:
        team_checks.append(_known_team(teams))
    columns: dict[str, pa.Column] = {
        "respondent": pa.Column(
            "str",
            pa.Check.str_length(min_value=1, name="non_empty"),
            nullable=False,
        ),
        "wave": pa.Column(
            "str",
            pa.Check.str_matches(WAVE_PATTERN, name="wave_format"),
            nullable=False,
        ),
        "team": pa.Column("str", team_checks, nullable=False),
        "submitted_at": pa.Column(_TIMESTAMP, nullable=False),
        "duration_s": pa.Column(
            "Float64",
            pa.Check.ge(0, name="non_negative"),
            nullable=True,
        ),
    }
    for item in survey.items:
        if item.role == "team":
            continue
        checks: list[pa.Check] = []
        scale = survey.scales.get(item.scale) if item.scale else None
        if scale is not None:
            checks.append(pa.Check.isin(list(scale.allowed), name="allowed_values"))
        if item.role == "attention_check":
            checks.append(_attention_check(item))
        columns[item.id] = pa.Column(
            _item_dtype(survey, item),
            checks,
            nullable=not item.required or item.ask_if is not None,
            description=item.text,
            title=item.id,
        )
    return pa.DataFrameSchema(
        columns,
        checks=[*(check for _, check in frame_rules(survey)), _unique_per_wave()],
        strict=True,
        name=f"{survey.id} {survey.version} responses",
    )


def without_rule(schema: pa.DataFrameSchema, rule: str) -> pa.DataFrameSchema:
    """A copy of ``schema`` without its table-level check named ``rule`` (``frame_rules`` keep
    their numbers: only a check after them, such as ``unique_per_wave``, may be removed)."""
    checks = [c for c in schema.checks if c.name != rule]
    kept = [c.name for c in checks]
    if len(checks) == len(schema.checks):
        raise ValueError(f"the schema has no table-level rule {rule!r}; it has {kept}")
    out = copy.copy(schema)
    out.checks = checks
    return out


def _teams(roster: pd.DataFrame | Iterable[str] | None) -> pd.Index | None:
    if roster is None:
        return None
    if isinstance(roster, pd.DataFrame):
        if "team" not in roster.columns:
            raise ValueError(
                f"roster must have a 'team' column; it has {', '.join(map(str, roster.columns))}"
            )
        values = roster["team"].dropna()
    elif isinstance(roster, str):
        raise TypeError(
            "roster must be a DataFrame with a 'team' column or an iterable of team ids, not one string"
        )
    else:
        values = pd.Series(list(roster)).dropna()
    return pd.Index(pd.unique(values.astype("str")))


def frame_rules(survey: Survey) -> list[tuple[str, pa.Check]]:
    """The schema's table-level checks, each with the item column it is about, in the
    order of ``schema.checks`` (so a failure's ``check_number`` finds its column)."""
    rules = []
    for item in survey.items:
        if item.ask_if is not None:
            rules.append((item.id, _asked_if(item)))
            if item.required:
                rules.append((item.id, _required_if(item)))
    return rules


def _known_team(teams: pd.Index) -> pa.Check:
    """Team ids in the roster: a hash lookup, as fast for 100,000 teams as for 10 (pandas'
    ``isin`` on string columns slows down with the number of values looked for)."""

    def passed(s: pd.Series) -> pd.Series:
        return pd.Series(teams.get_indexer(s) >= 0, index=s.index) | s.isna()

    return pa.Check(passed, name="known_team")


def _unique_per_wave() -> pa.Check:
    """One row per respondent and wave; every row of a duplicate fails. The same rule as
    pandera's ``unique=["respondent", "wave"]``, but a wave's table holds one wave, and then
    only the respondent column is hashed (half the time on a million rows)."""

    def passed(df: pd.DataFrame) -> pd.Series:
        wave = df["wave"]
        if len(wave) == 0 or bool((wave == wave.iloc[0]).all()):
            repeated = df["respondent"].duplicated(keep=False)
        else:
            repeated = df.duplicated(["respondent", "wave"], keep=False)
        return ~repeated

    return pa.Check(passed, name="unique_per_wave")


def _attention_check(item: Item) -> pa.Check:
    expected = item.expected

    def passed(s: pd.Series) -> pd.Series:
        return (s.isna() | (s == expected)).astype(bool)

    return pa.Check(passed, name="attention_check")


def _asked_if(item: Item) -> pa.Check:
    cond, col = item.ask_if, item.id

    def passed(df: pd.DataFrame) -> pd.Series:
        holds = condition_holds(df, cond)
        return pd.Series(np.asarray(df[col].isna() | holds.fillna(True), dtype=bool), index=df.index)

    return pa.Check(passed, name="asked_if")


def _required_if(item: Item) -> pa.Check:
    cond, col = item.ask_if, item.id

    def passed(df: pd.DataFrame) -> pd.Series:
        holds = condition_holds(df, cond)
        return pd.Series(np.asarray(df[col].notna() | ~holds.fillna(False), dtype=bool), index=df.index)

    return pa.Check(passed, name="required_if")
