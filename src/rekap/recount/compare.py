"""Published aggregates against recomputed ones, one document at a time.

Each function returns the differences it found, as short texts; an empty list means the
document agrees with the recount. Numbers are compared as whole vectors first (fast), and
described field by field only when they differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from rekap.recount.aggregate import Aggregates, Vector

MAX_DETAILS = 20
ROW_KEYS = ("psu", "persen", "status_progress")
"""The keys of a region table's row besides its votes (which a counted child's row has)."""


def _persen(counted: int, expected: int) -> float:
    """Counted TPS the tree lists over the TPS it lists, in percent (2 decimals)."""
    return round(100.0 * counted / expected, 2) if expected else 0.0


def getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``d[k]`` for each key, as a tuple, in one C call."""
    if len(keys) <= 1:
        return lambda d: tuple(d[k] for k in keys)
    return itemgetter(*keys)


@lru_cache(maxsize=8)
def _getters(
    coverage: tuple[str, ...], fields: tuple[str, ...]
) -> tuple[Callable[[Mapping[str, Any]], tuple[Any, ...]], ...]:
    return getter(coverage), getter(fields)


def _vector_of(
    doc: Mapping[str, Any], coverage_keys: tuple[str, ...], fields: tuple[str, ...]
) -> tuple[object, ...]:
    """A rekap document's numbers in the recount's column order (``None`` where missing):
    ``coverage_keys`` of its ``coverage``, then ``fields`` of ``counted`` and of ``held``."""
    coverage_of, numbers_of = _getters(coverage_keys, fields)
    try:
        return (
            *coverage_of(doc["coverage"]),
            *numbers_of(doc["counted"]),
            *numbers_of(doc["held"]),
        )
    except (KeyError, TypeError):  # a part or a number missing: the slow way, with None
        pass
    coverage = doc.get("coverage") or {}
    counted = doc.get("counted") or {}
    held = doc.get("held") or {}
    return (
        *map(coverage.get, coverage_keys),
        *map(counted.get, fields),
        *map(held.get, fields),
    )


def _describe(label: str, names: Sequence[str], expected: Vector, got: Sequence[object]) -> str:
    parts = [
        f"{n} {g} (recount {e})" for n, e, g in zip(names, expected, got, strict=True) if e != g
    ]
    return f"{label}{', '.join(parts)}"


def _children_differ(listed: Sequence[object], expected: Sequence[str]) -> list[str]:
    if list(listed) == list(expected):
        return []
    extra = sorted(set(map(str, listed)) - set(expected))[:5]
    absent = sorted(set(expected) - set(map(str, listed)))[:5]
    return [f"children differ: extra {extra}, absent {absent}"]


def _wanted_names(codes: Sequence[object], names: Mapping[str, str]) -> list[str | None]:
    """The ``nama`` each code should be given: the region table's, or ``TPS`` and a TPS's
    number (None where neither is known)."""
    return [
        ("TPS " + code[10:] if len(code) == 13 else names.get(code))
        if isinstance(code, str)
        else None
        for code in codes
    ]


def _names_of(codes: Sequence[str], names: Mapping[str, str]) -> list[str | None]:
    """``_wanted_names`` of a region's own children (codes of one level, as the bulk data
    gives them), made the quick way: a million names are compared nationally."""
    if codes and len(codes[0]) == 13:
        return ["TPS " + code[10:] for code in codes]
    return list(map(names.get, codes))


def _names_differ(
    items: Sequence[Mapping[str, Any]],
    codes: Sequence[object],
    aggregates: Aggregates,
    children_of: str | None = None,
) -> list[str]:
    """Each item's ``nama`` against the region table's (a TPS's: ``TPS`` and its number).
    When ``codes`` are known to be the children of region ``children_of``, the names are
    compared as whole lists first."""
    names = aggregates.region_names
    got = [item.get("nama") for item in items]
    if children_of is not None and got == _names_of(
        aggregates.children.get(children_of, []), names
    ):
        return []
    found = []
    for name, code, wanted in zip(got, codes, _wanted_names(codes, names), strict=True):
        if wanted is not None and name != wanted:
            found.append(f"{code or 'nasional'}: nama {name!r} (expected {wanted!r})")
    return found


