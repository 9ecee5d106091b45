"""The files of the wave store (private to :mod:`toolkit.store`): paths, stamps written into each Parquet
file and checked against the manifest, reading with those checks, and the manifest itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from toolkit.errors import StoreError
from toolkit.survey import Survey
from toolkit.survey.schema import WAVE_PATTERN, canonical_dtypes

_MANIFEST = "manifest.json"
_META_KEY = b"oneonone_store"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20

#: Version of the store layout and manifest; a store of another version is refused.
FORMAT_VERSION = 1


def _wave_path(store: Path, wave: str) -> Path:
    return store / "waves" / f"{wave}.parquet"


def _quarantine_path(store: Path, wave: str) -> Path:
    return store / "quarantine" / f"{wave}.parquet"


def _check_wave_name(wave: object, store: Path) -> None:
    if not isinstance(wave, str) or not re.match(WAVE_PATTERN, wave):
        raise StoreError(f"wave must look like 2026Q3, got {wave!r}", store=store)


def _check_valid(valid: pd.DataFrame, survey: Survey, wave: str, store: Path) -> None:
    expected = canonical_dtypes(survey)
    columns = [str(c) for c in valid.columns]
    if columns != list(expected):
        missing = [c for c in expected if c not in columns]
        extra = [c for c in columns if c not in expected]
        detail = "; ".join(
            part
            for part in (
                missing and f"missing {', '.join(missing)}",
                extra and f"not in the survey {', '.join(extra)}",
                not (missing or extra) and "the columns are out of order",
            )
            if part
        )
        raise StoreError(
            f"the valid rows are not the canonical table of survey {survey.id} {survey.version} ({detail}); "
            "pass validate(...).valid",
            store=store,
            wave=wave,
        )
    for col, dtype in expected.items():
        if not valid[col].dtype == dtype:
            raise StoreError(
                f"column {col!r} of the valid rows has dtype {valid[col].dtype}, expected {dtype}; "
                "pass validate(...).valid",
                store=store,
                wave=wave,
            )
    other = valid["wave"].ne(wave) | valid["wave"].isna()
    if other.any():
        found = ", ".join(sorted({str(w) for w in valid.loc[other, "wave"]})[:5])
        raise StoreError(
            f"{int(other.sum())} valid rows belong to another wave ({found}); every stored row must "
            f"have wave {wave}",
            store=store,
            wave=wave,
        )


def _to_arrow(frame: pd.DataFrame, stamp: dict, *, index: bool) -> pyarrow.Table:
    categories = {
        str(col): {"categories": dtype.categories.tolist(), "ordered": bool(dtype.ordered)}
        for col, dtype in frame.dtypes.items()
        if isinstance(dtype, pd.CategoricalDtype)
    }
    table = pyarrow.Table.from_pandas(frame, preserve_index=index)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps({**stamp, "categories": categories}).encode("utf-8")
    return table.replace_schema_metadata(meta)


def _stamp(path: Path) -> dict | None:
    try:
        return _parse_stamp(pq.read_schema(path).metadata)
    except (OSError, pyarrow.ArrowException):
        return None


def _parse_stamp(meta: dict | None) -> dict | None:
    """The store's record in a Parquet file's metadata (None when absent or unreadable)."""
    try:
        stamp = json.loads((meta or {})[_META_KEY])
    except (KeyError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def _stamp_matches(stamp: dict | None, entry: dict, wave: str) -> bool:
    return stamp is not None and all(
        stamp.get(k) == v
        for k, v in (
            ("wave", wave),
            ("source_sha256", entry.get("source_sha256")),
            ("survey_id", entry.get("survey_id")),
            ("survey_version", entry.get("survey_version")),
        )
    )


def _files_match(store: Path, wave: str, entry: dict) -> bool:
    return all(
        _stamp_matches(_stamp(path), entry, wave)
        for path in (_wave_path(store, wave), _quarantine_path(store, wave))
    )


def _read_data(path: Path, entry: dict, store: Path, wave: str, *, index: bool) -> pd.DataFrame:
    relative = path.relative_to(store).as_posix()
    redo = f"store the wave again (with --replace) from its export {entry.get('source')}"
    if not path.is_file():
        raise StoreError(
            f"the manifest lists this wave but {relative} is missing; {redo}", store=store, wave=wave
        )
    try:
        table = pq.read_table(path)
    except (OSError, pyarrow.ArrowException) as exc:
        raise StoreError(f"{relative} cannot be read ({exc}); {redo}", store=store, wave=wave) from None
    stamp = _parse_stamp(table.schema.metadata)
    key = "rows_stored" if not index else "rows_quarantined"
    if not _stamp_matches(stamp, entry, wave) or table.num_rows != entry.get(key):
        raise StoreError(
            f"{relative} does not match the manifest (a write was interrupted, or the file was changed "
            f"by hand); {redo}",
            store=store,
            wave=wave,
        )
    frame = table.to_pandas()
    for col, spec in stamp.get("categories", {}).items():
        frame[col] = frame[col].astype(pd.CategoricalDtype(spec["categories"], ordered=spec["ordered"]))
    return frame


def _read_manifest(store: Path, *, missing_ok: bool = False) -> dict:
    if store.exists() and not store.is_dir():
        raise StoreError("this is a file, not a store folder", store=store)
    path = store / _MANIFEST
    if not path.is_file():
        if missing_ok:
            return {"format_version": FORMAT_VERSION, "waves": {}}
        raise StoreError(
            f"no {_MANIFEST}: this is not a wave store, or no wave is stored yet"
            if store.is_dir()
            else "the store folder does not exist; store a wave first",
            store=store,
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{_MANIFEST} cannot be read ({exc})", store=store) from None
    if not isinstance(data, dict) or not isinstance(data.get("waves"), dict):
        raise StoreError(f"{_MANIFEST} is not a wave store manifest (no 'waves' object)", store=store)
    if data.get("format_version") != FORMAT_VERSION:
        raise StoreError(
            f"{_MANIFEST} has format version {data.get('format_version')!r}; this toolkit reads version "
            f"{FORMAT_VERSION}. Use the toolkit version that wrote it ({_writers(data)}).",
            store=store,
        )
    return data


def _writers(data: dict) -> str:
    versions = sorted({str(e.get("toolkit_version")) for e in data["waves"].values() if isinstance(e, dict)})
    return ", ".join(versions) or "unknown"


def _wanted_waves(current: dict, waves: str | Sequence[str] | None, store: Path) -> list[str]:
    stored = sorted(current["waves"])
    if not stored:
        raise StoreError("the store holds no waves yet", store=store)
    if waves is None:
        return stored
    asked = [waves] if isinstance(waves, str) else list(waves)
    if not asked:
        raise StoreError("no waves asked for; pass None to load every stored wave", store=store)
    unknown = [w for w in asked if w not in current["waves"]]
    if unknown:
        raise StoreError(
            f"wave {', '.join(map(str, unknown))} is not stored; stored waves: {', '.join(stored)}",
            store=store,
        )
    return sorted(set(asked))
