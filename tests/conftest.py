"""Shared fixtures. Tests run from the repository root (paths below are relative to it)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml

from toolkit import load_survey, read_canonical
from toolkit.simulate import simulate

matplotlib.use("Agg")  # figures are drawn without a screen, in CI as on a laptop

ROOT = Path(__file__).resolve().parents[1]
SURVEY_PATH = ROOT / "surveys" / "one_on_one_pulse.yaml"
SAMPLE = ROOT / "data" / "sample"

MINIMAL_SURVEY = """\
id: mini
version: "0.1"
title: A minimal survey
scales:
  agree5:
    type: ordinal
    values: {1: Strongly disagree, 2: Disagree, 3: Neutral, 4: Agree, 5: Strongly agree}
    not_applicable: {9: Does not apply}
    favourable: [4, 5]
  cadence:
    type: categorical
    values: {weekly: Weekly, monthly: Monthly, none: No 1:1s}
  length:
    type: categorical
    values: {short: Short, long: Long}
items:
  - {id: cadence, text: "How often?", scale: cadence, role: cadence, required: true}
  - {id: meeting_length, text: "How long?", scale: length, role: meeting_length, required: true,
     ask_if: {item: cadence, not_in: [none]}}
  - {id: q1, text: One, scale: agree5, required: true}
  - {id: q2, text: Two, scale: agree5}
  - {id: q3, text: Three, scale: agree5, reverse: true}
  - {id: check, text: Choose Agree, scale: agree5, role: attention_check, expected: 4}
  - {id: note, text: "Anything else?", type: text, role: comment}
constructs:
  depth:
    label: Depth
    items: [q1, q2, q3]
    min_valid: 2
"""


@pytest.fixture(scope="session")
def survey():
    """The default survey."""
    return load_survey(SURVEY_PATH)


@pytest.fixture
def sample_table() -> pd.DataFrame:
    """The sample's first wave as read from CSV (text columns, rows numbered from 2), with the
    mess a platform collects: failed attention checks and duplicate submissions."""
    return read_canonical(SAMPLE / "responses_2026Q1.csv")


@pytest.fixture
def clean_csv(tmp_path, survey) -> Path:
    """The valid rows of the sample's first wave, written as a canonical CSV (every row valid)."""
    from toolkit import validate

    valid = validate(read_canonical(SAMPLE / "responses_2026Q1.csv"), survey).valid
    path = tmp_path / "clean.csv"
    valid.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return path


@pytest.fixture
def mini_spec() -> dict:
    """The minimal survey as a dict, for tests that break it one key at a time."""
    return yaml.safe_load(MINIMAL_SURVEY)


@pytest.fixture
def mini_survey(tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL_SURVEY, encoding="utf-8")
    return load_survey(path)


def mini_row(**changes) -> dict:
    """One valid response to the minimal survey, as text (as read from CSV)."""
    row = {
        "respondent": "p_1",
        "wave": "2026Q1",
        "team": "t1",
        "submitted_at": "2026-02-01T10:00:00Z",
        "duration_s": "120",
        "cadence": "weekly",
        "meeting_length": "short",
        "q1": "4",
        "q2": "9",
        "q3": "2",
        "check": "4",
        "note": None,
    }
    row.update(changes)
    return row


def mini_table(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), dtype="str")


@pytest.fixture
def fast_simulate(monkeypatch, survey):
    """simulate() with its parameter-only calibration memoised (checked identical on one organisation)."""
    module = sys.modules["toolkit.simulate"]
    original = module._calibrate
    memo = {}

    def calibrate(plan, des, icc):
        key = (icc, repr(plan.par), repr(sorted(des.items())))
        if key not in memo:
            memo[key] = original(plan, des, icc)
        return memo[key]

    plain = simulate(survey, teams=20, waves=2, seed=99)
    monkeypatch.setattr(module, "_calibrate", calibrate)
    simulate(survey, teams=20, waves=2, seed=98)  # fills the memo
    again = simulate(survey, teams=20, waves=2, seed=99)
    assert again.truth == plain.truth
    pd.testing.assert_frame_equal(again.team_waves, plain.team_waves)
    for wave in plain.waves:
        pd.testing.assert_frame_equal(again.responses[wave], plain.responses[wave])
    return simulate
