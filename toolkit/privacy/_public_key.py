"""The synthetic sample's pseudonym key is public: it is refused for any data but the sample's.

The sample organisation in ``data/sample/`` is synthetic, so its key
(:func:`toolkit.simulate.pseudonym_key` of its seed, 2026) is derived from a number printed in the
README: anyone can compute it, and with it the pseudonym of any employee id. A real export
pseudonymised with it would be as good as not pseudonymised. So every ingest with this key checks
that the file is one of the sample's, and refuses anything else.

The sample is recognised by **content**, not by path: a file counts as the sample's when the
SHA-256 of its bytes (with CRLF line ends read as LF, so that a checkout that converts line ends
still matches) is one of :data:`SAMPLE_FILES`. A path says nothing about what a file holds: a real
export saved into ``data/sample/`` must still be refused, and a copy of the sample elsewhere (a
test's temporary folder, ``oneonone simulate --seed 2026``, which writes it byte for byte) is
still the sample. A changed sample file is other data (a test that edits one uses its own key).
``tests/test_public_key.py`` checks that the list matches ``data/sample/`` (``make sample``
regenerates it byte for byte, so the list changes only when the simulator does).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from toolkit.errors import SecretKeyError

__all__ = ["SAMPLE_FILES", "SAMPLE_SEED", "check_public_key", "is_sample_file", "sample_key"]

#: The seed of the sample organisation in ``data/sample/`` (its key is derived from it).
SAMPLE_SEED = 2026
#: SHA-256 of every file of ``data/sample/`` that can be ingested (CRLF read as LF).
SAMPLE_FILES = {
    "exports/google_forms_2026Q1.csv": "c466859ed48b7bca9007ed691146328fe8f5f329de933d67e93ee192d9389797",
    "exports/google_forms_2026Q2.csv": "80e56e0750eca660cb3666ecb4e9111de045aa772dd332143e672b4ca800da3d",
    "exports/google_forms_2026Q3.csv": "062b0b1a4d493a71376f426025898dd7e0a59e2d7c2cb3cd83e7387e7dce48cd",
    "exports/google_forms_2026Q4.csv": "3b546f72d9db4fc3286889c0f0576cca36c3845ed868d7e8c2ad9a1e8b061647",
    "exports/qualtrics_2026Q1.csv": "a85cd108304b814668f67a41501ffa215c6984f63c36c5e9044c5d955fb17165",
    "exports/qualtrics_2026Q2.csv": "8477ae5be70bf0396b063f546809c0b21e3451463c42b8f4dd737a61a5acc60a",
    "exports/qualtrics_2026Q3.csv": "8dfcdff244e29e4e3a25c6e7ca687c353ed631abc7d08c98678c68d9e2ce391a",
    "exports/qualtrics_2026Q4.csv": "482322a2b09ebd78ff5f74a1815cf5a2ef32545f3006570d9b29ea52b8b4e705",
    "responses_2026Q1.csv": "706d6312980d36da4cd5313e232c0df709825eef3606d21f023f64146dfb59c4",
    "responses_2026Q2.csv": "bf8444f57b9e194c1c0e3a96b22077df90b9713f6ac3ca9a203f656e920fbe4f",
    "responses_2026Q3.csv": "21ca8919145d8c7bfa631a23fad171487bea59bbb0e7d31ea588e850be4df2f9",
    "responses_2026Q4.csv": "2ff4aaa5869e9ba755d7d2744171efcb31ce18f9397301aeb0ae83ad5931cead",
}
_DIGESTS = frozenset(SAMPLE_FILES.values())
_LARGEST = 1 << 20  # the sample's files are a few hundred kB: a larger file is not one of them


def sample_key() -> bytes:
    """The sample's public key, :func:`toolkit.simulate.pseudonym_key` of :data:`SAMPLE_SEED`."""
    from toolkit.simulate import pseudonym_key

    return pseudonym_key(SAMPLE_SEED)


def content_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes with CRLF read as LF; None for a missing or large file."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > _LARGEST:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def is_sample_file(path: str | Path) -> bool:
    """Whether a file is one of the sample's (by content, see the module documentation).

    Examples
    --------
    >>> is_sample_file("data/sample/exports/qualtrics_2026Q1.csv"), is_sample_file("README.md")
    (True, False)
    """
    return content_sha256(path) in _DIGESTS


def check_public_key(key: bytes, path: str | Path) -> None:
    """Refuse to pseudonymise ``path`` with the sample's public key unless it is a sample file.

    Raises
    ------
    SecretKeyError
        When ``key`` is the sample's key and the file is not one of the sample's. The message
        says how to give a secret key; it never contains one.

    Examples
    --------
    >>> check_public_key(sample_key(), "data/sample/exports/google_forms_2026Q3.csv")
    >>> check_public_key(sample_key(), "README.md")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.SecretKeyError: README.md is not the synthetic sample's data, and the key given is ...
    """
    if key != sample_key() or is_sample_file(path):
        return
    raise SecretKeyError(
        f"{path} is not the synthetic sample's data, and the key given is the sample's public key "
        f"(toolkit.simulate.pseudonym_key({SAMPLE_SEED}), which anyone can compute): pseudonyms made with "
        "it could be reversed by anyone with a list of employee ids. Give your own secret key in a key "
        "file (--key-file FILE; in a notebook, KEY = the file's path) or in the environment variable "
        'ONEONONE_KEY (in a notebook, KEY = "env"). Make one with: python -c "import secrets; '
        'print(secrets.token_hex(32))" and keep it outside the data folder.'
    )
