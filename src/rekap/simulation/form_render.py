"""A filled C.HASIL-PPWP page: the printed page plus one KPPS member's handwriting.

Digit boxes (unused leading boxes crossed with X), crossed-out corrections with the right
number written small above the boxes, blackened bubbles, tally marks with their row
subtotals, numbers in words, the region names on the header and the date on page 3. What
is drawn comes from the TPS's truth (`SimulatedTps.values` and `marks`), so injected
mistakes appear on the page exactly as the truth file records them.
"""

from __future__ import annotations

import cv2
import numpy as np

from rekap.reading.template import FieldTemplate, load_page_template
from rekap.simulation.form_layout import DATE_BOXES, NAME_LINES, TALLY_ZONES, WORDS_ZONES
from rekap.simulation.form_print import Image, printed_page
from rekap.simulation.hand import Hand
from rekap.simulation.handwriting import box_chars_for_value
from rekap.simulation.pen import (
    blacken_bubble,
    write_capitals,
    write_digits,
    write_glyph,
    write_tally,
)
from rekap.simulation.seeds import generator
from rekap.simulation.truth import SimulatedTps
from rekap.simulation.words import terbilang

__all__ = ["PAGES", "RESOLUTIONS", "render_page"]

PAGES = (1, 2, 3)
RESOLUTIONS = (1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
"""Pixels per millimetre a page is drawn at (the printed page is kept per resolution)."""
ELECTION_DATE = ("14", "02", "2024")


def render_page(
    tps: SimulatedTps,
    page: int,
    writer: Hand | None = None,
    rng: np.random.Generator | None = None,
    *,
    px_per_mm: float = 2.5,
    glyph_variants: int = 2,
) -> Image:
    """Page ``page`` of the TPS's form as filled by ``writer`` (default: the TPS's own hand).

    Returns a BGR image of 600 x 900 mm at ``px_per_mm``. ``glyph_variants`` is how many
    shapes of each character a hand has (more: more varied, slower)."""
    if page not in PAGES:
        raise ValueError(f"the C.Hasil PPWP form has pages {PAGES}, not {page}")
    hand = writer or Hand.from_seed(tps.writer_seed)
    rng = rng or generator(tps.writer_seed, "page", tps.kode.value, page)
    s = px_per_mm
    img = printed_page(page, px_per_mm).copy()
    _write_header(img, tps, page, hand, s, rng)
    for field in load_page_template(page).fields:
        _write_field(img, tps, field, hand, s, rng, glyph_variants)
    for zone in TALLY_ZONES.get(page, ()):
        count = tps.marks_of(zone.field_id).tally
        if count is None:
            continue
        per_row = write_tally(img, hand, count, zone.grid, s, rng)
        _, y0, x1, _ = zone.subtotal
        row_h = (zone.grid[3] - zone.grid[1]) / len(per_row)
        for row, marks in enumerate(per_row):
            if marks:
                baseline = y0 + row_h * (row + 0.8)
                write_digits(
                    img, hand, str(marks), x1 - 4, baseline, row_h * 0.55, s, rng, glyph_variants
                )
    for field_id, area in WORDS_ZONES.get(page, {}).items():
        words = tps.marks_of(field_id).words
        if words is not None:
            height = min(7.0, (area[3] - area[1]) * 0.32)
            write_capitals(img, hand, terbilang(words), area, height, s, rng)
    if page == 3:
        for (x0, x1, count), text in zip(DATE_BOXES, ELECTION_DATE, strict=True):
            step = (x1 - x0) / count
            for i, char in enumerate(text):
                box = (x0 + i * step, 358.0, x0 + (i + 1) * step, 374.8)
                variant = int(rng.integers(glyph_variants))
                write_glyph(img, hand, char, box, s, variant, guided=False)
    return img


def _write_header(
    img: Image, tps: SimulatedTps, page: int, hand: Hand, s: float, rng: np.random.Generator
) -> None:
    texts = [*tps.names[:4], f"{tps.kode.nomor_tps:03d}"]
    for (x, y), text in zip(NAME_LINES[page], texts, strict=False):
        write_capitals(img, hand, text, (x, y - 8.0, x + 100.0, y + 1.5), 3.6, s, rng)


def _write_field(
    img: Image,
    tps: SimulatedTps,
    field: FieldTemplate,
    hand: Hand,
    s: float,
    rng: np.random.Generator,
    variants: int,
) -> None:
    value = tps.values[field.id]
    marks = tps.marks_of(field.id)
    written = value if marks.crossed_out is None else marks.crossed_out
    guided = field.bubble_grid is not None  # page 2: boxes with the dotted 7-segment guide
    for box, char in zip(field.digit_boxes, box_chars_for_value(written), strict=True):
        write_glyph(img, hand, char, box.outer, s, int(rng.integers(variants)), guided)
    if marks.crossed_out is not None:
        _cross_out(img, field, hand, s, rng)
        top = field.digit_boxes[0].outer[1]
        right = field.digit_boxes[-1].outer[2]
        write_digits(img, hand, str(value), right - 1.0, top - 0.8, 3.8, s, rng, variants)
    grid = field.bubble_grid
    if grid is None or marks.bubbles is None:
        return
    digits = f"{marks.bubbles:03d}"
    first_used = next((i for i, d in enumerate(digits) if d != "0"), 2)
    for column in grid.columns:
        if column.position < first_used and not hand.fills_leading_zeros:
            continue
        digit = int(digits[column.position])
        bubble = next(b for b in column.bubbles if b.digit == digit)
        blacken_bubble(img, hand, bubble.centre, grid.inner_radius, s, rng)


def _cross_out(
    img: Image, field: FieldTemplate, hand: Hand, s: float, rng: np.random.Generator
) -> None:
    """A wavy stroke through the three boxes, as a KPPS member strikes a wrong number."""
    x0 = field.digit_boxes[0].outer[0] - 1.5
    x1 = field.digit_boxes[-1].outer[2] + 1.5
    y0, y1 = field.digit_boxes[0].outer[1], field.digit_boxes[0].outer[3]
    xs = np.linspace(x0, x1, 9)
    ys = (y0 + y1) / 2 + rng.normal(0.0, 0.8, 9) + np.linspace(2.0, -2.0, 9) * rng.uniform(0, 1)
    points = np.stack([xs * s * 16, ys * s * 16], axis=1).round().astype(np.int32)
    width = max(1, round(0.7 * s))
    cv2.polylines(img, [points], False, hand.ink, width, cv2.LINE_AA, 4)
