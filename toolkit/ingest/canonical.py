"""Read a response table that is already in canonical form (CSV or Parquet)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError

__all__ = ["read_canonical"]

_LINE = re.compile(r"line (\d+)")


def read_canonical(path: str | Path) -> pd.DataFrame:
    """Read a canonical response table without interpreting its values.

    CSV files are read as text (only empty cells are missing: ``NA`` in a comment stays
    ``NA``), with or without a byte-order mark; Parquet files keep their stored dtypes.
    :func:`toolkit.validate` converts and checks the values.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file.

    Returns
    -------
    DataFrame
        Indexed by ``row``: the row as a spreadsheet shows it (the header is row 1, so the
        first response is row 2) for CSV, and the 1-based position for Parquet, so that
        every failure can name the row in the file.

    Raises
    ------
    InputError
        When the file is missing, empty, binary, not CSV or Parquet, or has a row with the
        wrong number of fields.

    Examples
    --------
    >>> table = read_canonical("data/sample/responses_2026Q1.csv")
    >>> int(table.index[0]), table.index.name
    (2, 'row')
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", path=path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table, first = _read_parquet(path), 1
    elif suffix in (".csv", ".txt"):
        table, first = _read_csv(path), 2
    else:
        raise InputError(f"unknown file type {suffix or '(none)'!r}; expected .csv or .parquet", path=path)
    if table.empty:
        raise InputError("the file has a header but no responses", path=path)
    table.index = pd.RangeIndex(first, first + len(table), name="row")
    return table


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise InputError("the file is empty", path=path)
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("this is a binary file, not a CSV table", path=path)
    try:
        table = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}): save the file as UTF-8 CSV", path=path
        ) from None
    except pd.errors.ParserError as exc:
        match = _LINE.search(str(exc))
        row = int(match.group(1)) if match else None
        raise InputError(f"the row does not fit the header: {exc}", path=path, row=row) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", path=path) from None
    unnamed = [c for c in table.columns if str(c).startswith("Unnamed: ")]
    if unnamed:
        raise InputError("a column has no header", path=path, column=unnamed[0])
    dupes = [
        c for c in table.columns if re.search(r"\.\d+$", str(c)) and str(c).rsplit(".", 1)[0] in table.columns
    ]
    if dupes:
        raise InputError("a column header appears twice", path=path, column=dupes[0].rsplit(".", 1)[0])
    return table


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(f"not a readable Parquet file: {exc}", path=path) from None
