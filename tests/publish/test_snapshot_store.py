"""Publication is atomic and immutable, and each snapshot lists what changed since the last."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore, SnapshotExists
from rekap.publish.ports import FileEntry
from rekap.publish.snapshot import publish_snapshot
from tests.publish.conftest import AT, Publisher, make_records, request_for
from tests.tally.trees import TPS_CODES


class FailingStore(DirectorySnapshotStore):
    """A store whose writer fails after a number of files (a full disk, a crash)."""

    def __init__(self, root: Path, after: int) -> None:
        super().__init__(root)
        self.after = after

    def begin(self, snapshot_id: str):  # type: ignore[no-untyped-def]
        writer = super().begin(snapshot_id)
        original = writer.write
        count = {"n": 0}

        def write(path: str, data: bytes) -> FileEntry:
            count["n"] += 1
            if count["n"] > self.after:
                raise OSError("disk full")
            return original(path, data)

        writer.write = write  # type: ignore[method-assign]
        return writer


def test_a_failed_publication_leaves_nothing_visible(tmp_path: Path, signer: SigningKey) -> None:
    out = tmp_path / "out"
    first = publish_snapshot(request_for(make_records(1)), DirectorySnapshotStore(out), signer)
    later = replace(request_for(make_records(2)), created_at=AT.replace(hour=7))
    with pytest.raises(OSError, match="disk full"):
        publish_snapshot(later, FailingStore(out, after=40), signer)
    assert sorted(p.name for p in out.iterdir()) == [first.snapshot_id, "latest"]
    assert (out / "latest").read_text().strip() == first.snapshot_id


def test_a_snapshot_is_never_overwritten(tmp_path: Path, publish_small: Publisher) -> None:
    publish_small(make_records(1))
    with pytest.raises(SnapshotExists):
        publish_small(make_records(2))


def test_the_diff_lists_every_changed_number(publish_small: Publisher) -> None:
    records = make_records(6)
    first = publish_small(records)
    target = next(r for r in records if r.state.counted)
    values = {**target.state.values, "paslon_1": target.state.values["paslon_1"] + 1}
    changed = replace(target, state=replace(target.state, values=values))
    removed = next(r for r in records if r is not target)
    later = [changed if r is target else r for r in records if r is not removed]
    second = publish_small(later, at=AT.replace(hour=9))
    folder = Path(second.location)
    summary = json.loads((folder / "diff" / "summary.json").read_text())
    assert summary["previous"]["snapshot_id"] == first.snapshot_id
    assert summary["previous"]["manifest_sha256"] == first.manifest_sha256
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["previous"]["snapshot_id"] == first.snapshot_id
    lines = gzip.decompress((folder / "diff" / "tps-ppwp.jsonl.gz").read_bytes()).splitlines()
    changes = {c["kode_tps"]: c for c in map(json.loads, lines)}
    assert changes[target.kode_tps]["fields"]["paslon_1"] == [
        target.state.values["paslon_1"],
        target.state.values["paslon_1"] + 1,
    ]
    assert changes[removed.kode_tps]["change"] == "changed"  # the TPS stays, its result went
    assert changes[removed.kode_tps]["fields"]["has_result"][1] is False
    assert len(changes) == 2
    assert summary["tps"]["changed"] == 2


def test_a_tps_the_tree_does_not_list_is_added_then_removed(publish_small: Publisher) -> None:
    records = make_records(8)
    extra_code = TPS_CODES[0][:10] + "901"  # a special-location TPS of a known desa
    base = next(r for r in records if r.state.counted)
    extra = replace(base, state=replace(base.state, kode_tps=extra_code))
    publish_small(records)
    added = publish_small([*records, extra], at=AT.replace(hour=8))
    removed = publish_small(records, at=AT.replace(hour=9))
    for done, change in ((added, "added"), (removed, "removed")):
        folder = Path(done.location)
        summary = json.loads((folder / "diff" / "summary.json").read_text())
        assert summary["tps"][change] == 1
        lines = gzip.decompress((folder / "diff" / "tps-ppwp.jsonl.gz").read_bytes())
        assert [json.loads(line)["kode_tps"] for line in lines.splitlines()] == [extra_code]


def test_rekap_tps_records_are_one_file_per_desa(publish_small: Publisher) -> None:
    records = make_records(3)
    folder = Path(publish_small(records).location)
    by_desa: dict[str, list[str]] = {}
    for record in records:
        by_desa.setdefault(record.kode_tps[:10], []).append(record.kode_tps)
    files = sorted(folder.rglob("rekap/ppwp/**/tps.json"))
    assert len(files) == len(by_desa)
    for file in files:
        document = json.loads(file.read_text())
        assert file.parent.name == document["kode"]
        assert [t["kode"] for t in document["tps"]] == sorted(by_desa[document["kode"]])
        assert all(t["path"][-1]["kode"] == document["kode"] for t in document["tps"])
    assert not [p for p in folder.rglob("rekap/ppwp/**/*.json") if len(p.stem) == 13]
