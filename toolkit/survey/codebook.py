"""Codebooks generated from a survey: a table for machines, Markdown for people.

The codebook documents every column of the canonical response table: its label (the
question text), type, scale and value labels, construct, keying and role. The schema
summary documents what :func:`toolkit.response_schema` checks, column by column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from toolkit._io import atomic_write, atomic_write_text, md_table
from toolkit.survey import Survey
from toolkit.survey.schema import RULES, response_schema

__all__ = ["codebook", "codebook_markdown", "schema_summary", "write_codebook"]

CODEBOOK_COLUMNS = [
    "variable",
    "label",
    "type",
    "scale",
    "construct",
    "keying",
    "role",
    "required",
    "value_labels",
    "not_applicable",
    "asked_if",
    "replaces",
]

_METADATA = {
    "respondent": ("Respondent pseudonym (HMAC of the employee id), stable across waves", "text"),
    "wave": ("Survey wave, like 2026Q3", "text"),
    "team": ("Team id, a leaf of the units table", "text"),
    "submitted_at": ("When the response was submitted (UTC)", "timestamp"),
    "duration_s": ("Time taken to respond, in seconds", "number"),
}


def codebook(survey: Survey) -> pd.DataFrame:
    """One row per column of the canonical response table.

    Columns: ``variable``, ``label``, ``type`` (ordinal, categorical, text, timestamp,
    number), ``scale``, ``construct``, ``keying`` (``forward`` or ``reverse`` for scored
    items), ``role``, ``required``, ``value_labels`` (``1=Strongly disagree; 2=...``),
    ``not_applicable`` (codes that count as missing when scored), ``asked_if`` and
    ``replaces`` (lineage).

    Examples
    --------
    >>> from toolkit.survey import load_survey
    >>> cb = codebook(load_survey("surveys/one_on_one_pulse.yaml"))
    >>> cb.set_index("variable").loc["avail_wait", ["construct", "keying"]].tolist()
    ['availability', 'reverse']
    """
    rows = []
    team_item = survey.role_item("team")
    for col, (label, kind) in _METADATA.items():
        row = dict.fromkeys(CODEBOOK_COLUMNS, "")
        row.update(variable=col, label=label, type=kind, required="yes")
        if col == "team" and team_item is not None:
            row.update(label=f"{label}. Asked as: {team_item.text}", role="team")
        rows.append(row)
    for item in survey.items:
        if item.role == "team":
            continue
        scale = survey.scales.get(item.scale) if item.scale else None
        rows.append(
            {
                "variable": item.id,
                "label": item.text,
                "type": item.kind,
                "scale": item.scale or "",
                "construct": item.construct or "",
                "keying": ("reverse" if item.reverse else "forward") if item.construct else "",
                "role": item.role or "",
                "required": "yes" if item.required else "no",
                "value_labels": _labels(scale.values) if scale else "",
                "not_applicable": _labels(scale.not_applicable) if scale else "",
                "asked_if": item.ask_if.describe() if item.ask_if else "",
                "replaces": (
                    f"{item.replaces.item} ({'comparable' if item.replaces.comparable else 'not comparable'})"
                    if item.replaces
                    else ""
                ),
            }
        )
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS).astype("str")


def codebook_markdown(survey: Survey) -> str:
    """The codebook as a Markdown document: constructs, scales, then every variable."""
    lines = [
        f"# Codebook: {survey.title}",
        "",
        f"Survey `{survey.id}`, version {survey.version}. Generated from "
        f"`{Path(survey.path).name if survey.path else survey.id}`; do not edit by hand.",
        "",
    ]
    if survey.description:
        lines += [survey.description, ""]
    lines += ["## Constructs", ""]
    rows = []
    for c in survey.constructs.values():
        reverse = [i for i in c.items if survey.item(i).reverse]
        rows.append(
            [
                f"`{c.id}`",
                c.label,
                ", ".join(f"`{i}`" for i in c.items),
                str(c.min_valid),
                ", ".join(f"`{i}`" for i in reverse) or "none",
            ]
        )
    lines += md_table(["construct", "label", "items", "scored with at least", "reverse keyed"], rows)
    lines += [
        "",
        "A construct score is the mean of its answered items after reverse keying, when at "
        "least the stated number of items is answered; not-applicable codes count as unanswered.",
        "",
        "## Scales",
        "",
    ]
    for s in survey.scales.values():
        lines.append(
            f"- `{s.name}` ({s.kind}): {_labels(s.values)}"
            + (f"; not applicable: {_labels(s.not_applicable)}" if s.not_applicable else "")
            + (f"; favourable: {', '.join(map(str, s.favourable))}" if s.favourable else "")
        )
    lines += ["", "## Variables", ""]
    cb = codebook(survey)
    show = ["variable", "label", "type", "scale", "construct", "keying", "role", "required", "asked_if"]
    lines += md_table(show, cb[show].itertuples(index=False))
    return "\n".join(lines) + "\n"


def schema_summary(survey: Survey, schema: pa.DataFrameSchema | None = None) -> str:
    """What the response schema checks, as Markdown, generated from the schema itself."""
    schema = schema if schema is not None else response_schema(survey)
    rows = []
    for name, col in schema.columns.items():
        checks = [c.name for c in col.checks]
        if not col.nullable:
            checks.insert(0, "required")
        rows.append(
            [f"`{name}`", f"`{col.dtype}`", "no" if col.nullable else "yes", ", ".join(checks) or "-"]
        )
    lines = [
        f"# Response schema: {survey.id} {survey.version}",
        "",
        "Generated from the survey by `toolkit.response_schema`; rule names are those used in "
        "validation reports.",
        "",
    ]
    lines += md_table(["column", "dtype", "required", "rules"], rows)
    lines += [
        "",
        "Table rules: `unique_per_wave` (one response per respondent and wave); no columns "
        "beyond those above (unknown columns may hold identifiers).",
    ]
    lines += [f"- `{rule}` on `{column}`: {cond}" for column, rule, cond in _frame_rule_rows(survey)]
    lines += ["", "What fails each rule:", ""]
    lines += [f"- `{rule}`: {what}" for rule, what in RULES.items()]
    return "\n".join(lines) + "\n"


def _frame_rule_rows(survey: Survey) -> list[tuple[str, str, str]]:
    rows = []
    for item in survey.items:
        if item.ask_if is not None:
            rows.append((item.id, "asked_if", f"answered only when {item.ask_if.describe()}"))
            if item.required:
                rows.append((item.id, "required_if", f"required when {item.ask_if.describe()}"))
    return rows


def write_codebook(survey: Survey, out_dir: str | Path) -> dict[str, Path]:
    """Write ``codebook.csv``, ``codebook.md`` and ``schema.md`` into ``out_dir``.

    Files are written atomically; writing again replaces them. Returns the paths by kind.
    """
    out = Path(out_dir)
    paths = {
        "codebook_csv": out / "codebook.csv",
        "codebook_md": out / "codebook.md",
        "schema_md": out / "schema.md",
    }
    table = codebook(survey)
    atomic_write(paths["codebook_csv"], lambda tmp: table.to_csv(tmp, index=False))
    atomic_write_text(paths["codebook_md"], codebook_markdown(survey))
    atomic_write_text(paths["schema_md"], schema_summary(survey))
    return paths


def _labels(choices) -> str:
    return "; ".join(f"{c.code}={c.label}" for c in choices)
