"""Photo files: written under their content address, never half-written, made durable either
by one flush of the filesystem or file by file (and folder by folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekap.adapters import photo_files
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.photo_store import StoreUnavailable, store_answers

SHA = "ab" * 32


def test_write_is_idempotent_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    first = store.write(SHA, ".jpg", b"one")
    again = store.write(SHA, ".jpg", b"two")  # same address: the first bytes stay
    assert first == again == tmp_path / "ab" / "ab" / f"{SHA}.jpg"
    assert store.get(SHA, ".jpg") == b"one"
    assert [p.name for p in first.parent.iterdir()] == [first.name]


@pytest.mark.parametrize("syncfs", [True, False])
def test_make_durable_flushes_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool
) -> None:
    flushed: list[Path] = []
    real_fsync = photo_files.os.fsync

    def recording_fsync(descriptor: int) -> None:
        flushed.append(Path(photo_files.os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    monkeypatch.setattr(photo_files.os, "fsync", recording_fsync)
    if not syncfs:
        monkeypatch.setattr(photo_files, "_SYNCFS", None)
    store = LocalPhotoStore(tmp_path)
    paths = [store.write(SHA, ".jpg", b"a"), store.write("cd" * 32, ".png", b"b")]
    store.make_durable(paths)
    if syncfs and photo_files._SYNCFS is not None:
        assert flushed == []  # one syncfs covered them all
    else:
        expected = {*paths, *(p.parent for p in paths), *(p.parent.parent for p in paths)}
        assert set(flushed) == expected
    flushed.clear()
    store.put("ef" * 32, ".webp", b"c")  # a single put flushes its own file and folders
    assert tmp_path / "ef" / "ef" / f"{'ef' * 32}.webp" in flushed


def test_a_photo_folder_not_there_is_the_store_away_not_a_photo_lost(tmp_path: Path) -> None:
    """A worker fails a photo the store has lost (FileNotFoundError) but leaves one claimed
    while the store is away (another OSError): a photo folder gone (its volume unmounted)
    must not fail every waiting photo for good."""
    store = LocalPhotoStore(tmp_path / "photos")
    store.put(SHA, ".jpg", b"one")
    with pytest.raises(FileNotFoundError):
        store.get("cd" * 32, ".jpg")  # the folder there, the photo not: lost
    (tmp_path / "photos").rename(tmp_path / "elsewhere")
    with pytest.raises(StoreUnavailable, match="no photo folder"):
        store.get(SHA, ".jpg")


def test_a_photo_folder_not_there_fails_the_check_and_the_store_does_not_answer(
    tmp_path: Path,
) -> None:
    """The local store's check passed with its folder gone: a store that cannot give one
    photo now says so itself, as a bucket refused does (no asking which kind of store)."""
    root = tmp_path / "photos"
    store = LocalPhotoStore(root)
    with pytest.raises(StoreUnavailable, match="no photo folder"):
        store.check()
    assert not store_answers(store)
    store.put(SHA, ".jpg", b"one")
    store.check()
    assert store_answers(store)
    (tmp_path / "other").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        LocalPhotoStore(tmp_path / "other").check()
