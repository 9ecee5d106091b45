"""run_quarter: the quarter from Python, the same outputs as `oneonone run`."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

import toolkit
from tests.conftest import SAMPLE, SURVEY_PATH
from toolkit.cli import main
from toolkit.simulate import pseudonym_key

KEY = pseudonym_key(2026)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    for wave in ("2026Q1", "2026Q2"):
        shutil.copy(SAMPLE / "exports" / f"qualtrics_{wave}.csv", folder)
    return folder


@pytest.fixture(scope="module")
def quarter(exports, tmp_path_factory):
    events = []
    out = tmp_path_factory.mktemp("py")
    result = toolkit.run_quarter(
        SURVEY_PATH,
        SAMPLE / "roster.csv",
        exports,
        "2026Q2",
        out,
        key=KEY,
        notebooks=False,
        progress=lambda event, **info: events.append((event, info.get("name"))),
    )
    return result, out, events


def test_outputs_name_every_file_written(quarter):
    result, out, _ = quarter
    for name in (
        "store",
        "ingest_2026Q1",
        "ingest_2026Q2",
        "scores_2026Q2",
        "measurement_2026Q1",
        "comparison",
        "forest_plot",
        "release",
        "release_csv",
        "comments",
        "comments_csv",
        "manifest",
        "organisation",
        "reports",
    ):
        assert result.outputs[name].exists(), name
    assert result.outputs["release"] == out / "release.parquet"
    assert list(result.seconds) == ["ingest", "score", "compare", "release", "reports"]
    assert [w.wave for w in result.ingested] == ["2026Q1", "2026Q2"]
    assert result.comparison.covariates == ["division", "log_size"]


def test_progress_reports_every_step_in_order(quarter):
    _, _, events = quarter
    steps = [name for event, name in events if event == "step"]
    assert steps == ["ingest", "score", "compare", "release", "reports"]
    assert [name for event, name in events if event == "done"] == steps
    assert sum(event == "ingesting" for event, _ in events) == 2


def test_the_command_line_writes_the_same_files(quarter, exports, tmp_path, monkeypatch):
    _, out, _ = quarter
    monkeypatch.setenv("ONEONONE_KEY", KEY.decode())
    cli = tmp_path / "cli"
    args = ["run", "--survey", SURVEY_PATH, "--roster", SAMPLE / "roster.csv", "--exports", exports]
    done = CliRunner().invoke(
        main, [str(a) for a in [*args, "--wave", "2026Q2", "--out", cli, "--no-notebooks"]]
    )
    assert done.exit_code == 0, done.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(cli / "release.parquet"), pd.read_parquet(out / "release.parquet")
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(cli / "release_comments.parquet"), pd.read_parquet(out / "release_comments.parquet")
    )
    assert (cli / "reports" / "manifest.csv").read_text() == (out / "reports" / "manifest.csv").read_text()
    for name in ("measurement_2026Q2.md", "compare_2026Q2.csv"):
        assert (cli / "store" / "reports" / name).read_text() == (
            out / "store" / "reports" / name
        ).read_text()
    for team in ("t01", "t07"):
        assert (cli / "reports" / f"{team}.html").read_text() == (
            out / "reports" / f"{team}.html"
        ).read_text()


def test_a_key_given_as_bytes_reaches_the_notebooks_but_never_their_text(exports, tmp_path):
    result = toolkit.run_quarter(
        SURVEY_PATH,
        SAMPLE / "roster.csv",
        exports,
        "2026Q2",
        tmp_path,
        key=KEY,
        notebooks=["06_team_report"],
        team="t02",
    )
    html = result.outputs["notebook_06_team_report"].read_text(encoding="utf-8")
    assert "t02" in html and "Traceback" not in html
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".md", ".csv", ".json"):
            assert KEY.decode() not in path.read_text(encoding="utf-8", errors="ignore"), path


def test_refusals_come_before_any_work(exports, tmp_path, monkeypatch):
    monkeypatch.delenv("ONEONONE_KEY", raising=False)
    with pytest.raises(toolkit.SecretKeyError, match="ONEONONE_KEY"):
        toolkit.run_quarter(
            SURVEY_PATH, SAMPLE / "roster.csv", exports, "2026Q2", tmp_path / "a", notebooks=False
        )
    with pytest.raises(toolkit.InputError, match="'zz' is not a team"):
        toolkit.run_quarter(
            SURVEY_PATH, SAMPLE / "roster.csv", exports, "2026Q2", tmp_path / "b", key=KEY, team="zz"
        )
    with pytest.raises(toolkit.InputError, match="an anonymous quarter takes no key"):
        toolkit.run_quarter(
            SURVEY_PATH, None, exports, "2026Q2", tmp_path / "c", units=SAMPLE / "units.csv", key=KEY,
            anonymous=True, team_column="team",
        )  # fmt: skip
    assert not any((tmp_path / d).exists() for d in ("a", "b", "c"))
