"""Bubble grids: one mark, no mark, several marks, misaligned crops, real bubble sheets."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from rekap.reading.bubbles import (
    NONE,
    _align,
    _align_grid,
    _padded_response,
    _ring_response,
    read_bubble_grid,
)
from rekap.reading.template import load_page_template

GRID = load_page_template(2).field("paslon_1").bubble_grid
assert GRID is not None
CENTRES_MM = np.array([[b.centre for b in column.bubbles] for column in GRID.columns])
SCALE = 3.0  # px per mm of the synthetic crops


def _crop(marks: str, offset: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, list]:
    """A drawn grid with `marks` per column ('-' for none, several digits allowed as
    '3+7'), shifted by `offset` px from where the returned centres say."""
    low = CENTRES_MM.reshape(-1, 2).min(axis=0) - 8
    high = CENTRES_MM.reshape(-1, 2).max(axis=0) + 8
    width, height = ((high - low) * SCALE).round().astype(int)
    crop = np.full((height, width), 235, np.uint8)
    columns = [(c - low) * SCALE for c in CENTRES_MM]
    for column, mark in zip(columns, marks.split(","), strict=True):
        for digit, (x, y) in enumerate(column):
            centre = (round(x + offset[0]), round(y + offset[1]))
            cv2.circle(crop, centre, round(GRID.outer_radius * SCALE), 40, 2)
            cv2.putText(
                crop, str(digit), (centre[0] - 5, centre[1] + 5), cv2.FONT_HERSHEY_PLAIN, 1.0, 60, 1
            )
            if str(digit) in mark.split("+"):
                cv2.circle(crop, centre, round(GRID.inner_radius * SCALE * 0.95), 25, -1)
    crop = cv2.GaussianBlur(crop, (0, 0), 0.8)
    return crop, columns


def test_one_mark_per_column_is_read() -> None:
    crop, columns = _crop("1,2,3")
    reading = read_bubble_grid(crop, columns, GRID.inner_radius * SCALE)
    assert reading.digits() == "123"
    assert all(max(c.probabilities) > 0.8 for c in reading.columns)


def test_an_unmarked_column_reads_as_none() -> None:
    crop, columns = _crop("-,3,2")
    reading = read_bubble_grid(crop, columns, GRID.inner_radius * SCALE)
    assert reading.digits() == "-32"
    assert reading.columns[0].best is None
    assert reading.columns[0].probabilities[NONE] > 0.8


def test_several_marks_in_a_column_are_flagged_and_uncertain() -> None:
    crop, columns = _crop("0,3+8,5")
    reading = read_bubble_grid(crop, columns, GRID.inner_radius * SCALE)
    assert reading.columns[1].marked == (3, 8)
    assert reading.digits() == "0?5"
    assert max(reading.columns[1].probabilities) < 0.5


@pytest.mark.parametrize("offset", [(4.0, 5.0), (-5.0, -4.0)])
def test_a_crop_a_little_off_is_aligned_before_reading(offset: tuple[float, float]) -> None:
    crop, columns = _crop("9,0,7", offset)
    assert read_bubble_grid(crop, columns, GRID.inner_radius * SCALE).digits() == "907"


@pytest.mark.parametrize("seed", range(12))
def test_the_coarse_to_fine_search_finds_the_full_searchs_alignment(seed: int) -> None:
    rng = np.random.default_rng(seed)
    offset = (float(rng.uniform(-6, 6)), float(rng.uniform(-6, 6)))
    crop, columns = _crop("9,0,7", offset)
    scale = float(rng.uniform(0.6, 1.4))  # odd and even sizes, other scales
    size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    noise = rng.normal(0, 4, crop.shape)
    crop = np.clip(crop + noise, 0, 255).astype(np.uint8)
    stacked = np.stack([(np.asarray(c) + 0.5) * scale - 0.5 for c in columns])
    radius = GRID.inner_radius * SCALE * scale
    response, _ = _ring_response(crop, radius)
    padded, pad = _padded_response(response, radius)
    full = _align(padded, pad, response.shape, stacked, radius)
    found = np.stack(_align_grid(crop, list(stacked), radius))
    assert np.array_equal(np.rint(found), np.rint(full))


def test_a_crop_too_small_to_align_is_read_without_failing() -> None:
    reading = read_bubble_grid(np.full((1, 40), 235, np.uint8), [np.zeros((10, 2))], 3.0)
    assert reading.digits() == "-"


KNOWN_SHEETS = {
    "6208022004_1": ["123", "274", "032"],
    "6472061004_21": ["075", "072", "060"],
}


@pytest.mark.shared
@pytest.mark.parametrize("tps", sorted(KNOWN_SHEETS))
def test_real_bubble_sheet_crops_read_their_known_digits(shared_dir: Path, tps: str) -> None:
    """kawalc1's bubble-sheet crops (another rendering of the form): the template's grid is
    stretched over each crop, and the alignment step finds the rings."""
    low = CENTRES_MM.reshape(-1, 2).min(axis=0) - GRID.outer_radius
    high = CENTRES_MM.reshape(-1, 2).max(axis=0) + GRID.outer_radius
    for sheet, expected in enumerate(KNOWN_SHEETS[tps], start=1):
        path = (
            shared_dir
            / "data/forms/kawalc1"
            / f"static_2024_transformed_{tps}~bubbleSheet{sheet}.webp"
        )
        crop = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        height, width = crop.shape
        scale = np.array([(width - 2) / (high - low)[0], (height - 2) / (high - low)[1]])
        columns = [(c - low) * scale + 1 for c in CENTRES_MM]
        reading = read_bubble_grid(crop, columns, GRID.inner_radius * float(scale.mean()))
        read = reading.digits().replace("-", "0")
        assert read == expected, (tps, sheet, reading.digits())
