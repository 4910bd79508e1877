"""Where each captured TPS result came from, as the snapshot publishes it, against the log.

A TPS whose numbers rekap read from its photos (``source_kind`` ``photo``) or people entered
beside them (``entry``) is published with the SHA-256 of each page's photo (``photos``) and
its ``source_ref``: for ``photo`` the SHA-256 of the photo whose reading made the form whole
(``rekap.adapters.processing``), for ``entry`` the verification task that closed with its
numbers, ``task <id>`` (``rekap.adapters.storage.verification``).

What every log determines is checked: every published photo was received for that TPS,
contest and page (``photo.received``); a ``photo`` source is a photo received for that TPS and
contest; an ``entry`` source is a task of that TPS and contest that closed
(``verification.closed``; one logged before 2026-11-23 names no contest, and the caller takes
it as the recounted contest's). A photo swapped for one the officer never sent, or another
TPS's or page's, is named.

The store publishes, as each page's photo, the newest (highest id) photo of that page of the
TPS and contest in a read state (checked, accepted, needs_verification, verified, published)
at the moment it publishes the numbers: when a photo's reading makes the form whole (the
photo just read, received → checked, is the source; the form's assessment is ``accepted``),
or when people close a verification task. A photo read later that does not publish (the form
sent to people) leaves the published photos as they were. Since 2026-11-23 ``photo.received``
carries the photo's id, which each ``photo.state_changed`` names, so the log replays this
rule: each published page photo must be the one it chose when the form was last accepted (a
``photo`` source, which must be the photo read then) or when the named task closed (an
``entry``). A photo swapped for an older (or later) photo the officer sent of the same page is
named too. A TPS with a photo received without its id (a log written before then) is checked
only as above, and the report says how many were.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rekap.events.chain import Recorded

PHOTO = "photo"
ENTRY = "entry"
CAPTURED = (PHOTO, ENTRY)
RECEIVED = "received"
READ_STATES = frozenset({"checked", "accepted", "needs_verification", "verified", "published"})
"""The states of a photo the machine has read and no one has failed or sent back."""
ACCEPTED = "accepted"
_TASK = re.compile(r"task ([0-9]+)")


class _Photo:
    """One received photo, by its id: its TPS, page, hash and the state it is in now."""

    __slots__ = ("kode", "page", "sha256", "state")

    def __init__(self, kode: str, page: int, sha256: str) -> None:
        self.kode = kode
        self.page = page
        self.sha256 = sha256
        self.state = RECEIVED


@dataclass(frozen=True, slots=True)
class Chosen:
    """What the store's rule gives at the moment a TPS's numbers were published: each page's
    newest read photo, and (for a form accepted) the photo read just before."""

    pages: tuple[tuple[int, str], ...]
    """(page, SHA-256) of each page with a read photo, in page order."""
    read: str | None = None


@dataclass
class Captured:
    """What the log says of one contest's captured TPS: the photos received for each (TPS,
    page), the verification tasks closed for each TPS, and, replayed from the photos' ids,
    the photos chosen when each form was last accepted and each task closed."""

    received: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    """The hashes of the photos received without their ids (older logs), by TPS and page."""
    closed: dict[str, set[int]] = field(default_factory=dict)
    photos: dict[int, _Photo] = field(default_factory=dict)
    """The photos received with their ids, by id."""
    of_tps: dict[str, list[int]] = field(default_factory=dict)
    unnamed: set[str] = field(default_factory=set)
    """TPS with a photo received without its id (older logs): the rule cannot be replayed."""
    read_last: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, Chosen] = field(default_factory=dict)
    entered: dict[tuple[str, int], Chosen] = field(default_factory=dict)

    def apply(self, record: Recorded) -> None:
        """Take in one record of the contest (the caller keeps to the snapshot's contest,
        scope and head); raises KeyError, TypeError or ValueError for a payload that is not
        its kind's shape."""
        payload = record.payload
        if record.kind == "photo.received":
            kode, page = str(payload["kode_tps"]), _integer(payload["page"])
            self._receive(kode, page, str(payload["sha256"]), payload.get("photo_id"))
        elif record.kind == "photo.state_changed":
            self._move(str(payload["kode_tps"]), _integer(payload["photo_id"]), payload["after"])
        elif record.kind == "form.assessed" and payload["state"] == ACCEPTED:
            kode = str(payload["kode_tps"])
            last = self.photos.get(self.read_last.get(kode, 0))
            self.accepted[kode] = Chosen(self._newest(kode), None if last is None else last.sha256)
        elif record.kind == "verification.closed":
            kode, task = str(payload["kode_tps"]), _integer(payload["task_id"])
            self.closed.setdefault(kode, set()).add(task)
            self.entered[kode, task] = Chosen(self._newest(kode))

    def _receive(self, kode: str, page: int, sha256: str, photo_id: object) -> None:
        if photo_id is None:
            self.received.setdefault(kode, {}).setdefault(page, set()).add(sha256)
            self.unnamed.add(kode)
            return
        number = _integer(photo_id)
        if number in self.photos:
            raise ValueError(f"photo {number} is received twice")
        self.photos[number] = _Photo(kode, page, sha256)
        self.of_tps.setdefault(kode, []).append(number)

    def _move(self, kode: str, photo_id: int, after: object) -> None:
        """A state change of a photo; one this contest never received (another contest's,
        or one received without its id) is left aside."""
        photo = self.photos.get(photo_id)
        if photo is None:
            return
        if photo.kode != kode:
            raise ValueError(f"photo {photo_id} is of TPS {photo.kode}, not {kode}")
        if not isinstance(after, str):
            raise TypeError(f"{after!r} is not a state")
        if photo.state == RECEIVED and after in READ_STATES:
            self.read_last[kode] = photo_id
        photo.state = after

    def _newest(self, kode: str) -> tuple[tuple[int, str], ...]:
        """Each page's newest (highest id) photo of the TPS in a read state, now."""
        newest: dict[int, tuple[int, str]] = {}
        for photo_id in self.of_tps.get(kode, ()):
            photo = self.photos[photo_id]
            if photo.state in READ_STATES and photo_id > newest.get(photo.page, (0, ""))[0]:
                newest[photo.page] = (photo_id, photo.sha256)
        return tuple((page, newest[page][1]) for page in sorted(newest))

    def sent(self, kode: str, page: int, sha256: str) -> bool:
        """Whether the log received this photo of this page of the TPS."""
        if sha256 in self.received.get(kode, {}).get(page, ()):
            return True
        return any(p.page == page and p.sha256 == sha256 for p in self._photos_of(kode))

    def sent_any_page(self, kode: str, sha256: str) -> bool:
        """Whether the log received this photo of any page of the TPS."""
        if any(sha256 in sent for sent in self.received.get(kode, {}).values()):
            return True
        return any(p.sha256 == sha256 for p in self._photos_of(kode))

    def _photos_of(self, kode: str) -> Iterator[_Photo]:
        return (self.photos[photo_id] for photo_id in self.of_tps.get(kode, ()))

    def replayable(self, kode: str) -> bool:
        """Whether every photo of the TPS was received with its id, so the store's choice of
        its photos can be replayed."""
        return kode not in self.unnamed


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


