"""Documents in the shapes of Sirekap's public API (2024), so community tools work unchanged.

- ``wilayah/pemilu/ppwp/…json``: a region's children, ``[{nama, id, kode, tingkat}]``.
- ``pemilu/hhcw/ppwp/…json`` for a region: ``chart`` (its totals by Sirekap candidate id and
  ``persen``), ``table`` (each child's totals), ``progres`` (TPS expected and counted).
  ``persen`` and ``progres.progres`` count only the counted TPS the region tree lists, so they
  never pass 100 and ``progres.total``: a counted TPS the tree does not list is in the votes,
  not in that share (rekap's JSON and the region table say it apart, ``counted_unlisted``).
- the same path for a TPS: ``chart``, ``images``, ``administrasi``, ``psu``, ``ts``,
  ``status_suara``, ``status_adm``.
Only accepted results are in the totals; a TPS held by a blocking finding shows its own
numbers with ``status_suara: false`` and stays out of every total, as rekap's JSON explains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rekap.domain.wilayah import Level
from rekap.publish.encode import cached_sirekap_ts
from rekap.publish.records import TpsRecord
from rekap.publish.view import SnapshotView, TpsVector
from rekap.tally.region_tally import RegionTally

PSU_REGULER = "Reguler"
TINGKAT = {
    Level.PROVINSI: 1,
    Level.KABUPATEN_KOTA: 2,
    Level.KECAMATAN: 3,
    Level.DESA: 4,
    Level.TPS: 5,
}
# Sirekap's chart colours by nomor urut (presentation only).
WARNA = {1: "#8CB9BD", 2: "#C7B7A3", 3: "#B67352"}
_LEVEL_BY_LENGTH = {level.value: level for level in Level}
# Sirekap's administrasi keys, in Sirekap's order, with the rekap field each one shows.
ADMINISTRASI = (
    ("suara_sah", "suara_sah"),
    ("suara_total", "suara_total"),
    *((f"pemilih_dpt_{g}", f"dpt_{g}") for g in "jlp"),
    *((f"pengguna_dpt_{g}", f"pengguna_dpt_{g}") for g in "jlp"),
    *((f"pengguna_dptb_{g}", f"pengguna_dptb_{g}") for g in "jlp"),
    ("suara_tidak_sah", "suara_tidak_sah"),
    *((f"pengguna_total_{g}", f"pengguna_total_{g}") for g in "jlp"),
    *((f"pengguna_non_dpt_{g}", f"pengguna_dpk_{g}") for g in "jlp"),
)

ADMINISTRASI_KEYS = tuple(key for key, _ in ADMINISTRASI)
ADMINISTRASI_FIELDS = tuple(field for _, field in ADMINISTRASI)


def _persen(counted: int, expected: int) -> float:
    return round(100.0 * counted / expected, 2) if expected else 0.0


def _votes(view: SnapshotView, numbers: Mapping[str, int]) -> dict[str, int]:
    return {sid: numbers.get(field, 0) for sid, field in view.sirekap_fields}


def paslon(view: SnapshotView) -> dict[str, object]:
    """``pemilu/ppwp.json``: the candidates by Sirekap id."""
    return {
        str(e.sirekap_id): {
            "ts": view.ts_sirekap,
            "nama": e.sirekap_nama or e.nama,
            "warna": WARNA.get(e.nomor_urut, "#888888"),
            "nomor_urut": e.nomor_urut,
        }
        for e in view.entries
        if e.sirekap_id
    }


def wilayah(view: SnapshotView, kode: str) -> list[dict[str, object]]:
    """The children of a region (for a desa: its TPS) as Sirekap listed them."""
    if len(kode) == Level.DESA.value:
        return [
            {"nama": f"TPS {t[10:]}", "id": int(t), "kode": t, "tingkat": TINGKAT[Level.TPS]}
            for t in view.tps_of_desa[kode]
        ]
    return [
        {
            "nama": view.nama(child),
            "id": int(child),
            "kode": child,
            "tingkat": TINGKAT[_LEVEL_BY_LENGTH[len(child)]],
        }
        for child in view.children(kode)
    ]


def counted_listed(view: SnapshotView, tally: RegionTally) -> int:
    """A region's counted TPS that the region tree lists: what ``persen`` and
    ``progres.progres`` count (never more than ``tps_expected``)."""
    return tally.coverage.counted - view.counted_unlisted_of(tally.kode)


def _table_row(view: SnapshotView, tally: RegionTally) -> dict[str, object]:
    coverage = tally.coverage
    row: dict[str, object] = {}
    if coverage.counted:
        row.update(_votes(view, tally.counted))
    row["psu"] = PSU_REGULER
    row["persen"] = _persen(counted_listed(view, tally), coverage.tps_expected)
    row["status_progress"] = coverage.counted > 0
    return row


def _chart_and_progres(
    view: SnapshotView, tally: RegionTally
) -> tuple[dict[str, object], dict[str, int]]:
    """A region's ``chart`` (every counted TPS's votes, the listed ones' ``persen``) and
    ``progres``."""
    expected = tally.coverage.tps_expected
    listed = counted_listed(view, tally)
    chart: dict[str, object] = dict(_votes(view, tally.counted))
    chart["persen"] = _persen(listed, expected)
    return chart, {"total": expected, "progres": listed}


def region(
    view: SnapshotView, tally: RegionTally, children: Sequence[RegionTally]
) -> dict[str, object]:
    """A region's totals and each child's (for a desa, each TPS's)."""
    chart, progres = _chart_and_progres(view, tally)
    return {
        "mode": "hhcw",
        "chart": chart,
        "table": {child.kode: _table_row(view, child) for child in children},
        "progres": progres,
        "ts": view.ts_sirekap,
        "psu": PSU_REGULER,
    }


def desa_region(
    view: SnapshotView, tally: RegionTally, children: Sequence[TpsVector]
) -> dict[str, object]:
    """``region`` of a desa, its TPS given as ``view.tps_vectors`` (the same document)."""
    chart, progres = _chart_and_progres(view, tally)
    positions = view.sirekap_positions
    counted_flag = view.layout.counted_offset - 1  # COVERAGE ends with "counted"
    table: dict[str, object] = {}
    for code, expected, vector in children:
        counted = vector[counted_flag]
        row: dict[str, object] = (
            {sid: 0 if at is None else vector[at] for sid, at in positions} if counted else {}
        )
        row["psu"] = PSU_REGULER
        # a TPS the tree does not list expects nothing: 0, counted or not (as for a region)
        row["persen"] = _persen(counted & expected, expected)
        row["status_progress"] = counted > 0
        table[code] = row
    return {
        "mode": "hhcw",
        "chart": chart,
        "table": table,
        "progres": progres,
        "ts": view.ts_sirekap,
        "psu": PSU_REGULER,
    }


def tps(view: SnapshotView, record: TpsRecord | None) -> dict[str, object]:
    """One TPS's own numbers; ``status_*`` is true only for an accepted (counted) result."""
    if record is None:
        return {
            "mode": "hhcw",
            "chart": None,
            "images": [None, None, None],
            "administrasi": None,
            "psu": None,
            "ts": view.ts_sirekap,
            "status_suara": False,
            "status_adm": False,
        }
    values = record.state.values
    has = values.__contains__
    ids, vote_fields = view.sirekap_columns
    has_votes = any(map(has, vote_fields))
    has_adm = any(map(has, ADMINISTRASI_FIELDS))
    chart = dict(zip(ids, map(values.get, vote_fields), strict=True)) if has_votes else None
    administrasi = (
        dict(zip(ADMINISTRASI_KEYS, map(values.get, ADMINISTRASI_FIELDS), strict=True))
        if has_adm
        else None
    )
    images: list[str | None] = [*record.photos[:3]]  # page 1, 2, 3 at their positions
    images += [None] * (3 - len(images))
    counted = record.state.counted
    return {
        "mode": "hhcw",
        "chart": chart,
        "images": images,
        "administrasi": administrasi,
        "psu": None,
        "ts": cached_sirekap_ts(record.updated_at) if record.updated_at else view.ts_sirekap,
        "status_suara": counted and all(map(has, vote_fields)),
        "status_adm": counted and has_adm,
    }
