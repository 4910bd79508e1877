"""Page templates: where a form page prints its marks, boxes and bubbles, as data.

Templates are JSON files derived from the official blank PDF by `tools/derive_templates.py`
and shipped in `rekap/reading/templates/<form>/page<N>.json`. All coordinates are
millimetres of the PDF page, origin top-left, x to the right, y downwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

Point = tuple[float, float]
Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) with x0 < x1 and y0 < y1."""

SCHEMA = "rekap.page-template/1"
DEFAULT_FORM = "c_hasil_ppwp"


@dataclass(frozen=True)
class AprilTag:
    family: str
    id: int
    corners: tuple[Point, Point, Point, Point]
    """In the detector's order: the marker's own top-left, top-right, bottom-right, bottom-left."""


@dataclass(frozen=True)
class Fiducial:
    name: str
    anchor: Point
    """The point where the fiducial's two black squares touch."""
    size: float


@dataclass(frozen=True)
class DigitBox:
    position: int
    """0 = hundreds, 1 = tens, 2 = units."""
    outer: Box
    inner: Box
    """The white writing area inside the printed border."""


@dataclass(frozen=True)
class Bubble:
    digit: int
    centre: Point


@dataclass(frozen=True)
class BubbleColumn:
    position: int
    bubbles: tuple[Bubble, ...]


@dataclass(frozen=True)
class BubbleGrid:
    outer_radius: float
    inner_radius: float
    columns: tuple[BubbleColumn, ...]


@dataclass(frozen=True)
class FieldTemplate:
    id: str
    label: str
    digit_boxes: tuple[DigitBox, ...]
    bubble_grid: BubbleGrid | None
    box: Box
    """The whole field (digit boxes and bubbles), for showing its crop."""


@dataclass(frozen=True)
class PageTemplate:
    form: str
    variant: str
    page: int
    page_size: Point
    apriltag: AprilTag
    fiducials: tuple[Fiducial, ...]
    fields: tuple[FieldTemplate, ...]

    def field(self, field_id: str) -> FieldTemplate:
        for field in self.fields:
            if field.id == field_id:
                return field
        raise KeyError(field_id)


def _point(raw: Any) -> Point:
    return (float(raw[0]), float(raw[1]))


def _box(raw: Any) -> Box:
    return (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]))


def _bubble_grid(raw: Any) -> BubbleGrid:
    return BubbleGrid(
        outer_radius=float(raw["outer_radius"]),
        inner_radius=float(raw["inner_radius"]),
        columns=tuple(
            BubbleColumn(
                position=int(column["position"]),
                bubbles=tuple(
                    Bubble(digit=int(b["digit"]), centre=_point(b["centre"]))
                    for b in column["bubbles"]
                ),
            )
            for column in raw["columns"]
        ),
    )


def _field(raw: Any) -> FieldTemplate:
    grid = raw.get("bubble_grid")
    return FieldTemplate(
        id=str(raw["id"]),
        label=str(raw["label"]),
        digit_boxes=tuple(
            DigitBox(position=int(b["position"]), outer=_box(b["outer"]), inner=_box(b["inner"]))
            for b in raw["digit_boxes"]
        ),
        bubble_grid=_bubble_grid(grid) if grid is not None else None,
        box=_box(raw["box"]),
    )


def parse_page_template(raw: Any) -> PageTemplate:
    """Build a template from its decoded JSON; raises ValueError on another schema."""
    if raw.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document: {raw.get('schema')!r}")
    if raw.get("units") != "mm":
        raise ValueError(f"template units must be mm, not {raw.get('units')!r}")
    tag = raw["apriltag"]
    corners = [_point(c) for c in tag["corners"]]
    return PageTemplate(
        form=str(raw["form"]),
        variant=str(raw["variant"]),
        page=int(raw["page"]),
        page_size=_point(raw["page_size"]),
        apriltag=AprilTag(
            family=str(tag["family"]),
            id=int(tag["id"]),
            corners=(corners[0], corners[1], corners[2], corners[3]),
        ),
        fiducials=tuple(
            Fiducial(name=str(f["name"]), anchor=_point(f["anchor"]), size=float(f["size"]))
            for f in raw["fiducials"]
        ),
        fields=tuple(_field(f) for f in raw["fields"]),
    )


@cache
def load_page_template(page: int, form: str = DEFAULT_FORM) -> PageTemplate:
    """The shipped template of one page of a form, e.g. `load_page_template(2)`."""
    source = resources.files("rekap.reading").joinpath("templates", form, f"page{page}.json")
    return parse_page_template(json.loads(source.read_text(encoding="utf-8")))


@cache
def load_form_templates(form: str = DEFAULT_FORM) -> tuple[PageTemplate, ...]:
    """Every shipped page template of a form, in page order."""
    folder = resources.files("rekap.reading").joinpath("templates", form)
    pages = sorted(
        int(entry.name[4:-5])
        for entry in folder.iterdir()
        if entry.name.startswith("page") and entry.name.endswith(".json")
    )
    return tuple(load_page_template(page, form) for page in pages)