def captured_differences(
    kode: str,
    says: str,
    kind: str,
    reference: str | None,
    photos: Sequence[str | None] | None,
    log: Captured,
) -> list[str]:
    """How one captured TPS's published photos and ``source_ref`` differ from what the log
    received, closed and (where it names its photos' ids) chose (``says`` names the file);
    ``photos`` None when the file publishes none (older snapshots)."""
    found = [
        f"TPS {kode} photo of page {page}: {says} says {sha256!r}, "
        "the log received no such photo of that page"
        for page, sha256 in enumerate(photos or (), 1)
        if sha256 is not None and not log.sent(kode, page, sha256)
    ]
    if kind == PHOTO:
        found += _read_differences(kode, says, reference, photos, log)
    elif kind == ENTRY:
        found += _entered_differences(kode, says, reference, photos, log)
    return found


def _read_differences(
    kode: str, says: str, reference: str | None, photos: Sequence[str | None] | None, log: Captured
) -> list[str]:
    """A ``photo`` source: a photo received for the TPS and, where the log names its photos'
    ids, the photo read when the form was last accepted; the page photos chosen then."""
    sent = reference is not None and log.sent_any_page(kode, reference)
    found = []
    if not sent:
        found.append(
            f"TPS {kode} source_ref: {says} says read from {reference!r}, "
            "the log received no such photo of the TPS"
        )
    if not log.replayable(kode):
        return found
    chosen = log.accepted.get(kode)
    if chosen is None:
        if sent:
            found.append(
                f"TPS {kode} source_ref: {says} says read from {reference!r}, "
                "the log accepts no reading of the form"
            )
        return found
    if sent and chosen.read != reference:
        found.append(
            f"TPS {kode} source_ref: {says} says read from {reference!r}, "
            f"the log last accepted the form when it read {chosen.read!r}"
        )
    when = "when the form was last accepted"
    return found + _chosen_differences(kode, says, photos, chosen, when, log)


