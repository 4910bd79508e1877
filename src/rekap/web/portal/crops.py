"""The crop of one number from its photo, cut along the page's homography, as a small JPEG.

A reading stores each field's box in template millimetres. The homography from template
millimetres to photo pixels is taken from the reading when it carries one
(``geometry.page_to_photo``); otherwise the page is located again in the photo (the reader's
own locate stage, without reading any digit) and remembered. Crops and thumbnails are kept
in a small LRU cache; a photo never changes, so browsers may keep them for a year.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from rekap.adapters.photo_store import PhotoStore as PhotoFiles
from rekap.capture.photo_check import PhotoFormat
from rekap.reading.decode import DecodedImage, decode_image
from rekap.reading.geometry import FloatArray, crop_transform
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.template import Box, PageTemplate, load_form_templates
from rekap.web.portal.queries import PhotoRow
from rekap.web.storage_trouble import read_photo

K = TypeVar("K")
V = TypeVar("V")
MARGIN_MM = 1.5
PX_PER_MM = 5.0
MAX_CROP_WIDTH = 420
THUMB_WIDTH = 360
JPEG_QUALITY = 78


class Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def stored_homography(reading: Mapping[str, Any] | None) -> FloatArray | None:
    rows = ((reading or {}).get("geometry") or {}).get("page_to_photo")
    if not rows:
        return None
    return np.asarray(rows, dtype=np.float64).reshape(3, 3)


def located_homography(data: bytes, templates: tuple[PageTemplate, ...]) -> FloatArray | None:
    """Locate the page again: template mm -> full-resolution photo pixels, or None."""
    decoded = decode_image(data)
    for _ in range(2):
        if not isinstance(decoded, DecodedImage):
            return None
        found = locate_page(decoded, templates, thorough=True)
        if isinstance(found, PageLocation):
            scale = np.diag([float(decoded.reduction), float(decoded.reduction), 1.0])
            matrix: FloatArray = scale @ found.homography
            normalised: FloatArray = matrix / matrix[2, 2]
            return normalised
        if decoded.reduction == 1:
            return None
        decoded = decode_image(data, decoded.reduction // 2)
    return None


def field_box(reading: Mapping[str, Any] | None, template: PageTemplate, field_id: str) -> Box:
    raw = ((reading or {}).get("fields") or {}).get(field_id, {}).get("box")
    if raw and len(raw) == 4:
        return (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]))
    return template.field(field_id).box


def encode_jpeg(image: NDArray[np.uint8]) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buffer.tobytes())


class CropMaker:
    def __init__(self, files: PhotoFiles) -> None:
        self.files = files
        self.templates = {t.page: t for t in load_form_templates()}
        self._images: Lru[str, NDArray[np.uint8] | None] = Lru(3)
        self._homographies: Lru[int, FloatArray | None] = Lru(256)
        self._crops: Lru[tuple[int, str], bytes | None] = Lru(2048)

    def _bytes(self, photo: PhotoRow) -> bytes:
        return read_photo(self.files, photo.sha256, PhotoFormat(photo.format).suffix)

    def _image(self, photo: PhotoRow) -> NDArray[np.uint8] | None:
        def decode() -> NDArray[np.uint8] | None:
            array = np.frombuffer(self._bytes(photo), dtype=np.uint8)
            image = cv2.imdecode(array, cv2.IMREAD_COLOR)
            return None if image is None else np.asarray(image, dtype=np.uint8)

        return self._images.get_or_make(photo.sha256, decode)

    def homography(self, photo: PhotoRow) -> FloatArray | None:
        def find() -> FloatArray | None:
            stored = stored_homography(photo.reading)
            if stored is not None:
                return stored
            return located_homography(self._bytes(photo), tuple(self.templates.values()))

        return self._homographies.get_or_make(photo.id, find)

    def has_field(self, photo: PhotoRow, field_id: str) -> bool:
        template = self.templates.get(photo.page)
        return template is not None and any(f.id == field_id for f in template.fields)

    def crop(self, photo: PhotoRow, field_id: str) -> bytes | None:
        """The field's crop as JPEG; None when the page cannot be placed in the photo."""
        if not self.has_field(photo, field_id):
            return None
        return self._crops.get_or_make((photo.id, field_id), lambda: self._cut(photo, field_id))

    def _cut(self, photo: PhotoRow, field_id: str) -> bytes | None:
        matrix = self.homography(photo)
        image = self._image(photo)
        if matrix is None or image is None:
            return None
        x0, y0, x1, y1 = field_box(photo.reading, self.templates[photo.page], field_id)
        box = (x0 - MARGIN_MM, y0 - MARGIN_MM, x1 + MARGIN_MM, y1 + MARGIN_MM)
        scale = min(PX_PER_MM, MAX_CROP_WIDTH / (box[2] - box[0]))
        size = (max(1, round((box[2] - box[0]) * scale)), max(1, round((box[3] - box[1]) * scale)))
        to_photo = matrix @ crop_transform(box, size)
        cut = cv2.warpPerspective(
            image,
            to_photo,
            size,
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(255, 255, 255),
        )
        return encode_jpeg(np.asarray(cut, dtype=np.uint8))

    def thumbnail(self, photo: PhotoRow) -> bytes | None:
        def make() -> bytes | None:
            image = self._image(photo)
            if image is None:
                return None
            height, width = image.shape[:2]
            target = (THUMB_WIDTH, max(1, round(height * THUMB_WIDTH / width)))
            return encode_jpeg(
                np.asarray(cv2.resize(image, target, interpolation=cv2.INTER_AREA), np.uint8)
            )

        return self._crops.get_or_make((photo.id, "@thumbnail"), make)
