"""Every document the trees must hold: one per region and tree for every region the bulk
data recounts, one per TPS in the Sirekap tree (a desa's file of rekap's TPS records is
written when one of its TPS has a result: it is expected at least where one counts). A
document that is absent from SHA256SUMS too would otherwise go unnoticed (each listed file
is checked, but nothing says a listing is whole)."""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from rekap.recount.aggregate import Aggregates
from rekap.recount.layout import INDEX, desa_tps, hhcw, rekap_doc, wilayah
from rekap.recount.problems import Kind, Problem

MAX_NAMED = 20


def expected_documents(contest: str, aggregates: Aggregates) -> Iterator[str]:
    counted_at = aggregates.position["counted"]
    for kode in aggregates.regions:
        yield hhcw(contest, kode)
        yield wilayah(contest, kode)
        yield rekap_doc(contest, kode)
        if len(kode) == 10 and aggregates.vector(kode)[counted_at] > 0:
            yield desa_tps(contest, kode)  # a TPS of it counts: it has a record
    tree = f"pemilu/hhcw/{contest}/"
    for k in aggregates.tps_rows:  # layout.hhcw, written out: 800,000 TPS
        yield f"{tree}{k[:2]}/{k[:4]}/{k[:6]}/{k[:10]}/{k}.json"


def absent_documents(
    entries: list[tuple[str, str]], contest: str, aggregates: Aggregates
) -> list[Problem]:
    """The expected documents SHA256SUMS does not list (the first MAX_NAMED, then a count)."""
    listed = set(map(itemgetter(0), entries))
    absent = [p for p in expected_documents(contest, aggregates) if p not in listed]
    problems = [
        Problem(Kind.MISSING, path, "absent: the bulk data has this region or TPS")
        for path in absent[:MAX_NAMED]
    ]
    if len(absent) > MAX_NAMED:
        problems.append(
            Problem(Kind.MISSING, INDEX, f"{len(absent) - MAX_NAMED:,} more documents absent")
        )
    return problems
