"""The recount holds the diff to itself, the manifest and the bulk data: a summary that
counts other changes than it lists, or a change that ends at another value than the one
published, would let a public number change silently."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.publish.snapshot import publish_snapshot
from rekap.recount import diff_checks
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import AT, make_records, request_for
from tests.publish.test_recount import _reseal

LINES = "diff/tps-ppwp.jsonl.gz"
SUMMARY = "diff/summary.json"


def _publish(
    out: Path, signer: SigningKey, seed: int, hours: int, scope: tuple[str, ...] = ()
) -> Path:
    store = DirectorySnapshotStore(out)
    request = replace(
        request_for(make_records(seed), AT + timedelta(hours=hours), scope),
        previous=store.previous("ppwp"),
    )
    return Path(publish_snapshot(request, store, signer).location)


@pytest.fixture
def second(tmp_path: Path, signer: SigningKey) -> Path:
    """A snapshot after another one, with other results: changes, additions, removals."""
    _publish(tmp_path / "out", signer, 9, 0)
    return _publish(tmp_path / "out", signer, 10, 1)


def _changes(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.open(folder / LINES)]


def _write_changes(folder: Path, changes: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in changes)
    (folder / LINES).write_bytes(gzip.compress(text.encode(), mtime=0))


def test_diffs_of_every_kind_recount_clean(tmp_path: Path, signer: SigningKey) -> None:
    out = tmp_path / "out"
    folders = [
        _publish(out, signer, 9, 0),  # the first: every row added, nothing listed
        _publish(out, signer, 10, 1),  # results changed, added, removed
        _publish(out, signer, 10, 2, ("11",)),  # another scope: rows removed by it
        _publish(out, signer, 10, 3),  # and back: rows added by it
    ]
    kinds = {c["change"] for folder in folders for c in _changes(folder)}
    assert kinds == {"added", "removed", "changed"}
    for folder in folders:
        report = recount(folder, workers=1)
        assert report.ok, [str(p) for p in report.problems]
        assert recount(folder, workers=1, bulk_only=True).ok


def _summary_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], str]:
    def edit(folder: Path) -> str:
        summary = json.loads((folder / SUMMARY).read_text())
        change(summary)
        (folder / SUMMARY).write_text(json.dumps(summary))
        return SUMMARY

    return edit


def _lines_edit(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Path], str]:
    def edit(folder: Path) -> str:
        changes = _changes(folder)
        change(changes)
        _write_changes(folder, changes)
        return LINES

    return edit


def _first_changed(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in changes if c["change"] == "changed")


def _other_end(changes: list[dict[str, Any]]) -> None:
    fields = _first_changed(changes)["fields"]
    name = next(iter(fields))
    before, after = fields[name]
    fields[name] = [before, (after + 1) if isinstance(after, int) else 7]


EDITS: dict[str, Callable[[Path], str]] = {
    "a change count": _summary_edit(lambda s: s["tps"].update(changed=s["tps"]["changed"] - 1)),
    "an unchanged count": _summary_edit(lambda s: s["tps"].update(unchanged=0)),
    "fields changed": _summary_edit(lambda s: s["fields_changed"].clear()),
    "the previous snapshot": _summary_edit(lambda s: s["previous"].update(snapshot_id="x")),
    "the scope": _summary_edit(lambda s: s.update(scope=["11"])),
    "a change left out": _lines_edit(lambda c: c.remove(_first_changed(c))),
    "a change that ends elsewhere": _lines_edit(_other_end),
    "a removed TPS that is there": _lines_edit(
        lambda c: c.append({"kode_tps": _first_changed(c)["kode_tps"], "change": "removed"})
    ),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_a_signed_but_wrong_diff_is_named(second: Path, signer: SigningKey, name: str) -> None:
    changed = EDITS[name](second)
    _reseal(second, signer, changed)
    for bulk_only in (False, True):
        problems = recount(second, workers=1, bulk_only=bulk_only).problems
        assert problems, name
        assert {p.kind for p in problems} == {Kind.BULK}, [str(p) for p in problems]
        assert {p.path for p in problems} <= {SUMMARY, LINES}


def test_a_first_snapshot_that_lists_changes_is_named(tmp_path: Path, signer: SigningKey) -> None:
    first = _publish(tmp_path / "out", signer, 9, 0)
    _write_changes(first, [{"kode_tps": "1101012001001", "change": "changed", "fields": {}}])
    _reseal(first, signer, LINES)
    details = [p.detail for p in recount(first, workers=1).problems]
    assert details == ["1 changes listed for a first snapshot"]


ODD: dict[str, Callable[[Path], str]] = {
    "fields_changed as a list": _summary_edit(lambda s: s.update(fields_changed=[1, 2])),
    "a summary that is a list": lambda f: (f / SUMMARY).write_text("[]") and SUMMARY,
    "a line nested beyond reason": lambda f: (
        (f / LINES).write_bytes(gzip.compress(b"[" * 100_000 + b"\n", mtime=0)) and LINES
    ),
    "a line that is not JSON": lambda f: (
        (f / LINES).write_bytes(gzip.compress(b"{kode\n", mtime=0)) and LINES
    ),
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_a_diff_of_another_shape_is_named_not_a_crash(
    second: Path, signer: SigningKey, name: str
) -> None:
    _reseal(second, signer, ODD[name](second))
    problems = recount(second, workers=1).problems
    assert problems and {p.kind for p in problems} == {Kind.BULK}, [str(p) for p in problems]


def test_a_diff_read_a_few_changes_at_a_time_gives_the_same_answers(
    second: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diff_checks, "CHUNK", 2)
    assert len(_changes(second)) > 4
    assert recount(second, workers=1).ok
    _reseal(second, signer, EDITS["a change that ends elsewhere"](second))
    details = [p.detail for p in recount(second, workers=1).problems]
    assert len(details) == 1 and "the diff says it is now" in details[0]


def _bulk_row(folder: Path, kode: str) -> dict[str, Any]:
    table = pq.read_table(folder / "data/tps-ppwp.parquet")
    return next(r for r in table.to_pylist() if r["kode_tps"] == kode)


def test_each_end_that_is_not_the_bulk_datas_is_named_in_the_diffs_order(
    second: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every way a value can differ (another number, another type, a null, a number past 64
    bits, a column the bulk data lacks), said of each change in its order and of each field
    in the change's order, a chunk or the whole diff at a time alike."""
    changes = _changes(second)
    first, other = [c for c in changes if c["change"] == "changed"][:2]
    row, other_row = _bulk_row(second, first["kode_tps"]), _bulk_row(second, other["kode_tps"])
    huge = 123456789012345678901234567890
    first["fields"] = {
        "stage": ["read", None],  # a null where the bulk data has a stage
        "paslon_1": [1, True],  # a bool where it has a number
        "no_such_column": [1, 2],
        "counted": [False, row["counted"]],  # agrees: not named
        "paslon_2": [1, huge],
    }
    other["fields"] = {"counted": [True, int(other_row["counted"])], "dpt_j": [1, "7"]}
    _write_changes(second, changes)
    _reseal(second, signer, LINES)
    a, b = first["kode_tps"], other["kode_tps"]
    expected = [
        f"TPS {a} stage: the diff says it is now None, the bulk data {row['stage']!r}",
        f"TPS {a} paslon_1: the diff says it is now True, the bulk data {row['paslon_1']!r}",
        f"TPS {a} no_such_column: the diff says it is now 2, the bulk data None",
        f"TPS {a} paslon_2: the diff says it is now {huge}, the bulk data {row['paslon_2']!r}",
        f"TPS {b} counted: the diff says it is now {int(other_row['counted'])}, "
        f"the bulk data {other_row['counted']!r}",
        f"TPS {b} dpt_j: the diff says it is now '7', the bulk data {other_row['dpt_j']!r}",
    ]
    for chunk in (diff_checks.CHUNK, 1):
        monkeypatch.setattr(diff_checks, "CHUNK", chunk)
        problems = recount(second, workers=1).problems  # in the order found (not sorted)
        ended = [p.detail for p in problems if p.path == LINES]
        assert ended == expected, chunk


