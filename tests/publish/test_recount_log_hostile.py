"""`rekap recount` reads a hostile change log safely: a log file that failed its hash is not
read, a record is replayed only once the chain has accepted it, a record the chain accepts but
that cannot be replayed is a broken log, and no line is read past ``MAX_LINE``. Never a
traceback, never a gigabyte in memory."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.domain.result import Provenance, SourceKind
from rekap.recount import log_read
from rekap.recount.log_read import LogReader, LogUnreadable
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import make_records, signer
from tests.publish.logs import assert_chain_broken, log_for, publish_with_log, rehashed, reseal

__all__ = ["signer"]  # the fixture of tests/publish, used here
RECORDS = make_records(7)
LOG = log_for(RECORDS)
CAPTURED = [
    replace(r, source=Provenance(SourceKind.PHOTO, f"{n:064x}"), photos=(f"{n:064x}",))
    if r.state.values
    else r
    for n, r in enumerate(RECORDS)
]
"""Every result read from one photo of page 1: the log receives, reads and accepts each."""
CAPTURED_LOG = log_for(CAPTURED)
FIRST = "log/events-000000000001.jsonl.gz"
Line = dict[str, object]


@pytest.fixture
def snapshot(tmp_path: Path, signer: SigningKey) -> Path:
    return publish_with_log(tmp_path / "out", signer, RECORDS, LOG)


def _problems(report: RecountReport) -> list[tuple[Kind, str, str]]:
    return [(p.kind, p.path, p.detail) for p in report.problems]


def _log(folder: Path) -> list[bytes]:
    """The first log file's lines, each with its newline."""
    return gzip.decompress((folder / FIRST).read_bytes()).splitlines(keepends=True)


def _lines(folder: Path) -> list[Line]:
    return [json.loads(line) for line in _log(folder)]


def _gz(lines: list[Line]) -> bytes:
    return gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())


def _payload(line: Line) -> dict[str, object]:
    payload = line["payload"]
    assert isinstance(payload, dict)
    return payload


def _values(line: Line) -> dict[str, object]:
    values = _payload(line)["values"]
    assert isinstance(values, dict)
    return values


def _text(line: Line) -> None:
    _values(line)["paslon_1"] = "abc"


def _null(line: Line) -> None:
    _values(line)["paslon_1"] = None


def _quoted(line: Line) -> None:
    """The same number, as JSON text: ``int()`` would read it as the number itself."""
    values = _values(line)
    values["paslon_1"] = str(values["paslon_1"])


def _boolean(line: Line) -> None:
    _values(line)["paslon_1"] = True


def _listed(line: Line) -> None:
    _payload(line)["values"] = [1, 2]


def _no_kode(line: Line) -> None:
    del _payload(line)["kode_tps"]


def _other_kind(line: Line) -> None:
    line["kind"] = "result.value_changed"


ALTERATIONS: dict[str, tuple[Callable[[Line], None], str]] = {
    "a number as text": (_text, "paslon_1: 'abc' is not a JSON integer"),
    "a null number": (_null, "paslon_1: None is not a JSON integer"),
    "a number as quoted digits": (_quoted, "paslon_1: '"),
    "a number as a boolean": (_boolean, "paslon_1: True is not a JSON integer"),
    "values as a list": (_listed, "'list' object has no attribute 'items'"),
    "no kode_tps": (_no_kode, "no 'kode_tps'"),
    "an import called a change": (_other_kind, "no 'after'"),
}


def _altered(folder: Path, alter: Callable[[Line], None]) -> tuple[list[Line], int]:
    """The log's lines with the first imported result altered, and that result's index."""
    lines = _lines(folder)
    at = next(i for i, line in enumerate(lines) if line["kind"] == "result.imported")
    alter(lines[at])
    return lines, at


@pytest.mark.parametrize("alteration", ALTERATIONS)
def test_an_altered_log_file_that_fails_its_hash_is_not_read(
    snapshot: Path, alteration: str
) -> None:
    """No key needed: the file no longer matches the manifest, so it is named and not read."""
    lines, _ = _altered(snapshot, ALTERATIONS[alteration][0])
    (snapshot / FIRST).write_bytes(_gz(lines))
    report = recount(snapshot, workers=1)
    assert [p.path for p in report.problems] == [FIRST]
    assert report.problems[0].kind in (Kind.CORRUPTED, Kind.TRUNCATED)
    assert report.notes == [f"The change log was not checked: {FIRST} failed its check."]
    assert report.checked["log events verified"] == 0


