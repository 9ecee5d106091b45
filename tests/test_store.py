"""The wave store: exact round trips, idempotent re-ingest, refusals, and crash safety."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import toolkit
from tests.conftest import SAMPLE, mini_row, mini_table
from toolkit import read_canonical, validate
from toolkit.errors import StoreError
from toolkit.store import file_sha256, load_quarantine, load_waves, manifest, store_wave

SHA_A = "a" * 64
SHA_B = "b" * 64
ENTRY_KEYS = {
    "survey_id",
    "survey_version",
    "source",
    "source_sha256",
    "rows_read",
    "rows_stored",
    "rows_quarantined",
    "written_at",
    "toolkit_version",
    "anonymous",  # a wave stored without a key: no key_fingerprint, no pseudonym_series
}


@pytest.fixture(scope="module")
def result(survey):
    """The sample's first wave (with the simulator's planted mess), with two more rows broken
    so that the quarantine holds more than one kind of failure."""
    table = read_canonical(SAMPLE / "responses_2026Q1.csv")
    planted = validate(table, survey)
    first, second = planted.valid.index[:2]
    table.loc[first, "duration_s"] = "soon"
    table.loc[second, "avail_reachable"] = "7"
    out = validate(table, survey)
    assert len(out.quarantine) == len(planted.quarantine) + 2
    return out


def _store(store, result, survey, *, wave="2026Q1", sha=SHA_A, valid=None, **kw):
    valid = result.valid if valid is None else valid
    quarantine = kw.pop("quarantine", result.quarantine)
    return store_wave(
        store,
        wave=wave,
        valid=valid,
        quarantine=quarantine,
        survey=survey,
        source_sha256=sha,
        source_name=kw.pop("source_name", f"responses_{wave}.csv"),
        **kw,
    )


def _as_wave(valid: pd.DataFrame, wave: str) -> pd.DataFrame:
    return valid.assign(wave=valid["wave"].str.replace("2026Q1", wave))


def _files(store: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(store).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(store.rglob("*"))
        if p.is_file()
    }


def _temp_files(store: Path) -> list[str]:
    return [p.name for p in store.rglob("*") if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- round trip


def test_round_trip_of_the_sample_is_exact(tmp_path, sample_table, survey):
    checked = validate(sample_table, survey)
    valid = checked.valid
    assert _store(tmp_path, checked, survey) == "written"
    loaded = load_waves(tmp_path)
    pd.testing.assert_frame_equal(loaded, valid.reset_index(drop=True))
    assert isinstance(loaded.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(load_waves(tmp_path, "2026Q1", survey=survey), loaded)


def test_round_trip_keeps_int8_na_utc_timestamps_and_unused_categories(tmp_path, result, survey):
    valid = result.valid.copy()
    valid.loc[valid.index[:3], "avail_reachable"] = pd.NA
    valid.loc[valid.index[0], "duration_s"] = pd.NA
    valid.loc[valid.index[1], "comment"] = pd.NA
    _store(tmp_path, result, survey, valid=valid)
    loaded = load_waves(tmp_path)
    pd.testing.assert_frame_equal(loaded, valid.reset_index(drop=True))
    assert str(loaded["avail_reachable"].dtype) == "Int8"
    assert loaded["avail_reachable"].isna().sum() == 3
    assert str(loaded["submitted_at"].dtype) == "datetime64[us, UTC]"
    assert list(loaded["cadence"].cat.categories) == list(survey.scales["cadence"].codes)


def test_categories_survive_in_a_subset_and_in_an_empty_wave(tmp_path, result, survey):
    weekly = result.valid[result.valid["cadence"] == "weekly"]
    _store(tmp_path, result, survey, valid=weekly)
    loaded = load_waves(tmp_path)
    pd.testing.assert_frame_equal(loaded, weekly.reset_index(drop=True))
    assert list(loaded["cadence"].cat.categories) == [
        "weekly",
        "biweekly",
        "monthly",
        "less_than_monthly",
        "none",
    ]

    empty = result.valid.iloc[:0]
    _store(tmp_path, result, survey, wave="2026Q2", valid=empty, quarantine=result.quarantine.iloc[:0])
    got = load_waves(tmp_path, "2026Q2")
    pd.testing.assert_frame_equal(got, empty.reset_index(drop=True))
    assert list(got["meeting_length"].cat.categories) == list(result.valid["meeting_length"].cat.categories)


def test_quarantine_is_kept_as_text_with_its_rows_and_reasons(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    bad = load_quarantine(tmp_path, "2026Q1")
    pd.testing.assert_frame_equal(bad, result.quarantine.astype("str"))
    assert bad.index.tolist() == result.quarantine.index.tolist()
    assert (bad["duration_s"] == "soon").sum() == 1
    assert (bad["avail_reachable"] == "7").sum() == 1
    assert bad["reasons"].tolist() == result.quarantine["reasons"].tolist()
    assert all(str(t) == "str" for t in bad.dtypes)


def test_quarantine_of_canonical_values_is_stored_as_text(tmp_path, result, survey):
    canonical = result.valid.head(2).assign(reasons="unique_per_wave")
    _store(tmp_path, result, survey, valid=result.valid.iloc[2:], quarantine=canonical)
    bad = load_quarantine(tmp_path, "2026Q1")
    assert all(str(t) == "str" for t in bad.dtypes)
    assert bad["submitted_at"].iloc[0] == str(canonical["submitted_at"].iloc[0])
    assert bad["cadence"].tolist() == canonical["cadence"].astype("str").tolist()


def test_input_frames_are_not_changed(tmp_path, result, survey):
    valid, quarantine = result.valid.copy(), result.quarantine.copy()
    _store(tmp_path, result, survey)
    pd.testing.assert_frame_equal(result.valid, valid)
    pd.testing.assert_frame_equal(result.quarantine, quarantine)


# --------------------------------------------------------------------------- re-ingest and replace


def test_same_export_again_is_a_no_op(tmp_path, result, survey):
    assert _store(tmp_path, result, survey) == "written"
    before = _files(tmp_path)
    assert set(before) == {"manifest.json", "waves/2026Q1.parquet", "quarantine/2026Q1.parquet"}
    assert _store(tmp_path, result, survey) == "unchanged"
    assert _files(tmp_path) == before


def test_different_export_needs_replace(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    before = _files(tmp_path)
    smaller = result.valid.iloc[:10]
    with pytest.raises(StoreError, match=r"wave 2026Q1: the wave is already stored from .*Pass --replace"):
        _store(tmp_path, result, survey, sha=SHA_B, valid=smaller)
    assert _files(tmp_path) == before
    assert _store(tmp_path, result, survey, sha=SHA_B, valid=smaller, replace=True) == "replaced"
    pd.testing.assert_frame_equal(load_waves(tmp_path), smaller.reset_index(drop=True))
    entry = manifest(tmp_path)["waves"]["2026Q1"]
    assert (entry["source_sha256"], entry["rows_stored"], entry["rows_read"]) == (
        SHA_B,
        10,
        10 + len(result.quarantine),
    )


def test_same_export_for_another_survey_version_needs_replace(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    newer = dataclasses.replace(survey, version="2.0")
    with pytest.raises(StoreError, match=r"survey one_on_one_pulse 2\.0\) is different\. Pass --replace"):
        _store(tmp_path, result, newer)
    assert _store(tmp_path, result, newer, replace=True) == "replaced"
    assert manifest(tmp_path)["waves"]["2026Q1"]["survey_version"] == "2.0"


def test_replace_of_a_new_wave_is_just_written(tmp_path, result, survey):
    assert _store(tmp_path, result, survey, replace=True) == "written"


# --------------------------------------------------------------------------- several waves and the manifest


def test_several_waves_load_in_wave_order(tmp_path, result, survey):
    for wave in ("2026Q3", "2026Q1", "2026Q2"):
        _store(tmp_path, result, survey, wave=wave, valid=_as_wave(result.valid, wave), sha=wave[-1] * 64)
    n = len(result.valid)
    every = load_waves(tmp_path)
    assert every["wave"].tolist() == ["2026Q1"] * n + ["2026Q2"] * n + ["2026Q3"] * n
    assert isinstance(every.index, pd.RangeIndex)
    assert every.index.tolist() == list(range(3 * n))
    assert every["cadence"].dtype == result.valid["cadence"].dtype
    two = load_waves(tmp_path, ["2026Q3", "2026Q1", "2026Q3"])
    assert two["wave"].unique().tolist() == ["2026Q1", "2026Q3"]
    assert len(two) == 2 * n
    expected = pd.concat([result.valid, _as_wave(result.valid, "2026Q3")], ignore_index=True)
    pd.testing.assert_frame_equal(two, expected)
    assert list(manifest(tmp_path)["waves"]) == ["2026Q1", "2026Q2", "2026Q3"]
    load_waves(tmp_path, survey=survey)  # validates across waves


def test_manifest_content(tmp_path, result, survey):
    before = datetime.now(UTC).replace(microsecond=0)
    _store(tmp_path, result, survey, source_name="/home/ana.lopez/Downloads/responses_2026Q1.csv")
    _store(
        tmp_path,
        result,
        survey,
        wave="2026Q2",
        valid=_as_wave(result.valid, "2026Q2"),
        source_name=r"C:\Users\ana.lopez\q2.csv",
        rows_read=len(result.valid) + len(result.quarantine),
    )
    data = manifest(tmp_path)
    assert data == json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    entry = data["waves"]["2026Q1"]
    assert set(entry) == ENTRY_KEYS
    assert entry["source"] == "responses_2026Q1.csv"
    assert data["waves"]["2026Q2"]["source"] == "q2.csv"
    assert "ana.lopez" not in (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert (entry["survey_id"], entry["survey_version"]) == (survey.id, survey.version)
    assert entry["source_sha256"] == SHA_A
    n_valid, n_bad = len(result.valid), len(result.quarantine)
    assert (entry["rows_read"], entry["rows_stored"], entry["rows_quarantined"]) == (
        n_valid + n_bad,
        n_valid,
        n_bad,
    )
    assert entry["rows_read"] == entry["rows_stored"] + entry["rows_quarantined"]
    assert entry["toolkit_version"] == toolkit.__version__
    written = datetime.fromisoformat(entry["written_at"])
    assert entry["written_at"].endswith("Z")
    assert written.utcoffset().total_seconds() == 0
    assert before <= written <= datetime.now(UTC)
    data["waves"].clear()  # a copy: the store is not changed
    assert list(manifest(tmp_path)["waves"]) == ["2026Q1", "2026Q2"]


def test_file_sha256_streams_large_files(tmp_path):
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * (10 * 1024) + b"tail"  # 2.5 MiB: several chunks
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(str(path)) == hashlib.sha256(data).hexdigest()
    csv = SAMPLE / "responses_2026Q1.csv"
    assert file_sha256(csv) == hashlib.sha256(csv.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- crashes


@pytest.mark.parametrize("fail_on", [1, 2], ids=["valid-file", "quarantine-file"])
def test_crash_during_replace_keeps_the_previous_state(tmp_path, result, survey, monkeypatch, fail_on):
    _store(tmp_path, result, survey)
    before = _files(tmp_path)
    real = pq.write_table
    calls = []

    def flaky(table, where, *args, **kwargs):
        calls.append(where)
        if len(calls) == fail_on:
            Path(where).write_bytes(b"PAR1 half a file")
            raise OSError(28, "No space left on device")
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", flaky)
    with pytest.raises(OSError, match="No space left"):
        _store(tmp_path, result, survey, sha=SHA_B, valid=result.valid.iloc[:5], replace=True)
    monkeypatch.undo()
    assert _files(tmp_path) == before
    assert _temp_files(tmp_path) == []
    pd.testing.assert_frame_equal(load_waves(tmp_path), result.valid.reset_index(drop=True))
    pd.testing.assert_frame_equal(load_quarantine(tmp_path, "2026Q1"), result.quarantine.astype("str"))


def test_crash_during_the_first_write_leaves_no_store(tmp_path, result, survey, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("writer crashed")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(RuntimeError, match="writer crashed"):
        _store(tmp_path, result, survey)
    monkeypatch.undo()
    assert _temp_files(tmp_path) == []
    with pytest.raises(StoreError, match=r"no manifest\.json"):
        load_waves(tmp_path)
    assert _store(tmp_path, result, survey) == "written"


def test_interrupted_before_the_manifest_is_detected_and_repaired(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    old_manifest = (tmp_path / "manifest.json").read_bytes()
    _store(tmp_path, result, survey, sha=SHA_B, valid=result.valid.iloc[:5], replace=True)
    (tmp_path / "manifest.json").write_bytes(old_manifest)  # as if the manifest write never happened
    with pytest.raises(StoreError, match=r"waves/2026Q1\.parquet does not match the manifest .*--replace"):
        load_waves(tmp_path)
    with pytest.raises(StoreError, match=r"quarantine/2026Q1\.parquet does not match the manifest"):
        load_quarantine(tmp_path, "2026Q1")
    # storing the export the manifest names repairs the files, without --replace
    assert _store(tmp_path, result, survey) == "replaced"
    pd.testing.assert_frame_equal(load_waves(tmp_path), result.valid.reset_index(drop=True))


def test_a_file_named_by_the_manifest_but_missing_is_reported(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    (tmp_path / "waves" / "2026Q1.parquet").unlink()
    (tmp_path / "quarantine" / "2026Q1.parquet").unlink()
    with pytest.raises(
        StoreError, match=r"wave 2026Q1: the manifest lists this wave but waves/2026Q1\.parquet is missing"
    ):
        load_waves(tmp_path)
    with pytest.raises(StoreError, match=r"quarantine/2026Q1\.parquet is missing; store the wave again"):
        load_quarantine(tmp_path, "2026Q1")


def test_an_unreadable_data_file_is_reported(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    (tmp_path / "waves" / "2026Q1.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(StoreError, match=r"waves/2026Q1\.parquet cannot be read"):
        load_waves(tmp_path)
    assert _store(tmp_path, result, survey) == "replaced"  # repaired from the same export


# --------------------------------------------------------------------------- refusals of store_wave


@pytest.mark.parametrize("wave", ["2026-Q1", "../2026Q1", "2026Q5", "", 2026])
def test_bad_wave_name(tmp_path, result, survey, wave):
    with pytest.raises(StoreError, match="wave must look like 2026Q3, got"):
        _store(tmp_path, result, survey, wave=wave)


def test_rows_of_another_wave_are_refused(tmp_path, result, survey):
    mixed = result.valid.copy()
    mixed.loc[mixed.index[:2], "wave"] = "2025Q4"
    with pytest.raises(StoreError, match=r"2 valid rows belong to another wave \(2025Q4\); every stored row"):
        _store(tmp_path, result, survey, valid=mixed)
    with pytest.raises(StoreError, match="belong to another wave"):
        _store(tmp_path, result, survey, wave="2026Q2")
    assert not (tmp_path / "manifest.json").exists()


def test_valid_rows_must_be_canonical(tmp_path, result, survey):
    with pytest.raises(StoreError, match=r"not the canonical table .*\(missing comment\)"):
        _store(tmp_path, result, survey, valid=result.valid.drop(columns="comment"))
    with pytest.raises(StoreError, match=r"not in the survey email"):
        _store(tmp_path, result, survey, valid=result.valid.assign(email="a@b.c"))
    reordered = result.valid[[*result.valid.columns[1:], result.valid.columns[0]]]
    with pytest.raises(StoreError, match="the columns are out of order"):
        _store(tmp_path, result, survey, valid=reordered)
    as_text = result.valid.astype({"avail_reachable": "str"})
    with pytest.raises(
        StoreError, match=r"column 'avail_reachable' of the valid rows has dtype str, expected Int8"
    ):
        _store(tmp_path, result, survey, valid=as_text)
    with pytest.raises(StoreError, match=r"column 'cadence' .* expected category"):
        _store(tmp_path, result, survey, valid=result.valid.astype({"cadence": "str"}))


def test_quarantine_needs_reasons(tmp_path, result, survey):
    with pytest.raises(StoreError, match="the quarantine has no 'reasons' column"):
        _store(tmp_path, result, survey, quarantine=result.quarantine.drop(columns="reasons"))


def test_rows_must_add_up(tmp_path, result, survey):
    n_valid, n_bad = len(result.valid), len(result.quarantine)
    n = n_valid + n_bad
    message = rf"rows do not add up: {n + 8} read, but {n_valid} valid \+ {n_bad} quarantined = {n}"
    with pytest.raises(StoreError, match=message):
        _store(tmp_path, result, survey, rows_read=n + 8)
    assert _store(tmp_path, result, survey, rows_read=n) == "written"


@pytest.mark.parametrize("sha", ["A" * 64, "a" * 63, "not a hash", None])
def test_source_hash_must_be_a_sha256(tmp_path, result, survey, sha):
    with pytest.raises(StoreError, match="source_sha256 must be 64 lowercase hex characters"):
        _store(tmp_path, result, survey, sha=sha)


def test_source_name_must_name_a_file(tmp_path, result, survey):
    with pytest.raises(StoreError, match="source_name must name the export file"):
        _store(tmp_path, result, survey, source_name="exports/")


def test_frames_must_be_dataframes(tmp_path, result, survey):
    with pytest.raises(TypeError, match="valid must be a pandas DataFrame, got list"):
        _store(tmp_path, result, survey, valid=[])
    with pytest.raises(TypeError, match="quarantine must be a pandas DataFrame, got NoneType"):
        _store(tmp_path, result, survey, quarantine=None)


def test_store_that_is_a_file(tmp_path, result, survey):
    path = tmp_path / "store"
    path.write_text("x")
    with pytest.raises(StoreError, match="this is a file, not a store folder"):
        _store(path, result, survey)
    with pytest.raises(StoreError, match="this is a file, not a store folder"):
        load_waves(path)


# --------------------------------------------------------------------------- refusals of load


def test_missing_or_empty_store(tmp_path):
    with pytest.raises(StoreError, match="the store folder does not exist; store a wave first"):
        load_waves(tmp_path / "nowhere")
    with pytest.raises(StoreError, match=r"no manifest\.json: this is not a wave store"):
        load_waves(tmp_path)
    with pytest.raises(StoreError, match=r"no manifest\.json"):
        manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format_version": 1, "waves": {}}))
    with pytest.raises(StoreError, match="the store holds no waves yet"):
        load_waves(tmp_path)
    with pytest.raises(StoreError, match="the store holds no waves yet"):
        load_quarantine(tmp_path, "2026Q1")


def test_unknown_wave_lists_the_stored_ones(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    _store(tmp_path, result, survey, wave="2026Q2", valid=_as_wave(result.valid, "2026Q2"))
    with pytest.raises(StoreError, match=r"wave 2025Q4 is not stored; stored waves: 2026Q1, 2026Q2"):
        load_waves(tmp_path, ["2026Q1", "2025Q4"])
    with pytest.raises(StoreError, match=r"wave 2027Q1 is not stored; stored waves: 2026Q1, 2026Q2"):
        load_quarantine(tmp_path, "2027Q1")
    with pytest.raises(StoreError, match="no waves asked for; pass None"):
        load_waves(tmp_path, [])


def test_load_quarantine_takes_one_wave(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    with pytest.raises(TypeError, match="wave must be one wave name"):
        load_quarantine(tmp_path, ["2026Q1"])


def test_survey_must_match_the_stored_one(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    other = dataclasses.replace(survey, id="exit_survey")
    with pytest.raises(
        StoreError, match=r"wave 2026Q1: the wave was stored for survey 'one_on_one_pulse', not 'exit_survey'"
    ):
        load_waves(tmp_path, survey=other)


def test_table_that_does_not_fit_the_survey(tmp_path, result, survey):
    broken = result.valid.copy()
    broken.loc[broken.index[0], "duration_s"] = -5.0
    _store(tmp_path, result, survey, valid=broken)
    assert len(load_waves(tmp_path)) == len(broken)
    with pytest.raises(
        StoreError, match=r"does not fit survey one_on_one_pulse 1\.0: 1 failures, e\.g\. duration_s"
    ):
        load_waves(tmp_path, survey=survey)


def test_waves_of_different_surveys_are_loaded_separately(tmp_path, result, survey, mini_survey):
    _store(tmp_path, result, survey)
    mini = validate(mini_table(mini_row(wave="2026Q2")), mini_survey)
    assert len(mini.valid) == 1
    store_wave(
        tmp_path,
        wave="2026Q2",
        valid=mini.valid,
        quarantine=mini.quarantine,
        survey=mini_survey,
        source_sha256=SHA_B,
        source_name="mini.csv",
    )
    with pytest.raises(
        StoreError,
        match=r"wave 2026Q2: the wave's columns or answer codes differ .*load these waves separately",
    ):
        load_waves(tmp_path)
    assert len(load_waves(tmp_path, "2026Q2")) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"manifest.json cannot be read"),
        ("[1, 2]", r"manifest.json is not a wave store manifest"),
        ('{"format_version": 1}', r"manifest.json is not a wave store manifest"),
        (
            '{"format_version": 99, "waves": {"2026Q1": {"toolkit_version": "9.0"}}}',
            r"format version 99; this toolkit reads version 1\. Use the toolkit version that wrote it \(9\.0",
        ),
    ],
)
def test_broken_manifest(tmp_path, result, survey, content, message):
    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(StoreError, match=message):
        manifest(tmp_path)
    with pytest.raises(StoreError, match=message):
        _store(tmp_path, result, survey)


def test_a_data_file_written_outside_the_store_is_refused(tmp_path, result, survey):
    _store(tmp_path, result, survey)
    result.valid.to_parquet(tmp_path / "waves" / "2026Q1.parquet", index=False)
    with pytest.raises(StoreError, match=r"waves/2026Q1\.parquet does not match the manifest \(a write was"):
        load_waves(tmp_path)


def test_store_files_are_0600_in_folders_0700(tmp_path, result, survey):
    import os

    old = os.umask(0o022)
    try:
        store_wave(tmp_path / "store", wave="2026Q1", valid=result.valid, quarantine=result.quarantine,
                   survey=survey, source_sha256=SHA_A, source_name="q1.csv")  # fmt: skip
    finally:
        os.umask(old)
    for path in (tmp_path / "store").rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == expected, path
    assert (tmp_path / "store").stat().st_mode & 0o777 == 0o700
