"""The recount checks the snapshot's change log: the chain from the first event, its end at the
manifest's head, and every TPS number of the bulk data against the log's replay."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.publish import change_log
from rekap.publish.records import TpsRecord
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import Publisher, make_records
from tests.publish.logs import assert_chain_broken, log_for, publish_with_log, rehashed, reseal

RECORDS = make_records(7)
LOG = log_for(RECORDS)
FIRST = "log/events-000000000001.jsonl.gz"
PARQUET = "data/tps-ppwp.parquet"


def _problems(report: RecountReport) -> list[tuple[Kind, str, str]]:
    return [(p.kind, p.path, p.detail) for p in report.problems]


def _lines(folder: Path, path: str = FIRST) -> list[dict[str, object]]:
    return [json.loads(line) for line in gzip.decompress((folder / path).read_bytes()).splitlines()]


def _gz(lines: list[dict[str, object]]) -> bytes:
    return gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())


@pytest.fixture
def snapshot(tmp_path: Path, signer: SigningKey) -> Path:
    return publish_with_log(tmp_path / "out", signer, RECORDS, LOG)


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_fresh_snapshot_agrees_with_its_log(snapshot: Path, bulk_only: bool) -> None:
    report = recount(snapshot, workers=1, bulk_only=bulk_only)
    assert report.ok, _problems(report)
    assert len(report.notes) == bulk_only  # --bulk-only says what it left out
    assert report.checked["log events verified"] == len(LOG)
    assert report.checked["TPS compared with the log"] == report.checked["TPS rows checked"]


def _held(records: list[TpsRecord]) -> TpsRecord:
    return next(r for r in records if r.state.blocking)


def _counted(records: list[TpsRecord]) -> TpsRecord:
    return next(r for r in records if r.state.counted)


def _with(record: TpsRecord, **values: int) -> TpsRecord:
    return replace(record, state=replace(record.state, values={**record.state.values, **values}))


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_number_the_log_does_not_give_is_named(
    tmp_path: Path, signer: SigningKey, bulk_only: bool
) -> None:
    """Signed by the publisher and consistent in every other way: only the log says these
    numbers were never recorded (a held TPS's numbers are published, so they are compared)."""
    held, counted = _held(RECORDS), _counted(RECORDS)
    paslon_2, dpt_j = held.state.values["paslon_2"], counted.state.values["dpt_j"]
    swap = {
        held.kode_tps: _with(held, paslon_2=paslon_2 + 8),
        counted.kode_tps: _with(counted, dpt_j=dpt_j + 1),
    }
    folder = publish_with_log(
        tmp_path / "out", signer, [swap.get(r.kode_tps, r) for r in RECORDS], LOG
    )
    expected = [
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {held.kode_tps} paslon_2: bulk data says {paslon_2 + 8}, the log says {paslon_2}",
        ),
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {counted.kode_tps} dpt_j: bulk data says {dpt_j + 1}, the log says {dpt_j}",
        ),
    ]
    found = _problems(recount(folder, workers=1, bulk_only=bulk_only))
    assert found == sorted(expected, key=lambda p: p[2])


def test_a_result_left_out_or_added_is_named(tmp_path: Path, signer: SigningKey) -> None:
    counted = _counted(RECORDS)
    received = next(r for r in RECORDS if not r.state.values)
    records = [_with(r, paslon_1=5) if r is received else r for r in RECORDS if r is not counted]
    folder = publish_with_log(tmp_path / "out", signer, records, LOG)
    problems = _problems(recount(folder, workers=1))
    lost = [
        f"TPS {counted.kode_tps} {field}: bulk data says nothing, the log says {value}"
        for field, value in sorted(counted.state.values.items())
    ]
    added = f"TPS {received.kode_tps} paslon_1: bulk data says 5, the log says nothing"
    unlogged = [p for p in problems if p[0] is Kind.UNLOGGED]
    assert unlogged == [(Kind.UNLOGGED, PARQUET, detail) for detail in sorted([*lost, added])]
    # counted with one vote only: the rules were never run on the numbers added; and the
    # result left out was imported: the snapshot gives no source for it
    assert counted.source is not None
    unsourced = (
        f"TPS {counted.kode_tps} source: the snapshot gives none, "
        f"the log says imported from {counted.source.reference!r}"
    )
    others = [p for p in problems if p[0] is not Kind.UNLOGGED]
    assert others == [
        (Kind.IDENTITY, PARQUET, f"TPS {received.kode_tps}: every vote given"),
        (Kind.SOURCE, PARQUET, unsourced),
    ]


def _alter_an_import(lines: list[dict[str, object]]) -> int:
    """Add 10 to paslon_2 in the first imported result; its index in ``lines``."""
    at = next(i for i, line in enumerate(lines) if line["kind"] == "result.imported")
    payload = lines[at]["payload"]
    assert isinstance(payload, dict)
    payload["values"]["paslon_2"] += 10
    return at


@pytest.mark.parametrize("bulk_only", [False, True])
def test_an_altered_event_breaks_the_chain(
    snapshot: Path, signer: SigningKey, bulk_only: bool
) -> None:
    lines = _lines(snapshot)
    at = _alter_an_import(lines)
    reseal(snapshot, signer, {FIRST: _gz(lines)})
    report = recount(snapshot, workers=1, bulk_only=bulk_only)
    assert_chain_broken(report, FIRST, at)


