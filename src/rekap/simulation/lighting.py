"""Light and surroundings of a phone photo: uneven light, shadows, folds, noise, clutter.

Everything slow is done small or once: the light falling on the page is a gain map drawn
at 1/12 of the page image and enlarged once; the background is a flat surface with a few
objects; sensor noise comes from a few fixed noise tiles laid at a random offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.simulation.form_print import Image

__all__ = ["Light", "add_noise", "background", "light_page", "screen_look"]

_DOWN = 12
_TILE = 509
Float32Array = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Light:
    """The light on the page (all factors multiply the page's brightness)."""

    exposure: float
    """Brightness of white paper, 0..1."""
    tint: tuple[float, float, float]
    """B, G, R multipliers (white balance: warm lamps lower blue)."""
    gradient: float
    """Darkening from the lit side to the far side, 0..1."""
    gradient_angle: float
    vignette: float
    shadows: tuple[tuple[tuple[float, float], ...], ...]
    """Polygons (page fractions) in the shadow of a hand or a phone."""
    shadow_depth: float
    folds: tuple[tuple[float, bool], ...]
    """Fold lines: position (page fraction) and whether the fold runs across (horizontal)."""


def _gain(light: Light, width: int, height: int) -> Float32Array:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = xs / max(1, width - 1), ys / max(1, height - 1)
    gain = np.full((height, width), light.exposure, np.float32)
    direction = np.cos(light.gradient_angle) * (u - 0.5) + np.sin(light.gradient_angle) * (v - 0.5)
    gain *= 1.0 - light.gradient * (direction + 0.7) / 1.4
    gain *= 1.0 - light.vignette * ((u - 0.5) ** 2 + (v - 0.5) ** 2) * 2.0
    if light.shadows:
        mask = np.zeros((height, width), np.uint8)
        for polygon in light.shadows:
            points = np.array([[x * width, y * height] for x, y in polygon], np.int32)
            cv2.fillPoly(mask, [points], 255)
        soft = cv2.GaussianBlur(mask, (0, 0), max(1.0, width / 60)).astype(np.float32) / 255
        gain *= 1.0 - light.shadow_depth * soft
    for position, across in light.folds:
        coordinate = v if across else u
        distance = (coordinate - position) * (height if across else width)
        gain *= np.where(distance > 0, 0.95, 1.0).astype(np.float32)
        gain *= 1.0 - 0.12 * np.exp(-(distance**2) / 2.0).astype(np.float32)
    return np.clip(gain, 0.0, 1.0)


def light_page(page: Image, light: Light) -> Image:
    """The page (BGR) as lit, in BGRA: a low-resolution gain map, enlarged once and
    multiplied in. Four channels from here on: OpenCV warps them faster than three."""
    height, width = page.shape[:2]
    gain = _gain(light, max(2, width // _DOWN), max(2, height // _DOWN))
    factors = np.asarray([*light.tint, 1.0], np.float32)
    tinted = np.clip(gain[..., None] * factors * 255, 0, 255).astype(np.uint8)
    tinted[..., 3] = 255
    full = cv2.resize(tinted, (width, height), interpolation=cv2.INTER_LINEAR)
    lit = np.asarray(cv2.cvtColor(page, cv2.COLOR_BGR2BGRA), dtype=np.uint8)
    cv2.multiply(lit, full, dst=lit, scale=1 / 255)
    return lit


@lru_cache(maxsize=32)
def _noise_tile(amplitude: int, channels: int) -> Image:
    shape = (_TILE, _TILE, channels)
    tile = np.random.default_rng(amplitude).integers(0, 2 * amplitude + 1, shape)
    result = tile.astype(np.uint8)
    result.setflags(write=False)
    return result


def add_noise(image: Image, amplitude: int, rng: np.random.Generator) -> None:
    """Add sensor noise in place: 0..2 x ``amplitude`` grey levels (one pass; the mean lift
    of ``amplitude`` levels is a camera's black level). It comes from a fixed tile laid at a
    random offset: the pattern repeats every 509 px, unseen after warping and JPEG."""
    if amplitude <= 0:
        return
    channels = image.shape[2] if image.ndim == 3 else 1
    tile = _noise_tile(amplitude, channels)
    dy, dx = (int(v) for v in rng.integers(0, _TILE, 2))
    rolled = np.roll(tile, (dy, dx), axis=(0, 1))
    height, width = image.shape[:2]
    for y in range(0, height, _TILE):
        for x in range(0, width, _TILE):
            block = image[y : y + _TILE, x : x + _TILE]
            cv2.add(block, rolled[: block.shape[0], : block.shape[1]], dst=block)


_SURFACES = (
    (60, 95, 140),
    (40, 60, 90),
    (120, 120, 120),
    (170, 160, 150),
    (70, 110, 70),
    (30, 30, 35),
    (150, 170, 190),
)


def background(size: tuple[int, int], clutter: int, rng: np.random.Generator, dark: bool) -> Image:
    """The table or floor around the page (BGRA), with ``clutter`` things lying on it.

    Drawn flat at full size (a fill and a few polygons cost less than enlarging a texture);
    the page covers most of it anyway."""
    width, height = size
    base = np.asarray(_SURFACES[int(rng.integers(len(_SURFACES)))], np.float64)
    base = np.array([20.0, 20.0, 22.0]) if dark else base * rng.uniform(0.7, 1.2)
    frame = np.empty((height, width, 4), np.uint8)
    frame[0] = (*np.clip(base, 0, 255).astype(np.uint8), 255)
    frame[1:] = frame[0]  # row by row: far faster than broadcasting a pixel over the frame
    for _ in range(clutter):
        grey = rng.uniform(40, 230)
        colour = (*(float(c) for c in np.clip(grey + rng.normal(0, 25, 3), 0, 255)), 255.0)
        centre = rng.uniform(0, 1, 2) * [width, height]
        if rng.random() < 0.6:
            axes = rng.uniform(0.05, 0.35, 2) * [width, height]
            angle = float(rng.uniform(0, 180))
            box = ((float(centre[0]), float(centre[1])), (float(axes[0]), float(axes[1])), angle)
            cv2.fillPoly(frame, [cv2.boxPoints(box).astype(np.int32)], colour)
        else:
            axes_px = (int(v) + 1 for v in rng.uniform(0.02, 0.12, 2) * [width, height])
            cv2.ellipse(
                frame,
                (int(centre[0]), int(centre[1])),
                tuple(axes_px),
                float(rng.uniform(0, 180)),
                0,
                360,
                colour,
                -1,
            )
    return frame


def screen_look(page: Image, rng: np.random.Generator) -> Image:
    """A page (BGRA) shown on a monitor and photographed: raised blacks, a blue cast, moiré."""
    height, width = page.shape[:2]
    angle = float(rng.uniform(0, np.pi))
    period = float(rng.uniform(3.0, 9.0))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = (np.cos(angle) * xs + np.sin(angle) * ys) * (2 * np.pi / period)
    moire = (0.88 + 0.12 * np.cos(phase)).astype(np.float32)
    look = page.astype(np.float32) * 0.78 + 45.0
    look *= moire[..., None]
    look *= np.array([1.08, 1.0, 0.9, 1.0][: page.shape[2]], np.float32)
    result: Image = np.clip(look, 0, 255).astype(np.uint8)
    return result
