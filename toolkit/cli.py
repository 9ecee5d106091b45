"""The ``oneonone`` command line.

Exit codes, for every command: 0 success; 1 the command ran and found problems (rows that
fail validation, a survey that breaks the format); 2 unusable input or arguments (a file
that is missing or unreadable, a table without the survey's columns), with one paragraph
naming the file, row and column, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from toolkit._io import atomic_write, atomic_write_text
from toolkit.errors import InputError, SurveyError, ToolkitError
from toolkit.ingest import FORMATS, read_canonical
from toolkit.survey import load_survey
from toolkit.survey.codebook import write_codebook
from toolkit.survey.validate import validate

__all__ = ["main"]

EXIT_OK, EXIT_FOUND, EXIT_UNUSABLE = 0, 1, 2


_store_option = click.option(
    "--store", "store_dir", type=click.Path(path_type=Path), required=True, help="The wave store folder."
)
_units_option = click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV of the organisation: unit, parent, kind.",
)
_stored_survey_option = click.option(
    "--survey",
    "survey_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The survey definition (YAML) the stored waves answer.",
)
_headcount_option = click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV with team (and wave): headcounts for response rates.",
)


_key_file_option = click.option(
    "--key-file",
    type=click.Path(path_type=Path),
    default=None,
    help="File holding the secret pseudonym key (default: the ONEONONE_KEY environment variable).",
)
_policy_option = click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Disclosure policy (YAML); default thresholds: scores 5, comments 10, invited 5, distributions 10.",
)


def _console(stderr: bool = False) -> Console:
    # a pipe or a log file gets wide lines rather than tables squeezed into 80 columns
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def _errors_exit(fn):
    """Turn the toolkit's own errors into one readable paragraph and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ToolkitError as exc:
            _console(stderr=True).print(f"[bold red]error:[/] {exc}", markup=True)
            sys.exit(EXIT_UNUSABLE)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="one-on-one-toolkit", prog_name="oneonone")
def main() -> None:
    """Survey and research toolkit for manager 1:1s.

    Exit codes: 0 success, 1 problems found (failing rows, a malformed survey),
    2 unusable input.
    """


@main.group()
def survey() -> None:
    """Check a survey definition and generate what is derived from it."""


@survey.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def survey_check(file: Path) -> None:
    """Check a survey file and summarise it (exit 1 when it is malformed)."""
    out = _console()
    try:
        s = load_survey(file)
    except SurveyError as exc:
        _console(stderr=True).print(f"[bold red]invalid survey:[/] {exc}", markup=True)
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
@_errors_exit
def survey_codebook(file: Path, out_dir: Path) -> None:
    """Write the codebook (CSV and Markdown) and the schema summary."""
    s = load_survey(file)
    paths = write_codebook(s, out_dir)
    out = _console()
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
@_errors_exit
def survey_export(file: Path, to: str, out: str, policy_file: Path | None) -> None:
    """Write the survey as a form to import into a platform, or as a printable questionnaire."""
    from toolkit.forms import export_form

    s = load_survey(file)
    try:
        path = export_form(s, to, out, policy=policy_file)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    _console().print(f"{s.id} {s.version} as {to}: {path}")


@survey.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@_errors_exit
def survey_diff(old: Path, new: Path) -> None:
    """List added, removed and reworded items between two survey versions, and which scores stay
    comparable across the change (from the items' lineage: replaces, comparable)."""
    from toolkit.survey.versions import comparable_constructs, diff_surveys, format_diff

    before, after = load_survey(old), load_survey(new)
    _console().print(
        format_diff(diff_surveys(before, after), comparable_constructs(before, after)), markup=False
    )


@main.command("validate")
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
@_errors_exit
def validate_cmd(responses: Path, survey_file: Path, roster: Path | None, out_dir: Path | None) -> None:
    """Validate a canonical response table (exit 1 when rows fail)."""
    s = load_survey(survey_file)
    table = read_canonical(responses)
    roster_table = _read_roster(roster) if roster is not None else None
    result = validate(table, s, roster=roster_table, source=str(responses))
    out = _console()
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


