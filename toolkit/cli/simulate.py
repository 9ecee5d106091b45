"""``oneonone simulate``: a synthetic organisation with known truth."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli._common import console, errors_exit
from toolkit.survey import load_survey

__all__ = ["simulate_cmd"]


@click.command("simulate")
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
@errors_exit
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
    out = console()
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
