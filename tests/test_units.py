"""Walking the organisation tree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE
from toolkit.errors import InputError, UnitsError
from toolkit.units import Units, ancestor


def test_every_sample_team_has_a_division_and_a_department():
    units = pd.read_csv(SAMPLE / "units.csv")
    divisions = ancestor(units, kind="division")
    assert len(divisions) == (units["kind"] == "team").sum()
    assert divisions["division"].notna().all()
    assert set(divisions["division"]) <= set(units.loc[units["kind"] == "division", "unit"])
    assert ancestor(units, kind="department")["department"].notna().all()


def test_errors():
    cyclic = pd.DataFrame(
        {
            "unit": ["org", "a", "b", "t"],
            "parent": [None, "b", "a", "a"],
            "kind": ["organisation", "division", "department", "team"],
        }
    )
    with pytest.raises(ValueError, match="units has a cycle through 'a'"):
        ancestor(cyclic, kind="division")
    with pytest.raises(
        ValueError, match="kind must be one of organisation, division, department; got 'team'"
    ):
        ancestor(cyclic, kind="team")
    with pytest.raises(ValueError, match=r"units lacks the columns \['kind'\]"):
        ancestor(cyclic.drop(columns="kind"), kind="division")


BASE = [("org", None, "organisation"), ("d1", "org", "division"), ("t1", "d1", "team")]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([*BASE, ("t1", "d1", "team")], r"row 5, column 'unit': unit 't1' appears twice \(also in row 4\)"),
        ([*BASE, (None, "d1", "team")], r"row 5, column 'unit': a unit without an id"),
        (
            [*BASE, ("t2", "d1", "squad")],
            r"row 5, column 'kind': kind must be one of organisation.*got 'squad'",
        ),
        (
            [*BASE, ("t2", "d9", "team")],
            r"row 5, column 'parent': the parent 'd9' of unit 't2' is not a unit",
        ),
        ([*BASE, ("t2", "t1", "team")], r"row 5, column 'parent': .*teams are the leaves"),
        ([*BASE, ("o2", None, "organisation")], r"exactly one root .* found 2: 'org', 'o2'"),
    ],
)
def test_units_are_checked_once_with_file_row_and_column(tmp_path, rows, message):
    path = tmp_path / "units.csv"
    pd.DataFrame(rows, columns=["unit", "parent", "kind"]).to_csv(path, index=False)
    with pytest.raises(UnitsError, match=message) as info:
        Units(path)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


def test_one_units_type_everywhere():
    units = Units(SAMPLE / "units.csv")
    assert Units(units) is units
    assert units.kind[units.root] == "organisation" and len(units.teams()) == 50
    assert units.order()[0] == units.root
    path = units.path[units.index["t01"]]
    assert [units.names[i] for i in path if i >= 0] == units.chain("t01")[::-1]
    counts = np.zeros(units.size)
    counts[[units.index[t] for t in units.teams()]] = 1
    assert units.rollup(counts)[units.index[units.root]] == 50
