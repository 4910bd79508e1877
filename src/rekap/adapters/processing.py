"""Processing a photo: read it, check the form, accept it or send it to people.

One claimed photo is handled in one transaction: its reading, its state, the form's new
assessment, any verification task, any published number and the live tally are written
together with their events, so a worker killed at any moment leaves either all of it or none
of it (and the claim expires, so the photo is processed again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, update
from sqlalchemy.exc import IntegrityError, OperationalError

from rekap.adapters.photo_store import PhotoCorrupted, store_answers
from rekap.adapters.photo_store import PhotoStore as PhotoFiles
from rekap.adapters.storage.engine import passes
from rekap.adapters.storage.event_store import EventLog, lock_writers
from rekap.adapters.storage.forms import (
    PHOTO_STATE_OF_FORM,
    latest_pages,
    move_photos,
    open_task,
    publish_values,
    save_form,
    task_open,
    task_returned,
    verified_values,
)
from rekap.adapters.storage.photos import ClaimedPhoto, PhotoStore
from rekap.adapters.storage.result_findings import record_findings
from rekap.adapters.storage.schema import photo
from rekap.adapters.storage.tally_store import LiveTally
from rekap.capture.assess import FormAssessment, FormState, assess_form
from rekap.capture.photo_check import PhotoFormat
from rekap.capture.states import PhotoState
from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.region_tree import RegionTree
from rekap.domain.wilayah import KodeWilayah
from rekap.events.model import Event, PhotoStateChanged
from rekap.reading.result import PageReading
from rekap.services.photo_failures import (
    DAMAGED_IN_STORE,
    LOST_FROM_STORE,
    UNREADABLE_IN_STORE,
    processing_failed,
)

READER_ACTOR = "reader"
MISSES_BEFORE_FAILING = 3
"""Tries at a photo's bytes, failed while the store answered otherwise, before the photo is
failed visibly (``lost_from_store``: retried once the store gives it); counted on the photo
(``store_misses``), whichever workers tried."""
Reader = Callable[[bytes, int], PageReading]


def _after_people(
    connection: Connection, claimed: ClaimedPhoto, assessment: FormAssessment
) -> FormAssessment:
    """A reading of a form people are entering or have verified does not overrule them.
    While they enter it, one the machine would accept waits for them; once verified, a
    reading whose every number read is the one people verified keeps it verified (fields it
    abstained on ask nothing new of them), one with another number sends it back to people
    (the verified numbers stay published until they decide)."""
    if task_open(connection, claimed.kode_tps, claimed.contest):
        if assessment.state is FormState.ACCEPTED:
            waiting = ("a verification task is open: people decide this form",)
            return replace(assessment, state=FormState.NEEDS_VERIFICATION, reasons=waiting)
        return assessment  # people decide it (the task open already)
    verified = verified_values(connection, claimed.kode_tps, claimed.contest)
    if verified is None:
        return assessment
    if all(verified.get(field) == value for field, value in assessment.values.items()):
        same = ("the numbers read are those people verified",)
        return replace(assessment, state=FormState.VERIFIED, values=verified, reasons=same)
    differ = ("a later photo reads other numbers than people verified: people decide again",)
    return replace(assessment, state=FormState.NEEDS_VERIFICATION, reasons=differ)


@dataclass
class PhotoProcessor:
    engine: Engine
    log: EventLog
    photos: PhotoStore
    files: PhotoFiles
    read: Reader
    form: FormSpec
    election: Election
    tree: RegionTree
    claim_timeout: timedelta = timedelta(minutes=5)
    """A claim older than this is taken to be a killed worker's, and the photo is retaken."""
    tally: LiveTally = field(init=False)
    """The stored tally, brought up to each photo's outcome in the same transaction."""

    def __post_init__(self) -> None:
        self.tally = LiveTally(self.engine)

    def process_next(self, now: Callable[[], datetime]) -> bool:
        """Process one waiting photo; False when none is waiting."""
        claimed = self.photos.claim(now(), self.claim_timeout)
        if claimed is None:
            return False
        self._process(claimed, now)
        return True

    def process_photo(self, photo_id: int, now: Callable[[], datetime]) -> bool:
        """Process one named photo (a queued job); False when it is no longer waiting."""
        claimed = self.photos.claim_id(photo_id, now(), self.claim_timeout)
        if claimed is None:
            return False
        self._process(claimed, now)
        return True

    def _process(self, claimed: ClaimedPhoto, now: Callable[[], datetime]) -> None:
        try:
            data = self.files.get(claimed.sha256, PhotoFormat(claimed.format).suffix)
        except (FileNotFoundError, PhotoCorrupted) as error:
            # lost or damaged: failed visibly (never retaken for ever), and retried by an
            # operator once the file is back (`rekap photos retry`)
            lost = LOST_FROM_STORE if isinstance(error, OSError) else DAMAGED_IN_STORE
            why = processing_failed(f"{type(error).__name__}: {lost}")
            reading = PageReading("unreadable", why, None)
        except OSError as error:
            # the photo store away (an endpoint down, a bucket missing, credentials refused,
            # a disk error): nothing is wrong with the photo, and the officer's resend of it
            # would be the same photo, already received; it stays claimed and is taken again
            # after the claim timeout, like a photo whose recording meets the database away.
            # But a store that answers, try after try, with everything but this photo (a file
            # it cannot read, an object it refuses) would have it taken again for ever,
            # unseen: after MISSES_BEFORE_FAILING such tries it is failed visibly
            misses = self._missed(claimed)
            if misses < MISSES_BEFORE_FAILING:
                raise
            said = f"{type(error).__name__}: {UNREADABLE_IN_STORE} ({misses} tries)"
            reading = PageReading("unreadable", processing_failed(said), None)
        except Exception as error:  # a bug (a format unknown, a store's own): fail visibly
            reading = PageReading("unreadable", processing_failed(repr(error)), None)
        else:
            if claimed.store_misses:
                self._forget_misses(claimed)  # the store gave it after all
            try:
                reading = self.read(data, claimed.page)
            except Exception as error:  # a bug in the reader: fail visibly, never drop
                reading = PageReading("unreadable", processing_failed(repr(error)), None)
        try:
            self._finish_once_more_on_a_race(claimed, reading, now)
        except Exception as error:
            if passes(error):
                raise  # the database is away: the claim times out and the photo is taken again
            # a bug in assessing the form or recording its numbers: the photo is failed
            # visibly (once, not retaken every claim timeout for ever), the error its reason
            said = str(error).splitlines()[0][:200] if str(error) else ""  # a bare assert
            why = processing_failed(f"{type(error).__name__}: {said}")
            self.finish(claimed, PageReading("unreadable", why, reading.page), now())

    def _missed(self, claimed: ClaimedPhoto) -> int:
        """Count, on the photo, a try at its bytes that failed while the store answered (one
        that does not answer at all is no fault of the photo: nothing is counted); the tries
        so far, by every worker, before and after any restart. 0 when this claim is no
        longer the photo's (taken over after the claim timeout: that claim counts its own)."""
        if not store_answers(self.files):
            return 0
        with self.engine.begin() as connection:
            tries = connection.execute(
                update(photo)
                .where(*self._still_claimed(claimed))
                .values(store_misses=photo.c.store_misses + 1)
                .returning(photo.c.store_misses)
            ).scalar()
        return 0 if tries is None else int(tries)

    def _forget_misses(self, claimed: ClaimedPhoto) -> None:
        """The store gave the photo after earlier misses: a later trouble counts from none."""
        with self.engine.begin() as connection:
            connection.execute(
                update(photo).where(*self._still_claimed(claimed)).values(store_misses=0)
            )

    @staticmethod
    def _still_claimed(claimed: ClaimedPhoto) -> tuple[ColumnElement[bool], ...]:
        """The photo row while it is waiting under this claim."""
        return (
            photo.c.id == claimed.id,
            photo.c.state == PhotoState.RECEIVED.value,
            photo.c.claimed_at == claimed.claimed_at,
        )

    def _finish_once_more_on_a_race(
        self, claimed: ClaimedPhoto, reading: PageReading, now: Callable[[], datetime]
    ) -> None:
        """Two pages of one TPS finished at once both insert its form: the loser's
        ``IntegrityError`` is a race, and the second try finds the row. A second failure is
        left to the claim timeout (taken again), not taken for a bug."""
        try:
            self.finish(claimed, reading, now())
        except IntegrityError:
            try:
                self.finish(claimed, reading, now())
            except IntegrityError as error:
                raise OperationalError("finish", {}, error) from error

    def finish(self, claimed: ClaimedPhoto, reading: PageReading, at: datetime) -> None:
        ok = reading.status == "ok"
        target = PhotoState.CHECKED if ok else PhotoState.FAILED
        reason = "" if ok else f"{reading.status}: {reading.reason}"
        with self.engine.begin() as connection:
            # the log's writer lock first, as every writer of the log, the form and the photo
            # rows does (a verifier's entry takes it before it updates the form: taking it
            # after this update would let the two wait for each other's rows)
            lock_writers(connection)
            moved = connection.execute(
                update(photo)
                .where(*self._still_claimed(claimed))
                .values(
                    state=target.value, reason=reason, reading=reading.to_json(), store_misses=0
                )
            )
            if moved.rowcount != 1:
                # another worker finished it first, or took it over after the claim timeout
                # (this worker was too slow, or the photo failed and was retried meanwhile):
                # that claim's outcome is the one recorded, never two
                return
            events: list[Event] = [
                PhotoStateChanged(
                    claimed.kode_tps, claimed.id, PhotoState.RECEIVED.value, target.value, reason
                )
            ]
            if ok:
                events += self._assess(connection, claimed, at)
            else:  # a photo that failed says nothing of the TPS's times any more
                events += record_findings(connection, claimed.contest, [claimed.kode_tps])
            self.log.append(connection, events, at, READER_ACTOR, f"photo {claimed.id}")
            self.tally.refresh_in(connection, claimed.contest, [claimed.kode_tps])

    def _assess(self, connection: Connection, claimed: ClaimedPhoto, at: datetime) -> list[Event]:
        kode = KodeWilayah(claimed.kode_tps)
        jenis = self.tree.jenis_of(kode)
        decided = latest_pages(connection, claimed.kode_tps, claimed.contest)
        assessment = assess_form(
            kode, claimed.contest, decided.pages, self.form, self.election, jenis
        )
        if assessment.state in (FormState.ACCEPTED, FormState.NEEDS_VERIFICATION):
            assessment = _after_people(connection, claimed, assessment)
        # a page people sent back is still missing: the form waits for its new photo with
        # its machine reading hidden (still needs_verification), and no task opens yet
        waiting = assessment.state is FormState.INCOMPLETE and task_returned(
            connection, claimed.kode_tps, claimed.contest
        )
        if waiting:
            assessment = replace(assessment, state=FormState.NEEDS_VERIFICATION)
        events = save_form(
            connection, claimed.kode_tps, claimed.contest, assessment, at, decided.machine
        )
        if assessment.state is FormState.ACCEPTED:
            events += publish_values(
                connection,
                claimed.kode_tps,
                claimed.contest,
                jenis.value,
                assessment.values,
                "photo",
                claimed.sha256,  # the photo whose reading made the form whole or changed it
                decided.photos,
                refresh_tally=False,  # finish() refreshes it once, after every write
            )
        elif assessment.state is FormState.NEEDS_VERIFICATION and not waiting:
            open_task(connection, claimed.kode_tps, claimed.contest, assessment.reasons, at)
        target = PHOTO_STATE_OF_FORM.get(assessment.state)
        if target is not None:
            why = "; ".join(assessment.reasons) or "every field read, every identity holds"
            events += move_photos(connection, claimed.kode_tps, claimed.contest, target, why)
        return events

    def run_until_idle(self, now: Callable[[], datetime]) -> int:
        done = 0
        while self.process_next(now):
            done += 1
        return done
