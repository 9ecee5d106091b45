"""``oneonone release``, ``oneonone report`` and ``oneonone extract``: what leaves the store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from toolkit.cli._common import (
    console,
    errors_exit,
    headcount_option,
    policy_option,
    read_roster,
    read_table,
    store_option,
    stored_survey_option,
    units_option,
)
from toolkit.errors import InputError
from toolkit.survey import load_survey

__all__ = ["extract_cmd", "print_release", "print_reports", "release_cmd", "report_cmd"]


def _published(store_dir: Path, survey, units_file: Path, roster: Path | None, policy_file: Path | None):
    """The release and the comment release of every stored wave (response rates when a roster
    gives headcounts; the roster's names and emails scrubbed from the comments)."""
    from toolkit.privacy.publish import release_store
    from toolkit.store import load_waves

    units = read_table(units_file, required=("unit", "parent", "kind"), what="units")
    people = read_roster(roster, required=("team",)) if roster is not None else None
    responses = load_waves(store_dir, survey=survey)
    with console().status(f"releasing {len(responses)} responses ..."):
        return release_store(store_dir, survey, units, roster=people, policy=policy_file, responses=responses)


@click.command("release")
@store_option
@units_option
@stored_survey_option
@headcount_option
@policy_option
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The release, written as <out>.parquet and <out>.csv; its comments as <out>_comments.parquet/.csv.",
)
@errors_exit
def release_cmd(
    store_dir: Path,
    units_file: Path,
    survey_file: Path,
    roster: Path | None,
    policy_file: Path | None,
    out_file: Path,
) -> None:
    """Build the release: every number each audience may see, after disclosure control."""
    from toolkit.privacy.publish import write_release

    published = _published(store_dir, load_survey(survey_file), units_file, roster, policy_file)
    write_release(published, out_file)
    print_release(published, console())


def print_release(published, out: Console) -> None:
    """What the release holds, and the files written."""
    for line in published.summary():
        out.print(line)
    paths = published.paths
    out.print(f"written: {paths['release']} and {paths['release_csv']}")
    out.print(f"written: {paths['comments']} and {paths['comments_csv']}")


@click.command("report")
@store_option
@units_option
@stored_survey_option
@click.option("--wave", required=True, help="The wave to report on.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for <team>.html, manifest.csv and organisation.html.",
)
@headcount_option
@click.option(
    "--teams",
    "teams_file",
    type=click.Path(path_type=Path),
    default=None,
    help="teams.csv with team and manager: names each report's manager in the manifest.",
)
@policy_option
@errors_exit
def report_cmd(
    store_dir: Path,
    units_file: Path,
    survey_file: Path,
    wave: str,
    out_dir: Path,
    roster: Path | None,
    teams_file: Path | None,
    policy_file: Path | None,
) -> None:
    """Write one anonymised HTML report per team and the analyst's organisation heatmap.

    Every number comes from the release (disclosure control applied); nothing is read from
    the responses directly.
    """
    from toolkit.report import write_reports

    s = load_survey(survey_file)
    published = _published(store_dir, s, units_file, roster, policy_file)
    if wave not in published.waves:
        raise InputError(
            f"wave {wave} is not in the store (it has {', '.join(published.waves)})", path=store_dir
        )
    units = read_table(units_file, required=("unit", "parent", "kind"), what="units")
    managers = read_table(teams_file, required=("team", "manager"), what="teams") if teams_file else None
    out = console()
    with out.status(f"writing the reports of wave {wave} ..."):
        reports = write_reports(
            published.release,
            s,
            units,
            wave=wave,
            out_dir=out_dir,
            managers=managers,
            policy=policy_file,
            comments=published.comments,
        )
    print_reports(reports, out_dir, out)


def print_reports(reports, out_dir: Path, out: Console) -> None:
    """How many reports, where the manifest and the heatmap are."""
    manifest = reports.manifest
    out.print(
        f"wave {reports.wave}: {len(manifest)} manager reports ({reports.shown} with their team's results, "
        f"{len(manifest) - reports.shown} below the threshold) in {out_dir}/"
    )
    out.print(
        f"manifest: {Path(out_dir) / 'manifest.csv'}; organisation heatmap: {reports.paths['organisation']}"
    )
    out.print(f"open one: file://{(Path(out_dir) / manifest['file'].iloc[0]).resolve()}")


@click.command("extract")
@store_option
@stored_survey_option
@click.option(
    "--waves",
    "waves",
    default=None,
    help="Comma-separated waves, like 2026Q1,2026Q2 [default: every stored wave].",
)
@click.option(
    "--to",
    "to",
    type=click.Choice(["sav", "dta", "csv", "parquet"]),
    required=True,
    help="sav (SPSS) and dta (Stata) with variable and value labels; csv with codebook.csv; parquet.",
)
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder for the extract."
)
@click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    default=None,
    help="units.csv: teams are coarsened to --level (without it, no unit is extracted).",
)
@click.option(
    "--level",
    type=click.Choice(["organisation", "division", "department", "team"]),
    default="division",
    show_default=True,
    help="The unit each team is coarsened to (team only with --keep-teams).",
)
@click.option(
    "--k", "k", type=int, default=5, show_default=True, help="Least people per quasi-identifier combination."
)
@click.option("--keep-teams", is_flag=True, help="Keep team ids (suppressed where a team is below k).")
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the row shuffling (never of the pseudonyms); leave unset for released extracts.",
)
@errors_exit
def extract_cmd(
    store_dir: Path,
    survey_file: Path,
    waves: str | None,
    to: str,
    out_dir: Path,
    units_file: Path | None,
    level: str,
    k: int,
    keep_teams: bool,
    seed: int | None,
) -> None:
    """A research extract: fresh pseudonyms, coarse units, k-anonymous quasi-identifiers.

    Two extracts never share a pseudonym, so they cannot be joined by id (their answers can still
    match rows: give a researcher one extract). Free text, submission times and durations are not
    extracted. extract_report.md says what was generalised or suppressed.
    """
    from toolkit.privacy.extract import research_extract, write_extract
    from toolkit.store import load_waves

    s = load_survey(survey_file)
    chosen = None if waves is None else [w.strip() for w in waves.split(",") if w.strip()]
    responses = load_waves(store_dir, chosen, survey=s)
    units = read_table(units_file, required=("unit", "parent", "kind"), what="units") if units_file else None
    out = console()
    with out.status(f"generalising {len(responses)} responses to k = {k} ..."):
        extract = research_extract(
            responses, s, units=units, level=level, k=k, keep_teams=keep_teams, rng=seed
        )
        paths = write_extract(extract, out_dir, to=to)
    out.print(extract.summary(), markup=False)
    out.print("written:")
    for path in paths:
        out.print(f"  {path}")
