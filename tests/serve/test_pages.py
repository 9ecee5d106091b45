"""What the pages hold and send: only the audience's release rows, the same HTML as the static
reports, the security headers on every response, no stack trace, the audit log, the cache."""

from __future__ import annotations

import re

import pytest

from tests.report.conftest import unexplained_numbers
from tests.serve.conftest import PEOPLE, WAVES

_CASES = [(email, audience) for email, auds in PEOPLE.items() for audience in auds] + [
    ("carol@example.org", "manager:t05"),
    ("carol@example.org", "leader:org"),
]


@pytest.mark.parametrize(("email", "audience"), _CASES)
def test_every_number_on_a_page_is_one_of_the_audiences_release_rows(
    site, sample_release, sample_comments, email, audience
):
    c = site.signed_in(email)
    for wave in WAVES:
        r = c.get(f"/reports/{wave}/{audience}")
        assert r.status_code == 200
        rows = sample_release[(sample_release["audience"] == audience) & (sample_release["wave"] == wave)]
        said = None
        if audience != "analyst":
            said = sample_comments[
                (sample_comments["audience"] == audience) & (sample_comments["wave"] == wave)
            ]
        page = r.text
        if audience == "analyst":  # the heatmap's colour key: band bounds from the scale, not data
            page = re.sub(r'<ul class="legend".*?</ul>', "", page, flags=re.S)
        assert unexplained_numbers(page, rows, waves=WAVES, comments=said) == []
    index = c.get("/").text
    assert unexplained_numbers(index, sample_release.iloc[:0], waves=WAVES) == []


def test_one_renderer_two_outlets(site, sample_release, sample_comments, survey, units):
    """The portal's page is the static report, plus the portal's bar and its style block."""
    from toolkit.report import manager_report, organisation_report
    from toolkit.report.unit import unit_report

    c = site.signed_in("carol@example.org")
    static = {
        "manager:t01": manager_report(
            sample_release, survey, units, team="t01", wave="2026Q2", comments=sample_comments
        ),
        "leader:div02": unit_report(
            sample_release, survey, units, unit="div02", wave="2026Q2", comments=sample_comments
        ),
        "analyst": organisation_report(sample_release, survey, units, wave="2026Q2"),
    }
    for audience, html in static.items():
        served = c.get(f"/reports/2026Q2/{audience}").text
        head, body = served.split('<nav class="portal-bar"', 1)
        body = body.split("</nav>", 1)[1]
        head = head[: head.index("<style>\nnav.portal-bar")] + head[head.index("</style>\n</head>") + 9 :]
        assert head + body.removeprefix("\n") == html


def test_every_response_sends_the_security_headers(make_portal, monkeypatch):
    from toolkit.serve.app import Settings

    site = make_portal(settings=Settings(signin_attempts=2, warm_waves=0))
    c = site.client()
    responses = [
        c.get("/"),  # 401
        c.get("/nowhere"),  # 404
        c.get("/signin/bad.1.sig"),  # 400
        c.get(site.link("ann@example.org")),  # 303
        c.get("/reports/2026Q2/manager:t01"),  # 200
        c.get("/reports/2026Q2/manager:t02"),  # 404
        c.get("/signin/again"),  # 429
        c.get("/signout"),  # 405
        c.post("/signout"),  # 200
    ]
    assert [r.status_code for r in responses] == [401, 404, 400, 303, 200, 404, 429, 405, 200]
    for r in responses:
        h = r.headers
        assert h["cache-control"] == "no-store"
        csp = h["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert h["x-content-type-options"] == "nosniff"
        assert "server" not in h
    assert "<script" not in responses[4].text


def test_no_stack_trace_reaches_the_client(site, monkeypatch):
    import toolkit.report

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /home/analyst/store")

    monkeypatch.setattr(toolkit.report, "manager_report", broken)
    c = site.signed_in("ann@example.org")
    r = c.get("/reports/2026Q2/manager:t01")
    assert r.status_code == 500
    assert "Something went wrong" in r.text
    for leak in ("Traceback", "RuntimeError", "secret internals", ".py", "line "):
        assert leak not in r.text
    assert r.headers["cache-control"] == "no-store" and "content-security-policy" in r.headers


def test_every_view_is_audited_without_answers(site):
    from toolkit.serve.db import AUDIT_COLUMNS

    c = site.signed_in("dan@example.org")
    c.get("/reports/2026Q2/manager:t02")
    c.get("/reports/2026Q1/leader:dep04")
    c.get("/reports/2026Q2/manager:t01")  # not Dan's
    c.post("/signout")
    log = site.db.audit()
    assert tuple(log.columns) == AUDIT_COLUMNS
    views = log[log["event"] == "view"]
    assert views[["email", "audience", "wave", "outcome"]].values.tolist() == [
        ["dan@example.org", "manager:t02", "2026Q2", "ok"],
        ["dan@example.org", "leader:dep04", "2026Q1", "ok"],
        ["dan@example.org", "manager:t01", "2026Q2", "not found"],
    ]
    assert views["at"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    assert log["event"].tolist() == ["invite", "signin", "view", "view", "view", "signout"]
    assert site.db.audit(email="nobody@example.org").empty
    c = site.signed_in("dan@example.org")
    c.get('/reports/2026Q2/=HYPERLINK("evil")')  # never written to the log as given
    last = site.db.audit().iloc[-1]
    assert (last["audience"], last["wave"], last["outcome"]) == ("(not an audience)", "2026Q2", "not found")


def test_a_page_is_rendered_once_then_kept(site, monkeypatch):
    import toolkit.report

    calls = []
    real = toolkit.report.manager_report

    def counted(*args, **kwargs):
        calls.append(kwargs["team"])
        return real(*args, **kwargs)

    monkeypatch.setattr(toolkit.report, "manager_report", counted)
    a = site.signed_in("ann@example.org")
    c = site.signed_in("carol@example.org")
    first = a.get("/reports/2026Q2/manager:t01").content
    assert c.get("/reports/2026Q2/manager:t01").content == first
    assert a.get("/reports/2026Q2/manager:t01").content == first
    assert calls == ["t01"]
