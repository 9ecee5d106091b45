"""Research extracts: k-anonymity per wave, fresh pseudonyms, labelled SPSS/Stata files, no leaks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE
from toolkit import read_canonical, validate
from toolkit.errors import InputError, ToolkitError
from toolkit.privacy._extract_write import LIMITS, truncate
from toolkit.privacy._kanon import Generaliser, QuasiIdentifier
from toolkit.privacy.extract import FORMATS, Extract, research_extract, write_extract
from toolkit.store import load_waves, store_wave

STORE_WAVES = ("2026Q1", "2026Q2")
TEAM_ID = re.compile(rb"\bt\d{2}\b")


@pytest.fixture(scope="module")
def responses(survey, tmp_path_factory) -> pd.DataFrame:
    """Two waves of the sample, stored and loaded back as the CLI would."""
    store = tmp_path_factory.mktemp("store")
    for wave in STORE_WAVES:
        valid = validate(read_canonical(SAMPLE / f"responses_{wave}.csv"), survey).valid
        store_wave(store, wave=wave, valid=valid, quarantine=valid.iloc[:0].assign(reasons=""),
                   survey=survey, source_sha256=wave[-1] * 64, source_name=f"{wave}.csv")  # fmt: skip
    return load_waves(store)


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "units.csv")


@pytest.fixture(scope="module")
def extract(responses, survey, units) -> Extract:
    return research_extract(responses, survey, units=units, rng=7)


def _min_group(data: pd.DataFrame, qi) -> pd.Series:
    """The smallest quasi-identifier group of each wave, recomputed with plain pandas."""
    keys = data[list(qi)].astype("object").fillna("<missing>")
    return keys.groupby(data["wave"].to_numpy()).value_counts().groupby(level=0).min()


# ------------------------------------------------------------------------------ k-anonymity


DEMOGRAPHICS = ("tenure", "location", "level")


@pytest.mark.parametrize(
    ("waves", "k", "qi"),
    [
        # on two waves no division keeps k: the units become the organisation and are dropped
        (STORE_WAVES, 2, DEMOGRAPHICS),
        (STORE_WAVES, 5, DEMOGRAPHICS),
        (STORE_WAVES, 10, DEMOGRAPHICS),
        (STORE_WAVES[:1], 2, ("unit", *DEMOGRAPHICS)),
    ],
)
def test_every_quasi_identifier_combination_holds_k_rows_per_wave(responses, survey, units, waves, k, qi):
    table = responses[responses["wave"].isin(waves)]
    ex = research_extract(table, survey, units=units, k=k, rng=1)
    assert ex.quasi_identifiers == qi
    mins = _min_group(ex.data, ex.quasi_identifiers)
    assert set(mins.index) == set(waves)
    assert (mins >= k).all()
    assert ex.min_group == mins.to_dict()
    assert len(ex.data) + ex.report.loc[ex.report["step"] == "drop_rows", "rows_affected"].sum() == len(table)


def test_a_unique_person_is_hidden_and_the_report_says_how(responses, survey, units):
    """The only long-tenured remote manager of a wave whose everybody else is alike."""
    wave = responses[responses["wave"] == "2026Q1"].copy()
    wave[list(DEMOGRAPHICS)] = ["under_1y", "office", "individual"]
    answers = [it.id for it in survey.items if it.kind == "ordinal"]
    # the target is found again by their answers, which nobody else in the wave shares
    target = wave.index[~wave[answers].astype("object").fillna(-1).duplicated(keep=False)][0]
    wave.loc[target, list(DEMOGRAPHICS)] = ["over_3y", "remote", "manager"]
    assert wave[list(DEMOGRAPHICS)].value_counts()[("over_3y", "remote", "manager")] == 1

    ex = research_extract(wave, survey, units=units, rng=3)
    assert (_min_group(ex.data, ex.quasi_identifiers) >= 5).all()
    mine = (ex.data[answers].astype("object").fillna(-1) == wave.loc[target, answers].fillna(-1)).all(axis=1)
    row = ex.data[mine.to_numpy()]
    assert len(row) == 1
    # the divisions keep k; the target loses every quasi-identifier, and 4 others join them
    assert ex.level == "division" and ex.quasi_identifiers == ("unit", *DEMOGRAPHICS)
    assert row["unit"].iloc[0] == "org" and row[list(DEMOGRAPHICS)].isna().all(axis=None)
    same = (ex.data[list(ex.quasi_identifiers)].astype("object").fillna("-")
            == row[list(ex.quasi_identifiers)].astype("object").fillna("-").iloc[0]).all(axis=1)  # fmt: skip
    assert same.sum() == 5
    changed = ex.report[ex.report["step"].isin(["generalise_unit", "merge_categories", "suppress"])]
    assert changed[["step", "column", "wave", "rows_affected", "reason"]].values.tolist() == [
        ["suppress", col, "2026Q1", n, reason]
        for n, reason in [(1, "local suppression: groups below k=5"),
                          (4, "joined the suppressed group so that it reaches k=5")]
        for col in ("unit", *DEMOGRAPHICS)
    ]  # fmt: skip


def test_a_division_smaller_than_k_moves_up_and_is_reported(responses, survey, units):
    wave = responses[responses["wave"] == "2026Q1"].copy()
    extra = pd.DataFrame({"unit": ["div99", "t99"], "parent": ["org", "div99"], "kind": ["division", "team"]})
    small_units = pd.concat([units, extra])
    wave.loc[wave.index[:1], "team"] = "t99"
    ex = research_extract(wave, survey, units=small_units, k=2, rng=3)
    moved = ex.report[(ex.report["step"] == "generalise_unit") & (ex.report["from"] == "div99")]
    assert moved[["to", "rows_affected", "reason"]].values.tolist() == [
        ["org", 1, "div99 has fewer than k=2 respondents in wave 2026Q1"]
    ]
    assert ex.level == "division"  # the other divisions stay
    assert "div99" not in set(ex.data["unit"]) and "div01" in set(ex.data["unit"])


def test_a_wave_with_fewer_than_k_rows_is_dropped_and_counted(responses, survey, units):
    tiny = responses[responses["wave"] == "2026Q2"].head(3)
    table = pd.concat([responses[responses["wave"] == "2026Q1"], tiny], ignore_index=True)
    ex = research_extract(table, survey, units=units, rng=1)
    dropped = ex.report[ex.report["step"] == "drop_rows"]
    assert dropped[["wave", "rows_affected"]].values.tolist() == [["2026Q2", 3]]
    assert set(ex.data["wave"]) == {"2026Q1"}
    assert ex.waves == ("2026Q1",)
    assert list(ex.min_group) == ["2026Q1"]
    text = ex.summary()
    assert f"- Rows: 325 of {len(table)} (325 respondents, fresh pseudonyms)\n" in text
    assert "- Waves: 2026Q1\n" in text
    assert (
        "- Wave 2026Q2 dropped (3 rows): the wave has fewer than k=5 rows in all: no group could reach k\n"
        in text
    )
    assert "- Rows dropped: 3\n" in text


def test_a_dropped_wave_is_left_out_of_the_written_files(responses, survey, units, tmp_path):
    tiny = responses[responses["wave"] == "2026Q2"].head(3)
    table = pd.concat([responses[responses["wave"] == "2026Q1"], tiny], ignore_index=True)
    ex = research_extract(table, survey, units=units, rng=1)
    paths = write_extract(ex, tmp_path, to="sav")
    _, meta = pyreadstat.read_sav(paths[0], metadataonly=True)
    assert meta.file_label == "Research extract, k=5, waves 2026Q1"
    assert "- Wave 2026Q2 dropped (3 rows)" in paths[-1].read_text(encoding="utf-8")


def test_kept_teams_stay_and_are_suppressed_only_where_groups_are_small(responses, survey, units):
    ex = research_extract(responses, survey, units=units, keep_teams=True, level="team", rng=2)
    assert "team" in ex.data and "unit" not in ex.data
    assert ex.quasi_identifiers[0] == "team" and ex.level == "team"
    assert (_min_group(ex.data, ex.quasi_identifiers) >= 5).all()
    kept = ex.data["team"].dropna()
    assert kept.isin(set(responses["team"])).all() and len(kept) > 0
    assert not any(r["step"] == "generalise_unit" for _, r in ex.report.iterrows())


def test_a_greedy_descent_takes_over_with_too_many_recodings(responses, survey, units, monkeypatch):
    monkeypatch.setattr("toolkit.privacy._kanon.MAX_NODES", 1)
    ex = research_extract(responses, survey, units=units, rng=1)
    assert (_min_group(ex.data, ex.quasi_identifiers) >= 5).all()
    steps = ex.report[ex.report["step"].isin(["generalise_unit", "merge_categories"])]
    assert len(steps) and steps["reason"].str.startswith("greedy descent").all()


def test_suppression_holds_in_every_wave_of_a_respondent():
    """Once a value is suppressed for a person, the panel cannot give it back."""
    person = np.array(["a", "b", "c", "d", "e", "f"] * 2, dtype=object)
    wave = np.array(["w1"] * 6 + ["w2"] * 6, dtype=object)
    # in w1 "a" is the only 2; in w2 everybody has 1 or 0 in groups of 3
    values = np.array([2, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0])
    q = QuasiIdentifier("x", "category", values, categories=("0", "1", "2"), labels=("0", "1", "2"),
                        mergeable=0)  # fmt: skip
    gen = Generaliser(wave, person, [q], k=3, rng=np.random.default_rng(0)).run()
    out = gen.values(q)
    assert out[0] is None and out[6] is None  # a: suppressed in w1, and so in w2
    reasons = {a["reason"] for a in gen.actions}
    assert "kept suppressed in every wave of the same respondent" in reasons
    for w in ("w1", "w2"):
        groups = pd.Series(out[wave == w]).value_counts(dropna=False)
        assert (groups >= 3).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(-1, 3), st.integers(-1, 1), st.integers(0, 5)),
        min_size=1,
        max_size=60,
    ),
    st.integers(2, 6),
)
def test_k_anonymity_holds_for_any_table(rows, k):
    wave = np.array([f"w{r[0]}" for r in rows], dtype=object)
    person = np.array([f"p{r[3]}" for r in rows], dtype=object)
    cats = ("a", "b", "c", "na")
    tenure = QuasiIdentifier("tenure", "category", np.array([r[1] for r in rows]),
                             categories=cats, labels=cats, mergeable=3)  # fmt: skip
    unit_of = {0: "d1", 1: "d2", -1: "d3"}
    parent = {"d1": "org", "d2": "org", "d3": "org", "org": None}
    unit = QuasiIdentifier("unit", "unit", np.array([unit_of[r[2]] for r in rows], dtype=object),
                           parent=parent, root="org")  # fmt: skip
    gen = Generaliser(wave, person, [unit, tenure], k=k, rng=np.random.default_rng(0)).run()
    table = pd.DataFrame({"wave": wave, "unit": gen.values(unit), "tenure": gen.values(tenure)})[~gen.dropped]
    if len(table):
        assert (_min_group(table, ["unit", "tenure"]) >= k).all()
    counts = pd.Series(wave).value_counts()
    assert set(pd.Series(wave[gen.dropped]).unique()) == set(counts[counts < k].index)


# ------------------------------------------------------------------------------ pseudonyms and columns


def test_two_extracts_of_the_same_wave_share_no_pseudonym(responses, survey, units):
    wave = responses[responses["wave"] == "2026Q1"]
    first = research_extract(wave, survey, units=units, rng=1)
    second = research_extract(wave, survey, units=units, rng=1)
    a, b = set(first.data["respondent"]), set(second.data["respondent"])
    assert len(a) == len(b) == len(wave)
    assert not a & b
    assert not a & set(responses["respondent"])
    # the same rng gives the same rows and the same generalisation; only the pseudonyms differ
    same = first.data.drop(columns="respondent")
    pd.testing.assert_frame_equal(same, second.data.drop(columns="respondent"))
    pd.testing.assert_frame_equal(first.report, second.report)


def test_pseudonyms_join_the_waves_of_one_extract(extract, responses):
    assert extract.data["respondent"].str.fullmatch(r"r_[0-9a-f]{12}").all()
    assert extract.data["respondent"].nunique() == responses["respondent"].nunique()
    panel_in = responses.groupby("respondent")["wave"].nunique().value_counts().sort_index()
    panel_out = extract.data.groupby("respondent")["wave"].nunique().value_counts().sort_index()
    pd.testing.assert_series_equal(panel_in, panel_out, check_names=False)


def test_identifying_columns_are_left_out(extract, responses, survey):
    data = extract.data
    for col in ("team", "submitted_at", "duration_s", "comment", "manager"):
        assert col not in data
    assert data.columns.tolist()[:3] == ["respondent", "wave", "cadence"]
    # answers are carried over unchanged
    for item in ("avail_reachable", "cadence", "stay_looking"):
        assert data[item].value_counts().sort_index().equals(responses[item].value_counts().sort_index())
    assert set(extract.report["column"]) >= {"team", "submitted_at", "comment", "respondent", "duration_s"}


def test_durations_are_not_extracted(extract, responses):
    """Durations, even rounded, single people out: platform logs hold them too."""
    rep = extract.report.set_index("column")
    assert rep.loc["duration_s"].tolist() == [
        "drop_column", "all", "seconds", "", len(responses), "durations can be matched with platform logs"
    ]  # fmt: skip
    assert "round" not in set(extract.report["step"])
    assert "duration_s" not in set(extract.codebook["variable"])
    assert "duration_s" not in extract.quasi_identifiers


def test_roster_columns_never_leak(responses, survey):
    teams = pd.read_csv(SAMPLE / "teams.csv", dtype="str")
    joined = responses.merge(teams[["team", "manager"]], on="team", how="left")
    ex = research_extract(joined[joined["wave"] == "2026Q1"], survey, teams=teams, k=2, rng=1)
    assert "manager" not in ex.data
    assert ex.level == "division"
    assert ex.data["unit"].isin(set(teams["division"]) | {"organisation"}).all()
    assert "not a column of the survey" in ex.report.set_index("column").loc["manager", "reason"]


def test_input_is_not_modified(responses, survey, units):
    before = responses.copy()
    research_extract(responses, survey, units=units, rng=1)
    pd.testing.assert_frame_equal(responses, before)


def test_without_units_the_team_is_dropped_and_no_unit_added(responses, survey):
    ex = research_extract(responses, survey, rng=1)
    assert "unit" not in ex.data and "team" not in ex.data
    assert ex.level == "none"
    assert ex.quasi_identifiers == ("tenure", "location", "level")
    assert (_min_group(ex.data, ex.quasi_identifiers) >= 5).all()


def test_codebook_describes_the_generalised_data(extract):
    cb = extract.codebook.set_index("variable")
    assert list(cb.index) == list(extract.data.columns)
    for col in ("tenure", "location", "level"):
        codes = [part.split("=")[0] for part in cb.loc[col, "values"].split("; ")]
        assert codes == list(extract.data[col].cat.categories)
        assert "quasi-identifier" in cb.loc[col, "note"]
    merged = extract.report[extract.report["step"] == "merge_categories"]
    for _, r in merged.iterrows():
        assert r["to"] in cb.loc[r["column"], "values"]
    assert cb.loc["avail_reachable", "values"].startswith("1=Strongly disagree")
    assert cb.loc["avail_reachable", "not_applicable"] == "9"


def test_summary_is_markdown_with_the_numbers(extract):
    text = extract.summary()
    assert text.startswith("# Research extract")
    assert "k = 5" in text and "2026Q1" in text


UNITS_LOST = (
    "the units could not be kept at {level} level without breaking k=5: every {level} was generalised "
    "to the whole organisation (org), so the column held one value. Fewer quasi-identifiers (demographic "
    "items){larger} or fewer waves would keep more"
)


def test_units_that_all_become_the_organisation_are_dropped_and_explained(extract, responses):
    """On the sample, no division keeps k=5 with the demographics: the unit column would be 'org'."""
    assert "unit" not in extract.data
    assert "unit" not in set(extract.codebook["variable"])
    assert extract.level == "organisation"
    assert extract.quasi_identifiers == DEMOGRAPHICS
    reason = UNITS_LOST.format(level="division", larger="")
    rep = extract.report
    dropped = rep[(rep["step"] == "drop_column") & (rep["column"] == "unit")]
    assert dropped[["wave", "from", "to", "rows_affected", "reason"]].values.tolist() == [
        ["all", "division", "", len(responses), reason]
    ]
    moved = rep[rep["step"] == "generalise_unit"]
    assert sorted(moved["from"]) == [f"div0{i}" for i in range(1, 8)] and set(moved["to"]) == {"org"}
    text = extract.summary()
    assert "- Unit level: organisation\n" in text
    assert f"- Unit column dropped: {reason}\n" in text


def test_a_finer_level_asked_for_suggests_a_larger_one(responses, survey, units):
    ex = research_extract(responses, survey, units=units, level="department", rng=1)
    assert "unit" not in ex.data and ex.level == "organisation"
    reason = UNITS_LOST.format(level="department", larger=", a larger unit level (division)")
    assert f"- Unit column dropped: {reason}\n" in ex.summary()


def test_the_organisation_asked_for_is_no_column(responses, survey, units):
    ex = research_extract(responses, survey, units=units, level="organisation", rng=1)
    assert "unit" not in ex.data and ex.level == "organisation"
    assert ex.quasi_identifiers == DEMOGRAPHICS
    assert not (ex.report["step"] == "generalise_unit").any()
    reason = "the organisation was asked for: a column of one value (org) tells nothing"
    assert ex.report.set_index(["step", "column"]).loc[("drop_column", "unit"), "reason"] == reason
    assert "could not be kept" not in ex.summary()


def test_units_that_keep_k_stay_and_are_written(responses, survey, units, tmp_path):
    """One wave with k=2: the divisions keep k, so the unit column stays, at division level."""
    ex = research_extract(responses[responses["wave"] == "2026Q1"], survey, units=units, k=2, rng=1)
    assert ex.level == "division"
    assert ex.quasi_identifiers == ("unit", *DEMOGRAPHICS)
    assert ex.data.columns.tolist()[:3] == ["respondent", "wave", "unit"]
    divisions = set(units.loc[units["kind"] == "division", "unit"])
    assert ex.data["unit"].nunique() > 1 and ex.data["unit"].isin(divisions | {"org"}).all()
    assert not ((ex.report["step"] == "drop_column") & (ex.report["column"] == "unit")).any()
    assert "Unit column dropped" not in ex.summary() and "- Unit level: division\n" in ex.summary()
    back, meta = pyreadstat.read_dta(write_extract(ex, tmp_path, to="dta")[0])
    assert back["unit"].tolist() == ex.data["unit"].tolist()
    assert meta.column_names_to_labels["unit"].startswith("Unit: the team's division")


# ------------------------------------------------------------------------------ files


@pytest.fixture(scope="module")
def written(extract, tmp_path_factory):
    out = tmp_path_factory.mktemp("extract")
    return {to: write_extract(extract, out / to, to=to) for to in FORMATS}


def _expected(extract, col):
    """The column as SPSS/Stata hold it: categories as 1, 2, ...; numbers as floats."""
    series = extract.data[col]
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.astype(float)
        return codes.where(codes >= 0) + 1
    return series.astype("float64")


@pytest.mark.parametrize("to", ["sav", "dta"])
def test_spss_and_stata_files_read_back_with_labels_and_values(extract, written, to):
    path = written[to][0]
    assert path.name == f"extract.{to}"
    if to == "sav":
        back, meta = pyreadstat.read_sav(path, user_missing=True)
    else:
        back, meta = pyreadstat.read_dta(path)
    assert list(back.columns) == list(extract.data.columns)
    assert len(back) == len(extract.data)
    cb = extract.codebook.set_index("variable")
    limit = LIMITS[to]["label"]
    for col in back.columns:
        label = meta.column_names_to_labels[col]
        assert label == truncate(cb.loc[col, "label"], limit, nbytes=to == "sav")
        if to == "dta":
            assert len(label) <= 80
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", col)
    # value labels: the scale's labels, and the merged bands' new labels
    tenure = {float(k): v for k, v in meta.variable_value_labels["tenure"].items()}
    cats = list(extract.data["tenure"].cat.categories)
    pairs = dict(p.split("=", 1) for p in cb.loc["tenure", "values"].split("; "))
    assert tenure == {float(i): pairs[c] for i, c in enumerate(cats, start=1)}
    agree = {float(k): v for k, v in meta.variable_value_labels["avail_reachable"].items()}
    assert agree[1.0] == "Strongly disagree" and agree[9.0] == "Does not apply to me"
    # values equal the extract's data
    for col in ("avail_reachable", "cadence", "meeting_length", "tenure", "location", "level"):
        got = pd.to_numeric(back[col], errors="coerce").astype("float64")
        want = _expected(extract, col).to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(got.to_numpy(), want)
    for col in ("respondent", "wave"):
        assert back[col].tolist() == extract.data[col].fillna("").tolist()
    if to == "sav":
        assert meta.missing_ranges["avail_reachable"] == [{"lo": 9.0, "hi": 9.0}]
        assert set(meta.variable_measure.values()) == {"nominal", "ordinal"}
        assert meta.variable_measure["avail_reachable"] == "ordinal"


def test_csv_and_parquet_round_trip_with_the_codebook(extract, written):
    csv_paths, pq_paths = written["csv"], written["parquet"]
    assert [p.name for p in csv_paths] == ["extract.csv", "codebook.csv", "extract_report.md"]
    back = pd.read_csv(csv_paths[0], dtype="str", keep_default_na=False)
    assert back["tenure"].replace("", None).dropna().isin(extract.data["tenure"].cat.categories).all()
    assert back["respondent"].tolist() == extract.data["respondent"].tolist()
    cb = pd.read_csv(csv_paths[1], dtype="str", keep_default_na=False)
    pd.testing.assert_frame_equal(cb, extract.codebook, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_parquet(pq_paths[0]), extract.data)


def test_every_format_writes_the_report_with_privacy_notes(written, extract):
    for paths in written.values():
        text = paths[-1].read_text(encoding="utf-8")
        assert paths[-1].name == "extract_report.md"
        assert "## Privacy notes" in text and "## What was done" in text
        assert "Residual risk across waves" in text
        for step in set(extract.report["step"]):
            assert f"| {step} |" in text


def test_the_privacy_notes_say_how_to_hand_extracts_out(written, extract):
    text = written["csv"][-1].read_text(encoding="utf-8")
    # recomputed: rows whose answers nobody else in their wave gives
    answers = [c for c in extract.data.columns if c not in {"respondent", "wave", *extract.quasi_identifiers}]
    table = extract.data[["wave", *answers]].astype("object").fillna("-")
    unique = int((~table.duplicated(keep=False)).sum())
    assert len(answers) == 35 and unique > len(table) // 2
    assert (
        "nobody can join this extract to the store or to another extract by id. Rows can still be "
        f"matched on their answers: the answers to 35 items make {unique} of {len(table)} rows here "
        "unique in their wave. So k = 5 holds for this extract alone: give a researcher one extract, do "
        "not release two differently generalised extracts of the same waves to the same people, and keep "
        "extracts under a data-use agreement." in text
    )
    assert "(the 1:1 cadence, the meeting length) are not treated as quasi-identifiers" in text
    assert (
        "A fixed seed (`rng`, `--seed`) makes the row order reproducible, so the rows of two extracts "
        "made with the same seed line up; leave it unset for extracts that are released." in text
    )
    assert "submission times and durations (which can be matched with platform logs) are dropped" in text
    assert "- Unit column dropped: the units could not be kept at division level" in text


def test_answers_single_out_most_sample_rows(survey):
    """The figure of the module docstring: the 33 scale answers make 1305 of 1328 rows unique."""
    valid = [validate(read_canonical(path), survey).valid for path in sorted(SAMPLE.glob("responses_*.csv"))]
    table = pd.concat(valid, ignore_index=True)
    scale_items = [it.id for it in survey.items if it.kind == "ordinal"]
    assert len(scale_items) == 33
    keys = table[["wave", *scale_items]].astype("object").fillna(-1)
    assert (int((~keys.duplicated(keep=False)).sum()), len(table)) == (1305, 1328)


def test_no_store_pseudonym_team_or_manager_id_in_any_written_file(written, responses):
    store_ids = {p.encode() for p in responses["respondent"].unique()}
    managers = set(pd.read_csv(SAMPLE / "teams.csv", dtype="str")["manager"])
    for paths in written.values():
        for path in paths:
            raw = path.read_bytes()
            assert not any(p in raw for p in store_ids), path
            assert not TEAM_ID.search(raw), path
            assert not any(re.search(rb"\b" + m.encode() + rb"\b", raw) for m in managers), path
    assert not list(paths[0].parent.glob(".*.tmp"))


def test_kept_team_ids_are_written_when_asked_for(responses, survey, units, tmp_path):
    ex = research_extract(responses, survey, units=units, keep_teams=True, level="team", rng=1)
    paths = write_extract(ex, tmp_path, to="csv")
    assert TEAM_ID.search(paths[0].read_bytes())


def test_labels_are_cut_to_the_format_limits(responses, survey, units, tmp_path):
    ex = research_extract(responses[responses["wave"] == "2026Q1"], survey, units=units, rng=1)
    long = "word " * 60
    cb = ex.codebook.copy()
    cb.loc[cb["variable"] == "depth_why", "label"] = long
    ex = Extract(**{**ex.__dict__, "codebook": cb})
    for to in ("sav", "dta"):
        path = write_extract(ex, tmp_path / to, to=to)[0]
        _, meta = (pyreadstat.read_sav if to == "sav" else pyreadstat.read_dta)(path, metadataonly=True)
        label = meta.column_names_to_labels["depth_why"]
        assert label.endswith("...") and len(label) <= LIMITS[to]["label"]


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 1}, "k must be a whole number of at least 2; got 1"),
        ({"k": 2.5}, "k must be"),
        ({"k": True}, "k must be"),
        ({"level": "branch"}, "level must be one of organisation, division, department, team; got 'branch'"),
        ({"level": "team"}, "pass keep_teams=True"),
    ],
)
def test_bad_arguments_raise(responses, survey, units, kwargs, message):
    with pytest.raises(ToolkitError, match=re.escape(message)):
        research_extract(responses, survey, units=units, **kwargs)


def test_bad_inputs_raise_input_errors(responses, survey, units):
    with pytest.raises(InputError, match="lack the columns \\['tenure'\\]"):
        research_extract(responses.drop(columns="tenure"), survey, units=units)
    unknown = responses.assign(team=responses["team"].where(responses.index > 0, "t_unknown"))
    with pytest.raises(InputError, match=r"not units of the units table.*t_unknown"):
        research_extract(unknown, survey, units=units)
    with pytest.raises(InputError, match="units lacks the columns \\['kind'\\]"):
        research_extract(responses, survey, units=units.drop(columns="kind"))
    with pytest.raises(InputError, match=r"row 10, column 'parent': the parent 'div00' of unit 'dep01'"):
        research_extract(responses, survey, units=units.replace({"parent": {"div01": "div00"}}))
    with pytest.raises(InputError, match="teams needs a 'department' or 'division' column"):
        research_extract(responses, survey, teams=pd.DataFrame({"team": ["t01"], "manager": ["m01"]}))
    with pytest.raises(InputError, match="exactly one root"):
        research_extract(responses, survey, units=units.assign(parent=None))
    with pytest.raises(TypeError, match="responses must be a DataFrame"):
        research_extract(responses.to_dict(), survey)


def test_bad_format_raises(extract, tmp_path):
    with pytest.raises(ToolkitError, match="to must be one of sav, dta, csv, parquet; got 'xlsx'"):
        write_extract(extract, tmp_path, to="xlsx")
    assert not list(tmp_path.iterdir())
