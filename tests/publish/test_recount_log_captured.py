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
from rekap.events.chain import Recorded
from rekap.events.model import (
    FormAssessed,
    PhotoReceived,
    PhotoStateChanged,
    VerificationClosed,
)
from rekap.publish.records import TpsRecord
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import make_records
from tests.publish.logs import (
    earlier_photo,
    extended,
    log_for,
    publish_with_log,
    without_field,
    without_photo_ids,
)

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


def test_an_entry_source_of_another_contests_task_is_named(
    tmp_path: Path, signer: SigningKey
) -> None:
    """A task of the same TPS closed with the same numbers, but for the DPD form: a snapshot
    of the presidential contest naming it as its source is named."""
    record = _of(SourceKind.ENTRY)[0]
    values = dict(record.state.values)
    log = extended(LOG, [VerificationClosed(record.kode_tps, 999, "verified", values, "dpd")])
    swapped = replace(record, source=Provenance(SourceKind.ENTRY, "task 999"))
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), log)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {record.kode_tps} source_ref: bulk data says entered in 'task 999', "
            "the log closes no such verification task of the TPS",
        )
    ]


def test_closings_logged_without_their_contest_are_the_recounted_contests(
    tmp_path: Path, signer: SigningKey
) -> None:
    """Before 2026-11-23 ``verification.closed`` named no contest (one was verified): a log of
    then, every closing without it, still recounts clean."""
    log = without_field(LOG, "verification.closed", "contest")
    assert not any("contest" in r.payload for r in log if r.kind == "verification.closed")
    folder = publish_with_log(tmp_path / "out", signer, RECORDS, log)
    report = recount(folder, workers=1)
    assert report.ok, _problems(report)
    captured = len(_of(SourceKind.PHOTO)) + len(_of(SourceKind.ENTRY))
    assert report.checked["captured TPS compared with the log"] == captured


@pytest.mark.parametrize("kind", [SourceKind.PHOTO, SourceKind.ENTRY])
def test_a_page_photo_swapped_for_an_older_one_the_officer_sent_is_named(
    tmp_path: Path, signer: SigningKey, kind: SourceKind
) -> None:
    """The officer sent page 2 twice, both photos were read; the store published the newer.
    A snapshot that publishes the older one instead names it."""
    record = _of(kind)[0]
    first, newer, third = record.photos
    assert newer is not None
    older = earlier_photo(newer)
    swapped = replace(record, photos=(first, older, third))
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), LOG)
    report = recount(folder, workers=1)
    when = (
        "the form was last accepted" if kind is SourceKind.PHOTO else f"{_reference(record)} closed"
    )
    assert _problems(report) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {record.kode_tps} photo of page 2: bulk data says {older!r}, "
            f"the newest photo of that page read when {when} is {newer!r}",
        )
    ]
    assert not [n for n in report.notes if "photo.state_changed" in n]


def _reference(record: TpsRecord) -> str:
    assert record.source is not None
    return record.source.reference


def test_a_page_photo_left_out_or_added_is_named(tmp_path: Path, signer: SigningKey) -> None:
    """Page 2 published without its photo, and a page-2 photo where none was read (the one
    photo every TPS's log receives first, of page 1, never read)."""
    kept = next(r for r in _of(SourceKind.ENTRY) if r.photos[1] is not None)
    gap = next(r for r in _of(SourceKind.PHOTO) if r.photos[1] is None)
    unread = "ab" * 32
    changed = [
        replace(kept, photos=(kept.photos[0], None, kept.photos[2])),
        replace(gap, photos=(unread, None, gap.photos[2])),
    ]
    records = [next((c for c in changed if c.kode_tps == r.kode_tps), r) for r in RECORDS]
    folder = publish_with_log(tmp_path / "out", signer, records, LOG)
    assert sorted(_problems(recount(folder, workers=1))) == sorted(
        [
            (
                Kind.SOURCE,
                PARQUET,
                f"TPS {kept.kode_tps} photo of page 2: bulk data says none, the newest photo "
                f"of that page read when {_reference(kept)} closed is {kept.photos[1]!r}",
            ),
            (
                Kind.SOURCE,
                PARQUET,
                f"TPS {gap.kode_tps} photo of page 1: bulk data says {unread!r}, the newest "
                f"photo of that page read when the form was last accepted is {gap.photos[0]!r}",
            ),
        ]
    )


def test_a_source_swapped_for_an_older_photo_of_the_tps_is_named(
    tmp_path: Path, signer: SigningKey
) -> None:
    """The form was accepted when its last photo was read: a ``source_ref`` naming another
    photo the officer sent (read, but not the one that made the form whole) is named."""
    record = _of(SourceKind.PHOTO)[0]
    other = earlier_photo(_reference(record))
    swapped = replace(record, source=Provenance(SourceKind.PHOTO, other))
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), LOG)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {record.kode_tps} source_ref: bulk data says read from {other!r}, "
            f"the log last accepted the form when it read {_reference(record)!r}",
        )
    ]


