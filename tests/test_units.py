"""Walking the organisation tree."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import SAMPLE
from toolkit.units import ancestor


def test_every_sample_team_has_a_division_and_a_department():
    units = pd.read_csv(SAMPLE / "units.csv")
    divisions = ancestor(units, kind="division")
    assert len(divisions) == (units["kind"] == "team").sum()
    assert divisions["division"].notna().all()
    assert set(divisions["division"]) <= set(units.loc[units["kind"] == "division", "unit"])
    assert ancestor(units, kind="department")["department"].notna().all()


def test_errors():
    cyclic = pd.DataFrame({"unit": ["a", "b", "t"], "parent": ["b", "a", "a"], "kind": ["x", "x", "team"]})
    with pytest.raises(ValueError, match="units has a cycle through"):
        ancestor(cyclic, kind="division")
    with pytest.raises(
        ValueError, match="kind must be one of organisation, division, department; got 'team'"
    ):
        ancestor(cyclic, kind="team")
    with pytest.raises(ValueError, match=r"units lacks the columns \['kind'\]"):
        ancestor(cyclic.drop(columns="kind"), kind="division")