@main.command("simulate")
@click.option(
    "--survey",
    "survey_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The survey definition (YAML) the synthetic reports answer.",
)
@click.option(
    "--teams",
    type=click.IntRange(1, 200_000),
    default=60,
    show_default=True,
    help="Number of teams (about 8.5 employees each).",
)
@click.option(
    "--waves", type=click.IntRange(1, 40), default=4, show_default=True, help="Number of quarterly waves."
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Everything is reproducible from the seed.",
)
@click.option(
    "--icc",
    type=click.FloatRange(0, 0.3),
    default=0.10,
    show_default=True,
    help="Target ICC(1) of the construct scores.",
)
@click.option("--null", "null", is_flag=True, help="Set every cadence effect to zero (type-I error checks).")
@click.option("--first-wave", default="2026Q1", show_default=True, help="Label of the first wave.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for the tables, the platform exports and truth.json.",
)
@_errors_exit
def simulate_cmd(
    survey_file: Path,
    teams: int,
    waves: int,
    seed: int,
    icc: float,
    null: bool,
    first_wave: str,
    out_dir: Path,
) -> None:
    """Simulate an organisation with known truth and write its survey waves."""
    from toolkit.simulate import simulate

    s = load_survey(survey_file)
    out = _console()
    try:
        with out.status(f"simulating {teams} teams over {waves} waves ..."):
            org = simulate(s, teams=teams, waves=waves, seed=seed, icc=icc, null=null, first_wave=first_wave)
            paths = org.write(out_dir)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    people = org.roster["employee_id"].nunique()
    rows = sum(len(r) for r in org.responses.values())
    out.print(
        f"simulated {len(org.teams)} teams, {people} employees, waves {', '.join(org.waves)}: "
        f"{rows} responses (seed {seed}{', null effects' if null else ''})"
    )
    depth = org.truth["estimands"].get("depth_weekly_vs_monthly")
    if depth is not None:
        out.print(
            f"true weekly-vs-monthly effect on depth: {depth['score']:.3f} score points "
            f"({depth['latent']:.2f} latent SD)"
        )
    out.print(f"written to {out_dir}/ ({len(paths)} files), truth in {paths['truth']}")


