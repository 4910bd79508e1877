"""rekap's own JSON: per region, the counted totals, the held-back totals and coverage (with
``counted_unlisted``, the counted TPS the region tree does not list), for itself and each
child; per TPS, every number with its provenance, findings and status."""

from __future__ import annotations

from collections.abc import Sequence

from rekap.domain.result import Provenance
from rekap.domain.wilayah import Level
from rekap.publish.encode import cached_iso_utc
from rekap.publish.paths import sirekap_hhcw, sirekap_tps_folder
from rekap.publish.records import TpsRecord
from rekap.publish.view import SnapshotView, TpsVector
from rekap.tally.layout import COVERAGE
from rekap.tally.region_tally import RegionTally

LEVEL_NAMES = {level.value: level.label for level in Level}
COUNTED_UNLISTED = "counted_unlisted"
# a coverage's keys: ``Coverage.as_dict``'s (the TPS expected, then the vector's flags), then
# the counted TPS the region tree does not list
COVERAGE_KEYS = ("tps_expected", *COVERAGE, COUNTED_UNLISTED)


def _tally(view: SnapshotView, tally: RegionTally) -> dict[str, object]:
    coverage = tally.coverage.as_dict()
    coverage[COUNTED_UNLISTED] = view.counted_unlisted_of(tally.kode)
    return {"coverage": coverage, "counted": dict(tally.counted), "held": dict(tally.held)}


def _heading(view: SnapshotView, kode: str, tally: RegionTally) -> dict[str, object]:
    """A region document's keys before its children, in their published order."""
    return {
        "kode": kode,
        "nama": view.nama(kode),
        "level": LEVEL_NAMES[len(kode)],
        "contest": view.contest,
        "ts": view.ts_iso,
        "path": view.path(kode),
        # the nation of a scoped snapshot is the sum of its scope: the root names it
        **({"scope": list(view.index.scope)} if kode == "" else {}),
        **_tally(view, tally),
    }


def region(
    view: SnapshotView, kode: str, tally: RegionTally, children: Sequence[RegionTally]
) -> dict[str, object]:
    """A region, and its children (for a desa, its TPS) in the same shape."""
    desa = len(kode) == Level.DESA.value
    return {
        **_heading(view, kode, tally),
        "children": [
            {
                "kode": child.kode,
                "nama": f"TPS {child.kode[10:]}" if desa else view.nama(child.kode),
                **_tally(view, child),
            }
            for child in children
        ],
    }


def desa_region(
    view: SnapshotView, kode: str, tally: RegionTally, children: Sequence[TpsVector]
) -> dict[str, object]:
    """``region`` of a desa, its TPS given as ``view.tps_vectors`` (the same document)."""
    layout = view.layout
    fields = layout.fields
    start, middle = layout.counted_offset, layout.held_offset
    counted = start - 1  # COVERAGE ends with "counted"; a TPS the tree lists expects 1
    return {
        **_heading(view, kode, tally),
        "children": [
            {
                "kode": code,
                "nama": f"TPS {code[10:]}",
                "coverage": dict(
                    zip(
                        COVERAGE_KEYS,
                        (expected, *vector[:start], vector[counted] & (1 - expected)),
                        strict=True,
                    )
                ),
                "counted": dict(zip(fields, vector[start:middle], strict=True)),
                "held": dict(zip(fields, vector[middle:], strict=True)),
            }
            for code, expected, vector in children
        ],
    }


def _provenance(source: Provenance) -> dict[str, object]:
    out: dict[str, object] = {"kind": source.kind.value, "reference": source.reference}
    if source.page is not None:
        out["page"] = source.page
    if source.box is not None:
        out["box"] = list(source.box)
    return out


def tps(
    view: SnapshotView,
    record: TpsRecord,
    sirekap_folder: str = "",
    path: list[dict[str, str]] | None = None,
) -> dict[str, object]:
    """One TPS result: ``values`` in form order; a number's source is ``provenance[field]``
    when listed, else ``source``. ``sirekap_folder``: its desa's ``sirekap_tps_folder``;
    ``path``: its desa's ``view.desa_path`` (both given by ``desa_tps`` for all its TPS)."""
    state = record.state
    given = state.values
    kode = record.kode_tps
    values = {f: given[f] for f in view.form_order_of(tuple(given))}
    provenance = record.provenance
    return {
        "kode": kode,
        "nama": f"TPS {kode[10:]}",
        "contest": view.contest,
        "jenis": record.jenis,
        "path": view.desa_path(kode[:10]) if path is None else path,
        "expected": kode in view.expected_tps,
        "status": {
            "stage": state.stage.label,
            "has_result": state.has_values,
            "counted": state.counted,
            "blocking": state.blocking,
        },
        "values": values,
        "source": _provenance(record.source) if record.source else None,
        "provenance": {k: _provenance(p) for k, p in sorted(provenance.items())}
        if provenance
        else {},
        "findings": [f.as_json() for f in record.findings],
        "photos": list(record.photos),
        "updated_at": cached_iso_utc(record.updated_at) if record.updated_at else None,
        "sirekap": f"{sirekap_folder}{kode}.json"
        if sirekap_folder
        else sirekap_hhcw(view.contest, kode),
    }


def desa_tps(view: SnapshotView, desa: str, records: Sequence[TpsRecord]) -> dict[str, object]:
    """Every TPS of a desa with a result, each as ``tps`` describes it, in code order."""
    folder = sirekap_tps_folder(view.contest, desa)
    path = view.desa_path(desa)
    return {
        "kode": desa,
        "nama": view.nama(desa),
        "contest": view.contest,
        "ts": view.ts_iso,
        "tps": [tps(view, record, folder, path) for record in records],
    }
