"""Ingest refuses what is wrong, and keeps what is private out of the store on every path.

Each refusal is tested through the CLI (exit 2, one paragraph naming the file and the column or
row, nothing written) and, where the Python API differs, through :func:`toolkit.ingest`. A
canonical file with planted names, e-mails and employee ids goes through the same dropping and
scrubbing as a platform export.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit import InputError, StoreError, load_quarantine, load_waves
from toolkit.cli import main
from toolkit.errors import SecretKeyError
from toolkit.ingest.pipeline import ingest
from toolkit.privacy.pseudonym import key_fingerprint, pseudonymise
from toolkit.simulate import pseudonym_key
from toolkit.store import manifest

SAMPLE_KEY = pseudonym_key(2026)
KEY = b"a secret key that is not the sample's"
OTHER_KEY = b"another secret key, not the first one"
ROSTER = SAMPLE / "roster.csv"


@pytest.fixture(scope="module")
def roster():
    return pd.read_csv(ROSTER, dtype="str")


def _qualtrics(wave):
    return SAMPLE / "exports" / f"qualtrics_{wave}.csv"


def _cli(*args, key: bytes | None = KEY):
    env = {"ONEONONE_KEY": None if key is None else key.decode()}
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def _ingest_cli(export, store, *more, wave="2026Q2", key: bytes | None = KEY):
    args = ["ingest", export, "--survey", SURVEY_PATH, "--roster", ROSTER, "--wave", wave, "--store", store]
    return _cli(*args, *more, key=key)


def _one_paragraph(result, *parts):
    """Exit 2 with one paragraph that holds every part, and no traceback."""
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith("error: "), result.output
    assert "Traceback" not in result.output and "Usage:" not in result.output
    for part in parts:
        assert str(part) in text, (part, text)
    return text


def _copy_export(tmp_path, wave="2026Q2", name=None, change=None):
    """A copy of the sample's Qualtrics export of ``wave`` (its three header rows kept), changed."""
    text = _qualtrics(wave).read_text(encoding="utf-8")
    path = tmp_path / (name or f"export_{wave}.csv")
    path.write_text(change(text) if change else text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- a required column


def test_an_export_without_a_required_column_is_refused(tmp_path):
    table = pd.read_csv(_qualtrics("2026Q2"), dtype="str", keep_default_na=False, header=None)
    at = list(table.iloc[0]).index("cadence")
    export = tmp_path / "no_cadence.csv"
    table.drop(columns=at).to_csv(export, index=False, header=False)
    store = tmp_path / "store"
    result = _ingest_cli(export, store)
    text = _one_paragraph(result, export, "column 'cadence'", "required item cadence")
    assert "How often do you usually have a 1:1" in text and "Nothing was stored" in text
    assert not store.exists()


# --------------------------------------------------------------------------- the wave window


def test_an_export_of_another_quarter_is_refused(tmp_path):
    store = tmp_path / "store"
    result = _ingest_cli(_qualtrics("2026Q2"), store, wave="2026Q3", key=SAMPLE_KEY)
    first = pd.read_csv(_qualtrics("2026Q2"), skiprows=[1, 2], dtype="str")["RecordedDate"].iloc[0]
    text = _one_paragraph(
        result,
        _qualtrics("2026Q2"),
        "row 4",
        "column 'submitted_at'",
        "351 of 351 rows were submitted outside the window of wave 2026Q3",
        "2026-06-24 to 2026-11-11 UTC",
        f"row 4 at {first[:16]} UTC",
        "--allow-outside-window",
        "--waves-table",
    )
    assert "Nothing was stored" in text
    assert not store.exists()


def test_allow_outside_window_stores_and_says_so(tmp_path):
    store = tmp_path / "store"
    result = _ingest_cli(_qualtrics("2026Q2"), store, "--allow-outside-window", wave="2026Q3", key=SAMPLE_KEY)
    assert result.exit_code == 0, result.output
    assert "351 rows submitted outside the window of wave 2026Q3" in " ".join(result.output.split())
    entry = manifest(store)["waves"]["2026Q3"]
    assert entry["rows_outside_window"] == 351
    assert (
        entry["window"]["start"] == "2026-06-24T00:00:00Z"
        and entry["window"]["end"] == "2026-11-12T00:00:00Z"
    )
    report = (store / "reports" / "ingest_2026Q3.md").read_text(encoding="utf-8")
    assert "351 rows were submitted outside that window and stored anyway" in report
    assert "--allow-outside-window" in (store / "reports" / "ingest_2026Q3.html").read_text(encoding="utf-8")


def test_the_quarter_window_has_a_grace_period(tmp_path, survey, roster):
    """A Q1 survey answered until six weeks after the quarter is still Q1's, a week later it is not."""

    def shifted(days):
        def change(text):
            return re.sub(
                r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})",
                lambda m: str(pd.Timestamp(m.group(1)) + pd.Timedelta(days=days)),
                text,
            )

        return change

    # the Q1 sample runs 2026-02-02 to 2026-02-22; the window of Q1 ends on 2026-05-12
    late = _copy_export(tmp_path, "2026Q1", "late.csv", shifted(78))  # last answer on 2026-05-11
    result = ingest(late, survey, roster=roster, wave="2026Q1", store=tmp_path / "a", key=KEY)
    assert result.rows_outside_window == 0
    too_late = _copy_export(tmp_path, "2026Q1", "too_late.csv", shifted(80))
    with pytest.raises(InputError, match=r"rows were submitted outside the window of wave 2026Q1") as info:
        ingest(too_late, survey, roster=roster, wave="2026Q1", store=tmp_path / "b", key=KEY)
    assert info.value.column == "submitted_at" and info.value.row is not None
    assert not (tmp_path / "b").exists()


