"""The result of :func:`toolkit.simulate.simulate`: :class:`SimulatedOrg` and how it is written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit._io import atomic_write_text
from toolkit.simulate._exports import (
    _canonical_text,
    _google_forms_text,
    _jsonable,
    _qualtrics_text,
    _write_csv,
)
from toolkit.survey import Survey


@dataclass(frozen=True)
class SimulatedOrg:
    """A simulated organisation and its survey waves, with the truth behind them.

    Attributes
    ----------
    survey : Survey
        The survey the responses answer.
    seed : int
        The seed everything was drawn from.
    waves : tuple of str
        Wave labels in order, like ``("2026Q1", "2026Q2")``.
    units : DataFrame
        ``unit``, ``parent``, ``kind`` (organisation, division, department, team); teams are
        the leaves and their ``unit`` is the team id.
    teams : DataFrame
        ``team``, ``manager``, ``department``, ``division``, then ``policy_<wave>`` (the
        manager's 1:1 cadence) and ``length_<wave>`` (their usual 1:1 length) per wave.
    team_waves : DataFrame
        One row per team per wave: ``team``, ``wave``, ``department``, ``division``,
        ``policy``, ``length``, ``headcount``, ``response_rate`` (the true propensity to
        respond), ``switched`` (the policy changed since the previous wave).
    roster : DataFrame
        One row per employee per wave: ``employee_id``, ``wave``, ``team``, ``manager``, one
        column per demographic item (its codes), ``name``, ``email``.
    people : DataFrame
        One row per employee ever employed: ``employee_id``, ``first_name``, ``last_name``,
        ``name``, ``email``.
    responses : dict of str to DataFrame
        Per wave, the canonical response table as a platform would collect it (duplicates,
        speeders, straight-liners and failed attention checks included), exactly
        ``survey.columns`` in the dtypes of :func:`toolkit.canonical_dtypes`, sorted by
        submission time.
    latent : dict of str to DataFrame
        Per wave, the truth behind each response row (same index): ``employee_id``,
        ``team``, ``policy``, ``cadence`` and ``meeting_length`` (as experienced),
        ``eta_<construct>`` (latent scores), and the flags ``speeder``, ``straight_liner``,
        ``attention_failure``, ``is_duplicate`` (the extra submission), ``has_duplicate``
        (the first submission of someone who submitted twice), ``names_self``.
    truth : dict
        Every parameter and the true population effects (see :func:`simulate`); what
        ``truth.json`` holds.
    """

    survey: Survey
    seed: int
    waves: tuple[str, ...]
    units: pd.DataFrame
    teams: pd.DataFrame
    team_waves: pd.DataFrame
    roster: pd.DataFrame
    people: pd.DataFrame
    responses: Mapping[str, pd.DataFrame]
    latent: Mapping[str, pd.DataFrame]
    truth: Mapping[str, Any]

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write every table, the platform exports and ``truth.json`` under ``out_dir``.

        Files (each written atomically): ``units.csv``, ``teams.csv``, ``roster.csv``,
        ``truth.json``, ``responses_<wave>.csv`` (canonical, ISO-8601 UTC timestamps),
        ``exports/qualtrics_<wave>.csv`` (three header rows: column ids, question text,
        ImportId JSON; identifying columns; numeric codes, categorical answers as the
        1-based position of the choice) and ``exports/google_forms_<wave>.csv``
        (``Timestamp`` in Central European time, ``Email Address``, question text as
        headers, answer labels, CRLF line ends).

        Returns
        -------
        dict of str to Path
            Keyed ``units``, ``teams``, ``roster``, ``truth``, ``responses_<wave>``,
            ``qualtrics_<wave>``, ``google_forms_<wave>``.
        """
        out = Path(out_dir)
        paths: dict[str, Path] = {}
        paths["units"] = _write_csv(out / "units.csv", self.units)
        paths["teams"] = _write_csv(out / "teams.csv", self.teams)
        paths["roster"] = _write_csv(out / "roster.csv", self.roster)
        text = json.dumps(_jsonable(self.truth), indent=2, allow_nan=False) + "\n"
        paths["truth"] = atomic_write_text(out / "truth.json", text)
        people = self.people.set_index("employee_id")
        for i, wave in enumerate(self.waves):
            paths[f"responses_{wave}"] = _write_csv(
                out / f"responses_{wave}.csv", _canonical_text(self.responses[wave])
            )
            who = people.reindex(self.latent[wave]["employee_id"])
            q = _qualtrics_text(
                self.survey,
                self.responses[wave],
                who,
                self.latent[wave],
                np.random.default_rng([self.seed, 1, i]),
            )
            paths[f"qualtrics_{wave}"] = atomic_write_text(out / "exports" / f"qualtrics_{wave}.csv", q)
            g = _google_forms_text(self.survey, self.responses[wave], who)
            paths[f"google_forms_{wave}"] = atomic_write_text(out / "exports" / f"google_forms_{wave}.csv", g)
        return paths
