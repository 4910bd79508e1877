"""Photos on the local filesystem, content-addressed: ``<root>/ab/cd/<sha256><suffix>``.

Writes go to a temporary file first and are renamed into place, so a crash never leaves a
half-written photo under its final name; writing the same photo twice is a no-op, unless the
file there has another size (damaged) or its flush failed: then it is written again.

``put`` is durable on return (the file and its folder are flushed to disk). The upload path
splits it in two for speed: ``write`` puts the bytes under their final name without waiting for
the disk, and ``make_durable`` flushes a whole batch of written photos at once, before the
batch's rows are committed, so a row still never points at a photo the disk could lose.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from rekap.adapters.photo_store import StoreProbe, StoreUnavailable

DEFAULT_PHOTO_ROOT = Path("var") / "photos"

LOW_SPACE_BYTES = 1024**3
"""Free space in the photo folder below which the store is said to be low (about 100 of the
largest photos accepted, 5,000 of a phone's usual 200 KB)."""

FULL_BYTES = 32 * 1024**2
"""Free space below which the next large upload cannot be stored (25 MB at most, its folder
entries beside it): uploads are answered 503 ``disk_full``."""


class LocalPhotoStore:
    def __init__(self, root: Path = DEFAULT_PHOTO_ROOT, create_root: bool = True) -> None:
        self.root = root
        self.create_root = create_root
        """Whether a photo written makes the folder itself when it is not there. A service
        makes it once, at start, and then not: a volume unmounted while it serves must not
        have photos written onto the disk beneath it, to be hidden when it is mounted again."""
        self._unsure: set[Path] = set()
        """Photos whose flush failed: their bytes may be lost whatever the file's size says
        (a failed flush is reported once), so the next ``write`` replaces them."""

    def path(self, sha256: str, suffix: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"

    def put(self, sha256: str, suffix: str, data: bytes) -> None:
        self.make_durable([self.write(sha256, suffix, data)], whole_filesystem=False)

    def write(self, sha256: str, suffix: str, data: bytes) -> Path:
        """Store the bytes under their final name (not yet flushed); returns that name."""
        target = self.path(sha256, suffix)
        if target not in self._unsure and _size(target) == len(data):
            return target  # the same bytes (same address, same size) are there already
        self._unsure.discard(target)
        if not self.create_root and not self.root.is_dir():
            raise StoreUnavailable(f"no photo folder {self.root}: is its volume mounted?")
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def make_durable(self, paths: Iterable[Path], whole_filesystem: bool = True) -> None:
        """Flush written photos, and the folders that name them, to the disk: for a batch, one
        flush of the whole filesystem where the system has one (Linux's syncfs)."""
        paths = list(paths)
        if not paths:
            return
        try:
            if whole_filesystem and _syncfs(paths[0]):
                return
            folders = {p.parent for p in paths} | {p.parent.parent for p in paths}
            for item in [*paths, *sorted(folders)]:
                descriptor = os.open(item, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
        except OSError:
            self._unsure.update(paths)  # a second flush would report success, not the loss
            raise

    def get(self, sha256: str, suffix: str) -> bytes:
        """The photo's bytes; ``FileNotFoundError`` when the folder is there without it, but
        ``StoreUnavailable`` when the folder itself is not there (a volume not mounted, a
        share gone): then every photo would be failed as lost, for good, since an officer's
        resend of the same bytes is the photo already received."""
        try:
            return self.path(sha256, suffix).read_bytes()
        except FileNotFoundError as error:
            if self.root.is_dir():
                raise
            raise StoreUnavailable(f"no photo folder {self.root}: {error}") from error

    def holds(self, sha256: str, suffix: str) -> bool:
        return self.path(sha256, suffix).is_file()

    def check(self) -> None:
        """``StoreUnavailable`` when no photo can be read here: the folder not there (a volume
        not mounted, a share gone, a first start before the folder is made) or not readable;
        ``NotADirectoryError`` when something else is under its name."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        if not root.is_dir():
            raise StoreUnavailable(f"no photo folder {root}: is its volume mounted?")
        if not os.access(root, os.R_OK | os.X_OK):
            raise StoreUnavailable(f"the photo folder {root} cannot be read")

    def probe(self, holds_photos: bool) -> StoreProbe:
        """The folder's presence, whether it may be read and written, and its free space (one
        ``statvfs``). A folder not there yet is fine while the store makes it with the first
        photo (``create_root``) and the database holds none: otherwise it is a volume not
        mounted, or a folder deleted, and no upload can be stored nor photo read."""
        root = self.root
        if not root.is_dir():
            if not root.exists() and self.create_root and not holds_photos:
                return StoreProbe("ok")  # made with the first photo
            return StoreProbe("unavailable", "no_folder", f"no photo folder at {root.absolute()}")
        if not os.access(root, os.R_OK | os.W_OK | os.X_OK):
            said = f"{root.absolute()} cannot be read and written"
            return StoreProbe("unavailable", "not_writable", said)
        try:
            stats = os.statvfs(root)
        except OSError as error:
            return StoreProbe("unavailable", "unreachable", f"{root.absolute()}: {error}")
        free = stats.f_bavail * stats.f_frsize
        if free < FULL_BYTES:
            said = f"{root.absolute()} has {free:,} bytes free"
            return StoreProbe("unavailable", "disk_full", said, free)
        if free < LOW_SPACE_BYTES:
            said = f"{root.absolute()} has {free:,} bytes free"
            return StoreProbe("low_space", "low_space", said, free)
        return StoreProbe("ok", free_bytes=free)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _load_syncfs() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name, use_errno=True).syncfs
    except AttributeError:  # not Linux
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_SYNCFS = _load_syncfs()


def _syncfs(inside: Path) -> bool:
    """syncfs(2) on the filesystem holding ``inside``; False where there is none."""
    if _SYNCFS is None:
        return False
    descriptor = os.open(inside, os.O_RDONLY)
    try:
        if _SYNCFS(descriptor) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed", str(inside))
    finally:
        os.close(descriptor)
    return True
