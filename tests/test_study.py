"""A study: exports ingested wave by wave, the stored waves loaded with what the analyses need."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit.errors import InputError, SecretKeyError, StoreError
from toolkit.ingest.batch import ingest_exports
from toolkit.simulate import pseudonym_key
from toolkit.study import Study, load_study, load_truth, study_key

KEY = pseudonym_key(2026)
EXPORTS = SAMPLE / "exports"
ROSTER = SAMPLE / "roster.csv"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The sample's Qualtrics exports of the first three waves, ingested once for the module."""
    path = tmp_path_factory.mktemp("study") / "store"
    ingest_exports(EXPORTS, survey=SURVEY_PATH, roster=ROSTER, store=path, key=KEY, format="qualtrics",
                   up_to="2026Q3")  # fmt: skip
    return path


@pytest.fixture(scope="module")
def study(store) -> Study:
    return load_study(
        store, survey=SURVEY_PATH, units=SAMPLE / "units.csv", roster=ROSTER, teams=SAMPLE / "teams.csv"
    )


# --------------------------------------------------------------------------- ingest_exports


def test_ingest_exports_goes_wave_by_wave_and_is_idempotent(store, survey):
    calls = []
    again = ingest_exports(
        EXPORTS, survey=survey, roster=pd.read_csv(ROSTER, dtype="str"), store=store, key=KEY,
        format="qualtrics", waves=["2026Q3", "2026Q1"], progress=lambda w, p: calls.append((w, p.name)),
    )  # fmt: skip
    assert [r.wave for r in again] == ["2026Q1", "2026Q3"]
    assert {r.status for r in again} == {"unchanged"}
    assert calls == [("2026Q1", "qualtrics_2026Q1.csv"), ("2026Q3", "qualtrics_2026Q3.csv")]


def test_ingest_exports_written_results_balance(tmp_path):
    results = ingest_exports(
        EXPORTS, survey=SURVEY_PATH, roster=ROSTER, store=tmp_path / "s", key=KEY, format="google_forms",
        waves="2026Q2",
    )  # fmt: skip
    (result,) = results
    assert (result.wave, result.status, result.format) == ("2026Q2", "written", "google_forms")
    assert result.balanced and result.rows_stored > 0


