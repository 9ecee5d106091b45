"""``oneonone serve``: the portal, and its ``invite``, ``add-release`` and ``audit`` commands."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli._common import console, errors_exit
from toolkit.errors import InputError

__all__ = ["serve_cmd"]

_db_option = click.option(
    "--db",
    "db_file",
    type=click.Path(path_type=Path),
    required=True,
    help="The portal's SQLite file: sign-in links, sessions, added releases, the audit log (created 0600).",
)


def _need_serve_extra() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise InputError(
            "the portal needs the serve extra: pip install 'one-on-one-toolkit[serve]'"
        ) from None


@click.group("serve", invoke_without_command=True)
@click.option(
    "--release",
    "releases",
    type=click.Path(path_type=Path),
    multiple=True,
    help="A release (.parquet from oneonone release) or a folder holding releases (oneonone run --out DIR); "
    "repeat for several.",
)
@click.option(
    "--survey", "survey_file", type=click.Path(path_type=Path), help="The survey definition (YAML)."
)
@click.option("--units", "units_file", type=click.Path(path_type=Path), help="CSV of the organisation.")
@click.option(
    "--access",
    "access_file",
    type=click.Path(path_type=Path),
    help="CSV with email,audience (re-read on change).",
)
@click.option("--db", "db_file", type=click.Path(path_type=Path), help="The portal's SQLite file.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path),
    default=None,
    help="The disclosure policy the release was made with (YAML) [default: the default policy].",
)
@click.option(
    "--identity-header",
    default=None,
    help="Second way in, off by default: a header (like X-Forwarded-Email) set by a reverse proxy that "
    "signed the person in; believed only from --trusted-proxy addresses.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address of a reverse proxy whose X-Forwarded-For/-Proto (and --identity-header) are believed.",
)
@click.option(
    "--session-hours",
    default=12,
    show_default=True,
    type=click.IntRange(1, 24 * 30),
    help="Session lifetime.",
)
@click.option(
    "--signin-rate",
    default=10,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Sign-in attempts allowed per client address per minute.",
)
@click.pass_context
@errors_exit
def serve_cmd(
    ctx: click.Context,
    releases: tuple[Path, ...],
    survey_file: Path | None,
    units_file: Path | None,
    access_file: Path | None,
    db_file: Path | None,
    host: str,
    port: int,
    policy_file: Path | None,
    identity_header: str | None,
    trusted_proxies: tuple[str, ...],
    session_hours: int,
    signin_rate: int,
) -> None:
    """Serve the portal: each person signs in by link and sees only the reports of their audiences.

    oneonone serve --release PATH --survey FILE --units FILE --access FILE --db FILE
    [--host 127.0.0.1] [--port 8000]. Pages are rendered from the release alone, by the same
    renderer as oneonone report.
    """
    if ctx.invoked_subcommand is not None:
        return
    missing = [
        name
        for name, value in (
            ("--survey", survey_file),
            ("--units", units_file),
            ("--access", access_file),
            ("--db", db_file),
        )
        if value is None
    ]
    if missing:
        raise click.UsageError(f"oneonone serve needs {', '.join(missing)}")
    if identity_header and not trusted_proxies:
        raise click.UsageError(
            "--identity-header needs --trusted-proxy: the address of the proxy that sets it"
        )
    _need_serve_extra()
    from toolkit.serve import portal, run
    from toolkit.serve.app import Settings

    if not releases:
        from toolkit.serve.db import PortalDB

        with PortalDB(db_file) as db:
            added = db.releases()
        if not added:
            raise click.UsageError(
                "give --release PATH, or add releases first with oneonone serve add-release"
            )
    if not Path(survey_file).is_file():
        raise InputError("survey file not found", path=survey_file)
    settings = Settings(
        session_seconds=session_hours * 3600,
        signin_attempts=signin_rate,
        identity_header=identity_header,
        trusted_proxies=frozenset(trusted_proxies),
    )
    out = console()
    with out.status("reading the releases ..."):
        app = portal(
            releases=releases,
            survey=survey_file,
            units=units_file,
            access=access_file,
            db=db_file,
            policy=policy_file,
            settings=settings,
        )
    out.print(f"portal on http://{host}:{port}/ (stop with Ctrl-C); invite people with oneonone serve invite")
    run(app, host=host, port=port)


@serve_cmd.command("invite")
@click.option(
    "--access", "access_file", type=click.Path(path_type=Path), required=True, help="CSV: email,audience."
)
@_db_option
@click.option(
    "--base-url",
    required=True,
    help="The portal's address as people reach it, like https://survey.example.org.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    required=True,
    help="CSV with email,link for a mail merge (written 0600).",
)
@click.option(
    "--expires", default="7d", show_default=True, help="How long a link works: like 7d, 12h or 30m."
)
@click.option("--email", "emails", multiple=True, help="Invite only this person (repeat for several).")
@errors_exit
def invite_cmd(
    access_file: Path, db_file: Path, base_url: str, out_file: Path, expires: str, emails: tuple[str, ...]
) -> None:
    """Write one signed, single-use, expiring sign-in link per person (email,link).

    A new link replaces the person's earlier unused ones.
    """
    from toolkit._io import atomic_write
    from toolkit.serve import invite, parse_duration

    try:
        seconds = parse_duration(expires)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--expires'") from None
    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"an address like https://survey.example.org; got {base_url!r}", param_hint="'--base-url'"
        )
    links = invite(access_file, db_file, base_url=base_url, seconds=seconds, emails=emails or None)
    atomic_write(out_file, lambda tmp: links.to_csv(tmp, index=False), private=True)
    out = console()
    out.print(f"{len(links)} sign-in links, valid for {expires}, written to {out_file}")
    if base_url.startswith("http://") and not base_url.startswith(("http://127.", "http://localhost")):
        out.print("warning: the links are plain http; serve the portal behind TLS (https) for real use")


@serve_cmd.command("add-release")
@_db_option
@click.option(
    "--release",
    "releases",
    type=click.Path(path_type=Path),
    multiple=True,
    required=True,
    help="A release (.parquet) or a folder holding releases; repeat for several.",
)
@errors_exit
def add_release_cmd(db_file: Path, releases: tuple[Path, ...]) -> None:
    """Add a wave's release to the portal: a running portal serves it within seconds."""
    from toolkit.serve.catalog import find_releases
    from toolkit.serve.db import PortalDB

    out = console()
    for path in releases:
        find_releases([path])  # refuses what is not a release
    with PortalDB(db_file) as db:
        for path in releases:
            out.print(f"added: {db.add_release(path)}")


@serve_cmd.command("audit")
@_db_option
@click.option("--email", default=None, help="Only this person's rows.")
@click.option("--since", default=None, help="Only rows from this date or time on (UTC), like 2026-10-01.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Export to this CSV (written 0600) instead of printing.",
)
@errors_exit
def audit_cmd(db_file: Path, email: str | None, since: str | None, out_file: Path | None) -> None:
    """Print or export the audit log: every view, sign-in, refused page and sign-out (never answers)."""
    from toolkit._io import atomic_write
    from toolkit.serve.db import PortalDB

    if not Path(db_file).is_file():
        raise InputError("the portal's database is not there", path=db_file)
    with PortalDB(db_file) as db:
        rows = db.audit(email=email, since=since)
    out = console()
    if out_file is not None:
        atomic_write(out_file, lambda tmp: rows.to_csv(tmp, index=False), private=True)
        out.print(f"{len(rows)} audit rows written to {out_file}")
        return
    if rows.empty:
        out.print("the audit log has no rows" + (" for this selection" if email or since else ""))
        return
    out.print(rows.fillna("").to_csv(index=False).rstrip(), markup=False)
