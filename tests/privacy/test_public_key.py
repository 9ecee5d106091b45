"""The sample's public key: the list of the sample's files matches data/sample, and nothing else passes."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE
from toolkit.errors import SecretKeyError
from toolkit.privacy._public_key import (
    SAMPLE_FILES,
    check_public_key,
    content_sha256,
    is_sample_file,
    sample_key,
)
from toolkit.simulate import pseudonym_key


def test_the_list_of_sample_files_is_the_sample():
    found = {
        p.relative_to(SAMPLE).as_posix(): content_sha256(p)
        for p in [*SAMPLE.glob("exports/*"), *SAMPLE.glob("responses_*.csv")]
    }
    assert found == SAMPLE_FILES, (
        "data/sample changed (make sample): update toolkit.privacy._public_key.SAMPLE_FILES"
    )


def test_the_sample_is_recognised_by_content_not_by_path(tmp_path):
    copy = tmp_path / "anything.csv"
    original = (SAMPLE / "exports" / "google_forms_2026Q1.csv").read_bytes()
    copy.write_bytes(original)
    assert is_sample_file(copy)
    copy.write_bytes(original.replace(b"\r\n", b"\n"))  # a checkout that converted the line ends
    assert is_sample_file(copy)
    copy.write_bytes(original + b"\r\n")
    assert not is_sample_file(copy)
    assert sample_key() == pseudonym_key(2026)


def test_other_keys_are_never_refused_and_the_sample_key_only_for_other_data(tmp_path):
    other = tmp_path / "real.csv"
    other.write_text("x\n", encoding="utf-8")
    check_public_key(b"my own secret key, 32 bytes long!", other)
    check_public_key(sample_key(), SAMPLE / "responses_2026Q3.csv")
    with pytest.raises(SecretKeyError, match=r"real\.csv is not the synthetic sample's data") as info:
        check_public_key(sample_key(), other)
    assert sample_key().decode() not in str(info.value)
