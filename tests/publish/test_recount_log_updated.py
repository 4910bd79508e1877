"""The recount checks each TPS's ``updated_at`` against the change log: the time of the newest
event that set its numbers, or for an imported result the ``ts`` Sirekap gave the row its
numbers came from. A snapshot signed by the publisher and consistent in every other way, whose
time of one TPS is another, fails naming the TPS."""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from rekap.adapters.keys import SigningKey
from rekap.domain.result import Provenance, SourceKind
from rekap.events.chain import Recorded, append
from rekap.events.model import PhotosChanged, SourceChanged
from rekap.publish.records import TpsRecord
from rekap.recount import updated_checks
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import make_records
from tests.publish.logs import dated_by, log_for, publish_with_log, rehashed, reseal

RECORDS = make_records(7)
LOG = log_for(RECORDS)
DATED = dated_by(RECORDS, LOG, LOG[-1].sequence)
PARQUET = "data/tps-ppwp.parquet"
UNPLACED = "data/unplaced-ppwp.jsonl"
FIRST = "log/events-000000000001.jsonl.gz"
COMPARED = "TPS updated_at compared with the log"


def _problems(report: RecountReport) -> list[tuple[Kind, str, str]]:
    return [(p.kind, p.path, p.detail) for p in report.problems]


def _text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _swap(records: list[TpsRecord], changed: TpsRecord) -> list[TpsRecord]:
    return [changed if r.kode_tps == changed.kode_tps else r for r in records]


def _imported(records: list[TpsRecord]) -> list[TpsRecord]:
    return [
        r
        for r in records
        if r.source is not None and r.source.kind is SourceKind.IMPORT and r.state.values
    ]


def _later(record: TpsRecord, hours: int = 1) -> TpsRecord:
    assert record.updated_at is not None
    return replace(record, updated_at=record.updated_at + timedelta(hours=hours))


def _bulk_times(folder: Path) -> dict[str, str | None]:
    rows = pq.read_table(folder / PARQUET, columns=["kode_tps", "updated_at"]).to_pylist()
    return {str(r["kode_tps"]): r["updated_at"] for r in rows}


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_fresh_snapshot_agrees_with_the_times_its_log_gives(
    tmp_path: Path, signer: SigningKey, bulk_only: bool
) -> None:
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    report = recount(folder, workers=1, bulk_only=bulk_only)
    assert report.ok, _problems(report)
    assert len([r for r in RECORDS if r.source is not None]) > 10
    # every row, those without a result (and without a time) too
    assert report.checked[COMPARED] == report.checked["TPS compared with the log"]
    # each time is that of the last event the log wrote for the TPS's numbers
    record = _imported(RECORDS)[0]
    last = [
        r.at
        for r in LOG
        if r.kind in ("result.imported", "result.value_changed")
        and r.payload["contest"] == "ppwp"
        and r.payload["kode_tps"] == record.kode_tps
    ][-1]
    assert _bulk_times(folder)[record.kode_tps] == _text(last)


@pytest.mark.parametrize("bulk_only", [False, True])
def test_another_time_is_named(tmp_path: Path, signer: SigningKey, bulk_only: bool) -> None:
    """Signed by the publisher, and the same time in the bulk data, the desa records and the
    Sirekap TPS file: only the log says it is not when the numbers changed."""
    record = _imported(DATED)[2]
    assert record.updated_at is not None
    moved = _later(record)
    folder = publish_with_log(tmp_path / "out", signer, _swap(DATED, moved), LOG, date=False)
    assert _problems(recount(folder, workers=1, bulk_only=bulk_only)) == [
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {record.kode_tps} updated_at: bulk data says "
            f"'{_text(record.updated_at + timedelta(hours=1))}', "
            f"the log says '{_text(record.updated_at)}'",
        )
    ]


def test_a_time_left_out_or_given_to_a_tps_without_a_result_is_named(
    tmp_path: Path, signer: SigningKey
) -> None:
    captured = next(r for r in DATED if r.source is not None and r.state.values)
    received = next(r for r in DATED if r.source is None)
    assert captured.updated_at is not None
    records = _swap(
        _swap(DATED, replace(captured, updated_at=None)),
        replace(received, updated_at=datetime(2024, 2, 14, 10, 0, tzinfo=UTC)),
    )
    folder = publish_with_log(tmp_path / "out", signer, records, LOG, date=False)
    expected = [
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {captured.kode_tps} updated_at: bulk data says nothing, "
            f"the log says '{_text(captured.updated_at)}'",
        ),
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {received.kode_tps} updated_at: bulk data says '2024-02-14T10:00:00Z', "
            "the log says nothing",
        ),
    ]
    assert _problems(recount(folder, workers=1)) == sorted(expected, key=lambda p: p[2])


