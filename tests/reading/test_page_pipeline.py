"""The whole reader on synthetic photos: values read, and every kind of bad photo refused."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from page_drawing import GlyphClassifier, PhotoMaker, png_claiming

from rekap.reading.pipeline import PageReader
from rekap.reading.result import PageReading

PAGE_2 = {"paslon_1": "123", "paslon_2": "X74", "paslon_3": "XX5"}
BUBBLES_2 = {"paslon_1": "123", "paslon_2": "-74", "paslon_3": "005"}


@pytest.fixture(scope="module")
def reader(glyph_classifier: GlyphClassifier) -> PageReader:
    return PageReader(glyph_classifier)


def _values(reading: PageReading) -> dict[str, int | None]:
    return {f.field_id: f.value for f in reading.fields}


def test_page_two_is_read_from_digits_and_bubbles(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    reading = reader.read(page_photo(2, PAGE_2, BUBBLES_2))
    assert (reading.status, reading.page, reading.form) == ("ok", 2, "C.HASIL-PPWP")
    assert _values(reading) == {"paslon_1": 123, "paslon_2": 74, "paslon_3": 5}
    assert all(f.status == "read" and f.confidence >= 0.95 for f in reading.fields)
    assert reading.geometry is not None and reading.geometry.rotation_degrees == 0
    first = reading.field("paslon_1")
    assert first.bubble_digits == "123"
    assert 440 < first.box[0] < first.box[2] < 540


def test_page_three_is_read_from_digits(reader: PageReader, page_photo: PhotoMaker) -> None:
    digits = {"suara_sah": "427", "suara_tidak_sah": "XX3", "suara_total": "430"}
    reading = reader.read(page_photo(3, digits, seed=3))
    assert _values(reading) == {"suara_sah": 427, "suara_tidak_sah": 3, "suara_total": 430}


def test_page_one_reads_filled_fields_and_abstains_on_empty_ones(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    digits = {"dpt_l": "X96", "dpt_p": "104", "dpt_j": "200", "surat_suara_rusak": "XX2"}
    reading = reader.read(page_photo(1, digits, seed=4))
    assert reading.status == "ok" and reading.page == 1
    values = _values(reading)
    assert (values["dpt_l"], values["dpt_p"], values["dpt_j"], values["surat_suara_rusak"]) == (
        96,
        104,
        200,
        2,
    )
    empty = reading.field("disabilitas_j")
    assert (empty.status, empty.value) == ("abstain", None)
    assert "empty" in empty.reason
    assert len(reading.fields) == 22


def test_an_upside_down_photo_is_read_and_says_so(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    reading = reader.read(page_photo(2, PAGE_2, BUBBLES_2, turn=2, seed=5))
    assert reading.status == "ok"
    assert _values(reading) == {"paslon_1": 123, "paslon_2": 74, "paslon_3": 5}
    assert "180 degrees" in reading.reason


def test_a_page_small_in_a_large_photo_is_decoded_again_larger(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    photo = page_photo(2, PAGE_2, BUBBLES_2, size=(3000, 4000), coverage=0.5, seed=7)
    reading = reader.read(photo)
    assert reading.status == "ok"
    assert _values(reading) == {"paslon_1": 123, "paslon_2": 74, "paslon_3": 5}
    assert reading.geometry is not None
    # In full-resolution photo pixels: about 0.5 * 4000 px over the page's 904 mm.
    assert reading.geometry.px_per_mm == pytest.approx(0.5 * 4000 / 904, rel=0.15)


def test_a_photo_of_the_wrong_page_is_refused(reader: PageReader, page_photo: PhotoMaker) -> None:
    reading = reader.read(page_photo(1, seed=6), expected_page=2)
    assert (reading.status, reading.page, reading.fields) == ("not_a_form", 1, ())
    assert "expected page 2" in reading.reason


def test_a_cut_off_corner_still_reads_and_is_reported(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    digits = {"suara_sah": "427", "suara_tidak_sah": "XX3", "suara_total": "430"}
    photo = page_photo(3, digits, angle=5, shift=(0.06, 0.05), coverage=0.95, tilt=0.02)
    reading = reader.read(photo)
    assert reading.status == "ok"
    assert "bottom_right fiducial outside the photo" in reading.reason
    assert _values(reading) == {"suara_sah": 427, "suara_tidak_sah": 3, "suara_total": 430}


def test_fields_outside_the_photo_make_the_page_incomplete(
    reader: PageReader, page_photo: PhotoMaker
) -> None:
    digits = {"surat_suara_tidak_digunakan": "X40", "disabilitas_j": "XX7", "dpt_l": "X96"}
    photo = page_photo(1, digits, angle=-9, shift=(0.15, 0.0), coverage=0.95, tilt=0.0)
    reading = reader.read(photo)
    assert reading.status == "page_incomplete"
    assert "outside the photo: surat_suara_tidak_digunakan, disabilitas_j" in reading.reason
    outside = [f for f in reading.fields if f.reason == "outside the photo"]
    assert [f.field_id for f in outside] == ["surat_suara_tidak_digunakan", "disabilitas_j"]
    assert all(f.value is None and f.status == "abstain" for f in outside)
    assert reading.field("dpt_l").value == 96


def _darken(photo: np.ndarray) -> np.ndarray:
    return (photo.astype(np.float32) * 0.03).astype(np.uint8)


def _blur(photo: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(photo, (0, 0), 9)


@pytest.mark.parametrize(("edit", "reason"), [(_darken, "too dark"), (_blur, "too blurred")])
def test_a_bad_photo_of_a_form_says_what_is_wrong(
    reader: PageReader, page_photo: PhotoMaker, edit: object, reason: str
) -> None:
    reading = reader.read(page_photo(2, PAGE_2, BUBBLES_2, edit=edit))
    assert reading.status == "unreadable"
    assert reason in reading.reason
    assert reading.fields == ()


def test_a_photo_of_something_else_is_not_a_form(reader: PageReader) -> None:
    rng = np.random.default_rng(9)
    scene = rng.normal(140, 40, (1200, 1600)).clip(0, 255).astype(np.uint8)
    scene = cv2.GaussianBlur(scene, (0, 0), 1.0)
    for _ in range(60):
        x, y = (int(v) for v in rng.integers(0, 1500, 2))
        cv2.rectangle(scene, (x, y), (x + 60, y + 30), int(rng.integers(0, 255)), -1)
    ok, encoded = cv2.imencode(".jpg", scene)
    assert ok
    reading = reader.read(encoded.tobytes())
    assert (reading.status, reading.page, reading.fields) == ("not_a_form", None, ())
    assert "if it is a page of the C.Hasil form, photograph it again" in reading.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"GIF89a-but-not-really" * 10, "not an image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 500, "not an image"),
        (png_claiming(30_000, 30_000), "decompression bomb"),
    ],
)
def test_bytes_that_are_no_photo_are_unreadable(
    reader: PageReader, data: bytes, reason: str
) -> None:
    reading = reader.read(data)
    assert reading.status == "unreadable"
    assert reason in reading.reason


def test_a_truncated_photo_is_unreadable(reader: PageReader, page_photo: PhotoMaker) -> None:
    data = page_photo(2, PAGE_2, BUBBLES_2)
    reading = reader.read(data[: len(data) * 2 // 3])
    assert (reading.status, reading.fields) == ("unreadable", ())
    assert "truncated" in reading.reason