_anonymous_options = [
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
_window_options = [
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


def _options(options):
    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _check_ingest_mode(anonymous: bool, team_column: str | None, roster: Path | None, new_key: bool) -> None:
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


def _check_wave_and_zone(wave: str, timezone: str) -> None:
    import re

    from toolkit.ingest.export import check_timezone
    from toolkit.survey.schema import WAVE_PATTERN

    if not re.match(WAVE_PATTERN, wave):
        raise click.BadParameter(f"a wave looks like 2026Q3; got {wave!r}", param_hint="'--wave'")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--timezone'") from None


@main.command("ingest")
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
@_store_option
@_key_file_option
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
@_options(_anonymous_options)
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
@_options(_window_options)
@_errors_exit
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

    _check_ingest_mode(anonymous, team_column, roster, new_key)
    if not anonymous and (teams_file is not None or units_file is not None):
        raise click.UsageError("--teams and --units are for --anonymous: the roster gives the teams")
    _check_wave_and_zone(wave, timezone)
    key = None
    if not anonymous:
        if key_file is not None:
            check_key_location(key_file, store_dir)
        key = load_key(key_file=key_file)
    s = load_survey(survey_file)
    people = None
    if roster is not None:
        people = _read_roster(roster, required=("team",) if anonymous else ("employee_id", "team"))
    teams = _read_table(teams_file, required=("team",), what="teams") if teams_file else None
    units = _read_table(units_file, required=("unit", "parent", "kind"), what="units") if units_file else None
    out = _console()
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
    _print_ingest(result, export, s, store_dir, out)


def _print_ingest(result, export: Path, s, store_dir: Path, out: Console) -> None:
    """What one ingest did, and its report (written unless the wave was unchanged)."""
    from toolkit.ingest.report import write_ingest_report

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
    paths = write_ingest_report(result, Path(store_dir) / "reports", survey_label=f"{s.id} {s.version}")
    out.print(f"report: {paths['html']} (and {paths['markdown'].name})")


@main.command("score")
@_store_option
@_stored_survey_option
@click.option(
    "--wave", "waves", multiple=True, help="A stored wave (repeat for several; default: every wave)."
)
@_errors_exit
def score_cmd(store_dir: Path, survey_file: Path, waves: tuple[str, ...]) -> None:
    """Score the constructs of stored waves and check how well they measure.

    Writes scores/<wave>.parquet (long: respondent, wave, team, cadence, construct, score, ...)
    and reports/measurement_<wave>.csv and .md (reliability, ICC, within-team agreement).
    """
    import warnings

    from toolkit._io import md_table
    from toolkit.stats.measurement import CUTOFFS, item_summary, measurement_summary
    from toolkit.stats.psychometrics import construct_correlations
    from toolkit.stats.scoring import score
    from toolkit.store import load_waves, manifest

    s = load_survey(survey_file)
    chosen = list(waves) or sorted(manifest(store_dir)["waves"])
    out = _console()
    for wave in chosen:
        responses = load_waves(store_dir, wave, survey=s)
        scores = score(responses, s)
        with warnings.catch_warnings():  # constant items are reported in the table's notes
            warnings.simplefilter("ignore", UserWarning)
            table = measurement_summary(responses, s)
        base = Path(store_dir)
        atomic_write(
            base / "scores" / f"{wave}.parquet",
            lambda tmp, f=scores: f.to_parquet(tmp, index=False),
            private=True,
        )
        atomic_write(
            base / "reports" / f"measurement_{wave}.csv",
            lambda tmp, t=table: t.to_csv(tmp, index=False),
            private=True,
        )
        shown = table.drop(columns=["label", "notes"]).round(3)
        lines = [
            f"# Measurement quality, wave {wave}",
            "",
            f"Survey `{s.id}` {s.version}, {len(responses)} stored responses. Conventional cut-offs, "
            f"shown and not applied: alpha and omega {CUTOFFS['raw_alpha']:.2f}, ICC(2) "
            f"{CUTOFFS['icc2']:.2f}, r_wg(J) {CUTOFFS['rwg_j']:.2f}; ICC(1) of 0.05 to 0.20 is typical "
            "of work groups.",
            "",
        ]
        lines += md_table(list(shown.columns), shown.astype("str").values.tolist())
        notes = table.loc[table["notes"] != "", ["construct", "notes"]]
        lines += [""] + [f"- `{c}`: {n}" for c, n in notes.itertuples(index=False)]
        items = item_summary(responses, s)
        lines += [
            "",
            "## Items",
            "",
            "Flags people use, not applied: r_drop below 0.30, a loading below 0.40, "
            "alpha rising when the item is dropped.",
            "",
        ]
        lines += md_table(list(items.columns), items.round(3).astype("str").values.tolist())
        correlations = construct_correlations(scores).round(2)
        lines += ["", "## Construct correlations (Pearson, pairwise)", ""]
        lines += md_table(
            ["", *correlations.columns],
            [
                [i, *r]
                for i, r in zip(correlations.index, correlations.astype("str").values.tolist(), strict=True)
            ],
        )
        atomic_write_text(base / "reports" / f"measurement_{wave}.md", "\n".join(lines) + "\n", private=True)
        view = Table(
            "construct",
            "n",
            "alpha",
            "omega",
            "ICC(1)",
            "ICC(2)",
            "median rwg(j)",
            title=f"wave {wave}: {len(responses)} responses scored",
            title_justify="left",
        )
        for r in table.itertuples(index=False):
            view.add_row(
                r.construct,
                str(r.n),
                *(f"{v:.2f}" for v in (r.raw_alpha, r.omega_total, r.icc1, r.icc2, r.rwg_j_median)),
            )
        out.print(view)
        out.print(
            f"written: {base / 'scores' / f'{wave}.parquet'}, {base / 'reports' / f'measurement_{wave}.md'}"
        )


@main.command("release")
@_store_option
@_units_option
@_stored_survey_option
@_headcount_option
@_policy_option
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The release, written as <out>.parquet and <out>.csv; its comments as <out>_comments.parquet/.csv.",
)
@_errors_exit
def release_cmd(
    store_dir: Path,
    units_file: Path,
    survey_file: Path,
    roster: Path | None,
    policy_file: Path | None,
    out_file: Path,
) -> None:
    """Build the release: every number each audience may see, after disclosure control."""
    import pandas as pd

    s = load_survey(survey_file)
    table, comments = _build_release(store_dir, s, units_file, roster, policy_file)
    out = _console()
    stem = out_file.with_suffix("")
    notes = stem.with_name(stem.name + "_comments")
    plain = table.astype(dict.fromkeys(("audience", "wave", "unit", "cut", "measure"), "str"))
    atomic_write(stem.with_suffix(".parquet"), lambda tmp: plain.to_parquet(tmp, index=False))
    atomic_write(stem.with_suffix(".csv"), lambda tmp: plain.to_csv(tmp, index=False))
    atomic_write(notes.with_suffix(".parquet"), lambda tmp: comments.to_parquet(tmp, index=False))
    atomic_write(notes.with_suffix(".csv"), lambda tmp: comments.to_csv(tmp, index=False))
    audiences = plain["audience"].str.split(":").str[0].value_counts()
    out.print(
        f"release: {len(table)} numbers for {plain['audience'].nunique()} audiences "
        f"({', '.join(f'{n} {k}' for k, n in audiences.items())} rows), waves "
        f"{', '.join(sorted(pd.unique(plain['wave'])))}"
    )
    shown = comments[comments["audience"] == "analyst"]
    out.print(
        f"comments: {len(shown)} published in {shown.groupby(['wave', 'unit']).ngroups} sets of at least "
        f"the threshold's respondents ({len(comments)} rows over all audiences)"
    )
    out.print(f"written: {stem.with_suffix('.parquet')} and {stem.with_suffix('.csv')}")
    out.print(f"written: {notes.with_suffix('.parquet')} and {notes.with_suffix('.csv')}")


@main.command("compare")
@_store_option
@_stored_survey_option
@click.option("--wave", required=True, help="The stored wave to analyse.")
@click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path),
    default=None,
    help="units.csv: adjusts for each team's division.",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="roster.csv: adjusts for the log of each team's headcount.",
)
@click.option("--outcome", "outcomes", multiple=True, help="A construct (repeat; default: every construct).")
@click.option(
    "--contrast",
    "contrasts",
    multiple=True,
    default=("weekly:monthly",),
    show_default=True,
    help="Two cadences as a:b (repeat), or 'all'.",
)
@click.option(
    "--method", type=click.Choice(["lmm", "ols_cluster", "team_means"]), default="lmm", show_default=True
)
@click.option(
    "--cadence",
    "cadence_source",
    type=click.Choice(["reported", "policy"]),
    default="reported",
    show_default=True,
    help="Cadence as each report says, or the team's policy (modal report).",
)
@_errors_exit
def compare_cmd(
    store_dir: Path,
    survey_file: Path,
    wave: str,
    units_file: Path | None,
    roster: Path | None,
    outcomes: tuple[str, ...],
    contrasts: tuple[str, ...],
    method: str,
    cadence_source: str,
) -> None:
    """Compare cadences (weekly vs monthly by default) with team clustering taken into account."""
    import numpy as np

    from toolkit.plots import forest_plot
    from toolkit.stats.cadence import compare_cadence
    from toolkit.stats.scoring import score
    from toolkit.store import load_waves
    from toolkit.units import ancestor

    s = load_survey(survey_file)
    responses = load_waves(store_dir, wave, survey=s)
    scores = score(responses, s)
    covariates = []
    if units_file is not None:
        units = _read_table(units_file, required=("unit", "parent", "kind"), what="units")
        scores = scores.merge(ancestor(units, kind="division"), on="team", how="left")
        covariates.append("division")
    if roster is not None:
        people = _read_roster(roster, required=("team",))
        if "wave" in people.columns:
            people = people[people["wave"] == wave]
        size = people.groupby("team").size()
        scores = scores.assign(log_size=np.log(scores["team"].map(size).astype("float64")))
        covariates.append("log_size")
    if contrasts == ("all",):
        pairs: object = "all"
    else:
        pairs = []
        for text in contrasts:
            a, sep, b = text.partition(":")
            if not sep:
                raise click.BadParameter(f"--contrast takes a:b such as weekly:monthly, or all; got {text!r}")
            pairs.append((a, b))
    try:
        table = compare_cadence(
            scores,
            outcome=list(outcomes) or list(s.constructs),
            contrast=pairs,
            covariates=covariates,
            method=method,
            cadence=cadence_source,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    out = _console()
    adjusted = (
        f"adjusted for {', '.join(covariates)}" if covariates else "unadjusted (give --units and --roster)"
    )
    view = Table(
        "outcome",
        "contrast",
        "estimate",
        "95% interval",
        "p",
        "p (Holm)",
        "g",
        "people",
        "teams",
        title=f"wave {wave}: {method}, cadence {cadence_source}, {adjusted}",
        title_justify="left",
    )
    for r in table.itertuples(index=False):
        view.add_row(
            r.outcome,
            r.contrast,
            f"{r.estimate:+.3f}",
            f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]",
            f"{r.p_val:.3g}",
            f"{r.p_adj:.3g}",
            f"{r.g:+.2f}",
            str(r.n_people),
            str(r.n_teams),
        )
    out.print(view)
    base = Path(store_dir) / "reports"
    atomic_write(base / f"compare_{wave}.csv", lambda tmp: table.to_csv(tmp, index=False), private=True)
    figure = forest_plot(table, title=f"Cadence contrasts, wave {wave}\n{method}, {adjusted}")
    atomic_write(
        base / f"compare_{wave}.png", lambda tmp: figure.savefig(tmp, format="png", dpi=120), private=True
    )
    out.print(f"written: {base / f'compare_{wave}.csv'} and {base / f'compare_{wave}.png'} (forest plot)")


