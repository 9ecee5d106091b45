"""oneonone serve invite | add-release | audit, the serve command's refusals, and access.csv checks."""

from __future__ import annotations

import stat
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.serve.conftest import SURVEY, UNITS
from toolkit.cli import main
from toolkit.errors import InputError
from toolkit.serve.access import read_access


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_invite_writes_email_and_link_for_a_mail_merge(tmp_path, make_portal, access_file):
    site = make_portal()
    out = tmp_path / "links.csv"
    r = _run(
        "serve", "invite", "--access", access_file, "--db", site.db.path,
        "--base-url", "https://survey.example.org/", "--out", out, "--expires", "2d",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "4 sign-in links, valid for 2d" in r.output
    links = pd.read_csv(out)
    assert list(links.columns) == ["email", "link"]
    assert sorted(links["email"]) == sorted(pd.read_csv(access_file)["email"].unique())
    assert links["link"].str.match(r"^https://survey\.example\.org/signin/[\w-]+\.\d+\.[\w-]+$").all()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(site.db.path.stat().st_mode) == 0o600
    path = links["link"].iloc[0].removeprefix("https://survey.example.org")
    c = site.client()
    assert c.get(path).status_code == 303
    assert links["email"].iloc[0] in c.get("/").text
    expires = int(path.split(".")[1])
    assert abs(expires - (site.clock.now + 2 * 86400)) < 60


def test_invite_refuses_bad_options_and_files(tmp_path, access_file):
    db = tmp_path / "p.db"
    base = ("serve", "invite", "--db", db, "--out", tmp_path / "l.csv")
    r = _run(*base, "--access", access_file, "--base-url", "https://x.org", "--expires", "7 weeks")
    assert r.exit_code == 2 and "7d, 12h or 30m" in r.output
    r = _run(*base, "--access", access_file, "--base-url", "survey.example.org")
    assert r.exit_code == 2 and "--base-url" in r.output
    r = _run(*base, "--access", tmp_path / "none.csv", "--base-url", "https://x.org")
    assert r.exit_code == 2 and "none.csv: access file not found" in r.output
    r = _run(*base, "--access", access_file, "--base-url", "https://x.org", "--email", "eve@example.org")
    assert r.exit_code == 2 and "not in the access table: eve@example.org" in r.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mail,audience\na@x.org,analyst\n", "row|column 'email': the access table needs a 'email' column"),
        ("email,audience\n,analyst\n", "row 2, column 'email': the email is empty"),
        ("email,audience\nann,analyst\n", "row 2, column 'email': not an email address: 'ann'"),
        ("email,audience\na@x.org,analyst\nb@x.org,boss\n", "row 3, column 'audience': .* got 'boss'"),
        ("email,audience\na@x.org,manager:\n", "row 2, column 'audience'"),
        ("email,audience\na@x.org,manager:t999\n", "row 2, column 'audience': manager:t999: .* not a unit"),
        ("email,audience\na@x.org,manager:div02\n", "row 2, .*'div02' is a division, not a team"),
        ("email,audience\na@x.org,leader:t01\n", "row 2, .*leader audience .* 't01' is a team"),
        ("email,audience\n", "no rows: nobody could sign in"),
    ],
)
def test_access_csv_refusals_name_the_file_row_and_column(tmp_path, release_dir, text, message):
    path = tmp_path / "access.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("row|", "")) as info:
        read_access(path, units=pd.read_csv(UNITS))
    assert str(info.value).startswith(str(path))
    r = _run(
        "serve", "--release", release_dir, "--survey", SURVEY, "--units", UNITS, "--access", path,
        "--db", tmp_path / "p.db",
    )  # fmt: skip
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert " ".join(r.output.split()).startswith(f"error: {path}")


def test_serve_refuses_missing_inputs(tmp_path, release_dir, access_file):
    r = _run("serve", "--release", release_dir, "--survey", SURVEY, "--units", UNITS)
    assert r.exit_code == 2 and "needs --access, --db" in r.output
    common = ("--survey", SURVEY, "--units", UNITS, "--access", access_file, "--db", tmp_path / "p.db")
    r = _run("serve", "--release", tmp_path / "nowhere.parquet", *common)
    assert r.exit_code == 2 and "nowhere.parquet: release not found" in r.output
    r = _run("serve", "--release", UNITS, *common)
    assert r.exit_code == 2 and "not a release" in r.output
    r = _run("serve", *common)
    assert r.exit_code == 2 and "add-release" in r.output
    r = _run("serve", "--release", release_dir, *common, "--identity-header", "X-Email")
    assert r.exit_code == 2 and "--trusted-proxy" in r.output


def test_add_release_serves_a_new_wave_without_a_restart(
    request, tmp_path, sample_release, sample_comments, access_file
):
    from toolkit.privacy.disclosure import load_policy
    from toolkit.privacy.publish import Published, write_release
    from toolkit.serve import portal
    from toolkit.serve.app import Settings
    from toolkit.serve.db import PortalDB

    first = sample_release[sample_release["wave"] == "2026Q1"]
    write_release(Published(first, sample_comments, load_policy()), tmp_path / "q1" / "release")
    write_release(Published(sample_release, sample_comments, load_policy()), tmp_path / "q2" / "release")
    db = tmp_path / "p.db"
    portal_db = PortalDB(db)
    request.addfinalizer(portal_db.close)
    app = portal(
        releases=[tmp_path / "q1"], survey=SURVEY, units=UNITS, access=access_file, db=portal_db,
        settings=Settings(release_check_seconds=0, warm_waves=0),
    )  # fmt: skip
    from starlette.testclient import TestClient

    from toolkit.serve import invite

    link = invite(access_file, db, base_url="http://testserver", emails=["ann@example.org"])["link"].iloc[0]
    c = TestClient(app, follow_redirects=False)
    assert c.get(link).status_code == 303
    assert c.get("/reports/2026Q2/manager:t01").status_code == 404
    r = _run("serve", "add-release", "--db", db, "--release", tmp_path / "q2" / "release.parquet")
    assert r.exit_code == 0 and "added:" in r.output
    deadline = time.monotonic() + 10  # the portal reads the new release in the background
    while c.get("/reports/2026Q2/manager:t01").status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c.get("/reports/2026Q2/manager:t01").status_code == 200
    assert "/reports/2026Q2/manager:t01" in c.get("/").text
    r = _run("serve", "add-release", "--db", db, "--release", UNITS)
    assert r.exit_code == 2 and "not a release" in r.output


def test_audit_prints_and_exports_the_log(tmp_path, site):
    c = site.signed_in("ann@example.org")
    c.get("/reports/2026Q2/manager:t01")
    site.db.conn.execute("PRAGMA wal_checkpoint")
    r = _run("serve", "audit", "--db", site.db.path)
    assert r.exit_code == 0
    lines = r.output.strip().splitlines()
    assert lines[0] == "at,event,email,audience,wave,outcome,via"
    assert lines[-1].endswith(",view,ann@example.org,manager:t01,2026Q2,ok,link")
    out = tmp_path / "audit.csv"
    r = _run("serve", "audit", "--db", site.db.path, "--email", "ann@example.org", "--out", out)
    assert r.exit_code == 0 and "3 audit rows written" in r.output
    assert pd.read_csv(out)["event"].tolist() == ["invite", "signin", "view"]
    r = _run("serve", "audit", "--db", tmp_path / "none.db")
    assert r.exit_code == 2 and "not there" in r.output
