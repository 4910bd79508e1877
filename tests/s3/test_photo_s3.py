"""Photos in a bucket: content-addressed keys, idempotent puts, and tampering detected on get."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.photo_s3 import S3PhotoStore, parse_s3_url
from rekap.adapters.photo_store import PhotoCorrupted, open_photo_store
from tests.s3.conftest import REGION

DATA = b"\xff\xd8\xff\xe0 a photo of a C.Hasil page"
SHA = hashlib.sha256(DATA).hexdigest()


class CountingClient:
    """The real client, counting the uploads that reach the server."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.puts = 0

    def put_object(self, **arguments: Any) -> Any:
        self.puts += 1
        return self.client.put_object(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def store(s3_client: Any, bucket: str) -> S3PhotoStore:
    return S3PhotoStore(s3_client, bucket)


def test_the_key_is_content_addressed_and_the_hash_is_recorded(
    store: S3PhotoStore, s3_client: Any, bucket: str
) -> None:
    store.put(SHA, ".jpg", DATA)
    key = f"photos/{SHA[:2]}/{SHA[2:4]}/{SHA}.jpg"
    assert store.key(SHA, ".jpg") == key
    head = s3_client.head_object(Bucket=bucket, Key=key)
    assert head["Metadata"] == {"sha256": SHA}
    assert head["ContentLength"] == len(DATA)
    assert store.get(SHA, ".jpg") == DATA


def test_a_second_put_of_the_same_photo_uploads_nothing(s3_client: Any, bucket: str) -> None:
    counting = CountingClient(s3_client)
    store = S3PhotoStore(counting, bucket)
    store.put(SHA, ".jpg", DATA)
    store.put(SHA, ".jpg", DATA)
    assert counting.puts == 1
    assert store.get(SHA, ".jpg") == DATA


def test_a_damaged_object_is_replaced_by_the_next_put(
    store: S3PhotoStore, s3_client: Any, bucket: str
) -> None:
    key = store.key(SHA, ".jpg")
    s3_client.put_object(Bucket=bucket, Key=key, Body=DATA[:-3], Metadata={"sha256": SHA})
    store.put(SHA, ".jpg", DATA)
    assert store.get(SHA, ".jpg") == DATA


def test_bytes_that_do_not_hash_to_the_address_are_refused(store: S3PhotoStore) -> None:
    with pytest.raises(PhotoCorrupted, match="refusing"):
        store.put("0" * 64, ".jpg", DATA)


def test_tampered_bytes_are_detected_on_get(
    store: S3PhotoStore, s3_client: Any, bucket: str
) -> None:
    store.put(SHA, ".jpg", DATA)
    forged = DATA.replace(b"photo", b"fotoo")
    key = store.key(SHA, ".jpg")
    s3_client.put_object(Bucket=bucket, Key=key, Body=forged, Metadata={"sha256": SHA})
    found = hashlib.sha256(forged).hexdigest()
    with pytest.raises(PhotoCorrupted, match=f"holds bytes with SHA-256 {found}"):
        store.get(SHA, ".jpg")


def test_a_tampered_recorded_hash_is_detected_on_get(
    store: S3PhotoStore, s3_client: Any, bucket: str
) -> None:
    key = store.key(SHA, ".jpg")
    s3_client.put_object(Bucket=bucket, Key=key, Body=DATA, Metadata={"sha256": "f" * 64})
    with pytest.raises(PhotoCorrupted, match="records SHA-256 f"):
        store.get(SHA, ".jpg")


def test_an_object_copied_in_without_metadata_is_still_checked(
    store: S3PhotoStore, s3_client: Any, bucket: str
) -> None:
    key = store.key(SHA, ".jpg")
    s3_client.put_object(Bucket=bucket, Key=key, Body=DATA)
    assert store.get(SHA, ".jpg") == DATA
    s3_client.put_object(Bucket=bucket, Key=key, Body=DATA + b"!")
    with pytest.raises(PhotoCorrupted):
        store.get(SHA, ".jpg")


def test_the_address_names_bucket_prefix_endpoint_and_region(s3_endpoint: str, bucket: str) -> None:
    url = f"s3://{bucket}/evidence/photos?endpoint={s3_endpoint}&region={REGION}"
    store = open_photo_store(url)
    assert isinstance(store, S3PhotoStore)
    assert (store.bucket, store.prefix) == (bucket, "evidence/photos/")
    store.put(SHA, ".png", DATA)
    assert store.get(SHA, ".png") == DATA
    assert store.client.meta.endpoint_url == s3_endpoint
    assert parse_s3_url(f"s3://{bucket}", "photos/").prefix == "photos/"
    assert parse_s3_url(f"s3://{bucket}/", "photos/").endpoint is None


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3:///prefix", "s3://bucket?endpiont=http://x", "https://bucket/prefix"],
)
def test_a_bad_address_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"address|parameter"):
        open_photo_store(url)


def test_a_plain_path_opens_the_local_store(tmp_path: Path) -> None:
    for given in (tmp_path, str(tmp_path)):
        store = open_photo_store(given)
        assert isinstance(store, LocalPhotoStore)
        assert store.root == tmp_path


def test_a_bucket_that_refuses_a_photo_is_storage_unavailable(s3_client: Any) -> None:
    """An OSError, which the upload answers as 503 storage_unavailable (send again), as for a
    full disk: never a bare 500."""
    store = S3PhotoStore(s3_client, "no-such-bucket-for-photos")
    data = b"photo bytes"
    with pytest.raises(OSError, match="no-such-bucket-for-photos"):
        store.put(hashlib.sha256(data).hexdigest(), ".jpg", data)
