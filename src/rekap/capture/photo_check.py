"""Checking an uploaded photo before anything is stored: size, real format, pixel count.

The format comes from the bytes (magic numbers), never from the file name or the client's
content type; the pixel count from the image header, before any decoding, so a decompression
bomb is refused without being expanded.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, UnidentifiedImageError

from rekap.domain.photo_formats import HEIF_ADVICE, is_heif

MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000
MIN_SIDE = 400


class PhotoFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"

    @property
    def suffix(self) -> str:
        return {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}[self.value]


@dataclass(frozen=True, slots=True)
class CheckedPhoto:
    sha256: str
    format: PhotoFormat
    width: int
    height: int
    size: int


@dataclass(frozen=True, slots=True)
class PhotoRefused:
    code: str
    message: str


def sniff_format(data: bytes) -> PhotoFormat | None:
    if data.startswith(b"\xff\xd8\xff"):
        return PhotoFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PhotoFormat.PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return PhotoFormat.WEBP
    return None


def check_photo(data: bytes) -> CheckedPhoto | PhotoRefused:
    if not data:
        return PhotoRefused("empty", "the upload is empty")
    if len(data) > MAX_BYTES:
        return PhotoRefused("too_large", f"{len(data):,} bytes; the limit is {MAX_BYTES:,}")
    kind = sniff_format(data)
    if kind is None:
        if is_heif(data):
            return PhotoRefused("not_an_image", f"not a JPEG, PNG or WebP image: {HEIF_ADVICE}")
        return PhotoRefused("not_an_image", "not a JPEG, PNG or WebP image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard, from the same header, for counts far beyond ours
        return PhotoRefused("too_many_pixels", f"far beyond {MAX_PIXELS:,} pixels")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        return PhotoRefused("unreadable", f"the image header cannot be read: {error}")
    if width * height > MAX_PIXELS:
        return PhotoRefused(
            "too_many_pixels", f"{width}×{height} pixels; the limit is {MAX_PIXELS:,}"
        )
    if min(width, height) < MIN_SIDE:
        return PhotoRefused("too_small", f"{width}×{height} pixels is too small to read")
    digest = hashlib.sha256(data).hexdigest()
    return CheckedPhoto(digest, kind, width, height, len(data))