def test_a_number_the_bulk_data_has_not_given_is_named(second: Path, signer: SigningKey) -> None:
    changes = _changes(second)
    change = _first_changed(changes)
    row = _bulk_row(second, change["kode_tps"])
    name = next(n for n in ("paslon_1", "dpt_l", "disabilitas_p") if row[n] is None)
    change["fields"] = {name: [None, 5]}
    _write_changes(second, changes)
    _reseal(second, signer, LINES)
    details = [p.detail for p in recount(second, workers=1, bulk_only=True).problems]
    kode = change["kode_tps"]
    assert f"TPS {kode} {name}: the diff says it is now 5, the bulk data None" in details


def test_a_line_longer_than_a_change_can_be_is_named_unread(
    second: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diff_checks, "MAX_LINE", 64)
    problems = recount(second, workers=1, bulk_only=True).problems
    assert [p.detail for p in problems] == ["unreadable: line 1 is longer than 64 bytes"]


def test_an_addition_that_ends_elsewhere_is_named(tmp_path: Path, signer: SigningKey) -> None:
    _publish(tmp_path / "out", signer, 9, 0, ("11",))
    widened = _publish(tmp_path / "out", signer, 10, 1)  # the rows outside 11 are added
    changes = _changes(widened)
    added = next(c for c in changes if c["change"] == "added")
    stage = added["after"]["stage"]
    added["after"]["stage"] = "published" if stage != "published" else "read"
    _write_changes(widened, changes)
    _reseal(widened, signer, LINES)
    details = [p.detail for p in recount(widened, workers=1, bulk_only=True).problems]
    kode, now = added["kode_tps"], added["after"]["stage"]
    assert details == [
        f"TPS {kode} stage: the diff says it is now {now!r}, the bulk data {stage!r}"
    ]


