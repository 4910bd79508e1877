"""Where photo bytes live, whatever the medium: the port and the one place that picks an adapter.

``open_photo_store("var/photos")`` keeps photos on the local filesystem;
``open_photo_store("s3://bucket/photos?endpoint=http://127.0.0.1:9000")`` keeps them in an
S3-compatible bucket (docs/decisions/0003-object-store.md).

Not to be confused with ``rekap.adapters.storage.photos.PhotoStore``, the photo *table*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class PhotoStore(Protocol):
    """Content-addressed photo bytes: ``put`` is idempotent, ``get`` returns what was put."""

    def put(self, sha256: str, suffix: str, data: bytes) -> None: ...

    def get(self, sha256: str, suffix: str) -> bytes:
        """The photo's bytes; ``FileNotFoundError`` when there is no such photo,
        ``PhotoCorrupted`` when the bytes are not the photo's, another ``OSError`` (such as
        ``StoreUnavailable``) when the store cannot answer now."""
        ...

    def holds(self, sha256: str, suffix: str) -> bool:
        """Whether the photo is there (its bytes unread)."""
        ...

    def check(self) -> None:
        """``StoreUnavailable``, saying why, when the store cannot be used at all (an S3
        bucket missing, refused or unreachable; a local folder not there, or not readable)."""
        ...

    def probe(self, holds_photos: bool) -> StoreProbe:
        """What a cheap look at the store finds, no photo read or written: whether it can be
        used now, and why not. ``holds_photos``: whether the database has recorded photos
        (a store that makes its place with the first photo is not missing before one)."""
        ...


class PhotoCorrupted(ValueError):
    """Stored bytes (or their recorded hash) do not match the photo's SHA-256."""


class StoreUnavailable(OSError):
    """The store could not be reached or refused a request (an endpoint down, a bucket
    missing, credentials refused): nothing is known to be wrong with the photo. An upload
    answers that storage is unavailable (503, to be sent again), never a bare 500; a worker
    leaves the photo claimed, to be taken again, never fails it for this."""


def open_photo_store(url_or_path: str | Path, create_root: bool = True) -> PhotoStore:
    """A plain path gives a LocalPhotoStore (``create_root``: whether writing a photo makes its
    folder when it is not there); ``s3://bucket[/prefix][?endpoint=…&region=…]`` an
    S3PhotoStore with credentials from the standard AWS chain (environment, config files)."""
    if isinstance(url_or_path, str) and url_or_path.startswith("s3://"):
        from rekap.adapters.photo_s3 import S3PhotoStore

        return S3PhotoStore.from_url(url_or_path)
    if isinstance(url_or_path, str) and "://" in url_or_path:
        raise ValueError(f"unsupported photo store address: {url_or_path} (a path or s3://…)")
    from rekap.adapters.photo_files import LocalPhotoStore

    return LocalPhotoStore(Path(url_or_path), create_root)


class WrongPhotoStore(ValueError):
    """The store holds none of the newest photos waiting to be processed: it is not the
    store the service writes to (a worker or a second server started with another
    ``--photos``)."""


def check_photo_store(store: PhotoStore, waiting: Sequence[tuple[str, str]]) -> None:
    """Refuse a store that cannot be used, or that is not the one the database's photos are
    in: ``waiting`` is (SHA-256, suffix) of the newest photos that wait to be processed,
    newest first. One of them there is enough (a single photo lost must not stop every
    worker). Photos already processed are not looked for: a store whose old photos were
    archived or pruned still serves (their crops are then missing, nothing else)."""
    store.check()
    if waiting and not any(store.holds(sha256, suffix) for sha256, suffix in waiting):
        sha256 = waiting[0][0]
        raise WrongPhotoStore(
            f"it holds none of the newest {len(waiting)} photos waiting to be processed "
            f"(the newest: {sha256[:16]}…)"
        )


@dataclass(frozen=True, slots=True)
class StoreProbe:
    """What a cheap look at the photo store found (no photo read or written)."""

    status: str
    """``ok``, ``low_space`` (uploads still stored) or ``unavailable``."""
    problem: str = ""
    """A short code when not ``ok``: ``unreachable``, ``no_folder``, ``not_writable``,
    ``disk_full``, ``low_space``."""
    detail: str = ""
    """The cause in words, for the server's log (never shown to callers: it names paths,
    buckets and endpoints)."""
    free_bytes: int | None = None
    """Free space where photos are written (a local folder only)."""


def store_answers(store: PhotoStore) -> bool:
    """Whether the store as a whole can be read now (its ``check``): when it can, a photo it
    still cannot give is that photo's own trouble (a file unreadable, an object refused), not
    the store's."""
    try:
        store.check()
    except OSError:
        return False
    return True
