r"""Careless-response flags: speeders, straight-liners, failed attention checks, duplicate submissions.

:func:`careless_flags` computes, for every row of a canonical response table, the indices
the careless-response literature uses (time per item, longstring, attention checks) and
which submissions a later one supersedes; :func:`careless_failures` turns the flags into
failure records in the format of :func:`toolkit.validate` (``row``, ``column``, ``rule``,
``value``, ``message``), so the ingest quarantines those rows with every reason instead of
dropping them. Failed attention checks are flagged here but not turned into failures: the
schema already reports them (rule ``attention_check``).

Everything is vectorised over rows (one pass per item column), so a table of a million
rows takes a fraction of a second; ``bench/bench_careless.py`` measures it.

References
----------
Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
personality inventories. *Journal of Research in Personality, 39*, 103-129.

Huang, J. L., Curran, P. G., Keeney, J., Poposki, E. M., & DeShon, R. P. (2012). Detecting
and deterring insufficient effort responding to surveys. *Journal of Business and
Psychology, 27*, 99-114 (the 2 seconds per item rule).

Yentes, R. D., & Wilhelm, F. (2023). careless: Procedures for computing indices of careless
responding. R package version 1.2.2 (``careless::longstring``).
"""

from __future__ import annotations

import itertools
import math
from numbers import Real

import numpy as np
import pandas as pd

from toolkit.errors import InputError
from toolkit.survey import Item, Survey
from toolkit.survey.schema import condition_holds

__all__ = ["FLAG_COLUMNS", "careless_failures", "careless_flags", "default_max_longstring"]

#: The columns of :func:`careless_flags`, in order.
FLAG_COLUMNS = (
    "n_answered",
    "seconds_per_item",
    "speeder",
    "longstring",
    "longstring_from",
    "straight_liner",
    "attention_failure",
    "duplicate",
)
_FAILURE_COLUMNS = ["row", "column", "rule", "value", "message"]
_RULE_ORDER = {"speeder": 0, "straight_liner": 1, "duplicate_submission": 2}


# --------------------------------------------------------------------------- public API


