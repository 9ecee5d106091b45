"""The statistics steps of a quarter, with the files they write into the store.

:func:`score_store` scores stored waves and checks how well they measure
(``scores/<wave>.parquet``, ``reports/measurement_<wave>.csv`` and ``.md``); :func:`compare_store`
compares cadences in one wave, adjusted for the covariates :func:`team_covariates` joins
(``reports/compare_<wave>.csv`` and its forest plot ``.png``). The command line
(``oneonone score``, ``oneonone compare``) and :func:`toolkit.run_quarter` call them; the study of
the notebooks joins the same covariates (:meth:`toolkit.Study.wave_scores`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit._io import atomic_write, atomic_write_text
from toolkit.stats.cadence import compare_cadence
from toolkit.stats.measurement import measurement_markdown, measurement_summary
from toolkit.stats.scoring import score
from toolkit.survey import Survey
from toolkit.units import Units

__all__ = ["Comparison", "ScoredWave", "compare_store", "score_store", "team_covariates"]


@dataclass
class ScoredWave:
    """What :func:`score_store` did for one wave: its responses, measurement table and files."""

    wave: str
    responses: int
    measurement: pd.DataFrame
    paths: dict[str, Path] = field(default_factory=dict)


@dataclass
class Comparison:
    """What :func:`compare_store` found: the contrasts, what they adjust for, and the files."""

    wave: str
    table: pd.DataFrame
    covariates: list[str]
    method: str
    cadence: str
    paths: dict[str, Path] = field(default_factory=dict)
    note: str = ""

    @property
    def adjusted(self) -> str:
        """In words: what the contrasts are adjusted for."""
        if self.covariates:
            return f"adjusted for {', '.join(self.covariates)}"
        return "unadjusted (give --units and --roster)"


def team_covariates(
    scores: pd.DataFrame,
    *,
    units: pd.DataFrame | Units | None = None,
    roster: pd.DataFrame | None = None,
    wave: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    r"""Join the team-level covariates of the adjusted cadence comparisons onto scores.

    Team size and division drive cadence, so comparisons of cadences adjust for them:
    ``division`` is each team's division in ``units``; ``log_size`` is the natural log of the
    team's headcount in ``roster`` (its rows of ``wave`` when the roster has a ``wave`` column),
    missing for a team without roster rows.

    Parameters
    ----------
    scores : DataFrame
        Long scores (:func:`toolkit.score`) with a ``team`` column. Not modified.
    units : DataFrame or Units, optional
    roster : DataFrame, optional
        One row per person invited: ``team`` (and ``wave``).
    wave : str, optional
        The wave of the headcounts.

    Returns
    -------
    (DataFrame, list of str)
        The scores with the covariate columns, and their names (``division`` first).

    Examples
    --------
    >>> s = pd.DataFrame({"team": ["t1", "t1", "t2"], "score": [3.0, 4.0, 2.0]})
    >>> r = pd.DataFrame({"team": ["t1"] * 4 + ["t2"] * 2})
    >>> out, names = team_covariates(s, roster=r)
    >>> names, out["log_size"].round(3).tolist()
    (['log_size'], [1.386, 1.386, 0.693])
    """
    out, names = scores.copy(), []
    if units is not None:
        tree = units if isinstance(units, Units) else Units(units)
        out = out.merge(tree.ancestor(kind="division"), on="team", how="left")
        names.append("division")
    if roster is not None:
        people = roster
        if wave is not None and "wave" in people.columns:
            people = people[people["wave"].astype("str") == wave]
        size = people.groupby(people["team"].astype("str")).size().astype("float64")
        out["log_size"] = np.log(out["team"].astype("str").map(size))
        names.append("log_size")
    return out, names


def score_store(store: str | Path, survey: Survey, *, waves: Sequence[str] | None = None) -> list[ScoredWave]:
    """Score stored waves, check their measurement, and write both into the store.

    For each wave: ``scores/<wave>.parquet`` (the long scores of :func:`toolkit.score`) and
    ``reports/measurement_<wave>.csv`` and ``.md`` (:func:`toolkit.measurement_summary`, the items
    and the construct correlations), all private to the store's owner.

    Parameters
    ----------
    store : str or Path
    survey : Survey
    waves : sequence of str, optional
        Default: every stored wave.

    Returns
    -------
    list of ScoredWave
    """
    from toolkit.store import load_waves, manifest

    base = Path(store)
    chosen = list(waves) if waves else sorted(manifest(store)["waves"])
    done = []
    for wave in chosen:
        responses = load_waves(store, wave, survey=survey)
        scores = score(responses, survey)
        with warnings.catch_warnings():  # constant items are reported in the table's notes
            warnings.simplefilter("ignore", UserWarning)
            table = measurement_summary(responses, survey)
        paths = {
            "scores": atomic_write(
                base / "scores" / f"{wave}.parquet",
                lambda tmp, f=scores: f.to_parquet(tmp, index=False),
                private=True,
            ),
            "measurement_csv": atomic_write(
                base / "reports" / f"measurement_{wave}.csv",
                lambda tmp, t=table: t.to_csv(tmp, index=False),
                private=True,
            ),
        }
        text = measurement_markdown(responses, survey, wave=wave, table=table, scores=scores)
        paths["measurement"] = atomic_write_text(
            base / "reports" / f"measurement_{wave}.md", text, private=True
        )
        done.append(ScoredWave(wave, len(responses), table, paths))
    return done


def compare_store(
    store: str | Path,
    survey: Survey,
    wave: str,
    *,
    units: pd.DataFrame | Units | None = None,
    roster: pd.DataFrame | None = None,
    outcomes: Sequence[str] | None = None,
    contrasts: Sequence[tuple[str, str]] | str = (("weekly", "monthly"),),
    method: str = "lmm",
    cadence: str = "reported",
) -> Comparison:
    """Compare cadences in one stored wave and write the table and its forest plot into the store.

    Parameters
    ----------
    store : str or Path
    survey : Survey
    wave : str
    units, roster
        Adjust for each team's division and for the log of its headcount
        (:func:`team_covariates`).
    outcomes : sequence of str, optional
        Constructs (default: every construct).
    contrasts : sequence of (str, str), or "all"
    method, cadence
        As :func:`toolkit.compare_cadence`.

    Returns
    -------
    Comparison
        With ``reports/compare_<wave>.csv`` and its forest plot ``reports/compare_<wave>.png`` written
        (the plot needs the ``figures`` extra; without it ``note`` says so).
    """
    from toolkit.store import load_waves

    responses = load_waves(store, wave, survey=survey)
    scores, covariates = team_covariates(score(responses, survey), units=units, roster=roster, wave=wave)
    table = compare_cadence(
        scores,
        outcome=list(outcomes) if outcomes else list(survey.constructs),
        contrast=contrasts if isinstance(contrasts, str) else [tuple(c) for c in contrasts],
        covariates=covariates,
        method=method,
        cadence=cadence,
    )
    result = Comparison(wave, table, covariates, method, cadence)
    base = Path(store) / "reports"
    result.paths["table"] = atomic_write(
        base / f"compare_{wave}.csv", lambda tmp: table.to_csv(tmp, index=False), private=True
    )
    try:
        from toolkit.plots import forest_plot
    except ImportError:  # a light install without the figures extra: the table is the result
        result.note = (
            "no forest plot: drawing it needs the figures extra (pip install 'one-on-one-toolkit[figures]')"
        )
        return result
    figure = forest_plot(table, title=f"Cadence contrasts, wave {wave}\n{method}, {result.adjusted}")
    result.paths["plot"] = atomic_write(
        base / f"compare_{wave}.png", lambda tmp: figure.savefig(tmp, format="png", dpi=120), private=True
    )
    import matplotlib.pyplot as plt

    plt.close(figure)
    return result
