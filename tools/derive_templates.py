"""Derive the page templates of a C.Hasil form from its official blank PDF.

Renders each page with pypdfium2 and *detects* its printed geometry: the AprilTag (family
36h10) naming the page, the four corner fiducials (two black squares touching at a corner),
every digit box (a square with a thick border), and every bubble grid (rings below a row
of digit boxes, one column of ten per digit position). The only knowledge typed in here is
which field id each group of three digit boxes carries, in reading order (top to bottom,
left to right) -- that is what the form *means*, not where it is printed.

Coordinates are millimetres of the PDF page, origin at its top-left corner, x to the right,
y downwards. Usage:

    python tools/derive_templates.py ../shared/data/forms/official/C.HASIL-PPWP.pdf \
        --out src/rekap/reading/templates/c_hasil_ppwp

A new form (the A4 SALINAN copy, once it carries tags and fiducials) is a new entry in
`FORMS` and a new run of this script, not new reading code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium

PX_PER_MM = 8.0
MM_PER_PT = 25.4 / 72.0
SCHEMA = "rekap.page-template/1"
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class PageSpec:
    """What a page means: the field id and label of each digit-box group, in reading order."""

    fields: tuple[tuple[str, str], ...]
    has_bubbles: bool = False


def _lpj(prefix: str, label: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{prefix}_{suffix}", f"{label}, {gloss}")
        for suffix, gloss in (("l", "laki-laki"), ("p", "perempuan"), ("j", "jumlah L+P"))
    )


PPWP_PLANO = {
    1: PageSpec(
        fields=(
            *_lpj("dpt", "I.A Pemilih dalam DPT"),
            *_lpj("pengguna_dpt", "I.B.1 Pengguna hak pilih dalam DPT"),
            *_lpj("pengguna_dptb", "I.B.2 Pengguna hak pilih dalam DPTb"),
            *_lpj("pengguna_dpk", "I.B.3 Pengguna hak pilih dalam DPK"),
            *_lpj("pengguna_total", "I.B.4 Jumlah pengguna hak pilih"),
            ("surat_suara_diterima", "II.1 Surat suara diterima, termasuk cadangan 2%"),
            ("surat_suara_digunakan", "II.2 Surat suara digunakan"),
            ("surat_suara_rusak", "II.3 Surat suara dikembalikan (rusak atau keliru coblos)"),
            ("surat_suara_tidak_digunakan", "II.4 Surat suara tidak digunakan"),
            *_lpj("disabilitas", "III Pemilih disabilitas yang menggunakan hak pilih"),
        )
    ),
    2: PageSpec(
        fields=(
            ("paslon_1", "IV Perolehan suara pasangan calon nomor urut 1"),
            ("paslon_2", "IV Perolehan suara pasangan calon nomor urut 2"),
            ("paslon_3", "IV Perolehan suara pasangan calon nomor urut 3"),
        ),
        has_bubbles=True,
    ),
    3: PageSpec(
        fields=(
            ("suara_sah", "V.A Jumlah seluruh suara sah"),
            ("suara_tidak_sah", "V.B Jumlah suara tidak sah"),
            ("suara_total", "V.C Jumlah seluruh suara sah dan tidak sah"),
        )
    ),
}
FORMS = {"C.HASIL-PPWP.pdf": ("C.HASIL-PPWP", "plano", PPWP_PLANO)}


@dataclass(frozen=True)
class Blob:
    """A connected dark component of the render, in pixels."""

    x: int
    y: int
    w: int
    h: int
    area: int
    label: int

    @property
    def fill(self) -> float:
        return self.area / float(self.w * self.h)

    def box_mm(self) -> Box:
        return _mm_box(self.x, self.y, self.x + self.w, self.y + self.h)


def _mm(value: float) -> float:
    return round(value / PX_PER_MM, 3)


def _mm_box(x0: float, y0: float, x1: float, y1: float) -> Box:
    return (_mm(x0), _mm(y0), _mm(x1), _mm(y1))


def render_page(pdf: pdfium.PdfDocument, index: int) -> np.ndarray:
    page = pdf[index]
    bitmap = page.render(scale=PX_PER_MM * 25.4 / 72.0, grayscale=True)
    image = np.array(bitmap.to_numpy(), dtype=np.uint8)
    return image.reshape(image.shape[0], image.shape[1])


def find_blobs(image: np.ndarray) -> tuple[list[Blob], np.ndarray]:
    dark = (image < 128).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    blobs = [
        Blob(int(x), int(y), int(w), int(h), int(a), i)
        for i, (x, y, w, h, a) in enumerate(stats[1:count].tolist(), start=1)
    ]
    return blobs, labels


def detect_apriltag(image: np.ndarray) -> dict[str, Any]:
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_APRILTAG_36h10)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    corners, ids, _ = detector.detectMarkers(image)
    if ids is None or len(ids) != 1:
        raise SystemExit(f"expected exactly one AprilTag 36h10, found {ids}")
    points = corners[0].reshape(4, 2)
    return {
        "family": "36h10",
        "id": int(np.asarray(ids).ravel()[0]),
        "corners": [[_mm(float(x)), _mm(float(y))] for x, y in points],
    }


def _is_fiducial(blob: Blob, labels: np.ndarray) -> bool:
    size_mm = blob.w / PX_PER_MM
    if not (8.0 < size_mm < 30.0) or abs(blob.w - blob.h) > 2 or not (0.4 < blob.fill < 0.6):
        return False
    mask = labels[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w] == blob.label
    half_h, half_w = blob.h // 2, blob.w // 2
    quadrants = [
        mask[:half_h, :half_w].mean(),
        mask[:half_h, half_w:].mean(),
        mask[half_h:, :half_w].mean(),
        mask[half_h:, half_w:].mean(),
    ]
    top_left, top_right, bottom_left, bottom_right = quadrants
    return bool(min(top_left, bottom_right) > 0.8 and max(top_right, bottom_left) < 0.2)


def detect_fiducials(image: np.ndarray, blobs: list[Blob], labels: np.ndarray) -> list[Any]:
    found = [b for b in blobs if _is_fiducial(b, labels)]
    if len(found) != 4:
        raise SystemExit(f"expected 4 corner fiducials, found {len(found)}")
    height, width = image.shape
    result = []
    for blob in found:
        centre = np.array([[[blob.x + blob.w / 2.0, blob.y + blob.h / 2.0]]], dtype=np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 50, 0.01)
        cv2.cornerSubPix(image, centre, (5, 5), (-1, -1), criteria)
        x, y = (float(v) for v in centre.reshape(2))
        vertical = "top" if y < height / 2 else "bottom"
        horizontal = "left" if x < width / 2 else "right"
        result.append(
            {
                "name": f"{vertical}_{horizontal}",
                "anchor": [_mm(x), _mm(y)],
                "size": _mm(blob.w),
            }
        )
    order = ["top_left", "top_right", "bottom_right", "bottom_left"]
    result.sort(key=lambda f: order.index(f["name"]))
    if [f["name"] for f in result] != order:
        raise SystemExit(f"fiducials are not one per corner: {[f['name'] for f in result]}")
    return result


def _inner_box(blob: Blob, labels: np.ndarray) -> Box:
    """The white writing area inside a digit box's border."""
    ring = labels[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w] == blob.label
    cy, cx = blob.h // 2, blob.w // 2
    row, col = ring[cy, :], ring[:, cx]
    left = int(np.flatnonzero(row[:cx])[-1]) + 1
    right = cx + int(np.flatnonzero(row[cx:])[0])
    top = int(np.flatnonzero(col[:cy])[-1]) + 1
    bottom = cy + int(np.flatnonzero(col[cy:])[0])
    return _mm_box(blob.x + left, blob.y + top, blob.x + right, blob.y + bottom)


