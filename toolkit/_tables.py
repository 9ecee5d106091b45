"""Small tables given as a DataFrame or a CSV file (roster, units, teams), read and checked once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.errors import InputError

__all__ = ["read_table"]


def read_table(
    table: pd.DataFrame | str | Path, *, what: str, required: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A small table given as a DataFrame or a CSV file (read as text), its columns checked.

    Raises :class:`toolkit.InputError` naming the file (and the column) when the file is
    missing or unreadable or a ``required`` column is absent.

    Examples
    --------
    >>> read_table("data/sample/units.csv", what="units", required=("unit", "parent", "kind")).shape[1]
    3
    >>> read_table("data/sample/units.csv", what="units", required=("team",))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.InputError: data/sample/units.csv, column 'team': the units table needs a 'team' ...
    """
    path = None
    if isinstance(table, str | Path):
        path = Path(table)
        if not path.is_file():
            raise InputError(f"{what} file not found", path=path)
        try:
            table = pd.read_csv(path, dtype="str", encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"not a readable CSV {what} table: {exc}", path=path) from None
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame or the path of a CSV file, got {type(table).__name__}")
    for column in required:
        if column not in table.columns:
            raise InputError(
                f"the {what} table needs a {column!r} column; it has {', '.join(map(str, table.columns))}",
                path=path,
                column=column,
            )
    return table
