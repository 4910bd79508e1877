"""Change logs that lead to given results, the way rekap's store writes them, and snapshots
published with them (each result dated as the store dates it from its log); and a publisher's
re-seal of a snapshot whose files were changed."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.domain.result import Provenance, SourceKind
from rekap.events.chain import GENESIS, Recorded, append, digest
from rekap.events.model import (
    Event,
    FindingsRecorded,
    FormAssessed,
    PhotoReceived,
    PhotoStateChanged,
    ResultImported,
    SnapshotPublished,
    ValueChanged,
    VerificationClosed,
)
from rekap.publish.manifest import signature_file
from rekap.publish.records import LogHead, TpsRecord
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.problems import Kind, RecountReport
from tests.publish.conftest import AT, request_for


def _events(record: TpsRecord, rng: random.Random, ids: Iterator[int]) -> list[Event]:
    """Events that end in ``record``'s numbers by one of the store's paths: imported as they
    are; imported with a mistake and a number left over, then corrected number by number (as
    a verification or an accepted photo does); or listed without numbers, then set number by
    number. An imported result's row and photos are the record's (``source``, ``photos``); a
    result read from photos or entered is ``_captured``'s."""
    kode, values = record.kode_tps, dict(record.state.values)
    first = PhotoReceived(kode, "ppwp", 1, "ab" * 32, "kpps-1", "dev-1", "t", next(ids))
    events: list[Event] = [first]
    if not values:
        return events
    source = record.source
    if source is not None and source.kind is not SourceKind.IMPORT:
        return events + _captured(record, source, ids)
    imported = source is not None and source.kind is SourceKind.IMPORT
    row = source.reference if source is not None and imported else "test.csv"
    photos = record.photos if imported else ()

    def imports(numbers: dict[str, int]) -> ResultImported:
        return ResultImported(kode, "ppwp", row, numbers, None, photos)

    path = rng.randrange(3)
    if path == 0:
        events.append(imports(values))
    elif path == 1:
        wrong = {**values, "paslon_1": values.get("paslon_1", 0) + 7, "dpt_l": 999}
        events.append(imports(wrong))
        events.append(
            ValueChanged(kode, "ppwp", "paslon_1", wrong["paslon_1"], values.get("paslon_1"))
        )
        events.append(ValueChanged(kode, "ppwp", "dpt_l", 999, values.get("dpt_l")))
    else:
        events.append(imports({}))
        events += [ValueChanged(kode, "ppwp", f, None, v) for f, v in sorted(values.items())]
    # the same TPS in another contest, with other numbers: never compared with PPWP
    events.append(ResultImported(kode, "pdpr", "other.csv", {"paslon_1": 1, "suara_sah": 1}))
    events.append(FindingsRecorded(kode, "ppwp", tuple(f.rule for f in record.findings)))
    return events


def earlier_photo(sha256: str) -> str:
    """The photo of the same page the officer sent before ``sha256`` (``_captured``)."""
    return hashlib.sha256(f"earlier {sha256}".encode()).hexdigest()


def _captured(record: TpsRecord, source: Provenance, ids: Iterator[int]) -> list[Event]:
    """A TPS rekap read from its photos, or people entered beside them, as the store logs it:
    each page's photo (``record.photos``) received after an earlier photo of that page
    (``earlier_photo``), each read in turn (received → checked); for a ``photo`` source the
    form accepted once its last photo is read, for an entry (``task <id>``) sent to people
    and the task closed with its numbers; each number set, and the read photos moved to the
    form's state (accepted, or verified)."""
    kode, values = record.kode_tps, dict(record.state.values)
    events: list[Event] = []
    read: list[int] = []
    for page, sha256 in enumerate(record.photos, 1):
        for sent in () if sha256 is None else (earlier_photo(sha256), sha256):
            photo_id = next(ids)
            events.append(PhotoReceived(kode, "ppwp", page, sent, "kpps-1", "dev-1", "t", photo_id))
            events.append(PhotoStateChanged(kode, photo_id, "received", "checked", ""))
            read.append(photo_id)
    if source.kind is SourceKind.ENTRY:
        events.append(FormAssessed(kode, "ppwp", "needs_verification", ("W-TURNOUT",)))
        task = int(source.reference.removeprefix("task "))
        events.append(VerificationClosed(kode, task, "verified", values, "ppwp"))
        state = "verified"
    else:
        events.append(FormAssessed(kode, "ppwp", "accepted", ()))
        state = "accepted"
    events += [ValueChanged(kode, "ppwp", f, None, v) for f, v in sorted(values.items())]
    events += [PhotoStateChanged(kode, i, "checked", state, "") for i in read]
    return events


def log_for(records: Sequence[TpsRecord], seed: int = 0) -> list[Recorded]:
    """A hash-chained log whose replay gives exactly ``records``' numbers."""
    rng = random.Random(seed)
    ids = itertools.count(1)
    log: list[Recorded] = []
    previous: Recorded | None = None
    at = AT - timedelta(days=5)
    for record in records:
        for event in _events(record, rng, ids):
            at += timedelta(seconds=1)
            previous = append(previous, event, at, "test", f"TPS {record.kode_tps}")
            log.append(previous)
    previous = append(previous, SnapshotPublished("earlier", "00" * 32), at, "publish", "")
    log.append(previous)
    return log


def extended(log: Sequence[Recorded], events: Iterable[Event]) -> list[Recorded]:
    """``log`` with ``events`` chained after its last event, a second apart."""
    out = list(log)
    for event in events:
        out.append(append(out[-1], event, out[-1].at + timedelta(seconds=1), "test", ""))
    return out


