"""Who sees what: ``access.csv`` (``email,audience``), parsed and checked once.

An audience is named as in the release: ``analyst``, ``manager:<team>`` or ``leader:<unit>``. A
person may have several rows. :func:`read_access` refuses a file it cannot use with the file, the
row (as a spreadsheet shows it, the header being row 1) and the column at fault; with a units
table it also refuses a manager audience that is not a team and a leader audience that is not a
unit above the teams.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit._io import read_table
from toolkit.errors import InputError
from toolkit.units import Units

__all__ = ["AUDIENCE", "Access", "read_access"]

#: An audience of the release: ``analyst``, ``manager:<team>`` or ``leader:<unit>``.
AUDIENCE = re.compile(r"^(analyst|(manager|leader):[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")
_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")


@dataclass(frozen=True)
class Access:
    """The audiences of each person (emails lower-cased), and where the table came from."""

    audiences: Mapping[str, frozenset[str]]
    source: str | None = None
    rows: int = field(default=0)

    def of(self, email: str | None) -> frozenset[str]:
        """The audiences of ``email`` (none for an unknown person)."""
        if not email:
            return frozenset()
        return self.audiences.get(email.strip().lower(), frozenset())

    @property
    def emails(self) -> list[str]:
        return sorted(self.audiences)

    def every_audience(self) -> frozenset[str]:
        """Every audience of anyone in the table."""
        return frozenset().union(*self.audiences.values())


def read_access(table: pd.DataFrame | str | Path, *, units: Units | pd.DataFrame | None = None) -> Access:
    """Read and check the access table.

    Parameters
    ----------
    table : DataFrame, str or Path
        ``email,audience``: one row per person and audience.
    units : Units or DataFrame, optional
        The organisation: when given, ``manager:<team>`` must name a team and ``leader:<unit>`` a
        unit that is not a team.

    Returns
    -------
    Access

    Raises
    ------
    InputError
        Naming the file, row and column: a missing column, an empty or malformed email, an
        audience that is not ``analyst``, ``manager:<team>`` or ``leader:<unit>``, or (with
        ``units``) one that is not in the organisation; or a table without any row.

    Examples
    --------
    >>> t = pd.DataFrame(
    ...     {"email": ["Ann@example.org", "ann@example.org"], "audience": ["manager:t01", "analyst"]}
    ... )
    >>> sorted(read_access(t).of("ann@example.org"))
    ['analyst', 'manager:t01']
    >>> read_access(pd.DataFrame({"email": ["ann@example.org"], "audience": ["boss"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.InputError: <input>, row 2, column 'audience': ... got 'boss'
    """
    path = Path(table) if isinstance(table, str | Path) else None
    frame = read_table(table, what="access", required=("email", "audience"))
    tree = None if units is None else Units(units)
    found: dict[str, set[str]] = {}
    emails = frame["email"].tolist()
    audiences = frame["audience"].tolist()
    for i, (email, audience) in enumerate(zip(emails, audiences, strict=True)):
        row = i + 2
        email = "" if pd.isna(email) else str(email).strip().lower()
        audience = "" if pd.isna(audience) else str(audience).strip()
        if not _EMAIL.match(email):
            problem = "the email is empty" if not email else f"not an email address: {email!r}"
            raise InputError(problem, path=path, row=row, column="email")
        if not AUDIENCE.match(audience):
            raise InputError(
                "the audience must be analyst, manager:<team> or leader:<unit> (as in the release); "
                f"got {audience!r}",
                path=path,
                row=row,
                column="audience",
            )
        if tree is not None:
            _check_unit(tree, audience, path, row)
        found.setdefault(email, set()).add(audience)
    if not found:
        raise InputError("the access table has no rows: nobody could sign in", path=path)
    return Access(
        {e: frozenset(a) for e, a in found.items()},
        source=None if path is None else str(path),
        rows=len(frame),
    )


def _check_unit(tree: Units, audience: str, path: Path | None, row: int) -> None:
    role, _, unit = audience.partition(":")
    if role == "analyst":
        return
    kind = tree.kind.get(unit)
    if role == "manager" and kind != "team":
        what = "is not a unit" if kind is None else f"is a {kind}, not a team"
        raise InputError(
            f"{audience}: a manager audience names a team of the units table; {unit!r} {what}",
            path=path,
            row=row,
            column="audience",
        )
    if role == "leader" and (kind is None or kind == "team"):
        what = "is not a unit" if kind is None else "is a team (its manager has manager:" + unit + ")"
        raise InputError(
            f"{audience}: a leader audience names a unit above the teams; {unit!r} {what}",
            path=path,
            row=row,
            column="audience",
        )