@main.command("power")
@click.option(
    "--teams-per-arm",
    "teams",
    type=click.IntRange(2),
    multiple=True,
    help="Teams in each arm (repeat for several): gives the minimum detectable effect.",
)
@click.option(
    "--effect",
    type=click.FloatRange(0, min_open=True),
    multiple=True,
    help="Effect to detect in SD units (repeat for several): gives the teams needed.",
)
@click.option(
    "--team-size",
    type=click.FloatRange(1),
    multiple=True,
    required=True,
    help="Respondents per team (repeat for several).",
)
@click.option(
    "--icc",
    type=click.FloatRange(0, 1),
    multiple=True,
    required=True,
    help="Intraclass correlation of the outcome (repeat for several).",
)
@click.option(
    "--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True
)
@click.option(
    "--power",
    "target",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.8,
    show_default=True,
)
@click.option(
    "--distribution",
    type=click.Choice(["normal", "t"]),
    default="t",
    show_default=True,
    help="Normal quantiles, or t on the teams' degrees of freedom.",
)
@_errors_exit
def power_cmd(
    teams: tuple[int, ...],
    effect: tuple[float, ...],
    team_size: tuple[float, ...],
    icc: tuple[float, ...],
    alpha: float,
    target: float,
    distribution: str,
) -> None:
    """Plan a study: minimum detectable effect, or teams needed (design effect 1 + (m - 1) ICC)."""
    from toolkit.stats.power import power

    if bool(teams) == bool(effect):
        raise click.UsageError("give --teams-per-arm or --effect (one of them)")
    kwargs = {"teams_per_arm": list(teams)} if teams else {"effect": list(effect)}
    table = power(
        **kwargs,
        team_size=list(team_size),
        icc=list(icc),
        alpha=alpha,
        power=target,
        distribution=distribution,
    )
    view = Table(*table.columns, box=None, pad_edge=False)
    for row in table.itertuples(index=False):
        view.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    _console().print(view)


