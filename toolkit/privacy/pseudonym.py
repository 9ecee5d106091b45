"""Pseudonyms for respondents: a keyed hash (HMAC-SHA256) of the employee id.

A respondent's pseudonym is ``"p_"`` followed by the first 24 hexadecimal characters (96 bits)
of HMAC-SHA256 (RFC 2104) of the *normalised* employee id under a secret key:

.. math:: \\mathrm{pseudonym}(id) = \\texttt{p\\_} \\Vert \\mathrm{hex}\\big(
          \\mathrm{HMAC\\text{-}SHA256}(K, \\mathrm{utf8}(\\mathrm{norm}(id)))\\big)_{1..24}

where ``norm(id) = str(id).strip().casefold()``: employee ids ``"E001"`` and ``" e001 "`` are the
same person. Whole-number floats (``1001.0``, as a CSV column with gaps is often read) are written
as integers first, so ``1001`` and ``1001.0`` are the same person too. An id that is missing, or
empty after stripping, has no pseudonym (it stays missing).

The same key gives the same person the same pseudonym in every wave, so waves can be joined; a
different key gives unrelated pseudonyms (use a fresh key for each research release). A plain hash
of an id or an email is never used: anyone with the company directory can hash every address and
reverse it. The key is given by the user, in a key file (``--key-file``) or the environment
variable :data:`ENV_VAR`, and must never be stored beside the data (:func:`check_key_location`).

The result is checked against the standard library: for every id, the pseudonym equals
``"p_" + hmac.new(key, norm(id).encode("utf-8"), hashlib.sha256).hexdigest()[:24]``. It is
computed once per distinct id, from precomputed inner and outer SHA-256 states: about 1 s for
1,000,000 distinct ids, half the time of calling :func:`hmac.new` per id, and a fraction of it
when ids repeat (``bench/bench_pseudonym.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import SecretKeyError

__all__ = [
    "ENV_VAR",
    "MIN_KEY_BYTES",
    "check_key_location",
    "key_fingerprint",
    "load_key",
    "normalise_ids",
    "pseudonymise",
]

#: The environment variable that holds the secret key when no key file is given.
ENV_VAR = "ONEONONE_KEY"
#: The shortest key accepted, in bytes (after stripping surrounding whitespace).
MIN_KEY_BYTES = 16
#: Hexadecimal characters of the HMAC kept in a pseudonym (96 bits).
_HEX_CHARS = 24
_PREFIX = b"p_"
_BLOCK = 64  # SHA-256 block size in bytes
_HOW_TO = (
    f"Give the key with --key-file FILE (a file outside the data folder) or set the environment "
    f'variable: export {ENV_VAR}=... . Make a key once with: python -c "import secrets; '
    f'print(secrets.token_hex(32))" and keep it with the people-analytics secrets, never beside '
    f"the data; the same key must be used for every wave."
)
#: The constant whose keyed hash is a key's fingerprint.
_FINGERPRINT_MESSAGE = b"oneonone key fingerprint v1"
# what str.strip() removes from an ASCII string (str.isspace() of the ASCII characters)
_ASCII_SPACE = "".join(chr(c) for c in range(128) if chr(c).isspace())


def load_key(*, key_file: str | Path | None = None, env: Mapping[str, str] | None = None) -> bytes:
    """The secret key for pseudonyms, from a key file or the environment.

    Parameters
    ----------
    key_file : str or Path, optional
        A file whose content (surrounding whitespace stripped) is the key. It takes precedence
        over the environment variable.
    env : mapping, optional
        Where to look up :data:`ENV_VAR` (``ONEONONE_KEY``) when no key file is given;
        ``os.environ`` by default.

    Returns
    -------
    bytes
        The key as UTF-8 bytes, at least :data:`MIN_KEY_BYTES` (16) long.

    Raises
    ------
    SecretKeyError
        When there is no key, the key file is missing, unreadable or empty, or the key is
        shorter than 16 bytes. The message says how to provide and make a key; it never
        contains key material.

    Examples
    --------
    >>> load_key(env={"ONEONONE_KEY": "0123456789abcdef0123456789abcdef"})
    b'0123456789abcdef0123456789abcdef'
    >>> load_key(env={})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.SecretKeyError: no secret key for pseudonyms: ...
    """
    if key_file is not None:
        path = Path(key_file).expanduser()
        if not path.exists():
            raise SecretKeyError(f"key file {path} not found. {_HOW_TO}")
        if not path.is_file():
            raise SecretKeyError(f"key file {path} is not a file. {_HOW_TO}")
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise SecretKeyError(f"key file {path} cannot be read ({exc.strerror}). {_HOW_TO}") from None
        return _checked(key, f"key file {path}")
    environ = os.environ if env is None else env
    value = environ.get(ENV_VAR)
    if value is None:
        raise SecretKeyError(
            f"no secret key for pseudonyms: neither a key file nor the environment variable "
            f"{ENV_VAR} was given. {_HOW_TO}"
        )
    return _checked(value.strip().encode("utf-8"), f"environment variable {ENV_VAR}")


def _checked(key: bytes, where: str) -> bytes:
    if not key:
        raise SecretKeyError(f"{where} is empty. {_HOW_TO}")
    if len(key) < MIN_KEY_BYTES:
        raise SecretKeyError(
            f"{where} holds a key of {len(key)} bytes; at least {MIN_KEY_BYTES} are needed. {_HOW_TO}"
        )
    return key


def check_key_location(key_file: str | Path, store_dir: str | Path) -> None:
    """Refuse a key file that lies inside the store folder.

    Whoever can read the stored data must not also find the key there: with the key, every
    employee id in the directory can be hashed and the pseudonyms reversed. Symbolic links
    are resolved before comparing.

    Parameters
    ----------
    key_file : str or Path
        The key file.
    store_dir : str or Path
        The wave store folder (it need not exist yet).

    Raises
    ------
    SecretKeyError
        When ``key_file`` is inside ``store_dir``.

    Examples
    --------
    >>> check_key_location("/secrets/oneonone.key", "/data/store")
    >>> check_key_location("/data/store/oneonone.key", "/data/store")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.SecretKeyError: key file /data/store/oneonone.key is inside the store ...
    """
    key_path = Path(key_file).expanduser().resolve()
    store_path = Path(store_dir).expanduser().resolve()
    if key_path.is_relative_to(store_path):
        raise SecretKeyError(
            f"key file {key_file} is inside the store {store_dir}: the key must never be stored beside "
            "the data. Move it outside the store folder (and outside any folder that is shared or "
            "backed up with the data) and pass its new path with --key-file."
        )


def key_fingerprint(key: bytes) -> str:
    """A key's fingerprint: 16 hex characters of HMAC-SHA256 of a constant under the key.

    The wave store keeps it to tell whether a later wave is pseudonymised with the same key
    (:func:`toolkit.store.check_key`), without keeping the key. It cannot be turned back into
    the key, nor used to compute a pseudonym; it only confirms a guessed key, which a key made
    with ``secrets.token_hex(32)`` makes hopeless.

    Examples
    --------
    >>> key_fingerprint(b"0123456789abcdef0123456789abcdef")
    '301d00f5ff5a5f45'
    >>> key_fingerprint(b"0123456789abcdef0123456789abcdeX")
    '88f4983d432ec8ba'
    """
    if not isinstance(key, bytes):
        raise TypeError(f"key must be bytes (from load_key), got {type(key).__name__}")
    _checked(key, "the key")
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def pseudonymise(ids: pd.Series, key: bytes) -> pd.Series:
    """Pseudonyms of employee ids: ``"p_"`` + 24 hex characters of HMAC-SHA256(key, id).

    Parameters
    ----------
    ids : Series
        Employee ids (from the roster join or the platform's external reference), of any
        dtype; they are normalised as ``str(id).strip().casefold()`` (see the module
        documentation). The input is not changed.
    key : bytes
        The secret key, from :func:`load_key`.

    Returns
    -------
    Series
        Of dtype ``str``, with the index and name of ``ids``; missing (or blank) ids stay
        missing.

    Raises
    ------
    TypeError
        When ``ids`` is not a Series or ``key`` is not bytes.
    SecretKeyError
        When the key is shorter than 16 bytes.

    Examples
    --------
    >>> import hashlib, hmac
    >>> key = b"0123456789abcdef0123456789abcdef"
    >>> p = pseudonymise(pd.Series(["E001", " e001 ", None]), key)
    >>> p.tolist()
    ['p_3d19a7b69196f1a198eb2270', 'p_3d19a7b69196f1a198eb2270', nan]
    >>> p[0] == "p_" + hmac.new(key, b"e001", hashlib.sha256).hexdigest()[:24]
    True
    """
    if not isinstance(ids, pd.Series):
        raise TypeError(f"ids must be a pandas Series, got {type(ids).__name__}")
    if not isinstance(key, bytes):
        raise TypeError(f"key must be bytes (from load_key), got {type(key).__name__}")
    _checked(key, "the key")
    normalised = _normalise(_as_text(ids))
    encoded = pc.dictionary_encode(normalised)
    distinct = encoded.dictionary.cast(pa.binary()).to_pylist()
    hashed = _pseudonyms(_hmac_digests(key, distinct))
    out = hashed.take(encoded.indices)
    return pd.Series(pd.array(out, dtype="str"), index=ids.index, name=ids.name)


def normalise_ids(ids: pd.Series) -> pd.Series:
    """Employee ids as :func:`pseudonymise` reads them: ``str(id).strip().casefold()``.

    Blank ids become missing; whole-number floats (ids read from a column with gaps) lose
    their ``.0``. Joining a roster on these keys matches exactly the ids that get the same
    pseudonym.

    Examples
    --------
    >>> normalise_ids(pd.Series([" E001 ", "", None])).tolist()
    ['e001', nan, nan]
    >>> normalise_ids(pd.Series([1002.0, None])).tolist()
    ['1002', nan]
    """
    if not isinstance(ids, pd.Series):
        raise TypeError(f"ids must be a pandas Series, got {type(ids).__name__}")
    return pd.Series(pd.array(_normalise(_as_text(ids)), dtype="str"), index=ids.index, name=ids.name)


def _as_text(ids: pd.Series) -> pa.Array:
    """The ids as an Arrow string array (missing stays missing)."""
    if pd.api.types.is_float_dtype(ids.dtype):
        num = ids.astype("Float64")
        if bool((num.dropna() % 1 == 0).all()):
            ids = num.astype("Int64")
    text = ids if isinstance(ids.dtype, pd.StringDtype) else ids.astype("str")
    arr = pa.array(text.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _normalise(text: pa.Array) -> pa.Array:
    """``str.strip().casefold()`` of every id; blank ids become missing.

    ASCII ids (nearly all) are normalised by Arrow: for them Python's ``strip`` removes
    exactly the characters in ``_ASCII_SPACE`` and ``casefold`` is ``lower``. Other ids are
    normalised by Python itself, so the result is always exactly Python's.
    """
    out = pc.ascii_lower(pc.utf8_trim(text, characters=_ASCII_SPACE))
    ascii_only = pc.fill_null(pc.string_is_ascii(text), True)
    if not pc.all(ascii_only).as_py():
        other = pc.invert(ascii_only)
        values = [v.strip().casefold() for v in text.filter(other).to_pylist()]
        out = pc.replace_with_mask(out, other, pa.array(values, type=out.type))
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, out.type), out)


def _hmac_digests(key: bytes, messages: list[bytes]) -> bytes:
    """HMAC-SHA256 (RFC 2104) of every message, concatenated (32 bytes each).

    The key's inner and outer pad states are hashed once and copied per message, which
    saves hashing two 64-byte blocks per message compared with ``hmac.new``. The standard library's
    own reuse, one ``hmac.new(key, digestmod=sha256)`` template and ``.copy()`` per message, gives the
    same bytes 1.7 times slower (0.73 s against 1.27 s for a million ids, ``bench/bench_pseudonym.py``).
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner_copy = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer_copy = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy
    digests = []
    append = digests.append
    for message in messages:
        inner = inner_copy()
        inner.update(message)
        outer = outer_copy()
        outer.update(inner.digest())
        append(outer.digest())
    return b"".join(digests)


def _pseudonyms(digests: bytes) -> pa.LargeStringArray:
    """``"p_"`` + the first 24 hex characters of each 32-byte digest, as an Arrow array."""
    kept = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 32)[:, : _HEX_CHARS // 2]
    hexed = np.frombuffer(kept.tobytes().hex().encode("ascii"), dtype=np.uint8)
    n, width = kept.shape[0], len(_PREFIX) + _HEX_CHARS
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, : len(_PREFIX)] = np.frombuffer(_PREFIX, dtype=np.uint8)
    buf[:, len(_PREFIX) :] = hexed.reshape(n, _HEX_CHARS)
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))
