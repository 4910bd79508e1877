"""A located page is where its homography says, and one photo shows one page.

The kawalc1 page-3 photo turned 15 degrees (or -20) once gave a hypothesis whose top-left
fiducial was a bold mark on the "DATA SUARA" heading: its tag still read, its fit agreed
with every mark to 1.2 mm, and its boxes fell up to 17 mm from the printed ones.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.reading.test_kawalc1_photos import ScriptedClassifier

from rekap.reading.decode import DecodedImage, decode_image
from rekap.reading.frame_check import check_frames
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.pipeline import PageReader
from rekap.reading.template import load_form_templates

pytestmark = pytest.mark.shared


def _photo(shared_dir: Path, name: str) -> Image.Image:
    return Image.open(shared_dir / "data" / "forms" / "kawalc1" / name).convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _decoded(data: bytes) -> DecodedImage:
    decoded = decode_image(data, 2)
    assert isinstance(decoded, DecodedImage)
    return decoded


def _turned(shared_dir: Path, degrees: float) -> bytes:
    photo = _photo(shared_dir, "pilpres-2024-hal3.jpg")
    return _jpeg(photo.rotate(degrees, expand=True, fillcolor=(90, 90, 90)))


@pytest.mark.parametrize("degrees", [15, -20])
def test_a_turned_photo_is_located_from_its_real_fiducials(
    shared_dir: Path, degrees: float
) -> None:
    located = locate_page(_decoded(_turned(shared_dir, degrees)), load_form_templates())
    assert isinstance(located, PageLocation) and located.template.page == 3
    assert len(located.fiducials_used) == 4
    frames = check_frames(
        _decoded(_turned(shared_dir, degrees)).gray, located.homography, located.template
    )
    assert frames.in_place == frames.fields == 3


def test_frames_away_from_the_homography_fail_the_check(shared_dir: Path) -> None:
    decoded = _decoded(_jpeg(_photo(shared_dir, "pilpres-2024-hal3.jpg")))
    located = locate_page(decoded, load_form_templates())
    assert isinstance(located, PageLocation)
    assert check_frames(decoded.gray, located.homography, located.template).passed
    # the page's middle 15 mm lower than it is, as a wrong far corner puts it
    moved = located.homography @ np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -15.0], [0.0, 0.0, 1.0]])
    check = check_frames(decoded.gray, moved, located.template)
    assert not check.passed and check.in_place == 0


@pytest.mark.parametrize(
    "names",
    [
        ("pilpres-2024-hal3.jpg", "pilpres-2024-hal2.jpg"),
        ("pilpres-2024-hal2.jpg", "pilpres-2024-hal2-cam2.jpg"),
        ("pilpres-2024-hal2.jpg", "pilpres-2024-hal1.jpg"),
    ],
)
def test_two_pages_in_one_photo_are_refused(shared_dir: Path, names: tuple[str, str]) -> None:
    left, right = (_photo(shared_dir, name) for name in names)
    right = right.resize((round(right.width * left.height / right.height), left.height))
    both = Image.new("RGB", (left.width + right.width, left.height), (90, 90, 90))
    both.paste(left, (0, 0))
    both.paste(right, (left.width, 0))
    reading = PageReader(ScriptedClassifier("")).read(_jpeg(both))
    assert reading.status == "unreadable" and reading.fields == ()
    assert reading.reason == "two pages in one photo: photograph each page on its own"
