"""The photo store's trouble, answered and said: a 503 to the caller, the cause on the log.

An upload that cannot be stored and a photo that cannot be read now are the store's trouble (a
full disk, an endpoint down, a bucket missing, credentials refused), not the caller's nor a
bug: the caller is answered 503 ``storage_unavailable``, to try again, never a bare 500, and the
operator reads the cause on the server's log (stderr)."""

from __future__ import annotations

import errno
import logging
import time

from rekap.adapters.photo_store import PhotoStore as PhotoFiles
from rekap.web.errors import ApiError

RETRY_AFTER_S = 60


class StorageTrouble:
    """Says on the server's log why photos cannot be stored (or read): the callers are
    answered 503 and try again, the operator needs the cause (a bucket missing, credentials
    refused, a full disk). Once per ``every`` seconds while it lasts, with how many were
    refused."""

    def __init__(
        self, every: float = 10.0, doing: str = "stored", logger: str = "rekap.capture"
    ) -> None:
        self.every = every
        self.doing = doing
        self.log = logging.getLogger(logger)
        self._said_at: float | None = None
        self._refused = 0

    def said(self, error: OSError) -> None:
        self._refused += 1
        now = time.monotonic()
        if self._said_at is not None and now - self._said_at < self.every:
            return
        self.log.warning(
            "photos cannot be %s (%d refused with 503 since last said): %s: %s",
            self.doing,
            self._refused,
            type(error).__name__,
            error,
        )
        self._said_at, self._refused = now, 0


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

    @property
    def status(self) -> int:
        return 503


READ_TROUBLE = StorageTrouble(doing="read", logger="rekap.web")


def read_photo(files: PhotoFiles, sha256: str, suffix: str) -> bytes:
    """The photo's bytes, or ``StorageUnavailable`` (503) when the store cannot answer now. A
    photo the store does not have (``FileNotFoundError``) and bytes that are not the photo's
    (``PhotoCorrupted``) are no trouble of the moment: they go on as they are."""
    try:
        return files.get(sha256, suffix)
    except FileNotFoundError:
        raise
    except OSError as error:
        READ_TROUBLE.said(error)
        raise StorageUnavailable(
            "the photo store cannot be read now: ask again later", error
        ) from error
