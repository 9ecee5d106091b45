"""Fixtures of the portal tests: the sample's release written to disk, an access table, a portal."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.report.conftest import (  # noqa: F401  (fixtures shared with the report tests)
    ROOT,
    WAVE,
    WAVES,
    roster,
    sample_comments,
    sample_release,
    sample_valid,
    survey,
    units,
)

#: Who is in the portal: one person per kind of audience, and one with two audiences.
PEOPLE = {
    "ann@example.org": ("manager:t01",),
    "bob@example.org": ("leader:div02",),
    "carol@example.org": ("analyst",),
    "dan@example.org": ("manager:t02", "leader:dep04"),
}
SURVEY = ROOT / "surveys" / "one_on_one_pulse.yaml"
UNITS = ROOT / "data" / "sample" / "units.csv"


class Clock:
    """A clock the tests move forward."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory, sample_release, sample_comments):  # noqa: F811
    """The sample's first two waves written as oneonone release writes them."""
    from toolkit.privacy.disclosure import load_policy
    from toolkit.privacy.publish import Published, write_release

    out = tmp_path_factory.mktemp("release")
    write_release(Published(sample_release, sample_comments, load_policy()), out / "release")
    return out


@pytest.fixture
def access_file(tmp_path):
    rows = [(e, a) for e, auds in PEOPLE.items() for a in auds]
    path = tmp_path / "access.csv"
    pd.DataFrame(rows, columns=["email", "audience"]).to_csv(path, index=False)
    return path


class Portal:
    """A portal app with its database and a way to sign people in through a test client."""

    def __init__(self, tmp_path: Path, release_dir: Path, access_file: Path, settings=None, **kw):
        from toolkit.serve import portal
        from toolkit.serve.app import Settings
        from toolkit.serve.db import PortalDB

        self.clock = Clock()
        self.db = PortalDB(tmp_path / "portal.db", clock=self.clock)
        self.access_file = access_file
        self.settings = settings or Settings(signin_attempts=1000, warm_waves=0)
        self.app = portal(
            releases=[release_dir],
            survey=SURVEY,
            units=UNITS,
            access=access_file,
            db=self.db,
            settings=self.settings,
            **kw,
        )

    def link(self, email: str, seconds: int = 3600) -> str:
        """A sign-in path (``/signin/<token>``) for ``email``."""
        from toolkit.serve import invite

        links = invite(
            self.access_file, self.db, base_url="http://testserver", seconds=seconds, emails=[email]
        )
        return links["link"].iloc[0].removeprefix("http://testserver")

    def client(self, **kw):
        from starlette.testclient import TestClient

        return TestClient(self.app, follow_redirects=False, **kw)

    def signed_in(self, email: str, **kw):
        c = self.client(**kw)
        r = c.get(self.link(email))
        assert r.status_code == 303, r.text
        return c


@pytest.fixture
def make_portal(tmp_path, release_dir, access_file):
    made: list[Portal] = []

    def make(**kw):
        made.append(Portal(tmp_path / f"portal{len(made)}", release_dir, access_file, **kw))
        return made[-1]

    yield make
    for site in made:
        site.db.close()


@pytest.fixture
def site(make_portal):
    return make_portal()


_TITLE = re.compile(r"<h1>(.*?)</h1>", re.S)


def heading(html: str) -> str:
    hit = _TITLE.search(html)
    return "" if hit is None else hit.group(1)
