import errno
import os

import pytest

from workbench import io
from workbench.errors import UserError
from workbench.io import write_text


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "a" / "f.txt"
    io.write_text(path, "one")
    io.write_text(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["f.txt"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "f.txt"
    io.write_text(path, "old")

    def boom(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        io.atomic_write(path, boom)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = io.write_json(tmp_path / "m.json", {"a": 1})
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_full_or_unwritable_folder_is_a_user_error_and_leaves_no_temp_file(
    tmp_path, monkeypatch, code
):
    def fails(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("workbench.io.os.replace", fails)
    with pytest.raises(UserError) as info:
        write_text(tmp_path / "out" / "metrics.json", "{}")
    assert info.value.where == str(tmp_path / "out") and "metrics.json" in info.value.message
    assert list((tmp_path / "out").iterdir()) == []


def test_other_os_errors_are_not_disguised(tmp_path, monkeypatch):
    def fails(src, dst):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr("workbench.io.os.replace", fails)
    with pytest.raises(OSError):
        write_text(tmp_path / "x.txt", "x")