def rekap_region(doc: Mapping[str, Any], kode: str, aggregates: Aggregates) -> list[str]:
    fields = aggregates.fields
    names = aggregates.names
    found = [] if doc.get("kode") == kode else [f"kode {doc.get('kode')!r}, expected {kode!r}"]
    found += _names_differ([doc], [kode], aggregates)
    expected = aggregates.vector(kode)
    coverage_keys = aggregates.coverage_names
    got = _vector_of(doc, coverage_keys, fields)
    if got != expected:
        found.append(_describe("", names, expected, got))
    children = doc.get("children") or []
    listed = [child.get("kode") for child in children]
    expected_children = aggregates.children.get(kode, [])
    differ = _children_differ(listed, expected_children)
    found += differ
    found += _names_differ(children, listed, aggregates, None if differ else kode)
    if listed == expected_children:
        expected_rows = aggregates.child_vectors(kode)
    else:
        expected_rows = [aggregates.vector(str(code)) for code in listed]
    got_rows = [_vector_of(child, coverage_keys, fields) for child in children]
    if got_rows != expected_rows:
        for code, expected, got in zip(listed, expected_rows, got_rows, strict=True):
            if got != expected:
                found.append(_describe(f"child {code}: ", names, expected, got))
    return found[:MAX_DETAILS]


def hhcw_region(
    doc: Mapping[str, Any], kode: str, aggregates: Aggregates, ids: Mapping[str, str]
) -> list[str]:
    position = aggregates.position
    own = aggregates.vector(kode)
    counted_at, expected_at = position["counted"], position["tps_expected"]
    listed_of = aggregates.listed_counted()
    listed = listed_of(own)
    chart = doc.get("chart") or {}
    found = [
        f"chart {sid} {chart.get(sid)} (recount {own[position[field]]})"
        for field, sid in ids.items()
        if chart.get(sid) != own[position[field]]
    ]
    persen = _persen(listed, own[expected_at])
    if chart.get("persen") != persen:
        found.append(f"chart persen {chart.get('persen')} (recount {persen})")
    unknown = sorted(set(chart) - set(ids.values()) - {"persen"}, key=str)
    if unknown:
        found.append(f"chart has keys the election does not: {unknown[:5]}")
    progres = doc.get("progres") or {}
    if progres.get("total") != own[expected_at] or progres.get("progres") != listed:
        found.append(f"progres {progres} (recount {own[expected_at]}, {listed})")
    table = doc.get("table") or {}
    expected_children = aggregates.children.get(kode, [])
    sids, at = tuple(ids.values()), tuple(position[field] for field in ids)
    nothing = (None,) * len(sids)
    pick = getter(at)
    child_vectors = aggregates.child_vectors(kode)
    if list(table) == expected_children:  # as published, in code order: compared as lists
        not_counted = (*nothing, False)
        # with each row's count of keys: a key the election does not have makes one more
        rows = [
            (*map(row.get, sids), row.get("status_progress"), row.get("persen"), len(row))
            for row in table.values()
        ]
        full, bare = len(sids) + len(ROW_KEYS), len(ROW_KEYS)
        wanted_rows = [
            (
                *((*pick(c), True) if c[counted_at] > 0 else not_counted),
                _persen(listed_of(c), c[expected_at]),
                full if c[counted_at] > 0 else bare,
            )
            for c in child_vectors
        ]
        if rows == wanted_rows:  # the whole table at once; described below when it differs
            return found[:MAX_DETAILS]
    else:
        found += _children_differ(sorted(table), expected_children)
    found += _table_differences(
        table, dict(zip(expected_children, child_vectors, strict=True)), aggregates, ids
    )
    return found[:MAX_DETAILS]