def _moved(record: TpsRecord, ts: str = "2024-02-21 10:00:00") -> list[Recorded]:
    """``LOG`` with ``record``'s numbers moved to a later Sirekap row (``ts``, in WIB), then
    its photos to a later row still, which moves neither the numbers' row nor their time."""
    assert record.source is not None
    kode = record.kode_tps
    later = (
        SourceChanged(kode, "ppwp", record.source.reference, "b.csv:3", None, ts),
        PhotosChanged(kode, "ppwp", "c.csv:4", "2024-02-22T08:00:00", record.photos, ("new.jpg",)),
    )
    log, previous = list(LOG[:-1]), LOG[-2]
    for event in (*later, LOG[-1].event()):
        previous = append(previous, event, previous.at + timedelta(seconds=1), "test", "")
        log.append(previous)
    return log


def test_an_imported_result_says_the_time_sirekap_gave_its_numbers_row(
    tmp_path: Path, signer: SigningKey
) -> None:
    record = _imported(RECORDS)[1]
    log = _moved(record)
    moved = replace(record, source=Provenance(SourceKind.IMPORT, "b.csv:3"), photos=("new.jpg",))
    folder = publish_with_log(tmp_path / "now", signer, _swap(RECORDS, moved), log)
    assert _bulk_times(folder)[record.kode_tps] == "2024-02-21T03:00:00Z"  # 10:00 WIB
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    # the time of the event that moved the numbers' row is not the row's time
    stale = replace(moved, updated_at=log[-3].at)
    records = _swap(dated_by(_swap(RECORDS, moved), log, log[-1].sequence), stale)
    folder = publish_with_log(tmp_path / "stale", signer, records, log, date=False)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {record.kode_tps} updated_at: bulk data says '{_text(log[-3].at)}', "
            "the log says '2024-02-21T03:00:00Z'",
        )
    ]


def test_unplaced_results_are_compared_too(tmp_path: Path, signer: SigningKey) -> None:
    record = _imported(RECORDS)[0]
    outside = "9999012001001"  # a desa the region tree does not hold
    placed = replace(record, state=replace(record.state, kode_tps=outside))
    log = log_for([*RECORDS, placed])
    folder = publish_with_log(tmp_path / "out", signer, [*RECORDS, placed], log)
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    (dated,) = dated_by([placed], log, log[-1].sequence)
    assert dated.updated_at is not None
    records = [*dated_by(RECORDS, log, log[-1].sequence), _later(dated, 2)]
    folder = publish_with_log(tmp_path / "other", signer, records, log, date=False)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.UNLOGGED,
            UNPLACED,
            f"TPS {outside} updated_at: unplaced list says "
            f"'{_text(dated.updated_at + timedelta(hours=2))}', "
            f"the log says '{_text(dated.updated_at)}'",
        )
    ]


def test_the_differences_are_named_up_to_a_limit(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(updated_checks, "MAX_NAMED", 2)
    records = [_later(r) if r.updated_at else r for r in DATED]
    folder = publish_with_log(tmp_path / "out", signer, records, LOG, date=False)
    found = _problems(recount(folder, workers=1))
    assert [p[0] for p in found] == [Kind.UNLOGGED] * 3
    more = sum(1 for r in DATED if r.updated_at) - 2
    assert found[-1] == (Kind.UNLOGGED, PARQUET, f"… {more} more updated_at differ from the log")


def test_a_log_from_before_imports_carried_their_time_checks_only_the_others(
    tmp_path: Path, signer: SigningKey
) -> None:
    """A ``result.imported`` written before 2026-11-23 carries no ``ts`` (and the imports of
    then moved it without an event): an imported result's time is not compared; one that
    people entered is."""
    first = _imported(RECORDS)[0]  # entered by people instead, in verification task 5
    people = replace(
        first,
        state=replace(first.state, by_people=True),
        source=Provenance(SourceKind.ENTRY, "task 5"),
    )
    entered = _swap(RECORDS, people)
    log = log_for(entered)
    dated = dated_by(entered, log, log[-1].sequence)
    records = [_later(r) if r in _imported(dated) else r for r in dated]
    folder = publish_with_log(tmp_path / "out", signer, records, log, date=False)
    lines = [json.loads(x) for x in gzip.decompress((folder / FIRST).read_bytes()).splitlines()]
    found = _problems(recount(folder, workers=1))
    assert [p[0] for p in found] == [Kind.UNLOGGED] * len(_imported(dated))
    for line in lines:
        if line["kind"] == "result.imported":
            del line["payload"]["photos"], line["payload"]["published_at"]
    lines = rehashed(lines, 0)
    data = gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())
    head = {"sequence": lines[-1]["sequence"], "hash": lines[-1]["hash"]}
    reseal(folder, signer, {FIRST: data}, {"log_head": head})
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    imports = [r for r in dated if r.source is not None and r.source.kind is SourceKind.IMPORT]
    assert people.kode_tps not in {r.kode_tps for r in imports}
    rows = report.checked["TPS compared with the log"]
    assert report.checked[COMPARED] == rows - len(imports)


