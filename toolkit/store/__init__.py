"""The wave store: one Parquet file per wave and its quarantine, and a manifest (:mod:`toolkit.store.waves`).

Files are private to their owner and written atomically; the manifest keeps each wave's counts,
the export's SHA-256 and the key fingerprint of its pseudonym series.
"""

from toolkit.store.waves import (
    FORMAT_VERSION,
    check_key,
    file_sha256,
    linkage,
    load_quarantine,
    load_waves,
    manifest,
    store_wave,
)

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
