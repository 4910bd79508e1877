"""EXIF orientation in every format that carries it (a PNG's eXIf chunk, WebP, AVIF, TIFF),
not only JPEG: pages for `rekap read`, crops for `rekap digits classify`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from page_drawing import GlyphClassifier, PhotoMaker
from PIL import Image

from rekap.reading.decode import DecodedImage, crop_header, decode_image
from rekap.reading.pipeline import PageReader

REKAP = str(Path(sys.executable).parent / "rekap")
PAGE_2 = {"paslon_1": "123", "paslon_2": "X74", "paslon_3": "XX5"}
BUBBLES_2 = {"paslon_1": "123", "paslon_2": "-74", "paslon_3": "005"}
EXPECTED_2 = {"paslon_1": 123, "paslon_2": 74, "paslon_3": 5}
STORED = {  # how to store an upright picture so that EXIF orientation N shows it upright
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}
FORMATS = ("PNG", "WEBP", "TIFF", "AVIF")


def _saved(image: Image.Image, fmt: str, orientation: int | None) -> bytes:
    """The picture stored as ``STORED[orientation]`` says, with that EXIF orientation."""
    exif = Image.Exif()
    if orientation is not None:
        image = image.transpose(STORED[orientation])
        exif[0x0112] = orientation
    out = io.BytesIO()
    lossless = {"lossless": True} if fmt == "WEBP" else {"quality": 100} if fmt == "AVIF" else {}
    image.save(out, format=fmt, exif=exif, **lossless)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("orientation", sorted(STORED))
def test_a_picture_is_decoded_upright_in_every_format(fmt: str, orientation: int) -> None:
    levels = np.add.outer(np.arange(240), 2 * np.arange(360)) % 256  # no two corners alike
    upright = Image.fromarray(np.asarray(levels, dtype=np.uint8))
    data = _saved(upright, fmt, orientation)
    decoded = decode_image(data, 1)
    assert isinstance(decoded, DecodedImage)
    assert decoded.original_size == upright.size
    assert np.abs(decoded.gray.astype(int) - levels).mean() < 3
    # for OpenCV's decode of a crop: TIFF comes out of it upright already
    assert crop_header(data, 4_000_000) == (1 if fmt == "TIFF" else orientation)


def test_a_png_page_stored_flipped_reads_as_the_jpeg_does(
    glyph_classifier: GlyphClassifier, page_photo: PhotoMaker
) -> None:
    upright = Image.open(io.BytesIO(page_photo(2, PAGE_2, BUBBLES_2)))
    reader = PageReader(glyph_classifier)
    for fmt in ("PNG", "WEBP"):
        reading = reader.read(_saved(upright, fmt, 4))
        assert reading.status == "ok", (fmt, reading.reason)
        assert {f.field_id: f.value for f in reading.fields} == EXPECTED_2


def _labels(names: list[str], cwd: Path) -> list[str]:
    command = [REKAP, "digits", "classify", *names, "--json"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [line.split('"label": ')[1].split(",")[0] for line in done.stdout.decode().splitlines()]


def test_digits_turns_png_and_webp_crops_upright(tmp_path: Path, shared_dir: Path) -> None:
    """Real crops stored turned (3, 6, 8) as PNG and WebP read as the upright crop does;
    the same pixels without their EXIF read otherwise for some."""
    crops = sorted((shared_dir / "data" / "digits" / "c1-real" / "images").glob("*.jpg"))[::700]
    turned: list[str] = []
    bare: list[str] = []
    upright: list[str] = []
    for number, crop in enumerate(crops):
        image = Image.open(crop).convert("RGB")
        upright.append(f"{number}.png")
        (tmp_path / upright[-1]).write_bytes(_saved(image, "PNG", None))
        for fmt in ("PNG", "WEBP"):
            for orientation in (3, 6, 8):
                name = f"{number}-{orientation}.{fmt.lower()}"
                (tmp_path / name).write_bytes(_saved(image, fmt, orientation))
                (tmp_path / f"bare-{name}").write_bytes(
                    _saved(image.transpose(STORED[orientation]), fmt, None)
                )
                turned.append(name)
                bare.append(f"bare-{name}")
    labels = _labels(upright + turned + bare, tmp_path)
    as_upright = [label for label in labels[: len(upright)] for _ in range(6)]
    assert labels[len(upright) : len(upright) + len(turned)] == as_upright
    assert labels[len(upright) + len(turned) :] != as_upright  # the orientation mattered
