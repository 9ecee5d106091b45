"""Atomic writes leave the old file whole when writing fails."""

from __future__ import annotations

import pytest

from toolkit._io import atomic_write, atomic_write_text


def test_failed_write_keeps_the_old_content_and_leaves_no_temp_file(tmp_path):
    target = atomic_write_text(tmp_path / "sub" / "out.txt", "old")

    def explode(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, explode)
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_written_files_follow_the_umask_not_private_temp_file_modes(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "shared.txt", "x")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
