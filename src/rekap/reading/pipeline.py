"""The page reader: photo bytes in, a PageReading out, through injected stages.

    decode -> locate -> cut cells -> classify digit boxes -> read bubbles -> decide
    (each field on its own marks and, through the page's identities, on its tied fields')

The photo is first decoded small (about 1000 pixels on its long side, which is cheap with
JPEG's DCT scaling); only when the page is not found there, or is found too small to read,
is it decoded again at twice the resolution.

Each stage is a plain function (or, for the digit classifier, an object) passed in, so a
test, a benchmark or another form can swap any of them. Bad input never raises: every
refusal is a PageReading with a status and a reason, and no number is ever produced for
a page that could not be located.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rekap.reading.box_border import partly_hidden_boxes
from rekap.reading.box_seen import HiddenBox, hidden_boxes
from rekap.reading.bubbles import BubbleGridReading, read_bubble_grid
from rekap.reading.cells import BubbleCrop, PageCells, cut_cells
from rekap.reading.classifier import DigitBoxClassifier, DigitBoxReading
from rekap.reading.decide import DecisionPolicy, abstain, decide_fields, field_evidence
from rekap.reading.decode import DecodedImage, GrayImage, decode_image, jpeg_damage
from rekap.reading.evidence import FieldEvidence
from rekap.reading.identities import C_HASIL_PPWP_IDENTITIES, SumIdentity
from rekap.reading.locate import PageLocation, locate_page
from rekap.reading.problem import Problem
from rekap.reading.quality import (
    assess_quality,
    check_digit_sharpness,
    explain_missing_page,
    find_page_marks,
)
from rekap.reading.result import FieldReading, PageGeometry, PageReading
from rekap.reading.template import PageTemplate, load_form_templates

MIN_PX_PER_MM = 0.9
"""Below this many decoded pixels per millimetre, the photo is decoded again, larger."""
MAX_REDECODES = 3
"""Each a halving of the reduction: a 48 MP photo is tried at 1/8, 1/4, 1/2 and full size
(a page photographed from afar, its fiducials a few pixels at 1/2, is found at full size)."""


class Decoder(Protocol):
    def __call__(self, data: bytes, reduction: int | None = None) -> DecodedImage | Problem: ...


class Locator(Protocol):
    def __call__(
        self, image: DecodedImage, templates: Sequence[PageTemplate], *, thorough: bool = True
    ) -> PageLocation | Problem | None: ...


Cutter = Callable[[GrayImage, PageLocation], PageCells]
BubbleReader = Callable[[BubbleCrop], BubbleGridReading]


def read_bubble_crop(crop: BubbleCrop) -> BubbleGridReading:
    return read_bubble_grid(crop.image, crop.columns, crop.inner_radius)


def _geometry(location: PageLocation, decoded: DecodedImage) -> PageGeometry:
    scale = np.diag([float(decoded.reduction), float(decoded.reduction), 1.0])
    to_photo = scale @ location.homography
    to_photo = to_photo / to_photo[2, 2]
    rows = tuple((float(r[0]), float(r[1]), float(r[2])) for r in to_photo)
    return PageGeometry(
        page_to_photo=rows,
        rotation_degrees=location.rotation_degrees,
        residual_mm=round(location.residual_mm, 3),
        px_per_mm=round(location.px_per_mm * decoded.reduction, 3),
        fiducials_used=location.fiducials_used,
    )


@dataclass(frozen=True)
class PageReader:
    """Reads photos of the pages of one form (by default C.Hasil PPWP plano, pages 1-3)."""

    classifier: DigitBoxClassifier
    templates: tuple[PageTemplate, ...] = field(default_factory=load_form_templates)
    decode: Decoder = decode_image
    locate: Locator = locate_page
    cut: Cutter = cut_cells
    read_bubbles: BubbleReader = read_bubble_crop
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)
    identities: tuple[SumIdentity, ...] = C_HASIL_PPWP_IDENTITIES
    """Identities whose fields are decided jointly (`rekap.reading.joint`, with a prior for a
    mistake written on the form); a field only they make readable abstains when a misread
    shared by its tied fields would fit them too (`rekap.reading.shared_misread`). `()`
    decides every field on its own marks alone."""

    def read(self, data: bytes, expected_page: int | None = None) -> PageReading:
        """Read one photo. With `expected_page`, a photo of another page is refused."""
        found = self._decode_and_locate(data)
        if isinstance(found, Problem):
            return PageReading(found.status, found.reason, found.page)
        reading = self._read_located(*found, expected_page)
        if found[0].format != "JPEG":
            return reading
        # a damaged stream may still locate and read in part (restart markers let the
        # decoder pick up again after the damage): its numbers are not taken (0.2 ms for
        # a 3 MP photo)
        damage = jpeg_damage(data)
        if damage is None:
            return reading
        return PageReading(
            "unreadable",
            f"the file is damaged ({damage}): it was cut short or changed on its way, so "
            "the picture cannot be trusted; send the photo again, the original from the "
            "phone's gallery",
            reading.page,
            reading.form,
        )

    def _read_located(
        self,
        decoded: DecodedImage,
        located: PageLocation | Problem | None,
        expected_page: int | None,
    ) -> PageReading:
        if located is None:
            gray = decoded.gray
            problem = explain_missing_page(
                assess_quality(gray), decoded.original_size, lambda: find_page_marks(gray)
            )
            return PageReading(problem.status, problem.reason, None)
        if isinstance(located, Problem):
            return PageReading(located.status, located.reason, located.page)
        template = located.template
        if expected_page is not None and template.page != expected_page:
            return PageReading(
                "not_a_form",
                f"expected page {expected_page}, this photo shows page {template.page} "
                f"(AprilTag {template.apriltag.id})",
                template.page,
                template.form,
            )
        cells = self.cut(decoded.gray, located)
        blurred = check_digit_sharpness(
            [crop for f in cells.fields if f.visible for crop in f.digit_crops]
        )
        if blurred is not None:
            return PageReading(blurred.status, blurred.reason, template.page, template.form)
        fields = self._read_fields(cells)
        hidden = [c.field.id for c in cells.fields if not c.visible]
        notes = list(located.notes)
        if hidden:
            notes.insert(0, f"{len(hidden)} field(s) outside the photo: {', '.join(hidden)}")
        if located.rotation_degrees:
            notes.append(f"page is turned {located.rotation_degrees} degrees in the photo")
        reason = "; ".join(notes) if notes else "page located from all four fiducials and the tag"
        return PageReading(
            "page_incomplete" if hidden else "ok",
            reason,
            template.page,
            template.form,
            fields,
            _geometry(located, decoded),
        )

    def _decode_and_locate(
        self, data: bytes
    ) -> Problem | tuple[DecodedImage, PageLocation | Problem | None]:
        """Decode small and locate; decode larger and locate again while the page is not
        found well there (not at all, too small, or without all four fiducials). The slow
        fallbacks of locating run only on the last try."""
        decoded = self.decode(data)
        if isinstance(decoded, Problem):
            return decoded
        for attempt in range(MAX_REDECODES + 1):
            last = decoded.reduction == 1 or attempt == MAX_REDECODES
            located = self.locate(decoded, self.templates, thorough=last)
            good = (
                isinstance(located, PageLocation)
                and located.px_per_mm >= MIN_PX_PER_MM
                and len(located.fiducials_used) == len(located.template.fiducials)
            )
            if good or last:
                return decoded, located
            finer = self.decode(data, decoded.reduction // 2)
            if isinstance(finer, Problem):
                return decoded, located
            decoded = finer
        raise AssertionError("unreachable: the last attempt returns")

    def _read_fields(self, cells: PageCells) -> tuple[FieldReading, ...]:
        visible = [f for f in cells.fields if f.visible]
        crops = [crop for f in visible for crop in f.digit_crops]
        readings: list[DigitBoxReading] = list(self.classifier.classify(crops)) if crops else []
        if len(readings) != len(crops):
            raise ValueError(f"classifier returned {len(readings)} readings for {len(crops)}")
        # a box hidden on the photo (a finger, a pen across it), wholly or in part, says
        # nothing, whatever the model reads in it
        covered = zip(hidden_boxes(crops), partly_hidden_boxes(crops), strict=True)
        readings = [
            HiddenBox() if whole or part else reading
            for reading, (whole, part) in zip(readings, covered, strict=True)
        ]
        hidden: dict[str, FieldReading] = {}
        evidence: list[FieldEvidence] = []
        cursor = 0
        for cell in cells.fields:
            template = cell.field
            if not cell.visible:
                hidden[template.id] = abstain(template.id, template.box, "outside the photo")
                continue
            count = len(cell.digit_crops)
            boxes = readings[cursor : cursor + count]
            cursor += count
            bubbles = self.read_bubbles(cell.bubbles) if cell.bubbles is not None else None
            evidence.append(field_evidence(template.id, cell.box, boxes, bubbles, self.policy))
        decided = {f.field_id: f for f in decide_fields(evidence, self.identities, self.policy)}
        return tuple(hidden.get(c.field.id) or decided[c.field.id] for c in cells.fields)
