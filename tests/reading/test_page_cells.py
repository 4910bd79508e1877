"""Cut stage: crops at the right place, local registration, fields outside the photo."""

from __future__ import annotations

import numpy as np
import pytest
from page_drawing import PAGE_PX_PER_MM, GlyphClassifier, draw_page, photograph

from rekap.reading.cells import DIGIT_CROP_PX, cut_cells, register_field
from rekap.reading.locate import PageLocation
from rekap.reading.template import load_page_template


def _location(page: int, homography: np.ndarray, photo: np.ndarray) -> PageLocation:
    height, width = photo.shape
    return PageLocation(
        template=load_page_template(page),
        homography=homography @ np.diag([PAGE_PX_PER_MM, PAGE_PX_PER_MM, 1.0]),
        image_size=(width, height),
        fiducials_used=(),
        residual_mm=0.0,
        px_per_mm=1.7,
        rotation_degrees=0,
        notes=(),
    )


def _moved(location: PageLocation, dx: float, dy: float) -> PageLocation:
    """The same location, wrong so that fields appear (dx, dy) mm from where it puts them."""
    shift = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy], [0.0, 0.0, 1.0]])
    return PageLocation(**{**location.__dict__, "homography": location.homography @ shift})


def test_digit_crops_show_the_written_digits(glyph_classifier: GlyphClassifier) -> None:
    digits = {"suara_sah": "427", "suara_tidak_sah": "__3", "suara_total": "430"}
    photo, homography = photograph(draw_page(load_page_template(3), digits), seed=11)
    cells = cut_cells(photo, _location(3, homography, photo))
    crops = [crop for field in cells.fields for crop in field.digit_crops]
    assert all(crop.shape == (DIGIT_CROP_PX, DIGIT_CROP_PX) for crop in crops)
    labels = [r.label for r in glyph_classifier.classify(crops)]
    assert labels == ["4", "2", "7", "blank", "blank", "3", "4", "3", "0"]


@pytest.mark.parametrize(("dx", "dy"), [(3.0, -2.0), (-4.0, 1.5), (0.0, 0.0)])
def test_a_field_is_found_a_few_millimetres_from_where_the_page_says(dx: float, dy: float) -> None:
    photo, homography = photograph(draw_page(load_page_template(2)), seed=12)
    wrong = _moved(_location(2, homography, photo), dx, dy)
    field = wrong.template.field("paslon_2")
    found = register_field(photo, wrong, field)
    assert found == pytest.approx((dx, dy), abs=0.75)


def test_a_field_outside_the_photo_is_not_cut() -> None:
    photo, homography = photograph(
        draw_page(load_page_template(3)), angle=5, shift=(0.06, 0.05), coverage=0.95, tilt=0.02
    )
    location = _location(3, homography, photo)
    shifted = PageLocation(
        **{**location.__dict__, "image_size": (photo.shape[1] // 2, photo.shape[0])}
    )
    cells = cut_cells(photo, shifted)
    assert [field.visible for field in cells.fields] == [False, False, False]
    assert all(field.digit_crops == () for field in cells.fields)
