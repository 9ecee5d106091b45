"""Read a platform export into text columns: encodings, delimiters, workbooks, bad rows.

Every reader goes through :func:`open_grid`, which looks at the file's first bytes (a
workbook, a Parquet file, a binary file, or text in UTF-8, UTF-16 or Windows-1252), parses
the first records with the standard ``csv`` module (so a reader can see its header rows),
and then reads the body column by column with pyarrow, only the columns the reader keeps,
every cell as text. Nothing is inferred from cell values: ``007`` stays ``007``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from toolkit.errors import InputError

__all__ = ["Grid", "open_grid"]

_HEAD_BYTES = 1 << 16
_MAX_HEAD_BYTES = 1 << 22
_HEAD_RECORDS = 8
_DELIMITERS = (",", ";", "\t")
_STR = pa.large_string()


@dataclass
class Grid:
    """A table as found in a file, before any platform meaning is given to it.

    Attributes
    ----------
    path : Path
    kind : str
        ``"csv"`` (any delimited text) or ``"xlsx"``.
    records : list of tuple of str
        The first records of the file as text (``""`` for an empty cell), header rows
        included, each as wide as the table.
    width : int
        The number of columns (of the first record).
    encoding, delimiter : str or None
        How the text was read (``None`` for a workbook).
    sheets : tuple of str
        The other sheets of a workbook (repeat groups in Kobo exports), not read.
    """

    path: Path
    kind: str
    records: list[tuple[str, ...]]
    width: int
    encoding: str | None = None
    delimiter: str | None = None
    sheets: tuple[str, ...] = ()
    _rows: list[tuple[str | None, ...]] | None = field(default=None, repr=False)
    _numbers: np.ndarray | None = field(default=None, repr=False)

    def body(self, skip: int, keep: Iterable[int]) -> tuple[dict[int, pa.ChunkedArray], pd.Index]:
        """The records after the first ``skip`` (the header rows), only the columns ``keep``.

        Returns the columns (position to a ``large_string`` array; empty cells are null)
        and the row of every record as a spreadsheet shows it.

        Raises
        ------
        InputError
            When a record has a different number of fields than the header (naming its
            row), when there are no records, or when the text cannot be decoded.
        """
        keep = sorted(set(keep))
        if self.kind == "xlsx":
            cols, index = self._sheet_body(skip, keep)
        else:
            cols, index = self._csv_body(skip, keep)
        if len(index) == 0:
            raise InputError("the file has a header but no responses", path=self.path)
        return cols, index

    def _sheet_body(self, skip: int, keep: list[int]) -> tuple[dict[int, pa.ChunkedArray], pd.Index]:
        rows = self._rows[skip:]
        numbers = self._numbers[skip:]
        cols = {j: pa.chunked_array([pa.array([r[j] for r in rows], type=_STR)], type=_STR) for j in keep}
        return cols, pd.Index(numbers, name="row")

    def _csv_body(self, skip: int, keep: list[int]) -> tuple[dict[int, pa.ChunkedArray], pd.Index]:
        names = [f"c{j}" for j in range(self.width)]
        include = [names[j] for j in keep] or [names[0]]
        encoding = "utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        try:
            table = pacsv.read_csv(
                self.path,
                read_options=pacsv.ReadOptions(column_names=names, encoding=encoding, block_size=1 << 22),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(include, _STR),
                    include_columns=include,
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
        except pa.ArrowInvalid as exc:
            if "invalid UTF8" in str(exc) and self.encoding == "utf-8":
                # not UTF-8 after all (the first bytes were plain ASCII): Excel's Windows-1252
                self.encoding = "cp1252"
                return self._csv_body(skip, keep)
            raise self._bad_table(str(exc)) from None
        except (UnicodeError, pa.ArrowException, OSError) as exc:
            raise self._bad_table(str(exc)) from None
        table = table.slice(skip)
        index = pd.RangeIndex(skip + 1, skip + 1 + table.num_rows, name="row")
        return {j: table.column(f"c{j}") for j in keep}, index

    def _bad_table(self, detail: str) -> InputError:
        """Find the first record whose number of fields differs from the header's."""
        row = None
        try:
            with self.path.open(encoding=self.encoding, newline="", errors="strict") as fh:
                n = 0
                for record in csv.reader(fh, delimiter=self.delimiter):
                    if not record:
                        continue
                    n += 1
                    if len(record) != self.width:
                        row = n
                        got = len(record)
                        break
        except (UnicodeError, csv.Error, OSError):
            row = None
        if row is not None:
            return InputError(
                f"the row has {got} fields but the header has {self.width}: a truncated or damaged row",
                path=self.path,
                row=row,
            )
        detail = detail.splitlines()[0][:200] if detail else "unknown error"
        return InputError(f"not a readable table ({detail})", path=self.path)