def test_a_code_that_is_not_text_leaves_the_diff_unreadable(
    second: Path, signer: SigningKey
) -> None:
    line = b'{"kode_tps":"\\ud800","change":"changed","fields":{}}\n'
    (second / LINES).write_bytes(gzip.compress(line, mtime=0))
    _reseal(second, signer, LINES)
    details = [p.detail for p in recount(second, workers=1, bulk_only=True).problems]
    assert details == [
        "unreadable: 'utf-8' codec can't encode character '\\ud800' in position 0: "
        "surrogates not allowed"
    ]


def test_bulk_data_without_codes_is_named_not_a_crash(second: Path) -> None:
    """(The recount does not get here: bulk data without codes is not recounted.)"""
    path = second / "data/tps-ppwp.parquet"
    table = pq.read_table(path)
    pq.write_table(table.rename_columns(["code", *table.column_names[1:]]), path)
    manifest = json.loads((second / "manifest.json").read_text())
    report = RecountReport(str(second))
    diff_checks.check_diff(second, "ppwp", manifest, set(manifest["files"]), True, report)
    assert [(p.path, p.detail) for p in report.problems] == [
        (LINES, "cannot compare with the bulk data: 'kode_tps'")
    ]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_a_line_is_read_as_json_reads_it(value: object) -> None:
    """orjson reads a line only where it gives what json gives (an integer past 64 bits, NaN,
    a lone surrogate: json's answer), so every message and comparison is json's."""
    for line in (
        json.dumps(value).encode() + b"\n",
        json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    ):
        try:
            expected: object = ("value", repr(json.loads(line)))
        except ValueError as error:
            expected = ("error", str(error))
        try:
            found: object = ("value", repr(diff_checks._loads(line)))
        except ValueError as error:
            found = ("error", str(error))
        assert found == expected


def test_a_change_that_is_no_change_is_named(second: Path, signer: SigningKey) -> None:
    """A changed field must be a [before, after] pair of two values a reader tells apart: a
    bare value, a pair of one value twice or a list of three claims a change the diff does
    not show (read before, such a field was passed over in silence)."""
    changes = _changes(second)
    first, other = [c for c in changes if c["change"] == "changed"][:2]
    row = _bulk_row(second, first["kode_tps"])
    first["fields"] = {"stage": row["stage"], "paslon_1": [3, 3], "counted": [1, row["counted"]]}
    other["fields"] = {"suara_sah": [1, 2, 3]}
    _write_changes(second, changes)
    _reseal(second, signer, LINES)
    a, b = first["kode_tps"], other["kode_tps"]
    details = [p.detail for p in recount(second, workers=1, bulk_only=True).problems]
    tail = "not a [before, after] pair that differ"
    assert f"TPS {a} stage: the diff gives {row['stage']!r}, {tail}" in details
    assert f"TPS {a} paslon_1: the diff gives [3, 3], {tail}" in details
    assert f"TPS {b} suara_sah: the diff gives [1, 2, 3], {tail}" in details
    # 1 and True differ to a reader: a change, held to the bulk data like any other
    assert not any(d.startswith(f"TPS {a} counted: the diff gives") for d in details)
