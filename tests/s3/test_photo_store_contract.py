"""The PhotoStore port: the same behaviour from the local folder and from the bucket."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.photo_s3 import S3PhotoStore
from rekap.adapters.photo_store import PhotoStore


def photo(number: int) -> tuple[str, bytes]:
    data = f"photo {number} ".encode() * (number + 1)
    return hashlib.sha256(data).hexdigest(), data


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    if request.param == "local":
        return LocalPhotoStore(tmp_path / "photos")
    client: Any = request.getfixturevalue("s3_client")
    return S3PhotoStore(client, request.getfixturevalue("bucket"))


def test_what_is_put_is_got_back(store: PhotoStore) -> None:
    photos = [photo(n) for n in range(5)]
    for sha, data in photos:
        store.put(sha, ".jpg", data)
    for sha, data in photos:
        assert store.get(sha, ".jpg") == data


def test_putting_the_same_photo_twice_changes_nothing(store: PhotoStore) -> None:
    sha, data = photo(1)
    store.put(sha, ".webp", data)
    store.put(sha, ".webp", data)
    assert store.get(sha, ".webp") == data


def test_the_suffix_is_part_of_the_address(store: PhotoStore) -> None:
    sha, data = photo(2)
    store.put(sha, ".png", data)
    assert store.get(sha, ".png") == data
    with pytest.raises(FileNotFoundError):
        store.get(sha, ".jpg")


def test_a_missing_photo_is_file_not_found(store: PhotoStore) -> None:
    """In a store that is there (a folder or bucket not there at all is the store away)."""
    other, data = photo(4)
    store.put(other, ".jpg", data)
    sha, _ = photo(3)
    with pytest.raises(FileNotFoundError):
        store.get(sha, ".jpg")


def test_an_empty_file_round_trips(store: PhotoStore) -> None:
    sha = hashlib.sha256(b"").hexdigest()
    store.put(sha, ".jpg", b"")
    assert store.get(sha, ".jpg") == b""
