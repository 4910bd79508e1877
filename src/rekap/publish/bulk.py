"""Bulk open data: one row per TPS (Parquet, CSV.gz, JSONL.gz) and one row per region.

The TPS rows are every TPS the region tree lists in scope, with or without a result, plus
any other TPS with a result whose desa is known; rows are in code order, so the same input
gives byte-identical files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from rekap.domain.wilayah import Level
from rekap.publish.bulk_schema import Column, region_columns, schema, tps_columns
from rekap.publish.encode import gzip_bytes, iso_utc
from rekap.publish.records import TpsRecord
from rekap.publish.view import SnapshotView
from rekap.rules.finding import Severity
from rekap.tally.stage import TpsStage

LEVEL_NAMES = {level.value: level.label for level in Level}
Row = tuple[object, ...]


def _rules(record: TpsRecord, severity: Severity) -> str:
    return " ".join(dict.fromkeys(f.rule for f in record.findings if f.severity is severity))


def tps_row(view: SnapshotView, kode: str, field_ids: Sequence[str]) -> Row:
    record = view.records.get(kode)
    head = (kode, kode[:2], kode[:4], kode[:6], kode[:10], int(kode[10:]))
    if record is None:
        jenis = view.request.tree.regions[kode[:10]].jenis
        status = (jenis.value if jenis else "tps", view.contest, view.is_expected(kode))
        empty = (TpsStage.NONE.label, False, False, False, "", "")
        return (*head, *status, *empty, *((None,) * len(field_ids)), None, None, None, "")
    state = record.state
    source = record.source
    return (
        *head,
        record.jenis,
        view.contest,
        view.is_expected(kode),
        state.stage.label,
        state.has_values,
        state.counted,
        state.blocking,
        _rules(record, Severity.BLOCKING),
        _rules(record, Severity.WARNING),
        *(state.values.get(f) for f in field_ids),
        source.kind.value if source else None,
        source.reference if source else None,
        iso_utc(record.updated_at) if record.updated_at else None,
        " ".join(record.photos),
    )


def tps_rows(view: SnapshotView) -> tuple[tuple[Column, ...], list[Row]]:
    columns = tps_columns(view.request.form)
    field_ids = [f.id for f in view.request.form.fields]
    return columns, [tps_row(view, kode, field_ids) for kode in view.all_tps]


def region_rows(view: SnapshotView) -> tuple[tuple[Column, ...], list[Row]]:
    columns = region_columns(view.layout)
    matrix = view.table.matrix.tolist()
    rows: list[Row] = []
    for row, kode in enumerate(view.index.codes):
        parent = int(view.index.parent_row[row])
        rows.append(
            (
                kode,
                view.nama(kode),
                LEVEL_NAMES[len(kode)],
                view.index.codes[parent] if parent >= 0 else None,
                view.contest,
                int(view.index.expected[row]),
                *matrix[row],
            )
        )
    return columns, rows


def arrow_table(columns: Sequence[Column], rows: Sequence[Row]) -> pa.Table:
    data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    arrays = [pa.array(list(values), type=c.type) for c, values in zip(columns, data, strict=True)]
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


def jsonl_gz_bytes(columns: Sequence[Column], rows: Sequence[Row]) -> bytes:
    names = [c.name for c in columns]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    text = "".join(encode(dict(zip(names, row, strict=True))) + "\n" for row in rows)
    return gzip_bytes(text.encode("utf-8"))


def unplaced_jsonl(view: SnapshotView) -> bytes:
    """Results whose desa is not in the region tree: published, never summed."""
    lines = []
    for record in sorted(view.unplaced, key=lambda r: r.kode_tps):
        line = {
            "kode_tps": record.kode_tps,
            "contest": view.contest,
            "reason": "desa not in the region tree",
            "values": dict(record.state.values),
            "findings": [f.as_json() for f in record.findings],
            "source_ref": record.source.reference if record.source else None,
        }
        lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(lines).encode("utf-8")
