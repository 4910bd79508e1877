"""Locate stage on synthetic photos: page id, homography, rotation, hidden and cut corners."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from page_drawing import PAGE_PX_PER_MM, draw_page, photograph

from rekap.reading.decode import DecodedImage
from rekap.reading.fiducials import find_fiducial_candidates
from rekap.reading.geometry import project
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.problem import Problem
from rekap.reading.template import PageTemplate, load_form_templates, load_page_template

TEMPLATES = load_form_templates()


def _decoded(photo: np.ndarray) -> DecodedImage:
    height, width = photo.shape
    return DecodedImage(photo, (width, height), 1, "JPEG", 1)


def _truth(homography: np.ndarray) -> np.ndarray:
    """Template mm -> photo pixels, as the synthetic photo was made."""
    return homography @ np.diag([PAGE_PX_PER_MM, PAGE_PX_PER_MM, 1.0])


def _field_corners(template: PageTemplate) -> np.ndarray:
    return np.array(
        [(f.box[0], f.box[1]) for f in template.fields]
        + [(f.box[2], f.box[3]) for f in template.fields]
    )


def _located(photo: np.ndarray) -> PageLocation:
    result = locate_page(_decoded(photo), TEMPLATES)
    assert isinstance(result, PageLocation), result
    return result


@pytest.mark.parametrize("page", [1, 2, 3])
def test_each_page_is_found_and_mapped_to_within_a_pixel_or_two(page: int) -> None:
    template = load_page_template(page)
    photo, homography = photograph(draw_page(template), seed=page)
    location = _located(photo)
    assert location.template.page == page
    assert set(location.fiducials_used) == {f.name for f in template.fiducials}
    assert location.notes == ()
    corners = _field_corners(template)
    error = np.hypot(
        *(project(location.homography, corners) - project(_truth(homography), corners)).T
    )
    assert error.max() < 2.0
    assert location.px_per_mm == pytest.approx(2.0 * 0.85 * 2000 / 1800 / 2.0 * 2.0, rel=0.3)


@pytest.mark.parametrize(("turn", "degrees"), [(1, 90), (2, 180), (3, 270)])
def test_a_turned_or_upside_down_photo_is_located_with_its_rotation(
    turn: int, degrees: int
) -> None:
    photo, _ = photograph(draw_page(load_page_template(2)), turn=turn, seed=turn)
    location = _located(photo)
    assert location.template.page == 2
    assert location.rotation_degrees == degrees


def test_a_hidden_fiducial_is_replaced_by_the_tag() -> None:
    template = load_page_template(2)
    photo, homography = photograph(draw_page(template), seed=4)
    x, y = project(_truth(homography), np.array([template.fiducials[2].anchor]))[0]
    cv2.circle(photo, (round(x), round(y)), 25, 180, -1)  # a thumb over bottom_right
    location = _located(photo)
    assert "bottom_right" not in location.fiducials_used
    assert any("bottom_right fiducial not found" in note for note in location.notes)
    corners = _field_corners(template)
    error = np.hypot(
        *(project(location.homography, corners) - project(_truth(homography), corners)).T
    )
    # Three fiducials and the tag fix the perspective less well: within ~3 mm, which the
    # cut stage's local registration absorbs (see test_cells).
    assert error.max() < 6.0


def test_a_corner_outside_the_photo_is_reported() -> None:
    photo, _ = photograph(
        draw_page(load_page_template(3)), angle=5, shift=(0.06, 0.05), coverage=0.95, tilt=0.02
    )
    location = _located(photo)
    assert location.template.page == 3
    assert any("bottom_right fiducial outside the photo" in note for note in location.notes)


def test_two_hidden_fiducials_leave_the_page_incomplete() -> None:
    template = load_page_template(1)
    photo, homography = photograph(draw_page(template), seed=5)
    for fiducial in template.fiducials[2:]:
        x, y = project(_truth(homography), np.array([fiducial.anchor]))[0]
        cv2.circle(photo, (round(x), round(y)), 25, 180, -1)
    result = locate_page(_decoded(photo), TEMPLATES)
    assert isinstance(result, Problem)
    assert result.status == "page_incomplete"
    assert result.page == 1
    hidden = ", ".join(f.name.replace("_", " ") for f in template.fiducials[2:])
    assert f"(not found: {hidden})" in result.reason  # which corners to bring into view
    assert "all four corners in the frame" in result.reason


def test_a_tag_of_another_form_is_not_this_form() -> None:
    photo, _ = photograph(draw_page(load_page_template(2), tag_id=205), seed=6)
    result = locate_page(_decoded(photo), TEMPLATES)
    assert isinstance(result, Problem)
    assert result.status == "not_a_form"
    assert "205" in result.reason


def test_a_photo_without_a_form_finds_nothing() -> None:
    rng = np.random.default_rng(7)
    photo = rng.normal(120, 30, (1200, 900)).clip(0, 255).astype(np.uint8)
    for _ in range(40):
        x, y = (int(v) for v in rng.integers(0, 800, 2))
        cv2.rectangle(photo, (x, y), (x + 40, y + 25), int(rng.integers(0, 255)), -1)
    assert locate_page(_decoded(photo), TEMPLATES) is None


def test_a_part_of_the_photo_gives_the_same_candidates_far_from_its_cut_edges() -> None:
    photo, _ = photograph(draw_page(load_page_template(2)), seed=11)
    whole = find_fiducial_candidates(photo)
    height, width = photo.shape
    part = photo[: height // 3, : width // 3]
    margin = 100
    inside = [c for c in whole if c.x < width // 3 - margin and c.y < height // 3 - margin]
    found = [
        c
        for c in find_fiducial_candidates(part, photo.shape)
        if c.x < width // 3 - margin and c.y < height // 3 - margin
    ]
    assert inside and found == inside


@pytest.mark.parametrize("coverage", [0.45, 0.95])
def test_a_page_far_from_the_photo_corners_or_filling_it_is_located(coverage: float) -> None:
    template = load_page_template(2)
    photo, homography = photograph(
        draw_page(template), (1500, 2000), coverage=coverage, shift=(0.05, -0.04), seed=12
    )
    location = _located(photo)
    assert location.template.page == 2
    assert set(location.fiducials_used) == {f.name for f in template.fiducials}
    corners = _field_corners(template)
    error = np.hypot(
        *(project(location.homography, corners) - project(_truth(homography), corners)).T
    )
    assert error.max() < 2.0