def _build_release(store_dir: Path, survey, units_file: Path, roster: Path | None, policy_file: Path | None):
    """The release and the comment release of every stored wave; response rates when a roster gives
    headcounts, and the roster's names and emails scrubbed from the comments."""
    from toolkit.privacy.comments import release_comments
    from toolkit.privacy.disclosure import load_policy, release
    from toolkit.store import load_waves

    units = _read_table(units_file, required=("unit", "parent", "kind"), what="units")
    invited = people = None
    if roster is not None:
        people = _read_roster(roster, required=("team",))
        keys = ["team", "wave"] if "wave" in people.columns else ["team"]
        invited = people.groupby(keys).size().rename("invited").reset_index()
    policy = load_policy(policy_file)
    responses = load_waves(store_dir, survey=survey)
    with _console().status(f"releasing {len(responses)} responses ..."):
        numbers = release(responses, survey, units, invited=invited, policy=policy)
        comments = release_comments(responses, survey, units, roster=people, policy=policy)
    return numbers, comments


@main.command("report")
@_store_option
@_units_option
@_stored_survey_option
@click.option("--wave", required=True, help="The wave to report on.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for <team>.html, manifest.csv and organisation.html.",
)
@_headcount_option
@click.option(
    "--teams",
    "teams_file",
    type=click.Path(path_type=Path),
    default=None,
    help="teams.csv with team and manager: names each report's manager in the manifest.",
)
@_policy_option
@_errors_exit
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
    from toolkit.report import write_manager_reports, write_organisation_report

    s = load_survey(survey_file)
    table, comments = _build_release(store_dir, s, units_file, roster, policy_file)
    if wave not in set(table["wave"].astype("str")):
        raise InputError(
            f"wave {wave} is not in the store (it has {', '.join(sorted(set(table['wave'].astype('str'))))})",
            path=store_dir,
        )
    units = _read_table(units_file, required=("unit", "parent", "kind"), what="units")
    managers = _read_table(teams_file, required=("team", "manager"), what="teams") if teams_file else None
    out = _console()
    with out.status(f"writing the reports of wave {wave} ..."):
        manifest = write_manager_reports(
            table,
            s,
            units,
            wave=wave,
            out_dir=out_dir,
            managers=managers,
            policy=policy_file,
            comments=comments,
        )
        organisation = write_organisation_report(
            table, s, units, wave=wave, out_dir=out_dir, policy=policy_file
        )
    shown = int((~manifest["suppressed"]).sum()) if "suppressed" in manifest else len(manifest)
    out.print(
        f"wave {wave}: {len(manifest)} manager reports ({shown} with their team's results, "
        f"{len(manifest) - shown} below the threshold) in {out_dir}/"
    )
    out.print(f"manifest: {Path(out_dir) / 'manifest.csv'}; organisation heatmap: {organisation}")
    out.print(f"open one: file://{(Path(out_dir) / manifest['file'].iloc[0]).resolve()}")


