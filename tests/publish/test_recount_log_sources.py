"""The recount checks where each imported TPS result came from against the change log: the
row its numbers came from and its photos, as the bulk data and the unplaced list publish them,
against what ``result.imported``, ``result.source_changed`` and ``result.photos_changed`` say.
A snapshot whose source or photos of one TPS were swapped, signed by the publisher and
consistent in every other way, fails naming the TPS."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.domain.result import Provenance, SourceKind
from rekap.events.chain import Recorded, append
from rekap.events.model import FormAssessed, PhotosChanged, PhotoStateChanged, SourceChanged
from rekap.publish.records import TpsRecord
from rekap.recount import source_checks
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import make_records
from tests.publish.logs import extended, log_for, publish_with_log, rehashed, reseal

RECORDS = make_records(7)
LOG = log_for(RECORDS)
PARQUET = "data/tps-ppwp.parquet"
UNPLACED = "data/unplaced-ppwp.jsonl"
FIRST = "log/events-000000000001.jsonl.gz"


def _problems(report: RecountReport) -> list[tuple[Kind, str, str]]:
    return [(p.kind, p.path, p.detail) for p in report.problems]


def _imported(records: list[TpsRecord]) -> list[TpsRecord]:
    return [r for r in records if r.source is not None and r.source.kind is SourceKind.IMPORT]


def _reference(record: TpsRecord) -> str:
    assert record.source is not None
    return record.source.reference


def _swap(records: list[TpsRecord], changed: TpsRecord) -> list[TpsRecord]:
    return [changed if r.kode_tps == changed.kode_tps else r for r in records]


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_fresh_snapshot_agrees_with_the_sources_its_log_gives(
    tmp_path: Path, signer: SigningKey, bulk_only: bool
) -> None:
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    report = recount(folder, workers=1, bulk_only=bulk_only)
    assert report.ok, _problems(report)
    imported = _imported(RECORDS)
    assert len(imported) > 5
    assert report.checked["TPS sources compared with the log"] == len(imported)


@pytest.mark.parametrize("bulk_only", [False, True])
def test_another_source_row_is_named(tmp_path: Path, signer: SigningKey, bulk_only: bool) -> None:
    record = _imported(RECORDS)[2]
    claimed = replace(record, source=Provenance(SourceKind.IMPORT, "other.csv:7"))
    folder = publish_with_log(tmp_path / "out", signer, _swap(RECORDS, claimed), LOG)
    assert _problems(recount(folder, workers=1, bulk_only=bulk_only)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {record.kode_tps} source_ref: bulk data says 'other.csv:7', "
            f"the log says {_reference(record)!r}",
        )
    ]


def test_swapped_photos_are_named_page_by_page(tmp_path: Path, signer: SigningKey) -> None:
    record = _imported(RECORDS)[3]
    (logged,) = record.photos
    swapped = replace(record, photos=("https://photos.example/other.jpg", None, "p3.jpg"))
    folder = publish_with_log(tmp_path / "out", signer, _swap(RECORDS, swapped), LOG)
    kode = record.kode_tps
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {kode} photo of page 1: bulk data says 'https://photos.example/other.jpg', "
            f"the log says {logged!r}",
        ),
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {kode} photo of page 3: bulk data says 'p3.jpg', the log says nothing",
        ),
    ]


def test_a_result_the_log_never_imported_is_named(tmp_path: Path, signer: SigningKey) -> None:
    """Photos only (no numbers, no import in the log), published as an imported result."""
    received = next(r for r in RECORDS if not r.state.values)
    claimed = replace(received, source=Provenance(SourceKind.IMPORT, "test.csv:5"))
    folder = publish_with_log(tmp_path / "out", signer, _swap(RECORDS, claimed), LOG)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {received.kode_tps} source: bulk data says imported from 'test.csv:5', "
            "the log imports nothing",
        )
    ]


def test_an_imported_result_published_as_read_from_photos_is_not_compared_as_imported(
    tmp_path: Path, signer: SigningKey
) -> None:
    """rekap read (or people entered) the numbers after the import: no event moves the
    import's source then, so another kind of source is not a difference; its photo is one
    the log received for the page (``tests.publish.logs``: ``"ab" * 32`` of page 1), read
    after the import and accepted with the same numbers (so no number changes), as the
    captured TPS's photos are compared (``test_recount_log_captured``)."""
    record = _imported(RECORDS)[0]
    kode = record.kode_tps
    photo_id = next(
        r.payload["photo_id"]
        for r in LOG
        if r.kind == "photo.received" and r.payload["kode_tps"] == kode
    )
    log = extended(
        LOG,
        [
            PhotoStateChanged(kode, photo_id, "received", "checked", ""),
            FormAssessed(kode, "ppwp", "accepted", ()),
            PhotoStateChanged(kode, photo_id, "checked", "accepted", ""),
        ],
    )
    read = replace(record, source=Provenance(SourceKind.PHOTO, "ab" * 32), photos=("ab" * 32,))
    folder = publish_with_log(tmp_path / "out", signer, _swap(RECORDS, read), log)
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    assert report.checked["TPS sources compared with the log"] == len(_imported(RECORDS)) - 1


