"""The files of a snapshot, by part: the nation's documents and the bulk data (one job), and
the JSON trees of a group of provinces (one job each). Each job returns what it wrote."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rekap.domain.wilayah import Level
from rekap.publish import bulk, paths, rekap_tree, sirekap_tree
from rekap.publish.bulk_schema import region_columns, tps_columns
from rekap.publish.diff import compared_columns, diff_tables
from rekap.publish.encode import dump, dump_pretty
from rekap.publish.ports import FileEntry, Signer, SnapshotWriter
from rekap.publish.view import SnapshotView
from rekap.rules.finding import Severity
from rekap.rules.registry import ALL_RULES

Written = list[FileEntry]


def region_files(view: SnapshotView, kode: str) -> Iterator[tuple[str, bytes]]:
    contest = view.contest
    tally = view.region(kode)
    yield paths.sirekap_wilayah(contest, kode), dump(sirekap_tree.wilayah(view, kode))
    if len(kode) == Level.DESA.value:  # a desa's TPS: one vector each, read for both trees
        vectors = view.tps_vectors(kode)
        sirekap = sirekap_tree.desa_region(view, tally, vectors)
        own = rekap_tree.desa_region(view, kode, tally, vectors)
    else:
        children = view.child_tallies(kode)
        sirekap = sirekap_tree.region(view, tally, children)
        own = rekap_tree.region(view, kode, tally, children)
    yield paths.sirekap_hhcw(contest, kode), dump(sirekap)
    yield paths.rekap_doc(contest, kode), dump(own)


def write_subtree(view: SnapshotView, writer: SnapshotWriter, top: str) -> Written:
    """Every region document under ``top`` (itself included), every TPS's Sirekap-compatible
    document, and for each desa with a result, rekap's document of its TPS."""
    contest = view.contest
    records = view.records
    empty_tps = dump(sirekap_tree.tps(view, None))
    written: Written = []
    stack = [top]
    while stack:
        kode = stack.pop()
        written.extend(writer.write(p, data) for p, data in region_files(view, kode))
        if len(kode) != Level.DESA.value:
            stack.extend(reversed(view.children(kode)))
            continue
        with_result = []
        folder = paths.sirekap_tps_folder(contest, kode)
        for tps in view.tps_of_desa[kode]:
            record = records.get(tps)
            sirekap = empty_tps if record is None else dump(sirekap_tree.tps(view, record))
            written.append(writer.write(f"{folder}{tps}.json", sirekap))
            if record is not None:
                with_result.append(record)
        if with_result:
            own = dump(rekap_tree.desa_tps(view, kode, with_result))
            written.append(writer.write(paths.rekap_desa_tps(contest, kode), own))
    return written


def election_document(view: SnapshotView) -> dict[str, object]:
    contest = view.request.contest
    return {
        "contest": contest.kind.value,
        "nama": contest.nama,
        "fields": [
            {"id": f.id, "section": f.section, "kind": f.kind.value, "label": f.label_en}
            for f in view.request.form.fields
        ],
        "entries": [
            {
                "nomor_urut": e.nomor_urut,
                "nama": e.nama,
                "sirekap_id": e.sirekap_id,
                "field": f"paslon_{e.nomor_urut}",
            }
            for e in view.entries
        ],
        # the rules results were held by: a recount checks what they promise (a counted
        # TPS has every vote since F-SUARA-LENGKAP), not what an older snapshot never said
        "rules": [{"id": r.id, "blocking": r.severity is Severity.BLOCKING} for r in ALL_RULES],
    }


def write_root(
    view: SnapshotView, writer: SnapshotWriter, signer: Signer, data: bulk.BulkData
) -> Written:
    """The nation's documents, the bulk files other than JSONL, the diff and the public key."""
    contest = view.contest
    out = [writer.write(p, body) for p, body in region_files(view, "")]
    paslon = dump(sirekap_tree.paslon(view))
    out.append(writer.write(paths.SIREKAP_PASLON.format(contest=contest), paslon))
    out.append(writer.write(paths.ELECTION_FILE, dump_pretty(election_document(view))))
    out.append(writer.write(paths.PUBLIC_KEY_FILE, signer.public_pem))
    columns, values = data
    table = bulk.arrow_table(columns, values)
    out.append(writer.write(paths.bulk_tps(contest, "parquet"), bulk.parquet_bytes(table)))
    out.append(writer.write(paths.bulk_tps(contest, "csv.gz"), bulk.csv_gz_bytes(table)))
    regions = bulk.arrow_table(*bulk.region_data(view))
    out.append(writer.write(paths.bulk_region(contest, "parquet"), bulk.parquet_bytes(regions)))
    out.append(writer.write(paths.bulk_region(contest, "csv.gz"), bulk.csv_gz_bytes(regions)))
    out.append(writer.write(paths.unplaced(contest), bulk.unplaced_jsonl(view)))
    schema = {
        "tps": [c.as_json() for c in tps_columns(view.request.form)],
        "region": [c.as_json() for c in region_columns(view.layout)],
    }
    out.append(writer.write(paths.SCHEMA_FILE, dump_pretty(schema)))
    form_fields = [f.id for f in view.request.form.fields]
    compared = compared_columns(table.column_names, form_fields)
    diff = diff_tables(view.request.previous, table, compared, contest, view.index.scope)
    out.append(writer.write(paths.DIFF_SUMMARY, dump_pretty(diff.summary)))
    out.append(writer.write(paths.diff_tps(contest), diff.lines))
    return out


def write_jsonl(view: SnapshotView, writer: SnapshotWriter, data: bulk.BulkData) -> Written:
    body = bulk.jsonl_gz_bytes(*data)
    return [writer.write(paths.bulk_tps(view.contest, "jsonl.gz"), body)]


def province_groups(view: SnapshotView, groups: int) -> list[tuple[str, ...]]:
    """The provinces in scope, dealt into ``groups`` groups of similar TPS counts."""
    provinces = sorted(
        view.children(""),
        key=lambda p: (-int(view.index.expected[view.index.row_of[p]]), p),
    )
    loads = [0] * max(1, groups)
    members: list[list[str]] = [[] for _ in loads]
    for province in provinces:
        lightest = loads.index(min(loads))
        members[lightest].append(province)
        loads[lightest] += int(view.index.expected[view.index.row_of[province]]) + 1
    return [tuple(sorted(m)) for m in members if m]


def write_provinces(
    view: SnapshotView, writer: SnapshotWriter, provinces: Sequence[str]
) -> Written:
    out: Written = []
    for province in provinces:
        out.extend(write_subtree(view, writer, province))
    return out