def detect_digit_boxes(blobs: list[Blob]) -> list[Blob]:
    """Thick-bordered squares 15-25 mm wide whose border is a single dark ring."""
    boxes = []
    for blob in blobs:
        w_mm, h_mm = blob.w / PX_PER_MM, blob.h / PX_PER_MM
        if 15.0 < w_mm < 25.0 and abs(w_mm - h_mm) < 1.0 and 0.12 < blob.fill < 0.3:
            boxes.append(blob)
    return boxes


def group_digit_boxes(boxes: list[Blob]) -> list[list[Blob]]:
    """Rows top to bottom, then runs of three adjacent boxes left to right."""
    rows: list[list[Blob]] = []
    for blob in sorted(boxes, key=lambda b: b.y):
        if rows and abs(rows[-1][0].y - blob.y) < blob.h / 2:
            rows[-1].append(blob)
        else:
            rows.append([blob])
    groups: list[list[Blob]] = []
    for row in rows:
        row.sort(key=lambda b: b.x)
        current = [row[0]]
        for previous, blob in zip(row, row[1:], strict=False):
            gap = blob.x - (previous.x + previous.w)
            if gap > 0.3 * blob.w:
                groups.append(current)
                current = []
            current.append(blob)
        groups.append(current)
    sizes = [len(g) for g in groups]
    if any(size != 3 for size in sizes):
        raise SystemExit(f"digit boxes do not form groups of three: {sizes}")
    return groups


def detect_bubbles(blobs: list[Blob]) -> list[Blob]:
    """Printed rings 5-11 mm across (the digit printed inside is a separate blob)."""
    return [
        b
        for b in blobs
        if 5.0 < b.w / PX_PER_MM < 11.0 and abs(b.w - b.h) <= 3 and 0.05 < b.fill < 0.25
    ]


