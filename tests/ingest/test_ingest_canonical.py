"""Reading canonical tables: rows numbered as in the file, and unusable files named."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import InputError, read_canonical

HEADER = "respondent,wave,q1\n"


def _write(tmp_path, name, data: bytes | str):
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_csv_rows_are_numbered_like_a_spreadsheet_and_only_empty_cells_are_missing(tmp_path):
    path = _write(tmp_path, "r.csv", HEADER + "p1,2026Q1,3\np2,2026Q1,\np3,2026Q1,NA\n")
    table = read_canonical(path)
    assert list(table.index) == [2, 3, 4] and table.index.name == "row"
    assert table["q1"].tolist()[0] == "3" and pd.isna(table.loc[3, "q1"]) and table.loc[4, "q1"] == "NA"
    assert str(table["q1"].dtype) == "str"


def test_csv_with_byte_order_mark(tmp_path):
    path = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + (HEADER + "p1,2026Q1,3\n").encode())
    assert list(read_canonical(path).columns) == ["respondent", "wave", "q1"]


def test_parquet_keeps_dtypes_and_numbers_rows_from_one(tmp_path):
    path = tmp_path / "r.parquet"
    pd.DataFrame({"respondent": ["p1", "p2"], "q1": pd.array([3, None], dtype="Int8")}).to_parquet(path)
    table = read_canonical(path)
    assert list(table.index) == [1, 2] and str(table["q1"].dtype) == "Int8"


@pytest.mark.parametrize(
    ("name", "data", "message", "row", "column"),
    [
        ("empty.csv", "", "the file is empty", None, None),
        ("blank.csv", "\n\n", "the file is empty", None, None),
        ("header.csv", HEADER, "has a header but no responses", None, None),
        ("bin.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file", None, None),
        ("latin.csv", HEADER.encode() + "p1,2026Q1,caf\xe9\n".encode("cp1252"), "not UTF-8 text", None, None),
        ("ragged.csv", HEADER + "p1,2026Q1,3\np2,2026Q1,3,4\n", "does not fit the header", 3, None),
        ("noname.csv", "respondent,,q1\np1,2026Q1,3\n", "a column has no header", None, "Unnamed: 1"),
        ("twice.csv", "respondent,q1,q1\np1,3,3\n", "header appears twice", None, "q1"),
        ("r.xlsx", "x", "unknown file type '.xlsx'", None, None),
        ("bad.parquet", "not parquet", "not a readable Parquet file", None, None),
    ],
)
def test_unusable_files_raise_input_error_naming_the_file(tmp_path, name, data, message, row, column):
    path = _write(tmp_path, name, data)
    with pytest.raises(InputError, match=message) as info:
        read_canonical(path)
    assert info.value.path == str(path)
    assert (info.value.row, info.value.column) == (row, column)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_canonical(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="not a file"):
        read_canonical(tmp_path)
