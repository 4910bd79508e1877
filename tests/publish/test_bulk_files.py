"""Bulk open data: the same inputs give byte-identical files, in any order of arrival."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.publish import bulk
from rekap.publish.view import SnapshotView
from tests.publish.conftest import UNLISTED_CODES, Publisher, make_records, request_for
from tests.tally.trees import TPS_CODES


def _bulk_bytes(seed: int, shuffle: int | None) -> tuple[bytes, bytes, bytes, bytes]:
    # with results of TPS the tree does not list: placed among their desa's, said apart
    records = make_records(seed, codes=(*TPS_CODES, *UNLISTED_CODES))
    if shuffle is not None:
        random.Random(shuffle).shuffle(records)
    view = SnapshotView.build(request_for(records))
    columns, data = bulk.tps_data(view)
    table = bulk.arrow_table(columns, data)
    regions = bulk.arrow_table(*bulk.region_data(view))
    return (
        bulk.parquet_bytes(table),
        bulk.csv_gz_bytes(table),
        bulk.jsonl_gz_bytes(columns, data),
        bulk.parquet_bytes(regions),
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_same_inputs_give_byte_identical_bulk_files(seed: int, shuffle: int) -> None:
    assert _bulk_bytes(seed, None) == _bulk_bytes(seed, shuffle)


def test_different_inputs_give_different_files() -> None:
    assert _bulk_bytes(1, None)[0] != _bulk_bytes(2, None)[0]


def test_every_tps_is_a_row_with_its_numbers(tmp_path: Path, publish_small: Publisher) -> None:
    records = make_records(5)
    done = publish_small(records)
    table = pq.read_table(Path(done.location) / "data" / "tps-ppwp.parquet").to_pydict()
    assert table["kode_tps"] == sorted(TPS_CODES)
    by_kode = {r.kode_tps: r for r in records}
    for i, kode in enumerate(table["kode_tps"]):
        record = by_kode.get(kode)
        assert table["has_result"][i] == (record is not None and record.state.has_values)
        if record is not None:
            assert table["paslon_2"][i] == record.state.values.get("paslon_2")
            assert table["counted"][i] == record.state.counted


def test_publishing_twice_gives_the_same_files(tmp_path: Path, publish_small: Publisher) -> None:
    records = make_records(11)
    first = publish_small(records, out=tmp_path / "a")
    second = publish_small(records, out=tmp_path / "b")
    for name in ("SHA256SUMS", "manifest.json", "manifest.sig"):
        a = (Path(first.location) / name).read_bytes()
        b = (Path(second.location) / name).read_bytes()
        assert a == b, name


def test_every_tps_row_names_its_regions_as_the_region_table_does(
    publish_small: Publisher,
) -> None:
    folder = Path(publish_small(make_records(5)).location) / "data"
    table = pq.read_table(folder / "tps-ppwp.parquet").to_pylist()
    regions = pq.read_table(folder / "region-ppwp.parquet").to_pydict()
    nama = dict(zip(regions["kode"], regions["nama"], strict=True))
    assert table
    for row in table:
        assert row["nama_provinsi"] == nama[row["kode_provinsi"]]
        assert row["nama_kabupaten_kota"] == nama[row["kode_kabupaten_kota"]]
        assert row["nama_kecamatan"] == nama[row["kode_kecamatan"]]
        assert row["nama_desa"] == nama[row["kode_desa"]]
        assert row["nama_desa"]  # the small tree names every desa


def test_an_unplaced_result_keeps_its_photos_source_and_time() -> None:
    """A result outside the region tree is summed nowhere, but a reader checks it as any
    other: against its photos, its source and when its numbers last changed."""
    records = make_records(5)
    counted = next(r for r in records if r.state.counted and r.photos and r.updated_at)
    outside = "9999012001001"  # a desa the region tree does not hold
    moved = replace(counted, state=replace(counted.state, kode_tps=outside))
    view = SnapshotView.build(request_for([*records, moved]))
    (line,) = [json.loads(x) for x in bulk.unplaced_jsonl(view).splitlines()]
    assert line["kode_tps"] == outside and line["values"] == dict(counted.state.values)
    source, at = counted.source, counted.updated_at
    assert source is not None and at is not None
    assert line["source_kind"] == source.kind.value and line["source_ref"] == source.reference
    assert line["photos"] == list(counted.photos)
    assert line["updated_at"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")
