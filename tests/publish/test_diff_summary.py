"""diff/summary.json: the first snapshot counts every row as added; a snapshot of another
scope than the previous one says so, and names both scopes."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.run import recount
from tests.publish.conftest import AT, WARNING, make_records, request_for

RECORDS = make_records(7)


def _publish(
    out: Path, signer: SigningKey, scope: tuple[str, ...], hours: int
) -> dict[str, object]:
    store = DirectorySnapshotStore(out)
    request = replace(
        request_for(RECORDS, AT + timedelta(hours=hours), scope), previous=store.previous("ppwp")
    )
    folder = Path(publish_snapshot(request, store, signer).location)
    summary: dict[str, object] = json.loads((folder / "diff" / "summary.json").read_text())
    return summary


def test_the_first_snapshot_counts_every_row_as_added(tmp_path: Path, signer: SigningKey) -> None:
    first = _publish(tmp_path / "out", signer, (), 0)
    folder = tmp_path / "out" / (tmp_path / "out" / "latest").read_text().strip()
    rows = json.loads((folder / "manifest.json").read_text())["counts"]["tps_rows"]
    assert first["previous"] is None and first["scope_changed"] is False
    assert first["tps"] == {"added": rows, "removed": 0, "changed": 0, "unchanged": 0}
    again = _publish(tmp_path / "out", signer, (), 1)
    assert again["tps"] == {"added": 0, "removed": 0, "changed": 0, "unchanged": rows}


def test_another_scope_is_said(tmp_path: Path, signer: SigningKey) -> None:
    _publish(tmp_path / "out", signer, ("1101",), 0)
    same = _publish(tmp_path / "out", signer, ("1101",), 1)
    assert same["scope_changed"] is False and same["scope"] == ["1101"]
    other = _publish(tmp_path / "out", signer, ("1102",), 2)
    assert other["scope_changed"] is True
    assert other["scope"] == ["1102"]
    previous = other["previous"]
    assert isinstance(previous, dict) and previous["scope"] == ["1101"]
    tps = other["tps"]
    assert isinstance(tps, dict) and tps["removed"] > 0 and tps["added"] > 0


def test_a_replaced_photo_and_a_new_warning_are_changes(tmp_path: Path, signer: SigningKey) -> None:
    """The numbers unchanged, the evidence is not: Sirekap's 2024 photos were replaced
    silently, and a warning that fires is news to a reader of the diff."""
    out = tmp_path / "out"
    records = make_records(7)
    store = DirectorySnapshotStore(out)
    publish_snapshot(request_for(records, AT), store, signer)
    photo = next(r for r in records if r.photos)
    warned = next(r for r in records if not r.findings and r is not photo)
    after = [
        replace(r, photos=(None, "https://photos.example/new-2.jpg"))
        if r is photo
        else (replace(r, findings=(WARNING,)) if r is warned else r)
        for r in records
    ]
    request = replace(request_for(after, AT + timedelta(hours=1)), previous=store.previous("ppwp"))
    folder = Path(publish_snapshot(request, store, signer).location)
    summary = json.loads((folder / "diff" / "summary.json").read_text())
    assert summary["tps"]["changed"] == 2
    assert summary["fields_changed"] == {"photos": 1, "warning_rules": 1}
    lines = gzip.decompress((folder / "diff" / "tps-ppwp.jsonl.gz").read_bytes()).splitlines()
    changes = {c["kode_tps"]: c["fields"] for c in map(json.loads, lines)}
    assert changes[photo.kode_tps] == {
        "photos": [
            f"https://photos.example/{photo.kode_tps}-1.jpg",
            "- https://photos.example/new-2.jpg",
        ]
    }
    assert changes[warned.kode_tps] == {"warning_rules": ["", "W-TURNOUT"]}
    assert recount(folder, workers=1).ok