def _table_differences(
    table: Mapping[str, Any],
    vectors: Mapping[str, Vector],
    aggregates: Aggregates,
    ids: Mapping[str, str],
) -> list[str]:
    """Each row of a region's table that differs from the recount, described (the slow way,
    for a table that did not agree as a whole)."""
    position = aggregates.position
    counted_at, expected_at = position["counted"], position["tps_expected"]
    listed_of = aggregates.listed_counted()
    sids, at = tuple(ids.values()), tuple(position[field] for field in ids)
    nothing = (None,) * len(sids)
    found: list[str] = []
    for code, row in table.items():
        child = vectors.get(code) or aggregates.vector(code)
        counted = child[counted_at] > 0
        wanted = tuple(child[i] for i in at) if counted else nothing
        got = tuple(map(row.get, sids))
        if got != wanted:
            found += [
                f"table {code} {sid}: {g} (recount {w})"
                for sid, g, w in zip(sids, got, wanted, strict=True)
                if g != w
            ]
        if row.get("status_progress") != counted:
            found.append(f"table {code} status_progress {row.get('status_progress')}")
        persen = _persen(listed_of(child), child[expected_at])
        if row.get("persen") != persen:
            found.append(f"table {code} persen {row.get('persen')} (recount {persen})")
        extra = sorted(set(row) - set(sids) - set(ROW_KEYS), key=str)
        if extra:
            found.append(f"table {code} has keys the election does not: {extra[:5]}")
    return found


TINGKAT = {2: 1, 4: 2, 6: 3, 10: 4, 13: 5}
"""Sirekap's ``tingkat`` of a region or TPS, by the length of its code."""


def wilayah_list(doc: Any, kode: str, aggregates: Aggregates) -> list[str]:
    items = doc if isinstance(doc, list) and all(isinstance(i, Mapping) for i in doc) else []
    listed = [item.get("kode") for item in items]
    expected = aggregates.children.get(kode, [])
    found = _children_differ(listed, expected)
    if not found and _entries_agree(items, expected):
        return _names_differ(items, listed, aggregates, kode)[:MAX_DETAILS]
    for item in items:  # a script walks the tree by these: each must say its own code
        code = item.get("kode")
        if not isinstance(code, str) or not code.isascii() or not code.isdigit():
            continue
        wanted = (int(code), TINGKAT.get(len(code)))
        got = (item.get("id"), item.get("tingkat"))
        if got != wanted or type(got[0]) is not int or type(got[1]) is not int:
            found.append(f"child {code}: id {got[0]!r}, tingkat {got[1]!r} (expected {wanted})")
    found += _names_differ(items, listed, aggregates)
    return found[:MAX_DETAILS]


def _entries_agree(items: Sequence[Mapping[str, Any]], codes: Sequence[str]) -> bool:
    """Whether the entries (listed in ``codes``' order) each give their code's ``id`` and
    ``tingkat``, as integers: the whole list at once (the way a million entries pass); the
    entry by entry description is for a list that does not."""
    ids = [item.get("id") for item in items]
    levels = [item.get("tingkat") for item in items]
    return (
        ids == list(map(int, codes))
        and levels == [TINGKAT.get(len(code)) for code in codes]
        and set(map(type, ids)) | set(map(type, levels)) <= {int}
    )


def sirekap_paslon(doc: Any, paslon: Mapping[str, int]) -> list[str]:
    """Sirekap's file of the candidate pairs (``pemilu/ppwp.json``): a script maps each
    ``chart`` id to its pair by it, so each id of ``election.json`` is there with its
    ``nomor_urut``, and no other."""
    if not isinstance(doc, Mapping) or not all(isinstance(v, Mapping) for v in doc.values()):
        return ["not an object of candidate pairs by Sirekap id"]
    found = _children_differ(sorted(doc), sorted(paslon))
    for sid, nomor in paslon.items():
        given = doc.get(sid, {}).get("nomor_urut")
        if sid in doc and (given != nomor or type(given) is not int):
            found.append(f"{sid}: nomor_urut {given!r} (election.json {nomor})")
    return found[:MAX_DETAILS]


