"""The portal's SQLite database: the signing secret, sign-in links, sessions, releases, the audit log.

One file (``--db``), created private (0600) on first use, in WAL mode so that the commands
(``serve invite``, ``serve add-release``, ``serve audit``) can use it while the portal runs.

What is stored, and what is not:

- ``meta``: the secret that signs the links (random, 32 bytes, made on first use);
- ``links``: per link, the SHA-256 of its random id, the email, when it expires, when it was used
  or replaced; never the link itself, so that reading the database gives no working link;
- ``sessions``: the SHA-256 of each session id (the cookie), the email, how it signed in, when it
  expires; signing out deletes the row;
- ``releases``: the release files added with ``serve add-release``;
- ``audit``: one row per event (a view, a sign-in, a refused link, a refused page, a sign-out): when,
  who, the audience and wave asked for, and the outcome. No answers, no numbers, no addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit._io import private_folder

__all__ = ["AUDIT_COLUMNS", "PortalDB", "Redeemed"]

AUDIT_COLUMNS = ("at", "event", "email", "audience", "wave", "outcome", "via")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS links (
    id_hash TEXT PRIMARY KEY, email TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at INTEGER NOT NULL, used_at REAL, replaced_at REAL);
CREATE INDEX IF NOT EXISTS links_email ON links (email);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, email TEXT NOT NULL, via TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS releases (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    at TEXT NOT NULL, event TEXT NOT NULL, email TEXT, audience TEXT, wave TEXT,
    outcome TEXT NOT NULL, via TEXT);
"""


@dataclass(frozen=True)
class Redeemed:
    """What a sign-in link gave: the email it signs in, or why it signs nobody in."""

    email: str | None
    reason: str  # "ok", "malformed", "tampered", "unknown", "expired", "used", "replaced"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _now_text(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


class PortalDB:
    """The portal's database file (created when missing, private to its owner).

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    clock : callable, optional
        Seconds since the epoch (tests move time forward with it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with PortalDB(pathlib.Path(tempfile.mkdtemp()) / "portal.db") as db:
    ...     token = db.issue_link("ann@example.org", seconds=3600)
    ...     db.redeem(token), db.redeem(token).reason
    (Redeemed(email='ann@example.org', reason='ok'), 'used')
    """

    def __init__(self, path: str | Path, *, clock=time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        private_folder(self.path.parent)  # missing folders are made private (0700), as the store's
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        self._secret = self._load_secret()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PortalDB:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ the signing secret

    def _load_secret(self) -> bytes:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
        if row is None:
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_bytes(32),))
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
        return bytes(row[0])

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    # ------------------------------------------------------------------ sign-in links

    def issue_link(self, email: str, *, seconds: int) -> str:
        """A new sign-in token for ``email``, valid ``seconds``; it replaces the person's unused ones.

        The token is ``<id>.<expires>.<signature>``: a random id, the expiry (seconds since the
        epoch) and an HMAC-SHA256 of both under the database's secret.
        """
        if seconds <= 0:
            raise ValueError(f"seconds must be positive; got {seconds}")
        now = self.clock()
        link_id = secrets.token_urlsafe(18)
        expires = int(now + seconds)
        body = f"{link_id}.{expires}"
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(
                "UPDATE links SET replaced_at = ? "
                "WHERE email = ? AND used_at IS NULL AND replaced_at IS NULL",
                (now, email),
            )
            self.conn.execute(
                "INSERT INTO links VALUES (?, ?, ?, ?, NULL, NULL)", (_hash(link_id), email, now, expires)
            )
        return f"{body}.{self._sign(body)}"

    def redeem(self, token: str) -> Redeemed:
        """Use a sign-in token once: the email it signs in, or why it signs nobody in."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isdigit() or len(token) > 200:
            return Redeemed(None, "malformed")
        link_id, expires, signature = parts
        if not hmac.compare_digest(signature, self._sign(f"{link_id}.{expires}")):
            return Redeemed(None, "tampered")
        now = self.clock()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            row = self.conn.execute(
                "SELECT email, expires_at, used_at, replaced_at FROM links WHERE id_hash = ?",
                (_hash(link_id),),
            ).fetchone()
            if row is None:
                return Redeemed(None, "unknown")
            email, expires_at, used_at, replaced_at = row
            if used_at is not None:
                return Redeemed(email, "used")
            if replaced_at is not None:
                return Redeemed(email, "replaced")
            if now >= expires_at or now >= int(expires):
                return Redeemed(email, "expired")
            self.conn.execute("UPDATE links SET used_at = ? WHERE id_hash = ?", (now, _hash(link_id)))
        return Redeemed(email, "ok")

    # ------------------------------------------------------------------ sessions

    def open_session(self, email: str, *, via: str, seconds: int) -> str:
        """A new session for ``email``: its id (the cookie's value); only its hash is stored."""
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self.conn:
            self.conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            self.conn.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (_hash(sid), email, via, now, now + seconds)
            )
        return sid

    def session(self, sid: str | None) -> str | None:
        """The email of a live session, or None."""
        if not sid or len(sid) > 100 or not sid.isascii():
            return None
        row = self.conn.execute(
            "SELECT email FROM sessions WHERE id_hash = ? AND expires_at > ?", (_hash(sid), self.clock())
        ).fetchone()
        return None if row is None else row[0]

    def close_session(self, sid: str | None) -> bool:
        """End a session on the server (signing out); True when there was one."""
        if not sid or not sid.isascii():
            return False
        with self.conn:
            return self.conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(sid),)).rowcount > 0

    # ------------------------------------------------------------------ releases

    def add_release(self, path: str | Path) -> Path:
        resolved = Path(path).resolve()
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO releases VALUES (?, ?)", (str(resolved), self.clock()))
        return resolved

    def releases(self) -> list[Path]:
        return [Path(p) for (p,) in self.conn.execute("SELECT path FROM releases ORDER BY added_at, path")]

    # ------------------------------------------------------------------ audit

    def log(self, event: str, *, email=None, audience=None, wave=None, outcome="ok", via=None) -> None:
        """One audit row (committed at once)."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_now_text(self.clock()), event, email, audience, wave, outcome, via),
            )

    def audit(self, *, email: str | None = None, since: str | None = None) -> pd.DataFrame:
        """The audit log, oldest first (optionally one person's, or from a date or time on)."""
        where, args = [], []
        if email:
            where.append("email = ?")
            args.append(email.strip().lower())
        if since:
            where.append("at >= ?")
            args.append(since)
        sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY rowid"
        rows = self.conn.execute(sql, args).fetchall()
        return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