def open_grid(path: str | Path) -> Grid:
    """Open a delimited text file or a workbook and read its first records.

    Raises
    ------
    InputError
        When the file is missing, empty, binary, a Parquet file, or not text in a
        known encoding.

    Examples
    --------
    >>> grid = open_grid("data/sample/exports/google_forms_2026Q1.csv")
    >>> grid.kind, grid.encoding, grid.delimiter, grid.records[0][0]
    ('csv', 'utf-8', ',', 'Timestamp')
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", path=path)
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if not head.strip():
        raise InputError("the file is empty", path=path)
    if head.startswith(b"PK\x03\x04"):
        return _open_workbook(path)
    if head.startswith(b"PAR1"):
        raise InputError("this is a Parquet file: read it with format='canonical'", path=path)
    encoding = sniff_encoding(head, path=path)
    records, delimiter, encoding = _head_records(path, head, encoding)
    if not records:
        raise InputError("the file is empty", path=path)
    return Grid(path, "csv", records, len(records[0]), encoding=encoding, delimiter=delimiter)


def sniff_encoding(head: bytes, *, path: Path | None = None) -> str:
    """The encoding of a text file from its first bytes.

    A byte-order mark decides (UTF-8, UTF-16); UTF-16 without one is recognised by its
    zero bytes; otherwise the text is UTF-8 if it decodes as UTF-8, else Windows-1252
    (Excel's "CSV" on Windows). UTF-8 text is never taken for Windows-1252: its bytes
    would have to be invalid UTF-8 first.

    Examples
    --------
    >>> sniff_encoding("é".encode("utf-8")), sniff_encoding("é".encode("cp1252"))
    ('utf-8', 'cp1252')
    >>> sniff_encoding("a,b".encode("utf-16"))
    'utf-16'
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if len(head) >= 4 and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if len(head) >= 4 and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
        raise InputError("this is a binary file, not a CSV table or a workbook", path=path)
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if controls > max(2, len(head) // 100):
        raise InputError("this is a binary file, not a CSV table or a workbook", path=path)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _HEAD_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(
            "not text in a known encoding (UTF-8, UTF-16 or Windows-1252): save the file as UTF-8 CSV",
            path=path,
        ) from None
    return "cp1252"


def _head_records(path: Path, head: bytes, encoding: str) -> tuple[list[tuple[str, ...]], str, str]:
    """The first records (complete ones only), the delimiter and the encoding."""
    size = len(head)
    while True:
        complete = size < _HEAD_BYTES or len(head) < size
        text, encoding = _decode_head(head, encoding, final=complete, path=path)
        if not complete:
            cut = max(text.rfind("\n"), text.rfind("\r"))
            text = text[: cut + 1] if cut >= 0 else ""
        delimiter = _sniff_delimiter(text)
        try:
            records = [tuple(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
        except csv.Error as exc:
            raise InputError(f"not a readable table ({exc})", path=path) from None
        if complete or len(records) > _HEAD_RECORDS or size >= _MAX_HEAD_BYTES:
            break
        size *= 4
        with path.open("rb") as fh:
            head = fh.read(size)
    records = records[: _HEAD_RECORDS + 1]
    if records:
        width = len(records[0])
        records = [r + ("",) * (width - len(r)) if len(r) < width else r[:width] for r in records]
    return records, delimiter, encoding


def _decode_head(head: bytes, encoding: str, *, final: bool, path: Path) -> tuple[str, str]:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(head, final=final), encoding
    except UnicodeDecodeError:
        if encoding == "utf-8":
            return _decode_head(head, "cp1252", final=final, path=path)
        raise InputError(
            f"not valid {encoding.upper().replace('-SIG', '')} text, though it starts like it (a byte-order "
            "mark or zero bytes): a damaged file?",
            path=path,
        ) from None


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first line into the most fields (comma on a tie)."""
    line = next(iter(csv.reader(io.StringIO(text, newline=""), delimiter="\x1f")), [""])
    first = "\x1f".join(line)
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


# --------------------------------------------------------------------------- workbooks


def _open_workbook(path: Path) -> Grid:
    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                sheets = book.sheetnames
                rows = list(book.worksheets[0].iter_rows(min_row=1, values_only=True))
            finally:
                book.close()
    except Exception as exc:  # zipfile, XML parsers and openpyxl raise many unrelated types
        raise InputError(f"not a readable workbook (.xlsx): {exc}", path=path) from None
    texts = [tuple(_cell_text(v) for v in r) for r in rows]
    numbers = np.arange(1, len(texts) + 1)
    filled = [i for i, r in enumerate(texts) if any(v is not None for v in r)]
    if not filled:
        raise InputError("the workbook's first sheet is empty", path=path)
    texts = [texts[i] for i in filled]
    numbers = numbers[filled]
    header = texts[0]
    width = max((len(r) for r in texts), default=0)
    used = [j for j in range(width) if any(j < len(r) and r[j] is not None for r in texts)]
    width = used[-1] + 1 if used else 0
    header_used = [j for j in range(len(header)) if header[j] is not None]
    width = max(width, header_used[-1] + 1 if header_used else 0)
    texts = [tuple(r[:width]) + (None,) * (width - len(r)) for r in texts]
    records = [tuple(v or "" for v in r) for r in texts[: _HEAD_RECORDS + 1]]
    return Grid(
        path,
        "xlsx",
        records,
        width,
        sheets=tuple(sheets[1:]),
        _rows=texts,
        _numbers=numbers,
    )


def _cell_text(value: object) -> str | None:
    """A workbook cell as text: whole numbers without ``.0``, dates in ISO 8601."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- helpers


def as_text(arr: pa.ChunkedArray) -> pd.Series:
    """An arrow text column as a pandas ``str`` Series (positional index)."""
    return pd.Series(pd.array(arr, dtype="str"), copy=False)


def strip_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trim whitespace; a cell left empty becomes null."""
    import pyarrow.compute as pc

    out = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, _STR), out)


def normalised_header(text: str) -> str:
    """A metadata header compared loosely: case, spaces, ``_`` and ``-`` ignored."""
    return re.sub(r"[\s_\-]+", "", str(text)).casefold()


# --------------------------------------------------------------------------- timestamps

#: UTC offsets (hours) of the zone abbreviations that platforms print after a timestamp.
#: Ambiguous ones (IST, CST, BST, ...) take the reading's ``timezone`` when that zone uses
#: the abbreviation at that moment, else the value here.
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "IST": 5.5, "CET": 1,
    "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CST": -6,
    "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
    "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "BRT": -3, "ART": -3,
    "SAST": 2, "WAT": 1, "CAT": 2, "EAT": 3, "PKT": 5, "ICT": 7, "WIB": 7, "PHT": 8,
}  # fmt: skip
_OFFSET = re.compile(r"^(?:GMT|UTC)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_FAST_FORMAT = "%Y-%m-%d %H:%M:%S"
_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %I:%M %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
_MONTH_FIRST = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p",
)
_DAY_FIRST = tuple(f.replace("%m/%d/", "%d/%m/") for f in _MONTH_FIRST)
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{2,4}\b")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_times(arr: pa.ChunkedArray, *, timezone: str, serial: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse a column of timestamps to UTC.

    ``YYYY-MM-DD HH:MM:SS`` is parsed by pyarrow; anything else (ISO 8601 with an offset or
    ``Z``, Google Forms' ``2023/11/13 4:20:37 pm CET``, ``GMT+1``-style offsets, US or
    European dates, Excel serial numbers when ``serial``) once per distinct value. Naive
    timestamps are local time in ``timezone``. Slash dates are read month first unless a
    value of the column only makes sense day first (``13/11/2023``).

    Returns
    -------
    (Series, ndarray)
        ``datetime64[us, UTC]`` values (positional index) and a mask of the cells that hold
        text that is not a timestamp (missing in the Series).

    Examples
    --------
    >>> ts, bad = parse_times(pa.chunked_array([["2023/11/13 4:20:37 pm CET", "nope", None]]),
    ...                       timezone="UTC")
    >>> str(ts[0]), bad.tolist()
    ('2023-11-13 15:20:37+00:00', [False, True, False])
    """
    from zoneinfo import ZoneInfo

    import pyarrow.compute as pc

    zone = ZoneInfo(timezone)
    arr = strip_text(arr)
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    fast = pc.strptime(arr, format=_FAST_FORMAT, unit="us", error_is_null=True)
    out = pd.Series(fast.to_numpy(zero_copy_only=False)).astype("datetime64[us]")
    if timezone == "UTC":
        out = out.dt.tz_localize("UTC")
    else:
        out = out.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    utc = out.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us").to_numpy()
    rest = present & np.isnat(utc)
    if rest.any():
        text = as_text(arr)[rest]
        uniques = pd.unique(text)
        day_first = _day_first(uniques)
        micros = {}
        for v in uniques:
            stamp = _parse_one(v, zone, serial=serial, day_first=day_first)
            micros[v] = _NAT if stamp is None else _micros(stamp)
        utc = utc.copy()
        utc[rest] = np.array([micros[v] for v in text], dtype=np.int64).view("datetime64[us]")
    out = pd.Series(utc).dt.tz_localize("UTC")
    return out, present & np.isnat(utc)


_NAT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(stamp: datetime) -> int:
    delta = stamp - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _day_first(values: Iterable[str]) -> bool:
    for v in values:
        m = _SLASH_DATE.match(v)
        if m and int(m.group(1)) > 12:
            return True
    return False


def _parse_one(text: str, zone, *, serial: bool, day_first: bool) -> datetime | None:
    """One timestamp to an aware UTC datetime, or None."""
    from datetime import timedelta

    if serial:
        try:
            days = float(text)
        except ValueError:
            days = None
        if days is not None:
            if not 0 < days < 2958466:
                return None
            local = _EXCEL_EPOCH + timedelta(milliseconds=round(days * 86_400_000))
            return local.replace(tzinfo=zone).astimezone(UTC)
    naive = _naive(text, day_first)
    if naive is not None:
        return naive.replace(tzinfo=zone).astimezone(UTC)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        stamp = None
    if stamp is not None:
        aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=zone)
        return aware.astimezone(UTC)
    body, _, abbr = text.rpartition(" ")
    offset = _OFFSET.match(abbr)
    if offset is None and not abbr[:1].isalpha():
        m = re.search(r"(?:GMT|UTC)?[+-]\d{1,2}(?::?\d{2})?$", text, re.IGNORECASE)
        if m is None:
            return None
        body, abbr, offset = text[: m.start()].rstrip(), m.group(0), _OFFSET.match(m.group(0))
    local = _naive(body.strip(), day_first)
    if local is None:
        return None
    if offset is not None:
        sign = -1 if offset.group(1) == "-" else 1
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes) * sign
    else:
        abbr = abbr.upper()
        if local.replace(tzinfo=zone).tzname() == abbr:
            return local.replace(tzinfo=zone).astimezone(UTC)
        if abbr not in ZONE_OFFSETS:
            return None
        delta = timedelta(hours=ZONE_OFFSETS[abbr])
    return (local - delta).replace(tzinfo=UTC)


def _naive(text: str, day_first: bool) -> datetime | None:
    formats = _FORMATS + (_DAY_FIRST + _MONTH_FIRST if day_first else _MONTH_FIRST + _DAY_FIRST)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None
