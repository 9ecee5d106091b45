"""The portal as an ASGI application (Starlette): sign-in by link, sessions, pages, audit.

Routes:

- ``GET /signin/<token>``: uses a sign-in link once, opens a new session (a fresh id, whatever
  cookie came with the request, so a planted session id is worthless) and answers 303 to ``/``;
  a used, expired, replaced or tampered link signs nobody in and the page says which, in words.
  Attempts are rate-limited per client address (429 past the limit).
- ``GET /``: the person's reports, newest wave first.
- ``GET /reports/<wave>/<audience>``: one report, when ``audience`` is one of the person's (an
  analyst may open every audience's) and has release rows in ``wave``. Anything else, including
  encoded and traversal variants of the path, answers 404, so a page's existence is not revealed.
- ``POST /signout``: ends the session on the server and clears the cookie.

Without a session, ``/`` and ``/reports/...`` answer 401 with a sign-in notice. Every response
carries ``Cache-Control: no-store``, a Content-Security-Policy that allows inline styles only (no
script, no external anything, no framing), ``X-Frame-Options: DENY`` and ``Referrer-Policy:
no-referrer`` (a sign-in link never leaks through the Referer header). An unexpected error is
logged on the server and answers a plain 500 page: no stack trace reaches the client.

A second way in, off by default: behind a reverse proxy that authenticates people (the
organisation's single sign-on), ``identity_header`` names a request header holding the person's
email, honoured only on connections from ``trusted_proxies`` (which may also set
``X-Forwarded-For`` and ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from toolkit.serve.access import AUDIENCE, Access
from toolkit.serve.catalog import Catalog
from toolkit.serve.db import PortalDB
from toolkit.units import Units

__all__ = ["COOKIE", "HEADERS", "Settings", "create_app"]

log = logging.getLogger("toolkit.serve")

COOKIE = "oneonone_session"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = (
    (b"cache-control", b"no-store"),
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_OURS = {name for name, _ in HEADERS} | {b"server", b"strict-transport-security"}
_WAVE = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True)
class Settings:
    """How the portal signs people in.

    Parameters
    ----------
    session_seconds : int
        A session's lifetime (default 12 hours).
    signin_attempts, signin_window : int, float
        At most ``signin_attempts`` sign-in attempts per client address per ``signin_window`` seconds.
    secure_cookies : bool or None
        Mark the cookie Secure; None (the default) does so when the request came over HTTPS (directly
        or, from a trusted proxy, as ``X-Forwarded-Proto: https``).
    identity_header : str or None
        A header naming the signed-in person's email, set by a trusted reverse proxy (off: None).
    trusted_proxies : frozenset of str
        Client addresses whose ``identity_header``, ``X-Forwarded-For`` and ``X-Forwarded-Proto``
        are believed.
    warm_waves : int or None
        Pages of the newest ``warm_waves`` waves (None: every wave) of everyone in the access table
        are rendered at start-up, in the background, so that nobody waits for a first render.
    release_check_seconds : float
        How often the list of releases (and their files) is looked at again.
    """

    session_seconds: int = 12 * 3600
    signin_attempts: int = 10
    signin_window: float = 60.0
    secure_cookies: bool | None = None
    identity_header: str | None = None
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)
    warm_waves: int | None = None
    release_check_seconds: float = 2.0


def _templates() -> jinja2.Environment:
    here = Path(__file__).with_name("templates")
    report = Path(__file__).parents[1] / "report" / "templates"  # the reports' own style sheet
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([here, report]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


class _Guard:
    """Outermost ASGI layer: the security headers on every response, forwarded addresses from
    trusted proxies, and a plain 500 page instead of any unexpected error."""

    def __init__(self, app, settings: Settings, error_page: bytes) -> None:
        self.app, self.settings, self.error_page = app, settings, error_page

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        peer = (scope.get("client") or ("", 0))[0]
        trusted = peer in self.settings.trusted_proxies
        scope["portal.trusted"] = trusted
        if trusted:
            headers = dict(scope.get("headers") or [])
            proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[-1].strip()
            if proto in ("http", "https"):
                scope["scheme"] = proto
            forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",")[-1].strip()
            if forwarded:
                scope["client"] = (forwarded, 0)
        https = scope.get("scheme") == "https"
        started = False

        async def guarded(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                extra = [(b"strict-transport-security", b"max-age=31536000")] if https else []
                message = {**message, "headers": kept + list(HEADERS) + extra}
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        except Exception:
            log.exception("error while answering %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await guarded(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/html; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": self.error_page})


class _Limiter:
    """At most ``attempts`` per key in a sliding window of ``window`` seconds."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self.seen: defaultdict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 10_000:  # forget idle addresses
                for k in [k for k, q in self.seen.items() if not q or now - q[-1] > self.window]:
                    del self.seen[k]
            q = self.seen[key]
            while q and now - q[0] > self.window:
                q.popleft()
            if len(q) >= self.attempts:
                return False
            q.append(now)
            return True


