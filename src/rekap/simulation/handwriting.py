"""Handwritten digit boxes of the C.Hasil form, drawn from scratch with numpy and OpenCV.

Each digit box of the 2024 form is a printed square with a dotted 7-segment guide; KPPS
members write each digit along the guide (or free-hand, ignoring it), cross an unused
leading box with an X, and sometimes leave it empty. Real labelled crops are few, and they
under-represent the rare shapes (odd Xs, empty boxes, small round zeros), so the digit
recogniser is also trained on boxes drawn here, and the election simulator reuses the same
drawing to fill whole forms.

Everything is deterministic from the `numpy.random.Generator` passed in: one generator per
writer for `WriterStyle.sample`, and the same or another for each box drawn.

Coordinates: a glyph is a list of pen strokes in a unit frame (u right, v down, both 0..1)
that is mapped onto a target rectangle of the box (the guide, the box interior or a small
centred area), slanted, wobbled and drawn with a round pen at 4x resolution, then reduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BLANK",
    "RENDERABLE_CHARS",
    "BoxAppearance",
    "WriterStyle",
    "box_chars_for_value",
    "render_digit_box",
    "render_digit_box_bgr",
]

BLANK = "blank"
RENDERABLE_CHARS: tuple[str, ...] = (*"0123456789", "X", BLANK)

Points = NDArray[np.float64]
Stroke = Points  # (n, 2) array of (u, v) or pixel (x, y) points along one pen stroke
Bgr = tuple[int, int, int]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
XStyle = Literal["corners", "guide", "small"]
ZeroStyle = Literal["guide", "oval", "small"]

_SUPERSAMPLE = 4
_INK_COLOURS: tuple[Bgr, ...] = (
    (140, 50, 20),  # blue ballpoint
    (110, 40, 30),  # dark blue
    (170, 90, 50),  # light blue
    (40, 40, 40),  # black
    (60, 50, 45),  # blue-black
)

# The 7-segment guide's corner nodes in the unit frame.
_NODES: dict[str, tuple[float, float]] = {
    "TL": (0.0, 0.0),
    "TR": (1.0, 0.0),
    "ML": (0.0, 0.5),
    "MR": (1.0, 0.5),
    "BL": (0.0, 1.0),
    "BR": (1.0, 1.0),
}


@dataclass(frozen=True)
class WriterStyle:
    """How one KPPS member writes: sampled once per writer, reused for all their boxes.

    Lengths are fractions of the box height so a style draws alike at any resolution.
    """

    slant: float  # horizontal shear, tan of the lean; positive leans right
    stroke_width: float  # pen width as a fraction of the box height
    ink_bgr: Bgr
    ink_opacity: float  # 0..1, how dark the pen leaves its colour
    jitter: float  # wobble amplitude as a fraction of the box height
    follows_guide: float  # probability that a digit is traced on the 7-segment guide
    digit_height: float  # written height relative to the guide's height
    digit_width: float  # written width relative to the guide's width
    corner_rounding: float  # 0 = sharp guide corners, 1 = strongly rounded
    x_style: XStyle  # how this writer crosses an unused box
    zero_style: ZeroStyle  # the zero drawn when not tracing the guide
    one_has_flag: bool
    one_has_base: bool
    one_on_guide_edge: bool  # a traced 1 on the right guide segments instead of the centre
    seven_has_hook: bool  # a small downward tick at the 7's left end
    seven_has_crossbar: bool
    four_is_open: bool
    six_has_top: bool
    nine_has_base: bool

    @classmethod
    def sample(cls, rng: np.random.Generator) -> WriterStyle:
        """A plausible writer; most trace the guide, some write free-hand."""
        tracer = rng.random() < 0.7
        return cls(
            slant=float(rng.normal(0.08, 0.1)),
            stroke_width=float(rng.uniform(0.025, 0.065)),
            ink_bgr=_INK_COLOURS[int(rng.integers(len(_INK_COLOURS)))],
            ink_opacity=float(rng.uniform(0.55, 1.0)),
            jitter=float(rng.uniform(0.004, 0.022)),
            follows_guide=float(rng.uniform(0.75, 1.0) if tracer else rng.uniform(0.0, 0.3)),
            digit_height=float(rng.uniform(0.8, 1.2)),
            digit_width=float(rng.uniform(0.75, 1.35)),
            corner_rounding=float(rng.uniform(0.0, 0.8)),
            x_style=("corners", "guide", "small")[int(rng.choice(3, p=[0.5, 0.35, 0.15]))],
            zero_style=("guide", "oval", "small")[int(rng.choice(3, p=[0.2, 0.6, 0.2]))],
            one_has_flag=bool(rng.random() < 0.25),
            one_has_base=bool(rng.random() < 0.08),
            one_on_guide_edge=bool(rng.random() < 0.2),
            seven_has_hook=bool(rng.random() < 0.2),
            seven_has_crossbar=bool(rng.random() < 0.08),
            four_is_open=bool(rng.random() < 0.5),
            six_has_top=bool(rng.random() < 0.6),
            nine_has_base=bool(rng.random() < 0.7),
        )


@dataclass(frozen=True)
class BoxAppearance:
    """The printed box as photographed: paper, border, dotted guide, where the crop cut it.

    Margins are from the crop's edge to the border's outer edge, as fractions of the side
    (negative: the crop cut into the border). The guide rectangle is relative to the box.
    """

    paper_bgr: Bgr
    border_bgr: Bgr
    border_width: float
    margins: tuple[float, float, float, float]  # left, top, right, bottom
    guide_bgr: Bgr
    guide_rect: tuple[float, float, float, float]  # u0, v0, u1, v1 inside the box
    guide_dot_spacing: float
    guide_dot_radius: float
    neighbour_line: bool  # the next box's border shows at one edge of the crop

    @classmethod
    def sample(cls, rng: np.random.Generator) -> BoxAppearance:
        """A plausible printed box under phone-photo lighting."""
        paper = rng.uniform(150, 245)
        # Photos of the form are greyish, often slightly blue (white balance under daylight).
        tint = rng.normal(0.0, 4.0, size=3) + np.array([6.0, 0.0, -6.0]) * rng.uniform(0, 1)
        paper_bgr = _clip_bgr(paper + tint)
        border = rng.uniform(20, min(110.0, paper - 40))
        guide = paper - rng.uniform(25, 90)
        du, dv = rng.normal(0.0, 0.02, size=2)
        left, top, right, bottom = (float(m) for m in rng.uniform(-0.01, 0.1, size=4))
        return cls(
            paper_bgr=paper_bgr,
            border_bgr=_clip_bgr(border + tint * 0.5),
            border_width=float(rng.uniform(0.02, 0.06)),
            margins=(left, top, right, bottom),
            guide_bgr=_clip_bgr(guide + tint),
            guide_rect=(
                float(0.32 + du),
                float(0.2 + dv),
                float(0.68 + du + rng.normal(0, 0.015)),
                float(0.8 + dv + rng.normal(0, 0.015)),
            ),
            guide_dot_spacing=float(rng.uniform(0.03, 0.05)),
            guide_dot_radius=float(rng.uniform(0.005, 0.012)),
            neighbour_line=bool(rng.random() < 0.1),
        )


def box_chars_for_value(value: int, box_count: int = 3) -> tuple[str, ...]:
    """The characters a KPPS member writes for `value`: unused leading boxes crossed with X.

    Zero itself is written as a single 0 in the units box (``X X 0``).
    """
    if not 0 <= value < 10**box_count:
        raise ValueError(f"{value} does not fit in {box_count} digit boxes")
    digits = str(value)
    return ("X",) * (box_count - len(digits)) + tuple(digits)


def render_digit_box(
    char: str,
    style: WriterStyle,
    rng: np.random.Generator,
    size: int | tuple[int, int] = 48,
    appearance: BoxAppearance | None = None,
) -> NDArray[np.uint8]:
    """One box as a grayscale uint8 crop of `size` (side, or (height, width)), border included."""
    bgr = render_digit_box_bgr(char, style, rng, size, appearance)
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def render_digit_box_bgr(
    char: str,
    style: WriterStyle,
    rng: np.random.Generator,
    size: int | tuple[int, int] = 48,
    appearance: BoxAppearance | None = None,
) -> NDArray[np.uint8]:
    """One box as a BGR uint8 crop; `appearance` is sampled from `rng` when not given."""
    if char not in RENDERABLE_CHARS:
        raise ValueError(f"cannot draw {char!r}; expected one of {RENDERABLE_CHARS}")
    height, width = (size, size) if isinstance(size, int) else size
    if height < 8 or width < 8:
        raise ValueError(f"a digit box needs at least 8x8 pixels, got {height}x{width}")
    look = appearance if appearance is not None else BoxAppearance.sample(rng)
    big_h, big_w = height * _SUPERSAMPLE, width * _SUPERSAMPLE
    canvas = _draw_printed_box(look, big_h, big_w)
    box = _box_rect(look, big_h, big_w)
    strokes = _place_glyph(char, style, look, box, rng)
    if strokes:
        ink = _ink_coverage(strokes, style, big_h, big_w, rng)
        canvas = _apply_ink(canvas, ink, style)
    small = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)
    return np.clip(small, 0, 255).astype(np.uint8)


# --- the printed box -----------------------------------------------------------------------


def _clip_bgr(values: NDArray[np.float64] | float) -> Bgr:
    arr = np.clip(np.broadcast_to(np.asarray(values, dtype=np.float64), (3,)), 0, 255)
    return (int(arr[0]), int(arr[1]), int(arr[2]))


def _box_rect(look: BoxAppearance, big_h: int, big_w: int) -> Rect:
    left, top, right, bottom = look.margins
    return (left * big_w, top * big_h, big_w * (1 - right), big_h * (1 - bottom))


def _draw_printed_box(look: BoxAppearance, big_h: int, big_w: int) -> NDArray[np.float32]:
    canvas = np.empty((big_h, big_w, 3), dtype=np.float32)
    canvas[:] = look.paper_bgr
    x0, y0, x1, y1 = _box_rect(look, big_h, big_w)
    side = min(x1 - x0, y1 - y0)
    thickness = max(1, round(look.border_width * side))
    half = thickness / 2
    corners = (round(x0 + half), round(y0 + half)), (round(x1 - half), round(y1 - half))
    cv2.rectangle(canvas, corners[0], corners[1], look.border_bgr, thickness, cv2.LINE_AA)
    if look.neighbour_line:
        edge = big_w - max(1, thickness // 2)
        cv2.line(canvas, (edge, 0), (edge, big_h), look.border_bgr, thickness, cv2.LINE_AA)
    _draw_guide(canvas, look, (x0, y0, x1, y1))
    return canvas


def _draw_guide(canvas: NDArray[np.float32], look: BoxAppearance, box: Rect) -> None:
    gx0, gy0, gx1, gy1 = _guide_rect(look, box)
    side = min(box[2] - box[0], box[3] - box[1])
    spacing = max(2.0, look.guide_dot_spacing * side)
    radius = max(1, round(look.guide_dot_radius * side))
    gym = (gy0 + gy1) / 2
    segments = [
        ((gx0, gy0), (gx1, gy0)),
        ((gx0, gym), (gx1, gym)),
        ((gx0, gy1), (gx1, gy1)),
        ((gx0, gy0), (gx0, gy1)),
        ((gx1, gy0), (gx1, gy1)),
    ]
    for (ax, ay), (bx, by) in segments:
        count = max(2, int(np.hypot(bx - ax, by - ay) / spacing) + 1)
        for t in np.linspace(0.0, 1.0, count):
            centre = (round(ax + t * (bx - ax)), round(ay + t * (by - ay)))
            cv2.circle(canvas, centre, radius, look.guide_bgr, -1, cv2.LINE_AA)


def _guide_rect(look: BoxAppearance, box: Rect) -> Rect:
    x0, y0, x1, y1 = box
    u0, v0, u1, v1 = look.guide_rect
    w, h = x1 - x0, y1 - y0
    return (x0 + u0 * w, y0 + v0 * h, x0 + u1 * w, y0 + v1 * h)


# --- glyph shapes in the unit frame --------------------------------------------------------


def _polyline(*points: tuple[float, float]) -> Stroke:
    return np.array(points, dtype=np.float64)


def _nodes(*names: str) -> Stroke:
    return _polyline(*(_NODES[name] for name in names))


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """An elliptic arc; angles in degrees, y down, so increasing angles turn clockwise."""
    angles = np.radians(np.linspace(start, end, max(8, int(abs(end - start) / 6))))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def _bezier(*controls: tuple[float, float] | Points) -> Stroke:
    """A Bezier curve of any degree through its control points (de Casteljau)."""
    pts = np.array(controls, dtype=np.float64)
    ts = np.linspace(0.0, 1.0, 24)[:, None, None]
    layer = np.broadcast_to(pts, (ts.shape[0], *pts.shape)).copy()
    while layer.shape[1] > 1:
        layer = (1 - ts) * layer[:, :-1] + ts * layer[:, 1:]
    return layer[:, 0, :]


def _join(*parts: Stroke) -> Stroke:
    return np.concatenate(parts, axis=0)


def _traced_glyph(char: str, style: WriterStyle) -> list[Stroke]:
    """A digit written along the 7-segment guide, as the form asks."""
    if char == "1":
        u = 1.0 if style.one_on_guide_edge else 0.5
        strokes = [_polyline((u, 0.0), (u, 1.0))]
        if style.one_has_flag:
            strokes[0] = _polyline((u - 0.3, 0.18), (u, 0.0), (u, 1.0))
        if style.one_has_base:
            strokes.append(_polyline((u - 0.3, 1.0), (u + 0.3, 1.0)))
        return strokes
    if char == "7":
        head = [_polyline((0.0, 0.2))] if style.seven_has_hook else []
        strokes = [_join(*head, _nodes("TL", "TR", "BR"))]
        if style.seven_has_crossbar:
            strokes.append(_polyline((0.6, 0.5), (1.25, 0.5)))
        return strokes
    if char == "6" and not style.six_has_top:
        return [_nodes("TL", "BL", "BR", "MR", "ML")]
    if char == "9" and not style.nine_has_base:
        return [_nodes("MR", "ML", "TL", "TR", "BR")]
    routes: dict[str, list[tuple[str, ...]]] = {
        "0": [("TL", "TR", "BR", "BL", "TL")],
        "2": [("TL", "TR", "MR", "ML", "BL", "BR")],
        "3": [("TL", "TR", "MR", "BR", "BL"), ("ML", "MR")],
        "4": [("TL", "ML", "MR"), ("TR", "BR")],
        "5": [("TR", "TL", "ML", "MR", "BR", "BL")],
        "6": [("TR", "TL", "BL", "BR", "MR", "ML")],
        "8": [("TL", "TR", "BR", "BL", "TL"), ("ML", "MR")],
        "9": [("MR", "ML", "TL", "TR", "BR", "BL")],
    }
    return [_nodes(*route) for route in routes[char]]


def _free_glyph(char: str, style: WriterStyle) -> list[Stroke]:
    """A digit written free-hand, the way it is written outside the form."""
    if char == "0":
        return [_arc(0.5, 0.5, 0.5, 0.5, -90, 275)]
    if char == "1":
        stem = _polyline((0.55, 0.0), (0.5, 1.0))
        if style.one_has_flag:
            stem = _join(_polyline((0.22, 0.22)), stem)
        return [stem]
    if char == "2":
        return [_join(_arc(0.5, 0.3, 0.48, 0.3, 195, 380), _polyline((0.0, 1.0), (1.0, 1.0)))]
    if char == "3":
        return [
            _join(_arc(0.45, 0.26, 0.45, 0.26, 200, 450), _arc(0.45, 0.74, 0.55, 0.26, 270, 500))
        ]
    if char == "4":
        if style.four_is_open:
            return [
                _polyline((0.1, 0.0), (0.05, 0.6), (1.0, 0.6)),
                _polyline((0.78, 0.05), (0.78, 1.0)),
            ]
        return [
            _polyline((0.68, 0.0), (0.0, 0.66), (1.0, 0.66)),
            _polyline((0.72, 0.3), (0.72, 1.0)),
        ]
    if char == "5":
        top = _polyline((0.95, 0.0), (0.15, 0.0), (0.1, 0.45))
        return [_join(top, _bezier((0.1, 0.45), (0.95, 0.25), (1.15, 1.0), (0.0, 0.95)))]
    if char == "6":
        descent = _bezier((0.85, 0.02), (0.3, -0.05), (0.0, 0.4), (0.02, 0.72))
        return [_join(descent, _arc(0.5, 0.72, 0.48, 0.28, 180, -170))]
    if char == "7":
        strokes = [_polyline((0.0, 0.0), (1.0, 0.0), (0.35, 1.0))]
        if style.seven_has_crossbar:
            strokes.append(_polyline((0.35, 0.52), (0.9, 0.48)))
        return strokes
    if char == "8":
        return [_join(_arc(0.5, 0.25, 0.4, 0.25, 90, -270), _arc(0.5, 0.74, 0.48, 0.26, 270, 630))]
    # "9": a loop with a stem falling from its right side
    return [
        _join(_arc(0.5, 0.3, 0.48, 0.3, 0, -360), _bezier((0.98, 0.3), (0.95, 0.7), (0.8, 1.0)))
    ]


def _cross_glyph(rng: np.random.Generator) -> list[Stroke]:
    """An X: two strokes, sometimes bowed, off-centre or with one arm short."""
    strokes: list[Stroke] = []
    for start, end in (((0.0, 0.0), (1.0, 1.0)), ((1.0, 0.0), (0.0, 1.0))):
        a = np.array(start) + rng.normal(0.0, 0.06, size=2)
        b = np.array(end) + rng.normal(0.0, 0.06, size=2)
        if rng.random() < 0.15:  # the arm stops short
            b = a + (b - a) * rng.uniform(0.6, 0.85)
        if rng.random() < 0.3:  # a bowed stroke
            strokes.append(_bezier(a, (a + b) / 2 + rng.normal(0.0, 0.1, size=2), b))
        else:
            strokes.append(np.stack([a, b]))
    return strokes


# --- placing, wobbling and inking ----------------------------------------------------------


def _place_glyph(
    char: str, style: WriterStyle, look: BoxAppearance, box: Rect, rng: np.random.Generator
) -> list[Stroke]:
    """The glyph's strokes in supersampled pixel coordinates, or [] for an empty box."""
    if char == BLANK:
        return []
    guide = _guide_rect(look, box)
    if char == "X":
        return _place_cross(style, box, guide, rng)
    traced = rng.random() < style.follows_guide
    if traced:
        strokes, target = _traced_glyph(char, style), _scaled(guide, style, rng, 0.06)
    elif char == "0" and style.zero_style == "small":
        strokes, target = _free_glyph("0", style), _shrunk(guide, rng.uniform(0.35, 0.6), rng)
    elif char == "0" and style.zero_style == "guide":
        strokes, target = _traced_glyph("0", style), _scaled(guide, style, rng, 0.06)
    else:
        strokes, target = _free_glyph(char, style), _scaled(guide, style, rng, 0.1)
    if traced or (char == "0" and style.zero_style == "guide"):
        strokes = [_round_corners(s, style.corner_rounding) for s in strokes]
    return [_to_pixels(s, target, style.slant, rng) for s in strokes]


