"""Pseudonyms: HMAC-SHA256 of the normalised employee id, and where the key comes from."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import SecretKeyError
from toolkit.privacy.pseudonym import ENV_VAR, check_key_location, load_key, pseudonymise

KEY = b"5f2b7c0e9a1d4e6f8b3c2a1d0e9f8a7b"
OTHER_KEY = b"0123456789abcdef0123456789abcdef"
FORMAT = re.compile(r"^p_[0-9a-f]{24}$")


def reference(employee_id: object, key: bytes = KEY) -> str:
    """The definition, with the standard library only."""
    norm = str(employee_id).strip().casefold()
    return "p_" + hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()[:24]


# --------------------------------------------------------------------------- pseudonymise


def test_equals_hmac_new_exactly():
    ids = ["E001", "e002", "ab-12/x", "Zoë", "李雷", "x" * 100, "0"]
    got = pseudonymise(pd.Series(ids), KEY)
    assert got.tolist() == [reference(i) for i in ids]
    assert all(FORMAT.match(p) for p in got)


def test_long_key_is_hashed_first_as_rfc_2104_says():
    key = bytes(range(100))
    assert pseudonymise(pd.Series(["E001"]), key).iloc[0] == reference("E001", key)


def test_same_person_same_pseudonym_in_every_wave():
    wave1 = pd.Series(["E001", "E002", "E003"], index=[10, 11, 12])
    wave2 = pd.Series(["E003", "E004", "E001", "E001"], index=["a", "b", "c", "d"])
    p1 = dict(zip(wave1, pseudonymise(wave1, KEY), strict=True))
    p2 = dict(zip(wave2, pseudonymise(wave2, KEY), strict=True))
    assert p1["E001"] == p2["E001"]
    assert p1["E003"] == p2["E003"]
    assert pseudonymise(wave1, KEY).equals(pseudonymise(wave1, KEY))


def test_different_keys_give_different_pseudonyms():
    ids = pd.Series([f"E{i:03d}" for i in range(50)])
    a, b = pseudonymise(ids, KEY), pseudonymise(ids, OTHER_KEY)
    assert not (a == b).any()


def test_the_pseudonym_is_not_a_plain_hash_of_the_id_or_email():
    for value in ["E001", "e001", "ana.lopez@example.com"]:
        hexed = pseudonymise(pd.Series([value]), KEY).iloc[0].removeprefix("p_")
        for plain in (hashlib.sha256, hashlib.md5, hashlib.sha1):
            for text in (value, value.casefold()):
                assert not plain(text.encode()).hexdigest().startswith(hexed)
                assert hexed not in plain(text.encode()).hexdigest()


def test_missing_and_blank_ids_stay_missing_with_index_name_and_dtype_kept():
    ids = pd.Series(["E001", None, np.nan, "", "   ", "E002"], index=list("abcdef"), name="employee_id")
    got = pseudonymise(ids, KEY)
    assert str(got.dtype) == "str"
    assert got.index.equals(ids.index)
    assert got.name == "employee_id"
    assert got.isna().tolist() == [False, True, True, True, True, False]
    assert got["f"] == reference("E002")
    nullable = pd.Series(["E001", pd.NA], dtype="string")
    assert pseudonymise(nullable, KEY).isna().tolist() == [False, True]


def test_normalisation_strips_and_casefolds():
    same = pd.Series(["E001", " e001 ", "e001\t", "\nE001", "e001"])
    assert pseudonymise(same, KEY).nunique() == 1
    assert pseudonymise(pd.Series(["Straße", "STRASSE", " strasse"]), KEY).nunique() == 1
    assert pseudonymise(pd.Series(["\u00a0Émile\u2003", "ÉMILE"]), KEY).nunique() == 1
    assert pseudonymise(pd.Series(["E001", "E0001", "E01"]), KEY).nunique() == 3


def test_numeric_ids_whole_floats_as_integers():
    ints = pseudonymise(pd.Series([1001, 1002]), KEY)
    floats = pseudonymise(pd.Series([1001.0, np.nan, 1002.0]), KEY)
    text = pseudonymise(pd.Series(["1001", "1002"]), KEY)
    assert ints.tolist() == text.tolist() == [floats[0], floats[2]]
    assert floats.isna().tolist() == [False, True, False]
    assert pseudonymise(pd.Series([1.5]), KEY).iloc[0] == reference("1.5")
    assert pseudonymise(pd.Series([7], dtype="Int64"), KEY).iloc[0] == reference("7")


def test_repeated_ids_map_back_in_order():
    rng = np.random.default_rng(3)
    ids = pd.Series(rng.choice([f"E{i}" for i in range(20)], size=500))
    got = pseudonymise(ids, KEY)
    assert got.tolist() == [reference(i) for i in ids]


def test_input_is_not_changed():
    ids = pd.Series([" E001 ", None, "E002"], index=[3, 1, 2], name="id")
    before = ids.copy()
    pseudonymise(ids, KEY)
    pd.testing.assert_series_equal(ids, before)


def test_empty_series():
    got = pseudonymise(pd.Series([], dtype="str"), KEY)
    assert len(got) == 0
    assert str(got.dtype) == "str"


def test_wrong_argument_types():
    with pytest.raises(TypeError, match="ids must be a pandas Series, got list"):
        pseudonymise(["E001"], KEY)
    with pytest.raises(TypeError, match="key must be bytes"):
        pseudonymise(pd.Series(["E001"]), KEY.decode())


def test_short_or_empty_key_refused_without_echo():
    with pytest.raises(SecretKeyError, match="at least 16 are needed") as info:
        pseudonymise(pd.Series(["E001"]), b"tiny-secret")
    assert "tiny-secret" not in str(info.value)
    with pytest.raises(SecretKeyError, match="is empty"):
        pseudonymise(pd.Series(["E001"]), b"")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), max_size=40))
def test_property_format_no_collisions_and_reference(ids):
    got = pseudonymise(pd.Series(ids, dtype="str"), KEY)
    norm = [i.strip().casefold() for i in ids]
    expected = [reference(i) if n else None for i, n in zip(ids, norm, strict=True)]
    assert [None if pd.isna(p) else p for p in got] == expected
    present = got.dropna()
    assert present.str.fullmatch(FORMAT.pattern).all()
    # distinct people (distinct normalised ids) never share a pseudonym
    people = {n: p for n, p in zip(norm, got, strict=True) if n}
    assert len(set(people.values())) == len(people)


# whitespace and letters whose case folding differs between ASCII, Arrow and Python
_TRICKY = " \t\n\r\x0b\x0c\x1c\x1f\x85\u00a0\u2003aAeE1ßẞİıΣσςÉé"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=_TRICKY, max_size=6), max_size=30))
def test_property_normalisation_is_exactly_pythons(ids):
    got = pseudonymise(pd.Series(ids, dtype="str"), KEY)
    expected = [reference(i) if i.strip().casefold() else None for i in ids]
    assert [None if pd.isna(p) else p for p in got] == expected


# --------------------------------------------------------------------------- load_key


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_key_from_environment(monkeypatch):
    assert load_key(env={ENV_VAR: f"  {OTHER_KEY.decode()}\n"}) == OTHER_KEY
    monkeypatch.setenv(ENV_VAR, KEY.decode())
    assert load_key() == KEY


def test_key_file_is_stripped_and_takes_precedence(tmp_path):
    path = _write(tmp_path / "k.key", b"\n  " + KEY + b"\n")
    assert load_key(key_file=path, env={ENV_VAR: OTHER_KEY.decode()}) == KEY
    assert load_key(key_file=str(path), env={}) == KEY


def test_no_key_says_how_to_provide_and_make_one(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(
        SecretKeyError, match="neither a key file nor the environment variable ONEONONE_KEY"
    ) as info:
        load_key()
    message = str(info.value)
    assert "--key-file FILE" in message
    assert "export ONEONONE_KEY=..." in message
    assert 'python -c "import secrets; print(secrets.token_hex(32))"' in message


def test_missing_key_file(tmp_path):
    with pytest.raises(SecretKeyError, match=r"key file .*nokey\.txt not found\. Give the key"):
        load_key(key_file=tmp_path / "nokey.txt", env={ENV_VAR: KEY.decode()})


def test_key_file_that_is_a_folder(tmp_path):
    with pytest.raises(SecretKeyError, match="is not a file"):
        load_key(key_file=tmp_path)


def test_empty_key_file(tmp_path):
    with pytest.raises(SecretKeyError, match=r"key file .*empty\.key is empty"):
        load_key(key_file=_write(tmp_path / "empty.key", b"  \n"))


def test_short_key_file_never_echoed(tmp_path):
    with pytest.raises(SecretKeyError, match="holds a key of 9 bytes; at least 16") as info:
        load_key(key_file=_write(tmp_path / "short.key", b"s3cr3t-xy\n"))
    assert "s3cr3t" not in str(info.value)


def test_unreadable_key_file(tmp_path, monkeypatch):
    path = _write(tmp_path / "locked.key", KEY)

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(SecretKeyError, match=r"cannot be read \(Permission denied\)"):
        load_key(key_file=path)


def test_short_or_empty_environment_key_never_echoed():
    with pytest.raises(SecretKeyError, match="environment variable ONEONONE_KEY holds a key of 8") as info:
        load_key(env={ENV_VAR: "hunter22"})
    assert "hunter22" not in str(info.value)
    with pytest.raises(SecretKeyError, match="environment variable ONEONONE_KEY is empty"):
        load_key(env={ENV_VAR: "   "})


def test_no_key_material_in_any_message(tmp_path):
    secret = "Sup3rS3cretButShort"[:15]
    paths = [_write(tmp_path / "a.key", secret.encode()), _write(tmp_path / "b.key", b"")]
    calls = [lambda p=p: load_key(key_file=p) for p in paths]
    calls += [lambda: load_key(env={ENV_VAR: secret}), lambda: load_key(env={})]
    calls += [lambda: pseudonymise(pd.Series(["E1"]), secret.encode())]
    for call in calls:
        with pytest.raises(SecretKeyError) as info:
            call()
        assert secret not in str(info.value)
        assert secret[:8] not in str(info.value)


# --------------------------------------------------------------------------- check_key_location


def test_key_outside_the_store_is_accepted(tmp_path):
    (tmp_path / "store").mkdir()
    key = _write(tmp_path / "k.key", KEY)
    assert check_key_location(key, tmp_path / "store") is None
    # a sibling folder whose name starts like the store's is outside it
    (tmp_path / "store2").mkdir()
    assert check_key_location(_write(tmp_path / "store2" / "k.key", KEY), tmp_path / "store") is None


def test_key_inside_the_store_is_refused(tmp_path):
    store = tmp_path / "store"
    (store / "waves").mkdir(parents=True)
    for inside in (store / "k.key", store / "waves" / "k.key"):
        _write(inside, KEY)
        with pytest.raises(SecretKeyError, match=r"is inside the store .*never be stored beside the data"):
            check_key_location(inside, store)


def test_key_reached_through_a_link_into_the_store_is_refused(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    target = _write(store / "k.key", KEY)
    link = tmp_path / "link.key"
    link.symlink_to(target)
    with pytest.raises(SecretKeyError, match="is inside the store"):
        check_key_location(link, store)


def test_relative_paths_are_compared_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("store").mkdir()
    _write(Path("store") / "k.key", KEY)
    with pytest.raises(SecretKeyError, match="is inside the store"):
        check_key_location("store/../store/k.key", tmp_path / "store")
