"""Validate a response table against its survey: every row ends up valid or quarantined.

:func:`validate` first converts each column to its canonical dtype (recording every value
that cannot be converted, instead of silently turning it into a missing value), then runs
the pandera schema of :func:`toolkit.response_schema` lazily, so that all failures are
found at once. Rows with any failure go to the quarantine with every reason; the others
are the valid canonical table. ``rows read = rows valid + rows quarantined`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import InputError
from toolkit.survey import Survey
from toolkit.survey.schema import canonical_dtypes, frame_rules, response_schema

__all__ = ["Validation", "to_canonical", "validate"]

FAILURE_COLUMNS = ["row", "column", "rule", "value", "message"]

_PANDERA_RULES = {
    "not_nullable": "required",
    "multiple_fields_uniqueness": "unique_per_wave",
    "field_uniqueness": "unique_per_wave",
}


@dataclass(frozen=True)
class Validation:
    """The outcome of :func:`validate`.

    Attributes
    ----------
    valid : DataFrame
        The rows that pass every rule, in canonical dtypes, indexed as the input was.
    quarantine : DataFrame
        The rows that fail, with their values as given, a ``reasons`` column listing every
        failure (``column: rule (value)``), indexed as the input was.
    failures : DataFrame
        One row per failure: ``row`` (the input's index label), ``column``, ``rule``,
        ``value`` (as given, as text) and ``message``.
    """

    valid: pd.DataFrame
    quarantine: pd.DataFrame
    failures: pd.DataFrame

    @property
    def n_read(self) -> int:
        """Rows given to :func:`validate`."""
        return len(self.valid) + len(self.quarantine)

    def with_failures(self, source: pd.DataFrame, failures: pd.DataFrame) -> Validation:
        """Add failures found by other checks (a reader, careless-response flags, the roster).

        Their rows move from the valid table to the quarantine. ``source`` is the table as
        given for every row: the rows this validation saw, and rows held back from it (such
        as superseded duplicate submissions), each of which must have a failure here, so that
        rows read = rows valid + rows quarantined still holds.

        Parameters
        ----------
        source : DataFrame
            Every row as given, indexed as the failures' ``row``.
        failures : DataFrame
            With the columns of :attr:`failures` (``row``, ``column``, ``rule``, ``value``,
            ``message``).
        """
        missing = [c for c in FAILURE_COLUMNS if c not in failures.columns]
        if missing:
            raise ValueError(f"failures must have the columns {FAILURE_COLUMNS}; missing {missing}")
        seen = self.valid.index.union(self.quarantine.index)
        unseen = source.index.difference(seen).difference(pd.Index(pd.unique(failures["row"])))
        if len(unseen):
            raise ValueError(
                f"rows {list(unseen[:5])} were neither validated nor given a failure: they would be lost"
            )
        unknown = pd.Index(pd.unique(failures["row"])).difference(source.index)
        if len(unknown):
            raise ValueError(f"failures name rows {list(unknown[:5])} that are not in the source table")
        parts = [f for f in (self.failures, failures[FAILURE_COLUMNS]) if not f.empty]
        merged = pd.concat(parts, ignore_index=True) if parts else self.failures
        pos = pd.Series(source.index.get_indexer(merged["row"]), index=merged.index)
        merged = _unshadowed(merged.assign(_pos=pos).sort_values("_pos", kind="stable").drop(columns="_pos"))
        merged = merged.reset_index(drop=True)
        return _split(source.drop(columns="reasons", errors="ignore"), self.valid, merged)

    @property
    def ok(self) -> bool:
        """True when no row failed."""
        return self.failures.empty

    def summary(self, *, examples: int = 5) -> pd.DataFrame:
        """Failures counted by rule and column, with the first few failing rows.

        Columns: ``rule``, ``column``, ``n_failures``, ``n_rows``, ``example_rows``,
        ``message``; sorted by number of failures, largest first.
        """
        if self.failures.empty:
            return pd.DataFrame(columns=["rule", "column", "n_failures", "n_rows", "example_rows", "message"])
        grouped = self.failures.groupby(["rule", "column"], sort=False)
        out = grouped.agg(
            n_failures=("row", "size"),
            n_rows=("row", "nunique"),
            example_rows=("row", lambda r: ", ".join(map(str, pd.unique(r)[:examples]))),
            message=("message", "first"),
        ).reset_index()
        return out.sort_values(
            ["n_failures", "rule", "column"], ascending=[False, True, True], ignore_index=True
        )


def validate(
    responses: pd.DataFrame,
    survey: Survey,
    *,
    roster: pd.DataFrame | None = None,
    source: str | None = None,
) -> Validation:
    """Sort a response table into valid and quarantined rows.

    Parameters
    ----------
    responses : DataFrame
        The response table: the canonical columns of ``survey`` (see
        :attr:`toolkit.survey.Survey.columns`), as canonical dtypes or as text (as read from
        CSV). The input is not changed.
    survey : Survey
        The survey the responses answer.
    roster : DataFrame, optional
        With a ``team`` column: responses from unknown teams fail ``known_team``.
    source : str, optional
        The file the table came from, named in errors.

    Returns
    -------
    Validation

    Raises
    ------
    InputError
        When the table cannot be validated at all: canonical columns missing, or columns
        that are not part of the survey (they might be identifiers, so they are never
        passed on silently).

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> from toolkit.ingest import read_canonical
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> table = read_canonical("data/sample/responses_2026Q1.csv")
    >>> result = validate(table, survey)
    >>> result.n_read == len(result.valid) + len(result.quarantine)
    True
    """
    _check_columns(responses, survey, source)
    typed, failures = to_canonical(responses, survey)
    return validate_typed(responses, typed, failures, survey, response_schema(survey, roster=roster))


def validate_typed(
    responses: pd.DataFrame,
    typed: pd.DataFrame,
    failures: list[tuple],
    survey: Survey,
    schema: pandera.DataFrameSchema,
) -> Validation:
    """The second half of :func:`validate`, for a caller that has converted the table already.

    ``typed`` is ``responses`` after :func:`to_canonical` (the same object when the table was
    canonical), ``failures`` its conversion failures; ``schema`` is :func:`toolkit.response_schema`
    of ``survey``, possibly without rules the caller has settled itself (the ingest pipeline
    resolves duplicate submissions before validating, so ``unique_per_wave`` cannot fail there).
    """
    table = pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    try:
        schema.validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        found = _schema_failures(exc.failure_cases, schema, responses, survey)
        if len(found):
            table = pd.concat([t for t in (table, found) if not t.empty], ignore_index=True)
    table = _dedupe_failures(table, responses, survey)
    return _split(responses, typed, table)


def _split(source: pd.DataFrame, typed: pd.DataFrame, failures: pd.DataFrame) -> Validation:
    """Rows of ``typed`` without failures are valid; rows of ``source`` with any are quarantined."""
    bad = pd.unique(failures["row"])
    quarantine = source.loc[source.index.isin(bad)].copy()
    quarantine["reasons"] = _reasons(failures).reindex(quarantine.index).astype("str")
    keep = ~typed.index.isin(bad)
    # the common case, nothing to hold back: no copy of a table that may have a million rows
    valid = typed if keep.all() else typed.loc[keep]
    return Validation(valid=valid, quarantine=quarantine, failures=failures)


def to_canonical(responses: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, list[tuple]]:
    """Convert every column to its canonical dtype.

    Returns the converted table and the failures of conversion: values that are not
    numbers, whole numbers, timestamps or known codes become missing in the table and are
    listed as ``(row, column, rule, value, message)``. Columns already in canonical dtype
    pass through unchanged.
    """
    dtypes = canonical_dtypes(survey)
    out = {}
    failures: list[tuple] = []
    for col, dtype in dtypes.items():
        s = responses[col]
        if col == "submitted_at":
            conv = _to_timestamp(s)
            failed = s.notna() & conv.isna()
            msg = "not a timestamp (use ISO 8601, e.g. 2026-07-01T09:30:00Z)"
        elif dtype == "Float64":
            conv = pd.to_numeric(_as_text_if_object(s), errors="coerce").astype("Float64")
            failed = s.notna() & conv.isna()
            msg = "not a number"
        elif dtype == "Int8":
            conv, failed, msg = _to_int8(s)
        elif isinstance(dtype, pd.CategoricalDtype):
            codes = list(dtype.categories)
            conv = _to_category(s, dtype)
            failed = s.notna() & conv.isna()
            msg = f"allowed codes: {', '.join(codes)}"
            for row, value in s[failed].items():
                failures.append((row, col, "allowed_values", _show(value), msg))
            out[col] = conv
            continue
        else:
            conv = s.astype("str")
            if col in ("respondent", "wave", "team"):
                conv = conv.str.strip()
            failed = pd.Series(False, index=s.index)
            msg = ""
        for row, value in s[failed].items():
            failures.append((row, col, "dtype", _show(value), msg))
        out[col] = conv
    return pd.DataFrame(out, index=responses.index), failures


def _as_text_if_object(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip() if not pd.api.types.is_numeric_dtype(s) else s


def _to_int8(s: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    if s.dtype == "Int8":
        return s, pd.Series(False, index=s.index), ""
    fast = _arrow_int8(s)
    if fast is not None:
        return fast, pd.Series(False, index=s.index), ""
    # convert each distinct value once: a column of a million answers holds a handful
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    distinct = pd.Series(uniques)
    num = pd.to_numeric(_as_text_if_object(distinct), errors="coerce").astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(num) & (num == np.round(num)) & (num >= -128) & (num <= 127)
    good = np.append(ok, False)[codes]  # the sentinel -1 picks the appended False
    values = np.append(np.where(ok, num, 0), 0)[codes].astype("int8")
    conv = pd.Series(pd.arrays.IntegerArray(values, ~good), index=s.index)
    failed = pd.Series((codes >= 0) & ~good, index=s.index)
    return conv, failed, "not a whole-number code"


def _arrow_int8(s: pd.Series) -> pd.Series | None:
    """Text that is all clean whole-number codes, cast by Arrow in one pass (several times faster
    than factorising); ``None`` when any value is not, so that the exact path reports it."""
    if not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        return None
    try:
        codes = pc.cast(pa.array(s, from_pandas=True), pa.int8())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = codes.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get).array
    return pd.Series(values, index=s.index)


def _to_category(s: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    if s.dtype == dtype:
        return s
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    distinct = pd.Series(uniques).astype("str").str.strip()
    position = pd.Index(dtype.categories).get_indexer(distinct)  # -1 for an unknown code
    cat_codes = np.append(position, -1)[codes]
    return pd.Series(pd.Categorical.from_codes(cat_codes, dtype=dtype), index=s.index)


def _to_timestamp(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.as_unit("us")
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return s.dt.tz_localize("UTC").dt.as_unit("us")
    text = s.astype("str").str.strip()
    conv = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    return conv.dt.as_unit("us")


def _check_columns(responses: pd.DataFrame, survey: Survey, source: str | None) -> None:
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a pandas DataFrame, got {type(responses).__name__}")
    expected = list(survey.columns)
    missing = [c for c in expected if c not in responses.columns]
    extra = [str(c) for c in responses.columns if c not in expected]
    where = f"survey {survey.id!r} version {survey.version}"
    if missing:
        raise InputError(
            f"missing columns {', '.join(missing)} that {where} needs. Is this the right survey, "
            "and is the table in canonical form (one column per item id)?",
            path=source,
            column=missing[0],
        )
    if extra:
        raise InputError(
            f"columns {', '.join(extra)} are not part of {where}. Unknown columns are never passed "
            "on (they may hold identifiers): remove them, or validate with the survey they belong to.",
            path=source,
            column=extra[0],
        )
    if responses.index.has_duplicates:
        raise InputError("the table's index has duplicate labels; rows could not be told apart", path=source)


def _schema_failures(
    cases: pd.DataFrame, schema: pandera.DataFrameSchema, responses: pd.DataFrame, survey: Survey
) -> pd.DataFrame:
    """pandera's failure cases as failure records, column by column and rule by rule (not case by
    case: a million-row export can have a hundred thousand failures)."""
    if cases.empty:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    index = cases["index"]
    no_row = index.isna().to_numpy()
    if no_row.any():
        # a table-level failure (a column or dtype problem) that has no row
        case = cases.loc[no_row].iloc[0]
        raise InputError(
            f"the table does not fit the schema: {case['check']} ({case['failure_case']})",
            column=None if case["column"] is None else str(case["column"]),
        )
    rules = frame_rules(survey)
    check = cases["check"].astype("str").to_numpy(dtype=object)
    column = cases["column"].map(str).to_numpy(dtype=object)
    context = cases["schema_context"].astype("str").to_numpy(dtype=object)
    number = pd.to_numeric(cases["check_number"], errors="coerce").to_numpy(dtype=float)
    rule = np.empty(len(cases), dtype=object)
    # one decision per distinct (check, column, context, check number), applied to all its cases
    keys = pd.DataFrame({"check": check, "column": column, "context": context, "number": number})
    codes, distinct = pd.factorize(pd.MultiIndex.from_frame(keys))
    out_column = np.empty(len(cases), dtype=object)
    for k, (chk, col, ctx, num) in enumerate(distinct):
        r = _PANDERA_RULES.get(chk, chk)
        if r.startswith("dtype(") or r.startswith("coerce_dtype("):
            r = "dtype"
        numbered = not np.isnan(num)
        if ctx == "Column" and numbered:
            r = schema.columns[col].checks[int(num)].name
        elif ctx == "DataFrameSchema":
            # a table-level check lists the failing row once per non-missing cell: name the
            # column it is about instead (duplicates are dropped later)
            if r == "unique_per_wave":
                col = "respondent"
            elif numbered:
                col = rules[int(num)][0]
        at = codes == k
        rule[at], out_column[at] = r, col
    value = cases["failure_case"].map(_show).to_numpy(dtype=object)
    for col in pd.unique(out_column):
        if col in responses.columns:
            at = out_column == col
            value[at] = _shown(responses[col].reindex(index[at].to_numpy()))
    messages = {(r, c): _message(r, c, survey) for r, c in set(zip(rule, out_column, strict=True))}
    message = [messages[rc] for rc in zip(rule, out_column, strict=True)]
    return pd.DataFrame(
        {"row": index.to_numpy(), "column": out_column, "rule": rule, "value": value, "message": message},
        columns=FAILURE_COLUMNS,
    )


def _shown(values: pd.Series) -> np.ndarray:
    """:func:`_show` of every value: text as it is, missing as ``missing``."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.astype(object).where(values.notna(), "missing").to_numpy(dtype=object)
    return values.map(_show).to_numpy(dtype=object)