def _place_cross(
    style: WriterStyle, box: Rect, guide: Rect, rng: np.random.Generator
) -> list[Stroke]:
    choice = (
        style.x_style if rng.random() < 0.8 else ("corners", "guide", "small")[int(rng.integers(3))]
    )
    if choice == "corners":
        inset = rng.uniform(-0.02, 0.08) * (box[2] - box[0])
        target: Rect = (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)
    elif choice == "guide":
        target = _scaled(guide, style, rng, 0.08)
    else:
        target = _shrunk(guide, rng.uniform(0.4, 0.75), rng)
    strokes = [_to_pixels(s, target, style.slant * 0.5, rng) for s in _cross_glyph(rng)]
    if rng.random() < 0.04:  # a zero written first, then crossed out
        zero = _round_corners(_traced_glyph("0", style)[0], style.corner_rounding)
        strokes.append(_to_pixels(zero, _scaled(guide, style, rng, 0.05), style.slant, rng))
    return strokes


def _scaled(guide: Rect, style: WriterStyle, rng: np.random.Generator, wander: float) -> Rect:
    """The guide resized to the writer's habits, shifted by a per-box wander."""
    x0, y0, x1, y1 = guide
    w, h = x1 - x0, y1 - y0
    sw = w * style.digit_width * rng.uniform(0.92, 1.08)
    sh = h * style.digit_height * rng.uniform(0.94, 1.06)
    cx = (x0 + x1) / 2 + rng.normal(0, wander) * h
    cy = (y0 + y1) / 2 + rng.normal(0, wander * 0.6) * h
    return (cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2)