def test_a_rechained_log_misses_the_signed_head(snapshot: Path, signer: SigningKey) -> None:
    lines = _lines(snapshot)
    at = _alter_an_import(lines)
    lines = rehashed(lines, at)
    reseal(snapshot, signer, {FIRST: _gz(lines)})
    assert _problems(recount(snapshot, workers=1)) == [
        (
            Kind.LOG,
            FIRST,
            f"event {len(LOG)} has hash {lines[-1]['hash']}, the manifest names {LOG[-1].hash}",
        )
    ]


def test_a_log_cut_short_is_named(snapshot: Path, signer: SigningKey) -> None:
    reseal(snapshot, signer, {FIRST: _gz(_lines(snapshot)[:-4])})
    report = recount(snapshot, workers=1)
    assert _problems(report) == [
        (Kind.LOG, FIRST, f"the log ends at {len(LOG) - 4}, the manifest names {len(LOG)}")
    ]


def test_a_log_file_left_out_is_named(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(change_log, "EVENTS_PER_FILE", 10)
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    files = sorted(p.name for p in (folder / "log").iterdir())
    assert len(files) == -(-len(LOG) // 10) > 2
    assert recount(folder, workers=1).ok
    last = (len(files) - 1) * 10
    reseal(folder, signer, {f"log/{files[-1]}": None})
    assert _problems(recount(folder, workers=1)) == [
        (Kind.LOG, f"log/{files[-2]}", f"the log ends at {last}, the manifest names {len(LOG)}")
    ]
    reseal(folder, signer, {f"log/{files[1]}": None})  # a gap: the chain skips ten events
    assert _problems(recount(folder, workers=1)) == [
        (Kind.LOG, f"log/{files[2]}", "log chain broken at sequence 21: sequence 21 follows 10")
    ]


def test_a_misnamed_or_unreadable_log_file_is_named(snapshot: Path, signer: SigningKey) -> None:
    data = (snapshot / FIRST).read_bytes()
    other = "log/events-000000000002.jsonl.gz"
    reseal(snapshot, signer, {FIRST: None, other: data})
    assert _problems(recount(snapshot, workers=1)) == [
        (Kind.LOG, other, "starts at event 1, its name says 2")
    ]
    garbled = gzip.decompress(data).replace(b'"kind"', b'"kinds"', 1)
    reseal(snapshot, signer, {other: gzip.compress(garbled)})
    problems = _problems(recount(snapshot, workers=1))
    assert problems == [(Kind.LOG, other, "line 1: not an event ('kind')")]


def test_a_head_without_log_files_fails(snapshot: Path, signer: SigningKey) -> None:
    reseal(snapshot, signer, {FIRST: None})
    assert _problems(recount(snapshot, workers=1)) == [
        (Kind.LOG, "log/", f"the manifest names log head {len(LOG)}, but no log files")
    ]


def test_a_snapshot_published_before_snapshots_carried_the_log_gets_a_note(
    snapshot: Path, signer: SigningKey
) -> None:
    assert json.loads((snapshot / "manifest.json").read_text())["format"] == "rekap-snapshot/2"
    reseal(snapshot, signer, {FIRST: None}, {"format": "rekap-snapshot/1"})
    report = recount(snapshot, workers=1)
    assert report.ok, report.problems
    assert any("published before snapshots carried it" in n for n in report.notes)


def test_a_snapshot_without_a_log_head_is_recounted_with_a_note(
    publish_small: Publisher,
) -> None:
    folder = Path(publish_small(RECORDS).location)
    report = recount(folder, workers=1)
    assert report.ok
    assert report.notes == [
        "The change log was not checked: the manifest names no log head "
        "(nothing was logged, or a snapshot made without rekap's store)."
    ]


def test_a_scoped_snapshot_compares_its_own_tps(tmp_path: Path, signer: SigningKey) -> None:
    inside = [r for r in RECORDS if r.kode_tps.startswith("99")]
    folder = publish_with_log(tmp_path / "out", signer, inside, LOG, scope=("99",))
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    assert report.checked["TPS compared with the log"] == report.checked["TPS rows checked"]


def test_unplaced_results_are_compared_too(tmp_path: Path, signer: SigningKey) -> None:
    counted = _counted(RECORDS)
    outside = "9999012001001"  # a desa the region tree does not hold
    placed = replace(counted, state=replace(counted.state, kode_tps=outside))
    log = log_for([*RECORDS, placed])
    folder = publish_with_log(tmp_path / "out", signer, [*RECORDS, placed], log)
    assert (folder / "data/unplaced-ppwp.jsonl").read_text().count(outside) == 1
    assert recount(folder, workers=1).ok
    wrong = _with(placed, paslon_3=1000)
    folder = publish_with_log(tmp_path / "other", signer, [*RECORDS, wrong], log)
    logged = placed.state.values["paslon_3"]
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.UNLOGGED,
            "data/unplaced-ppwp.jsonl",
            f"TPS {outside} paslon_3: unplaced list says 1000, the log says {logged}",
        )
    ]