def _entered_differences(
    kode: str, says: str, reference: str | None, photos: Sequence[str | None] | None, log: Captured
) -> list[str]:
    """An ``entry`` source: a task of the TPS the log closed; where the log names its
    photos' ids, the page photos chosen when it closed."""
    task = _TASK.fullmatch(reference or "")
    if task is None or int(task.group(1)) not in log.closed.get(kode, ()):
        return [
            f"TPS {kode} source_ref: {says} says entered in {reference!r}, "
            "the log closes no such verification task of the TPS"
        ]
    if not log.replayable(kode):
        return []
    chosen = log.entered[kode, int(task.group(1))]
    return _chosen_differences(kode, says, photos, chosen, f"when {reference} closed", log)


def _chosen_differences(
    kode: str,
    says: str,
    photos: Sequence[str | None] | None,
    chosen: Chosen,
    when: str,
    log: Captured,
) -> list[str]:
    """Each published page photo against the store's choice ``when`` the numbers were
    published; a page whose photo the log never received of it is named already."""
    if photos is None:
        return []
    published = {page: sha256 for page, sha256 in enumerate(photos, 1) if sha256 is not None}
    found = []
    pages = dict(chosen.pages)
    for page in sorted(published.keys() | pages.keys()):
        sha256, wanted = published.get(page), pages.get(page)
        if sha256 == wanted or (sha256 is not None and not log.sent(kode, page, sha256)):
            continue
        found.append(
            f"TPS {kode} photo of page {page}: {says} says {_say(sha256)}, "
            f"the newest photo of that page read {when} is {_say(wanted)}"
        )
    return found


def _say(sha256: str | None) -> str:
    return "none" if sha256 is None else repr(sha256)


@dataclass
class Unreplayed:
    """The captured TPS compared whose photos the log received without their ids: how many,
    and the first."""

    counted: int = 0
    first: str | None = None

    def count(self, kode: str, log: Captured) -> None:
        if not log.replayable(kode):
            self.counted += 1
            self.first = self.first or kode

    def note(self) -> str:
        many = f"{self.counted} captured TPS (e.g. {self.first})"
        return (
            f"The photos of {many if self.counted > 1 else f'TPS {self.first}'} were not "
            "checked against the store's choice of each page's photo: the log received them "
            "without their ids (photo.received before 2026-11-23), so which photo each "
            "photo.state_changed moved is not in it; each was checked to be a photo the log "
            "received of its TPS and page."
        )