def _shrunk(guide: Rect, factor: float, rng: np.random.Generator) -> Rect:
    x0, y0, x1, y1 = guide
    h = (y1 - y0) * factor
    w = max((x1 - x0) * factor, h * rng.uniform(0.55, 0.9))
    cx = (x0 + x1) / 2 + rng.normal(0, 0.05) * (y1 - y0)
    cy = (y0 + y1) / 2 + rng.normal(0, 0.05) * (y1 - y0)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _round_corners(stroke: Stroke, rounding: float) -> Stroke:
    """Soften a traced polyline's corners the way a quick hand cuts them."""
    dense = _resample(stroke, 0.01)
    window = int(rounding * 12)
    if window < 2 or len(dense) <= window:
        return dense
    kernel = np.ones(window) / window
    pad = window // 2
    padded = np.pad(dense, ((pad, window - 1 - pad), (0, 0)), mode="edge")
    smoothed = np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(2)], axis=1)
    smoothed[0], smoothed[-1] = dense[0], dense[-1]
    return smoothed


def _to_pixels(stroke: Stroke, target: Rect, slant: float, rng: np.random.Generator) -> Stroke:
    x0, y0, x1, y1 = target
    angle = np.radians(rng.normal(0.0, 3.0))
    u, v = stroke[:, 0] - 0.5, stroke[:, 1] - 0.5
    u, v = u * np.cos(angle) - v * np.sin(angle), u * np.sin(angle) + v * np.cos(angle)
    h = y1 - y0
    xs = (x0 + x1) / 2 + u * (x1 - x0) - slant * v * h
    ys = (y0 + y1) / 2 + v * h
    return np.stack([xs, ys], axis=1)