@pytest.mark.parametrize("alteration", ALTERATIONS)
def test_an_altered_event_is_not_replayed_before_the_chain_refuses_it(
    snapshot: Path, signer: SigningKey, alteration: str
) -> None:
    """Re-signed, so the file passes its hash; its hash no longer holds, so it is never
    applied."""
    lines, at = _altered(snapshot, ALTERATIONS[alteration][0])
    reseal(snapshot, signer, {FIRST: _gz(lines)})
    report = recount(snapshot, workers=1)
    assert_chain_broken(report, FIRST, at)


@pytest.mark.parametrize("alteration", ALTERATIONS)
def test_an_event_the_chain_holds_but_that_cannot_be_replayed_is_a_broken_log(
    snapshot: Path, signer: SigningKey, alteration: str
) -> None:
    """A publisher with a bug (or a stolen key): every hash holds, the manifest names the new
    head, but one record has no shape its kind has."""
    alter, reason = ALTERATIONS[alteration]
    lines, at = _altered(snapshot, alter)
    lines = rehashed(lines, at)
    head = {"sequence": lines[-1]["sequence"], "hash": lines[-1]["hash"]}
    reseal(snapshot, signer, {FIRST: _gz(lines)}, {"log_head": head})
    report = recount(snapshot, workers=1)
    [(kind, path, detail)] = _problems(report)
    assert (kind, path) == (Kind.LOG, FIRST)
    named = f"event {at + 1} ({lines[at]['kind']}) cannot be replayed: "
    assert detail.startswith(named + reason), detail
    assert report.notes == [
        "The TPS numbers were not compared with the change log: "
        "an event of the log cannot be replayed."
    ]
    assert report.checked["log events verified"] == len(LOG)


def test_a_payload_nested_too_deeply_to_hash_is_a_broken_log(
    snapshot: Path, signer: SigningKey
) -> None:
    """As deep as a JSON reader takes (1,000 levels), deeper than Python can hash (3.11)."""
    data = _log(snapshot)
    at = next(i for i, line in enumerate(data) if b'"result.imported"' in line)
    kode = json.loads(data[at])["payload"]["kode_tps"]
    deep = b"[" * 1000 + b"]" * 1000
    data[at] = data[at].replace(json.dumps(kode).encode(), deep, 1)
    reseal(snapshot, signer, {FIRST: gzip.compress(b"".join(data))})
    report = recount(snapshot, workers=1)
    [(kind, path, detail)] = _problems(report)
    assert (kind, path) == (Kind.LOG, FIRST)
    assert detail in (
        f"event {at + 1} is nested too deeply to check",
        f"log chain broken at sequence {at + 1}: its content does not match its hash "
        "(changed after it was written)",
    )


BOMB = 50 * 1024 * 1024  # bytes of zeros with no newline: about 50 KB compressed
CAP = 64 * 1024


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return b"\0" * BOMB


def _bombed(folder: Path, zeros: bytes) -> bytes:
    """The log's first three lines, then a line of ``zeros`` that never ends."""
    head = b"".join(_log(folder)[:3])
    return gzip.compress(head + zeros, compresslevel=9)


def test_a_gzip_bomb_that_fails_its_hash_is_not_read(snapshot: Path, bomb: bytes) -> None:
    data = _bombed(snapshot, bomb)
    assert len(data) < BOMB // 500
    (snapshot / FIRST).write_bytes(data)
    report = recount(snapshot, workers=1)
    assert [p.path for p in report.problems] == [FIRST]
    assert report.notes == [f"The change log was not checked: {FIRST} failed its check."]


