"""The ingest report: what one ingest run read, stored, quarantined and why (Markdown and HTML).

The report is for the analyst who ran the ingest. It shows counts, rules and row numbers,
never answer values or identifiers: the names of dropped identifier columns appear, their
contents never do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from toolkit._io import atomic_write_text, md_table
from toolkit.ingest.pipeline import IngestResult

__all__ = ["ingest_report", "write_ingest_report"]

_FLAGS = {
    "speeder": "speeders (under the minimum seconds per item)",
    "straight_liner": "straight-liners (one answer repeated beyond the longstring rule)",
    "attention_failure": "failed attention checks",
    "duplicate": "superseded duplicate submissions (the last complete one is kept)",
}

_TEMPLATE = "ingest_report.html.j2"


def _html_template() -> jinja2.Template:
    text = resources.files("toolkit.ingest").joinpath(_TEMPLATE).read_text(encoding="utf-8")
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text)


def ingest_report(result: IngestResult, *, survey_label: str, min_invited: int = 5) -> tuple[str, str]:
    """The report of one ingest run as ``(markdown, html)``."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    failures = result.validation.summary() if result.validation is not None else pd.DataFrame()
    flags = [(label, int(result.flags[col].sum())) for col, label in _FLAGS.items() if col in result.flags]
    if "seconds_per_item" in result.flags and result.flags["seconds_per_item"].isna().all():
        flags = [
            (f"{label} (this export has no durations)" if "speeder" in label else label, n)
            for label, n in flags
        ]
    rates = result.response_rates
    source = Path(result.source).name
    identity, notes = _identity(result), _notes(result)
    md = [
        f"# Ingest report, wave {result.wave}",
        "",
        f"Source `{source}` ({result.format}), survey `{survey_label}`, stored in `{result.store}` "
        f"({result.status}) at {when}.",
        "",
        "## Rows",
        "",
        f"{result.rows_read} rows read = {result.rows_stored} stored + {result.rows_quarantined} quarantined"
        + ("." if result.balanced else " (does not add up!)"),
        "",
        "## Failures by rule and column",
        "",
    ]
    if failures.empty:
        md.append("None: every row passed.")
    else:
        md += md_table(
            ["rule", "column", "failures", "rows", "example rows", "what is expected"],
            failures[["rule", "column", "n_failures", "n_rows", "example_rows", "message"]].values.tolist(),
        )
        md += ["", "Rows are numbered as in the file opened in a spreadsheet."]
    md += ["", "## Careless-response flags", ""]
    md += md_table(["flag", "responses"], flags)
    md += ["", "## Identifiers dropped", ""]
    md.append(
        "These columns were removed at ingest and stored nowhere: "
        + ", ".join(f"`{c}`" for c in result.dropped)
        if result.dropped
        else "The export had no direct-identifier columns."
    )
    md.append(identity)
    if notes:
        md += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    if result.ignored:
        md += ["", "Platform columns not used: " + ", ".join(f"`{c}`" for c in result.ignored)]
    if result.missing_items:
        md += ["", "Survey items not in the export: " + ", ".join(f"`{c}`" for c in result.missing_items)]
    md += ["", "## Response rates", ""]
    if not rates.empty:
        team, invited, responses, rate = _rate_cells(rates)
        md += md_table(["team", "invited", "stored responses", "response rate"], [])
        cells = [team.str.replace("|", "\\|", regex=False), invited, responses, rate + "%"]
        md += ("| " + cells[0] + " | " + cells[1] + " | " + cells[2] + " | " + cells[3] + " |").tolist()
    md += ["", _rates_note(result, min_invited)]
    html = _html_template().render(
        r=result,
        source=source,
        survey=survey_label,
        when=when,
        failures=failures.to_dict("records"),
        flags=flags,
        rates=not rates.empty,
        rate_rows=_rate_rows(rates),
        identity=identity,
        notes=notes,
        rates_note=_rates_note(result, min_invited),
    )
    return "\n".join(md) + "\n", html


def _identity(result: IngestResult) -> str:
    """How respondents are identified in the stored wave, and what was scrubbed from free text."""
    scrubbed = (
        "names from the roster and email addresses in free text were replaced"
        if result.names_scrubbed
        else "email addresses in free text were replaced (no roster names were given to scrub)"
    )
    if result.anonymous:
        return (
            f"Anonymous ingest: every response got a random id that links nobody across waves (no roster "
            f"join, no key); each respondent's team came from the column `{result.team_column}`; {scrubbed}."
        )
    return f"Employee ids became pseudonyms; {scrubbed}."


def _notes(result: IngestResult) -> list[str]:
    notes = []
    if result.window is not None:
        notes.append(
            f"Submission times were checked against the window of wave {result.wave}: "
            f"{result.window.describe()}."
        )
    if result.rows_outside_window:
        notes.append(
            f"{result.rows_outside_window} rows were submitted outside that window and stored anyway, "
            "as asked with --allow-outside-window (allow_outside_window=True)."
        )
    if result.new_series:
        notes.append(
            "This wave starts a new pseudonym series (--new-key): its pseudonyms link nobody in the "
            "waves stored before it, and the manifest records where the series starts."
        )
    if result.anonymous:
        notes.append(
            "Duplicate submissions cannot be recognised without identity: every row counts as one "
            "respondent. Analyses that follow the same people across waves are not available."
        )
    return notes


def _rates_note(result: IngestResult, min_invited: int) -> str:
    if result.anonymous and result.response_rates.empty and result.status != "unchanged":
        return (
            "No headcounts were given (a roster, or a headcount column in the teams table), so there "
            "are no response rates."
        )
    return f"Only teams with at least {min_invited} people invited are shown."


def _rate_cells(rates: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """The response-rate table as text, column by column (one row per team: 70,000 on a million rows)."""
    text = {c: rates[c].astype("str") for c in ("team", "invited", "responses")}
    percent = pd.Series(np.char.mod("%.0f", 100 * rates["response_rate"].to_numpy(dtype=float)), dtype="str")
    return text["team"], text["invited"], text["responses"], percent.set_axis(rates.index)


def _rate_rows(rates: pd.DataFrame) -> Markup:
    """The rows of the HTML response-rate table (team ids escaped as the template would)."""
    if rates.empty:
        return Markup("")
    team, invited, responses, rate = _rate_cells(rates)
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        team = team.str.replace(raw, safe, regex=False)
    rows = "<tr><td>" + team + '</td><td class="n">' + invited + '</td><td class="n">' + responses
    rows = rows + '</td>\n<td class="n">' + rate + "%</td></tr>\n"
    return Markup("".join(rows.tolist()))


def write_ingest_report(
    result: IngestResult, out_dir: str | Path, *, survey_label: str, min_invited: int = 5
) -> dict[str, Path]:
    """Write ``ingest_<wave>.md`` and ``ingest_<wave>.html`` into ``out_dir`` (atomically, privately:
    they belong with the store)."""
    md, html = ingest_report(result, survey_label=survey_label, min_invited=min_invited)
    out = Path(out_dir)
    return {
        "markdown": atomic_write_text(out / f"ingest_{result.wave}.md", md, private=True),
        "html": atomic_write_text(out / f"ingest_{result.wave}.html", html, private=True),
    }
