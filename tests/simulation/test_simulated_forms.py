"""Filled pages and their photos: the tag names the page, the truth says where the page is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rekap.data import election_2024, region_tree
from rekap.domain.wilayah import KodeWilayah
from rekap.reading.template import load_page_template
from rekap.simulation.form_print import printed_page
from rekap.simulation.form_render import render_page
from rekap.simulation.photo import CornerCase, PhotoEffects, photograph
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.simulation.scenario import SimulationOptions, simulate_election
from rekap.simulation.seeds import generator
from rekap.simulation.truth import SimulatedTps

TREE = region_tree()
ELECTION = election_2024()
S = 2.0  # pixels per mm of the rendered pages


@pytest.fixture(scope="module")
def tps() -> SimulatedTps:
    opts = SimulationOptions(correction_rate=0.0)
    return next(simulate_election(TREE, ELECTION, KodeWilayah("3310052013001"), 5, opts))


def detect_tags(image: np.ndarray) -> list[tuple[int, np.ndarray]]:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10)
    corners, ids, _ = cv2.aruco.ArucoDetector(dictionary).detectMarkers(gray)
    if ids is None:
        return []
    return [
        (int(i), np.asarray(c).reshape(4, 2)) for c, i in zip(corners, ids.ravel(), strict=True)
    ]


@pytest.mark.parametrize("page", [1, 2, 3])
def test_a_rendered_page_carries_its_apriltag_where_the_template_says(
    tps: SimulatedTps, page: int
) -> None:
    image = render_page(tps, page, px_per_mm=S)
    assert image.shape == (1800, 1200, 3)
    template = load_page_template(page)
    ((tag_id, corners),) = detect_tags(image)
    assert tag_id == 100 + page == template.apriltag.id
    expected = np.array(template.apriltag.corners) * S
    assert np.abs(corners - expected).max() < 2.0


@pytest.mark.parametrize("page", [1, 2, 3])
def test_fiducials_are_two_dark_squares_touching_at_the_anchor(page: int) -> None:
    gray = cv2.cvtColor(printed_page(page, S), cv2.COLOR_BGR2GRAY)
    for fiducial in load_page_template(page).fiducials:
        x, y = (round(v * S) for v in fiducial.anchor)
        d = round(fiducial.size / 4 * S)
        assert gray[y - d, x - d] < 60 and gray[y + d, x + d] < 60
        assert gray[y - d, x + d] > 200 and gray[y + d, x - d] > 200


def test_every_digit_box_is_written_and_the_right_bubbles_are_blackened(tps: SimulatedTps) -> None:
    blank = cv2.cvtColor(printed_page(2, S), cv2.COLOR_BGR2GRAY).astype(int)
    filled = cv2.cvtColor(render_page(tps, 2, px_per_mm=S), cv2.COLOR_BGR2GRAY).astype(int)
    for field in load_page_template(2).fields:
        for box in field.digit_boxes:
            x0, y0, x1, y1 = (round(v * S) for v in box.inner)
            assert (blank[y0:y1, x0:x1] - filled[y0:y1, x0:x1]).max() > 60, field.id
        assert field.bubble_grid is not None
        digits = f"{tps.values[field.id]:03d}"
        units = field.bubble_grid.columns[2]
        darkness = {}
        for bubble in units.bubbles:
            x, y = (round(v * S) for v in bubble.centre)
            darkness[bubble.digit] = (blank - filled)[y - 3 : y + 4, x - 3 : x + 4].mean()
        assert max(darkness, key=lambda d: darkness[d]) == int(digits[2])


def test_rendering_is_deterministic(tps: SimulatedTps) -> None:
    assert np.array_equal(render_page(tps, 1, px_per_mm=S), render_page(tps, 1, px_per_mm=S))


@pytest.mark.parametrize("megapixels", [3.0, 8.0])
def test_a_photo_decodes_with_the_requested_megapixels(
    tps: SimulatedTps, megapixels: float
) -> None:
    rng = generator(1, "test-photo", int(megapixels))
    effects = PhotoEffects.sample(rng, megapixels=(megapixels, megapixels))
    photo = photograph(render_page(tps, 2, px_per_mm=effects.page_resolution()), rng, effects)
    decoded = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[:2] == (photo.height, photo.width)
    assert abs(photo.width * photo.height / 1e6 - megapixels) < 0.01 * megapixels
    assert 60 <= effects.jpeg_quality <= 95


@pytest.mark.parametrize("case", [None, CornerCase.UPSIDE_DOWN, CornerCase.SCREEN])
def test_the_photo_truth_maps_the_page_onto_the_photo(
    tps: SimulatedTps, case: CornerCase | None
) -> None:
    cases = frozenset() if case is None else frozenset({case})
    rng = generator(2, "test-homography", str(case))
    effects = PhotoEffects.sample(rng, cases, megapixels=(4.0, 4.0))
    photo = photograph(render_page(tps, 3, px_per_mm=effects.page_resolution()), rng, effects)
    decoded = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    ((tag_id, corners),) = detect_tags(decoded)
    assert tag_id == 103
    template = np.array(load_page_template(3).apriltag.corners, dtype=np.float64)
    mapped = cv2.perspectiveTransform(template.reshape(-1, 1, 2), np.array(photo.page_to_photo))
    assert np.abs(mapped.reshape(4, 2) - corners).max() < 3.0


def test_a_cut_corner_leaves_one_page_corner_outside_the_photo(tps: SimulatedTps) -> None:
    rng = generator(3, "test-cut")
    effects = PhotoEffects.sample(rng, frozenset({CornerCase.CUT_CORNER}), megapixels=(3.0, 3.0))
    quad = effects.quad()
    width, height = effects.frame()
    outside = [not (0 <= x < width and 0 <= y < height) for x, y in quad]
    assert outside[effects.cut_corner]


def test_photos_of_a_tps_are_reproducible_and_name_their_page(tps: SimulatedTps) -> None:
    options = PhotoOptions(
        pages=(1, 3), megapixels=(3.0, 3.5), corner_rate=1.0, corner_cases=(CornerCase.WRONG_PAGE,)
    )
    first = list(photograph_tps(tps, 9, options))
    again = list(photograph_tps(tps, 9, options))
    assert [p.photo.jpeg for p in first] == [p.photo.jpeg for p in again]
    for shot in first:
        assert shot.page_shown != shot.page
        record = shot.record(f"photos/{shot.name}")
        assert record["apriltag"] == 100 + shot.page_shown
        fields = record["fields"]
        assert isinstance(fields, dict)
        assert set(fields) == {f.id for f in load_page_template(shot.page_shown).fields}
        ((tag_id, _),) = detect_tags(cv2.imdecode(np.frombuffer(shot.photo.jpeg, np.uint8), 0))
        assert tag_id == 100 + shot.page_shown
