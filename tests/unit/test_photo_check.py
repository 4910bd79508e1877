"""An upload is checked before it is stored: what is refused, and why, in words an officer
can act on."""

from __future__ import annotations

import cv2
import numpy as np

from rekap.capture.photo_check import CheckedPhoto, PhotoFormat, PhotoRefused, check_photo

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def _jpeg(width: int, height: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((height, width, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


def test_a_jpeg_is_accepted_with_its_size_and_hash() -> None:
    checked = check_photo(_jpeg(1600, 1200))
    assert isinstance(checked, CheckedPhoto)
    assert (checked.format, checked.width, checked.height) == (PhotoFormat.JPEG, 1600, 1200)


def test_an_iphone_heic_photo_is_refused_with_what_to_do() -> None:
    refused = check_photo(HEIC)
    assert isinstance(refused, PhotoRefused)
    assert refused.code == "not_an_image"
    assert "HEIC" in refused.message and "send it as JPEG" in refused.message


def test_other_bytes_are_refused_as_not_an_image() -> None:
    refused = check_photo(b"%PDF-1.7 not a photo" * 10)
    assert isinstance(refused, PhotoRefused)
    assert (refused.code, refused.message) == ("not_an_image", "not a JPEG, PNG or WebP image")
    assert isinstance(check_photo(b""), PhotoRefused)
