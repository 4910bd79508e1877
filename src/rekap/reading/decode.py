"""Decode stage: photo bytes to a grayscale image at the smallest resolution that suffices.

JPEG photos are decoded with libjpeg's DCT scaling (1/2, 1/4, 1/8), which skips most of
the work of a full decode; the EXIF orientation is applied afterwards on the small image.
Other formats are decoded whole, and turned upright as their EXIF says too (a PNG's eXIf
chunk, WebP's and AVIF's EXIF, a TIFF's orientation tag). Anything that is not a complete,
reasonably sized image is refused with a reason.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from rekap.domain.photo_formats import HEIF_ADVICE, is_heif
from rekap.reading.problem import Problem

GrayImage = NDArray[np.uint8]
ImageT = TypeVar("ImageT", bound=np.generic)

MAX_PIXELS = 100_000_000
"""Photos above this many pixels (about 100 MP) are refused: no phone takes them, and
a small file that declares them is a decompression bomb."""
MIN_LONG_SIDE = 1000
"""Decode at the largest reduction that keeps at least this many pixels on the long side:
a page filling most of the photo then has about 1 pixel per millimetre, which is what the
fiducials, the tag, the bubbles and the 32-pixel digit model need. (The pipeline decodes
again at twice the resolution when the page turns out smaller in the photo.)"""
MIN_SIDE = 200
MAX_ASPECT = 8
"""A picture more than this many times longer than wide is a strip, not a photo of a page."""
MAX_DECODED_BYTES = 400_000_000
"""A picture that is not a JPEG is decoded whole (no reduced decoding): one whose pixels, at
its bit depth and channels, take more than this is refused before it is decoded (a 10,000 ×
10,000 PNG of 16-bit RGBA takes 800 MB)."""
_BYTES_PER_PIXEL = {
    **dict.fromkeys(("1", "L", "P"), 1),
    **dict.fromkeys(("LA", "La", "PA"), 2),
    **dict.fromkeys(("RGB", "YCbCr", "LAB", "HSV"), 3),
    **dict.fromkeys(("RGBA", "RGBX", "RGBa", "CMYK", "I", "F"), 4),
}
"""Bytes a decoded pixel takes in a Pillow mode; 8 for the wide or unknown ones."""
EXIF_ORIENTATION = 0x0112
_REDUCED_FLAGS = {
    1: cv2.IMREAD_GRAYSCALE,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


@dataclass(frozen=True)
class DecodedImage:
    """A grayscale photo, upright as its EXIF orientation says, possibly reduced."""

    gray: GrayImage
    original_size: tuple[int, int]
    """(width, height) of the full-resolution photo, after orientation."""
    reduction: int
    """How many original pixels one decoded pixel spans along each axis (1, 2, 4 or 8)."""
    format: str
    orientation: int


@dataclass(frozen=True)
class _Header:
    format: str
    width: int
    height: int
    orientation: int


def choose_reduction(width: int, height: int, min_long_side: int = MIN_LONG_SIDE) -> int:
    """The largest JPEG reduction factor that keeps `min_long_side` pixels."""
    long_side = max(width, height)
    for factor in (8, 4, 2):
        if long_side // factor >= min_long_side:
            return factor
    return 1


def _read_header(data: bytes) -> _Header | Problem:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # a JPEG with a multi-picture block (MPO, as some phones write) is a JPEG:
                # its first picture is decoded, reduced, checked for damage alike
                kind = "JPEG" if image.format == "MPO" else str(image.format)
                size = image.width * image.height * _BYTES_PER_PIXEL.get(image.mode, 8)
                if kind != "JPEG" and size > MAX_DECODED_BYTES:
                    return Problem(
                        "unreadable",
                        f"image too large to decode: {image.width}x{image.height} {image.mode} "
                        f"pixels take {size / 1e6:.0f} MB (limit {MAX_DECODED_BYTES / 1e6:.0f} "
                        "MB); send a photo from the phone's camera",
                    )
                # A JPEG's EXIF is read at open. Other formats are decoded whole, and their
                # orientation read then (a PNG's eXIf chunk may follow the pixels).
                orientation = _orientation(image) if kind == "JPEG" else 1
                return _Header(kind, image.width, image.height, orientation)
    except Image.DecompressionBombError as error:
        return Problem("unreadable", f"refused as a decompression bomb: {error}")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        if is_heif(data):
            return Problem("unreadable", HEIF_ADVICE)
        return Problem("unreadable", f"not an image in a known format ({type(error).__name__})")


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8) of an opened picture, 1 when it has none or an odd one.
    Pillow finds it in every format that carries it: JPEG's APP1, a PNG's eXIf chunk (or
    the text chunk ImageMagick writes), WebP's and AVIF's EXIF, a TIFF's tag; for a PNG
    whose eXIf follows the pixels, this decodes them."""
    try:
        value = image.getexif().get(EXIF_ORIENTATION, 1)
    except (OSError, ValueError, SyntaxError, struct.error):  # a broken EXIF block
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def crop_header(data: bytes, max_pixels: int) -> int | str:
    """For a file decoded whole by OpenCV (not through ``decode_image``): the EXIF orientation
    left to apply to the decoded pixels (1 when it has none, when its header cannot be read
    here, or for a TIFF, which both Pillow and OpenCV turn upright themselves), or why it is
    refused before it is decoded (empty, more than ``max_pixels``, or a decompression
    bomb)."""
    if not data:
        return "empty file"
    header = _read_header(data)
    if isinstance(header, Problem):  # refused for its size, or read whole by its decoder
        sized = "decompression bomb" in header.reason or "too large" in header.reason
        return header.reason if sized else 1
    pixels = header.width * header.height
    if pixels > max_pixels:
        return (
            f"image too large: {header.width}x{header.height} = {pixels:,} pixels "
            f"(limit {max_pixels:,})"
        )
    if header.format == "JPEG":
        return header.orientation
    if header.format == "TIFF":
        return 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            return _orientation(image)


