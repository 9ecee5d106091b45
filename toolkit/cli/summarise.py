"""``oneonone summarise``: the study's answer for one wave, ``summary.md`` and ``summary.html``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from toolkit.cli._common import console, errors_exit, store_option, stored_survey_option

__all__ = ["print_summary", "summarise_cmd"]


@click.command("summarise")
@store_option
@stored_survey_option
@click.option("--wave", required=True, help="The stored wave to summarise.")
@click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    default=None,
    help="units.csv: the contrasts adjust for each team's division.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="roster.csv: the contrasts adjust for the log of each team's headcount.",
)
@click.option(
    "--teams",
    "teams_file",
    type=click.Path(path_type=Path),
    default=None,
    help="teams.csv with policy_<wave> columns: the switchers follow the managers' 1:1 policies "
    "(default: each team's modal reported cadence).",
)
@click.option(
    "--truth",
    type=click.Path(path_type=Path),
    default=None,
    help="truth.json of a simulated sample: say where the true effects lie (never for real data).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of summary.md and summary.html (default: the store's reports/ folder).",
)
@errors_exit
def summarise_cmd(
    store_dir: Path,
    survey_file: Path,
    wave: str,
    units_file: Path | None,
    roster: Path | None,
    teams_file: Path | None,
    truth: Path | None,
    out_dir: Path | None,
) -> None:
    """Write the study's answer for a wave in plain language: summary.md and summary.html.

    The adjusted weekly-vs-monthly contrast on depth and the outcomes, the switchers'
    difference-in-differences and its pre-trend test, measurement invariance, reliability and ICC,
    power for the next quarter, and what the data can and cannot say. Organisation-level numbers
    only: nothing per team.
    """
    from toolkit.report.summary import study_summary
    from toolkit.study import load_study

    study = load_study(store_dir, survey=survey_file, units=units_file, roster=roster, teams=teams_file)
    try:
        done = study_summary(study, wave, out_dir=out_dir or Path(store_dir) / "reports", truth=truth)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    print_summary(done, console())


def print_summary(done, out: Console) -> None:
    """The answer in brief, and the files written."""
    brief = next(s for s in done.sections if s["id"] == "brief")
    out.print(f"[bold]wave {done.numbers.wave}: the answer in brief[/bold]")
    for head, text in brief["bullets"]:
        out.print(f"- {head} {text}", markup=False, highlight=False)
    out.print(f"written: {done.paths['summary_md']} and {done.paths['summary_html']}")