def test_a_signed_gzip_bomb_stops_at_the_line_cap(
    snapshot: Path, signer: SigningKey, bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_read, "MAX_LINE", CAP)
    reseal(snapshot, signer, {FIRST: _bombed(snapshot, bomb)})
    tracemalloc.start()
    try:
        report = recount(snapshot, workers=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _problems(report) == [(Kind.LOG, FIRST, "line 4: longer than 65,536 bytes")]
    assert report.notes == [
        "The TPS numbers were not compared with the change log: a log file cannot be read."
    ]
    assert peak < BOMB // 5, f"{peak:,} bytes at the peak"


def test_a_line_as_long_as_the_cap_is_read_and_a_longer_one_is_not(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_read, "MAX_LINE", 4096)
    line = _log(snapshot)[0].rstrip(b"\n")
    for ending in (b"\n", b""):  # the last line may have no newline
        (snapshot / FIRST).write_bytes(gzip.compress(line.rjust(4096) + ending))
        [record] = LogReader(snapshot, [FIRST])
        assert record.sequence == 1
        (snapshot / FIRST).write_bytes(gzip.compress(line.rjust(4097) + ending))
        with pytest.raises(LogUnreadable) as raised:
            list(LogReader(snapshot, [FIRST]))
        assert (raised.value.line, raised.value.reason) == (1, "longer than 4,096 bytes")


def test_reading_a_bomb_holds_no_more_than_a_line_in_memory(
    snapshot: Path, bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_read, "MAX_LINE", CAP)
    (snapshot / FIRST).write_bytes(_bombed(snapshot, bomb))
    tracemalloc.start()
    try:
        with pytest.raises(LogUnreadable) as raised:
            list(LogReader(snapshot, [FIRST]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raised.value.line == 4
    assert peak < 16 * CAP, f"{peak:,} bytes at the peak"


def _photo_lines(lines: list[Line], kind: str) -> list[int]:
    return [i for i, line in enumerate(lines) if line["kind"] == kind]


def _photo_id_as_text(lines: list[Line]) -> tuple[int, str]:
    at = _photo_lines(lines, "photo.received")[0]
    _payload(lines[at])["photo_id"] = "7"
    return at, "'7' is not an integer"


def _photo_id_twice(lines: list[Line]) -> tuple[int, str]:
    first, at = _photo_lines(lines, "photo.received")[:2]
    photo_id = _payload(lines[first])["photo_id"]
    _payload(lines[at])["photo_id"] = photo_id
    return at, f"photo {photo_id} is received twice"


def _another_tps_photo_moved(lines: list[Line]) -> tuple[int, str]:
    at = _photo_lines(lines, "photo.state_changed")[0]
    payload = _payload(lines[at])
    own = payload["kode_tps"]
    other = next(
        _payload(lines[i])["kode_tps"]
        for i in _photo_lines(lines, "photo.received")
        if _payload(lines[i])["kode_tps"] != own
    )
    payload["kode_tps"] = other
    return at, f"photo {payload['photo_id']} is of TPS {own}, not {other}"


PHOTO_ALTERATIONS: dict[str, Callable[[list[Line]], tuple[int, str]]] = {
    "a photo id as text": _photo_id_as_text,
    "one photo id received twice": _photo_id_twice,
    "a photo moved as another TPS's": _another_tps_photo_moved,
}


@pytest.mark.parametrize("alteration", PHOTO_ALTERATIONS)
def test_photo_ids_that_name_no_one_photo_are_a_broken_log(
    tmp_path: Path, signer: SigningKey, alteration: str
) -> None:
    """The ids by which the recount replays which photo each state change moves: one that is
    no integer, or names two photos, or a state change that moves a photo of another TPS,
    holds in the chain (re-signed) but cannot be replayed."""
    snapshot = publish_with_log(tmp_path / "out", signer, CAPTURED, CAPTURED_LOG)
    lines = _lines(snapshot)
    at, reason = PHOTO_ALTERATIONS[alteration](lines)
    lines = rehashed(lines, at)
    head = {"sequence": lines[-1]["sequence"], "hash": lines[-1]["hash"]}
    reseal(snapshot, signer, {FIRST: _gz(lines)}, {"log_head": head})
    report = recount(snapshot, workers=1)
    assert _problems(report) == [
        (Kind.LOG, FIRST, f"event {at + 1} ({lines[at]['kind']}) cannot be replayed: {reason}")
    ]
    assert report.notes == [
        "The TPS numbers were not compared with the change log: "
        "an event of the log cannot be replayed."
    ]