def test_a_waves_table_sets_the_window(tmp_path, survey, roster):
    table = tmp_path / "waves.csv"
    table.write_text("wave,start,end\n2026Q3,2026-05-01,2026-05-31\n", encoding="utf-8")
    export = _copy_export(tmp_path, "2026Q2")
    result = ingest(
        export, survey, roster=roster, wave="2026Q3", store=tmp_path / "s", key=KEY, waves_table=table
    )
    assert result.status == "written" and result.window.source == "waves table waves.csv"
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("wave,start,end\n2026Q2,2026-05-10,2026-05-31\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"2026-05-10 to 2026-05-31 UTC \(waves table narrow.csv\)"):
        ingest(
            export, survey, roster=roster, wave="2026Q2", store=tmp_path / "t", key=KEY, waves_table=narrow
        )
    broken = tmp_path / "broken.csv"
    broken.write_text("wave,start,end\n2026Q2,soon,2026-05-31\n", encoding="utf-8")
    result = _ingest_cli(export, tmp_path / "u", "--waves-table", broken)
    _one_paragraph(result, broken, "row 2", "column 'start'", "'soon' is not a date")


# --------------------------------------------------------------------------- the key


def test_a_different_key_for_a_later_wave_is_refused_unless_new_key(tmp_path):
    store = tmp_path / "store"
    q1 = _copy_export(tmp_path, "2026Q1")
    assert _ingest_cli(q1, store, wave="2026Q1").exit_code == 0
    stored = manifest(store)
    assert stored["pseudonyms"]["key_fingerprint"] == key_fingerprint(KEY)
    assert KEY.decode() not in (store / "manifest.json").read_text(encoding="utf-8")
    assert stored["waves"]["2026Q1"]["key_fingerprint"] == key_fingerprint(KEY)

    q2 = _copy_export(tmp_path, "2026Q2")
    refused = _ingest_cli(q2, store, key=OTHER_KEY)
    text = _one_paragraph(
        refused,
        store,
        "the key differs from the one that pseudonymised the stored waves 2026Q1",
        key_fingerprint(KEY),
        key_fingerprint(OTHER_KEY),
        "--new-key",
    )
    assert OTHER_KEY.decode() not in text and KEY.decode() not in text
    assert sorted(manifest(store)["waves"]) == ["2026Q1"]

    started = _ingest_cli(q2, store, "--new-key", key=OTHER_KEY)
    assert started.exit_code == 0, started.output
    assert "a new pseudonym series starts with this wave" in started.output
    after = manifest(store)
    assert after["pseudonyms"]["key_fingerprint"] == key_fingerprint(OTHER_KEY)
    assert [(s["series"], s["first_wave"], s["new_key"]) for s in after["pseudonyms"]["series"]] == [
        (1, "2026Q1", False),
        (2, "2026Q2", True),
    ]
    assert after["waves"]["2026Q2"]["pseudonym_series"] == 2
    assert "starts a new pseudonym series" in (store / "reports" / "ingest_2026Q2.md").read_text()
    # the old key is now the one refused; the new key goes on without --new-key
    q3 = _copy_export(tmp_path, "2026Q3")
    assert _ingest_cli(q3, store, wave="2026Q3", key=KEY).exit_code == 2
    assert _ingest_cli(q3, store, wave="2026Q3", key=OTHER_KEY).exit_code == 0


def test_the_key_check_comes_before_anything_is_read(tmp_path, survey, roster):
    ingest(_copy_export(tmp_path, "2026Q1"), survey, roster=roster, wave="2026Q1", store=tmp_path, key=KEY)
    with pytest.raises(StoreError, match="the key differs"):
        ingest(tmp_path / "nope.csv", survey, roster=roster, wave="2026Q2", store=tmp_path, key=OTHER_KEY)


def test_the_sample_key_is_refused_for_other_data(tmp_path, survey, roster):
    copy = _copy_export(tmp_path, "2026Q2", "copy.csv")
    assert ingest(copy, survey, roster=roster, wave="2026Q2", store=tmp_path / "a", key=SAMPLE_KEY).balanced
    edited = _copy_export(tmp_path, "2026Q2", "edited.csv", lambda t: t.replace(",t21,", ",t22,", 1))
    with pytest.raises(SecretKeyError, match="not the synthetic sample's data") as info:
        ingest(edited, survey, roster=roster, wave="2026Q2", store=tmp_path / "b", key=SAMPLE_KEY)
    assert "ONEONONE_KEY" in str(info.value) and "--key-file" in str(info.value)
    assert SAMPLE_KEY.decode() not in str(info.value)
    assert not (tmp_path / "b").exists()
    result = _ingest_cli(edited, tmp_path / "c", key=SAMPLE_KEY)
    _one_paragraph(result, edited, "public key")


def test_a_notebook_key_of_none_is_refused_for_other_data(tmp_path):
    from toolkit.ingest.batch import ingest_exports
    from toolkit.study import study_key

    folder = tmp_path / "exports"
    folder.mkdir()
    _copy_export(folder, "2026Q1", "mine_2026Q1.csv", lambda t: t.replace(",t01,", ",t02,", 1))
    with pytest.raises(SecretKeyError, match='KEY = "env"'):
        ingest_exports(folder, survey=SURVEY_PATH, roster=ROSTER, store=tmp_path / "s", key=study_key(None))


# --------------------------------------------------------------------------- --format and identity


def test_a_format_that_does_not_fit_is_refused_in_the_cli_s_words(tmp_path):
    export = _qualtrics("2026Q2")
    result = _ingest_cli(export, tmp_path / "s", "--format", "canonical")
    text = _one_paragraph(result, export, "--format canonical does not fit this file", "--format qualtrics")
    assert "format=" not in text and "scalar values" not in text
    forms = _ingest_cli(SAMPLE / "responses_2026Q2.csv", tmp_path / "s", "--format", "google_forms")
    _one_paragraph(forms, "--format google_forms does not fit", "looks like a canonical table")
    assert not (tmp_path / "s").exists()
    unknown = _ingest_cli(export, tmp_path / "s", "--format", "surveymonkey")
    assert unknown.exit_code == 2 and "'surveymonkey' is not one of" in unknown.output


def test_an_unknown_platform_asks_for_format_in_the_cli_s_words(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("Fruit,Colour\napple,red\n", encoding="utf-8")
    text = _one_paragraph(_ingest_cli(export, tmp_path / "s"), export, "give --format, one of qualtrics")
    assert "format=" not in text


def test_an_export_that_identifies_nobody_points_to_anonymous(tmp_path):
    def strip_ids(text):
        lines = text.splitlines(keepends=True)
        header = lines[0].split(",")
        at = header.index("ExternalReference")
        cut = header.index("RecipientEmail")
        return "".join(
            ",".join("" if j in (at, cut) and i >= 3 else c for j, c in enumerate(line.split(",")))
            for i, line in enumerate(lines)
        )

    export = _copy_export(tmp_path, change=strip_ids)
    text = _one_paragraph(
        _ingest_cli(export, tmp_path / "s"), export, "nothing in the export tells who answered"
    )
    assert "--anonymous --team-column" in text
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- one path for canonical files


@pytest.fixture
def planted(tmp_path, roster):
    """The sample's canonical 2026Q1 responses with identifier columns and identifiers in comments:
    each row carries its employee id, e-mail and name, and comments quote names and e-mails.
    Three rows are people who are not in the roster (so the quarantine gets identifiers too)."""
    table = pd.read_csv(SAMPLE / "responses_2026Q1.csv", dtype="str", keep_default_na=False, na_values=[""])
    people = roster[roster["wave"] == "2026Q1"].reset_index(drop=True)
    people = people.assign(respondent=pseudonymise(people["employee_id"], SAMPLE_KEY))
    table = table.merge(people[["respondent", "employee_id", "email", "name"]], on="respondent", how="left")
    strangers = [("x900001", "zoe.stranger@elsewhere.example", "Zoe Stranger")] * 3
    for i, (eid, email, name) in zip(range(3), strangers, strict=True):
        table.loc[i, ["employee_id", "email", "name"]] = [f"{eid}{i}", f"{i}{email}", name]
    for i in range(3, 40):
        other = people.iloc[(i * 7) % len(people)]
        table.loc[i, "comment"] = (
            f"Please ask {other['name']} ({other['email']}) about it."
        )
    table.loc[0, "comment"] = "I am Zoe, reach me at 0zoe.stranger@elsewhere.example"
    path = tmp_path / "planted_2026Q1.csv"
    table.to_csv(path, index=False)
    return path, table


def test_a_canonical_file_leaves_no_identifier_anywhere(tmp_path, planted, survey, roster):
    path, table = planted
    store = tmp_path / "store"
    result = _ingest_cli(path, store, "--format", "canonical", wave="2026Q1")
    assert result.exit_code == 0, result.output
    assert "identifier columns dropped: email, name, employee id (replaced by the pseudonym)" in result.output
    stored, held = load_waves(store, "2026Q1"), load_quarantine(store, "2026Q1")
    assert list(held.columns) == [*stored.columns, "reasons"]
    assert (held["reasons"].str.contains("not_in_roster")).sum() >= 3
    texts = [stored.astype("str").to_csv(), held.astype("str").to_csv()]
    texts += [p.read_text(encoding="utf-8") for p in (store / "reports").iterdir()]
    texts.append((store / "manifest.json").read_text(encoding="utf-8"))
    texts.append(result.output)
    blob = "\n".join(texts).casefold()
    for column in ("employee_id", "email", "name"):
        values = table[column].dropna().unique()
        leaked = [v for v in values if v.casefold() in blob]
        assert leaked == [], f"{column} leaked: {leaked[:3]}"
    assert re.search(r"[\w.+-]+@[\w-]+\.\w+", blob) is None
    assert "[name]" in blob and "[email]" in blob
    md = (store / "reports" / "ingest_2026Q1.md").read_text(encoding="utf-8")
    assert "`name`" in md and "employee id (replaced by the pseudonym)" in md


def test_a_canonical_file_with_employee_ids_is_pseudonymised_with_the_key(tmp_path, planted, survey, roster):
    path, table = planted
    result = ingest(path, survey, roster=roster, wave="2026Q1", store=tmp_path / "s", key=KEY)
    stored = load_waves(tmp_path / "s", "2026Q1")
    known = table.dropna(subset=["employee_id"]).iloc[3:]
    # the pseudonyms come from the employee ids under this key, not from the file's respondent column
    assert set(stored["respondent"]) <= set(pseudonymise(known["employee_id"], KEY))
    assert not set(stored["respondent"]) & set(table["respondent"])
    assert result.format == "canonical" and result.balanced
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["waves"]["2026Q1"]["anonymous"] is False
