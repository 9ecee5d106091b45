"""The wave store: one Parquet file per wave, written atomically, with a manifest.

Layout of a store folder ``DIR``::

    DIR/manifest.json             what is stored (below); written last
    DIR/waves/<wave>.parquet      the wave's valid rows, as the canonical table
    DIR/quarantine/<wave>.parquet the wave's quarantined rows, every value as text, with ``reasons``

``manifest.json`` is a JSON object ``{"format_version": 1, "waves": {<wave>: entry}}``; each entry
has ``survey_id``, ``survey_version``, ``source`` (the export's file name, never its folder),
``source_sha256``, ``rows_read``, ``rows_stored``, ``rows_quarantined`` (``rows_read = rows_stored
+ rows_quarantined``), ``written_at`` (UTC, ISO 8601) and ``toolkit_version``; ``anonymous`` (True
for a wave ingested without identity: its respondent ids are random and link nothing across waves),
``key_fingerprint`` and ``pseudonym_series`` (below, missing for an anonymous wave), and what the
ingest recorded about the wave (such as its window of submission times).

The pseudonym key is never stored. The manifest keeps its fingerprint, a keyed hash of a constant
(:func:`toolkit.privacy.pseudonym.key_fingerprint`), under ``"pseudonyms"``: ``key_fingerprint`` (the key of
the current series) and ``series``, one entry per pseudonym series (``series``, ``key_fingerprint``,
``first_wave``, ``started_at``, ``new_key``). A wave pseudonymised with another key is refused
(:func:`check_key`), unless the caller starts a new series on purpose (``new_key``, the CLI's
``--new-key``): pseudonyms link respondents across the waves of one series only.

Every file of the store is private: ``0600`` in folders ``0700`` (or the group's, in a folder shared
with a group: see :func:`toolkit._io.private_modes`), written through :func:`toolkit._io.atomic_write`
(fsynced, then renamed).

Storing the same export again (same SHA-256, same survey id and version) is a no-op that leaves
every file untouched; a different export for a stored wave is refused unless the caller asks to
replace it (``--replace``). Every file is written to a temporary file and renamed into place
(:func:`toolkit._io.atomic_write`): both data files first, the manifest last, so an interrupted
write leaves the previous manifest and its files loadable. Each data file also records, in its
Parquet metadata, the wave, export hash and survey it was written for; a load that finds a file
not matching the manifest (a write interrupted between the renames) says so instead of returning
mixed data. The categories of every categorical column are recorded there too, so the full list
of answer codes survives even for a wave where nobody chose some of them, or with no rows.

Examples
--------
>>> import tempfile
>>> from toolkit import load_survey, read_canonical, validate
>>> survey = load_survey("surveys/one_on_one_pulse.yaml")
>>> path = "data/sample/responses_2026Q1.csv"
>>> result = validate(read_canonical(path), survey)
>>> with tempfile.TemporaryDirectory() as store:
...     first = store_wave(store, wave="2026Q1", valid=result.valid, quarantine=result.quarantine,
...                        survey=survey, source_sha256=file_sha256(path), source_name=path)
...     again = store_wave(store, wave="2026Q1", valid=result.valid, quarantine=result.quarantine,
...                        survey=survey, source_sha256=file_sha256(path), source_name=path)
...     table = load_waves(store, survey=survey)
...     entry = manifest(store)["waves"]["2026Q1"]
>>> first, again, len(table) == len(result.valid), entry["source"]
('written', 'unchanged', True, 'responses_2026Q1.csv')
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq

from toolkit._io import atomic_write, atomic_write_text, private_folder
from toolkit.errors import StoreError
from toolkit.store._files import (
    _CHUNK,
    _MANIFEST,
    _SHA256,
    FORMAT_VERSION,
    _check_valid,
    _check_wave_name,
    _files_match,
    _quarantine_path,
    _read_data,
    _read_manifest,
    _to_arrow,
    _wanted_waves,
    _wave_path,
)
from toolkit.survey import Survey
from toolkit.survey.schema import response_schema

__all__ = [
    "FORMAT_VERSION",
    "check_key",
    "file_sha256",
    "linkage",
    "load_quarantine",
    "load_waves",
    "manifest",
    "store_wave",
]


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hex characters (read in 1 MiB chunks).

    Examples
    --------
    >>> import hashlib
    >>> path = "data/sample/responses_2026Q1.csv"
    >>> from pathlib import Path
    >>> file_sha256(path) == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    True
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_wave(
    store: str | Path,
    *,
    wave: str,
    valid: pd.DataFrame,
    quarantine: pd.DataFrame,
    survey: Survey,
    source_sha256: str,
    source_name: str,
    replace: bool = False,
    rows_read: int | None = None,
    key_fingerprint: str | None = None,
    new_key: bool = False,
    anonymous: bool = False,
    details: dict | None = None,
) -> str:
    """Store one wave: its valid rows, its quarantined rows, and its manifest entry.

    Parameters
    ----------
    store : str or Path
        The store folder; created when missing.
    wave : str
        The wave, like ``2026Q3``.
    valid : DataFrame
        The valid rows in canonical form (``validate(...).valid``): exactly the columns of
        ``survey.columns`` in canonical dtypes, every ``wave`` equal to ``wave``. The index
        is not stored.
    quarantine : DataFrame
        The quarantined rows (``validate(...).quarantine``), with a ``reasons`` column. Every
        value is stored as text, so nothing that failed conversion is lost; the index (the
        row in the source file) is kept.
    survey : Survey
        The survey the wave answers.
    source_sha256 : str
        The export's SHA-256 (:func:`file_sha256`): it tells a re-ingest of the same export
        from a different one.
    source_name : str
        The export's file name; only its base name is stored (no folder, no user name).
    replace : bool, default False
        Replace a wave stored from a different export (the CLI's ``--replace``).
    rows_read : int, optional
        Rows read from the export; when given, it must equal
        ``len(valid) + len(quarantine)``.
    key_fingerprint : str, optional
        :func:`toolkit.privacy.pseudonym.key_fingerprint` of the key that made the pseudonyms (never the
        key). It must be that of the store's current series (:func:`check_key`).
    new_key : bool, default False
        Start a new pseudonym series when ``key_fingerprint`` differs from the current one.
    anonymous : bool, default False
        The wave was ingested without identity (random respondent ids, no key).
    details : dict, optional
        More facts about the wave for its manifest entry (JSON values), such as its window.

    Returns
    -------
    str
        ``"written"`` (a new wave), ``"replaced"`` (a stored wave was rewritten: asked for
        with ``replace``, or its files did not match the manifest and were repaired) or
        ``"unchanged"`` (the same export was already stored: nothing is written, no file is
        touched).

    Raises
    ------
    StoreError
        When the wave is stored from a different export (or survey) and ``replace`` is
        False; when the wave name is not like ``2026Q3``, a valid row belongs to another
        wave, the valid rows are not canonical, the quarantine has no ``reasons``, the row
        counts do not add up, ``source_sha256`` is not a SHA-256, or the store is unusable.
    TypeError
        When ``valid`` or ``quarantine`` is not a DataFrame.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> result = validate(read_canonical("data/sample/responses_2026Q1.csv").head(3), survey)
    >>> args = dict(wave="2026Q1", valid=result.valid, quarantine=result.quarantine, survey=survey,
    ...             source_name="/home/ana/exports/q1.csv")
    >>> with tempfile.TemporaryDirectory() as store:
    ...     first = store_wave(store, source_sha256="a" * 64, **args)
    ...     same = store_wave(store, source_sha256="a" * 64, **args)
    ...     other = store_wave(store, source_sha256="b" * 64, replace=True, **args)
    >>> first, same, other
    ('written', 'unchanged', 'replaced')
    """
    store = Path(store)
    _check_wave_name(wave, store)
    if not isinstance(valid, pd.DataFrame):
        raise TypeError(f"valid must be a pandas DataFrame, got {type(valid).__name__}")
    if not isinstance(quarantine, pd.DataFrame):
        raise TypeError(f"quarantine must be a pandas DataFrame, got {type(quarantine).__name__}")
    if not isinstance(source_sha256, str) or not _SHA256.match(source_sha256):
        raise StoreError(
            f"source_sha256 must be 64 lowercase hex characters (from file_sha256), got {source_sha256!r}",
            store=store,
            wave=wave,
        )
    source = re.split(r"[\\/]", str(source_name))[-1]
    if not source:
        raise StoreError(
            f"source_name must name the export file, got {source_name!r}", store=store, wave=wave
        )
    _check_valid(valid, survey, wave, store)
    if "reasons" not in quarantine.columns:
        raise StoreError(
            "the quarantine has no 'reasons' column; pass validate(...).quarantine", store=store, wave=wave
        )
    n_read = len(valid) + len(quarantine)
    if rows_read is not None and rows_read != n_read:
        raise StoreError(
            f"rows do not add up: {rows_read} read, but {len(valid)} valid + {len(quarantine)} "
            f"quarantined = {n_read}. No row may be dropped silently.",
            store=store,
            wave=wave,
        )

    current = _read_manifest(store, missing_ok=True)
    if anonymous and key_fingerprint is not None:
        raise StoreError("an anonymous wave has no key fingerprint", store=store, wave=wave)
    entry = current["waves"].get(wave)
    same_export = entry is not None and (
        entry.get("source_sha256") == source_sha256
        and entry.get("survey_id") == survey.id
        and entry.get("survey_version") == survey.version
        and bool(entry.get("anonymous", False)) == bool(anonymous)
    )
    if same_export and _files_match(store, wave, entry):
        return "unchanged"
    if entry is not None and not same_export and not replace:
        stored_sha = str(entry.get("source_sha256"))[:12]
        raise StoreError(
            f"the wave is already stored from {entry.get('source')} (sha256 {stored_sha}…, "
            f"survey {entry.get('survey_id')} {entry.get('survey_version')}); this export {source} "
            f"(sha256 {source_sha256[:12]}…, survey {survey.id} {survey.version}) is different. "
            "Pass --replace (replace=True) to replace the stored wave, or check that the export "
            "belongs to this wave.",
            store=store,
            wave=wave,
        )
    if key_fingerprint is not None:
        check_key(store, key_fingerprint, new_key=new_key, _current=current)

    stamp = {
        "wave": wave,
        "source_sha256": source_sha256,
        "survey_id": survey.id,
        "survey_version": survey.version,
    }
    valid_table = _to_arrow(valid, stamp, index=False)
    quarantine_table = _to_arrow(quarantine.astype("str"), stamp, index=True)

    def write_valid(tmp: Path) -> None:
        pq.write_table(valid_table, tmp)
        # the quarantine is renamed into place only once the valid rows are fully written, and
        # the valid rows only once the quarantine is: a failure in either changes neither
        atomic_write(
            _quarantine_path(store, wave), lambda q: pq.write_table(quarantine_table, q), private=True
        )

    private_folder(store)
    atomic_write(_wave_path(store, wave), write_valid, private=True)

    from toolkit import __version__

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    current["waves"][wave] = {
        "survey_id": survey.id,
        "survey_version": survey.version,
        "source": source,
        "source_sha256": source_sha256,
        "rows_read": n_read,
        "rows_stored": len(valid),
        "rows_quarantined": len(quarantine),
        "written_at": now,
        "toolkit_version": __version__,
        "anonymous": bool(anonymous),
        **_series_entry(current, key_fingerprint, wave, now),
        **(details or {}),
    }
    current["waves"] = dict(sorted(current["waves"].items()))
    atomic_write_text(
        store / _MANIFEST, json.dumps(current, indent=2, ensure_ascii=False) + "\n", private=True
    )
    return "written" if entry is None else "replaced"


def check_key(
    store: str | Path, key_fingerprint: str, *, new_key: bool = False, _current: dict | None = None
) -> None:
    """Refuse a key other than the one that pseudonymised the store's waves.

    Pseudonyms made with two keys never match, so a wave ingested with another key would
    silently break every comparison of the same people across waves. The store keeps the
    fingerprint of its current key (never the key); a different key is accepted only with
    ``new_key`` (the CLI's ``--new-key``), which starts a new pseudonym series. A store
    without waves, or with anonymous waves only, accepts any key.

    Parameters
    ----------
    store : str or Path
    key_fingerprint : str
        :func:`toolkit.privacy.pseudonym.key_fingerprint` of the key about to be used.
    new_key : bool, default False
        Accept a different key: a new pseudonym series starts with the next wave written.

    Raises
    ------
    StoreError
        When the fingerprints differ and ``new_key`` is False. The message names the waves
        pseudonymised with the stored key and both fingerprints (never a key).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as store:
    ...     check_key(store, "0123456789abcdef")  # an empty store accepts any key
    """
    current = _current if _current is not None else _read_manifest(Path(store), missing_ok=True)
    stored = current.get("pseudonyms", {}).get("key_fingerprint")
    if stored is None or stored == key_fingerprint or new_key:
        return
    waves = [w for w, e in current["waves"].items() if e.get("key_fingerprint") == stored]
    raise StoreError(
        f"the key differs from the one that pseudonymised the stored waves {', '.join(waves) or '(none)'}: "
        f"{_MANIFEST} holds the key fingerprint {stored}, this key's is {key_fingerprint}. The same "
        "people would get other pseudonyms and no respondent would match across waves. Give the key "
        "used before (--key-file or ONEONONE_KEY), or pass --new-key (new_key=True) to start a new "
        f"pseudonym series on purpose; {_MANIFEST} then records where it starts.",
        store=store,
    )


def _series_entry(current: dict, key_fingerprint: str | None, wave: str, now: str) -> dict:
    """Record the key of a wave (starting a series when it is new) and return its entry fields."""
    if key_fingerprint is None:
        return {}
    pseudonyms = current.setdefault("pseudonyms", {"key_fingerprint": None, "series": []})
    if pseudonyms.get("key_fingerprint") != key_fingerprint:
        series = pseudonyms.setdefault("series", [])
        series.append(
            {
                "series": len(series) + 1,
                "key_fingerprint": key_fingerprint,
                "first_wave": wave,
                "started_at": now,
                "new_key": pseudonyms.get("key_fingerprint") is not None,
            }
        )
        pseudonyms["key_fingerprint"] = key_fingerprint
    return {"key_fingerprint": key_fingerprint, "pseudonym_series": len(pseudonyms["series"])}


def linkage(store: str | Path, waves: Sequence[str] | None = None) -> tuple[bool, str]:
    """Whether the same respondent can be followed across ``waves`` (default: every stored wave).

    Respondents link across waves only when every wave was pseudonymised (not anonymous) and
    with one key (one pseudonym series).

    Returns
    -------
    (bool, str)
        ``(True, "")``, or ``(False, why)`` with a sentence saying why not.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> result = validate(read_canonical("data/sample/responses_2026Q1.csv").head(3), survey)
    >>> with tempfile.TemporaryDirectory() as store:
    ...     _ = store_wave(store, wave="2026Q1", valid=result.valid, quarantine=result.quarantine,
    ...                    survey=survey, source_sha256="a" * 64, source_name="q1.csv", anonymous=True)
    ...     linkage(store)
    (False, 'wave 2026Q1 is anonymous: respondent ids are random and link nobody across waves')
    """
    current = _read_manifest(Path(store))
    wanted = _wanted_waves(current, waves, Path(store))
    entries = {w: current["waves"][w] for w in wanted}
    anonymous = [w for w, e in entries.items() if e.get("anonymous")]
    if anonymous:
        which = f"wave {anonymous[0]} is" if len(anonymous) == 1 else f"waves {', '.join(anonymous)} are"
        return False, f"{which} anonymous: respondent ids are random and link nobody across waves"
    series: dict[int, list[str]] = {}
    for w, e in entries.items():
        if e.get("pseudonym_series") is not None:
            series.setdefault(e["pseudonym_series"], []).append(w)
    if len(series) > 1:
        shown = "; ".join(f"series {k}: {', '.join(ws)}" for k, ws in sorted(series.items()))
        return False, (
            "the waves belong to different pseudonym series (a new key was started on purpose with "
            f"--new-key; {shown}): the same person has another pseudonym in each series"
        )
    return True, ""


def load_waves(
    store: str | Path, waves: str | Sequence[str] | None = None, *, survey: Survey | None = None
) -> pd.DataFrame:
    """The canonical response table of one or more stored waves.

    Parameters
    ----------
    store : str or Path
        The store folder.
    waves : str or sequence of str, optional
        The waves to load; all stored waves when None. Rows come in wave order (then in
        stored order), whatever the order asked for; a wave asked for twice is loaded once.
    survey : Survey, optional
        When given, every wave must have been stored for this survey (same id), and the
        result is checked against :func:`toolkit.response_schema` (slower on large tables).

    Returns
    -------
    DataFrame
        The canonical columns, with a fresh ``RangeIndex``. Categorical columns keep every
        answer code as a category, chosen or not.

    Raises
    ------
    StoreError
        When the store is missing or empty, a wave is not stored (the message lists those
        that are), a file is missing or does not match the manifest, the waves have
        different columns, or the table does not fit ``survey``.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> q1 = validate(read_canonical("data/sample/responses_2026Q1.csv").head(4), survey).valid
    >>> q2 = q1.assign(wave="2026Q2")
    >>> with tempfile.TemporaryDirectory() as store:
    ...     for wave, table in (("2026Q2", q2), ("2026Q1", q1)):
    ...         _ = store_wave(store, wave=wave, valid=table, quarantine=q1.iloc[:0].assign(reasons=""),
    ...                        survey=survey, source_sha256=wave[-1] * 64, source_name=f"{wave}.csv")
    ...     both = load_waves(store)
    ...     only = load_waves(store, "2026Q2", survey=survey)
    >>> both["wave"].tolist(), len(only)
    (['2026Q1', '2026Q1', '2026Q1', '2026Q1', '2026Q2', '2026Q2', '2026Q2', '2026Q2'], 4)
    """
    store = Path(store)
    current = _read_manifest(store)
    wanted = _wanted_waves(current, waves, store)
    if survey is not None:
        for wave in wanted:
            stored_id = current["waves"][wave].get("survey_id")
            if stored_id != survey.id:
                raise StoreError(
                    f"the wave was stored for survey {stored_id!r}, not {survey.id!r}; load it with its "
                    "own survey, or without one",
                    store=store,
                    wave=wave,
                )
    frames = [_read_data(_wave_path(store, w), current["waves"][w], store, w, index=False) for w in wanted]
    first = frames[0]
    for wave, frame in zip(wanted[1:], frames[1:], strict=True):
        if list(frame.columns) != list(first.columns) or not frame.dtypes.equals(first.dtypes):
            raise StoreError(
                f"the wave's columns or answer codes differ from those of wave {wanted[0]} (survey "
                f"versions {current['waves'][wanted[0]].get('survey_version')} and "
                f"{current['waves'][wave].get('survey_version')}); load these waves separately",
                store=store,
                wave=wave,
            )
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else first.reset_index(drop=True)
    if survey is not None:
        try:
            response_schema(survey).validate(table, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            shown = "; ".join(
                f"{c.column}: {c.check} ({c.failure_case})" for c in cases.head(5).itertuples(index=False)
            )
            raise StoreError(
                f"the stored table does not fit survey {survey.id} {survey.version}: {len(cases)} "
                f"failures, e.g. {shown}",
                store=store,
            ) from None
    return table


def load_quarantine(store: str | Path, wave: str) -> pd.DataFrame:
    """The quarantined rows of a stored wave.

    Returns
    -------
    DataFrame
        Indexed as the quarantine given to :func:`store_wave` was (the row in the source
        file), every column as text (``str``, missing values missing), with ``reasons``.

    Raises
    ------
    StoreError
        When the store is missing, the wave is not stored, or its file is missing or does
        not match the manifest.

    Examples
    --------
    >>> import tempfile
    >>> from toolkit import load_survey, read_canonical, validate
    >>> survey = load_survey("surveys/one_on_one_pulse.yaml")
    >>> table = read_canonical("data/sample/responses_2026Q1.csv").head(3)
    >>> result = validate(table.assign(duration_s=["120", "soon", "-5"]), survey)
    >>> with tempfile.TemporaryDirectory() as store:
    ...     _ = store_wave(store, wave="2026Q1", valid=result.valid, quarantine=result.quarantine,
    ...                    survey=survey, source_sha256="c" * 64, source_name="q1.csv")
    ...     bad = load_quarantine(store, "2026Q1")
    >>> bad["reasons"].tolist()
    ['duration_s: dtype (soon)', 'duration_s: non_negative (-5)']
    >>> bad.index.tolist()
    [3, 4]
    """
    if not isinstance(wave, str):
        raise TypeError(f"wave must be one wave name like 2026Q3, got {type(wave).__name__}")
    store = Path(store)
    current = _read_manifest(store)
    (name,) = _wanted_waves(current, wave, store)
    return _read_data(_quarantine_path(store, name), current["waves"][name], store, name, index=True)


def manifest(store: str | Path) -> dict:
    """The store's manifest, as a dict (a fresh copy of ``manifest.json``).

    ``{"format_version": 1, "waves": {wave: entry}}``, waves in order; the entry keys are
    listed in the module documentation. To see it as a table:
    ``pd.DataFrame.from_dict(manifest(store)["waves"], orient="index")``.

    Raises
    ------
    StoreError
        When the folder holds no manifest, or the manifest is unreadable or of another
        format version.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as store:
    ...     manifest(store)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.StoreError: store ...: no manifest.json: this is not a wave store, or no wave is stored yet
    """
    return _read_manifest(Path(store))
