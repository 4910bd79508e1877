"""Synthetic photos of C.Hasil pages, drawn from the templates, for the reader's tests.

A page is drawn as the form prints it (fiducials, a real AprilTag 36h10, digit boxes,
bubble rings) and filled like a KPPS member would (digits as simple glyphs, an X in an
unused leading box, blackened bubbles), then "photographed": warped by a homography onto
a darker background and JPEG-encoded. The glyph classifier below is a tiny but real
classifier for these glyphs (template matching), so a badly cut crop is misread.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from rekap.reading.classifier import DIGIT_BOX_LABELS
from rekap.reading.template import PageTemplate

Gray = NDArray[np.uint8]
PAGE_PX_PER_MM = 2.0


def draw_glyph(label: str, size: int) -> Gray:
    """A handwriting stand-in: the digit in a plain font, 'X' as a cross, blank as paper."""
    glyph = np.full((size, size), 255, np.uint8)
    thickness = max(1, size // 10)
    if label == "X":
        cv2.line(glyph, (size // 6, size // 6), (5 * size // 6, 5 * size // 6), 0, thickness)
        cv2.line(glyph, (5 * size // 6, size // 6), (size // 6, 5 * size // 6), 0, thickness)
    elif label != "blank":
        scale = size / 32.0
        (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        origin = ((size - w) // 2, (size + h) // 2)
        cv2.putText(glyph, label, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 0, thickness)
    return glyph


def _paste_square(page: Gray, box: Sequence[float], image: Gray, scale: float) -> None:
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    page[y0:y1, x0:x1] = np.minimum(page[y0:y1, x0:x1], cv2.resize(image, (x1 - x0, y1 - y0)))


def draw_page(
    template: PageTemplate,
    digits: Mapping[str, str] | None = None,
    bubbles: Mapping[str, str] | None = None,
    tag_id: int | None = None,
    scale: float = PAGE_PX_PER_MM,
) -> Gray:
    """The page at `scale` px/mm. `digits` maps field ids to three labels ('X32', with
    '_' for blank); `bubbles` maps field ids to marked digits per column ('-32')."""
    width, height = (round(v * scale) for v in template.page_size)
    page = np.full((height, width), 250, np.uint8)
    for fiducial in template.fiducials:
        x, y = fiducial.anchor
        half = fiducial.size / 2
        for x0, y0 in ((x - half, y - half), (x, y)):
            cv2.rectangle(
                page,
                (round(x0 * scale), round(y0 * scale)),
                (round((x0 + half) * scale) - 1, round((y0 + half) * scale) - 1),
                0,
                -1,
            )
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10)
    marker = cv2.aruco.generateImageMarker(dictionary, tag_id or template.apriltag.id, 160, 1)
    source = np.array([[0, 0], [160, 0], [160, 160], [0, 160]], np.float32)
    target = np.array(template.apriltag.corners, np.float32) * scale
    warp = cv2.getPerspectiveTransform(source, target)
    painted = cv2.warpPerspective(marker, warp, (width, height), borderValue=255)
    page = np.minimum(page, painted)
    for field in template.fields:
        labels = (digits or {}).get(field.id, "___")
        for box, label in zip(field.digit_boxes, labels, strict=True):
            x0, y0, x1, y1 = (round(v * scale) for v in box.outer)
            cv2.rectangle(page, (x0, y0), (x1, y1), 0, max(1, round(scale)))
            if label != "_":
                inner = box.inner
                margin = 0.12 * (inner[2] - inner[0])
                writing = (
                    inner[0] + margin,
                    inner[1] + margin,
                    inner[2] - margin,
                    inner[3] - margin,
                )
                _paste_square(page, writing, draw_glyph(label, 64), scale)
        if field.bubble_grid is not None:
            marks = (bubbles or {}).get(field.id, "---")
            grid = field.bubble_grid
            for column, mark in zip(grid.columns, marks, strict=True):
                for bubble in column.bubbles:
                    centre = (round(bubble.centre[0] * scale), round(bubble.centre[1] * scale))
                    cv2.circle(page, centre, round(grid.outer_radius * scale), 0, 1)
                    cv2.putText(
                        page,
                        str(bubble.digit),
                        (centre[0] - 3, centre[1] + 3),
                        cv2.FONT_HERSHEY_PLAIN,
                        0.6,
                        80,
                        1,
                    )
                    if mark == str(bubble.digit):
                        cv2.circle(page, centre, round(grid.inner_radius * scale), 20, -1)
    return page


def photograph(
    page: Gray,
    size: tuple[int, int] = (1500, 2000),
    *,
    turn: int = 0,
    angle: float = 0.0,
    shift: tuple[float, float] = (0.0, 0.0),
    tilt: float = 0.04,
    coverage: float = 0.85,
    seed: int = 0,
) -> tuple[Gray, NDArray[np.float64]]:
    """The page warped into a photo of `size` (width, height): scaled to `coverage`,
    turned by `turn` quarter turns and `angle` degrees clockwise, moved by `shift` (shares
    of the photo's size), corners jittered by `tilt` for perspective. Returns the photo
    and the homography from page pixels to photo pixels."""
    rng = np.random.default_rng(seed)
    height, width = page.shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    w, h = size
    fit = (
        coverage * min(w / width, h / height)
        if turn % 2 == 0
        else coverage * min(w / height, h / width)
    )
    placed = (corners - [width / 2, height / 2]) * fit
    radians = np.deg2rad(90 * turn + angle)
    rotation = np.array([[np.cos(radians), -np.sin(radians)], [np.sin(radians), np.cos(radians)]])
    placed = placed @ rotation.T + [w / 2 + shift[0] * w, h / 2 + shift[1] * h]
    placed += rng.uniform(-tilt, tilt, placed.shape) * min(w, h) * 0.5
    homography = cv2.getPerspectiveTransform(corners.astype(np.float32), placed.astype(np.float32))
    background = rng.normal(70, 12, (h, w)).clip(0, 255).astype(np.uint8)
    warped = cv2.warpPerspective(page, homography, (w, h), borderValue=0)
    mask = cv2.warpPerspective(np.full_like(page, 255), homography, (w, h), borderValue=0)
    photo = np.where(mask > 127, warped, background).astype(np.uint8)
    photo = cv2.GaussianBlur(photo, (0, 0), 0.6)
    noise = rng.normal(0, 3, photo.shape)
    return np.clip(photo + noise, 0, 255).astype(np.uint8), homography.astype(np.float64)


def encode(image: Gray, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@dataclass(frozen=True)
class GlyphReading:
    label: str
    confidence: float
    probabilities: tuple[float, ...]


class GlyphClassifier:
    """Classifies crops drawn by `draw_glyph` by correlation with each label's glyph."""

    def __init__(self, sharpness: float = 150.0) -> None:
        self.sharpness = sharpness
        self.glyphs = [
            cv2.resize(draw_glyph(label, 64), (32, 32), interpolation=cv2.INTER_AREA).astype(
                np.float32
            )
            for label in DIGIT_BOX_LABELS
        ]

    def classify(self, crops: Sequence[Gray]) -> list[GlyphReading]:
        readings = []
        for crop in crops:
            size = crop.shape[0]
            low, high = round(size * 0.204), round(size * 0.796)
            inner = crop[low:high, low:high]
            sample = cv2.resize(inner, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
            paper, ink = np.percentile(crop, [90, 2])
            darkest = float((paper - sample.min()) / max(float(paper - ink), 1.0))
            scores = []
            for label, glyph in zip(DIGIT_BOX_LABELS, self.glyphs, strict=True):
                if label == "blank":
                    scores.append(1.0 if darkest < 0.4 else 0.0)
                    continue
                a, b = sample - sample.mean(), glyph - glyph.mean()
                denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
                scores.append(float((a * b).sum()) / max(denominator, 1e-6))
            logits = np.array(scores) * self.sharpness
            p = np.exp(logits - logits.max())
            p /= p.sum()
            best = int(np.argmax(p))
            readings.append(
                GlyphReading(DIGIT_BOX_LABELS[best], float(p[best]), tuple(float(v) for v in p))
            )
        return readings


PhotoMaker = Callable[..., bytes]


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge image (a decompression bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
