"""Attack tests: every audience tries every other audience's pages, encoded and traversal variants,
reused, tampered and expired links, session fixation, signing out, missing sessions."""

from __future__ import annotations

import pytest

from tests.serve.conftest import PEOPLE, WAVE, heading

WAVES = ("2026Q1", "2026Q2")


def _audiences(sample_release) -> list[str]:
    return sorted(sample_release["audience"].astype("str").unique())


def _may_see(email: str, audience: str) -> bool:
    mine = PEOPLE[email]
    return "analyst" in mine or audience in mine


@pytest.mark.parametrize("email", sorted(PEOPLE))
def test_every_audience_tries_every_other_audiences_pages(site, sample_release, email):
    c = site.signed_in(email)
    for wave in WAVES:
        for audience in _audiences(sample_release):
            r = c.get(f"/reports/{wave}/{audience}")
            expected = 200 if _may_see(email, audience) else 404
            assert r.status_code == expected, (email, wave, audience, r.status_code)
            if expected == 404:
                assert heading(r.text) == "Page not found"
    listing = c.get("/").text
    for audience in _audiences(sample_release):
        assert (f'/reports/{WAVE}/{audience}"' in listing) == _may_see(email, audience), audience


GUESSED = [
    "/reports/2026Q2/manager:t03",
    "/reports/2026Q2/manager:t99",
    "/reports/2026Q2/leader:div01",
    "/reports/2026Q2/leader:org",
    "/reports/2026Q2/analyst",
    "/reports/2031Q1/manager:t01",
    "/reports/2026q2/manager:t01",
    "/reports/2026Q2/Manager:t01",
    "/reports/2026Q2/manager:T01",
    "/reports/2026Q2/manager:t01/",
    "/reports/2026Q2/manager:t01/extra",
    "/reports/2026Q2/manager:t01%00",
    "/reports/2026Q2/manager:t01;analyst",
    "/reports/2026Q2/manager%3At01",
    "/reports/2026Q2/manager%3at01",
    "/reports/2026Q2/%6Danager:t01",
    "/reports/2026Q2/manager%253At01",
    "/reports/2026%51Q2/manager:t01",
    "/reports/..%2f..%2fetc/passwd",
    "/reports/..%2F..%2Fetc%2Fpasswd",
    "/reports/%2e%2e/%2e%2e/etc/passwd",
    "/reports/2026Q2/..%2fanalyst",
    "/reports/2026Q2/manager:t01%2f..%2f..%2fanalyst",
    "/reports/2026Q2/manager:t01%2F..%2Fmanager:t03",
    "/reports//2026Q2/manager:t01",
    "/reports/2026Q2//manager:t01",
    "/reports%2f2026Q2%2fmanager:t01",
    "/REPORTS/2026Q2/manager:t01",
    "/reports/2026Q2/manager:t01.html",
    "/t01.html",
    "/release.parquet",
    "/static/../release.parquet",
    "/signin",
    "/reports",
    "/reports/2026Q2",
]


@pytest.mark.parametrize("path", GUESSED)
def test_guessed_encoded_and_traversal_urls_answer_404(site, path):
    c = site.signed_in("ann@example.org")  # manager of t01: sees /reports/2026Q2/manager:t01 only
    assert c.get("/reports/2026Q2/manager:t01").status_code == 200
    r = c.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "manager:t01" not in r.text and "<table" not in r.text


def test_an_analyst_gets_404_for_encoded_variants_too(site):
    c = site.signed_in("carol@example.org")
    for path in (
        "/reports/2026Q2/manager%3At03",
        "/reports/..%2f..%2fetc/passwd",
        "/reports/2026Q2/%61nalyst",
    ):
        assert c.get(path).status_code == 404, path


