"""Photos of a simulated TPS's pages, each with its ground truth (the manifest record).

One photo per requested page slot. The pose, light and camera come from a generator keyed
by the seed, the TPS code and the page, so a photo is the same whichever subset of pages or
TPS is asked for. With the ``wrong_page`` corner case the photo in a slot shows another
page; ``page`` is the slot, ``page_shown`` what the photo shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rekap.reading.template import load_page_template
from rekap.simulation.form_render import PAGES, render_page
from rekap.simulation.photo import CornerCase, Photo, PhotoEffects, photograph
from rekap.simulation.seeds import generator
from rekap.simulation.truth import SimulatedTps

__all__ = ["PHOTO_SCHEMA", "PhotoOptions", "SimulatedPhoto", "photograph_tps"]

PHOTO_SCHEMA = "rekap.simulated-photo/1"


@dataclass(frozen=True)
class PhotoOptions:
    """Which pages to photograph and how."""

    pages: tuple[int, ...] = PAGES
    megapixels: tuple[float, float] = (3.0, 12.0)
    corner_rate: float = 0.0
    """Share of photos with one corner case, drawn from ``corner_cases``."""
    corner_cases: tuple[CornerCase, ...] = tuple(CornerCase)
    glyph_variants: int = 2

    def __post_init__(self) -> None:
        if not self.pages or any(p not in PAGES for p in self.pages):
            raise ValueError(f"pages must be a non-empty subset of {PAGES}")
        low, high = self.megapixels
        if not 0.3 <= low <= high <= 50:
            raise ValueError("megapixels must be a range within 0.3..50")
        if not 0.0 <= self.corner_rate <= 1.0:
            raise ValueError("corner_rate must lie in 0..1")


@dataclass(frozen=True)
class SimulatedPhoto:
    """A photographed page and everything true about it."""

    tps: SimulatedTps
    page: int
    page_shown: int
    photo: Photo
    corner_cases: frozenset[CornerCase] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return f"{self.tps.kode.value}-p{self.page}.jpg"

    def record(self, image_path: str) -> dict[str, object]:
        """The manifest line: which TPS and page, every field value shown, the effects."""
        template = load_page_template(self.page_shown)
        ids = [f.id for f in template.fields]
        effects = self.photo.effects
        marks = {f: d for f in ids if (d := self.tps.marks_of(f).disagreements(self.tps.values[f]))}
        errors = [e.as_json() for e in self.tps.errors if set(e.fields) & set(ids)]
        return {
            "schema": PHOTO_SCHEMA,
            "image": image_path,
            "kode": self.tps.kode.value,
            "page": self.page,
            "page_shown": self.page_shown,
            "apriltag": template.apriltag.id,
            "fields": {f: self.tps.values[f] for f in ids},
            "marks": marks,
            "errors": errors,
            "corner_cases": sorted(c.value for c in self.corner_cases),
            "width": self.photo.width,
            "height": self.photo.height,
            "jpeg_quality": effects.jpeg_quality,
            "page_to_photo": [list(row) for row in self.photo.page_to_photo],
            "effects": {
                "yaw": round(effects.yaw, 2),
                "pitch": round(effects.pitch, 2),
                "roll": round(effects.roll, 2),
                "sharpness": round(effects.sharpness, 3),
                "page_px_per_mm": effects.page_resolution(),
                "motion_blur": round(effects.motion_blur, 2),
                "noise": effects.noise,
                "shadows": len(effects.light.shadows),
                "folds": len(effects.light.folds),
                "clutter": effects.clutter,
            },
        }


def photograph_tps(tps: SimulatedTps, seed: int, options: PhotoOptions) -> Iterator[SimulatedPhoto]:
    """One photo per page slot of ``options.pages``, in page order."""
    for page in options.pages:
        rng = generator(seed, "photo", tps.kode.value, page)
        cases: frozenset[CornerCase] = frozenset()
        if options.corner_cases and rng.random() < options.corner_rate:
            chosen = options.corner_cases[int(rng.integers(len(options.corner_cases)))]
            cases = frozenset({chosen})
        shown = page
        if CornerCase.WRONG_PAGE in cases:
            others = [p for p in PAGES if p != page]
            shown = others[int(rng.integers(len(others)))]
        effects = PhotoEffects.sample(rng, cases, options.megapixels)
        image = render_page(
            tps, shown, px_per_mm=effects.page_resolution(), glyph_variants=options.glyph_variants
        )
        yield SimulatedPhoto(tps, page, shown, photograph(image, rng, effects), cases)
