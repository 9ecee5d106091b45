"""A team's policy is its modal reported cadence, as in the R reference data."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import ROOT
from toolkit.stats.policy import team_policy


def test_matches_the_reference_data_modal_cadence():
    persons = pd.read_csv(ROOT / "tests" / "reference" / "cadence" / "D3_persons.csv", dtype={"wave": "str"})
    got = team_policy(persons)
    ref = persons.drop_duplicates(["team", "wave"])[["team", "wave", "team_modal"]]
    merged = ref.merge(got, on=["team", "wave"], validate="one_to_one")
    assert len(merged) == len(ref)
    assert (merged["team_modal"] == merged["policy"].astype("str")).all()


def test_ties_go_to_the_more_frequent_cadence_and_people_count_once():
    long = pd.DataFrame(
        {
            "respondent": ["a", "a", "b", "b", "c"],
            "construct": ["x", "y", "x", "y", "x"],
            "wave": "2026Q1",
            "team": "t",
            "cadence": ["monthly", "monthly", "biweekly", "biweekly", "monthly"],
        }
    )
    out = team_policy(long)
    assert out.loc[0, "policy"] == "monthly" and out.loc[0, "n_reports"] == 3
    tie = long[long["respondent"] != "c"]
    assert team_policy(tie).loc[0, "policy"] == "biweekly"
    assert team_policy(tie, wave=None).loc[0, "agreement"] == 0.5


def test_errors():
    d = pd.DataFrame({"team": ["t"], "wave": ["2026Q1"], "cadence": ["daily"]})
    with pytest.raises(ValueError, match="holds 'daily', not a cadence code"):
        team_policy(d)
    with pytest.raises(ValueError, match=r"lacks the columns \['cadence'\]"):
        team_policy(d.drop(columns="cadence"))
