"""Where each captured TPS result came from, as the snapshot publishes it, against the log.

A TPS whose numbers rekap read from its photos (``source_kind`` ``photo``) or people entered
beside them (``entry``) is published with the SHA-256 of each page's photo (``photos``) and
its ``source_ref``: for ``photo`` the SHA-256 of the photo whose reading made the form whole
(``rekap.adapters.processing``), for ``entry`` the verification task that closed with its
numbers, ``task <id>`` (``rekap.adapters.storage.verification``). The store takes each page's
photo as its newest photo in a read state; the log cannot give that: ``photo.received`` names a
photo by its hash, TPS, contest and page but not by its id, and ``photo.state_changed`` names
it by its id only (no hash, page or contest), so which received photo a state change moves is
not in the log. What the log does determine is checked: every published photo was received
for that TPS, contest and page (``photo.received``); a ``photo`` source is a photo received for
that TPS and contest; an ``entry`` source is a task of that TPS that closed
(``verification.closed``). A photo swapped for one the officer never sent, or another TPS's or
page's, is named; one swapped for an older photo the officer sent of the same page is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rekap.events.chain import Recorded

PHOTO = "photo"
ENTRY = "entry"
CAPTURED = (PHOTO, ENTRY)
_TASK = re.compile(r"task ([0-9]+)")


@dataclass
class Captured:
    """What the log says of one contest's captured TPS: the hashes of the photos received
    for each (TPS, page), and the verification tasks closed for each TPS."""

    received: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    closed: dict[str, set[int]] = field(default_factory=dict)

    def apply(self, record: Recorded) -> None:
        """Take in one record of the contest (the caller keeps to the snapshot's contest,
        scope and head); raises KeyError, TypeError or ValueError for a payload that is not
        its kind's shape."""
        payload = record.payload
        if record.kind == "photo.received":
            pages = self.received.setdefault(str(payload["kode_tps"]), {})
            pages.setdefault(_integer(payload["page"]), set()).add(str(payload["sha256"]))
        elif record.kind == "verification.closed":
            kode = str(payload["kode_tps"])
            self.closed.setdefault(kode, set()).add(_integer(payload["task_id"]))

    def sent(self, kode: str, page: int, sha256: str) -> bool:
        """Whether the log received this photo of this page of the TPS."""
        return sha256 in self.received.get(kode, {}).get(page, ())

    def sent_any_page(self, kode: str, sha256: str) -> bool:
        """Whether the log received this photo of any page of the TPS."""
        return any(sha256 in sent for sent in self.received.get(kode, {}).values())


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
    received and closed (``says`` names the file); ``photos`` None when the file publishes
    none (older snapshots)."""
    found = [
        f"TPS {kode} photo of page {page}: {says} says {sha256!r}, "
        "the log received no such photo of that page"
        for page, sha256 in enumerate(photos or (), 1)
        if sha256 is not None and not log.sent(kode, page, sha256)
    ]
    if kind == PHOTO and not (reference is not None and log.sent_any_page(kode, reference)):
        found.append(
            f"TPS {kode} source_ref: {says} says read from {reference!r}, "
            "the log received no such photo of the TPS"
        )
    if kind == ENTRY:
        task = _TASK.fullmatch(reference or "")
        if task is None or int(task.group(1)) not in log.closed.get(kode, ()):
            found.append(
                f"TPS {kode} source_ref: {says} says entered in {reference!r}, "
                "the log closes no such verification task of the TPS"
            )
    return found
