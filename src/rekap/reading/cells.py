"""Rectify and cut stage: upright crops of every digit box and bubble grid of a located page.

Each crop is warped straight from the decoded photo with the page homography, at a fixed
resolution in template millimetres, so only the pixels that are read are ever resampled.
A plano sheet is large and rarely flat, and a page located from three fiducials is less
exact, so each field is first re-registered locally: its printed box outlines are matched
within a few millimetres of where the homography puts them, and the field is cut there.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.frame_check import frame_offset
from rekap.reading.geometry import FloatArray, crop_transform, project
from rekap.reading.locate import PageLocation
from rekap.reading.template import Box, DigitBox, FieldTemplate

GrayImage = NDArray[np.uint8]

DIGIT_CROP_PX = 48
"""Digit crops are square, this many pixels, covering the printed box and a margin."""
DIGIT_MARGIN_RATIO = 0.05
"""The border then sits about 7% in from the crop edges, as in the training crops."""
BUBBLE_PX_PER_MM = 2.0
BUBBLE_MARGIN_MM = 2.0
REGISTER_PX_PER_MM = 2.0
REGISTER_REACH_MM = 5.0
"""Fields are searched this far around where the page homography puts them."""
MIN_REGISTER_MATCH = 0.3


@dataclass(frozen=True, eq=False)
class BubbleCrop:
    image: GrayImage
    columns: tuple[FloatArray, ...]
    """Per digit position, the (10, 2) expected centres of bubbles 0..9 in crop pixels."""
    inner_radius: float
    """The printed ring's inner radius, in crop pixels."""


@dataclass(frozen=True, eq=False)
class FieldCells:
    field: FieldTemplate
    visible: bool
    """False when part of the field lies outside the photo: it is then not cut."""
    digit_crops: tuple[GrayImage, ...]
    bubbles: BubbleCrop | None
    offset: tuple[float, float] = (0.0, 0.0)
    """Where the field was found relative to the page homography, in mm."""

    @property
    def box(self) -> Box:
        """The field's area on the page (mm), where it was actually found."""
        x0, y0, x1, y1 = self.field.box
        dx, dy = self.offset
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)


@dataclass(frozen=True, eq=False)
class PageCells:
    location: PageLocation
    fields: tuple[FieldCells, ...]


def _warp(gray: GrayImage, location: PageLocation, box: Box, size: tuple[int, int]) -> GrayImage:
    crop_to_image = location.homography @ crop_transform(box, size)
    warped = cv2.warpPerspective(
        gray,
        crop_to_image,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(warped, dtype=np.uint8)


def _within_photo(location: PageLocation, box: Box) -> bool:
    x0, y0, x1, y1 = box
    corners = project(location.homography, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    width, height = location.image_size
    inside = (
        (corners[:, 0] >= 0)
        & (corners[:, 0] < width)
        & (corners[:, 1] >= 0)
        & (corners[:, 1] < height)
    )
    return bool(inside.all())


def digit_crop_box(box: DigitBox) -> Box:
    """The page area cut for a digit box: its printed border and a small margin."""
    x0, y0, x1, y1 = box.outer
    margin = DIGIT_MARGIN_RATIO * max(x1 - x0, y1 - y0)
    return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def _shifted(box: Box, offset: tuple[float, float]) -> Box:
    return (box[0] + offset[0], box[1] + offset[1], box[2] + offset[0], box[3] + offset[1])


def register_field(
    gray: GrayImage, location: PageLocation, field: FieldTemplate
) -> tuple[float, float]:
    """The offset (mm) at which the field's printed digit-box outlines best match the photo;
    (0, 0) when no offset matches clearly."""
    found = frame_offset(
        gray,
        location.homography,
        field,
        px_per_mm=REGISTER_PX_PER_MM,
        reach_mm=REGISTER_REACH_MM,
        min_match=MIN_REGISTER_MATCH,
        interpolation=cv2.INTER_LINEAR,
    )
    return (0.0, 0.0) if found is None else found


def _bubble_crop(
    gray: GrayImage, location: PageLocation, field: FieldTemplate, offset: tuple[float, float]
) -> BubbleCrop:
    grid = field.bubble_grid
    assert grid is not None
    centres = np.array([[b.centre for b in column.bubbles] for column in grid.columns])
    centres = centres + np.array(offset)
    low = centres.reshape(-1, 2).min(axis=0) - grid.outer_radius - BUBBLE_MARGIN_MM
    high = centres.reshape(-1, 2).max(axis=0) + grid.outer_radius + BUBBLE_MARGIN_MM
    size = (
        round(float(high[0] - low[0]) * BUBBLE_PX_PER_MM),
        round(float(high[1] - low[1]) * BUBBLE_PX_PER_MM),
    )
    box = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    image = _warp(gray, location, box, size)
    columns = tuple((column - low) * BUBBLE_PX_PER_MM for column in centres)
    return BubbleCrop(image, columns, grid.inner_radius * BUBBLE_PX_PER_MM)


def cut_cells(gray: GrayImage, location: PageLocation) -> PageCells:
    """Cut every field of the located page that lies wholly inside the photo."""
    fields = []
    size = (DIGIT_CROP_PX, DIGIT_CROP_PX)
    for field in location.template.fields:
        if not _within_photo(location, field.box):
            fields.append(FieldCells(field, False, (), None))
            continue
        offset = register_field(gray, location, field)
        crops = tuple(
            _warp(gray, location, _shifted(digit_crop_box(b), offset), size)
            for b in field.digit_boxes
        )
        bubbles = _bubble_crop(gray, location, field, offset) if field.bubble_grid else None
        fields.append(FieldCells(field, True, crops, bubbles, offset))
    return PageCells(location, tuple(fields))