def test_without_a_session_pages_answer_401_with_a_sign_in_notice(site):
    c = site.client()
    for path in ("/", "/reports/2026Q2/manager:t01", "/reports/2026Q2/analyst"):
        r = c.get(path)
        assert r.status_code == 401
        assert heading(r.text) == "Please sign in" and "sign-in link" in r.text
    c.cookies.set("oneonone_session", "made-up")
    assert c.get("/").status_code == 401


def test_a_link_signs_in_once(site):
    link = site.link("ann@example.org")
    c = site.client()
    r = c.get(link)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert c.get("/").status_code == 200
    other = site.client()
    again = other.get(link)
    assert again.status_code == 410 and "set-cookie" not in again.headers
    assert heading(again.text) == "This sign-in link has already been used"
    assert "Nobody has been signed in." in again.text
    assert other.get("/").status_code == 401


def test_a_head_request_does_not_use_the_link_up(site):
    link = site.link("ann@example.org")
    c = site.client()
    assert c.head(link).status_code == 405
    assert c.get(link).status_code == 303


def test_the_cookie_is_secure_over_https(site):
    c = site.client(base_url="https://testserver")
    r = c.get(site.link("ann@example.org"))
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
    assert r.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_tampered_link_signs_nobody_in(site, part):
    link = site.link("ann@example.org")
    token = link.removeprefix("/signin/")
    pieces = token.split(".")
    if part == 1:
        pieces[1] = str(int(pieces[1]) + 86400)  # a later expiry
    else:
        ch = pieces[part][3]
        pieces[part] = pieces[part][:3] + ("A" if ch != "A" else "B") + pieces[part][4:]
    c = site.client()
    r = c.get("/signin/" + ".".join(pieces))
    assert r.status_code == 400 and "set-cookie" not in r.headers
    assert heading(r.text) == "This sign-in link is not valid"
    assert c.get("/").status_code == 401
    assert site.client().get(link).status_code == 303  # the true link still works


@pytest.mark.parametrize("token", ["x", "a.b.c", "..", "a" * 500, "%00", "a.1.%2e%2e"])
def test_a_malformed_link_signs_nobody_in(site, token):
    r = site.client().get(f"/signin/{token}")
    assert r.status_code in (400, 401, 404) and "set-cookie" not in r.headers  # ".." is normalised away


def test_an_expired_link_signs_nobody_in(site):
    link = site.link("ann@example.org", seconds=60)
    site.clock.now += 61
    r = site.client().get(link)
    assert r.status_code == 410 and "set-cookie" not in r.headers
    assert heading(r.text) == "This sign-in link has expired"


def test_a_new_invitation_replaces_the_unused_link(site):
    old = site.link("ann@example.org")
    new = site.link("ann@example.org")
    r = site.client().get(old)
    assert r.status_code == 410 and heading(r.text) == "This sign-in link has been replaced"
    assert site.client().get(new).status_code == 303


def test_session_fixation_a_planted_session_id_is_never_kept(site):
    planted = "attacker-chosen-session-id-000000000000000"
    c = site.client()
    c.cookies.set("oneonone_session", planted)
    r = c.get(site.link("ann@example.org"))
    fresh = r.cookies.get("oneonone_session")
    assert fresh and fresh != planted
    assert site.db.session(planted) is None
    # a real session of the attacker's, planted in the victim's browser, is ended by the victim's sign-in
    attacker = site.signed_in("bob@example.org")
    theirs = attacker.cookies.get("oneonone_session")
    victim = site.client()
    victim.cookies.set("oneonone_session", theirs)
    r = victim.get(site.link("ann@example.org"))
    assert r.cookies.get("oneonone_session") not in (None, theirs)
    assert site.db.session(theirs) is None
    victim.cookies.clear()
    victim.cookies.set("oneonone_session", r.cookies.get("oneonone_session"))
    assert "ann@example.org" in victim.get("/").text


