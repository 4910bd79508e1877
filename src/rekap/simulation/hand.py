"""A KPPS member's hand: digits from `handwriting` plus their habits for the other marks.

One hand fills all three pages of a TPS. Digit glyphs are drawn by
`rekap.simulation.handwriting.render_digit_box_bgr` on a clean white box (no border, no
guide: the printed page supplies those) and used as a multiplicative ink layer, so the
printed guide shows through the ink as it does on paper. A glyph is a pure function of
(hand, character, variant): it is drawn once, kept, and resized to each box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.simulation.form_print import GUIDE_RECT
from rekap.simulation.handwriting import BoxAppearance, WriterStyle, render_digit_box_bgr
from rekap.simulation.seeds import generator

__all__ = ["Hand", "glyph"]

Bgr = tuple[int, int, int]
WHITE: Bgr = (255, 255, 255)
CLEAN_BOX = BoxAppearance(
    paper_bgr=WHITE,
    border_bgr=WHITE,
    border_width=0.0,
    margins=(0.0, 0.0, 0.0, 0.0),
    guide_bgr=WHITE,
    guide_rect=GUIDE_RECT,
    guide_dot_spacing=10.0,
    guide_dot_radius=0.001,
    neighbour_line=False,
)
"""An invisible box: only the ink of the glyph is drawn, on page 2's guide area."""
FREE_RECT = (0.24, 0.12, 0.76, 0.88)
"""Where digits go in a box without a printed guide (pages 1 and 3): a larger area."""
OPEN_BOX = replace(CLEAN_BOX, guide_rect=FREE_RECT)
FREEHAND_SHARE = 0.35
"""Without a printed guide, a hand traces 7-segment shapes this much as often as with one."""
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
)


@dataclass(frozen=True)
class Hand:
    """How one KPPS member writes, blackens bubbles and tallies; all from one seed."""

    seed: int
    style: WriterStyle
    font: int
    """OpenCV Hershey font for capitals (words, names)."""
    italic: bool
    letter_weight: float
    """Pen width of capitals as a fraction of their height."""
    fills_leading_zeros: bool
    """Blackens the 0 bubble of unused leading digits (else leaves that column empty)."""
    bubble_cover: float
    """Radius of a blackened bubble relative to the printed ring."""
    faint_bubbles: float
    """Chance that a bubble is only lightly shaded."""
    sloppy_bubbles: float
    """Chance that a blackened bubble spills over its ring."""
    tally_slant: float

    @classmethod
    def from_seed(cls, seed: int) -> Hand:
        return _hand(seed)

    @property
    def ink(self) -> Bgr:
        colour = np.asarray(self.style.ink_bgr, dtype=np.float64)
        shade = 255.0 - (255.0 - colour) * self.style.ink_opacity
        return (int(shade[0]), int(shade[1]), int(shade[2]))


@lru_cache(maxsize=4096)
def _hand(seed: int) -> Hand:
    style = WriterStyle.sample(generator(seed, "style"))
    rng = generator(seed, "habits")
    return Hand(
        seed=seed,
        style=style,
        font=_FONTS[int(rng.integers(len(_FONTS)))],
        italic=bool(rng.random() < 0.3),
        letter_weight=float(rng.uniform(0.05, 0.1)),
        fills_leading_zeros=bool(rng.random() < 0.8),
        bubble_cover=float(rng.uniform(0.75, 1.1)),
        faint_bubbles=float(rng.choice([0.0, 0.05, 0.3], p=[0.6, 0.3, 0.1])),
        sloppy_bubbles=float(rng.choice([0.0, 0.1, 0.4], p=[0.5, 0.35, 0.15])),
        tally_slant=float(rng.normal(0.08, 0.08)),
    )


DRAWN_SIDE = 40
"""Glyphs are drawn once per (hand, character, variant) on a square box of this many
pixels, then resized to each box (drawing dominates the cost of a fresh hand)."""


@lru_cache(maxsize=4096)  # 40 x 40 x 3 bytes each: ~20 MB at most
def _drawn(hand_seed: int, char: str, variant: int, guided: bool) -> NDArray[np.uint8]:
    hand = _hand(hand_seed)
    if guided:
        style, box = hand.style, CLEAN_BOX
    else:
        freer = hand.style.follows_guide * FREEHAND_SHARE
        style, box = replace(hand.style, follows_guide=freer), OPEN_BOX
    rng = generator(hand_seed, "glyph", char, variant, int(guided))
    image = render_digit_box_bgr(char, style, rng, DRAWN_SIDE, box)
    image.setflags(write=False)
    return image


@lru_cache(maxsize=4096)  # resizing again is cheap; this only bounds memory
def glyph(
    hand_seed: int, char: str, variant: int, height: int, width: int, guided: bool = True
) -> NDArray[np.uint8]:
    """One written character as a BGR multiplicative ink layer (255 = no ink), read-only.

    The crop is a digit box of ``height`` x ``width`` pixels; the character sits on the box's
    guide area (`GUIDE_RECT`, page 2) or, in a box without a guide, on the larger `FREE_RECT`,
    mostly free-hand; an X may reach the corners."""
    drawn = _drawn(hand_seed, char, variant, guided)
    size = (max(1, width), max(1, height))
    shrink = height * width <= DRAWN_SIDE * DRAWN_SIDE
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    image = np.asarray(cv2.resize(drawn, size, interpolation=method), dtype=np.uint8)
    image.setflags(write=False)
    return image
