"""Drawing a hand's marks on a page image: glyphs, capitals, tally marks, blackened bubbles.

All positions are millimetres of the page; ``s`` is the page image's pixels per millimetre.
"""

from __future__ import annotations

import cv2
import numpy as np

from rekap.reading.template import Box
from rekap.simulation.form_print import Image
from rekap.simulation.hand import FREE_RECT, Hand, glyph
from rekap.simulation.marks import TALLY_COLUMNS, TALLY_GROUP, TALLY_ROWS

__all__ = ["blacken_bubble", "write_capitals", "write_digits", "write_glyph", "write_tally"]


def write_glyph(
    img: Image, hand: Hand, char: str, box: Box, s: float, variant: int, guided: bool = True
) -> None:
    """Write ``char`` as if ``box`` (mm) were a digit box (``guided``: with page 2's dotted
    guide): multiply its ink onto the page."""
    x0, y0 = round(box[0] * s), round(box[1] * s)
    x1, y1 = round(box[2] * s), round(box[3] * s)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(img.shape[1], x1), min(img.shape[0], y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    ink = glyph(hand.seed, char, variant, y1 - y0, x1 - x0, guided)
    roi = img[y0:y1, x0:x1]
    cv2.multiply(roi, ink, dst=roi, scale=1 / 255)


def write_digits(
    img: Image,
    hand: Hand,
    text: str,
    right: float,
    baseline: float,
    height: float,
    s: float,
    rng: np.random.Generator,
    variants: int,
) -> None:
    """Small free-standing digits (subtotals, corrections), right-aligned at ``right``.

    Each digit is a free-hand glyph whose writing area (`FREE_RECT` of its box) is ``height``
    tall."""
    u0, v0, u1, v1 = FREE_RECT
    box_h, box_w = height / (v1 - v0), height * 0.6 / (u1 - u0)
    cx = right - height * 0.3
    for char in reversed(text):
        top = baseline - height - v0 * box_h + float(rng.normal(0, 0.04)) * height
        box = (cx - box_w / 2, top, cx + box_w / 2, top + box_h)
        write_glyph(img, hand, char, box, s, int(rng.integers(variants)), guided=False)
        cx -= height * 0.8


def write_capitals(
    img: Image, hand: Hand, text: str, zone: Box, height: float, s: float, rng: np.random.Generator
) -> None:
    """Capitals on one or two lines inside ``zone``, shrunk to fit, baseline slightly wavy."""
    font = hand.font | (cv2.FONT_ITALIC if hand.italic else 0)
    x0, y0, x1, y1 = zone
    lines = [text]
    scale, thickness, width = _fit(text, font, height, hand, s)
    if width > (x1 - x0) * s and " " in text:
        words = text.split()
        cut = max(1, len(words) // 2)
        lines = [" ".join(words[:cut]), " ".join(words[cut:])]
        scale, thickness, width = _fit(max(lines, key=len), font, height, hand, s)
    if width > (x1 - x0) * s:
        factor = (x1 - x0) * s / width
        scale, thickness = scale * factor, max(1, round(thickness * factor))
    line_gap = (y1 - y0) / (len(lines) + 0.5)
    for i, line in enumerate(lines):
        baseline = y0 + line_gap * (i + 1) + float(rng.normal(0, 0.5))
        start = x0 + float(rng.uniform(0, 6))
        origin = (round(start * s), round(baseline * s))
        cv2.putText(img, line, origin, font, scale, hand.ink, thickness, cv2.LINE_AA)


def _fit(text: str, font: int, height: float, hand: Hand, s: float) -> tuple[float, int, float]:
    (_, base_h), _ = cv2.getTextSize("H", font, 1.0, 1)
    scale = height * s / max(1, base_h)
    thickness = max(1, round(height * s * hand.letter_weight))
    (width, _), _ = cv2.getTextSize(text, font, scale, thickness)
    return scale, thickness, float(width)


def write_tally(
    img: Image, hand: Hand, count: int, grid: Box, s: float, rng: np.random.Generator
) -> list[int]:
    """Tally marks (groups of four strokes crossed by a fifth), one group per cell, row by row.

    Returns the marks in each row, for the subtotal column."""
    x0, y0, x1, y1 = grid
    cw, ch = (x1 - x0) / TALLY_COLUMNS, (y1 - y0) / TALLY_ROWS
    strokes: list[np.typing.NDArray[np.int32]] = []
    per_row = [0] * TALLY_ROWS
    for cell in range(min(TALLY_COLUMNS * TALLY_ROWS, -(-count // TALLY_GROUP))):
        row, col = divmod(cell, TALLY_COLUMNS)
        marks = min(TALLY_GROUP, count - cell * TALLY_GROUP)
        per_row[row] += marks
        left, top = x0 + col * cw, y0 + row * ch
        jitter = rng.normal(0.0, 0.025, size=(marks, 4))
        for k in range(marks):
            if k < 4:
                u = 0.22 + 0.19 * k
                seg = [(u + hand.tally_slant * 0.3, 0.18), (u - hand.tally_slant * 0.3, 0.82)]
            else:
                seg = [(0.1, 0.72), (0.92, 0.3)]
            pts = [
                (left + (pu + jitter[k, 2 * j]) * cw, top + (pv + jitter[k, 2 * j + 1]) * ch)
                for j, (pu, pv) in enumerate(seg)
            ]
            strokes.append(
                np.array([[round(px * s * 16), round(py * s * 16)] for px, py in pts], np.int32)
            )
    if strokes:
        width = max(1, round(0.55 * s))
        cv2.polylines(img, strokes, False, hand.ink, width, cv2.LINE_AA, 4)
    return per_row


def blacken_bubble(
    img: Image,
    hand: Hand,
    centre: tuple[float, float],
    radius: float,
    s: float,
    rng: np.random.Generator,
) -> None:
    """Fill one bubble: mostly inside the ring, sometimes faint, sometimes over the line."""
    sloppy = rng.random() < hand.sloppy_bubbles
    r = radius * hand.bubble_cover * (float(rng.uniform(1.15, 1.45)) if sloppy else 1.0)
    dx, dy = rng.normal(0.0, radius * (0.25 if sloppy else 0.08), size=2)
    opacity = float(rng.uniform(0.3, 0.55)) if rng.random() < hand.faint_bubbles else 0.92
    cx, cy = (centre[0] + dx) * s, (centre[1] + dy) * s
    half = int(np.ceil(r * s)) + 2
    x0, y0 = max(0, int(cx) - half), max(0, int(cy) - half)
    x1, y1 = min(img.shape[1], int(cx) + half + 1), min(img.shape[0], int(cy) + half + 1)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    axes = (round(r * s * 16), round(r * s * float(rng.uniform(0.85, 1.05)) * 16))
    angle = float(rng.uniform(0, 180))
    cv2.ellipse(
        mask,
        (round((cx - x0) * 16), round((cy - y0) * 16)),
        axes,
        angle,
        0,
        360,
        255,
        -1,
        cv2.LINE_AA,
        4,
    )
    alpha = mask.astype(np.float32)[..., None] * (opacity / 255.0)
    roi = img[y0:y1, x0:x1]
    ink = np.asarray(hand.style.ink_bgr, np.float32)
    roi[:] = (roi * (1 - alpha) + roi * (ink / 255.0) * alpha).astype(np.uint8)
