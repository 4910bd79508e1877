"""A phone photo of a filled page: pose, light, blur, noise, clutter, one warp, one JPEG.

``PhotoEffects.sample`` draws what a KPPS member's phone does to a page; corner cases
(cut-off corner, upside down, photo of a screen) are asked for explicitly. ``photograph``
applies the effects to a page image drawn at ``effects.page_resolution()`` and returns the
JPEG bytes with the homography from page millimetres to photo pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import cv2
import numpy as np

from rekap.simulation.camera import FloatArray, frame_size, homography, page_quad, page_scale
from rekap.simulation.form_print import PAGE_SIZE_MM, Image
from rekap.simulation.form_render import RESOLUTIONS
from rekap.simulation.lighting import Light, add_noise, background, light_page, screen_look

__all__ = ["CornerCase", "Photo", "PhotoEffects", "photograph"]


class CornerCase(StrEnum):
    CUT_CORNER = "cut_corner"
    WRONG_PAGE = "wrong_page"
    UPSIDE_DOWN = "upside_down"
    SCREEN = "screen"


@dataclass(frozen=True)
class PhotoEffects:
    """Everything that happens between the paper and the JPEG (docs/simulator.md)."""

    megapixels: float
    aspect: float
    landscape: bool
    yaw: float
    pitch: float
    roll: float
    focal: float
    fill: float
    shift: tuple[float, float]
    sharpness: float
    """Detail kept, 0..1: the page is drawn at this share of the photo's resolution."""
    motion_blur: float
    """Length of a shake, in page-image pixels (0: none)."""
    noise: int
    jpeg_quality: int
    light: Light
    clutter: int
    corner_cases: frozenset[CornerCase] = field(default_factory=frozenset)
    cut_corner: int = 0
    cut_depth: float = 0.0

    @classmethod
    def sample(
        cls,
        rng: np.random.Generator,
        corner_cases: frozenset[CornerCase] = frozenset(),
        megapixels: tuple[float, float] = (3.0, 12.0),
    ) -> PhotoEffects:
        strong = rng.random() < 0.15
        tilt = 38.0 if strong else 14.0
        landscape = bool(rng.random() < 0.25)
        roll = float(rng.normal(0, 4)) + (90.0 * float(rng.choice([-1, 1])) if landscape else 0.0)
        if CornerCase.UPSIDE_DOWN in corner_cases:
            roll += 180.0
        low, high = megapixels
        return cls(
            megapixels=float(rng.uniform(low, high)),
            aspect=float(rng.choice([4 / 3, 16 / 9], p=[0.8, 0.2])),
            landscape=landscape,
            yaw=float(np.clip(rng.normal(0, tilt / 2.5), -tilt, tilt)),
            pitch=float(np.clip(rng.normal(0, tilt / 2.5), -tilt, tilt)),
            roll=roll,
            focal=float(rng.uniform(0.9, 2.2)),
            fill=float(rng.uniform(0.7, 0.97)),
            shift=(float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))),
            sharpness=float(rng.uniform(0.55, 1.0)),
            motion_blur=float(rng.uniform(2, 7)) if rng.random() < 0.1 else 0.0,
            noise=int(rng.integers(0, 9)),
            jpeg_quality=int(rng.integers(60, 96)),
            light=_sample_light(rng),
            clutter=int(rng.integers(0, 7)),
            corner_cases=frozenset(corner_cases),
            cut_corner=int(rng.integers(4)),
            cut_depth=float(rng.uniform(0.02, 0.08)),
        )

    def frame(self) -> tuple[int, int]:
        return frame_size(self.megapixels, self.aspect, self.landscape)

    def quad(self) -> FloatArray:
        cut = self.cut_corner if CornerCase.CUT_CORNER in self.corner_cases else None
        return page_quad(
            self.frame(),
            self.yaw,
            self.pitch,
            self.roll,
            self.focal,
            self.fill,
            self.shift,
            cut,
            self.cut_depth,
        )

    def page_resolution(self) -> float:
        """Pixels per mm to draw the page at: the photo's own times the sharpness, rounded
        to the nearest of `RESOLUTIONS` (so the printed page is drawn once per resolution)."""
        wanted = page_scale(self.quad()) * self.sharpness
        return min(RESOLUTIONS, key=lambda r: abs(r - wanted))


