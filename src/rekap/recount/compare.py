"""Published aggregates against recomputed ones, one document at a time.

Each function returns the differences it found, as short texts; an empty list means the
document agrees with the recount.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rekap.recount.aggregate import Aggregates, Vector, columns

MAX_DETAILS = 5


def _named(aggregates: Aggregates, vector: Vector) -> dict[str, int]:
    return dict(zip(columns(aggregates.fields), vector, strict=True))


def _persen(counted: int, expected: int) -> float:
    return round(100.0 * counted / expected, 2) if expected else 0.0


def _tally_of(doc: Mapping[str, Any], aggregates: Aggregates) -> dict[str, object]:
    coverage = doc.get("coverage") or {}
    counted = doc.get("counted") or {}
    held = doc.get("held") or {}
    out: dict[str, object] = {"tps_expected": coverage.get("tps_expected")}
    out.update({k: coverage.get(k) for k in columns(aggregates.fields)[1:7]})
    out.update({f: counted.get(f) for f in aggregates.fields})
    out.update({f"held_{f}": held.get(f) for f in aggregates.fields})
    return out


def _tally_differences(
    doc: Mapping[str, Any], kode: str, aggregates: Aggregates, label: str
) -> list[str]:
    expected = _named(aggregates, aggregates.vector(kode))
    got = _tally_of(doc, aggregates)
    return [
        f"{label}{name} {got[name]} (recount {value})"
        for name, value in expected.items()
        if got[name] != value
    ]


def _children_differ(listed: list[Any], expected: list[str]) -> list[str]:
    if listed == expected:
        return []
    extra = sorted(set(map(str, listed)) - set(expected))[:MAX_DETAILS]
    absent = sorted(set(expected) - set(map(str, listed)))[:MAX_DETAILS]
    return [f"children differ: extra {extra}, absent {absent}"]


def rekap_region(doc: Mapping[str, Any], kode: str, aggregates: Aggregates) -> list[str]:
    found = [] if doc.get("kode") == kode else [f"kode {doc.get('kode')!r}, expected {kode!r}"]
    found += _tally_differences(doc, kode, aggregates, "")
    children = doc.get("children") or []
    found += _children_differ([c.get("kode") for c in children], aggregates.children.get(kode, []))
    for child in children:
        code = str(child.get("kode"))
        found += _tally_differences(child, code, aggregates, f"child {code}: ")
    return found[: MAX_DETAILS * 4]


def hhcw_region(
    doc: Mapping[str, Any], kode: str, aggregates: Aggregates, ids: Mapping[str, str]
) -> list[str]:
    own = _named(aggregates, aggregates.vector(kode))
    chart = doc.get("chart") or {}
    found = [
        f"chart {sid} {chart.get(sid)} (recount {own[field]})"
        for field, sid in ids.items()
        if chart.get(sid) != own[field]
    ]
    if chart.get("persen") != _persen(own["counted"], own["tps_expected"]):
        found.append(f"chart persen {chart.get('persen')}")
    progres = doc.get("progres") or {}
    if progres.get("total") != own["tps_expected"] or progres.get("progres") != own["counted"]:
        found.append(f"progres {progres} (recount {own['tps_expected']}, {own['counted']})")
    table = doc.get("table") or {}
    found += _children_differ(sorted(table), aggregates.children.get(kode, []))
    for code, row in table.items():
        child = _named(aggregates, aggregates.vector(code))
        shown = {f: row.get(sid) for f, sid in ids.items()}
        wanted = {f: child[f] if child["counted"] else None for f in ids}
        if shown != wanted or row.get("status_progress") != (child["counted"] > 0):
            found.append(f"table {code}: {shown} (recount {wanted})")
    return found[: MAX_DETAILS * 4]


def wilayah_list(doc: Any, kode: str, aggregates: Aggregates) -> list[str]:
    listed = [item.get("kode") for item in doc] if isinstance(doc, list) else []
    return _children_differ(listed, aggregates.children.get(kode, []))


def hhcw_tps(
    doc: Mapping[str, Any], kode: str, aggregates: Aggregates, ids: Mapping[str, str]
) -> list[str]:
    own = _named(aggregates, aggregates.vector(kode))
    chart = doc.get("chart") or {}
    found = []
    for field, sid in ids.items():
        value = own[field] + own[f"held_{field}"]
        if sid in chart and chart[sid] is not None and chart[sid] != value:
            found.append(f"chart {sid} {chart[sid]} (bulk {value})")
    if doc.get("status_suara") and not own["counted"]:
        found.append("status_suara true for a TPS that does not count")
    return found


def rekap_tps(doc: Mapping[str, Any], kode: str, aggregates: Aggregates) -> list[str]:
    own = _named(aggregates, aggregates.vector(kode))
    values = doc.get("values") or {}
    found = [
        f"{field} {values.get(field)} (bulk {own[field] + own[f'held_{field}']})"
        for field in aggregates.fields
        if field in values and values[field] != own[field] + own[f"held_{field}"]
    ]
    status = doc.get("status") or {}
    if bool(status.get("counted")) != bool(own["counted"]):
        found.append(f"status counted {status.get('counted')} (bulk {bool(own['counted'])})")
    return found
