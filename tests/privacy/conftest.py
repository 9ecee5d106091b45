"""Hand-built organisations, each hard for disclosure control in one way (default policy: threshold 5).

Every scenario is an organisation ``org`` with two divisions: ``div1`` holds the focal department
``dep1`` and a sibling department ``dep2``; ``div2`` holds one department ``dep3`` (a unit with a
single child). Answers are random (seeded); most scenarios hold a respondent who answered "does not
apply" (code 9) to an item, one who left an item blank, one who left a demographic blank, and
several codes of each demographic. :func:`scenarios` returns them by name.

:func:`build`, :func:`_people` and :func:`_units` are the simpler builders of the disclosure tests
(``test_disclosure.py``): tuples of people, departments directly under the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

import toolkit

Q1, Q2 = "2026Q1", "2026Q2"
TENURES = ("under_1y", "1_to_3y", "over_3y")
LOCATIONS = ("office", "hybrid", "remote")
LEVELS = ("individual", "senior", "manager")
LENGTHS = ("up_to_15", "about_30", "about_45", "60_plus")


@pytest.fixture(scope="session")
def survey():
    return toolkit.load_survey("surveys/one_on_one_pulse.yaml")


@dataclass(frozen=True)
class Person:
    """One respondent; ``None`` demographics are left blank."""

    rid: str
    team: str
    waves: tuple[str, ...] = (Q1,)
    tenure: str | None = "over_3y"
    location: str | None = "office"
    level: str | None = "individual"
    cadence: str = "weekly"


@dataclass
class Scenario:
    """Responses and units of one hard shape, its focal team and department, and what is special."""

    name: str
    responses: pd.DataFrame
    units: pd.DataFrame
    team: str
    department: str
    waves: tuple[str, ...]
    na: dict = field(default_factory=dict)  # (respondent, item) -> code 9
    blank: dict = field(default_factory=dict)  # (respondent, item) -> None

    def views(self) -> dict[str, list[str]]:
        """The audiences to attack: the focal manager, the department's leader, and all managers
        of the department together with its leader."""
        teams = self.units.loc[self.units["parent"] == self.department, "unit"].tolist()
        return {
            "manager": [f"manager:{self.team}"],
            "leader": [f"leader:{self.department}"],
            "department": [f"leader:{self.department}", *(f"manager:{t}" for t in teams)],
        }


def scenario(
    survey, units, people, *, seed=0, unanimous=(), na=(), blank=(), name="", team="", department=""
):
    """Canonical responses of ``people``. Every ordinal item is answered at random (seeded), except
    in ``unanimous`` teams (every keyed answer 5); ``na`` (respondent, item) pairs answer "does not
    apply" (9), ``blank`` pairs leave the item blank. Meeting length is random, blank for cadence
    ``none``."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in people:
        for w in p.waves:
            row = {
                "respondent": p.rid,
                "wave": w,
                "team": p.team,
                "submitted_at": pd.Timestamp("2026-01-15", tz="UTC"),
                "duration_s": 300.0,
                "cadence": p.cadence,
                "meeting_length": None if p.cadence == "none" else LENGTHS[int(rng.integers(0, 4))],
                "tenure": p.tenure,
                "location": p.location,
                "level": p.level,
                "comment": None,
            }
            for it in survey.items:
                if it.kind == "ordinal":
                    keyed = 5 if p.team in unanimous else int(rng.integers(1, 6))
                    row[it.id] = 6 - keyed if it.reverse else keyed
            row["attention"] = survey.item("attention").expected
            for rid, item in na:
                if rid == p.rid:
                    row[item] = 9
            for rid, item in blank:
                if rid == p.rid:
                    row[item] = None
            rows.append(row)
    frame = pd.DataFrame(rows)
    for it in survey.items:
        if it.kind == "ordinal" and it.id in frame:
            frame[it.id] = frame[it.id].astype("Int8")
    frame = frame[[c for c in survey.columns if c in frame.columns]]
    waves = tuple(sorted(frame["wave"].unique()))
    return Scenario(
        name,
        frame,
        pd.DataFrame(units, columns=["unit", "parent", "kind"]),
        team,
        department,
        waves,
        dict.fromkeys(na, 9),
        dict.fromkeys(blank),
    )


