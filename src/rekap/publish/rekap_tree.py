"""rekap's own JSON: per region, the counted totals, the held-back totals and coverage, for
itself and each child; per TPS, every number with its provenance, findings and status."""

from __future__ import annotations

from dataclasses import asdict

from rekap.domain.result import Provenance
from rekap.domain.wilayah import Level
from rekap.publish.encode import iso_utc
from rekap.publish.paths import sirekap_hhcw
from rekap.publish.records import TpsRecord
from rekap.publish.view import SnapshotView
from rekap.tally.region_tally import RegionTally

LEVEL_NAMES = {level.value: level.label for level in Level}


def _tally(tally: RegionTally) -> dict[str, object]:
    return {
        "coverage": tally.coverage.as_dict(),
        "counted": dict(tally.counted),
        "held": dict(tally.held),
    }


def region(view: SnapshotView, kode: str) -> dict[str, object]:
    """A region, and its children (for a desa, its TPS) in the same shape."""
    if len(kode) == Level.DESA.value:
        children = [
            {"kode": t, "nama": f"TPS {t[10:]}", **_tally(view.tps_tally(t))}
            for t in view.tps_of_desa[kode]
        ]
    else:
        children = [
            {"kode": c, "nama": view.nama(c), **_tally(view.region(c))} for c in view.children(kode)
        ]
    return {
        "kode": kode,
        "nama": view.nama(kode),
        "level": LEVEL_NAMES[len(kode)],
        "contest": view.contest,
        "ts": view.ts_iso,
        "path": view.path(kode),
        **_tally(view.region(kode)),
        "children": children,
    }


def _provenance(source: Provenance) -> dict[str, object]:
    out = {k: v for k, v in asdict(source).items() if v is not None}
    out["kind"] = source.kind.value
    if source.box is not None:
        out["box"] = list(source.box)
    return out


def tps(view: SnapshotView, record: TpsRecord) -> dict[str, object]:
    """One TPS result: ``values`` in form order; a number's source is ``provenance[field]``
    when listed, else ``source``."""
    state = record.state
    values = {f.id: state.values[f.id] for f in view.request.form.fields if f.id in state.values}
    values.update({k: v for k, v in state.values.items() if k not in values})
    return {
        "kode": record.kode_tps,
        "nama": f"TPS {record.kode_tps[10:]}",
        "contest": view.contest,
        "jenis": record.jenis,
        "path": view.path(record.kode_tps),
        "expected": view.is_expected(record.kode_tps),
        "status": {
            "stage": state.stage.label,
            "has_result": state.has_values,
            "counted": state.counted,
            "blocking": state.blocking,
        },
        "values": values,
        "source": _provenance(record.source) if record.source else None,
        "provenance": {k: _provenance(p) for k, p in sorted(record.provenance.items())},
        "findings": [f.as_json() for f in record.findings],
        "photos": list(record.photos),
        "updated_at": iso_utc(record.updated_at) if record.updated_at else None,
        "sirekap": sirekap_hhcw(view.contest, record.kode_tps),
    }
