"""Research extracts: the stored waves, made fit to leave the people-analytics team.

:func:`research_extract` applies the privacy rules of DESIGN.md section 7 to the canonical
responses of some waves; :func:`write_extract` writes the result as SPSS (``.sav``), Stata
(``.dta``), CSV (with ``codebook.csv``, for R users) or Parquet, always with
``extract_report.md``: what was generalised or suppressed, and what risk remains.

What an extract contains, and why:

- ``respondent`` is a fresh pseudonym: HMAC-SHA256 of the stored pseudonym under a random key
  drawn for this extract and then thrown away. It is the same across the waves of one extract
  (panel analyses work) but unrelated to the store and to any other extract, so two extracts
  cannot be joined on it.
- The team id is dropped. With a units table, the team's ``level`` ancestor (its division, by
  default) takes its place as ``unit``; ``keep_teams=True`` keeps the team ids (asked for
  explicitly). Manager ids are never extracted: only the survey's own columns are copied, so
  nothing joined from a roster or ``teams.csv`` (its ``manager`` column) can leak.
- ``submitted_at`` is dropped (exact timestamps are quasi-identifiers, and the wave already
  dates the answer), and so is ``duration_s`` (durations can be matched with platform logs).
  Free text (comments, any text item) is never extracted: names and other identifying detail
  cannot be removed reliably.
- The quasi-identifiers (the unit or team, and the survey's demographic items) are generalised
  until every combination of them holds at least ``k`` respondents in every wave: see
  :mod:`toolkit.privacy._kanon` for the procedure. The check is per wave because each wave is a table of
  its own with one row per person. A wave with fewer than ``k`` rows is dropped. When every unit
  ends up as the organisation, the ``unit`` column (one value) is dropped and the report says
  so: the units could not be kept at the level asked for without breaking ``k``.

What remains, and how to hand extracts out (``extract_report.md`` repeats it):

- Fresh pseudonyms stop joining extracts by id, not by content: the rows of two extracts of the
  same waves, or of an extract and the store, can still be matched on their answers (in the
  sample, the 33 scale answers alone make 1305 of 1328 rows unique in their wave). So
  k-anonymity holds for one extract at a time: give a researcher one extract, never release two
  differently generalised extracts of the same waves to the same people, and keep extracts under
  a data-use agreement.
- The 1:1 cadence and meeting-length answers are not treated as quasi-identifiers, although
  colleagues may know them.
- A fixed ``rng`` (the CLI's ``--seed``) makes the row order reproducible, so the rows of two
  extracts made with the same seed line up; leave it unset for releases.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError, ToolkitError
from toolkit.privacy._kanon import Generaliser, QuasiIdentifier
from toolkit.survey import Survey
from toolkit.survey.codebook import codebook as survey_codebook
from toolkit.units import KINDS, Units

__all__ = ["FORMATS", "LEVELS", "Extract", "research_extract", "write_extract"]

#: Output formats of :func:`write_extract`.
FORMATS = ("sav", "dta", "csv", "parquet")
#: Unit kinds a team id may be coarsened to (``team`` only with ``keep_teams=True``).
LEVELS = KINDS
REPORT_COLUMNS = ["step", "column", "wave", "from", "to", "rows_affected", "reason"]
_STEPS = ("pseudonymise", "drop_column", "coarsen", "drop_rows", "generalise_unit", "merge_categories",
          "suppress")  # fmt: skip
CODEBOOK_COLUMNS = [
    "variable", "label", "type", "construct", "keying", "role",
    "values", "not_applicable", "numeric_codes", "note",
]  # fmt: skip


@dataclass(frozen=True, eq=False)
class Extract:
    """A research extract: the data, what was done to it, and its codebook.

    Attributes
    ----------
    data : DataFrame
        One row per respondent per wave: ``respondent`` (fresh pseudonym), ``wave``, ``team``
        (only with ``keep_teams``), ``unit`` (with a units table, unless every unit became the
        organisation), then the survey's non-text items. Generalised demographics are
        categoricals whose categories are the merged codes (``1_to_3y|over_3y``); suppressed
        values are missing.
    report : DataFrame
        One row per action: ``step`` (pseudonymise, drop_column, coarsen, drop_rows,
        generalise_unit, merge_categories, suppress), ``column``, ``wave`` (``all`` for a step
        applied to every wave), ``from``, ``to``, ``rows_affected``, ``reason``. Suppressions
        are counted per wave and column, never listed by value or unit.
    codebook : DataFrame
        One row per column of ``data``: ``variable``, ``label``, ``type``, ``construct``,
        ``keying``, ``role``, ``values`` (``code=label; ...`` after generalisation),
        ``not_applicable``, ``numeric_codes`` (the number each code of a categorical column
        gets in SPSS and Stata files) and ``note``.
    k : int
        Every combination of quasi-identifiers holds at least ``k`` rows in every wave.
    level : str
        The kind of unit the ``unit`` column holds before generalisation (``division``, ...);
        ``organisation`` when every unit became the organisation and the column was dropped;
        ``team`` when only team ids are kept; ``none`` when there is no unit.
    waves : tuple of str
        The waves in ``data`` (a wave of the input with fewer than ``k`` rows is dropped).
    min_group : dict
        The smallest quasi-identifier group of each wave in ``data``.
    quasi_identifiers : tuple of str
        The columns of ``data`` checked for k-anonymity.
    """

    data: pd.DataFrame
    report: pd.DataFrame
    codebook: pd.DataFrame
    k: int
    level: str
    waves: tuple[str, ...]
    min_group: dict
    quasi_identifiers: tuple[str, ...]
    rows_in: int = 0

    def summary(self) -> str:
        """A Markdown summary: rows, waves, k, what was generalised, suppressed or dropped."""
        rep = self.report
        n_resp = self.data["respondent"].nunique()
        lines = [
            "# Research extract",
            "",
            f"- Rows: {len(self.data)} of {self.rows_in} ({n_resp} respondents, fresh pseudonyms)",
            f"- Waves: {', '.join(self.waves) or 'none'}",
        ]
        for _, r in rep[rep["step"] == "drop_rows"].iterrows():
            lines.append(f"- Wave {r['wave']} dropped ({r['rows_affected']} rows): {r['reason']}")
        lines += [
            f"- Quasi-identifiers: {', '.join(self.quasi_identifiers) or 'none'}",
            f"- k = {self.k}: smallest group per wave "
            + (", ".join(f"{w}: {n}" for w, n in self.min_group.items()) or "none"),
            f"- Unit level: {self.level}",
        ]
        unit = rep[(rep["step"] == "drop_column") & (rep["column"] == "unit")]
        if len(unit):
            lines.append(f"- Unit column dropped: {unit['reason'].iloc[0]}")
        for step, what in (
            ("generalise_unit", "Units moved up the hierarchy"),
            ("merge_categories", "Categories merged"),
        ):
            sub = rep[rep["step"] == step]
            if len(sub):
                lines.append(f"- {what}: " + "; ".join(f"{r['column']}: {r['from']} -> {r['to']}"
                                                       for _, r in sub.iterrows()))  # fmt: skip
        supp = rep[rep["step"] == "suppress"]
        lines.append(f"- Values suppressed: {int(supp['rows_affected'].sum())}")
        dropped = rep[rep["step"] == "drop_rows"]
        lines.append(f"- Rows dropped: {int(dropped['rows_affected'].sum())}")
        return "\n".join(lines) + "\n"


def research_extract(
    responses: pd.DataFrame,
    survey: Survey,
    *,
    units: pd.DataFrame | None = None,
    teams: pd.DataFrame | None = None,
    level: str = "division",
    k: int = 5,
    keep_teams: bool = False,
    rng: np.random.Generator | int | None = None,
) -> Extract:
    """A research extract of canonical responses, k-anonymous per wave.

    Parameters
    ----------
    responses : DataFrame
        The canonical table of the waves to extract (:func:`toolkit.load_waves`). Not modified.
        Only the survey's columns are read; any other column is left out.
    survey : Survey
        The survey the waves answer.
    units : DataFrame, optional
        The organisation (``unit``, ``parent``, ``kind``); teams are its leaves. Without
        ``units`` and ``teams`` the team column is dropped and no unit is extracted.
    teams : DataFrame, optional
        The teams table (``team`` and ``department`` and/or ``division``), used for the
        hierarchy when ``units`` is not given. Its other columns (``manager``, policies) are
        never extracted.
    level : {"division", "organisation", "department", "team"}, default "division"
        The unit kind each team is coarsened to (a team without such an ancestor gets the
        next one up). ``"team"`` only with ``keep_teams=True``.
    k : int, default 5
        The least number of respondents of every quasi-identifier combination, per wave; at
        least 2.
    keep_teams : bool, default False
        Keep the team ids (the user asked for them): ``team`` stays, a quasi-identifier that
        is suppressed, never coarsened, where a team is too small; ``unit`` is added beside
        it unless ``level="team"``.
    rng : Generator or int, optional
        Shuffles the rows within each wave (the store's order is the submission order) and
        picks rows when a suppressed group must grow to ``k``. Never used for the pseudonym
        key, which always comes from :mod:`secrets`. A fixed seed makes the row order
        reproducible (rows of two extracts made with it line up): leave it unset for releases.

    Returns
    -------
    Extract

    Raises
    ------
    ToolkitError
        When ``k``, ``level`` or ``keep_teams`` is not allowed.
    InputError
        When ``responses`` lacks a survey column, or a team is not in ``units``/``teams``.

    Examples
    --------
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> valid = validate(read_canonical("data/sample/responses_2026Q1.csv"), survey).valid
    >>> units = pd.read_csv("data/sample/units.csv")
    >>> ex = research_extract(valid, survey, units=units, rng=1)
    >>> ex.data.columns[:4].tolist(), "team" in ex.data, "comment" in ex.data
    (['respondent', 'wave', 'cadence', 'meeting_length'], False, False)
    >>> ex.level, ex.quasi_identifiers  # no division keeps k=5 with these demographics
    ('organisation', ('tenure', 'location', 'level'))
    >>> qi = ["wave", *ex.quasi_identifiers]
    >>> int(ex.data.groupby(qi, dropna=False, observed=True).size().min()) >= 5
    True
    """
    _check_args(responses, survey, level=level, k=k, keep_teams=keep_teams)
    rng = np.random.default_rng(rng)
    tree = _hierarchy(units, teams)
    report: list[dict] = []
    wave = responses["wave"].astype("str").to_numpy(dtype=object)
    person = responses["respondent"].astype("str").to_numpy(dtype=object)
    team = responses["team"].astype("object").to_numpy()
    if pd.isna(team).any():
        raise InputError("responses have rows without a team", column="team")

    qis: list[QuasiIdentifier] = []
    if keep_teams:
        qis.append(QuasiIdentifier("team", "fixed", np.array([str(t) for t in team], dtype=object)))
    unit_level = "team" if keep_teams and level == "team" else level
    if tree is not None and unit_level != "team":
        qis.append(_unit_qi(team, tree, unit_level))
        report.append(_row("coarsen", "unit", "all", "team", unit_level, len(team),
                           f"team ids replaced by their {unit_level}"))  # fmt: skip
    if not keep_teams:
        why = "team ids are not extracted" + ("" if tree is not None else " (no units table given)")
        report.append(_row("drop_column", "team", "all", "team", "", len(team), why))
    demographics = [it for it in survey.items if it.role == "demographic"]
    for item in demographics:
        qis.append(_category_qi(responses, survey, item.id))

    gen = Generaliser(wave, person, qis, k=k, rng=rng).run()
    report += gen.actions
    data = _assemble(responses, survey, gen, qis, report)
    keep = ~gen.dropped
    order = rng.permutation(int(keep.sum()))
    kept = np.flatnonzero(keep)[order]
    kept = kept[np.argsort(wave[kept], kind="stable")]
    data = data.iloc[kept].reset_index(drop=True)
    columns = [q.column for q in qis]
    kind = unit_level if "unit" in columns else "team" if keep_teams else "none"
    if "unit" in data and len(data) and (data["unit"] == tree["root"]).all():
        # one value in every wave: the column tells nothing, and "division" would not be true
        unit_q = qis[columns.index("unit")]
        report.append(_row("drop_column", "unit", "all", unit_level, "", len(responses),
                           _unit_dropped(unit_q.values[keep], tree, unit_level, k)))  # fmt: skip
        data = data.drop(columns="unit")
        columns.remove("unit")
        kind = "team" if keep_teams else tree["kind"][tree["root"]]
    report.sort(key=lambda r: _STEPS.index(r["step"]))
    report_df = pd.DataFrame(report, columns=REPORT_COLUMNS).astype({"rows_affected": "int64"})
    return Extract(
        data=data,
        report=report_df,
        codebook=_codebook(data, survey, gen, qis, unit_level, k),
        k=k,
        level=kind,
        waves=tuple(sorted(set(data["wave"]))),
        min_group=gen.min_group(),
        quasi_identifiers=tuple(columns),
        rows_in=len(responses),
    )


def write_extract(extract: Extract, out_dir: str | Path, *, to: str) -> list[Path]:
    """Write an extract as ``extract.<to>`` plus ``extract_report.md`` (and ``codebook.csv``).

    Parameters
    ----------
    extract : Extract
        From :func:`research_extract`.
    out_dir : str or Path
        The folder; created when missing. Files are written atomically; writing again
        replaces them.
    to : {"sav", "dta", "csv", "parquet"}
        SPSS and Stata files carry variable labels (the item text, cut to the format's limit)
        and value labels; categorical codes become numbers 1, 2, ... (the codebook's
        ``numeric_codes``). In SPSS, not-applicable codes are declared user-missing. CSV and
        Parquet keep the codes as text and come with ``codebook.csv``.

    Returns
    -------
    list of Path
        The files written, the data file first.

    Raises
    ------
    ToolkitError
        When ``to`` is not one of :data:`FORMATS`.
    """
    from toolkit.privacy._extract_write import write_files

    if not isinstance(extract, Extract):
        raise TypeError(f"extract must be an Extract (research_extract), got {type(extract).__name__}")
    if to not in FORMATS:
        raise ToolkitError(f"to must be one of {', '.join(FORMATS)}; got {to!r}")
    return write_files(extract, Path(out_dir), to)


# ---------------------------------------------------------------------------- helpers


def _row(step, column, wave, frm, to, rows, reason) -> dict:
    return {"step": step, "column": column, "wave": wave, "from": frm, "to": to,
            "rows_affected": int(rows), "reason": reason}  # fmt: skip


def _check_args(responses, survey, *, level, k, keep_teams) -> None:
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a DataFrame, got {type(responses).__name__}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ToolkitError(f"k must be a whole number of at least 2; got {k!r}")
    if level not in LEVELS:
        raise ToolkitError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    if level == "team" and not keep_teams:
        raise ToolkitError(
            "level 'team' keeps team ids: pass keep_teams=True to ask for them, or choose one of "
            f"{', '.join(LEVELS[:-1])}"
        )
    need = ["respondent", "wave", "team", *survey.item_columns]
    missing = [c for c in need if c not in responses.columns]
    if missing:
        raise InputError(
            f"responses lack the columns {missing[:8]} of survey {survey.id!r}; pass the canonical "
            "table (toolkit.load_waves)",
            column=missing[0],
        )


def _hierarchy(units, teams) -> dict | None:
    """``{"parent": {unit: parent}, "kind": {unit: kind}, "root": root}`` or None."""
    if units is None and teams is None:
        return None
    if units is None:
        if "team" not in teams.columns:
            raise InputError("teams has no 'team' column", column="team")
        levels = [c for c in ("department", "division") if c in teams.columns]
        if not levels:
            raise InputError("teams needs a 'department' or 'division' column for the hierarchy")
        rows = {"organisation": (None, "organisation")}
        for rec in teams[["team", *levels]].astype("object").itertuples(index=False):
            chain = [str(rec[0]), *(str(v) for v in rec[1:] if pd.notna(v)), "organisation"]
            kinds = ["team", *(lv for lv, v in zip(levels, rec[1:], strict=True) if pd.notna(v))]
            for child, parent, kind in zip(chain, chain[1:], kinds, strict=False):
                rows.setdefault(child, (parent, kind))
        units = pd.DataFrame([(u, p, kd) for u, (p, kd) in rows.items()], columns=["unit", "parent", "kind"])
    tree = Units(units)
    return {"parent": dict(tree.parent), "kind": dict(tree.kind), "root": tree.root}


def _unit_qi(team: np.ndarray, tree: dict, level: str) -> QuasiIdentifier:
    parent, kind, rank = tree["parent"], tree["kind"], KINDS.index(level)
    memo: dict[str, str] = {}
    unknown = sorted({str(t) for t in team if str(t) not in kind})
    if unknown:
        raise InputError(
            f"{len(unknown)} team(s) of the responses are not units of the units table, e.g. {unknown[:3]}",
            column="team",
        )
    for t in {str(t) for t in team}:
        node = t  # Units has checked that every chain reaches the root
        while KINDS.index(kind[node]) > rank and parent[node] is not None:
            node = parent[node]
        memo[t] = node
    values = np.array([memo[str(t)] for t in team], dtype=object)
    return QuasiIdentifier("unit", "unit", values, parent=dict(parent), root=tree["root"])


def _unit_dropped(before: np.ndarray, tree: dict, level: str, k: int) -> str:
    """Why the unit column was dropped (every kept row's unit is the root)."""
    root = tree["root"]
    if tree["kind"][root] == level:
        return f"the {level} was asked for: a column of one value ({root}) tells nothing"
    if all(str(v) == root for v in before):
        return f"no team has a {level} below {root} in the units table: the column would hold one value"
    larger = KINDS[1 : KINDS.index(level)][::-1]  # between the organisation and the level asked for
    larger_level = f", a larger unit level ({' or '.join(larger)})" if larger else ""
    return (
        f"the units could not be kept at {level} level without breaking k={k}: every {level} was "
        f"generalised to the whole organisation ({root}), so the column held one value. Fewer "
        f"quasi-identifiers (demographic items){larger_level} or fewer waves would keep more"
    )


def _category_qi(responses: pd.DataFrame, survey: Survey, item_id: str) -> QuasiIdentifier:
    scale = survey.scale_of(item_id)
    cats = [str(c) for c in scale.allowed]
    labels = [scale.label_of(c) for c in scale.allowed]
    col = responses[item_id].astype("object")
    index = {c: i for i, c in enumerate(cats)}
    values = np.full(len(col), -1, dtype=np.int64)
    for i, v in enumerate(col):
        if pd.isna(v):
            continue
        key = str(int(v)) if isinstance(v, int | np.integer | float) else str(v)
        if key not in index:
            raise InputError(f"{v!r} is not a code of scale {scale.name!r}", column=item_id)
        values[i] = index[key]
    return QuasiIdentifier(item_id, "category", values, categories=tuple(cats), labels=tuple(labels),
                           mergeable=len(scale.codes))  # fmt: skip


def _pseudonyms(ids: np.ndarray) -> np.ndarray:
    """A fresh pseudonym per distinct id: ``r_`` and 12 hex digits of an HMAC under a throwaway key."""
    distinct = sorted(set(ids))
    while True:
        key = secrets.token_bytes(32)
        fresh = {i: "r_" + hmac.new(key, i.encode(), hashlib.sha256).hexdigest()[:12] for i in distinct}
        if len(set(fresh.values())) == len(distinct):  # a collision of 48 bits: draw again
            return np.array([fresh[i] for i in ids], dtype=object)


def _assemble(responses, survey, gen: Generaliser, qis, report) -> pd.DataFrame:
    n = len(responses)
    person = responses["respondent"].astype("str").to_numpy(dtype=object)
    out = {
        "respondent": pd.array(_pseudonyms(person), dtype="str"),
        "wave": pd.array(responses["wave"].astype("str").to_numpy(dtype=object), dtype="str"),
    }
    report.append(_row("pseudonymise", "respondent", "all", "store pseudonym", "fresh pseudonym", n,
                       "HMAC under a random key drawn for this extract and discarded"))  # fmt: skip
    by_col = {q.column: q for q in qis}
    for col in ("team", "unit"):
        if col in by_col:
            out[col] = pd.array(gen.values(by_col[col]), dtype="str")
    report.append(_row("drop_column", "submitted_at", "all", "timestamp", "", n,
                       "exact submission times are quasi-identifiers; the wave dates answers"))  # fmt: skip
    report.append(_row("drop_column", "duration_s", "all", "seconds", "", n,
                       "durations can be matched with platform logs"))  # fmt: skip
    for item in survey.items:
        if item.role == "team":
            continue
        if item.kind == "text":
            report.append(_row("drop_column", item.id, "all", "free text", "", n,
                               "free text is never extracted"))  # fmt: skip
        elif item.id in by_col:
            q = by_col[item.id]
            names = ["|".join(q.categories[i] for i in g) for g in gen.groups[q.column]]
            out[item.id] = pd.Categorical(gen.values(q), categories=names)
        else:
            if item.kind == "ordinal":
                out[item.id] = pd.array(responses[item.id], dtype="Int8")
            else:
                cats = [str(c) for c in survey.scale_of(item.id).allowed]
                vals = responses[item.id].astype("object").to_numpy()
                out[item.id] = pd.Categorical([None if pd.isna(v) else str(v) for v in vals], categories=cats)
    known = {"respondent", "wave", "team", "submitted_at", "duration_s", *survey.item_columns}
    for col in responses.columns:
        if col not in known:
            report.append(_row("drop_column", str(col), "all", "", "", n, "not a column of the survey"))
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _codebook(data, survey, gen: Generaliser, qis, level: str, k: int) -> pd.DataFrame:
    base = survey_codebook(survey).set_index("variable")
    by_col = {q.column: q for q in qis}
    meta = {
        "respondent": "Respondent pseudonym, new for this extract (links its waves only)",
        "wave": "Survey wave, like 2026Q3",
        "team": f"Team id (kept on request; missing where fewer than {k} in a group)",
        "unit": f"Unit: the team's {level}, or one above it where groups were small",
    }
    rows = []
    for col in data.columns:
        row = dict.fromkeys(CODEBOOK_COLUMNS, "")
        row["variable"] = col
        if col in meta:
            row.update(label=meta[col], type="text")
        else:
            item, scale = survey.item(col), survey.scale_of(col)
            b = base.loc[col]
            row.update(label=item.text, type=item.kind, construct=b["construct"], keying=b["keying"],
                       role=b["role"], not_applicable=", ".join(map(str, scale.na_codes)))  # fmt: skip
            if col in by_col:
                q = by_col[col]
                groups = gen.groups[col]
                codes = ["|".join(q.categories[i] for i in g) for g in groups]
                labels = [" | ".join(q.labels[i] for i in g) for g in groups]
                merged = [c for c, g in zip(codes, groups, strict=True) if len(g) > 1]
                row["note"] = (
                    "quasi-identifier"
                    + (f"; merged: {', '.join(merged)}" if merged else "")
                    + ("; some values suppressed (missing)" if gen.suppressed[col].any() else "")
                )
            else:
                codes = [str(c) for c in scale.allowed]
                labels = [scale.label_of(c) for c in scale.allowed]
            row["values"] = "; ".join(f"{c}={lab}" for c, lab in zip(codes, labels, strict=True))
            if item.kind == "categorical":
                row["numeric_codes"] = "; ".join(f"{i}={c}" for i, c in enumerate(codes, start=1))
        if col in ("team", "unit") and col in by_col:
            row["note"] = "quasi-identifier" + (
                "; suppressed where groups were small" if gen.suppressed[col].any() else ""
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS).astype("str")
