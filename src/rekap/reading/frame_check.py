"""Check a located page against its printed digit-box frames.

The page homography is fitted to the four corner fiducials and the tag's corners. The tag
sits next to the top-right fiducial, so it cannot catch a wrong mark at a far corner (a
bold letter or bullet taken for a fiducial): the perspective absorbs it, and the fit agrees
with every mark it was given to within a millimetre or so while the page's middle is
centimetres off. The printed frames of the digit boxes are marks the fit never saw: each
checked field's frames (its row of boxes) are looked for across a wide reach around where
the homography puts them, and the page is taken as located only when most are found close
to there, within the reach the cutting stage registers each field in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.reading.geometry import FloatArray, crop_transform
from rekap.reading.template import FieldTemplate, PageTemplate

PX_PER_MM = 1.5
"""Resolution the frames are compared at: their 1 mm lines still show, and it is cheap."""
REACH_MM = 12.0
"""Each field's frames are looked for this far around where the homography puts them."""
IN_PLACE_MM = 6.0
"""A field is in place when its frames are found at most this far from where projected:
a little beyond the 5 mm within which the cutting stage registers each field
(`rekap.reading.cells`). Measured on the kawalc1 photos turned 5-25 degrees either way:
0-2 mm where four fiducials were used, up to 5.7 mm where three were (those fields read
right); 9 mm to beyond the reach on the fields of the wrong fits."""
MIN_MATCH = 0.3
"""A match this weak (normalised correlation of the frames' drawing with the photo's
darkness) finds no frame: the field is not counted either way."""
MAX_FIELDS = 6
"""At most this many fields are checked, spread over the page (page 1 has 22)."""


@dataclass(frozen=True)
class FrameCheck:
    """Where a located page's printed digit-box frames are found."""

    fields: int
    """Fields whose frames were found (anywhere within the reach)."""
    in_place: int
    """Of them, those found where the homography puts them."""

    checked: int = 0
    """Fields lying wholly inside the photo, whose frames were looked for."""

    @property
    def passed(self) -> bool:
        """True when most fields whose frames were found lie where the homography puts
        them, and, if any field was looked for, at least one was found (a page that prints
        no boxes, or shows none, is not judged)."""
        if self.checked == 0:
            return True
        return 2 * self.in_place > self.fields


def _checked_fields(template: PageTemplate) -> list[FieldTemplate]:
    fields = [f for f in template.fields if f.digit_boxes]
    if len(fields) <= MAX_FIELDS:
        return fields
    picks = np.linspace(0, len(fields) - 1, MAX_FIELDS).round().astype(int)
    return [fields[int(i)] for i in picks]


def frame_offset(
    gray: NDArray[np.uint8],
    homography: FloatArray,
    field: FieldTemplate,
    *,
    px_per_mm: float,
    reach_mm: float,
    min_match: float,
    interpolation: int,
) -> tuple[float, float] | None:
    """Where the field's printed digit-box frames best match the photo within `reach_mm` of
    where `homography` (template mm -> pixels of `gray`) puts them, relative to there (mm);
    None when no match reaches `min_match` (normalised correlation of the frames' drawing
    with the photo's darkness). Shared with the cutting stage, which registers each field
    with it (`rekap.reading.cells.register_field`)."""
    outlines = [b.outer for b in field.digit_boxes]
    x0, y0 = min(b[0] for b in outlines), min(b[1] for b in outlines)
    x1, y1 = max(b[2] for b in outlines), max(b[3] for b in outlines)
    scale = px_per_mm
    frame = np.zeros((round((y1 - y0) * scale), round((x1 - x0) * scale)), np.float32)
    for bx0, by0, bx1, by1 in outlines:
        near = (round((bx0 - x0) * scale), round((by0 - y0) * scale))
        far = (round((bx1 - x0) * scale) - 1, round((by1 - y0) * scale) - 1)
        cv2.rectangle(frame, near, far, 1.0, max(1, round(scale)))
    reach = round(reach_mm * scale)
    size = (frame.shape[1] + 2 * reach, frame.shape[0] + 2 * reach)
    region = (x0 - reach / scale, y0 - reach / scale, x1 + reach / scale, y1 + reach / scale)
    warped = cv2.warpPerspective(
        gray,
        homography @ crop_transform(region, size),
        size,
        flags=interpolation | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    darkness = 255.0 - np.asarray(warped, dtype=np.uint8).astype(np.float32)
    match = cv2.matchTemplate(darkness, frame, cv2.TM_CCOEFF_NORMED)
    _, peak, _, (px, py) = cv2.minMaxLoc(match)
    if not np.isfinite(peak) or peak < min_match:
        return None
    return ((px - reach) / scale, (py - reach) / scale)


def check_frames(
    gray: NDArray[np.uint8], homography: FloatArray, template: PageTemplate
) -> FrameCheck:
    """Look for the frames of a few fields spread over the page around where `homography`
    (template mm -> pixels of `gray`) puts them."""
    checked = found = in_place = 0
    height, width = gray.shape
    for field in _checked_fields(template):
        x0, y0, x1, y1 = field.box
        corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x1, y1, 1.0], [x0, y1, 1.0]])
        mapped = corners @ homography.T
        if np.any(mapped[:, 2] <= 0):
            continue
        xs, ys = mapped[:, 0] / mapped[:, 2], mapped[:, 1] / mapped[:, 2]
        if xs.min() < 0 or ys.min() < 0 or xs.max() >= width or ys.max() >= height:
            continue
        checked += 1
        offset = frame_offset(
            gray,
            homography,
            field,
            px_per_mm=PX_PER_MM,
            reach_mm=REACH_MM,
            min_match=MIN_MATCH,
            interpolation=cv2.INTER_AREA,
        )
        if offset is None:
            continue
        found += 1
        in_place += bool(np.hypot(*offset) <= IN_PLACE_MM)
    return FrameCheck(found, in_place, checked)