def _message(rule: str, column: str, survey: Survey) -> str:
    if rule == "required":
        return f"{column} is required"
    if rule == "unique_per_wave":
        return "the same respondent appears more than once in this wave"
    if rule == "attention_check":
        return f"the instructed answer was {survey.item(column).expected}"
    if rule in ("asked_if", "required_if"):
        cond = survey.item(column).ask_if.describe()
        return (
            f"{column} is only asked when {cond}"
            if rule == "asked_if"
            else f"{column} is required when {cond}"
        )
    if rule == "allowed_values":
        scale = survey.scale_of(column)
        return f"allowed codes: {', '.join(map(str, scale.allowed))}"
    if rule == "known_team":
        return "team not in the roster"
    if rule == "wave_format":
        return "wave must look like 2026Q3"
    if rule == "non_negative":
        return "must not be negative"
    if rule == "non_empty":
        return "must not be empty"
    return rule


def _dedupe_failures(table: pd.DataFrame, responses: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Drop shadowed failures (see :func:`_unshadowed`) and order failures by row, then column."""
    if table.empty:
        return table
    table = _unshadowed(table)
    order = {c: i for i, c in enumerate(survey.columns)}
    pos = pd.Series(responses.index.get_indexer(table["row"]), index=table.index)
    return (
        table.assign(_pos=pos, _col=table["column"].map(order))
        .sort_values(["_pos", "_col", "rule"], kind="stable")
        .drop(columns=["_pos", "_col"])
        .reset_index(drop=True)
    )


def _unshadowed(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the ``required`` failure of a cell whose value failed conversion (it is missing only
    because it was unreadable) and repeated failures of one rule on one cell."""
    unreadable = table["rule"].isin(["dtype", "allowed_values"])
    cells = pd.MultiIndex.from_frame(table[["row", "column"]])
    shadowed = table["rule"].isin(["required", "required_if"]).to_numpy() & cells.isin(
        cells[unreadable.to_numpy()]
    )
    return table.loc[~shadowed].drop_duplicates(["row", "column", "rule"])


def _reasons(table: pd.DataFrame) -> pd.Series:
    if table.empty:
        return pd.Series(dtype="str")
    text = (table["column"] + ": " + table["rule"] + " (" + table["value"] + ")").astype(object)
    codes, rows = pd.factorize(table["row"], sort=False)
    counts = np.bincount(codes, minlength=len(rows))
    out = np.empty(len(rows), dtype=object)
    first = np.full(len(rows), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    single = counts == 1
    out[single] = text.to_numpy()[first[single]]
    if not single.all():  # rows with several reasons: joined in the order they were found
        several = ~single[codes]
        joined = text[several].groupby(codes[several], sort=False).agg("; ".join)
        out[joined.index.to_numpy()] = joined.to_numpy()
    return pd.Series(out, index=rows)


def _show(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    return str(value)
