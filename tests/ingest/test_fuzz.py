"""Property-based tests: malformed bytes never make a reader fail with anything but InputError,
and whatever a reader accepts satisfies the Export contract."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import InputError
from toolkit.ingest.export import FORMATS, read_export

from .conftest import FIXTURES, check_contract

SEEDS = [p.read_bytes() for p in sorted(FIXTURES.glob("*.csv"))]
FORMAT_CHOICES = [None, *[f for f in FORMATS if f != "canonical"]]
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def mutated(draw) -> bytes:
    """A fixture export with a few random edits: cuts, insertions, deletions, swapped separators."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "insert", "delete", "swap", "quote", "newline"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "cut":
            data = data[:at]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "swap":
            data = data.replace(b",", b";") if draw(st.booleans()) else data.replace(b";", b"\t")
        elif op == "quote":
            data[at:at] = b'"'
        else:
            data[at:at] = draw(st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n"]))
    return bytes(data)


CELL = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def tables(draw) -> bytes:
    """Random delimited text under a platform-looking header, in a random encoding."""
    header = draw(
        st.sampled_from(
            [
                [
                    "Timestamp",
                    "Email Address",
                    "Which team are you part of?",
                    "When I need my manager, I can reach them.",
                ],
                ["ID", "Start time", "Completion time", "Email", "Name", "reach"],
                ["id", "submitdate", "lastpage", "startdate", "team", "trust[reach]"],
                ["start", "end", "grp/team", "grp/reach", "_uuid", "_submission_time"],
                [
                    "StartDate",
                    "EndDate",
                    "Status",
                    "RecordedDate",
                    "ResponseId",
                    "ExternalReference",
                    "team",
                    "reach",
                ],
            ]
        )
    )
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 1), max_size=5))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))

    def line(cells):
        return sep.join('"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c for c in cells)

    text = "\n".join(line(r) for r in [header, *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    return text.encode(encoding, errors="replace")


def _read(data: bytes, fmt, survey, suffix=".csv") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export{suffix}"
        path.write_bytes(data)
        try:
            export = read_export(path, survey, format=fmt, timezone="Europe/Berlin")
        except InputError as exc:
            if exc.path is None:
                raise AssertionError(f"an InputError that names no file: {exc}") from exc
            return
        if export.format != "canonical":
            check_contract(export, survey)


@SETTINGS
@given(data=mutated(), fmt=st.sampled_from(FORMAT_CHOICES))
def test_mutated_exports(small, data, fmt):
    _read(data, fmt, small)


@SETTINGS
@given(data=tables(), fmt=st.sampled_from(FORMAT_CHOICES))
def test_random_tables(small, data, fmt):
    _read(data, fmt, small)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), fmt=st.sampled_from([*FORMAT_CHOICES, "canonical"]))
def test_random_bytes(small, data, fmt):
    _read(data, fmt, small)


@pytest.mark.parametrize("prefix", [b"PK\x03\x04", b"PAR1", b"\xff\xfe", b"\xef\xbb\xbf"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_random_bytes_behind_magic_numbers(small, prefix, data):
    _read(prefix + data, None, small, suffix=".xlsx" if prefix == b"PK\x03\x04" else ".csv")
