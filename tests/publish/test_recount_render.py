"""The recount's rendering of region documents: a fresh snapshot's every region document is
its rendering byte for byte (so none is parsed), and one that is not still agrees or is named
by the field by field comparison."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.domain.region_tree import Region, RegionTree
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.publish.snapshot import publish_snapshot
from rekap.recount import compare, render
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.conftest import AT, CONTEST, UNLISTED_CODES, make_records
from tests.publish.test_recount import _reseal
from tests.tally.trees import FORM, TPS_CODES, TREE

COMPARED = ("rekap_region", "hhcw_region", "wilayah_list")


def _odd_names() -> RegionTree:
    """The small tree with names a JSON encoder must escape or keep as UTF-8."""
    odd = ('KOTA "BARU"', "BAUBAU \\ SELATAN", "TÉLUK ‘Ö’ 北", "TAB\tAND\nLINE")
    regions = [
        Region(
            region.kode,
            odd[i % len(odd)] + f" {region.kode.value}",
            region.jenis,
            region.tps_ranges,
        )
        for i, region in enumerate(TREE.regions.values())
    ]
    return RegionTree.build(regions)


def _publish(
    tmp_path: Path,
    signer: SigningKey,
    records: Sequence[TpsRecord],
    tree: RegionTree = TREE,
    scope: tuple[str, ...] = (),
) -> Path:
    store = DirectorySnapshotStore(tmp_path / "out")
    request = SnapshotRequest(tree, CONTEST, FORM, list(records), AT, scope)
    return Path(publish_snapshot(request, store, signer).location)


def _counting_comparisons(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the recount parses and compares a region document field by field."""
    calls: Counter[str] = Counter()
    for name in COMPARED:
        original = getattr(compare, name)

        def counted(*args: Any, _name: str = name, _f: Callable[..., Any] = original) -> Any:
            calls[_name] += 1
            return _f(*args)

        monkeypatch.setattr(compare, name, counted)
    return calls


CASES: dict[str, Callable[[], tuple[list[TpsRecord], RegionTree, tuple[str, ...]]]] = {
    "results of every kind": lambda: (make_records(9), TREE, ()),
    "entered by people": lambda: (make_records(4, entered=True), TREE, ()),
    "counted TPS the tree does not list": lambda: (
        make_records(5, share=0.9, codes=(*TPS_CODES, *UNLISTED_CODES)),
        TREE,
        (),
    ),
    "election morning": lambda: ([], TREE, ()),
    "names to escape": lambda: (make_records(9), _odd_names(), ()),
    "a scope": lambda: (make_records(9), TREE, ("11",)),
}


@pytest.mark.parametrize("case", CASES)
def test_every_region_document_of_a_fresh_snapshot_is_its_rendering(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    records, tree, scope = CASES[case]()
    folder = _publish(tmp_path, signer, records, tree, scope)
    calls = _counting_comparisons(monkeypatch)
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert report.checked["documents compared"] > 0
    assert calls == Counter()  # none parsed: each was equal to its rendering


def _rewritten(folder: Path, signer: SigningKey, path: str, change: Callable[[Any], None]) -> None:
    document = json.loads((folder / path).read_text())
    change(document)
    (folder / path).write_text(json.dumps(document, indent=1, ensure_ascii=True))
    _reseal(folder, signer, path)


def test_a_document_written_another_way_with_the_same_values_agrees(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _publish(tmp_path, signer, make_records(9))
    for path in (
        "rekap/ppwp/11/1101.json",
        "pemilu/hhcw/ppwp/11.json",
        "wilayah/pemilu/ppwp/0.json",
    ):
        _rewritten(folder, signer, path, lambda document: None)  # spaces, escapes: not the bytes
    calls = _counting_comparisons(monkeypatch)
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert calls == Counter(dict.fromkeys(COMPARED, 1))


def test_a_document_with_another_time_still_agrees_on_its_numbers(
    tmp_path: Path, signer: SigningKey
) -> None:
    # ``ts`` is the snapshot's time; the comparison field by field does not hold it to it
    folder = _publish(tmp_path, signer, make_records(9))
    _rewritten(folder, signer, "rekap/ppwp/11.json", lambda d: d.update(ts="2024-01-01T00:00:00Z"))
    assert recount(folder, workers=1).ok


def test_a_wrong_number_in_a_rendered_family_is_still_named(
    tmp_path: Path, signer: SigningKey
) -> None:
    folder = _publish(tmp_path, signer, make_records(9))

    def change(document: dict[str, Any]) -> None:
        document["children"][0]["counted"]["paslon_2"] += 1

    _rewritten(folder, signer, "rekap/ppwp/11/1101/110101.json", change)
    problems = recount(folder, workers=1).problems
    assert [(p.kind, p.path) for p in problems] == [
        (Kind.MISMATCH, "rekap/ppwp/11/1101/110101.json")
    ]
    assert "paslon_2" in problems[0].detail


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_persen_is_written_as_the_json_encoder_writes_it(listed: int, expected: int) -> None:
    listed = min(listed, expected)
    value = round(100.0 * listed / expected, 2) if expected else 0.0
    assert render._persen(listed, expected).encode() == orjson.dumps(value)


def test_every_persen_of_two_decimals_is_written_as_the_json_encoder_writes_it() -> None:
    for hundredths in range(10_001):
        value = round(hundredths / 100, 2)
        assert repr(value).encode() == orjson.dumps(value)


@pytest.mark.parametrize(
    ("created_at", "wanted"),
    [
        ("2024-03-20T12:00:00Z", "2024-03-20 19:00:00"),
        ("2024-02-14T20:30:00+00:00", "2024-02-15 03:30:00"),
        ("2024-03-20T12:00:00", None),  # no zone: not a time this layout writes
        ("yesterday", None),
        ("", None),
    ],
)
def test_the_sirekap_time_is_the_snapshot_time_in_wib(created_at: str, wanted: str | None) -> None:
    assert render.sirekap_ts(created_at) == wanted
