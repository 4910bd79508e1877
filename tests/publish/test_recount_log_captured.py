"""The recount checks each captured TPS result (read from its photos, or entered by people
beside them) against the change log: each page's published photo must be one the log
received for that TPS and page (``photo.received``), a ``photo`` source one it received for
the TPS, an ``entry`` source a verification task of the TPS the log closed. A snapshot whose
photos or source of one TPS were swapped, signed by the publisher and consistent in every
other way, fails naming the TPS."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.domain.result import Provenance, SourceKind
from rekap.publish.records import TpsRecord
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import make_records
from tests.publish.logs import log_for, publish_with_log

PARQUET = "data/tps-ppwp.parquet"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _captured(records: list[TpsRecord]) -> list[TpsRecord]:
    """Every other result with numbers read from its three photos, the others entered by
    people in a task of their own (page 2 without a photo for one in three)."""
    out = []
    counted = [r for r in records if r.state.values]
    for n, record in enumerate(counted):
        kode = record.kode_tps
        photos: tuple[str | None, ...] = tuple(_sha(f"{kode}-{page}") for page in (1, 2, 3))
        if n % 3 == 2:
            photos = (photos[0], None, photos[2])
        if n % 2:
            source = Provenance(SourceKind.PHOTO, str(photos[-1]))
        else:
            source = Provenance(SourceKind.ENTRY, f"task {100 + n}")
        # the tally counts a TPS whose numbers people entered (verified_by_people)
        state = replace(record.state, by_people=source.kind is SourceKind.ENTRY)
        out.append(replace(record, state=state, source=source, provenance={}, photos=photos))
    return out + [r for r in records if not r.state.values]


RECORDS = _captured(make_records(7))
LOG = log_for(RECORDS)


def _problems(report: RecountReport) -> list[tuple[Kind, str, str]]:
    return [(p.kind, p.path, p.detail) for p in report.problems]


def _of(kind: SourceKind) -> list[TpsRecord]:
    return [r for r in RECORDS if r.source is not None and r.source.kind is kind]


def _swap(changed: TpsRecord) -> list[TpsRecord]:
    return [changed if r.kode_tps == changed.kode_tps else r for r in RECORDS]


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_fresh_snapshot_agrees_with_the_photos_its_log_received(
    tmp_path: Path, signer: SigningKey, bulk_only: bool
) -> None:
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, LOG)
    report = recount(folder, workers=1, bulk_only=bulk_only)
    assert report.ok, _problems(report)
    assert len(_of(SourceKind.PHOTO)) > 3 and len(_of(SourceKind.ENTRY)) > 3
    captured = len(_of(SourceKind.PHOTO)) + len(_of(SourceKind.ENTRY))
    assert report.checked["captured TPS compared with the log"] == captured
    assert report.checked["TPS sources compared with the log"] == 0


def test_a_photo_the_officer_never_sent_is_named(tmp_path: Path, signer: SigningKey) -> None:
    record = _of(SourceKind.ENTRY)[1]
    other = _sha("another photo")
    swapped = replace(record, photos=(record.photos[0], other, record.photos[2]))
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), LOG)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {record.kode_tps} photo of page 2: bulk data says {other!r}, "
            "the log received no such photo of that page",
        )
    ]


def test_pages_swapped_or_another_tps_photo_are_named(tmp_path: Path, signer: SigningKey) -> None:
    """The photos were received, but of other pages, or of another TPS."""
    record, neighbour = _of(SourceKind.PHOTO)[:2]
    first, _, third = record.photos
    theirs = neighbour.photos[1]
    assert first is not None and third is not None and theirs is not None
    swapped = replace(record, photos=(third, theirs, first))
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), LOG)
    kode = record.kode_tps
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {kode} photo of page {page}: bulk data says {sha!r}, "
            "the log received no such photo of that page",
        )
        for page, sha in ((1, third), (2, theirs), (3, first))
    ]


def test_a_source_the_log_does_not_hold_is_named(tmp_path: Path, signer: SigningKey) -> None:
    read, entered = _of(SourceKind.PHOTO)[0], _of(SourceKind.ENTRY)[0]
    stranger = _sha("not sent")
    other_task = entered.source and entered.source.reference.replace("task ", "task 9")
    changed = [
        replace(read, source=Provenance(SourceKind.PHOTO, stranger)),
        replace(entered, source=Provenance(SourceKind.ENTRY, str(other_task))),
    ]
    records = [next((c for c in changed if c.kode_tps == r.kode_tps), r) for r in RECORDS]
    folder = publish_with_log(tmp_path / "out", signer, records, LOG)
    found = sorted(_problems(recount(folder, workers=1)))
    assert found == sorted(
        [
            (
                Kind.SOURCE,
                PARQUET,
                f"TPS {read.kode_tps} source_ref: bulk data says read from {stranger!r}, "
                "the log received no such photo of the TPS",
            ),
            (
                Kind.SOURCE,
                PARQUET,
                f"TPS {entered.kode_tps} source_ref: bulk data says entered in "
                f"{other_task!r}, the log closes no such verification task of the TPS",
            ),
        ]
    )


def test_an_entry_source_of_another_tps_task_is_named(tmp_path: Path, signer: SigningKey) -> None:
    first, second = _of(SourceKind.ENTRY)[:2]
    assert second.source is not None
    theirs = second.source.reference
    swapped = replace(first, source=Provenance(SourceKind.ENTRY, theirs))
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), LOG)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {first.kode_tps} source_ref: bulk data says entered in {theirs!r}, "
            "the log closes no such verification task of the TPS",
        )
    ]