def test_signing_out_ends_the_session_on_the_server(site):
    c = site.signed_in("ann@example.org")
    sid = c.cookies.get("oneonone_session")
    r = c.post("/signout")
    assert r.status_code == 200 and heading(r.text) == "You have signed out"
    assert 'oneonone_session=""' in r.headers["set-cookie"] and "Max-Age=0" in r.headers["set-cookie"]
    thief = site.client()
    thief.cookies.set("oneonone_session", sid)  # a copy of the cookie taken before signing out
    assert thief.get("/").status_code == 401
    assert thief.get("/reports/2026Q2/manager:t01").status_code == 401
    assert site.client().get("/signout").status_code == 405


def test_sessions_expire(make_portal):
    from toolkit.serve.app import Settings

    site = make_portal(settings=Settings(session_seconds=3600, warm_waves=0))
    c = site.signed_in("ann@example.org")
    assert c.get("/").status_code == 200
    site.clock.now += 3601
    assert c.get("/").status_code == 401


def test_sign_in_attempts_are_rate_limited(make_portal):
    from toolkit.serve.app import Settings

    site = make_portal(settings=Settings(signin_attempts=3, warm_waves=0))
    c = site.client()
    for _ in range(3):
        assert c.get("/signin/not-a-link").status_code == 400
    link = site.link("ann@example.org")
    r = c.get(link)
    assert r.status_code == 429 and "set-cookie" not in r.headers
    assert heading(r.text) == "Too many sign-in attempts"
    assert "rate limited" in set(site.db.audit()["outcome"])


def test_removing_a_person_from_access_csv_takes_their_pages_away(site):
    import os

    c = site.signed_in("ann@example.org")
    assert c.get("/reports/2026Q2/manager:t01").status_code == 200
    site.access_file.write_text("email,audience\ncarol@example.org,analyst\n", encoding="utf-8")
    os.utime(site.access_file, ns=(1, 1))
    assert c.get("/reports/2026Q2/manager:t01").status_code == 404
    assert "There are no reports for you yet." in c.get("/").text


def test_a_trusted_proxy_header_is_a_second_way_in_off_by_default(make_portal):
    from toolkit.serve.app import Settings

    header = {"X-Forwarded-Email": "ann@example.org"}
    off = make_portal()
    assert off.client().get("/", headers=header).status_code == 401
    untrusted = make_portal(
        settings=Settings(identity_header="X-Forwarded-Email", trusted_proxies=frozenset({"10.9.9.9"}))
    )
    assert untrusted.client().get("/", headers=header).status_code == 401
    trusted = make_portal(
        settings=Settings(identity_header="X-Forwarded-Email", trusted_proxies=frozenset({"testclient"}))
    )
    c = trusted.client()
    assert c.get("/reports/2026Q2/manager:t01", headers=header).status_code == 200
    assert c.get("/reports/2026Q2/manager:t03", headers=header).status_code == 404
    assert c.get("/reports/2026Q2/manager:t01").status_code == 401  # no header, no session
    views = trusted.db.audit()
    assert views["via"].tolist()[-2:] == ["header", "header"]


def test_behind_a_trusted_tls_proxy_the_cookie_is_secure_and_the_limit_is_per_client(make_portal):
    from toolkit.serve.app import Settings

    tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    untrusted = make_portal(settings=Settings(warm_waves=0))
    r = untrusted.client().get(untrusted.link("ann@example.org"), headers=tls)
    assert "Secure" not in r.headers["set-cookie"]  # a client cannot claim TLS for itself
    site = make_portal(
        settings=Settings(trusted_proxies=frozenset({"testclient"}), signin_attempts=2, warm_waves=0)
    )
    c = site.client()
    r = c.get(site.link("ann@example.org"), headers=tls)
    assert "Secure" in r.headers["set-cookie"] and "strict-transport-security" in r.headers
    assert c.get("/signin/x", headers=tls).status_code == 400
    assert c.get("/signin/x", headers=tls).status_code == 429  # 203.0.113.7 has had its two
    other = {**tls, "X-Forwarded-For": "203.0.113.8"}
    assert c.get(site.link("ann@example.org"), headers=other).status_code == 303
