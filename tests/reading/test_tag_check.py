"""Reading the AprilTag's cells through a page hypothesis, without searching the photo."""

from __future__ import annotations

import numpy as np
import pytest
from page_drawing import PAGE_PX_PER_MM, draw_page, photograph

from rekap.reading.apriltag import match_tag, read_cells, read_cells_batch, tag_cells
from rekap.reading.tag_check import check_tag
from rekap.reading.template import load_form_templates, load_page_template

TEMPLATES = load_form_templates()


def _page_to_photo(homography: np.ndarray, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """Template mm -> photo pixels, wrong by (dx, dy) mm like a slightly off hypothesis."""
    scale = np.diag([PAGE_PX_PER_MM, PAGE_PX_PER_MM, 1.0])
    shift = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy], [0.0, 0.0, 1.0]])
    result: np.ndarray = homography @ scale @ shift
    return result


@pytest.mark.parametrize("page", [1, 2, 3])
def test_the_tag_names_the_page(page: int) -> None:
    photo, homography = photograph(draw_page(load_page_template(page)), seed=20 + page)
    check = check_tag(photo, _page_to_photo(homography), TEMPLATES)
    assert check.tag is not None
    assert check.tag.id == 100 + page
    assert check.shift_mm <= 0.75


@pytest.mark.parametrize(("dx", "dy"), [(3.0, -2.5), (-4.0, 1.0)])
def test_a_tag_a_few_millimetres_off_is_found_and_measured(dx: float, dy: float) -> None:
    photo, homography = photograph(draw_page(load_page_template(2)), seed=24)
    check = check_tag(photo, _page_to_photo(homography, dx, dy), TEMPLATES)
    assert check.tag is not None and check.tag.id == 102
    assert check.shift_mm == pytest.approx(np.hypot(dx, dy), abs=0.8)


def test_no_tag_where_the_hypothesis_looks() -> None:
    photo, homography = photograph(draw_page(load_page_template(2)), seed=25)
    moved = _page_to_photo(homography, 0.0, 300.0)  # the middle of the page: no tag there
    assert check_tag(photo, moved, TEMPLATES).tag is None


def test_another_forms_tag_is_reported_by_its_id() -> None:
    photo, homography = photograph(draw_page(load_page_template(2), tag_id=205), seed=26)
    check = check_tag(photo, _page_to_photo(homography), TEMPLATES)
    assert check.tag is None
    assert check.unknown_id == 205


def test_a_few_wrong_cells_still_name_the_tag_but_many_do_not() -> None:
    cells = tag_cells(103).copy()
    cells[2, 2:6] = ~cells[2, 2:6]  # four wrong cells
    assert match_tag(cells, [101, 102, 103]) == (103, 4)
    cells[3, 2:4] = ~cells[3, 2:4]  # six
    assert match_tag(cells, [101, 102, 103])[0] is None


def test_tags_sampled_together_are_read_as_each_alone() -> None:
    rng = np.random.default_rng(5)
    tag = np.where(tag_cells(102), 40.0, 210.0)
    levels = np.stack(
        [
            tag + rng.normal(0, 30, tag.shape),
            tag + rng.normal(0, 60, tag.shape),
            np.full(tag.shape, 128.0) + rng.normal(0, 5, tag.shape),
            250.0 - tag,
        ]
    )
    together = read_cells_batch(levels)
    for alone, sampled in zip(together, levels, strict=True):
        expected = read_cells(sampled)
        assert (alone is None) == (expected is None)
        if alone is not None and expected is not None:
            assert np.array_equal(alone, expected)
    assert together[0] is not None and together[2] is None
