"""``oneonone score``, ``oneonone compare`` and ``oneonone power``: the statistics of a store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from toolkit.cli._common import (
    console,
    errors_exit,
    read_roster,
    read_table,
    store_option,
    stored_survey_option,
)
from toolkit.survey import load_survey

__all__ = ["compare_cmd", "power_cmd", "print_comparison", "print_scored", "score_cmd"]


@click.command("score")
@store_option
@stored_survey_option
@click.option(
    "--wave", "waves", multiple=True, help="A stored wave (repeat for several; default: every wave)."
)
@errors_exit
def score_cmd(store_dir: Path, survey_file: Path, waves: tuple[str, ...]) -> None:
    """Score the constructs of stored waves and check how well they measure.

    Writes scores/<wave>.parquet (long: respondent, wave, team, cadence, construct, score, ...)
    and reports/measurement_<wave>.csv and .md (reliability, ICC, within-team agreement).
    """
    from toolkit.stats.steps import score_store

    print_scored(score_store(store_dir, load_survey(survey_file), waves=list(waves) or None), console())


def print_scored(scored, out: Console) -> None:
    """One table per scored wave, and the files written."""
    for done in scored:
        view = Table(
            "construct",
            "n",
            "alpha",
            "omega",
            "ICC(1)",
            "ICC(2)",
            "median rwg(j)",
            title=f"wave {done.wave}: {done.responses} responses scored",
            title_justify="left",
        )
        for r in done.measurement.itertuples(index=False):
            view.add_row(
                r.construct,
                str(r.n),
                *(f"{v:.2f}" for v in (r.raw_alpha, r.omega_total, r.icc1, r.icc2, r.rwg_j_median)),
            )
        out.print(view)
        out.print(f"written: {done.paths['scores']}, {done.paths['measurement']}")


@click.command("compare")
@store_option
@stored_survey_option
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
@errors_exit
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
    from toolkit.stats.steps import compare_store

    s = load_survey(survey_file)
    units = read_table(units_file, required=("unit", "parent", "kind"), what="units") if units_file else None
    people = read_roster(roster, required=("team",)) if roster is not None else None
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
        result = compare_store(
            store_dir,
            s,
            wave,
            units=units,
            roster=people,
            outcomes=list(outcomes) or None,
            contrasts=pairs,
            method=method,
            cadence=cadence_source,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    print_comparison(result, console())


def print_comparison(result, out: Console) -> None:
    """The contrasts as a table, and the files written."""
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
        title=f"wave {result.wave}: {result.method}, cadence {result.cadence}, {result.adjusted}",
        title_justify="left",
    )
    for r in result.table.itertuples(index=False):
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
    if "plot" in result.paths:
        out.print(f"written: {result.paths['table']} and {result.paths['plot']} (forest plot)")
    else:
        out.print(f"written: {result.paths['table']} ({result.note})")


@click.command("power")
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
@errors_exit
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
    console().print(view)