def _resample(stroke: Stroke, step: float) -> Stroke:
    """Points every `step` along the polyline, so wobble and width vary smoothly."""
    if len(stroke) < 2:
        return stroke
    lengths = np.hypot(*np.diff(stroke, axis=0).T)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    total = float(cumulative[-1])
    if total <= 0:
        return stroke[:1]
    positions = np.linspace(0.0, total, max(2, int(total / step) + 1))
    return np.stack([np.interp(positions, cumulative, stroke[:, i]) for i in range(2)], axis=1)


def _smooth_noise(count: int, knots: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Noise of unit scale that varies slowly along `count` points."""
    anchors = rng.normal(0.0, 1.0, size=max(2, knots))
    return np.interp(np.linspace(0, len(anchors) - 1, count), np.arange(len(anchors)), anchors)


def _ink_coverage(
    strokes: Sequence[Stroke], style: WriterStyle, big_h: int, big_w: int, rng: np.random.Generator
) -> NDArray[np.float32]:
    """Pen coverage 0..1 at supersampled resolution, with wobble and pressure changes."""
    mask = np.zeros((big_h, big_w), dtype=np.uint8)
    amplitude = style.jitter * big_h
    base_width = style.stroke_width * big_h * rng.uniform(0.9, 1.1)
    for stroke in strokes:
        dense = _resample(stroke, _SUPERSAMPLE * 0.75)
        count = len(dense)
        if count == 0:
            continue
        knots = 2 + int(count / (_SUPERSAMPLE * 8))
        wobble = np.stack([_smooth_noise(count, knots, rng) for _ in range(2)], axis=1) * amplitude
        dense = dense + wobble
        widths = base_width * np.clip(1 + 0.2 * _smooth_noise(count, knots, rng), 0.6, 1.5)
        points = np.round(dense).astype(np.int32)
        if count == 1:
            cv2.circle(
                mask, (int(points[0, 0]), int(points[0, 1])), max(1, int(widths[0] / 2)), 255, -1
            )
            continue
        for i in range(count - 1):
            start = (int(points[i, 0]), int(points[i, 1]))
            end = (int(points[i + 1, 0]), int(points[i + 1, 1]))
            cv2.line(mask, start, end, 255, max(1, round(widths[i])), cv2.LINE_AA)
    return mask.astype(np.float32) / 255.0


def _apply_ink(
    canvas: NDArray[np.float32], ink: NDArray[np.float32], style: WriterStyle
) -> NDArray[np.float32]:
    alpha = (ink * style.ink_opacity)[..., None]
    colour = np.array(style.ink_bgr, dtype=np.float32)
    # Ink is translucent: it darkens the paper (multiplies) rather than painting over it.
    inked = canvas * (colour / 255.0)
    result: NDArray[np.float32] = canvas * (1 - alpha) + inked * alpha
    return result