def _moved(record: TpsRecord) -> list[Recorded]:
    """``LOG`` with ``record``'s numbers moved to another row and its photos replaced after
    it (the head moves on: the snapshot-published event stays last)."""
    kode, row = record.kode_tps, _reference(record)
    later = (
        SourceChanged(kode, "ppwp", row, "later.csv:3", None, "2024-02-21 10:00:00"),
        PhotosChanged(kode, "ppwp", "later.csv:4", None, record.photos, ("new-1.jpg", None, "3")),
    )
    log, previous = list(LOG[:-1]), LOG[-2]
    for event in (*later, LOG[-1].event()):
        previous = append(previous, event, previous.at + timedelta(seconds=1), "test", "")
        log.append(previous)
    return log


def test_a_source_and_photos_moved_by_later_events_are_replayed(
    tmp_path: Path, signer: SigningKey
) -> None:
    record = _imported(RECORDS)[1]
    log = _moved(record)
    moved = replace(
        record,
        source=Provenance(SourceKind.IMPORT, "later.csv:3"),
        photos=("new-1.jpg", None, "3"),
    )
    folder = publish_with_log(tmp_path / "now", signer, _swap(RECORDS, moved), log)
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    # the snapshot that still shows the import's row and photos misses both moves
    folder = publish_with_log(tmp_path / "stale", signer, RECORDS, log)
    kode = record.kode_tps
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {kode} source_ref: bulk data says {_reference(record)!r}, "
            "the log says 'later.csv:3'",
        ),
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {kode} photo of page 1: bulk data says {record.photos[0]!r}, "
            "the log says 'new-1.jpg'",
        ),
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {kode} photo of page 3: bulk data says nothing, the log says '3'",
        ),
    ]


def test_unplaced_results_are_compared_too(tmp_path: Path, signer: SigningKey) -> None:
    record = _imported(RECORDS)[0]
    outside = "9999012001001"  # a desa the region tree does not hold
    placed = replace(record, state=replace(record.state, kode_tps=outside))
    log = log_for([*RECORDS, placed])
    folder = publish_with_log(tmp_path / "out", signer, [*RECORDS, placed], log)
    assert recount(folder, workers=1).ok
    swapped = replace(placed, photos=("https://photos.example/other.jpg",))
    folder = publish_with_log(tmp_path / "other", signer, [*RECORDS, swapped], log)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            UNPLACED,
            f"TPS {outside} photo of page 1: unplaced list says "
            f"'https://photos.example/other.jpg', the log says {placed.photos[0]!r}",
        )
    ]