def test_ingest_exports_a_single_export_per_wave_needs_no_format(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(EXPORTS / "google_forms_2026Q1.csv", folder / "survey export 2026Q1 final.csv")
    (folder / "notes.txt").write_text("no wave label: ignored")
    results = ingest_exports(folder, survey=SURVEY_PATH, roster=ROSTER, store=tmp_path / "s", key=KEY)
    assert [r.wave for r in results] == ["2026Q1"]


def test_ingest_exports_two_exports_of_a_wave_need_format(tmp_path):
    with pytest.raises(InputError, match=r"several exports name wave 2026Q1 \(google_forms_2026Q1.csv, "
                       r"qualtrics_2026Q1.csv\): give --format"):  # fmt: skip
        ingest_exports(EXPORTS, survey=SURVEY_PATH, roster=ROSTER, store=tmp_path / "s", key=KEY)
    assert not (tmp_path / "s").exists()


def test_ingest_exports_format_must_pick_exactly_one(tmp_path):
    kwargs = {"survey": SURVEY_PATH, "roster": ROSTER, "store": tmp_path / "s", "key": KEY}
    with pytest.raises(InputError, match=r"none of them is from platform 'kobo'"):
        ingest_exports(EXPORTS, format="kobo", **kwargs)
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("a_2026Q1.csv", "b_2026Q1.csv"):
        shutil.copy(EXPORTS / "qualtrics_2026Q1.csv", folder / name)
    with pytest.raises(InputError, match=r"more than one of them is from platform 'qualtrics'"):
        ingest_exports(folder, format="qualtrics", **kwargs)


def test_ingest_exports_argument_errors(tmp_path):
    kwargs = {"survey": SURVEY_PATH, "roster": ROSTER, "store": tmp_path / "s", "key": KEY}
    kwargs["format"] = "qualtrics"
    with pytest.raises(InputError, match="the exports folder does not exist"):
        ingest_exports(tmp_path / "nope", **kwargs)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x")
    with pytest.raises(InputError, match="no export in the folder has a wave label"):
        ingest_exports(empty, **kwargs)
    with pytest.raises(InputError, match=r"no export for wave\(s\) 2027Q1; the folder has exports of 2026Q1"):
        ingest_exports(EXPORTS, waves=["2026Q1", "2027Q1"], **kwargs)
    with pytest.raises(InputError, match=r"no export for wave\(s\) 2030Q2"):
        ingest_exports(EXPORTS, up_to="2030Q2", **kwargs)
    with pytest.raises(ValueError, match="up_to='2026Q4' is not one of the waves asked for"):
        ingest_exports(EXPORTS, waves=["2026Q1"], up_to="2026Q4", **kwargs)
    with pytest.raises(ValueError, match="waves must be wave labels like 2026Q3; got '2026-Q1'"):
        ingest_exports(EXPORTS, waves=["2026-Q1"], **kwargs)
    with pytest.raises(InputError, match="roster file not found"):
        ingest_exports(EXPORTS, **{**kwargs, "roster": tmp_path / "roster.csv"})
    with pytest.raises(InputError, match="the roster table needs a 'employee_id' column"):
        ingest_exports(EXPORTS, **{**kwargs, "roster": pd.DataFrame({"team": ["t01"]})})
    with pytest.raises(TypeError, match="survey must be a Survey or the path"):
        ingest_exports(EXPORTS, **{**kwargs, "survey": 3})
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- load_study


def test_load_study_holds_every_stored_wave_scored(study, store):
    assert study.waves == ("2026Q1", "2026Q2", "2026Q3")
    assert list(pd.unique(study.responses["wave"])) == list(study.waves)
    n_constructs = len(study.survey.constructs)
    assert len(study.scores) == len(study.responses) * n_constructs
    assert study.labels["depth"] == "1:1 depth"
    assert study.adjusted_for == ["log_size", "division"]
    bare = load_study(store, survey=study.survey)
    assert bare.adjusted_for == [] and bare.policies is None and bare.invited is None


def test_wave_scores_join_the_covariates(study):
    scores = study.wave_scores("2026Q2")
    assert set(scores["wave"]) == {"2026Q2"}
    roster = pd.read_csv(ROSTER, dtype="str")
    size = roster[roster["wave"] == "2026Q2"].groupby("team").size()
    expected = np.log(scores["team"].map(size).astype(float))
    np.testing.assert_allclose(scores["log_size"], expected)
    units = pd.read_csv(SAMPLE / "units.csv")
    parent = dict(zip(units["unit"], units["parent"], strict=True))
    assert (scores["division"] == scores["team"].map(parent).map(parent)).all()
    assert len(study.wave_responses("2026Q2")) == len(scores) / len(study.survey.constructs)


def test_policies_are_the_teams_table_long(study):
    teams = pd.read_csv(SAMPLE / "teams.csv")
    policies = study.policies
    assert list(policies.columns) == ["team", "wave", "policy", "length"]
    assert len(policies) == 4 * len(teams)  # every policy_<wave> column, also of waves not yet stored
    row = policies[(policies["team"] == "t16") & (policies["wave"] == "2026Q2")].iloc[0]
    assert row["policy"] == teams.set_index("team").loc["t16", "policy_2026Q2"] == "monthly"


def test_release_has_response_rates_from_the_roster(study):
    table = study.release(audiences=["analyst"])
    assert set(table["wave"].astype(str)) == set(study.waves)
    rates = table[table["measure"] == "response_rate"]
    assert len(rates) > 0 and (rates["value"] <= 100).all()
    invited = study.invited
    assert list(invited.columns) == ["team", "wave", "invited"]


def test_load_study_errors(tmp_path, study, store):
    with pytest.raises(StoreError, match="no wave is stored here yet: ingest the exports first"):
        load_study(tmp_path / "empty", survey=SURVEY_PATH)
    with pytest.raises(InputError, match="the units table needs a 'kind' column"):
        load_study(store, survey=SURVEY_PATH, units=pd.DataFrame({"unit": ["org"], "parent": [None]}))
    with pytest.raises(InputError, match="teams file not found"):
        load_study(store, survey=SURVEY_PATH, teams=tmp_path / "teams.csv")
    (tmp_path / "units.csv").write_bytes(b"")
    with pytest.raises(InputError, match="not a readable CSV units table"):
        load_study(store, survey=SURVEY_PATH, units=tmp_path / "units.csv")
    with pytest.raises(ValueError, match=r"wave '2026Q4' is not stored; the store has 2026Q1, 2026Q2, 20"):
        study.wave_scores("2026Q4")
    with pytest.raises(ValueError, match="the release needs the organisation"):
        load_study(store, survey=study.survey).release()


# --------------------------------------------------------------------------- truth and key


def test_load_truth_tidies_the_simulators_truth():
    truth = load_truth(SAMPLE / "truth.json")
    assert truth.known
    depth = truth.contrasts.set_index(["outcome", "level_a"]).loc[("depth", "weekly")]
    assert depth["level_b"] == "monthly" and depth["contrast"] == "weekly - monthly"
    assert depth["truth"] == pytest.approx(0.23679351931726433)
    assert len(truth.contrasts) == 9 * 4
    assert list(truth.switches.columns) == ["team", "wave", "previous_wave", "from", "to"]
    assert len(truth.switches) == 10
    empty = load_truth(None)
    assert not empty.known and empty.contrasts.empty and empty.switches.empty


def test_load_truth_errors(tmp_path):
    with pytest.raises(InputError, match="truth file not found"):
        load_truth(tmp_path / "truth.json")
    with pytest.raises(InputError, match="not a simulator's truth"):
        load_truth({"estimands": {}})


def test_study_key(tmp_path, monkeypatch):
    assert study_key(None) == pseudonym_key(2026)
    monkeypatch.setenv("ONEONONE_KEY", "0123456789abcdef0123456789abcdef")
    assert study_key("env") == b"0123456789abcdef0123456789abcdef"
    key_file = tmp_path / "key"
    key_file.write_text("fedcba9876543210fedcba9876543210\n")
    assert study_key(key_file) == b"fedcba9876543210fedcba9876543210"
    monkeypatch.delenv("ONEONONE_KEY")
    with pytest.raises(SecretKeyError, match="no secret key for pseudonyms"):
        study_key("env")
    with pytest.raises(SecretKeyError, match="not found"):
        study_key(str(tmp_path / "missing"))