def _own_values(aggregates: Aggregates, kode: str) -> dict[str, int]:
    """A TPS's numbers as the bulk data has them (counted or held, whichever it is)."""
    named = dict(zip(aggregates.names, aggregates.vector(kode), strict=True))
    return {f: named[f] + named[f"held_{f}"] for f in aggregates.fields} | {
        "counted": named["counted"]
    }


SIREKAP_ADMINISTRASI = (
    ("suara_sah", "suara_sah"),
    ("suara_total", "suara_total"),
    *((f"pemilih_dpt_{g}", f"dpt_{g}") for g in "jlp"),
    *((f"pengguna_dpt_{g}", f"pengguna_dpt_{g}") for g in "jlp"),
    *((f"pengguna_dptb_{g}", f"pengguna_dptb_{g}") for g in "jlp"),
    ("suara_tidak_sah", "suara_tidak_sah"),
    *((f"pengguna_total_{g}", f"pengguna_total_{g}") for g in "jlp"),
    *((f"pengguna_non_dpt_{g}", f"pengguna_dpk_{g}") for g in "jlp"),
)
"""A Sirekap TPS file's ``administrasi`` keys and the form's field each one shows, as
docs/open-data.md gives them (Sirekap's "non DPT" voters are the form's DPK voters)."""


def _given_chart(given: Mapping[str, int | None], ids: Mapping[str, str]) -> dict[str, Any] | None:
    if all(given.get(field) is None for field in ids):
        return None
    return {sid: given.get(field) for field, sid in ids.items()}


def _given_administrasi(given: Mapping[str, int | None]) -> dict[str, Any] | None:
    if all(given.get(field) is None for _, field in SIREKAP_ADMINISTRASI):
        return None
    return {key: given.get(field) for key, field in SIREKAP_ADMINISTRASI}


def _hhcw_tps_exactly(
    doc: Mapping[str, Any],
    given: Mapping[str, int | None],
    counted: bool,
    ids: Mapping[str, str],
) -> list[str]:
    """A Sirekap TPS file against the TPS's numbers as the bulk data gives them: each vote
    and each ``administrasi`` number, ``null`` exactly where none is given."""
    found = []
    chart, wanted = doc.get("chart"), _given_chart(given, ids)
    if chart != wanted:
        found.append(f"chart {chart} (bulk {wanted})")
    administrasi, wanted_adm = doc.get("administrasi"), _given_administrasi(given)
    if administrasi != wanted_adm:
        if isinstance(administrasi, Mapping) and wanted_adm is not None:
            found += [
                f"administrasi {key} {administrasi.get(key)} (bulk {value})"
                for key, value in wanted_adm.items()
                if administrasi.get(key) != value or key not in administrasi
            ]
            extra = sorted(set(administrasi) - set(wanted_adm), key=str)
            if extra:
                found.append(f"administrasi has keys Sirekap's does not: {extra[:5]}")
        else:
            found.append(f"administrasi {administrasi} (bulk {wanted_adm})")
    status_adm = bool(counted and wanted_adm is not None)
    if doc.get("status_adm") is not status_adm:
        found.append(f"status_adm {doc.get('status_adm')} (bulk: {status_adm})")
    return found


