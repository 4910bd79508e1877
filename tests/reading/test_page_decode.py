"""Decode stage: reduced-resolution grayscale, EXIF orientation, refusals with reasons."""

from __future__ import annotations

import io

import numpy as np
import pytest
from page_drawing import png_claiming
from PIL import Image

from rekap.reading.decode import DecodedImage, choose_reduction, decode_image
from rekap.reading.problem import Problem


def _jpeg(width: int, height: int, exif_orientation: int | None = None) -> bytes:
    image = np.full((height, width, 3), 255, np.uint8)
    image[: height // 4, : width // 4] = (0, 0, 0)  # a dark block in the stored top-left
    buffer = io.BytesIO()
    pil = Image.fromarray(image)
    if exif_orientation is None:
        pil.save(buffer, format="JPEG", quality=90)
    else:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        pil.save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def _decoded(data: bytes, **options: int) -> DecodedImage:
    result = decode_image(data, **options)
    assert isinstance(result, DecodedImage), result
    return result


@pytest.mark.parametrize(
    ("size", "expected"),
    [((4000, 3000), 2), ((8000, 6000), 4), ((2000, 1500), 1), ((16000, 12000), 8)],
)
def test_the_reduction_keeps_enough_pixels(size: tuple[int, int], expected: int) -> None:
    assert choose_reduction(*size, min_long_side=1800) == expected


def test_a_large_jpeg_is_decoded_at_reduced_resolution_in_grey() -> None:
    decoded = _decoded(_jpeg(2400, 1600), min_long_side=1000)
    assert decoded.reduction == 2
    assert decoded.gray.shape == (800, 1200)
    assert decoded.gray.dtype == np.uint8
    assert decoded.original_size == (2400, 1600)
    assert decoded.format == "JPEG"


def test_exif_orientation_is_honoured() -> None:
    # Orientation 6: the stored image must be turned 90 degrees clockwise to be upright,
    # so the stored top-left block ends up at the top-right.
    decoded = _decoded(_jpeg(600, 400, exif_orientation=6))
    assert decoded.orientation == 6
    assert decoded.gray.shape == (600, 400)
    assert decoded.original_size == (400, 600)
    assert decoded.gray[10, -10] < 50
    assert decoded.gray[10, 10] > 200


def test_png_is_decoded_and_reduced_too() -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((900, 1200), 128, np.uint8)).save(buffer, format="PNG")
    decoded = _decoded(buffer.getvalue(), min_long_side=500)
    assert decoded.reduction == 2
    assert decoded.gray.shape == (450, 600)


def _refusal(data: bytes) -> Problem:
    result = decode_image(data)
    assert isinstance(result, Problem), result
    assert result.status == "unreadable"
    return result


def test_bytes_that_are_not_an_image_are_refused() -> None:
    assert "not an image" in _refusal(b"%PDF-1.7 this is not a photo" * 20).reason
    assert "empty" in _refusal(b"").reason


def test_an_iphone_heic_photo_is_refused_with_what_to_do() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    reason = _refusal(heic).reason
    assert "HEIC" in reason and "JPEG" in reason
    other = b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41" + b"\x00" * 200
    assert "not an image" in _refusal(other).reason  # a video is not a HEIC photo


def test_a_truncated_jpeg_is_refused() -> None:
    data = _jpeg(800, 600)
    assert "truncated" in _refusal(data[: len(data) // 2]).reason


def test_a_truncated_png_is_refused() -> None:
    buffer = io.BytesIO()
    noise = np.random.default_rng(1).integers(0, 255, (600, 800), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, format="PNG")
    data = buffer.getvalue()
    assert "corrupt or truncated" in _refusal(data[: len(data) // 2]).reason


@pytest.mark.parametrize("side", [12_000, 40_000])
def test_a_decompression_bomb_is_refused_before_decoding(side: int) -> None:
    reason = _refusal(png_claiming(side, side)).reason
    assert "decompression bomb" in reason


def test_a_tiny_image_is_refused() -> None:
    assert "too small" in _refusal(_jpeg(120, 90)).reason
