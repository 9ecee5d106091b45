"""``oneonone run``: the quarter in one command (:func:`toolkit.run_quarter` with a progress display)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from toolkit.cli._common import (
    anonymous_options,
    check_ingest_mode,
    check_wave_and_zone,
    console,
    errors_exit,
    key_file_option,
    options,
    policy_option,
    window_options,
)
from toolkit.errors import InputError
from toolkit.units import Units

__all__ = ["run_cmd"]


@click.command("run")
@click.option(
    "--survey",
    "survey_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The survey definition (YAML) the exports answer.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV with employee_id and team (optionally wave, email, name): joins, headcounts "
    "[with --anonymous: optional, team only, for headcounts].",
)
@click.option(
    "--exports",
    "exports_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder of platform exports, one per wave, each named with its wave (qualtrics_2026Q3.csv).",
)
@click.option(
    "--wave", required=True, help="The quarter to analyse; earlier waves in --exports are ingested too."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for everything the run writes.",
)
@click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    default=None,
    help="units.csv (unit, parent, kind) [default: units.csv beside the roster].",
)
@click.option(
    "--teams",
    "teams_file",
    type=click.Path(path_type=Path),
    default=None,
    help="teams.csv (team, manager, policy_<wave>) [default: teams.csv beside the roster, if any].",
)
@key_file_option
@click.option(
    "--format",
    "fmt",
    default=None,
    help="When a wave has exports of several platforms: the one to ingest (e.g. qualtrics).",
)
@policy_option
@click.option(
    "--truth",
    "truth_file",
    type=click.Path(path_type=Path),
    default=None,
    help="truth.json of a simulated organisation: the notebooks show it beside the estimates.",
)
@options(anonymous_options)
@options(window_options)
@click.option("--no-notebooks", is_flag=True, help="Skip executing the analysis notebooks.")
@click.option(
    "--team",
    "team",
    default=None,
    help="The team whose manager's view notebook 06 shows [default: the first team of the units].",
)
@click.option(
    "--notebook",
    "notebooks",
    multiple=True,
    help="Execute only this notebook (a stem like 06_team_report; repeat) [default: all].",
)
@errors_exit
def run_cmd(
    survey_file: Path,
    roster: Path | None,
    exports_dir: Path,
    wave: str,
    out_dir: Path,
    units_file: Path | None,
    teams_file: Path | None,
    key_file: Path | None,
    fmt: str | None,
    policy_file: Path | None,
    truth_file: Path | None,
    anonymous: bool,
    team_column: str | None,
    waves_table: Path | None,
    allow_outside_window: bool,
    new_key: bool,
    no_notebooks: bool,
    team: str | None,
    notebooks: tuple[str, ...],
) -> None:
    """The quarter in one command: ingest, score, compare, release, reports, notebooks.

    Ingests every export in --exports up to --wave into OUT/store (waves already stored from
    the same export are skipped, so re-running is cheap and never duplicates), scores and checks
    the measurement of every wave, compares cadences in --wave, builds the release, writes the
    manager reports and the organisation heatmap, and executes the analysis notebooks into
    OUT/notebooks/*.html. Ends with a summary of where everything is.

    With --anonymous --team-column COL the exports have no identity: no key and no roster are
    needed (give --units; a roster, if given, only supplies headcounts), and teams not in the
    units (or --teams) are quarantined.
    """
    from toolkit.quarter import run_quarter

    out = console()
    started = time.perf_counter()
    check_ingest_mode(anonymous, team_column, roster, new_key)
    if roster is None and units_file is None:
        raise click.UsageError("give --units (units.csv): without --roster there is no folder to find it in")
    units_file = units_file or _beside(roster, "units.csv", required=True, option="--units")
    if teams_file is None and roster is not None:
        teams_file = _beside(roster, "teams.csv", required=False, option="--teams")
    check_wave_and_zone(wave, "UTC")
    if team is not None and Units(units_file).kind.get(team) != "team":
        raise InputError(f"--team {team} is not a team of the units table", path=units_file)
    display = _Display(out)
    result = run_quarter(
        survey_file,
        roster,
        exports_dir,
        wave,
        out_dir,
        units=units_file,
        teams=teams_file,
        key=None if anonymous else key_file,
        format=fmt,
        notebooks=False if no_notebooks else (list(notebooks) or True),
        anonymous=anonymous,
        team_column=team_column,
        progress=display,
        policy=policy_file,
        truth=truth_file,
        team=team,
        waves_table=waves_table,
        allow_outside_window=allow_outside_window,
        new_key=new_key,
    )
    _run_summary(out, out_dir, result, started)


class _Display:
    """Prints what each step of :func:`toolkit.run_quarter` did, as the commands of the steps do."""

    def __init__(self, out):
        self.out, self.bar, self.task = out, None, None

    def __call__(self, event: str, **info) -> None:
        from toolkit.cli.analyse import print_comparison, print_scored
        from toolkit.cli.ingest import print_ingest
        from toolkit.cli.publish import print_release, print_reports

        out = self.out
        if event == "step":
            out.rule(f"[bold]{info['index']}/{info['total']} {info['name']}[/]")
            if info["name"] in ("ingest", "notebooks"):
                columns = (
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                )
                self.bar = Progress(*columns, console=out, transient=True)
                self.bar.start()
                self.task = self.bar.add_task(f"{info['name']} ...", total=None)
        elif event == "ingesting":
            self.bar.update(self.task, description=f"ingesting {Path(info['path']).name} as {info['wave']}")
        elif event == "notebook":
            self.bar.update(
                self.task,
                description=f"executing {info['stem']}",
                completed=info["index"],
                total=info["total"],
            )
        elif event == "done":
            if self.bar is not None:
                self.bar.stop()
                self.bar = None
            name, result = info["name"], info["result"]
            if name == "ingest":
                for r in result:
                    print_ingest(r, Path(r.source), Path(r.store), out)
            elif name == "score":
                print_scored(result, out)
            elif name == "compare":
                print_comparison(result, out)
            elif name == "release":
                print_release(result, out)
            elif name == "reports":
                print_reports(result, Path(result.paths["manifest"]).parent, out)
            elif name == "notebooks":
                for r in result.itertuples(index=False):
                    out.print(f"{r.notebook}: {r.seconds:.1f} s -> {r.html}")


def _beside(roster: Path, name: str, *, required: bool, option: str) -> Path | None:
    """A file the run needs, by default next to the roster (as in data/sample/)."""
    path = roster.parent / name
    if path.is_file():
        return path
    if required:
        raise InputError(f"give {option}: there is no {name} beside the roster {roster}", path=path)
    return None


def _run_summary(out, out_dir: Path, result, started: float) -> None:
    table = Table(
        "step", "seconds", title=f"wave {result.wave}: done in {time.perf_counter() - started:.0f} s"
    )
    for name, seconds in result.seconds.items():
        table.add_row(name, f"{seconds:.1f}")
    out.print(table)
    where = Table("what", "where", title="outputs", title_justify="left", box=None)
    store = result.outputs["store"]
    where.add_row("wave store (waves, quarantine, manifest)", str(store))
    where.add_row("ingest and measurement reports, comparisons", str(store / "reports"))
    release = result.outputs["release"].with_suffix("")
    where.add_row("release (every published number), comments", f"{release}.parquet, .csv, _comments.*")
    where.add_row("manager reports and manifest", str(result.outputs["manifest"]))
    where.add_row("organisation heatmap", str(result.outputs["organisation"]))
    if "notebooks" in result.outputs:
        where.add_row("executed notebooks (HTML)", str(result.outputs["notebooks"]))
    out.print(where)
    out.print(f"open: file://{Path(result.outputs['organisation']).resolve()}")