@main.command("extract")
@_store_option
@_stored_survey_option
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
@_errors_exit
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
    units = _read_table(units_file, required=("unit", "parent", "kind"), what="units") if units_file else None
    out = _console()
    with out.status(f"generalising {len(responses)} responses to k = {k} ..."):
        extract = research_extract(
            responses, s, units=units, level=level, k=k, keep_teams=keep_teams, rng=seed
        )
        paths = write_extract(extract, out_dir, to=to)
    out.print(extract.summary(), markup=False)
    out.print("written:")
    for path in paths:
        out.print(f"  {path}")


@main.command("run")
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
@_key_file_option
@click.option(
    "--format",
    "fmt",
    default=None,
    help="When a wave has exports of several platforms: the one to ingest (e.g. qualtrics).",
)
@_policy_option
@click.option(
    "--truth",
    "truth_file",
    type=click.Path(path_type=Path),
    default=None,
    help="truth.json of a simulated organisation: the notebooks show it beside the estimates.",
)
@_options(_anonymous_options)
@_options(_window_options)
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
@click.pass_context
@_errors_exit
def run_cmd(
    ctx: click.Context,
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
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from toolkit.privacy.pseudonym import check_key_location, load_key
    from toolkit.study import ingest_exports

    out = _console()
    started = time.perf_counter()
    store = out_dir / "store"
    _check_ingest_mode(anonymous, team_column, roster, new_key)
    if roster is None and units_file is None:
        raise click.UsageError("give --units (units.csv): without --roster there is no folder to find it in")
    units_file = units_file or _beside(roster, "units.csv", required=True, option="--units")
    if teams_file is None and roster is not None:
        teams_file = _beside(roster, "teams.csv", required=False, option="--teams")
    _check_wave_and_zone(wave, "UTC")
    key = None
    if not anonymous:
        if key_file is not None:
            check_key_location(key_file, out_dir)
        key = load_key(key_file=key_file)  # fails early, before any work, when there is no key
    s = load_survey(survey_file)
    units = _read_table(units_file, required=("unit", "parent", "kind"), what="units")
    teams = units.loc[units["kind"].astype("str") == "team", "unit"].astype("str").tolist()
    if team is not None and team not in teams:
        raise InputError(f"--team {team} is not a team of the units table", path=units_file)
    people = None
    if roster is not None:
        people = _read_roster(roster, required=("team",) if anonymous else ("employee_id", "team"))
    steps = ["ingest", "score", "compare", "release", "reports"] + ([] if no_notebooks else ["notebooks"])
    timings: dict[str, float] = {}

    def step(name: str) -> None:
        timings[name] = time.perf_counter()
        out.rule(f"[bold]{steps.index(name) + 1}/{len(steps)} {name}[/]")

    def bar() -> Progress:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        return Progress(*columns, console=out, transient=True)

    step("ingest")
    with bar() as progress:
        task = progress.add_task("ingesting exports", total=None)

        def advance(w: str, path: Path) -> None:
            progress.update(task, description=f"ingesting {path.name} as {w}")

        results = ingest_exports(
            exports_dir,
            survey=s,
            roster=people,
            store=store,
            key=key,
            format=fmt,
            up_to=wave,
            progress=advance,
            anonymous=anonymous,
            team_column=team_column,
            teams=teams_file if anonymous else None,
            units=units if anonymous else None,
            waves_table=waves_table,
            allow_outside_window=allow_outside_window,
            new_key=new_key,
        )
    for result in results:
        _print_ingest(result, Path(result.source), s, store, out)
    step("score")
    ctx.invoke(score_cmd, store_dir=store, survey_file=survey_file, waves=())
    step("compare")
    ctx.invoke(
        compare_cmd,
        store_dir=store,
        survey_file=survey_file,
        wave=wave,
        units_file=units_file,
        roster=roster,
        outcomes=(),
        contrasts=("weekly:monthly",),
        method="lmm",
        cadence_source="reported",
    )
    step("release")
    release_file = out_dir / "release"
    ctx.invoke(
        release_cmd,
        store_dir=store,
        units_file=units_file,
        survey_file=survey_file,
        roster=roster,
        policy_file=policy_file,
        out_file=release_file,
    )
    step("reports")
    ctx.invoke(
        report_cmd,
        store_dir=store,
        units_file=units_file,
        survey_file=survey_file,
        wave=wave,
        out_dir=out_dir / "reports",
        roster=roster,
        teams_file=teams_file,
        policy_file=policy_file,
    )
    executed = None
    if not no_notebooks:
        from toolkit.notebooks import NOTEBOOKS, run_notebooks

        step("notebooks")
        parameters = {
            "SURVEY": str(survey_file.resolve()),
            "EXPORTS": str(exports_dir.resolve()),
            "ROSTER": None if roster is None else str(roster.resolve()),
            "UNITS": str(units_file.resolve()),
            "STORE": str(store.resolve()),
            "WAVE": wave,
            "FORMAT": fmt,
            # the kernel inherits the environment; a key file is passed by path, never the key
            "KEY": str(key_file.resolve()) if key_file is not None else "env",
            "TRUTH": None if truth_file is None else str(truth_file.resolve()),
            "ANONYMOUS": anonymous,
            "TEAM_COLUMN": team_column,
            "WAVES_TABLE": None if waves_table is None else str(waves_table.resolve()),
            "ALLOW_OUTSIDE_WINDOW": allow_outside_window,
            "NEW_KEY": new_key,
        }
        if teams_file is not None:
            parameters["TEAMS"] = str(teams_file.resolve())
        parameters["TEAM"] = team or teams[0]
        with bar() as progress:
            chosen = list(notebooks) or list(NOTEBOOKS)
            task = progress.add_task("executing notebooks", total=len(chosen))

            def running(stem: str) -> None:
                progress.update(task, description=f"executing {stem}", completed=chosen.index(stem))

            executed = run_notebooks(
                out_dir / "notebooks",
                parameters=parameters,
                notebooks=chosen,
                progress=running,
                strict=not notebooks,  # a subset of the notebooks uses a subset of the parameters
            )
        for r in executed.itertuples(index=False):
            out.print(f"{r.notebook}: {r.seconds:.1f} s -> {r.html}")
    timings["end"] = time.perf_counter()
    _run_summary(out, out_dir, store, release_file, wave, executed, timings, started)


def _beside(roster: Path, name: str, *, required: bool, option: str) -> Path | None:
    """A file the run needs, by default next to the roster (as in data/sample/)."""
    path = roster.parent / name
    if path.is_file():
        return path
    if required:
        raise InputError(f"give {option}: there is no {name} beside the roster {roster}", path=path)
    return None


def _run_summary(out, out_dir, store, release_file, wave, executed, timings, started) -> None:
    import itertools
    import time

    names = list(timings)
    table = Table("step", "seconds", title=f"wave {wave}: done in {time.perf_counter() - started:.0f} s")
    for a, b in itertools.pairwise(names):
        table.add_row(a, f"{timings[b] - timings[a]:.1f}")
    out.print(table)
    where = Table("what", "where", title="outputs", title_justify="left", box=None)
    where.add_row("wave store (waves, quarantine, manifest)", str(store))
    where.add_row("ingest and measurement reports, comparisons", str(store / "reports"))
    where.add_row("release (every published number), comments", f"{release_file}.parquet, .csv, _comments.*")
    where.add_row("manager reports and manifest", str(out_dir / "reports" / "manifest.csv"))
    where.add_row("organisation heatmap", str(out_dir / "reports" / "organisation.html"))
    if executed is not None:
        where.add_row("executed notebooks (HTML)", str(out_dir / "notebooks"))
    out.print(where)
    out.print(f"open: file://{(out_dir / 'reports' / 'organisation.html').resolve()}")


def _read_table(path: Path, *, required: tuple[str, ...], what: str = "table"):
    from toolkit._io import read_table

    return read_table(path, what=what, required=required)


def _read_roster(path: Path, *, required: tuple[str, ...] = ("team",)):
    return _read_table(path, required=required, what="roster")


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


if __name__ == "__main__":  # pragma: no cover
    main()
