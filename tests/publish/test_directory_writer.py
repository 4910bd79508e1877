"""The folder adapter's writer: files opened relative to their folder's descriptor, a few
folders kept open and closed when the snapshot is committed or aborted."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from rekap.adapters.snapshot_dir import DirectorySnapshotStore, DirectoryWriter, UnsafePath


def test_files_in_many_folders_are_written_whole(tmp_path: Path) -> None:
    writer = DirectoryWriter(tmp_path)
    folders = DirectoryWriter.KEPT_OPEN * 3
    expected = {}
    for round_ in range(2):  # the second round reopens folders closed in the first
        for n in range(folders):
            path = f"a/{n % 4}/{n}/f{round_}.json"
            data = f"{n}-{round_}".encode() * (1 + n * 1000)
            entry = writer.write(path, data)
            assert entry.sha256 == hashlib.sha256(data).hexdigest()
            assert entry.size == len(data)
            expected[path] = data
    writer.write("top.txt", b"top")
    writer.close()
    assert all((tmp_path / p).read_bytes() == d for p, d in expected.items())
    assert (tmp_path / "top.txt").read_bytes() == b"top"
    writer.write("a/0/0/again.json", b"{}")  # still usable after close
    writer.close()


def _open_under(folder: Path) -> int:
    """How many of this process's descriptors point into `folder` (other descriptors come and
    go with the garbage collector and the test runner, so they are not counted)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += Path(target) == folder or Path(target).is_relative_to(folder)
    return count


def test_at_most_the_kept_folders_stay_open(tmp_path: Path) -> None:
    writer = DirectoryWriter(tmp_path)
    for n in range(DirectoryWriter.KEPT_OPEN * 4):
        writer.write(f"{n}/x", b"x")
    assert 0 < _open_under(tmp_path) <= DirectoryWriter.KEPT_OPEN
    writer.close()
    assert _open_under(tmp_path) == 0


def test_a_file_is_never_overwritten_nor_written_outside(tmp_path: Path) -> None:
    writer = DirectoryWriter(tmp_path)
    writer.write("a/b.json", b"1")
    with pytest.raises(FileExistsError):
        writer.write("a/b.json", b"2")
    with pytest.raises(UnsafePath):
        writer.write("a/../../b.json", b"2")
    writer.close()


def test_the_store_closes_its_writers_folders(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    store = DirectorySnapshotStore(tmp_path)
    writer = store.begin("20240220T060000Z")
    writer.write("x/y.json", b"{}")
    store.commit("20240220T060000Z")
    assert (tmp_path / "20240220T060000Z" / "x" / "y.json").read_bytes() == b"{}"
    store.begin("20240220T070000Z").write("x/y.json", b"{}")
    store.abort("20240220T070000Z")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20240220T060000Z", "latest"]
    assert len(os.listdir("/proc/self/fd")) == before
