"""``oneonone survey`` (check, codebook, export, diff) and ``oneonone validate``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from toolkit._io import atomic_write
from toolkit.cli._common import EXIT_FOUND, EXIT_OK, EXIT_UNUSABLE, console, errors_exit, read_roster
from toolkit.errors import SurveyError
from toolkit.ingest import read_canonical
from toolkit.survey import load_survey
from toolkit.survey.codebook import write_codebook
from toolkit.survey.validate import validate

__all__ = ["survey", "validate_cmd"]


@click.group()
def survey() -> None:
    """Check a survey definition and generate what is derived from it."""


@survey.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def survey_check(file: Path) -> None:
    """Check a survey file and summarise it (exit 1 when it is malformed)."""
    out = console()
    try:
        s = load_survey(file)
    except SurveyError as exc:
        console(stderr=True).print(f"[bold red]invalid survey:[/] {exc}", markup=True)
        sys.exit(EXIT_UNUSABLE if exc.problem == "file not found" else EXIT_FOUND)
    scored = sum(len(c.items) for c in s.constructs.values())
    reverse = sum(it.reverse for it in s.items)
    out.print(f"[bold green]ok[/] {file}: {s.title} ({s.id} {s.version})")
    out.print(
        f"  {len(s.items)} items, {len(s.constructs)} constructs ({scored} scored items, "
        f"{reverse} reverse keyed), {len(s.scales)} scales"
    )
    table = Table("construct", "label", "items", "min valid", box=None, pad_edge=False)
    for c in s.constructs.values():
        table.add_row(c.id, c.label, str(len(c.items)), str(c.min_valid))
    out.print(table)
    roles = ", ".join(f"{it.role}={it.id}" for it in s.items if it.role)
    out.print(f"  roles: {roles}")


@survey.command("codebook")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for codebook.csv, codebook.md and schema.md.",
)
@errors_exit
def survey_codebook(file: Path, out_dir: Path) -> None:
    """Write the codebook (CSV and Markdown) and the schema summary."""
    s = load_survey(file)
    paths = write_codebook(s, out_dir)
    out = console()
    out.print(f"codebook of {s.id} {s.version} ({len(s.columns)} variables):")
    for path in paths.values():
        out.print(f"  {path}")


@survey.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "to",
    type=click.Choice(["xlsform", "qualtrics", "limesurvey", "html"]),
    required=True,
    help="XLSForm (ODK, KoboToolbox), Qualtrics Advanced Format TXT, LimeSurvey TSV, printable HTML.",
)
@click.option(
    "--out",
    type=click.Path(),  # kept as typed: a trailing "/" names a folder, and Path() would drop it
    default=".",
    show_default=True,
    help="The file to write, or a folder (existing, or ending in /: then <survey id>.xlsx, "
    ".qualtrics.txt, ... in it, the folder created when missing).",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Disclosure policy (YAML) whose thresholds the HTML questionnaire states.",
)
@errors_exit
def survey_export(file: Path, to: str, out: str, policy_file: Path | None) -> None:
    """Write the survey as a form to import into a platform, or as a printable questionnaire."""
    from toolkit.forms import export_form

    s = load_survey(file)
    try:
        path = export_form(s, to, out, policy=policy_file)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    console().print(f"{s.id} {s.version} as {to}: {path}")


@survey.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@errors_exit
def survey_diff(old: Path, new: Path) -> None:
    """List added, removed and reworded items between two survey versions, and which scores stay
    comparable across the change (from the items' lineage: replaces, comparable)."""
    from toolkit.survey.versions import comparable_constructs, diff_surveys, format_diff

    before, after = load_survey(old), load_survey(new)
    console().print(
        format_diff(diff_surveys(before, after), comparable_constructs(before, after)), markup=False
    )


@click.command("validate")
@click.argument("responses", type=click.Path(path_type=Path))
@click.option(
    "--survey",
    "survey_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The survey definition (YAML).",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV with a 'team' column: responses from other teams fail.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Write valid.parquet, quarantine.csv and failures.csv here.",
)
@errors_exit
def validate_cmd(responses: Path, survey_file: Path, roster: Path | None, out_dir: Path | None) -> None:
    """Validate a canonical response table (exit 1 when rows fail)."""
    s = load_survey(survey_file)
    table = read_canonical(responses)
    roster_table = read_roster(roster) if roster is not None else None
    result = validate(table, s, roster=roster_table, source=str(responses))
    out = console()
    n_read, n_valid, n_bad = result.n_read, len(result.valid), len(result.quarantine)
    out.print(f"{responses}: {n_read} rows read = {n_valid} valid + {n_bad} quarantined")
    if not result.ok:
        out.print("failures by rule and column (rows numbered as in a spreadsheet, header = row 1):")
        for r in result.summary().itertuples(index=False):
            rows = "row" if r.n_rows == 1 else "rows"
            out.print(
                f"  {r.rule:<16} {r.column:<22} {r.n_failures:>5} in {r.n_rows} {rows} "
                f"(e.g. {r.example_rows}): {r.message}"
            )
    if out_dir is not None:
        written = _write_validation(result, out_dir)
        out.print("written:")
        for path in written:
            out.print(f"  {path}")
    sys.exit(EXIT_OK if result.ok else EXIT_FOUND)


def _write_validation(result, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    valid = result.valid.reset_index(drop=True)  # canonical: the source rows are in failures.csv
    written = [
        atomic_write(out_dir / "valid.parquet", lambda tmp: valid.to_parquet(tmp, index=False)),
        atomic_write(
            out_dir / "quarantine.csv", lambda tmp: result.quarantine.reset_index().to_csv(tmp, index=False)
        ),
        atomic_write(out_dir / "failures.csv", lambda tmp: result.failures.to_csv(tmp, index=False)),
    ]
    return written
