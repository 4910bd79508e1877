"""Real phone photos (kawalc1: a screen showing a digitally filled 2024 form).

Page 2 of the filled form reads 123 / 274 / 032 and page 3 reads 427 / 3 / 430. Note that
`pilpres-2024-hal3-cam2.jpg`, despite its name, shows page 1 (its AprilTag is 101).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rekap.reading.cells import cut_cells
from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.decode import DecodedImage, decode_image
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.pipeline import PageReader
from rekap.reading.template import load_form_templates

pytestmark = pytest.mark.shared

PAGES = {
    "pilpres-2024-hal1.jpg": 1,
    "pilpres-2024-hal2.jpg": 2,
    "pilpres-2024-hal3.jpg": 3,
    "pilpres-2024-hal2-cam2.jpg": 2,
    "pilpres-2024-hal3-cam2.jpg": 1,
}


@dataclass(frozen=True)
class Reading:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


class ScriptedClassifier:
    """Says what a person reads in each box, in order, with probability `p`: so the test
    exercises locating, cutting, bubbles and the decision on real photos, not digits."""

    def __init__(self, labels: str, p: float = 0.97) -> None:
        self.labels = [{"X": "X", "_": "blank"}.get(ch, ch) for ch in labels]
        self.p = p

    def classify(self, crops: list[np.ndarray]) -> list[Reading]:
        assert len(crops) == len(self.labels)
        readings = []
        rest = (1.0 - self.p) / (len(DIGIT_BOX_LABELS) - 1)
        for label in self.labels:
            p = tuple(self.p if name == label else rest for name in DIGIT_BOX_LABELS)
            readings.append(Reading(label, self.p, p))
        return readings


def _photo(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "data" / "forms" / "kawalc1" / name).read_bytes()


@pytest.mark.parametrize(("name", "page"), sorted(PAGES.items()))
def test_each_photo_is_located_as_its_page(shared_dir: Path, name: str, page: int) -> None:
    # These pages fill only about 60% of the photos: the reader locates them at half
    # resolution (its second try), so this test does too.
    decoded = decode_image(_photo(shared_dir, name), reduction=2)
    assert isinstance(decoded, DecodedImage)
    location = locate_page(decoded, load_form_templates())
    assert isinstance(location, PageLocation), location
    assert location.template.page == page
    assert len(location.fiducials_used) >= 3
    assert location.residual_mm < 3.0


@pytest.mark.parametrize("name", ["pilpres-2024-hal2.jpg", "pilpres-2024-hal2-cam2.jpg"])
def test_page_two_bubbles_read_123_274_032(shared_dir: Path, name: str) -> None:
    reader = PageReader(ScriptedClassifier("123274X32"))
    reading = reader.read(_photo(shared_dir, name))
    assert reading.status == "ok"
    bubbles = [f.bubble_digits for f in reading.fields]
    assert bubbles == ["123", "274", "-32"]  # the leading 0 of 032 was left unmarked
    values = [f.value for f in reading.fields]
    assert values == [123, 274, 32]
    assert all(f.status == "read" for f in reading.fields)


def test_page_two_bubbles_outvote_a_wrong_digit_box(shared_dir: Path) -> None:
    reader = PageReader(ScriptedClassifier("128274X32"))  # the box says 8, the bubble 3
    first = reader.read(_photo(shared_dir, "pilpres-2024-hal2.jpg")).fields[0]
    assert (first.status, first.value) == ("abstain", None)
    assert "digit boxes read 128" in first.reason and "bubbles read 123" in first.reason


def test_page_three_digit_crops_hold_the_written_digits(shared_dir: Path) -> None:
    decoded = decode_image(_photo(shared_dir, "pilpres-2024-hal3.jpg"), reduction=2)
    assert isinstance(decoded, DecodedImage)
    location = locate_page(decoded, load_form_templates())
    assert isinstance(location, PageLocation)
    crops = [c for field in cut_cells(decoded.gray, location).fields for c in field.digit_crops]
    # 427 / __3 / 430: ink in the middle of every box but the two empty ones.
    middles = [crop[14:34, 14:34] for crop in crops]
    papers = [float(np.percentile(crop, 90)) for crop in crops]
    ink = [paper - float(middle.min()) for paper, middle in zip(papers, middles, strict=True)]
    written = [i for i, amount in enumerate(ink) if amount > 60]
    assert written == [0, 1, 2, 5, 6, 7, 8]


def test_page_three_reads_427_3_430_when_the_digits_are_sure(shared_dir: Path) -> None:
    photo = _photo(shared_dir, "pilpres-2024-hal3.jpg")
    sure = PageReader(ScriptedClassifier("427__3430", p=0.999)).read(photo)
    assert [f.value for f in sure.fields] == [427, 3, 430]
    # Without bubbles, three boxes each 99.5% sure leave 1.5% doubt: on its own marks, each
    # field abstains; with the page's identity (427 + 3 = 430, the default) all read.
    alone = PageReader(ScriptedClassifier("427__3430", p=0.995), identities=()).read(photo)
    assert all(f.status == "abstain" and "uncertain" in f.reason for f in alone.fields)
    joint = PageReader(ScriptedClassifier("427__3430", p=0.995)).read(photo)
    assert [f.value for f in joint.fields] == [427, 3, 430]
    assert all("suara sah + tidak sah = total" in f.reason for f in joint.fields)


def _shrunk(data: bytes, long_side: int, quality: int = 60) -> bytes:
    """The photo as a messaging app passes it on: smaller, and compressed again."""
    import cv2

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    scale = long_side / max(image.shape[:2])
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(encoded.tobytes())


@pytest.mark.parametrize("long_side", [1280, 1024, 800])
@pytest.mark.parametrize("name", ["pilpres-2024-hal2.jpg", "pilpres-2024-hal2-cam2.jpg"])
def test_a_copy_shrunk_by_a_messaging_app_is_still_read(
    shared_dir: Path, name: str, long_side: int
) -> None:
    # At 1280 pixels the far corner's two squares of the photo taken at an angle differ
    # in size and merge; below 1000 the squares are too small for the search unless the
    # photo is searched enlarged.
    reading = PageReader(ScriptedClassifier("123274X32")).read(
        _shrunk(_photo(shared_dir, name), long_side)
    )
    assert (reading.status, reading.page) == ("ok", 2), reading.reason
    assert "fiducial not found" not in reading.reason
    assert [f.bubble_digits for f in reading.fields] == ["123", "274", "-32"]
    assert [(f.status, f.value) for f in reading.fields] == [
        ("read", 123),
        ("read", 274),
        ("read", 32),
    ]


def test_a_tiny_copy_is_refused_with_the_reason(shared_dir: Path) -> None:
    reading = PageReader(ScriptedClassifier("")).read(
        _shrunk(_photo(shared_dir, "pilpres-2024-hal2.jpg"), 400)
    )
    assert reading.status in ("not_a_form", "page_incomplete")
    if reading.status == "not_a_form":
        assert "300x400 pixels" in reading.reason and "messaging app" in reading.reason


def test_a_blurred_copy_is_refused_not_read(shared_dir: Path) -> None:
    import cv2

    image = cv2.imdecode(
        np.frombuffer(_shrunk(_photo(shared_dir, "pilpres-2024-hal1.jpg"), 1600, 95), np.uint8),
        cv2.IMREAD_COLOR,
    )
    blurred = cv2.imencode(".jpg", cv2.GaussianBlur(image, (0, 0), 2.0))[1].tobytes()
    reading = PageReader(ScriptedClassifier("")).read(blurred)
    assert (reading.status, reading.page) == ("unreadable", 1)
    assert "too blurred" in reading.reason and reading.fields == ()