_LINK_WORDS = {
    "used": (410, "This sign-in link has already been used", "Each link works once."),
    "expired": (410, "This sign-in link has expired", "Sign-in links work for a limited time only."),
    "replaced": (
        410,
        "This sign-in link has been replaced",
        "A newer link was sent to you, so this one no longer works. Use the newest link.",
    ),
    "tampered": (
        400,
        "This sign-in link is not valid",
        "Check that you opened the whole link from your invitation.",
    ),
}
_LINK_WORDS["malformed"] = _LINK_WORDS["unknown"] = _LINK_WORDS["tampered"]


def create_app(
    db: PortalDB,
    catalog: Catalog,
    access: Callable[[], Access],
    units,
    settings: Settings | None = None,
):
    """The portal's ASGI application.

    Parameters
    ----------
    db : PortalDB
        Links, sessions and the audit log.
    catalog : Catalog
        The releases and their rendered pages.
    access : callable
        Returns the current access table (:func:`toolkit.serve.access.read_access`).
    units : DataFrame or Units
        The organisation (labels of the teams and units in the list of reports).
    settings : Settings, optional
    """
    settings = settings or Settings()
    env = _templates()
    tree = Units(units)
    kinds = {"organisation": 0, "division": 1, "department": 2, "team": 3}

    def rank(audience: str) -> tuple:
        """Lists go from the top of the organisation down, then by name."""
        unit = audience.partition(":")[2]
        return (kinds.get(tree.kind.get(unit, ""), 4), tree.label.get(unit, unit))

    limiter = _Limiter(settings.signin_attempts, settings.signin_window)

    def page(status: int, title: str, *paragraphs: str, signed_in: bool = False, **extra) -> HTMLResponse:
        html = env.get_template("portal.html.j2").render(
            title=title, heading=title, paragraphs=paragraphs, signed_in=signed_in, **extra
        )
        return HTMLResponse(html, status_code=status)

    def not_found(signed_in: bool) -> HTMLResponse:
        return page(404, "Page not found", "There is no page at this address for you.", signed_in=signed_in)

    def not_signed_in() -> HTMLResponse:
        return page(
            401,
            "Please sign in",
            "You are not signed in. Open the sign-in link from your invitation email.",
            "Each link works once and for a limited time. If yours has been used or has expired, ask the "
            "people-analytics team for a new one.",
        )

    def who(request: Request) -> tuple[str | None, str]:
        header = settings.identity_header
        if header and request.scope.get("portal.trusted"):
            value = request.headers.get(header, "").strip().lower()
            if value:
                return value, "header"
        return db.session(request.cookies.get(COOKIE)), "link"

    def allowed(email: str, wave: str) -> list[str]:
        mine = access().of(email)
        here = catalog.audiences(wave)
        return sorted(here if "analyst" in mine else here & mine)

    def title_of(audience: str) -> str:
        role, _, unit = audience.partition(":")
        if role == "analyst":
            return "Organisation heatmap (every unit)"
        label = tree.label.get(unit, unit)
        if role == "manager":
            return f"Team {label}: manager report"
        return f"{tree.kind.get(unit, 'unit').capitalize()} {label}: leader report"

    async def index(request: Request) -> Response:
        email, via = who(request)
        if email is None:
            return not_signed_in()
        waves = []
        for wave in catalog.waves():
            mine = allowed(email, wave)
            groups = []
            for role, heading in (("analyst", None), ("leader", "Units"), ("manager", "Teams")):
                reports = [
                    {"href": f"/reports/{wave}/{quote(a, safe=':')}", "text": title_of(a)}
                    for a in sorted(mine, key=rank)
                    if a.partition(":")[0] == role
                ]
                if reports:
                    groups.append(
                        {
                            "title": heading if len(mine) > 3 else None,
                            "reports": reports,
                            "grid": len(reports) > 6,
                        }
                    )
            if groups:
                waves.append({"wave": wave, "groups": groups})
        db.log("list", email=email, via=via)
        return page(
            200,
            "Your 1:1 survey reports",
            f"Signed in as {email}. These are the reports published to you.",
            signed_in=True,
            waves=waves,
        )

    async def report(request: Request) -> Response:
        email, via = who(request)
        if email is None:
            return not_signed_in()
        wave, audience = request.path_params["wave"], request.path_params["audience"]
        canonical = f"/reports/{wave}/{audience}"
        raw = request.scope.get("raw_path", b"").split(b"?", 1)[0].decode("latin-1")
        if not (
            _WAVE.match(wave) and AUDIENCE.match(audience) and raw == canonical
        ) or audience not in allowed(email, wave):
            db.log(  # what was asked for, when it is a wave and an audience at all (never raw input)
                "view",
                email=email,
                audience=audience if AUDIENCE.match(audience) else "(not an audience)",
                wave=wave if _WAVE.match(wave) else "(not a wave)",
                outcome="not found",
                via=via,
            )
            return not_found(True)
        html = catalog.cached(wave, audience) or await run_in_threadpool(catalog.page, wave, audience)
        if html is None:
            return not_found(True)
        db.log("view", email=email, audience=audience, wave=wave, via=via)
        return Response(html, media_type="text/html; charset=utf-8")

    async def signin(request: Request) -> Response:
        if request.method != "GET":  # a HEAD (a link checker) must not use the link up
            return page(405, "Not allowed", "Open the sign-in link in a browser.")
        address = request.client.host if request.client else "?"
        if not limiter.allow(address):
            db.log("signin", outcome="rate limited")
            return page(
                429,
                "Too many sign-in attempts",
                "Too many sign-in attempts came from your network. Wait a minute, then open your link again.",
            )
        result = db.redeem(request.path_params["token"])
        if result.reason != "ok":
            db.log("signin", email=result.email, outcome=result.reason, via="link")
            status, title, why = _LINK_WORDS[result.reason]
            return page(
                status,
                title,
                f"{why} Nobody has been signed in.",
                "Ask the people-analytics team for a new sign-in link.",
            )
        db.close_session(request.cookies.get(COOKIE))  # a session id from before never carries over
        sid = db.open_session(result.email, via="link", seconds=settings.session_seconds)
        db.log("signin", email=result.email, via="link")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE,
            sid,
            max_age=settings.session_seconds,
            path="/",
            secure=settings.secure_cookies
            if settings.secure_cookies is not None
            else request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )
        return response

    async def signout(request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        email = db.session(sid)
        db.close_session(sid)
        if email:
            db.log("signout", email=email, via="link")
        response = page(
            200,
            "You have signed out",
            "Your session has ended on the server. To open your reports again, use a new sign-in link.",
        )
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
        return response

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            return page(405, "Not allowed", "This address does not answer that kind of request.")
        return not_found(False)

    async def server_error(request: Request, exc: Exception) -> Response:
        return page(
            500, "Something went wrong", "The portal could not show this page. Please try again later."
        )

    @asynccontextmanager
    async def lifespan(app):
        def warm():
            try:
                start = time.perf_counter()
                n = catalog.warm(access().every_audience(), waves=settings.warm_waves)
                log.info(
                    "pages ready: %d rendered in %.1f s, ahead of the first visit",
                    n,
                    time.perf_counter() - start,
                )
            except Exception:  # warming is an optimisation: the pages render on first view anyway
                log.exception("warming the page cache failed")

        threading.Thread(target=warm, name="warm-pages", daemon=True).start()
        yield

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/signin/{token}", signin, methods=["GET"]),
            Route("/signout", signout, methods=["POST"]),
            Route("/reports/{wave}/{audience}", report, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # /reports/.../ is not a page: 404, not a redirect
    error = env.get_template("portal.html.j2").render(
        title="Something went wrong",
        heading="Something went wrong",
        paragraphs=["The portal could not show this page. Please try again later."],
        signed_in=False,
    )
    guarded = _Guard(app, settings, error.encode("utf-8"))
    guarded.starlette = app
    return guarded
