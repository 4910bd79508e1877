"""Why no page was located, said truly: the corner fiducials may be in view while the tag
cannot be read (covered by a sticker) or the photo is mirrored."""

from __future__ import annotations

import cv2
import numpy as np
from page_drawing import PAGE_PX_PER_MM, GlyphClassifier, draw_page, encode, photograph

from rekap.reading.pipeline import PageReader
from rekap.reading.template import load_page_template

PAGE_2 = {"paslon_1": "123", "paslon_2": "X74", "paslon_3": "XX5"}
BUBBLES_2 = {"paslon_1": "123", "paslon_2": "-74", "paslon_3": "005"}


def _page(tag_covered: bool = False) -> np.ndarray:
    template = load_page_template(2)
    page = draw_page(template, PAGE_2, BUBBLES_2)
    if tag_covered:  # a plain sticker 3 mm over each side of the tag
        corners = np.array(template.apriltag.corners) * PAGE_PX_PER_MM
        (x0, y0), (x1, y1) = (
            corners.min(0) - 3 * PAGE_PX_PER_MM,
            corners.max(0) + 3 * PAGE_PX_PER_MM,
        )
        cv2.rectangle(page, (int(x0), int(y0)), (int(x1), int(y1)), 200, -1)
    return page


def test_a_sticker_over_the_tag_is_named_and_no_number_is_given() -> None:
    reader = PageReader(GlyphClassifier())
    for shot in ({}, {"size": (3000, 4000), "coverage": 0.5, "angle": 10.0, "seed": 1}):
        photo, _ = photograph(_page(tag_covered=True), **shot)  # type: ignore[arg-type]
        reading = reader.read(encode(photo, quality=92))
        assert (reading.status, reading.page, reading.fields) == ("not_a_form", None, ())
        assert "corner fiducials do, but no AprilTag" in reading.reason, reading.reason
        assert "covered" in reading.reason and "neither" not in reading.reason


def test_a_mirrored_photo_is_called_mirrored() -> None:
    photo, _ = photograph(_page())
    for mirrored in (photo[:, ::-1], photo[::-1]):  # upside down, a mirror turned round
        reading = PageReader(GlyphClassifier()).read(encode(np.ascontiguousarray(mirrored)))
        assert (reading.status, reading.page, reading.fields) == ("not_a_form", None, ())
        assert reading.reason.startswith("the photo is mirrored"), reading.reason


def test_a_page_of_text_is_still_no_page_of_the_form() -> None:
    """Letters may pass for fiducials; the form's digit boxes are not where they would put
    them, so the reason stays that no page was found."""
    text = np.full((1500, 2000), 235, np.uint8)
    for y in range(60, 1460, 44):
        for x in range(40, 1800, 230):
            cv2.putText(text, "jumlah", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 30, 2, cv2.LINE_AA)
    reading = PageReader(GlyphClassifier()).read(encode(text, quality=92))
    assert reading.status == "not_a_form"
    assert reading.reason.startswith("no page of the form found: neither"), reading.reason
