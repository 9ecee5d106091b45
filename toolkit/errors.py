"""Exceptions of the toolkit.

Every exception carries the data a user needs to find the problem: the file, where in it
(a key path such as ``items[7].scale`` and a line for survey files; a row and a column for
tables) and what is wrong. The message is built from those fields, so a command-line user
sees one readable paragraph and a program can still read the parts.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["InputError", "SecretKeyError", "StoreError", "SurveyError", "ToolkitError", "UnitsError"]


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class SurveyError(ToolkitError):
    """A survey definition is malformed.

    Parameters
    ----------
    problem : str
        What is wrong, in one sentence.
    path : str or Path, optional
        The survey file.
    key : str, optional
        Where in the file, as a key path like ``items[7].scale``.
    line : int, optional
        The 1-based line in the file, when known.

    Examples
    --------
    >>> str(SurveyError("unknown scale 'agree7'", path="s.yaml", key="items[7].scale", line=40))
    "s.yaml:40: items[7].scale: unknown scale 'agree7'"
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.key = key
        self.line = line
        where = self.path or "<survey>"
        if line is not None:
            where += f":{line}"
        parts = [where]
        if key:
            parts.append(key)
        parts.append(problem)
        super().__init__(": ".join(parts))


class InputError(ToolkitError):
    """An input file cannot be used: missing, unreadable, or not the expected table.

    Parameters
    ----------
    problem : str
        What is wrong and, where it helps, what would be accepted.
    path : str or Path, optional
        The file.
    row : int, optional
        The row as a spreadsheet shows it (the header is row 1), when one row is at fault.
    column : str, optional
        The column at fault, when one is.

    Examples
    --------
    >>> str(InputError("not a number: 'abc'", path="r.csv", row=7, column="q1"))
    "r.csv, row 7, column 'q1': not a number: 'abc'"
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        where = [self.path or "<input>"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


class UnitsError(InputError, ValueError):
    """The units table cannot describe an organisation: a missing column, a duplicate or missing
    id, an unknown kind, a parent that is not a unit, several roots or none, a cycle.

    An :class:`InputError` (the file, row and column at fault) and a ``ValueError`` (a bad value
    given to a function).

    Examples
    --------
    >>> str(UnitsError("parent 'd9' is not a unit", path="units.csv", row=4, column="parent"))
    "units.csv, row 4, column 'parent': parent 'd9' is not a unit"
    """


class SecretKeyError(ToolkitError):
    """The secret key for pseudonyms is missing or unusable.

    The message says where a key was looked for (a key file, an environment variable) and
    how to provide one; it never contains the key.
    """


class StoreError(ToolkitError):
    """The wave store refuses an operation, for example replacing a stored wave without
    being asked to, or reading a wave that is not there.

    Parameters
    ----------
    problem : str
        What is wrong and how to proceed.
    store : str or Path, optional
        The store folder.
    wave : str, optional
        The wave concerned.
    """

    def __init__(self, problem: str, *, store: str | Path | None = None, wave: str | None = None) -> None:
        self.problem = problem
        self.store = None if store is None else str(store)
        self.wave = wave
        where = ", ".join(p for p in (self.store and f"store {self.store}", wave and f"wave {wave}") if p)
        super().__init__(f"{where}: {problem}" if where else problem)
