"""Hand-built organisations, each hard for disclosure control in one way (threshold 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit


@pytest.fixture(scope="session")
def survey():
    return toolkit.load_survey("surveys/one_on_one_pulse.yaml")


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


def scenarios(survey):
    """name -> (responses, units, focal team, focal department)."""
    out = {}
    # teams of exactly the threshold and one below
    ppl = _people("a", "ta", 5) + _people("b", "tb", 4) + _people("c", "tc", 6) + _people("x", "tx", 7)
    out["threshold_sizes"] = (
        *build(survey, _units({"d1": ["ta", "tb", "tc"], "d2": ["tx"]}), ppl),
        "ta",
        "d1",
    )
    # a department with one small team (and a single-person team)
    ppl = _people("d", "td", 7) + _people("e", "te", 1) + _people("x", "tx", 6) + _people("y", "ty", 5)
    out["small_team"] = (*build(survey, _units({"d1": ["td", "te"], "d2": ["tx", "ty"]}), ppl), "td", "d1")
    # a demographic cut one short of its complement (5 vs 4) and a 5 vs 1 split
    ppl = (
        _people("f", "tf", 5)
        + _people("g", "tf", 4, level="senior")
        + _people("h", "th", 5)
        + _people("i", "th", 1, level="senior")
        + _people("x", "tx", 6)
    )
    out["cut_short"] = (*build(survey, _units({"d1": ["tf", "th"], "d2": ["tx"]}), ppl), "th", "d1")
    # a person leaving between waves (and one joining elsewhere)
    both = ("2026Q1", "2026Q2")
    ppl = [
        *_people("j", "tj", 5, waves=both),
        ("j99", "tj", ("2026Q1",), "over_3y", "office", "individual"),
        *_people("x", "tx", 6, waves=both),
        *_people("y", "ty", 5, waves=both),
    ]
    out["leaver"] = (*build(survey, _units({"d1": ["tj", "tx"], "d2": ["ty"]}), ppl), "tj", "d1")
    # overlapping cuts: under_1y (1-5) inside remote (1-6); office (7-11) inside over_3y (6-11)
    ppl = (
        _people("k", "tk", 5, tenure="under_1y", location="remote")
        + _people("l", "tk", 1, tenure="over_3y", location="remote")
        + _people("m", "tk", 5, tenure="over_3y", location="office")
        + _people("x", "tx", 6)
    )
    out["overlapping_cuts"] = (*build(survey, _units({"d1": ["tk", "tx"], "d2": []}), ppl), "tk", "d1")
    # a cadence group of the organisation one short of the threshold (4 biweekly, 6 monthly, 15 weekly)
    ppl = (
        _people("p", "tp", 5)
        + _people("q", "tq", 4, cadence="biweekly")
        + _people("r", "tq", 2)
        + _people("s", "ts", 6, cadence="monthly")
        + _people("x", "tx", 8)
    )
    out["cadence_short"] = (*build(survey, _units({"d1": ["tp", "tq"], "d2": ["ts", "tx"]}), ppl), "tq", "d1")
    # teams of one cadence each but one: the organisation's weekly group minus two all-weekly teams
    # would be the 3 weekly people of a mixed team
    ppl = (
        _people("p", "tp", 6)
        + _people("q", "tq", 5, cadence="biweekly")
        + _people("r", "tq", 3)
        + _people("s", "ts", 6, cadence="monthly")
        + _people("x", "tx", 8)
    )
    out["cadence_teams"] = (*build(survey, _units({"d1": ["tp", "tq"], "d2": ["ts", "tx"]}), ppl), "tq", "d1")
    # a unanimous team
    ppl = _people("u", "tu", 5) + _people("x", "tx", 6) + _people("y", "ty", 7)
    out["unanimous"] = (
        *build(survey, _units({"d1": ["tu", "tx"], "d2": ["ty"]}), ppl, unanimous=("tu",)),
        "tu",
        "d1",
    )
    return out
