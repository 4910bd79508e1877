"""The photo store's trouble, answered and said: a 503 to the caller, the cause on the log.

An upload that cannot be stored and a photo that cannot be read now are the store's trouble (a
full disk, an endpoint down, a bucket missing, credentials refused), not the caller's nor a
bug: the caller is answered 503 ``storage_unavailable``, to try again, never a bare 500, and the
operator reads the cause on the server's log (stderr)."""

from __future__ import annotations

import errno
import logging

from rekap.adapters.photo_store import PhotoCorrupted
from rekap.adapters.photo_store import PhotoStore as PhotoFiles
from rekap.web.errors import ApiError
from rekap.web.throttled import Throttled

RETRY_AFTER_S = 60


class StorageTrouble:
    """Says on the server's log why photos cannot be stored (or read): the callers are
    answered 503 and try again, the operator needs the cause (a bucket missing, credentials
    refused, a full disk). Once per ``every`` seconds while it lasts, with how many were
    refused."""

    def __init__(
        self, every: float = 10.0, doing: str = "stored", logger: str = "rekap.capture"
    ) -> None:
        self.throttle = Throttled(every)
        self.doing = doing
        self.log = logging.getLogger(logger)

    def said(self, error: OSError) -> None:
        refused = self.throttle.came()
        if refused is None:
            return
        self.log.warning(
            "photos cannot be %s (%d refused with 503 since last said): %s: %s",
            self.doing,
            refused,
            type(error).__name__,
            error,
        )


class StorageUnavailable(ApiError):
    """The photo store cannot store or give a photo now (a full or failing disk, an endpoint
    down, a bucket missing, credentials refused): nothing is wrong with the photo nor the
    caller, who is answered 503 and tries again later."""

    def __init__(self, message: str, error: OSError) -> None:
        full = error.errno in (errno.ENOSPC, errno.EDQUOT)
        super().__init__(
            "storage_unavailable",
            message,
            {"reason": "disk_full" if full else "storage_error", "retry_after_s": RETRY_AFTER_S},
        )


READ_TROUBLE = StorageTrouble(doing="read", logger="rekap.web")


class PhotoGone(ApiError):
    """The photo store no longer has the photo's bytes (its file deleted, an object lost, a
    backup restored without it), or holds other bytes under its name: nothing to try again
    later. Its record, receipt and log entry stay; an operator puts the file back (the same
    bytes, from a backup or the officer's phone) and `rekap photos retry` reads it."""

    def __init__(self, sha256: str, damaged: bool) -> None:
        said = "holds other bytes than" if damaged else "has lost the file of"
        super().__init__(
            "photo_missing",
            f"the photo store {said} this photo (SHA-256 {sha256}); its record and receipt "
            "are kept: the file must be put back from a copy",
            {"reason": "damaged" if damaged else "missing", "sha256": sha256},
        )


class MissingPhotos:
    """Says on the server's log which photos the store lost, at most once per ``every``
    seconds with how many were asked for since: an operator must learn of it (a deleted
    folder, an archive restored without it) before a recount does."""

    def __init__(self, every: float = 10.0) -> None:
        self.throttle = Throttled(every)
        self.log = logging.getLogger("rekap.web")

    def said(self, sha256: str, damaged: bool) -> None:
        asked = self.throttle.came()
        if asked is None:
            return
        what = "holds other bytes than" if damaged else "has lost"
        self.log.warning(
            "the photo store %s photo %s (%d asked for missing since last said); "
            "`rekap photos failed --kind lost_from_store` lists those the workers met",
            what,
            sha256,
            asked,
        )


MISSING = MissingPhotos()


def read_photo(files: PhotoFiles, sha256: str, suffix: str) -> bytes:
    """The photo's bytes; ``StorageUnavailable`` (503) when the store cannot answer now,
    ``PhotoGone`` (410) when it has lost them or holds other bytes under their name."""
    try:
        return files.get(sha256, suffix)
    except FileNotFoundError as error:
        MISSING.said(sha256, damaged=False)
        raise PhotoGone(sha256, damaged=False) from error
    except PhotoCorrupted as error:
        MISSING.said(sha256, damaged=True)
        raise PhotoGone(sha256, damaged=True) from error
    except OSError as error:
        READ_TROUBLE.said(error)
        raise StorageUnavailable(
            "the photo store cannot be read now: ask again later", error
        ) from error
