"""The documented columns of the bulk files (``data/tps-<contest>.*``, ``data/region-<contest>.*``).

``docs/open-data.md`` describes the same columns; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from rekap.domain.form import FormSpec
from rekap.tally.layout import COVERAGE, TallyLayout


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: pa.DataType
    description: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "type": str(self.type), "description": self.description}


TPS_HEAD = (
    Column("kode_tps", pa.string(), "13-digit TPS code (desa code + 3-digit TPS number)"),
    Column("kode_provinsi", pa.string(), "2-digit provinsi code (99: overseas)"),
    Column("kode_kabupaten_kota", pa.string(), "4-digit kabupaten/kota code"),
    Column("kode_kecamatan", pa.string(), "6-digit kecamatan code"),
    Column("kode_desa", pa.string(), "10-digit desa/kelurahan code"),
    Column("nama_provinsi", pa.string(), "provinsi name, as the region table gives it"),
    Column("nama_kabupaten_kota", pa.string(), "kabupaten/kota name, as the region table gives it"),
    Column("nama_kecamatan", pa.string(), "kecamatan name, as the region table gives it"),
    Column("nama_desa", pa.string(), "desa/kelurahan name, as the region table gives it"),
    Column("nomor_tps", pa.int32(), "TPS number within the desa"),
    Column("jenis", pa.string(), "tps, tpsln, pos (postal) or ksk (mobile box)"),
    Column("contest", pa.string(), "contest code (ppwp, pdpr, …)"),
    Column("expected", pa.bool_(), "the region tree lists this TPS (counts in tps_expected)"),
    Column("stage", pa.string(), "none, received, read, verified or published"),
    Column("has_result", pa.bool_(), "numbers were recorded for this TPS"),
    Column("counted", pa.bool_(), "has_result and no open blocking finding: in the totals"),
    Column("blocking", pa.bool_(), "an open blocking finding holds the result out of the totals"),
    Column("blocking_rules", pa.string(), "ids of the blocking rules that fired, space-separated"),
    Column("warning_rules", pa.string(), "ids of the warnings that fired, space-separated"),
)
TPS_TAIL = (
    Column("source_kind", pa.string(), "where the numbers came from: photo, import or entry"),
    Column(
        "source_ref", pa.string(), "the photo, imported row (file:line) or entry they came from"
    ),
    Column(
        "updated_at",
        pa.string(),
        "when the TPS's numbers last changed (ISO 8601, UTC): the time of the newest change-log "
        "event that set them, or the ts Sirekap gave an imported result",
    ),
    Column(
        "photos",
        pa.string(),
        "each page's photo in page order, space-separated, '-' for a page without one: an "
        "address (Sirekap's) or the SHA-256 of one of rekap's photos",
    ),
)
NAME_COLUMNS = (
    ("nama_provinsi", "kode_provinsi"),
    ("nama_kabupaten_kota", "kode_kabupaten_kota"),
    ("nama_kecamatan", "kode_kecamatan"),
    ("nama_desa", "kode_desa"),
)
"""Each name column of the TPS table and the code column whose region it names."""
REGION_HEAD = (
    Column("kode", pa.string(), "region code ('' for the nation)"),
    Column("nama", pa.string(), "region name"),
    Column("level", pa.string(), "nasional, provinsi, kabupaten/kota, kecamatan, desa/kelurahan"),
    Column("parent", pa.string(), "the parent region's code (null for the nation)"),
    Column("contest", pa.string(), "contest code"),
    Column("tps_expected", pa.int64(), "TPS the region tree lists under this region"),
)
COUNTED_UNLISTED = Column(
    "counted_unlisted",
    pa.int64(),
    "counted TPS the region tree does not list: in counted and the sums, not in tps_expected "
    "(the Sirekap tree's persen and progres count counted - counted_unlisted)",
)
COVERAGE_DESCRIPTIONS = {
    "received": "TPS with at least one photo received",
    "read": "TPS with numbers read (machine-read or imported)",
    "verified": "TPS whose numbers passed verification: the machine read the whole form with "
    "no blocking finding, or people entered them (published ones included)",
    "verified_by_people": "of verified, TPS whose numbers people entered (two agreeing "
    "verifiers or an adjudicator: source_kind entry, with numbers); absent from snapshots "
    "before 2026-11-23",
    "published": "TPS whose verified numbers were released in a snapshot",
    "blocking": "TPS with an open blocking finding",
    "counted": "TPS whose numbers are in the totals",
}


def tps_columns(form: FormSpec) -> tuple[Column, ...]:
    """Every TPS column: identity and status, each number of the form, then provenance."""
    numbers = tuple(
        Column(f.id, pa.int32(), f"{f.label_en} (form section {f.section}); null: not recorded")
        for f in form.fields
    )
    return (*TPS_HEAD, *numbers, *TPS_TAIL)


def region_columns(layout: TallyLayout) -> tuple[Column, ...]:
    coverage = tuple(Column(c, pa.int64(), COVERAGE_DESCRIPTIONS[c]) for c in COVERAGE)
    counted = tuple(Column(f, pa.int64(), f"sum of {f} over counted TPS") for f in layout.fields)
    held = tuple(
        Column(f"held_{f}", pa.int64(), f"sum of {f} over TPS held by a blocking finding")
        for f in layout.fields
    )
    return (*REGION_HEAD, *coverage, COUNTED_UNLISTED, *counted, *held)


def schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in columns])
