"""Writing research extracts: SPSS and Stata with labels (pyreadstat), CSV and Parquet.

Kept apart from :mod:`toolkit.privacy.extract` (which decides what an extract holds): this module only
knows the file formats and their limits.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._io import atomic_write, atomic_write_text, md_table

__all__ = ["LIMITS", "answer_uniqueness", "file_frame", "report_markdown", "write_files"]

#: Per format: longest variable name, variable label and value label (bytes for SPSS, characters
#: for Stata 14+ files, which are UTF-8).
LIMITS = {
    "sav": {"name": 64, "label": 256, "value_label": 120},
    "dta": {"name": 32, "label": 80, "value_label": 32000},
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def truncate(text: str, limit: int, *, nbytes: bool = False) -> str:
    """``text`` cut to ``limit`` characters (or UTF-8 bytes), ending in ``...`` when cut.

    >>> truncate("How long have you worked here?", 12)
    'How long...'
    """
    size = (lambda s: len(s.encode("utf-8"))) if nbytes else len
    if size(text) <= limit:
        return text
    cut = text
    while size(cut + "...") > limit:
        cut = cut[:-1]
    return cut.rstrip() + "..."


def valid_names(columns, limit: int) -> dict[str, str]:
    """A valid, unique name (letters, digits, underscores, at most ``limit``) for every column;
    names that are already valid are kept.

    >>> valid_names(["q1", "1st answer", "q1_"], 32)
    {'q1': 'q1', '1st answer': 'v_1st_answer', 'q1_': 'q1_'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = str(col)
        if not (_NAME.match(name) and len(name) <= limit):
            name = re.sub(r"[^A-Za-z0-9_]", "_", name)
            if not name[:1].isalpha():
                name = "v_" + name
            name = name[:limit]
        base, i = name, 1
        while name.lower() in used:
            i += 1
            name = f"{base[: limit - len(str(i)) - 1]}_{i}"
        used.add(name.lower())
        out[str(col)] = name
    return out


def file_frame(extract, to: str) -> tuple[pd.DataFrame, dict, dict, dict, dict]:
    """The table as SPSS or Stata get it, with its labels.

    Returns the frame (renamed columns; categoricals as numbers 1, 2, ...; numbers as float;
    text with missing as ``""``), the variable labels, the value labels, the SPSS missing codes
    and the renaming (original column -> file name).
    """
    lim = LIMITS[to]
    nbytes = to == "sav"
    data, cb = extract.data, extract.codebook.set_index("variable")
    names = valid_names(data.columns, lim["name"])
    frame, var_labels, value_labels, missing = {}, {}, {}, {}
    for col in data.columns:
        name, series, entry = names[col], data[col], cb.loc[col]
        var_labels[name] = truncate(entry["label"], lim["label"], nbytes=nbytes)
        pairs = _pairs(entry["values"])
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy().astype(float)
            frame[name] = np.where(codes < 0, np.nan, codes + 1)
            value_labels[name] = {
                float(i): truncate(pairs.get(str(c), str(c)), lim["value_label"], nbytes=nbytes)
                for i, c in enumerate(series.cat.categories, start=1)
            }
        elif pd.api.types.is_numeric_dtype(series.dtype):
            frame[name] = series.astype("float64").to_numpy(na_value=np.nan)
            if pairs:
                value_labels[name] = {
                    float(c): truncate(lab, lim["value_label"], nbytes=nbytes) for c, lab in pairs.items()
                }
            na = [float(c) for c in entry["not_applicable"].split(", ") if c]
            if na and len(na) <= 3:
                missing[name] = na
        else:
            frame[name] = series.astype("object").where(series.notna(), "").to_numpy(dtype=object)
    return pd.DataFrame(frame), var_labels, value_labels, missing, names


def _pairs(values: str) -> dict:
    """``"1=Agree; 2=..."`` as ``{code: label}`` (codes as text)."""
    out = {}
    for part in values.split("; ") if values else []:
        code, _, label = part.partition("=")
        out[code] = label
    return out


def write_files(extract, out_dir: Path, to: str) -> list[Path]:
    """Write the data file, ``codebook.csv`` (CSV and Parquet) and ``extract_report.md``."""
    target = out_dir / f"extract.{to}"
    paths = [target]
    renamed: dict[str, str] = {}
    label = f"Research extract, k={extract.k}, waves {', '.join(extract.waves) or 'none'}"
    if to in ("sav", "dta"):
        try:
            import pyreadstat
        except ImportError:
            from toolkit.errors import InputError

            raise InputError(
                "SPSS and Stata files need the spss extra (pyreadstat is not installed): install it with "
                "pip install 'one-on-one-toolkit[spss]', or extract to csv or parquet; nothing was written",
                path=out_dir,
            ) from None

        frame, var_labels, value_labels, missing, names = file_frame(extract, to)
        renamed = {c: n for c, n in names.items() if c != n}
        if to == "sav":
            measure = {
                names[c]: "ordinal" if t == "ordinal" else "nominal"
                for c, t in zip(extract.codebook["variable"], extract.codebook["type"], strict=True)
            }
            atomic_write(target, lambda tmp: pyreadstat.write_sav(
                frame, tmp, file_label=label, column_labels=var_labels, variable_value_labels=value_labels,
                missing_ranges=missing, variable_measure=measure))  # fmt: skip
        else:
            atomic_write(target, lambda tmp: pyreadstat.write_dta(
                frame, tmp, file_label=truncate(label, 80), column_labels=var_labels,
                variable_value_labels=value_labels))  # fmt: skip
    elif to == "csv":
        atomic_write(target, lambda tmp: extract.data.to_csv(tmp, index=False))
    else:
        atomic_write(target, lambda tmp: extract.data.to_parquet(tmp, index=False))
    if to in ("csv", "parquet"):
        write_codebook = lambda tmp: extract.codebook.to_csv(tmp, index=False)  # noqa: E731
        paths.append(atomic_write(out_dir / "codebook.csv", write_codebook))
    text = report_markdown(extract)
    if renamed:
        text += "\n## Renamed variables\n\n"
        text += "".join(f"- `{c}` is `{n}` in the file\n" for c, n in renamed.items())
    paths.append(atomic_write_text(out_dir / "extract_report.md", text))
    return paths


def report_markdown(extract) -> str:
    """``extract_report.md``: the summary, every action, the privacy notes."""
    rep = extract.report
    lines = [extract.summary().rstrip(), "", "## What was done", ""]
    lines += md_table(list(rep.columns), rep.astype("str").itertuples(index=False))
    lines += ["", "## Privacy notes", ""]
    lines += [f"- {note}" for note in _privacy_notes(extract)]
    return "\n".join(lines) + "\n"


def answer_uniqueness(extract) -> tuple[int, int]:
    """How many answer columns there are (all but the pseudonym, wave, unit, team and
    quasi-identifiers), and how many rows have answers that no other row of their wave shares:
    rows that can be matched with any other copy of the same answers."""
    data = extract.data
    skip = {"respondent", "wave", "team", "unit", *extract.quasi_identifiers}
    answers = [c for c in data.columns if c not in skip]
    if not answers or not len(data):
        return len(answers), 0
    table = data[["wave", *answers]].astype("object").fillna("<missing>")
    return len(answers), int((~table.duplicated(keep=False)).sum())


def _privacy_notes(extract) -> list[str]:
    k = extract.k
    n_answers, n_unique = answer_uniqueness(extract)
    return [
        "The `respondent` pseudonyms were made for this extract with a random key that was thrown "
        "away: nobody can join this extract to the store or to another extract by id. Rows can still "
        f"be matched on their answers: the answers to {n_answers} items make {n_unique} "
        f"of {len(extract.data)} rows here unique in their wave. So k = {k} holds for this extract alone: "
        "give a researcher one extract, do not release two differently generalised extracts of the "
        "same waves to the same people, and keep extracts under a data-use agreement.",
        f"Every combination of the quasi-identifiers ({', '.join(extract.quasi_identifiers) or 'none'}) "
        f"holds at least {k} respondents in each wave; a missing (suppressed or unanswered) value counts "
        "as a value of its own. Suppressions are counted here per wave and column, never listed by value.",
        "Residual risk across waves: one respondent keeps one pseudonym in every wave of this extract, so "
        "their quasi-identifiers can be combined across waves (a unit change, a new tenure band). A value "
        "suppressed in one wave is suppressed in all that respondent's waves, but the combination of "
        "several waves is not checked for k. Extract fewer waves, or one wave per extract, when it matters.",
        "Answers that colleagues or the manager may know (the 1:1 cadence, the meeting length) are not "
        "treated as quasi-identifiers; do not publish small cells of them.",
        "A fixed seed (`rng`, `--seed`) makes the row order reproducible, so the rows of two extracts "
        "made with the same seed line up; leave it unset for extracts that are released.",
        "Team and manager ids are not in the extract"
        + (" except the team ids asked for (keep_teams)" if "team" in extract.data.columns else "")
        + "; submission times and durations (which can be matched with platform logs) are dropped, and "
        "free-text answers never extracted.",
        "Not-applicable codes (for example 9 = Does not apply to me) are valid answers but missing when "
        "scored: SPSS files declare them user-missing; in Stata, CSV and Parquet treat them as missing "
        "before computing means.",
        f"Publish nothing about groups smaller than {k}; do not re-identify anyone or link this extract "
        "to other data about the same people.",
    ]