def test_a_snapshot_from_before_the_rule_is_recounted_with_a_note(
    tmp_path: Path, signer: SigningKey
) -> None:
    """Before 2026-11-22 a result rekap read had no ``updated_at``; its manifest's counts name
    no ``counted_unlisted``, which came after."""
    records = [_later(r) if r.updated_at else r for r in DATED]
    folder = publish_with_log(tmp_path / "out", signer, records, LOG, date=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    counts = {k: v for k, v in manifest["counts"].items() if k != "counted_unlisted"}
    reseal(folder, signer, {}, {"counts": counts})
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    assert report.checked[COMPARED] == 0
    assert any(n.startswith("The TPS's updated_at was not compared") for n in report.notes)


def _without_updated_at(folder: Path) -> dict[str, bytes | None]:
    """The bulk files and their schema with no ``updated_at`` column, as an older publisher
    might have written them."""
    table = pq.read_table(folder / PARQUET)
    parquet = io.BytesIO()
    pq.write_table(table.drop_columns(["updated_at"]), parquet)
    name = "data/tps-ppwp.csv.gz"
    # the last two columns are updated_at and photos (no commas in either here); the csv
    # module would not keep a null apart from an empty text
    lines_in = gzip.decompress((folder / name).read_bytes()).decode().splitlines()
    assert lines_in[0].endswith(',"updated_at","photos"')
    text = "".join(f"{rest},{photos}\n" for rest, _, photos in (x.rsplit(",", 2) for x in lines_in))
    jsonl = "data/tps-ppwp.jsonl.gz"
    lines = [json.loads(x) for x in gzip.decompress((folder / jsonl).read_bytes()).splitlines()]
    for line in lines:
        line.pop("updated_at", None)
    schema = json.loads((folder / "data/schema.json").read_text())
    for columns in schema.values():
        if isinstance(columns, list):
            columns[:] = [c for c in columns if c.get("name") != "updated_at"]
    return {
        PARQUET: parquet.getvalue(),
        name: gzip.compress(text.encode()),
        jsonl: gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()),
        "data/schema.json": json.dumps(schema).encode(),
    }


def test_a_snapshot_without_the_column_is_recounted_with_a_note(
    tmp_path: Path, signer: SigningKey
) -> None:
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    reseal(folder, signer, _without_updated_at(folder))
    report = recount(folder, workers=1, bulk_only=True)
    assert report.ok, _problems(report)
    assert report.checked["TPS compared with the log"] > 0
    assert report.checked[COMPARED] == 0
    assert any("has no updated_at column" in n for n in report.notes)


TS_READ = {
    "2024-02-21T10:00:00": "2024-02-21T03:00:00Z",  # Sirekap's other form, WIB too
    "2024-02-21 10:00:00.5": "2024-02-21T03:00:00.500000Z",
    "2024-02-21T10:00:00+08:00": "2024-02-21T02:00:00Z",  # an offset of its own
    "2024-02-21T10:00:00Z": "2024-02-21T10:00:00Z",
    "2024-02-30 10:00:00": None,  # not a time: none
    "0000-01-01 00:00:00": None,
    "kemarin": None,
}


@pytest.mark.parametrize("ts", sorted(TS_READ))
def test_each_way_sirekap_wrote_a_ts_is_read_as_the_publisher_reads_it(
    tmp_path: Path, signer: SigningKey, ts: str
) -> None:
    record = _imported(RECORDS)[1]
    log = _moved(record, ts)
    moved = replace(record, source=Provenance(SourceKind.IMPORT, "b.csv:3"), photos=("new.jpg",))
    folder = publish_with_log(tmp_path / "out", signer, _swap(RECORDS, moved), log)
    assert _bulk_times(folder)[record.kode_tps] == TS_READ[ts]
    report = recount(folder, workers=1, bulk_only=True)
    assert report.ok, _problems(report)
    # a second later is named, with the time the log gives
    dated = dated_by(_swap(RECORDS, moved), log, log[-1].sequence)
    other = datetime(2024, 2, 21, 3, 0, 1, tzinfo=UTC)
    folder = publish_with_log(
        tmp_path / "off", signer, _swap(dated, replace(moved, updated_at=other)), log, date=False
    )
    expected = "nothing" if TS_READ[ts] is None else repr(TS_READ[ts])
    assert _problems(recount(folder, workers=1, bulk_only=True)) == [
        (
            Kind.UNLOGGED,
            PARQUET,
            f"TPS {record.kode_tps} updated_at: bulk data says '2024-02-21T03:00:01Z', "
            f"the log says {expected}",
        )
    ]