def default_max_longstring(survey: Survey) -> int:
    r"""The longest run of identical answers :func:`careless_flags` accepts by default.

    With :math:`k` scored items (the survey's ordinal items without a role, see
    :func:`careless_flags`) and :math:`L` the longest stretch of consecutive scored items
    keyed in the same direction (no reverse-keyed item switching in between),

    .. math:: m = \max\bigl(\lfloor k/2 \rfloor,\ \min(L,\ k - 1)\bigr)
              \quad (k \ge 2;\ m = k \text{ when } k < 2),

    and a respondent is a straight-liner when their longstring exceeds :math:`m`.

    Why: Johnson (2005) and ``careless::longstring`` leave the cut-off to the analyst, to
    be read off the observed distribution; more than half of the scored items is a
    conservative cut-off that needs no data to set. A consistent respondent changes their answer
    at a reverse-keyed item (the same answer to "my manager makes time for me" and "I
    often wait days for my manager" contradicts itself, unless it is the midpoint), so
    they can repeat one answer over at most :math:`L` consecutive items; :math:`m` is never
    below that, which matters for short surveys. And :math:`m < k`, so a respondent who
    gives the same answer to every scored item, reverse-keyed ones included, is always
    flagged. For the default survey :math:`k = 32`, :math:`L = 8` and :math:`m = 16`. A
    respondent who answers the midpoint throughout is flagged too, by design: such
    answers cannot be told apart from straight-lining and carry no information.

    Parameters
    ----------
    survey : Survey

    Returns
    -------
    int

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> default_max_longstring(load_survey("surveys/one_on_one_pulse.yaml"))
    16
    """
    _check_survey(survey)
    scored = _scored_items(survey)
    k = len(scored)
    if k < 2:
        return k
    longest = current = 1
    for before, after in itertools.pairwise(scored):
        current = current + 1 if before.reverse == after.reverse else 1
        longest = max(longest, current)
    return max(k // 2, min(longest, k - 1))


def careless_flags(
    responses: pd.DataFrame,
    survey: Survey,
    *,
    min_seconds_per_item: float = 2.0,
    max_longstring: int | None = None,
) -> pd.DataFrame:
    r"""Flag careless responses: speeders, straight-liners, failed attention checks, duplicates.

    Parameters
    ----------
    responses : DataFrame
        A canonical response table (see :func:`toolkit.canonical_dtypes`): integer codes
        for ordinal items, timestamps in ``submitted_at``, numbers in ``duration_s``. Other
        columns are ignored. Not changed.
    survey : Survey
        The survey the responses answer.
    min_seconds_per_item : float, default 2.0
        A response faster than this per answered item is a speeder (Huang et al., 2012).
    max_longstring : int, optional
        The longest run of identical answers accepted; default
        :func:`default_max_longstring` (16 for the default survey).

    Returns
    -------
    DataFrame
        Indexed like ``responses``, one row per response, with the columns of
        :data:`FLAG_COLUMNS`:

        ``n_answered`` (int)
            Ordinal items answered (attention checks included); not-applicable codes count
            as answers.
        ``seconds_per_item`` (Float64)
            :math:`\text{duration\_s} / \text{n\_answered}`; missing when the duration is
            missing or nothing was answered.
        ``speeder`` (bool)
            :math:`0 \le \text{seconds\_per\_item} < \text{min\_seconds\_per\_item}`. A
            missing time is not a speeder (it cannot be told), nor is a negative duration
            (a data error: validation reports it as ``non_negative``).
        ``longstring`` (int)
            The longest run of identical consecutive answers over the scored items (the
            survey's ordinal items without a role, in survey order), as Johnson (2005)
            defines it and ``careless::longstring`` computes it: with answers
            :math:`x_1..x_k`, the largest :math:`r` such that
            :math:`x_{j} = x_{j+1} = \dots = x_{j+r-1}`, all answered. Codes are compared as
            given (not reverse-keyed; a not-applicable code is an answer like any other),
            across scales too. **A missing answer breaks a run and is not part of one**,
            as in ``careless::longstring``, which takes ``max(rle(x)$lengths)`` and R's
            ``rle`` treats ``NA`` as different from everything, itself included: 3, 3, NA,
            3 has longstring 2. The one difference from R: a row without any answer has
            longstring 0 here (R gives 1, the length of a run of one ``NA``).
        ``longstring_from`` (categorical)
            The scored item where the (first) longest run starts; missing when longstring
            is 0.
        ``straight_liner`` (bool)
            :math:`\text{longstring} > \text{max\_longstring}`.
        ``attention_failure`` (bool)
            Some attention check answered other than its ``expected`` code. A missing
            answer is not a failure here (validation reports it as ``required`` when the
            check is required).
        ``duplicate`` (bool)
            A superseded submission: another row has the same ``respondent`` and ``wave``,
            and that row is kept instead. Per respondent and wave the kept row is the last
            complete submission by ``submitted_at``, or the last submission when none is
            complete; ties of ``submitted_at`` go to the later row, and a missing
            ``submitted_at`` counts as earliest. *Complete* means every required item is
            answered (not-applicable codes count), where an item with ``ask_if`` is
            required only when its condition holds (:func:`toolkit.survey.schema.condition_holds`;
            not when the item it depends on is unanswered). A row with a missing
            ``respondent`` or ``wave`` is never a duplicate.

    Raises
    ------
    TypeError
        When ``responses`` is not a DataFrame or ``survey`` not a Survey.
    ValueError
        When an option is out of range, naming it, what is allowed and what was given.
    InputError
        When a column the flags need is missing or not in canonical dtype (naming it), or
        the index has duplicate labels.

    See Also
    --------
    careless_failures : the flags as failure records, for the quarantine.

    Notes
    -----
    Checked against ``careless::longstring`` (R package careless 1.2.2) on its own test
    data and, on random answer sequences with missing answers, against a port of
    ``max(rle(x)$lengths)`` (``tests/test_careless.py``).

    Examples
    --------
    >>> from toolkit import load_survey, simulate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> table = simulate(survey, teams=3, waves=1, seed=1).responses["2026Q1"].iloc[:3].copy()
    >>> scored = [it.id for it in survey.items if it.kind == "ordinal" and it.role is None]
    >>> table.loc[1, scored] = 4  # "agree" to everything, reverse-keyed items included
    >>> table.loc[2, "duration_s"] = 40.0  # 33 items in 40 s
    >>> flags = careless_flags(table, survey)
    >>> flags[["n_answered", "speeder", "longstring", "straight_liner"]]
       n_answered  speeder  longstring  straight_liner
    0          33    False           4           False
    1          33    False          32            True
    2          33     True           3           False
    >>> round(float(flags.loc[2, "seconds_per_item"]), 2)
    1.21
    """
    _check_frame(responses, "responses")
    _check_survey(survey)
    min_seconds = _positive_number(min_seconds_per_item, "min_seconds_per_item")
    if max_longstring is None:
        limit = default_max_longstring(survey)
    else:
        limit = _whole_number(max_longstring, "max_longstring")
    _check_table(responses, survey)

    n = len(responses)
    ordinal = [it for it in survey.items if it.kind == "ordinal" and it.role != "team"]
    scored = _scored_items(survey)
    answered = np.zeros(n, dtype=np.int64)
    for it in ordinal:
        answered += responses[it.id].notna().to_numpy(dtype=bool)

    duration = pd.to_numeric(responses["duration_s"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_item = np.where(answered > 0, duration / np.maximum(answered, 1), np.nan)
    speeder = (per_item >= 0) & (per_item < min_seconds)  # NaN compares False

    length, start = _longstring([responses[it.id] for it in scored])
    longstring_from = pd.Categorical.from_codes(start, categories=[it.id for it in scored])

    attention = np.zeros(n, dtype=bool)
    for it in survey.items_with_role("attention_check"):
        col = responses[it.id]
        attention |= (col.notna() & (col != it.expected)).to_numpy(dtype=bool, na_value=False)

    out = pd.DataFrame(
        {
            "n_answered": answered,
            "seconds_per_item": pd.array(per_item, dtype="Float64"),
            "speeder": speeder,
            "longstring": length.astype(np.int64),
            "longstring_from": longstring_from,
            "straight_liner": length > limit,
            "attention_failure": attention,
            "duplicate": _superseded(responses, survey),
        },
        index=responses.index,
    )
    return out


def careless_failures(flags: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """The careless-response flags as failure records, in the format of :func:`toolkit.validate`.

    Parameters
    ----------
    flags : DataFrame
        From :func:`careless_flags` on ``responses``.
    responses : DataFrame
        The response table the flags were computed on (same index), in canonical dtypes or
        as text; it gives the respondents and answers named in the failures. Not changed.

    Returns
    -------
    DataFrame
        One row per failure, columns ``row`` (the index label of ``responses``),
        ``column``, ``rule``, ``value``, ``message``, ordered by row (in table order),
        then rule. The rules:

        ``speeder``
            column ``duration_s``; value the seconds per item, to two decimals.
        ``straight_liner``
            column the item where the longest run of identical answers starts (the cell to
            look at first: the run goes on from there in survey order); value the run's
            length.
        ``duplicate_submission``
            column ``respondent``; value the respondent; the message names the row kept
            instead.

        Failed attention checks are not listed: the schema reports them already (rule
        ``attention_check``), and listing them twice would count them twice.

    Raises
    ------
    TypeError
        When ``flags`` or ``responses`` is not a DataFrame.
    InputError
        When a column is missing from ``flags`` or ``responses`` (naming it).
    ValueError
        When ``flags`` is not indexed like ``responses``.

    Examples
    --------
    >>> from toolkit import load_survey, simulate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> table = simulate(survey, teams=3, waves=1, seed=1).responses["2026Q1"].iloc[:3].copy()
    >>> table.loc[2, "duration_s"] = 40.0
    >>> table.loc[1, "submitted_at"] = table.loc[2, "submitted_at"] + pd.Timedelta("1h")
    >>> table.loc[1, "respondent"] = table.loc[2, "respondent"]
    >>> failures = careless_failures(careless_flags(table, survey), table)
    >>> failures[["row", "column", "rule"]]
       row      column                  rule
    0    2  duration_s               speeder
    1    2  respondent  duplicate_submission
    >>> failures.loc[0, "value"]
    '1.21'
    >>> failures.loc[1, "message"].split(":")[0]
    'superseded by row 1 of the same respondent in wave 2026Q1'
    """
    _check_frame(flags, "flags")
    _check_frame(responses, "responses")
    needed = ["n_answered", "seconds_per_item", "speeder", "longstring", "longstring_from"]
    needed += ["straight_liner", "duplicate"]
    _require_columns(flags, needed, "flags (from careless_flags)")
    _require_columns(responses, ["respondent", "wave"], "responses")
    if not flags.index.equals(responses.index):
        raise ValueError(
            "flags must be indexed like responses (use careless_flags(responses, survey)); "
            f"got {len(flags)} flag rows for {len(responses)} responses, or other index labels"
        )
    parts = [
        _speeder_failures(flags, responses),
        _straight_failures(flags, responses),
        _duplicate_failures(flags, responses),
    ]
    pos = np.concatenate([p[0] for p in parts])
    table = pd.DataFrame(
        {
            "row": responses.index.take(pos),
            "column": pd.array(np.concatenate([p[1] for p in parts]), dtype="str"),
            "rule": pd.array(np.concatenate([p[2] for p in parts]), dtype="str"),
            "value": pd.array(np.concatenate([p[3] for p in parts]), dtype="str"),
            "message": pd.array(np.concatenate([p[4] for p in parts]), dtype="str"),
        }
    )
    rule_rank = table["rule"].map(_RULE_ORDER).to_numpy(dtype=np.int64)
    order = np.lexsort((rule_rank, pos))
    return table.take(order).reset_index(drop=True)


# --------------------------------------------------------------------------- the indices


def _scored_items(survey: Survey) -> list[Item]:
    """The items of the longstring: ordinal, without a role, in survey order."""
    return [it for it in survey.items if it.kind == "ordinal" and it.role is None]


def _longstring(columns: list[pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Longest run of identical consecutive answers per row, and the column it starts in.

    One vectorised pass per column: ``run`` is the length of the run ending at the current
    column (0 when its answer is missing), ``best`` the longest so far and ``end`` the
    column where it ended. Returns ``(best, start)``, ``start`` -1 where nothing was
    answered.
    """
    n = len(columns[0]) if columns else 0
    counter = np.int8 if len(columns) < 127 else np.int32
    best = np.zeros(n, dtype=counter)
    end = np.full(n, -1, dtype=np.int32)
    run = np.zeros(n, dtype=counter)
    same = np.zeros(n, dtype=bool)
    longer = np.empty(n, dtype=bool)
    previous = None
    for j, col in enumerate(columns):
        values, present = _codes(col, j)
        if previous is not None:
            # never true at a missing answer: the sentinels differ from codes and alternate
            np.equal(values, previous, out=same)
        run *= same  # run + 1 where the answer repeats the previous one, else 1 ...
        run += 1
        run *= present  # ... and 0 where it is missing
        np.greater(run, best, out=longer)
        np.copyto(best, run, where=longer)
        np.copyto(end, j, where=longer)
        previous = values
    start = np.where(best > 0, end - best + 1, -1).astype(np.int32)
    return best.astype(np.int64), start


def _codes(col: pd.Series, j: int) -> tuple[np.ndarray, np.ndarray]:
    """The codes of the ``j``-th column, missing answers as a sentinel, and where they are answered.

    Canonical Int8 codes widen to int16 with sentinels -1000 and -1001, other integers to
    int64 with the two smallest int64: out of the codes' range either way, and different on
    alternate columns, so that two consecutive missing answers never compare equal.
    """
    present = col.notna().to_numpy(dtype=bool)
    if col.dtype.itemsize == 1:
        return col.to_numpy(dtype=np.int16, na_value=-1000 - j % 2), present
    return col.to_numpy(dtype=np.int64, na_value=np.iinfo(np.int64).min + j % 2), present


def _superseded(responses: pd.DataFrame, survey: Survey) -> np.ndarray:
    """Rows superseded by another (complete) submission of the same respondent and wave."""
    n = len(responses)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    # respondents who submitted more than once (in any wave), then the waves of just those rows
    who, _ = pd.factorize(responses["respondent"], use_na_sentinel=True)
    counts = np.bincount(who[who >= 0], minlength=1)
    repeated = np.flatnonzero((who >= 0) & (counts[np.maximum(who, 0)] > 1))
    if len(repeated) == 0:
        return out
    wave, _ = pd.factorize(responses["wave"].iloc[repeated], use_na_sentinel=True)
    keep = wave >= 0
    repeated, wave = repeated[keep], wave[keep]
    group, _ = pd.factorize(who[repeated].astype(np.int64) * (int(wave.max(initial=0)) + 1) + wave)
    sizes = np.bincount(group, minlength=1)
    candidates = repeated[sizes[group] > 1]
    grp = group[sizes[group] > 1]
    if len(candidates) == 0:
        return out
    subset = responses.iloc[candidates]
    complete = _complete(subset, survey)
    stamp = subset["submitted_at"]
    if isinstance(stamp.dtype, pd.DatetimeTZDtype):
        stamp = stamp.dt.tz_convert("UTC").dt.tz_localize(None)
    ticks = stamp.to_numpy(dtype="datetime64[us]").view(np.int64)  # NaT is the smallest int64
    order = np.lexsort((candidates, ticks, complete, grp))  # the last key sorts first
    last = np.ones(len(order), dtype=bool)
    last[:-1] = grp[order][1:] != grp[order][:-1]
    out[candidates[order][~last]] = True
    return out


def _complete(table: pd.DataFrame, survey: Survey) -> np.ndarray:
    """Rows where every required item that was asked is answered."""
    ok = np.ones(len(table), dtype=bool)
    for it in survey.items:
        if not it.required or it.role == "team":
            continue
        answered = table[it.id].notna().to_numpy(dtype=bool)
        if it.ask_if is not None:
            asked = condition_holds(table, it.ask_if).fillna(False).to_numpy(dtype=bool)
            answered = answered | ~asked
        ok &= answered
    return ok


# --------------------------------------------------------------------------- failure records


def _speeder_failures(flags: pd.DataFrame, responses: pd.DataFrame) -> tuple:
    pos = np.flatnonzero(flags["speeder"].to_numpy(dtype=bool, na_value=False))
    per_item = flags["seconds_per_item"].iloc[pos].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    items = flags["n_answered"].iloc[pos].to_numpy()
    value = np.array([f"{v:.2f}" for v in per_item], dtype=object)
    message = np.array(
        [
            f"{k} items answered in {v * k:g} s, {v:.2f} s per item: too fast to have read them"
            for k, v in zip(items, per_item, strict=True)
        ],
        dtype=object,
    )
    return pos, _repeat("duration_s", pos), _repeat("speeder", pos), value, message


def _straight_failures(flags: pd.DataFrame, responses: pd.DataFrame) -> tuple:
    pos = np.flatnonzero(flags["straight_liner"].to_numpy(dtype=bool, na_value=False))
    first = flags["longstring_from"].iloc[pos].astype("object").to_numpy()
    length = flags["longstring"].iloc[pos].to_numpy()
    answer = np.full(len(pos), "?", dtype=object)
    for item in pd.unique(first[pd.notna(first)]):
        if item not in responses.columns:
            raise InputError(
                f"flags name item {item!r} as the start of a run, but responses have no such column",
                column=str(item),
            )
        at = first == item
        answer[at] = responses[item].iloc[pos[at]].astype("str").to_numpy(dtype=object)
    column = np.where(pd.isna(first), "", first).astype(object)
    value = length.astype(str).astype(object)
    message = np.array(
        [
            f"the same answer ({a}) to {k} consecutive items from {c}"
            for a, k, c in zip(answer, length, column, strict=True)
        ],
        dtype=object,
    )
    return pos, column, _repeat("straight_liner", pos), value, message


def _duplicate_failures(flags: pd.DataFrame, responses: pd.DataFrame) -> tuple:
    dup = flags["duplicate"].to_numpy(dtype=bool, na_value=False)
    pos = np.flatnonzero(dup)
    who = responses["respondent"].iloc[pos].astype("str").to_numpy(dtype=object)
    wave = responses["wave"].iloc[pos].astype("str").to_numpy(dtype=object)
    kept = np.full(len(pos), "", dtype=object)
    if len(pos):
        same = responses["respondent"].isin(pd.unique(who)).to_numpy(dtype=bool) & ~dup
        keepers = pd.DataFrame(
            {
                "respondent": responses["respondent"].to_numpy()[same].astype(str),
                "wave": responses["wave"].to_numpy()[same].astype(str),
                "kept": responses.index[same].astype(str),
            }
        ).drop_duplicates(["respondent", "wave"], keep="last")
        found = pd.DataFrame({"respondent": who, "wave": wave}).merge(
            keepers, on=["respondent", "wave"], how="left", sort=False
        )
        kept = found["kept"].to_numpy(dtype=object)
    message = np.array(
        [
            f"superseded by {'row ' + k if isinstance(k, str) else 'another row'} of the same respondent "
            f"in wave {w}: the last complete submission is kept, or the last one when none is complete"
            for k, w in zip(kept, wave, strict=True)
        ],
        dtype=object,
    )
    return pos, _repeat("respondent", pos), _repeat("duplicate_submission", pos), who, message


def _repeat(text: str, pos: np.ndarray) -> np.ndarray:
    return np.full(len(pos), text, dtype=object)


# --------------------------------------------------------------------------- argument checks


def _check_frame(value: object, name: str) -> None:
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(value).__name__}")


def _check_survey(survey: object) -> None:
    if not isinstance(survey, Survey):
        raise TypeError(f"survey must be a Survey (from toolkit.load_survey), got {type(survey).__name__}")


def _positive_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number of seconds; got {value!r}")
    return float(value)


def _whole_number(value: object, name: str) -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0
    if not ok:
        raise ValueError(
            f"{name} must be None (the survey's default rule) or a whole number >= 0; got {value!r}"
        )
    return int(value)


def _require_columns(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{what} lacks the columns {', '.join(missing)}", column=missing[0])


def _check_table(responses: pd.DataFrame, survey: Survey) -> None:
    """The columns the flags need, present and in canonical dtype."""
    needed = ["respondent", "wave", "submitted_at", "duration_s"]
    for it in survey.items:
        if it.role == "team":
            continue
        if it.kind == "ordinal" or it.role == "attention_check" or it.required:
            needed.append(it.id)
            if it.required and it.ask_if is not None:
                needed.append(it.ask_if.item)
    needed = list(dict.fromkeys(needed))
    _require_columns(responses, needed, f"responses to survey {survey.id!r} version {survey.version}")
    hint = "convert the table with toolkit.survey.validate.to_canonical (or toolkit.validate) first"
    for it in survey.items:
        if it.kind == "ordinal" and it.role != "team":
            dtype = responses[it.id].dtype
            if not pd.api.types.is_integer_dtype(dtype):
                raise InputError(
                    f"ordinal item {it.id} must hold integer codes, not {dtype}; {hint}", column=it.id
                )
    dtype = responses["duration_s"].dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise InputError(f"duration_s must hold numbers of seconds, not {dtype}; {hint}", column="duration_s")
    dtype = responses["submitted_at"].dtype
    if not pd.api.types.is_datetime64_any_dtype(dtype):
        raise InputError(f"submitted_at must hold timestamps, not {dtype}; {hint}", column="submitted_at")
    if responses.index.has_duplicates:
        raise InputError("the table's index has duplicate labels; rows could not be told apart")