def without_photo_ids(log: Sequence[Recorded]) -> list[Recorded]:
    """``log`` as rekap wrote it before ``photo.received`` carried the photo's id: the same
    events, that field left out, the chain's hashes computed again."""
    return without_field(log, "photo.received", "photo_id")


def without_field(log: Sequence[Recorded], kind: str, name: str) -> list[Recorded]:
    """``log`` as rekap wrote it before events of ``kind`` carried the field ``name``: the
    same events, that field left out, the chain's hashes computed again."""
    out: list[Recorded] = []
    previous = GENESIS
    for record in log:
        payload = dict(record.payload)
        if record.kind == kind:
            del payload[name]
        link = digest(
            record.sequence, record.kind, record.at, record.actor, record.reason, payload, previous
        )
        out.append(replace(record, payload=payload, previous_hash=previous, hash=link))
        previous = link
    return out


WIB = timezone(timedelta(hours=7))


def dated_by(records: Sequence[TpsRecord], log: Sequence[Recorded], head: int) -> list[TpsRecord]:
    """``records``, each with the ``updated_at`` rekap's store gives it from ``log`` up to the
    event ``head``: an imported result's Sirekap ``ts`` (WIB unless it says its offset; none if
    it is not a time) when its row gave one, else the time of the newest event that set its
    numbers (none for a result without)."""
    changed: dict[str, datetime] = {}
    ts: dict[str, str | None] = {}
    for record in log:
        payload = record.payload
        if record.sequence > head or payload.get("contest") != "ppwp":
            continue
        kode = str(payload.get("kode_tps"))
        if record.kind == "result.value_changed" or (
            record.kind == "result.imported" and payload["values"]
        ):
            changed[kode] = record.at
        if record.kind == "result.imported":
            ts[kode] = payload.get("published_at")
        elif record.kind == "result.source_changed":
            ts[kode] = payload["published_after"]

    def updated(record: TpsRecord) -> datetime | None:
        if record.source is None:
            return None
        given = ts.get(record.kode_tps) if record.source.kind is SourceKind.IMPORT else None
        if not given:
            return changed.get(record.kode_tps)
        try:
            at = datetime.fromisoformat(given.replace("Z", "+00:00"))
        except ValueError:  # not a time: none
            return None
        return at if at.tzinfo is not None else at.replace(tzinfo=WIB)

    return [replace(r, updated_at=updated(r)) for r in records]


def publish_with_log(
    out: Path,
    signer: SigningKey,
    records: Sequence[TpsRecord],
    log: Sequence[Recorded],
    head: Recorded | None = None,
    scope: tuple[str, ...] = (),
    date: bool = True,
) -> Path:
    """Publish ``records`` naming ``head`` (the log's last event unless given) with ``log``,
    each dated as the store dates it from the log (``dated_by``), or as they are without
    ``date``."""
    store = DirectorySnapshotStore(out)
    named = head or log[-1]
    records = dated_by(records, log, named.sequence) if date else list(records)
    request = replace(
        request_for(records, AT, scope),
        log_head=LogHead(named.sequence, named.hash),
        previous=store.previous("ppwp"),
    )
    return Path(publish_snapshot(request, store, signer, log=log).location)


def reseal(
    folder: Path,
    signer: SigningKey,
    changed: Mapping[str, bytes | None],
    manifest_fields: Mapping[str, object] | None = None,
) -> None:
    """Write (or, for None, remove, with the folders that leaves empty) files, list them
    again in SHA256SUMS and the manifest (with `manifest_fields` set), and sign: what a
    publisher with a bug, or with a stolen key, would publish."""
    index = folder / "SHA256SUMS"
    lines = {
        line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in index.read_text().splitlines()
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    for path, data in changed.items():
        if data is None:
            (folder / path).unlink()
            parent = (folder / path).parent
            while parent != folder and not any(parent.iterdir()):  # else an unlisted folder
                parent.rmdir()
                parent = parent.parent
            lines.pop(path, None)
            manifest["files"].pop(path, None)
            continue
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        lines[path] = digest
        manifest["files"][path] = {"bytes": len(data), "sha256": digest}
    index.write_text("".join(f"{lines[p]}  {p}\n" for p in sorted(lines)))
    manifest["index"].update(
        sha256=hashlib.sha256(index.read_bytes()).hexdigest(),
        bytes=index.stat().st_size,
        files=len(lines),
    )
    manifest["counts"]["files"] = len(lines)
    manifest.update(manifest_fields or {})
    data = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(signature_file(signer, data))


def rehashed(lines: list[dict[str, object]], start: int) -> list[dict[str, object]]:
    """Every hash from ``start`` on recomputed: the chain holds again after an altered event."""
    previous = str(lines[start - 1]["hash"]) if start else GENESIS
    for line in lines[start:]:
        line["previous_hash"] = previous
        line["hash"] = previous = digest(
            int(str(line["sequence"])),
            str(line["kind"]),
            datetime.fromisoformat(str(line["at"])),
            str(line["actor"]),
            str(line["reason"]),
            line["payload"],  # type: ignore[arg-type]
            previous,
        )
    return lines


def assert_chain_broken(report: RecountReport, path: str, at: int) -> None:
    """The recount found the log file ``path`` altered at line ``at`` (its hash no longer
    holds) and, the chain broken, compared no number with it."""
    assert [(p.kind, p.path, p.detail) for p in report.problems] == [
        (
            Kind.LOG,
            path,
            f"log chain broken at sequence {at + 1}: its content does not match its hash "
            "(changed after it was written)",
        )
    ]
    assert report.notes[0] == (
        "The TPS numbers were not compared with the change log: the chain is broken."
    )
    assert len(report.notes) == 1 or report.notes[1].startswith("--bulk-only: ")