def hhcw_tps(
    doc: Mapping[str, Any], kode: str, aggregates: Aggregates, ids: Mapping[str, str]
) -> list[str]:
    own = _own_values(aggregates, kode)
    given = aggregates.form_values(kode)
    if given is not None:
        found = _hhcw_tps_exactly(doc, given, bool(own["counted"]), ids)
        found += _status_suara(doc, own, ids)
        return found + _photos(aggregates, kode, doc.get("images"), images=True)
    chart = doc.get("chart") or {}
    # a number not recorded is null (the bulk data's sum counts it 0): a null where the bulk
    # data has votes, or any other value than the bulk data's, differs
    found = [
        f"chart {sid} {chart.get(sid)} (bulk {own[field]})"
        for field, sid in ids.items()
        if chart.get(sid) != own[field] and (chart.get(sid) is not None or own[field] != 0)
    ]
    unknown = sorted(set(chart) - set(ids.values()), key=str)
    if unknown:
        found.append(f"chart has keys the election does not: {unknown[:5]}")
    return found + _status_suara(doc, own, ids)


def _status_suara(
    doc: Mapping[str, Any], own: Mapping[str, int], ids: Mapping[str, str]
) -> list[str]:
    """``status_suara`` is true exactly for a TPS that counts with every vote given."""
    found = []
    chart = doc.get("chart") or {}
    status = doc.get("status_suara")
    if status and not own["counted"]:
        found.append("status_suara true for a TPS that does not count")
    every_vote = all(chart.get(sid) is not None for sid in ids.values())
    if status and not every_vote:
        found.append("status_suara true for a TPS with a vote not given")
    if not status and own["counted"] and every_vote:
        found.append("status_suara false for a TPS that counts, every vote given")
    return found


def rekap_tps(doc: Mapping[str, Any], kode: str, aggregates: Aggregates) -> list[str]:
    own = _own_values(aggregates, kode)
    values = doc.get("values") or {}
    given = aggregates.form_values(kode)
    if given is not None:  # every number of the form, absent exactly where none is given
        found = [
            f"{field} {values.get(field)} (bulk {value})"
            for field, value in given.items()
            if values.get(field) != value or (value is None and field in values)
        ]
        extra = sorted(set(values) - set(given), key=str)
        if extra:
            found.append(f"values has fields the form does not: {extra[:5]}")
    else:
        found = [
            f"{field} {values.get(field)} (bulk {own[field]})"
            for field in aggregates.fields
            if values.get(field) != own[field] and (field in values or own[field] != 0)
        ]
    status = doc.get("status") or {}
    if bool(status.get("counted")) != bool(own["counted"]):
        found.append(f"status counted {status.get('counted')} (bulk {bool(own['counted'])})")
    differs = aggregates.source_differs(kode, doc.get("source"))
    found += [] if differs is None else [differs]
    return found + _photos(aggregates, kode, doc.get("photos"))


def _photos(aggregates: Aggregates, kode: str, listed: object, images: bool = False) -> list[str]:
    """A TPS's photos in a document against the bulk data's, page by page (``--deep``)."""
    differs = aggregates.photos_differ(kode, listed, images)
    return [] if differs is None else [differs]


def rekap_desa_tps(doc: Mapping[str, Any], desa: str, aggregates: Aggregates) -> list[str]:
    """A desa's file of TPS records: each record against the bulk data."""
    found = [] if doc.get("kode") == desa else [f"kode {doc.get('kode')!r}, expected {desa!r}"]
    seen: set[str] = set()
    for record in doc.get("tps") or []:
        kode = str(record.get("kode"))
        if len(kode) != 13 or not kode.startswith(desa):
            found.append(f"TPS {kode} is not a TPS of desa {desa}")
            continue
        if kode in seen:
            found.append(f"TPS {kode} is listed twice")
        seen.add(kode)
        found += [f"{kode}: {d}" for d in rekap_tps(record, kode, aggregates)]
    counted_at = aggregates.position["counted"]
    for kode in aggregates.children.get(desa, []):  # a TPS that counts has a record
        if kode not in seen and aggregates.vector(kode)[counted_at] > 0:
            found.append(f"TPS {kode} counts but has no record")
    return found[:MAX_DETAILS]