def _read_later(record: TpsRecord) -> tuple[str, list[Recorded]]:
    """A newer photo of page 1, received and read after the numbers were published, whose
    reading sent the form to people (the store leaves the published photos as they were)."""
    later = _sha(f"{record.kode_tps}-1-later")
    kode, photo_id = record.kode_tps, 10_000
    log = extended(
        LOG,
        [
            PhotoReceived(kode, "ppwp", 1, later, "kpps-1", "dev-1", "t", photo_id),
            PhotoStateChanged(kode, photo_id, "received", "checked", ""),
            FormAssessed(kode, "ppwp", "needs_verification", ("W-TURNOUT",)),
            PhotoStateChanged(kode, photo_id, "checked", "needs_verification", ""),
        ],
    )
    return later, log


def test_a_photo_read_after_the_numbers_were_published_is_not_theirs(
    tmp_path: Path, signer: SigningKey
) -> None:
    """The store publishes the photos read when it published the numbers, not the newest
    read since: the snapshot agrees; one that publishes the later photo is named."""
    record = _of(SourceKind.PHOTO)[1]
    later, log = _read_later(record)
    assert recount(publish_with_log(tmp_path / "fresh", signer, RECORDS, log), workers=1).ok
    swapped = replace(record, photos=(later, *record.photos[1:]))
    folder = publish_with_log(tmp_path / "swapped", signer, _swap(swapped), log)
    assert _problems(recount(folder, workers=1)) == [
        (
            Kind.SOURCE,
            PARQUET,
            f"TPS {record.kode_tps} photo of page 1: bulk data says {later!r}, the newest "
            f"photo of that page read when the form was last accepted is {record.photos[0]!r}",
        )
    ]


def test_a_log_without_photo_ids_is_checked_as_before_with_a_note(
    tmp_path: Path, signer: SigningKey
) -> None:
    """A log written before ``photo.received`` carried the photo's id: the store's choice
    cannot be replayed, so a swap for an older photo of the same page passes, with a note;
    a photo the log never received of that page is still named."""
    old = without_photo_ids(LOG)
    assert all("photo_id" not in r.payload for r in old if r.kind == "photo.received")
    record = _of(SourceKind.PHOTO)[0]
    first, newer, third = record.photos
    assert newer is not None
    captured = len(_of(SourceKind.PHOTO)) + len(_of(SourceKind.ENTRY))
    note = (
        f"The photos of {captured} captured TPS (e.g. {RECORDS[0].kode_tps}) were not "
        "checked against the store's choice of each page's photo: the log received them "
        "without their ids (photo.received before 2026-11-23), so which photo each "
        "photo.state_changed moved is not in it; each was checked to be a photo the log "
        "received of its TPS and page."
    )
    fresh = recount(publish_with_log(tmp_path / "fresh", signer, RECORDS, old), workers=1)
    assert fresh.ok, _problems(fresh)
    assert note in fresh.notes
    older = replace(record, photos=(first, earlier_photo(newer), third))
    report = recount(publish_with_log(tmp_path / "older", signer, _swap(older), old), workers=1)
    assert report.ok and note in report.notes
    stranger = replace(record, photos=(first, _sha("never sent"), third))
    report = recount(publish_with_log(tmp_path / "other", signer, _swap(stranger), old), workers=1)
    assert [p.detail for p in report.problems] == [
        f"TPS {record.kode_tps} photo of page 2: bulk data says {_sha('never sent')!r}, "
        "the log received no such photo of that page"
    ]


def test_a_source_never_sent_hides_no_older_page_photo(tmp_path: Path, signer: SigningKey) -> None:
    record = _of(SourceKind.PHOTO)[0]
    first, newer, third = record.photos
    assert newer is not None
    older, stranger = earlier_photo(newer), _sha("not sent")
    swapped = replace(
        record,
        source=Provenance(SourceKind.PHOTO, stranger),
        photos=(first, older, third),
    )
    folder = publish_with_log(tmp_path / "out", signer, _swap(swapped), LOG)
    assert [p.detail for p in recount(folder, workers=1).problems] == [
        f"TPS {record.kode_tps} source_ref: bulk data says read from {stranger!r}, "
        "the log received no such photo of the TPS",
        f"TPS {record.kode_tps} photo of page 2: bulk data says {older!r}, "
        f"the newest photo of that page read when the form was last accepted is {newer!r}",
    ]
