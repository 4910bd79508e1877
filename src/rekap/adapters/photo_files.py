"""Photos on the local filesystem, content-addressed: ``<root>/ab/cd/<sha256><suffix>``.

Writes go to a temporary file first and are renamed into place, so a crash never leaves a
half-written photo under its final name; writing the same photo twice is a no-op.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULT_PHOTO_ROOT = Path("var") / "photos"


class LocalPhotoStore:
    def __init__(self, root: Path = DEFAULT_PHOTO_ROOT) -> None:
        self.root = root

    def path(self, sha256: str, suffix: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"

    def put(self, sha256: str, suffix: str, data: bytes) -> None:
        target = self.path(sha256, suffix)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, sha256: str, suffix: str) -> bytes:
        return self.path(sha256, suffix).read_bytes()
