"""Tests of toolkit.power: minimum detectable effect, teams needed, and a simulation check.

Expected values: ``tests/reference/cadence/power_mde.csv`` (``reference.R`` section h, R 4.2.2):

    deff  = 1 + (m - 1) * icc
    mde_z = (qnorm(1 - alpha/2) + qnorm(power)) * sqrt(2 * deff / (J * m))
    mde_t = (qt(1 - alpha/2, 2*(J-1)) + qt(power, 2*(J-1))) * sqrt(2 * deff / (J * m))

on the grid J = 10, 15, ..., 200; m = 4..12; icc 0, 0.05, 0.1, 0.2; alpha 0.05, power 0.8.
Tolerance 1e-12 absolute (R wrote 15 significant digits; scipy's quantiles agree with R's
to about 1e-15).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tests.conftest import ROOT
from toolkit.stats.power import power, simulated_power

REF = ROOT / "tests" / "reference" / "cadence" / "power_mde.csv"
GRID = {"teams_per_arm": np.arange(10, 201, 5), "team_size": np.arange(4, 13), "icc": [0, 0.05, 0.1, 0.2]}


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF)


@pytest.mark.parametrize(("distribution", "column"), [("normal", "mde_z"), ("t", "mde_t")])
def test_mde_grid_matches_r(ref, distribution, column):
    got = power(**GRID, distribution=distribution)
    assert len(got) == len(ref) == 39 * 9 * 4
    both = ref.merge(got, on=["teams_per_arm", "team_size", "icc", "alpha", "power"], validate="1:1")
    assert len(both) == len(ref)
    np.testing.assert_allclose(both["mde"], both[column], rtol=0, atol=1e-12)
    np.testing.assert_allclose(both["design_effect"], both["deff"], rtol=0, atol=1e-12)
    assert (both["distribution"] == distribution).all()


def test_readme_example():
    # README (h): J = 50, m = 8, icc = 0.1: mde_z = 0.258293, mde_t = 0.260892
    z = power(teams_per_arm=50, team_size=8, icc=0.1)["mde"].iloc[0]
    t = power(teams_per_arm=50, team_size=8, icc=0.1, distribution="t")["mde"].iloc[0]
    assert round(z, 6) == 0.258293
    assert round(t, 6) == 0.260892


def test_columns_and_grid_order():
    got = power(teams_per_arm=[10, 20], team_size=[5, 8, 10], icc=0.1, alpha=[0.05, 0.01])
    assert list(got.columns) == [
        "teams_per_arm",
        "team_size",
        "icc",
        "alpha",
        "power",
        "design_effect",
        "mde",
        "distribution",
    ]
    assert len(got) == 2 * 3 * 2
    assert got["teams_per_arm"].tolist() == [10] * 6 + [20] * 6  # the first argument varies slowest
    assert got["alpha"].tolist()[:2] == [0.05, 0.01]
    need = power(effect=0.3, team_size=8, icc=0.1)
    assert list(need.columns) == [
        "effect",
        "team_size",
        "icc",
        "alpha",
        "power",
        "design_effect",
        "teams_needed",
        "distribution",
    ]


def test_mde_recomputed_by_hand():
    got = power(teams_per_arm=30, team_size=6, icc=0.15, alpha=0.01, power=0.9).iloc[0]
    deff = 1 + 5 * 0.15
    expected = (stats.norm.ppf(0.995) + stats.norm.ppf(0.9)) * np.sqrt(2 * deff / (30 * 6))
    assert got["design_effect"] == pytest.approx(deff, abs=1e-15)
    assert got["mde"] == pytest.approx(expected, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    effect=st.floats(0.05, 1.5),
    team_size=st.integers(1, 30),
    icc=st.floats(0, 0.5),
    distribution=st.sampled_from(["normal", "t"]),
)
def test_teams_needed_is_the_smallest_that_reaches_the_power(effect, team_size, icc, distribution):
    j = int(power(effect=effect, team_size=team_size, icc=icc, distribution=distribution)["teams_needed"][0])
    mde = power(teams_per_arm=[max(j - 1, 2), j], team_size=team_size, icc=icc, distribution=distribution)[
        "mde"
    ]
    assert mde.iloc[1] <= effect
    assert j == 2 or mde.iloc[0] > effect


def test_teams_needed_closed_form():
    # normal: J = ceil((z_{.975} + z_{.8})^2 * 2 * deff / (m * delta^2)) = ceil(37.06) = 38
    got = power(effect=[0.2, 0.3], team_size=8, icc=0.1)
    assert got["teams_needed"].tolist() == [84, 38]
    # t needs a team more (heavier tails), never fewer
    t = power(effect=[0.2, 0.3], team_size=8, icc=0.1, distribution="t")["teams_needed"]
    assert (t.to_numpy() >= got["teams_needed"].to_numpy()).all()
    assert t.tolist() == [85, 39]


def test_mde_monotone():
    g = power(teams_per_arm=[10, 20, 40], team_size=[4, 8], icc=[0.0, 0.2])
    for _, part in g.groupby(["team_size", "icc"]):
        assert part["mde"].is_monotonic_decreasing
    at0 = g[g["icc"] == 0.0]
    # with icc = 0 only the total J * m matters
    a = at0[(at0["teams_per_arm"] == 20) & (at0["team_size"] == 4)]["mde"].iloc[0]
    b = at0[(at0["teams_per_arm"] == 10) & (at0["team_size"] == 8)]["mde"].iloc[0]
    assert a == pytest.approx(b, abs=1e-15)


# --------------------------------------------------------------------------- simulation


POINTS = [(10, 5, 0.05), (10, 10, 0.2), (30, 8, 0.1), (80, 12, 0.2)]


def test_simulated_power_at_the_mde_is_nominal():
    """At the t MDE the simulated power of the team-mean t-test is 0.8 within 3 Monte Carlo SEs.

    4,000 simulations per design (Monte Carlo SE about 0.0063, so 3 SE = 0.019). The t MDE is
    the one to check: the simulation analyses with the t-test on 2(J - 1) df, as the formula
    assumes; its exact power (noncentral t) is 0.8001 at these points.
    """
    start = time.perf_counter()
    rows = []
    for seed, (j, m, icc) in enumerate(POINTS):
        mde = power(teams_per_arm=j, team_size=m, icc=icc, distribution="t")["mde"].iloc[0]
        rows.append(
            simulated_power(teams_per_arm=j, team_size=m, icc=icc, effect=mde, n_sims=4000, seed=seed)
        )
    sims = pd.concat(rows, ignore_index=True)
    assert time.perf_counter() - start < 5
    assert (np.abs(sims["power"] - 0.8) <= 3 * sims["mc_se"]).all(), sims
    np.testing.assert_allclose(sims["exact_power"], 0.8, atol=0.001)
    assert (np.abs(sims["power"] - sims["exact_power"]) <= 3 * sims["mc_se"]).all()


def test_normal_mde_is_optimistic_with_few_teams():
    # with 10 teams per arm the normal MDE gives the t-test less than 0.8 (exact 0.77)
    mde = power(teams_per_arm=10, team_size=8, icc=0.1)["mde"].iloc[0]
    sim = simulated_power(teams_per_arm=10, team_size=8, icc=0.1, effect=mde, n_sims=4000, seed=9).iloc[0]
    assert sim["exact_power"] < 0.78
    assert abs(sim["power"] - sim["exact_power"]) <= 3 * sim["mc_se"]


def test_simulated_type_one_error():
    sim = simulated_power(teams_per_arm=15, team_size=[4, 10], icc=0.2, effect=0.0, n_sims=4000, seed=3)
    assert (np.abs(sim["power"] - 0.05) <= 3 * sim["mc_se"]).all()
    np.testing.assert_allclose(sim["exact_power"], 0.05, atol=1e-12)


def test_simulated_power_shape_and_seed():
    a = simulated_power(teams_per_arm=[5, 6], team_size=3, icc=0.1, effect=0.5, n_sims=200, seed=4)
    b = simulated_power(teams_per_arm=[5, 6], team_size=3, icc=0.1, effect=0.5, n_sims=200, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == [
        "teams_per_arm",
        "team_size",
        "icc",
        "effect",
        "alpha",
        "n_sims",
        "power",
        "mc_se",
        "exact_power",
    ]
    assert len(a) == 2


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"team_size": 8, "icc": 0.1}, "exactly one of teams_per_arm"),
        ({"teams_per_arm": 10, "effect": 0.2, "team_size": 8, "icc": 0.1}, "exactly one of teams_per_arm"),
        ({"teams_per_arm": 1, "team_size": 8, "icc": 0.1}, "teams_per_arm must be at least 2; got 1"),
        ({"teams_per_arm": 10, "team_size": 0.5, "icc": 0.1}, "team_size must be at least 1"),
        ({"teams_per_arm": 10, "team_size": 8, "icc": 1.2}, r"icc must be in \[0, 1\]"),
        ({"teams_per_arm": 10, "team_size": 8, "icc": 0.1, "alpha": 0}, "alpha must be between 0 and 1"),
        ({"teams_per_arm": 10, "team_size": 8, "icc": 0.1, "power": 0.3}, "power must be at least 0.5"),
        ({"effect": 0.0, "team_size": 8, "icc": 0.1}, "effect must be positive"),
        ({"effect": -1.0, "team_size": 8, "icc": 0.1}, "effect must be at least 0"),
        (
            {"teams_per_arm": 10, "team_size": 8, "icc": 0.1, "distribution": "z"},
            "distribution must be one of",
        ),
        ({"teams_per_arm": "ten", "team_size": 8, "icc": 0.1}, "teams_per_arm must be a number"),
        ({"teams_per_arm": [], "team_size": 8, "icc": 0.1}, "teams_per_arm must be a number"),
        ({"teams_per_arm": 10, "team_size": 8, "icc": np.nan}, r"icc must be in \[0, 1\]"),
    ],
)
def test_power_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        power(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_sims": 0}, "n_sims must be a positive whole number"),
        ({"team_size": 2.5}, "team_size must be whole numbers"),
        ({"icc": 1.0}, "icc must be below 1"),
        ({"effect": -0.1}, "effect must be at least 0"),
    ],
)
def test_simulated_power_errors(kwargs, match):
    args = {"teams_per_arm": 5, "team_size": 4, "icc": 0.1, "effect": 0.3, **kwargs}
    with pytest.raises(ValueError, match=match):
        simulated_power(**args)