def build(survey, units, people, *, seed=0, unanimous=()):
    """Canonical responses for ``people``: (respondent, team, waves, tenure, location, level[, cadence]).

    The cadence defaults to ``weekly``. Every item is answered at random (seeded) except in
    ``unanimous`` teams, where every keyed answer is 5.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for rid, team, waves, tenure, location, level, *rest in people:
        cadence = rest[0] if rest else "weekly"
        for w in waves:
            row = {
                "respondent": rid,
                "wave": w,
                "team": team,
                "submitted_at": pd.Timestamp("2026-01-15", tz="UTC"),
                "duration_s": 300.0,
                "cadence": cadence,
                "meeting_length": None if cadence == "none" else "about_30",
                "tenure": tenure,
                "location": location,
                "level": level,
                "comment": None,
            }
            for it in survey.items:
                if it.kind == "ordinal":
                    keyed = 5 if team in unanimous else int(rng.integers(1, 6))
                    row[it.id] = 6 - keyed if it.reverse else keyed
            row["attention"] = survey.item("attention").expected
            rows.append(row)
    frame = pd.DataFrame(rows)
    for it in survey.items:
        if it.kind == "ordinal" and it.id in frame:
            frame[it.id] = frame[it.id].astype("Int8")
    return frame[[c for c in survey.columns if c in frame.columns]], pd.DataFrame(
        units, columns=["unit", "parent", "kind"]
    )


def _people(
    prefix,
    team,
    n,
    waves=("2026Q1",),
    tenure="over_3y",
    location="office",
    level="individual",
    cadence="weekly",
):
    return [(f"{prefix}{i:02d}", team, waves, tenure, location, level, cadence) for i in range(n)]


def _units(depts):
    units = [("org", None, "organisation")]
    for d, teams in depts.items():
        units.append((d, "org", "department"))
        units += [(t, d, "team") for t in teams]
    return units


def org(dep1, dep2, dep3):
    """org > div1 > (dep1, dep2), div2 > dep3; each dep* a list of team ids."""
    units = [("org", None, "organisation"), ("div1", "org", "division"), ("div2", "org", "division")]
    for dep, div, teams in (("dep1", "div1", dep1), ("dep2", "div1", dep2), ("dep3", "div2", dep3)):
        units.append((dep, div, "department"))
        units += [(t, dep, "team") for t in teams]
    return units


def team(prefix, team_id, n, *, waves=(Q1,), cadence="weekly", vary=True, start=0):
    """``n`` people of one team; with ``vary`` their demographics cycle through the codes."""
    out = []
    for i in range(start, start + n):
        out.append(
            Person(
                f"{prefix}{i:02d}",
                team_id,
                waves,
                TENURES[i % 3] if vary else "over_3y",
                LOCATIONS[(i // 3) % 3] if vary else "office",
                LEVELS[(i // 2) % 2] if vary else "individual",
                cadence,
            )
        )
    return out


def _filler(waves=(Q1,)):
    """The rest of the organisation: dep2 (two teams) and dep3 (two teams)."""
    return (
        team("m", "tm", 7, waves=waves, cadence="biweekly")
        + team("n", "tn", 8, waves=waves, cadence="monthly")
        + team("x", "tx", 9, waves=waves)
        + team("y", "ty", 6, waves=waves, cadence="biweekly")
    )


@lru_cache(maxsize=1)
def _cached(survey_path: str):
    return _scenarios(toolkit.load_survey(survey_path))


def scenarios(survey) -> dict[str, Scenario]:
    """The hard shapes by name (built once per session)."""
    return _cached(survey.path or "surveys/one_on_one_pulse.yaml")


def _scenarios(survey) -> dict[str, Scenario]:
    out = {}

    def add(s):
        out[s.name] = s

    filler = _filler()
    base = org(["ta", "tb"], ["tm", "tn"], ["tx", "ty"])
    # 1. a department of one 5-person team and one 6-person team
    add(
        scenario(
            survey,
            base,
            team("a", "ta", 5) + team("b", "tb", 6) + filler,
            seed=1,
            na=[("a01", "avail_reachable"), ("b02", "depth_why")],
            blank=[("b03", "rel_cut_short")],
            name="teams_5_and_6",
            team="ta",
            department="dep1",
        )
    )
    # 2. a team of exactly the threshold (with a demographic left blank)
    ppl = team("a", "ta", 5) + team("b", "tb", 8) + filler
    ppl[2] = Person("a02", "ta", (Q1,), None, "remote", "senior", "weekly")
    add(
        scenario(
            survey,
            base,
            ppl,
            seed=2,
            na=[("a03", "hold_only_channel")],
            blank=[("a04", "trust_honest")],
            name="threshold_team",
            team="ta",
            department="dep1",
        )
    )
    # 3. a department of one-person teams
    ones = [f"t{i}" for i in range(6)]
    ppl = [Person(f"o{i}", f"t{i}", (Q1,), TENURES[i % 3], LOCATIONS[i % 2], LEVELS[i % 3]) for i in range(6)]
    add(
        scenario(
            survey,
            org(ones, ["tm", "tn"], ["tx", "ty"]),
            ppl + filler,
            seed=3,
            na=[("o2", "avail_wait")],
            blank=[("o4", "growth_stalled")],
            name="one_person_teams",
            team="t0",
            department="dep1",
        )
    )
    # 4. a 6-person team cut 5/1 by a demographic (level)
    ppl = [Person(f"c{i}", "tc", (Q1,), TENURES[i % 3], "office", "individual") for i in range(5)]
    ppl.append(Person("c05", "tc", (Q1,), "over_3y", "office", "senior"))
    add(
        scenario(
            survey,
            org(["tc", "tb"], ["tm", "tn"], ["tx", "ty"]),
            ppl + team("b", "tb", 7) + filler,
            seed=4,
            na=[("c01", "eng_proud")],
            blank=[("b02", "depth_growth")],
            name="cut_5_1",
            team="tc",
            department="dep1",
        )
    )
    # 5. a 5-person team with a leaver between the waves (and a joiner in the sibling team)
    both = (Q1, Q2)
    ppl = [
        *team("a", "ta", 5, waves=both),
        Person("a05", "ta", (Q1,), "under_1y", "hybrid", "senior"),
        *team("b", "tb", 6, waves=both),
        Person("b06", "tb", (Q2,), "1_to_3y", "remote", "individual"),
        *_filler(both),
    ]
    add(
        scenario(
            survey,
            base,
            ppl,
            seed=5,
            na=[("a02", "avail_makes_time")],
            blank=[("b01", "stay_looking")],
            name="leaver",
            team="ta",
            department="dep1",
        )
    )
    # 6. teams whose members all report one cadence (and one mixed team)
    ppl = (
        team("w", "tw", 6, cadence="weekly")
        + team("s", "ts", 5, cadence="monthly")
        + team("z", "tz", 4, cadence="weekly")
        + [Person("z04", "tz", (Q1,), "1_to_3y", "hybrid", "individual", "monthly")]
        + team("m", "tm", 7, cadence="biweekly")
        + team("n", "tn", 8, cadence="none")
        + team("x", "tx", 9, cadence="biweekly")
        + team("y", "ty", 6, cadence="less_than_monthly")
    )
    add(
        scenario(
            survey,
            org(["tw", "ts", "tz"], ["tm", "tn"], ["tx", "ty"]),
            ppl,
            seed=6,
            na=[("w01", "depth_how_work")],
            blank=[("s02", "eng_energy")],
            name="one_cadence_teams",
            team="tz",
            department="dep1",
        )
    )
    # 7. one "does not apply" answer in a team of 6
    add(
        scenario(
            survey,
            base,
            team("a", "ta", 6, vary=False) + team("b", "tb", 7) + filler,
            seed=7,
            na=[("a03", "avail_reachable")],
            name="one_na_team_of_6",
            team="ta",
            department="dep1",
        )
    )
    # 8. a unanimous team (a group disclosure, nobody singled out)
    add(
        scenario(
            survey,
            base,
            team("u", "ta", 5, vary=False) + team("b", "tb", 7) + filler,
            seed=8,
            unanimous=("ta",),
            name="unanimous",
            team="ta",
            department="dep1",
        )
    )
    return out
