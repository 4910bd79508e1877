"""The handwriting renderer: deterministic from a seed, ink where the glyph should be."""

from __future__ import annotations

import numpy as np
import pytest

from rekap.simulation.handwriting import (
    BLANK,
    RENDERABLE_CHARS,
    BoxAppearance,
    WriterStyle,
    box_chars_for_value,
    render_digit_box,
    render_digit_box_bgr,
)


def _plain_appearance() -> BoxAppearance:
    """A clean, centred box with no margins' randomness, so ink positions are predictable."""
    return BoxAppearance(
        paper_bgr=(220, 220, 220),
        border_bgr=(40, 40, 40),
        border_width=0.04,
        margins=(0.05, 0.05, 0.05, 0.05),
        guide_bgr=(200, 200, 200),
        guide_rect=(0.32, 0.2, 0.68, 0.8),
        guide_dot_spacing=0.04,
        guide_dot_radius=0.006,
        neighbour_line=False,
    )


def _tracing_writer(rng: np.random.Generator) -> WriterStyle:
    """A sampled writer forced to trace the guide upright, with black ink."""
    style = WriterStyle.sample(rng)
    return WriterStyle(
        **{
            **style.__dict__,
            "follows_guide": 1.0,
            "slant": 0.0,
            "ink_bgr": (30, 30, 30),
            "ink_opacity": 1.0,
            "jitter": 0.005,
            "stroke_width": 0.04,
            "digit_height": 1.0,
            "digit_width": 1.0,
            "one_on_guide_edge": False,
            "one_has_flag": False,
            "one_has_base": False,
        }
    )


def _darkening(char: str, seed: int, size: int = 64) -> np.ndarray:
    """How much the glyph darkens the empty box, per pixel (0 where no ink)."""
    look = _plain_appearance()
    style = _tracing_writer(np.random.default_rng(seed))
    empty = render_digit_box(BLANK, style, np.random.default_rng(0), size, look)
    inked = render_digit_box(char, style, np.random.default_rng(seed), size, look)
    return empty.astype(np.int16) - inked.astype(np.int16)


@pytest.mark.parametrize("char", RENDERABLE_CHARS)
def test_same_seed_draws_the_same_box(char: str) -> None:
    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return render_digit_box(char, WriterStyle.sample(rng), rng, (50, 44))

    first, again, other = draw(7), draw(7), draw(8)
    assert first.shape == (50, 44)
    assert first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_colour_rendering_has_three_channels() -> None:
    rng = np.random.default_rng(3)
    image = render_digit_box_bgr("5", WriterStyle.sample(rng), rng, 40)
    assert image.shape == (40, 40, 3)
    assert image.dtype == np.uint8


@pytest.mark.parametrize("char", "0123456789")
def test_digit_ink_stays_inside_the_box(char: str) -> None:
    for seed in range(5):
        darkening = _darkening(char, seed)
        assert darkening.max() > 60, "the glyph left no visible ink"
        outside = np.ones_like(darkening, dtype=bool)
        outside[3:-3, 3:-3] = False  # the margin beyond the border
        assert darkening[outside].max() < 30


def test_traced_zero_is_hollow_and_traced_one_is_a_central_bar() -> None:
    for seed in range(5):
        zero = _darkening("0", seed) > 40
        one = _darkening("1", seed) > 40
        # The 64-pixel box's guide spans x 22..42, y 15..49; its centre is (32, 32).
        assert not zero[29:35, 29:35].any(), "a zero traced on the guide has an empty centre"
        assert zero[15:49, 14:27].any()
        assert zero[15:49, 37:50].any()
        assert one[20:44, 24:40].any(axis=1).all(), "a 1 is a bar down the middle"
        assert not one[:, :20].any()
        assert not one[:, 44:].any()


def test_an_x_crosses_the_centre_and_a_blank_has_no_ink() -> None:
    for seed in range(20):
        cross = _darkening("X", seed) > 40
        assert cross[24:40, 24:40].any()
        assert cross.mean() < 0.3
        assert not (_darkening(BLANK, seed) > 5).any()


def test_writer_styles_vary() -> None:
    rng = np.random.default_rng(11)
    styles = [WriterStyle.sample(rng) for _ in range(50)]
    assert len({s.ink_bgr for s in styles}) > 2
    assert len({s.x_style for s in styles}) == 3
    assert min(s.follows_guide for s in styles) < 0.3 < 0.8 < max(s.follows_guide for s in styles)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, ("X", "X", "0")), (7, ("X", "X", "7")), (45, ("X", "4", "5")), (118, ("1", "1", "8"))],
)
def test_box_chars_cross_unused_leading_boxes(value: int, expected: tuple[str, ...]) -> None:
    assert box_chars_for_value(value) == expected


def test_impossible_requests_are_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="does not fit"):
        box_chars_for_value(1000)
    with pytest.raises(ValueError, match="cannot draw"):
        render_digit_box("A", WriterStyle.sample(rng), rng)