def _jpeg_is_complete(data: bytes) -> bool:
    """A complete JPEG has an end-of-image marker after its first start-of-scan marker
    (the marker cannot occur inside entropy-coded data)."""
    start_of_scan = data.find(b"\xff\xda")
    return start_of_scan >= 0 and data.rfind(b"\xff\xd9") > start_of_scan


_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
"""Markers without a length: TEM and the restart markers RST0-RST7."""
_SEGMENT_AFTER_SCAN = frozenset({0xC4, 0xCC, 0xDA, 0xDB, 0xDD, 0xFE, *range(0xE0, 0xF0)})
"""Markers a JPEG may hold between its scans (tables, restart interval, a further scan of a
progressive JPEG, comments, application data)."""


def jpeg_damage(data: bytes) -> str | None:
    """Why a JPEG's compressed data is damaged, or None when its structure is sound.

    libjpeg decodes a damaged stream without failing (it warns on stderr, and OpenCV's
    imdecode says nothing), so the stream is walked here: from the first scan on, a 0xFF
    byte may only stand before a stuffed zero, a fill byte, a restart marker (in turn,
    RST0..RST7) or a marker that a JPEG may hold between scans (whose segment is followed by
    another marker), and the data must end in an end-of-image marker. Bytes overwritten at
    random break this within a few hundred bytes (2,000 random bytes: 40 of 40 found); a
    stretch overwritten with zeros does not, and is not found."""
    start = data.find(b"\xff\xda")
    if start < 0:
        return "no image data (no start-of-scan marker)"
    stream = np.frombuffer(data, dtype=np.uint8)
    marks = np.flatnonzero(stream[start:-1] == 0xFF) + start
    following = stream[marks + 1]
    # stuffed zeros and fill bytes are the great majority; only the markers are walked
    real = (following != 0x00) & (following != 0xFF)
    position = start
    expected_restart = 0
    for at, marker in zip(marks[real].tolist(), following[real].tolist(), strict=True):
        index, code = int(at), int(marker)
        if index < position:  # inside a marker segment skipped below
            continue
        if code == 0xD9:
            return None
        if 0xD0 <= code <= 0xD7:
            if code - 0xD0 != expected_restart:
                return f"restart marker RST{code - 0xD0} where RST{expected_restart} was due"
            expected_restart = (expected_restart + 1) % 8
            position = index + 2
            continue
        if code not in _SEGMENT_AFTER_SCAN or index + 4 > len(data):
            return f"invalid marker 0xFF{code:02X} in the compressed data at byte {index:,}"
        position = index + 2 + int.from_bytes(data[index + 2 : index + 4], "big")
        if code == 0xDA:
            expected_restart = 0
        elif data[position : position + 1] != b"\xff":  # tables are followed by a marker
            return f"marker 0xFF{code:02X} in the compressed data at byte {index:,} leads nowhere"
    return "the compressed data ends without an end-of-image marker"