def test_a_log_from_before_imports_carried_photos_checks_only_the_import(
    tmp_path: Path, signer: SigningKey
) -> None:
    """A ``result.imported`` written before 2026-11-23 carries no photos: the imports of then
    moved a TPS's row and photos without an event, so neither is compared; that the TPS was
    imported is."""
    record = _imported(RECORDS)[2]
    folder = publish_with_log(
        tmp_path / "out",
        signer,
        _swap(RECORDS, replace(record, source=Provenance(SourceKind.IMPORT, "other.csv:7"))),
        LOG,
    )
    old = [json.loads(line) for line in gzip.decompress((folder / FIRST).read_bytes()).splitlines()]
    for line in old:
        if line["kind"] == "result.imported":
            del line["payload"]["photos"], line["payload"]["published_at"]
    old = rehashed(old, 0)
    data = gzip.compress("".join(json.dumps(line) + "\n" for line in old).encode())
    head = {"sequence": old[-1]["sequence"], "hash": old[-1]["hash"]}
    reseal(folder, signer, {FIRST: data}, {"log_head": head})
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    assert report.checked["TPS sources compared with the log"] == len(_imported(RECORDS))


def test_the_differences_are_named_up_to_a_limit(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_checks, "MAX_NAMED", 2)
    claimed = [replace(r, source=Provenance(SourceKind.IMPORT, "other.csv:7")) for r in RECORDS]
    folder = publish_with_log(tmp_path / "out", signer, claimed, LOG)
    found = _problems(recount(folder, workers=1))
    # every record now claims a row the log does not give (or an import it never logged)
    assert [p[0] for p in found] == [Kind.SOURCE] * 3
    assert found[-1][2] == f"… {len(RECORDS) - 2} more sources or photos differ from the log"


def test_photos_the_log_cannot_replay_break_the_log(tmp_path: Path, signer: SigningKey) -> None:
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    lines = [json.loads(x) for x in gzip.decompress((folder / FIRST).read_bytes()).splitlines()]
    at = next(i for i, x in enumerate(lines) if x["kind"] == "result.imported")
    lines[at]["payload"]["photos"] = "one.jpg"
    lines = rehashed(lines, at)
    data = gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())
    head = {"sequence": lines[-1]["sequence"], "hash": lines[-1]["hash"]}
    reseal(folder, signer, {FIRST: data}, {"log_head": head})
    sequence = lines[at]["sequence"]
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.LOG,
            FIRST,
            f"event {sequence} (result.imported) cannot be replayed: "
            "'one.jpg' is not a list of photos",
        )
    ]


def _desa_records(kode: str) -> str:
    return f"rekap/ppwp/{kode[:2]}/{kode[:4]}/{kode[:6]}/{kode[:10]}/tps.json"


SOURCE_CHANGES = {
    "another row": lambda s: {**s, "reference": "other.csv:7"},
    "another kind": lambda s: {**s, "kind": "entry"},
    "no source": lambda s: None,
    "not a source": lambda s: "test.csv:2",
}


@pytest.mark.parametrize("name", sorted(SOURCE_CHANGES))
def test_a_desa_records_source_is_held_to_the_bulk_data_with_deep(
    tmp_path: Path, signer: SigningKey, name: str
) -> None:
    """The desa records' ``source`` against the bulk row (which the log holds): a record that
    names another source than its row is named with ``--deep``; without it the file is
    hashed only."""
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    assert recount(folder, workers=1, deep=True).ok
    kode = _imported(RECORDS)[4].kode_tps
    path = _desa_records(kode)
    document = json.loads((folder / path).read_text())
    (record,) = [r for r in document["tps"] if r["kode"] == kode]
    record["source"] = SOURCE_CHANGES[name](record["source"])
    reseal(folder, signer, {path: json.dumps(document, ensure_ascii=False).encode()})
    assert recount(folder, workers=1).ok
    problems = _problems(recount(folder, workers=1, deep=True))
    shown = repr(record["source"])
    assert problems == [
        (
            Kind.MISMATCH,
            path,
            f"{kode}: source {shown} differs from the bulk source_kind and source_ref",
        )
    ]
