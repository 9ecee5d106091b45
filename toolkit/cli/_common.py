"""What every command shares: the console, exit codes, error handling, options, small readers."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import click
from rich.console import Console

from toolkit.errors import ToolkitError

__all__ = [
    "EXIT_FOUND",
    "EXIT_OK",
    "EXIT_UNUSABLE",
    "anonymous_options",
    "check_ingest_mode",
    "check_wave_and_zone",
    "console",
    "errors_exit",
    "headcount_option",
    "key_file_option",
    "options",
    "policy_option",
    "read_roster",
    "read_table",
    "store_option",
    "stored_survey_option",
    "units_option",
    "window_options",
]

EXIT_OK, EXIT_FOUND, EXIT_UNUSABLE = 0, 1, 2

store_option = click.option(
    "--store", "store_dir", type=click.Path(path_type=Path), required=True, help="The wave store folder."
)
units_option = click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV of the organisation: unit, parent, kind.",
)
stored_survey_option = click.option(
    "--survey",
    "survey_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The survey definition (YAML) the stored waves answer.",
)
headcount_option = click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV with team (and wave): headcounts for response rates.",
)
key_file_option = click.option(
    "--key-file",
    type=click.Path(path_type=Path),
    default=None,
    help="File holding the secret pseudonym key (default: the ONEONONE_KEY environment variable).",
)
policy_option = click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Disclosure policy (YAML); default thresholds: scores 5, comments 10, invited 5, distributions 10.",
)
anonymous_options = [
    click.option(
        "--anonymous",
        is_flag=True,
        help="The export has no identity (anonymous link, form without sign-in): random respondent ids "
        "that link nobody across waves; no roster or key needed. Needs --team-column.",
    ),
    click.option(
        "--team-column",
        default=None,
        help="With --anonymous: the column holding each respondent's team (an embedded-data field such as "
        "team, or the team question's header).",
    ),
]
window_options = [
    click.option(
        "--waves-table",
        type=click.Path(path_type=Path),
        default=None,
        help="CSV with wave,start,end: the dates each wave's survey ran [default: the quarter, from 7 days "
        "before to 6 weeks after].",
    ),
    click.option(
        "--allow-outside-window",
        is_flag=True,
        help="Store rows submitted outside the wave's window instead of refusing the export.",
    ),
    click.option(
        "--new-key",
        is_flag=True,
        help="Accept a key other than the one of the stored waves: start a new pseudonym series on purpose.",
    ),
]


def options(decorators):
    """Apply a list of click option decorators in order."""

    def decorate(fn):
        for option in reversed(decorators):
            fn = option(fn)
        return fn

    return decorate


def console(stderr: bool = False) -> Console:
    """The console commands print to; a pipe or a log file gets wide lines rather than tables
    squeezed into 80 columns."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def errors_exit(fn):
    """Turn the toolkit's own errors into one readable paragraph and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ToolkitError as exc:
            console(stderr=True).print(f"[bold red]error:[/] {exc}", markup=True)
            sys.exit(EXIT_UNUSABLE)

    return wrapper


def read_table(path: Path, *, required: tuple[str, ...], what: str = "table"):
    from toolkit._io import read_table as read

    return read(path, what=what, required=required)


def read_roster(path: Path, *, required: tuple[str, ...] = ("team",)):
    return read_table(path, required=required, what="roster")


def check_ingest_mode(anonymous: bool, team_column: str | None, roster: Path | None, new_key: bool) -> None:
    """The flags of an anonymous or a pseudonymised ingest fit together (else a usage error)."""
    if anonymous and not (team_column or "").strip():
        raise click.UsageError(
            "--anonymous needs --team-column COL: the column (an embedded-data field, or the team "
            "question's header) that holds each respondent's team"
        )
    if anonymous and new_key:
        raise click.UsageError("--new-key is for pseudonymised waves: an anonymous ingest takes no key")
    if not anonymous and team_column is not None:
        raise click.UsageError(
            "--team-column is for --anonymous: a pseudonymised ingest takes each respondent's team from "
            "the roster"
        )
    if not anonymous and roster is None:
        raise click.UsageError(
            "give --roster (employee_id, team) to pseudonymise the respondents, or --anonymous "
            "--team-column COL for an export without identity"
        )


def check_wave_and_zone(wave: str, timezone: str) -> None:
    """A wave label like 2026Q3 and a known time zone (else a bad parameter)."""
    from toolkit.ingest.export import check_timezone
    from toolkit.survey.schema import WAVE_PATTERN

    if not re.match(WAVE_PATTERN, wave):
        raise click.BadParameter(f"a wave looks like 2026Q3; got {wave!r}", param_hint="'--wave'")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--timezone'") from None
