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


def test_store_files_are_private_whatever_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "store" / "waves" / "2026Q1.txt", "x", private=True)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "store" / "waves").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "store").stat().st_mode & 0o777 == 0o700


def test_a_group_shared_store_gives_the_group_its_bits_never_the_world(tmp_path):
    import os
    import stat

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    old = os.umask(0o002)
    try:
        target = atomic_write_text(shared / "store" / "manifest.json", "{}", private=True)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o660
    folder = (shared / "store").stat().st_mode
    assert folder & 0o777 == 0o770 and folder & stat.S_ISGID


def test_writes_are_fsynced_before_the_rename(tmp_path, monkeypatch):
    import os

    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b))[1])
    atomic_write_text(tmp_path / "out.txt", "x")
    assert events == ["fsync", "rename", "fsync"]  # the file, the rename, then the folder's entry