def _decode_with_pillow(data: bytes) -> tuple[GrayImage, int] | None:
    """The picture's grey levels as stored, and its EXIF orientation; None when corrupt."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                orientation = _orientation(image)
                if image.mode in _WIDE_MODES:  # 16-bit, 32-bit or float grey
                    return _eight_bits(np.asarray(image)), orientation
                return np.asarray(image.convert("L"), dtype=np.uint8), orientation
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


_WIDE_MODES = frozenset({"I;16", "I;16B", "I;16L", "I", "F"})


def _eight_bits(levels: NDArray[np.generic]) -> GrayImage:
    """Grey levels of 16 or 32 bits, or floats, as 8 bits: a float image is taken to run
    0..1 when none of it exceeds 1, integers to span their type's range (a 32-bit image
    written from 16-bit data, as PNG decoders give it, to span 16 bits)."""
    values = np.nan_to_num(np.asarray(levels, dtype=np.float64))
    top = float(values.max(initial=0.0))
    if levels.dtype.kind == "f":
        full = 1.0 if top <= 1.0 else 255.0
    else:
        full = 65535.0 if top <= 65535 else float(np.iinfo(np.int32).max)
    return np.asarray(np.clip(np.round(values * (255.0 / full)), 0, 255), dtype=np.uint8)


def upright(image: NDArray[ImageT], orientation: int) -> NDArray[ImageT]:
    """Turn the stored pixels (grey or colour) upright per EXIF orientation 1..8."""
    steps: dict[int, tuple[bool, int]] = {
        2: (True, 0),
        3: (False, 2),
        4: (True, 2),
        5: (True, 1),
        6: (False, 3),
        7: (True, 3),
        8: (False, 1),
    }
    if orientation not in steps:
        return image
    mirror, quarter_turns = steps[orientation]
    result = image[:, ::-1] if mirror else image
    return np.ascontiguousarray(np.rot90(result, quarter_turns))


def decode_image(
    data: bytes,
    reduction: int | None = None,
    *,
    min_long_side: int = MIN_LONG_SIDE,
    max_pixels: int = MAX_PIXELS,
) -> DecodedImage | Problem:
    """Decode photo bytes, reduced by `reduction` (1, 2, 4 or 8) or by the largest factor
    that keeps `min_long_side`; never raises for bad input, returns a Problem instead."""
    if reduction is not None and reduction not in _REDUCED_FLAGS:
        raise ValueError(f"reduction must be one of {sorted(_REDUCED_FLAGS)}, not {reduction}")
    if not data:
        return Problem("unreadable", "empty file")
    header = _read_header(data)
    if isinstance(header, Problem):
        return header
    pixels = header.width * header.height
    if pixels > max_pixels:
        return Problem(
            "unreadable",
            f"image too large: {header.width}x{header.height} = {pixels / 1e6:.0f} MP "
            f"(limit {max_pixels / 1e6:.0f} MP; refused as a possible decompression bomb)",
        )
    if min(header.width, header.height) < MIN_SIDE:
        return Problem("unreadable", f"image too small: {header.width}x{header.height} pixels")
    if max(header.width, header.height) > MAX_ASPECT * min(header.width, header.height):
        return Problem(
            "not_a_form", f"a strip of {header.width}x{header.height} pixels, not a photo of a page"
        )
    if reduction is None:
        reduction = choose_reduction(header.width, header.height, min_long_side)
    orientation = header.orientation
    if header.format == "JPEG":
        if not _jpeg_is_complete(data):
            return Problem(
                "unreadable",
                "the file is damaged: truncated JPEG, no end-of-image marker (cut short on its "
                "way): send the photo again",
            )
        flags = _REDUCED_FLAGS[reduction] | cv2.IMREAD_IGNORE_ORIENTATION
        decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    else:
        whole = _decode_with_pillow(data)
        decoded = None if whole is None else whole[0]
        orientation = 1 if whole is None else whole[1]
        if decoded is not None and reduction > 1:
            size = (decoded.shape[1] // reduction, decoded.shape[0] // reduction)
            decoded = cv2.resize(decoded, size, interpolation=cv2.INTER_AREA)
    if decoded is None or decoded.size == 0:
        return Problem("unreadable", f"{header.format} data is corrupt or truncated")
    gray = upright(np.asarray(decoded, dtype=np.uint8), orientation)
    swapped = orientation in (5, 6, 7, 8)
    size = (header.height, header.width) if swapped else (header.width, header.height)
    return DecodedImage(
        gray=gray,
        original_size=size,
        reduction=reduction,
        format=header.format,
        orientation=orientation,
    )