def _sample_light(rng: np.random.Generator) -> Light:
    warm = rng.random() < 0.4
    shadows = [_shadow(rng) for _ in range(int(rng.choice([0, 1, 2], p=[0.55, 0.35, 0.1])))]
    folds = tuple(
        (float(rng.choice([1 / 3, 1 / 2, 2 / 3]) + rng.normal(0, 0.01)), bool(rng.random() < 0.7))
        for _ in range(int(rng.choice([0, 1, 2], p=[0.6, 0.3, 0.1])))
    )
    return Light(
        exposure=float(rng.uniform(0.72, 0.98)),
        tint=(float(rng.uniform(0.78, 0.9)), 0.97, 1.0)
        if warm
        else (1.0, 0.99, float(rng.uniform(0.9, 1.0))),
        gradient=float(rng.uniform(0.0, 0.35)),
        gradient_angle=float(rng.uniform(0, 2 * np.pi)),
        vignette=float(rng.uniform(0.0, 0.25)),
        shadows=tuple(shadows),
        shadow_depth=float(rng.uniform(0.2, 0.5)),
        folds=folds,
    )


def _shadow(rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    """The shadow of a hand, a phone or a person: a lobe entering from one edge of the page."""
    edge = int(rng.integers(4))
    start, end = sorted(float(v) for v in rng.uniform(-0.1, 1.1, 2))
    depth = float(rng.uniform(0.15, 0.6))
    bulge = [float(v) for v in rng.uniform(0.5, 1.0, 3)]
    # along the edge (t) and inwards (d), then turned onto the chosen edge
    outline = [(start, -0.05), (start, depth * bulge[0]), ((start + end) / 2, depth * bulge[1])]
    outline += [(end, depth * bulge[2]), (end, -0.05)]
    return tuple(_on_edge(edge, t, d) for t, d in outline)


def _on_edge(edge: int, along: float, inwards: float) -> tuple[float, float]:
    """A point given along an edge and inwards from it, in page fractions (x, y)."""
    if edge == 0:
        return (along, inwards)
    if edge == 1:
        return (1 - inwards, along)
    if edge == 2:
        return (along, 1 - inwards)
    return (inwards, along)


@dataclass(frozen=True)
class Photo:
    """A photographed page: the JPEG and where the page lies in it."""

    jpeg: bytes
    width: int
    height: int
    page_to_photo: tuple[tuple[float, float, float], ...]
    """3x3 homography from page millimetres to photo pixels."""
    effects: PhotoEffects


def photograph(page_image: Image, rng: np.random.Generator, effects: PhotoEffects) -> Photo:
    """Photograph a page image (BGR, 600 x 900 mm at any resolution): warp once, JPEG once."""
    px_per_mm = page_image.shape[1] / PAGE_SIZE_MM[0]
    screen = CornerCase.SCREEN in effects.corner_cases
    lit = light_page(page_image, effects.light)
    if screen:
        lit = screen_look(lit, rng)
    if effects.motion_blur > 0:
        lit = _shake(lit, effects.motion_blur, float(rng.uniform(0, 180)))
    add_noise(lit, effects.noise, rng)
    size = effects.frame()
    quad = effects.quad()
    frame = background(size, effects.clutter, rng, dark=screen)
    to_photo = homography(quad, px_per_mm)
    x0, y0 = (max(0, int(np.floor(v))) for v in quad.min(axis=0))
    x1, y1 = (
        min(side, int(np.ceil(v)) + 1) for v, side in zip(quad.max(axis=0), size, strict=True)
    )
    if x1 > x0 and y1 > y0:
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
        roi = frame[y0:y1, x0:x1]
        cv2.warpPerspective(
            lit,
            shift @ to_photo,
            (x1 - x0, y1 - y0),
            dst=roi,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, effects.jpeg_quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    mm_to_photo = to_photo @ np.diag([px_per_mm, px_per_mm, 1.0])
    mm_to_photo /= mm_to_photo[2, 2]
    rows = [(float(r[0]), float(r[1]), float(r[2])) for r in mm_to_photo]
    return Photo(encoded.tobytes(), size[0], size[1], (rows[0], rows[1], rows[2]), effects)


def _shake(image: Image, length: float, angle: float) -> Image:
    size = max(3, int(length) | 1)
    kernel = np.zeros((size, size), np.float32)
    kernel[size // 2, :] = 1.0 / size
    rotation = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, 1.0)
    turned = np.asarray(cv2.warpAffine(kernel, rotation, (size, size)), dtype=np.float32)
    turned /= max(1e-6, float(turned.sum()))
    return np.asarray(cv2.filter2D(image, -1, turned), dtype=np.uint8)
