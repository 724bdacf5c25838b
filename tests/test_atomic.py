"""Atomic writes: files get the user's umask (like ``open``), and destinations are checked before work."""

import os
import stat

import pytest

from a3c_theory import atomic
from a3c_theory.errors import ValidationError


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        path = atomic.write_text(tmp_path / "table.csv", "a,b\n1,2\n")
        reference = tmp_path / "reference"
        reference.write_text("x")  # what a plain open() gives under this umask
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode) == 0o666 & ~mask


def test_check_writable_refuses_a_path_under_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValidationError) as info:
        atomic.check_writable(blocker / "out.json", "--json")
    assert info.value.field == "--json" and str(blocker) in str(info.value)
    assert atomic.check_writable(tmp_path / "new" / "dir", "--out", folder=True).is_dir()
    assert os.listdir(tmp_path / "new" / "dir") == []


def test_failed_write_names_the_path_and_keeps_the_old_file(tmp_path):
    path = atomic.write_text(tmp_path / "keep.txt", "old")

    def full_disk(handle):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as info:
        atomic.write_bytes(path, full_disk)
    assert info.value.filename == str(path) and info.value.errno == 28
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["keep.txt"]