def bubble_grid(group: list[Blob], next_top: float, bubbles: list[Blob]) -> dict[str, Any]:
    bottom = max(b.y + b.h for b in group)
    columns = []
    outer, inner = [], []
    for position, box in enumerate(group):
        column = sorted(
            (
                b
                for b in bubbles
                if abs((b.x + b.w / 2) - (box.x + box.w / 2)) < box.w / 2
                and bottom < b.y
                and b.y + b.h < next_top
            ),
            key=lambda b: b.y,
        )[:10]
        if len(column) != 10:
            raise SystemExit(f"expected 10 bubbles under digit box {position}, found {len(column)}")
        pitches = np.diff([b.y for b in column])
        if pitches.max() - pitches.min() > 0.2 * pitches.mean():
            raise SystemExit("bubbles of a column are not evenly spaced")
        for b in column:
            radius = (b.w + b.h) / 4.0
            outer.append(radius)
            inner.append(float(np.sqrt(max(radius**2 - b.area / np.pi, 0.0))))
        columns.append(
            {
                "position": position,
                "bubbles": [
                    {"digit": digit, "centre": [_mm(b.x + b.w / 2), _mm(b.y + b.h / 2)]}
                    for digit, b in enumerate(column)
                ],
            }
        )
    return {
        "outer_radius": _mm(float(np.median(outer))),
        "inner_radius": _mm(float(np.median(inner))),
        "columns": columns,
    }


def _union(boxes: list[Box]) -> list[float]:
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def derive_page(image: np.ndarray, spec: PageSpec) -> dict[str, Any]:
    blobs, labels = find_blobs(image)
    groups = group_digit_boxes(detect_digit_boxes(blobs))
    if len(groups) != len(spec.fields):
        raise SystemExit(f"found {len(groups)} digit-box groups, the spec names {len(spec.fields)}")
    bubbles = detect_bubbles(blobs) if spec.has_bubbles else []
    fields = []
    for index, ((field_id, label), group) in enumerate(zip(spec.fields, groups, strict=True)):
        digit_boxes = [
            {
                "position": position,
                "outer": list(box.box_mm()),
                "inner": list(_inner_box(box, labels)),
            }
            for position, box in enumerate(group)
        ]
        field: dict[str, Any] = {"id": field_id, "label": label, "digit_boxes": digit_boxes}
        extents = [box.box_mm() for box in group]
        if spec.has_bubbles:
            later = [g for g in groups[index + 1 :] if g[0].y > group[0].y]
            next_top = min(g[0].y for g in later) if later else float(image.shape[0])
            grid = bubble_grid(group, next_top, bubbles)
            field["bubble_grid"] = grid
            radius = grid["outer_radius"]
            for column in grid["columns"]:
                for bubble in column["bubbles"]:
                    x, y = bubble["centre"]
                    extents.append((x - radius, y - radius, x + radius, y + radius))
        field["box"] = [round(v, 3) for v in _union(extents)]
        fields.append(field)
    return {
        "apriltag": detect_apriltag(image),
        "fiducials": detect_fiducials(image, blobs, labels),
        "fields": fields,
    }


def to_json(data: dict[str, Any]) -> str:
    """Indented JSON with every list of numbers on one line, so a diff stays readable."""
    text = json.dumps(data, indent=1)
    number_list = re.compile(r"\[\s*(-?[\d.]+(?:,\s*-?[\d.]+)*)\s*\]")
    return number_list.sub(lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text) + "\n"


def derive(pdf_path: Path, out_dir: Path) -> None:
    form, variant, specs = FORMS[pdf_path.name]
    digest = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    pdf = pdfium.PdfDocument(str(pdf_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    for number, spec in specs.items():
        width_pt, height_pt = pdf[number - 1].get_size()
        page = {
            "schema": SCHEMA,
            "form": form,
            "variant": variant,
            "page": number,
            "units": "mm",
            "origin": "top-left corner of the PDF page; x to the right, y downwards",
            "page_size": [round(width_pt * MM_PER_PT, 3), round(height_pt * MM_PER_PT, 3)],
            "source": {"pdf": pdf_path.name, "sha256": digest, "page_index": number - 1},
            "derived_by": "tools/derive_templates.py",
            **derive_page(render_page(pdf, number - 1), spec),
        }
        target = out_dir / f"page{number}.json"
        target.write_text(to_json(page), encoding="utf-8")
        print(f"{target}: tag {page['apriltag']['id']}, {len(page['fields'])} fields")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path, help="the official blank form PDF")
    parser.add_argument("--out", type=Path, required=True, help="folder for page<N>.json")
    args = parser.parse_args()
    derive(args.pdf, args.out)


if __name__ == "__main__":
    main()
