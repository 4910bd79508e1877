"""What kind of photo file some bytes are, beyond the formats the product reads."""

from __future__ import annotations

# ISO base media file brands of HEIF images (HEIC, as iPhones save photos, and AVIF)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")

HEIF_ADVICE = (
    "a HEIC/HEIF photo (an iPhone's default format), which is not read here: send it as "
    "JPEG (on the phone: Settings, Camera, Formats, Most Compatible)"
)


def is_heif(data: bytes) -> bool:
    """A HEIF image file: ``ftyp`` at byte 4, then one of HEIF's brands."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS
