"""Publication writes the change log up to the manifest's head: gzip JSON Lines in files of
fixed event ranges, the API's shape, byte-identical for the same log, listed and signed."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.events.chain import Recorded
from rekap.publish import change_log
from rekap.publish.change_log import LogMismatch, log_files
from rekap.publish.records import LogHead
from rekap.publish.snapshot import publish_snapshot
from rekap.web.routes_public import record_json
from tests.publish.conftest import Publisher, make_records, request_for
from tests.publish.logs import log_for, publish_with_log

RECORDS = make_records(3)
LOG = log_for(RECORDS)


def _head(record: Recorded) -> LogHead:
    return LogHead(record.sequence, record.hash)


def _lines(data: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


def test_a_snapshot_holds_its_log_in_the_apis_shape(tmp_path: Path, signer: SigningKey) -> None:
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["log_head"] == {"sequence": LOG[-1].sequence, "hash": LOG[-1].hash}
    files = sorted(p for p in manifest["files"] if p.startswith("log/"))
    assert files == ["log/events-000000000001.jsonl.gz"]
    assert f"  {files[0]}\n" in (folder / "SHA256SUMS").read_text()
    lines = _lines((folder / files[0]).read_bytes())
    assert lines == [record_json(r) for r in LOG]  # what GET /api/v1/log serves


def test_files_hold_fixed_event_ranges_that_never_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(change_log, "EVENTS_PER_FILE", 7)
    shorter = dict(log_files(LOG[:20], _head(LOG[19])))
    longer = dict(log_files(LOG, _head(LOG[-1])))
    assert list(shorter) == [f"log/events-{n:012d}.jsonl.gz" for n in (1, 8, 15)]
    assert list(longer)[:3] == list(shorter)
    assert len(longer) == -(-len(LOG) // 7)
    for path in list(shorter)[:2]:  # full files: the same bytes in every later snapshot
        assert shorter[path] == longer[path]
    assert shorter["log/events-000000000015.jsonl.gz"] != longer["log/events-000000000015.jsonl.gz"]
    firsts = [_lines(data)[0]["sequence"] for data in longer.values()]
    assert firsts == list(range(1, len(LOG) + 1, 7))
    assert sum(len(_lines(data)) for data in longer.values()) == len(LOG)


def test_events_after_the_head_stay_out() -> None:
    head = LOG[len(LOG) // 2]
    (_, data), *rest = log_files(LOG, _head(head))
    assert not rest
    assert _lines(data)[-1]["hash"] == head.hash


def _shuffled(record: Recorded, rng: random.Random) -> Recorded:
    """The same event with its payload's keys in another order (as another store returns it)."""
    items = list(record.payload.items())
    rng.shuffle(items)
    payload = {k: (dict(reversed(v.items())) if isinstance(v, dict) else v) for k, v in items}
    return Recorded(
        record.sequence,
        record.kind,
        record.at,
        record.actor,
        record.reason,
        payload,
        record.previous_hash,
        record.hash,
    )


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_the_same_log_gives_byte_identical_files(seed: int) -> None:
    rng = random.Random(seed)
    again = [_shuffled(r, rng) for r in LOG]
    assert list(log_files(again, _head(LOG[-1]))) == list(log_files(LOG, _head(LOG[-1])))


def test_a_log_that_does_not_reach_its_head_is_refused() -> None:
    with pytest.raises(LogMismatch, match="ends at event"):
        list(log_files(LOG[:-1], _head(LOG[-1])))
    with pytest.raises(LogMismatch, match="has hash"):
        list(log_files(LOG, LogHead(LOG[-1].sequence, "0" * 64)))
    with pytest.raises(LogMismatch, match="where event 2 was expected"):
        list(log_files([LOG[0], *LOG[2:]], _head(LOG[-1])))


def test_a_refused_log_leaves_no_snapshot(tmp_path: Path, signer: SigningKey) -> None:
    out = tmp_path / "out"
    with pytest.raises(LogMismatch):
        publish_with_log(out, signer, RECORDS, LOG[:-3], head=LOG[-1])
    assert not (out / "latest").exists()
    assert [p.name for p in out.iterdir()] == []


def test_a_head_without_its_log_is_a_bug(tmp_path: Path, signer: SigningKey) -> None:
    request = replace(request_for(RECORDS), log_head=_head(LOG[-1]))
    with pytest.raises(ValueError, match="carries the log"):
        publish_snapshot(request, DirectorySnapshotStore(tmp_path / "out"), signer)
    with pytest.raises(LogMismatch, match="ends at event 0"):
        publish_snapshot(request, DirectorySnapshotStore(tmp_path / "out"), signer, log=[])


def test_no_head_no_log_files(tmp_path: Path, publish_small: Publisher) -> None:
    folder = Path(publish_small(RECORDS).location)
    assert not (folder / "log").exists()
    assert not any("log/" in line for line in (folder / "SHA256SUMS").read_text().splitlines())
