"""``oneonone ingest``: one platform export as one wave of the store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from toolkit.cli._common import (
    anonymous_options,
    check_ingest_mode,
    check_wave_and_zone,
    console,
    errors_exit,
    key_file_option,
    options,
    read_roster,
    read_table,
    store_option,
    window_options,
)
from toolkit.ingest import FORMATS
from toolkit.survey import load_survey

__all__ = ["ingest_cmd", "print_ingest"]


@click.command("ingest")
@click.argument("export", type=click.Path(path_type=Path))
@click.option(
    "--survey",
    "survey_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The survey definition (YAML) the export answers.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV with employee_id and team (optionally wave, email, name); with --anonymous: team only, "
    "for headcounts and known teams.",
)
@click.option("--wave", required=True, help="The wave label, like 2026Q3.")
@store_option
@key_file_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Force a reader instead of recognising the platform from the content.",
)
@click.option("--replace", is_flag=True, help="Replace a wave stored from a different export.")
@click.option(
    "--timezone",
    default="UTC",
    show_default=True,
    help="Zone of timestamps that the export writes without one.",
)
@options(anonymous_options)
@click.option(
    "--teams",
    "teams_file",
    type=click.Path(path_type=Path),
    default=None,
    help="With --anonymous: teams.csv (team, optionally headcount): other teams are quarantined.",
)
@click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    default=None,
    help="With --anonymous: units.csv (unit, parent, kind): teams not in it are quarantined.",
)
@options(window_options)
@errors_exit
def ingest_cmd(
    export: Path,
    survey_file: Path,
    roster: Path | None,
    wave: str,
    store_dir: Path,
    key_file: Path | None,
    fmt: str | None,
    replace: bool,
    timezone: str,
    anonymous: bool,
    team_column: str | None,
    teams_file: Path | None,
    units_file: Path | None,
    waves_table: Path | None,
    allow_outside_window: bool,
    new_key: bool,
) -> None:
    """Ingest a platform export as one wave: pseudonymise, validate, quarantine, store.

    Refused with exit 2, and nothing written: an export that lacks a column the survey requires,
    submissions outside the wave's window, a key other than the stored waves' (unless --new-key),
    the sample's public key on other data, a --format that does not fit the file. With
    --anonymous --team-column COL an export without identity is stored with random respondent ids.
    """
    from toolkit.ingest.pipeline import ingest
    from toolkit.privacy.pseudonym import check_key_location, load_key

    check_ingest_mode(anonymous, team_column, roster, new_key)
    if not anonymous and (teams_file is not None or units_file is not None):
        raise click.UsageError("--teams and --units are for --anonymous: the roster gives the teams")
    check_wave_and_zone(wave, timezone)
    key = None
    if not anonymous:
        if key_file is not None:
            check_key_location(key_file, store_dir)
        key = load_key(key_file=key_file)
    s = load_survey(survey_file)
    people = None
    if roster is not None:
        people = read_roster(roster, required=("team",) if anonymous else ("employee_id", "team"))
    teams = read_table(teams_file, required=("team",), what="teams") if teams_file else None
    units = read_table(units_file, required=("unit", "parent", "kind"), what="units") if units_file else None
    out = console()
    with out.status(f"ingesting {export.name} as wave {wave} ..."):
        result = ingest(
            export,
            s,
            roster=people,
            wave=wave,
            store=store_dir,
            key=key,
            format=fmt,
            replace=replace,
            timezone=timezone,
            anonymous=anonymous,
            team_column=team_column,
            teams=teams,
            units=units,
            waves_table=waves_table,
            allow_outside_window=allow_outside_window,
            new_key=new_key,
        )
    print_ingest(result, export, store_dir, out)


def print_ingest(result, export: Path, store_dir: Path, out: Console) -> None:
    """What one ingest did, and where its report is (written unless the wave was unchanged)."""
    wave = result.wave
    if result.status == "unchanged":
        out.print(
            f"{export}: already stored as wave {wave} from this export; nothing to do "
            f"({result.rows_stored} rows stored, {result.rows_quarantined} quarantined)"
        )
        return
    out.print(
        f"{export} ({result.format}): {result.rows_read} rows read = {result.rows_stored} stored "
        f"+ {result.rows_quarantined} quarantined; wave {wave} {result.status} in {store_dir}"
    )
    if result.anonymous:
        out.print(
            "anonymous: random respondent ids (they link nobody across waves), team from "
            f"{result.team_column!r}"
        )
    if result.rows_outside_window:
        out.print(
            f"[yellow]{result.rows_outside_window} rows submitted outside the window of wave {wave} "
            f"({result.window.describe()}) stored, as --allow-outside-window asked[/]",
            markup=True,
        )
    if result.new_series:
        out.print("[yellow]a new pseudonym series starts with this wave (--new-key)[/]", markup=True)
    if result.dropped:
        out.print(f"identifier columns dropped: {', '.join(result.dropped)}")
    summary = result.validation.summary()
    if not summary.empty:
        out.print("quarantined by rule and column (rows numbered as in a spreadsheet):")
        for r in summary.itertuples(index=False):
            out.print(f"  {r.rule:<20} {r.column:<22} {r.n_failures:>5} (e.g. rows {r.example_rows})")
    if result.missing_items:
        out.print(
            f"[yellow]survey items not in the export:[/] {', '.join(result.missing_items)}", markup=True
        )
    paths = result.reports
    if paths:
        out.print(f"report: {paths['html']} (and {paths['markdown'].name})")
