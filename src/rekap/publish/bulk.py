"""Bulk open data: one row per TPS (Parquet, CSV.gz, JSONL.gz) and one row per region.

The TPS rows are every TPS the region tree lists in scope, with or without a result, plus
any other TPS with a result whose desa is known; rows are in code order, so the same input
gives byte-identical files. Columns are built whole (lists), not row by row.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from rekap.domain.result import NO_PHOTO
from rekap.domain.wilayah import Level
from rekap.publish.bulk_schema import (
    COUNTED_UNLISTED,
    NAME_COLUMNS,
    Column,
    region_columns,
    schema,
    tps_columns,
)
from rekap.publish.encode import cached_iso_utc, dump_line, gzip_bytes
from rekap.publish.records import TpsRecord
from rekap.publish.view import SnapshotView
from rekap.rules.finding import Severity
from rekap.tally.stage import TpsStage

LEVEL_NAMES = {level.value: level.label for level in Level}
Columns = dict[str, list[object]]
BulkData = tuple[tuple[Column, ...], Columns]
_JSONL_SLICE = 20_000


def _rules(record: TpsRecord | None, severity: Severity) -> str:
    if record is None or not record.findings:
        return ""
    return " ".join(dict.fromkeys(f.rule for f in record.findings if f.severity is severity))


def tps_data(view: SnapshotView) -> tuple[tuple[Column, ...], Columns]:
    """Every TPS column as a list, in code order."""
    columns = tps_columns(view.request.form)
    codes = view.all_tps
    count = len(codes)
    records = [view.records.get(kode) for kode in codes]
    states = [r.state if r is not None else None for r in records]
    regions = view.request.tree.regions
    expected = view.expected_tps
    none = TpsStage.NONE.label
    data: Columns = {
        "kode_tps": list(codes),
        "kode_provinsi": [k[:2] for k in codes],
        "kode_kabupaten_kota": [k[:4] for k in codes],
        "kode_kecamatan": [k[:6] for k in codes],
        "kode_desa": [k[:10] for k in codes],
        **_names(view),
        "nomor_tps": [int(k[10:]) for k in codes],
        "jenis": [
            r.jenis if r is not None else _jenis(regions[k[:10]].jenis)
            for k, r in zip(codes, records, strict=True)
        ],
        "contest": [view.contest] * count,
        "expected": [k in expected for k in codes],
        "stage": [s.stage.label if s is not None else none for s in states],
        "has_result": [s is not None and s.has_values for s in states],
        "counted": [s is not None and s.counted for s in states],
        "blocking": [s is not None and s.blocking for s in states],
        "blocking_rules": [_rules(r, Severity.BLOCKING) for r in records],
        "warning_rules": [_rules(r, Severity.WARNING) for r in records],
    }
    numbers: dict[str, list[object]] = {f.id: [None] * count for f in view.request.form.fields}
    for row, state in enumerate(states):
        if state is not None:
            for field_id, value in state.values.items():
                target = numbers.get(field_id)
                if target is not None:
                    target[row] = value
    data.update(numbers)
    sources = [r.source if r is not None else None for r in records]
    data["source_kind"] = [s.kind.value if s is not None else None for s in sources]
    data["source_ref"] = [s.reference if s is not None else None for s in sources]
    data["updated_at"] = [
        cached_iso_utc(r.updated_at) if r is not None and r.updated_at else None for r in records
    ]
    data["photos"] = [photos_text(r.photos) if r is not None else "" for r in records]
    return columns, data


def _names(view: SnapshotView) -> Columns:
    """The name of each TPS's provinsi, kabupaten/kota, kecamatan and desa, row by row
    (``view.all_tps`` is each desa's TPS in turn: each name looked up once per desa)."""
    columns: list[list[object]] = [[] for _ in NAME_COLUMNS]
    for desa, tps in view.tps_of_desa.items():
        for column, length in zip(columns, (2, 4, 6, 10), strict=True):
            column.extend(itertools.repeat(view.nama(desa[:length]), len(tps)))
    return {name: column for (name, _), column in zip(NAME_COLUMNS, columns, strict=True)}


def photos_text(photos: Sequence[str | None]) -> str:
    """Each page's photo in page order, space-separated, ``-`` for a page without one:
    ``a - c`` is a photo of pages 1 and 3 (a list without gaps reads as it always did)."""
    return " ".join(p or NO_PHOTO for p in photos)


def _jenis(jenis: object) -> str:
    value = getattr(jenis, "value", None)
    return str(value) if value else "tps"


def region_data(view: SnapshotView) -> tuple[tuple[Column, ...], Columns]:
    columns = region_columns(view.layout)
    codes = list(view.index.codes)
    parents = view.index.parent_row.tolist()
    data: Columns = {
        "kode": list(codes),
        "nama": [view.nama(k) for k in codes],
        "level": [LEVEL_NAMES[len(k)] for k in codes],
        "parent": [codes[p] if p >= 0 else None for p in parents],
        "contest": [view.contest] * len(codes),
        "tps_expected": view.index.expected.tolist(),
    }
    matrix = view.table.matrix
    for position, name in enumerate(view.layout.columns()):
        data[name] = matrix[:, position].tolist()
    data[COUNTED_UNLISTED.name] = view.counted_unlisted.tolist()
    return columns, data


def arrow_table(columns: Sequence[Column], data: Mapping[str, list[object]]) -> pa.Table:
    arrays = [pa.array(data[c.name], type=c.type) for c in columns]
    return pa.Table.from_arrays(arrays, schema=schema(tuple(columns)))


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=200_000)
    return sink.getvalue()


def csv_gz_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=True, quoting_style="needed")
    pa_csv.write_csv(table, sink, write_options=options)
    return gzip_bytes(sink.getvalue())


def jsonl_gz_bytes(columns: Sequence[Column], data: Mapping[str, list[object]]) -> bytes:
    """One JSON object per TPS; a number that was not recorded is left out (read as null)."""
    names = [c.name for c in columns]
    rows = zip(*(data[n] for n in names), strict=True)
    chunks = []  # encoded a slice at a time: a national file never holds 823k dicts at once
    while chunk := list(itertools.islice(rows, _JSONL_SLICE)):
        chunks.append(b"".join([dump_line(_present(names, row)) for row in chunk]))
    return gzip_bytes(b"".join(chunks))


def _present(names: Sequence[str], row: tuple[object, ...]) -> dict[str, object]:
    """The row's values by column name, those that are None left out (a row with no None,
    the common case, is zipped whole in C)."""
    if None in row:
        return {k: v for k, v in zip(names, row, strict=True) if v is not None}
    return dict(zip(names, row, strict=True))


def unplaced_jsonl(view: SnapshotView) -> bytes:
    """Results whose desa is not in the region tree: published, never summed; each with its
    provenance, photos and time as a bulk row has them."""
    lines = []
    for record in sorted(view.unplaced, key=lambda r: r.kode_tps):
        line = {
            "kode_tps": record.kode_tps,
            "contest": view.contest,
            "reason": "desa not in the region tree",
            "values": dict(record.state.values),
            "findings": [f.as_json() for f in record.findings],
            "source_kind": record.source.kind.value if record.source else None,
            "source_ref": record.source.reference if record.source else None,
            "photos": list(record.photos),
            "updated_at": cached_iso_utc(record.updated_at) if record.updated_at else None,
        }
        lines.append(dump_line(line))
    return b"".join(lines)
