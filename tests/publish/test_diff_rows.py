"""The diff's two paths agree: the same TPS in the same order (compared a column at a time,
only the differing rows described) lists exactly what matching TPS by code lists."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.publish.diff import diff_tables
from rekap.publish.records import PreviousSnapshot

COMPARED = ("stage", "counted", "suara_sah", "photos")
CODES = [f"7471011001{n:03d}" for n in range(1, 13)]

cell = st.tuples(
    st.sampled_from(["read", "verified", None]),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 300)),
    st.sampled_from(["", "a", "a b"]),
)


def _table(rows: list[tuple[object, ...]], codes: list[str], with_photos: bool) -> pa.Table:
    columns = {
        "kode_tps": pa.array(codes, pa.string()),
        "stage": pa.array([r[0] for r in rows], pa.string()),
        "counted": pa.array([r[1] for r in rows], pa.bool_()),
        "suara_sah": pa.array([r[2] for r in rows], pa.int32()),
    }
    if with_photos:
        columns["photos"] = pa.array([r[3] for r in rows], pa.string())
    table = pa.table(columns)
    # several chunks, as a Parquet file read back gives them
    return pa.Table.from_batches(table.to_batches(max_chunksize=5))


def _changes(previous: pa.Table, current: pa.Table) -> list[dict[str, object]]:
    diff = diff_tables(PreviousSnapshot("s1", b"{}", previous), current, COMPARED, "ppwp")
    lines = gzip.decompress(diff.lines).decode().splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda c: str(c["kode_tps"]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(cell, min_size=12, max_size=12),
    st.lists(cell, min_size=12, max_size=12),
    st.booleans(),
)
def test_aligned_rows_list_what_matching_by_code_lists(
    before: list[tuple[object, ...]], after: list[tuple[object, ...]], old_had_photos: bool
) -> None:
    old = _table(before, CODES, old_had_photos)
    new = _table(after, CODES, True)
    aligned = _changes(old, new)
    # the same rows in another order take the path that matches TPS by code
    order = list(reversed(range(len(CODES))))
    shuffled = _table([before[i] for i in order], [CODES[i] for i in order], old_had_photos)
    assert aligned == _changes(shuffled, new)
    expected = {
        CODES[i]
        for i in range(len(CODES))
        if (before[i] if old_had_photos else (*before[i][:3], None)) != after[i]
    }
    assert {c["kode_tps"] for c in aligned} == expected
    for change in aligned:
        assert change["change"] == "changed"
        for name, (then, now) in change["fields"].items():  # type: ignore[union-attr]
            assert then != now and name in COMPARED
