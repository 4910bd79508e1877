"""Why a photo failed, as an operator needs to know it: something went wrong in processing it
(it may be processed again), or the photo was refused for what it is.

A failed photo's stored reason is ``"<status>: <why>"``. Processing errors are said as
``"unreadable: processing failed: …"`` (the reader crashed on it, a bug while its form was
assessed, its file lost from the photo store); the reader's own refusals (``not_a_form``,
``page_incomplete``, ``unreadable``) say what the photo is; a photo two people could not read
is ``"sent back: …"`` to its officer.
"""

from __future__ import annotations

from enum import StrEnum

PROCESSING_FAILED = "processing failed"
"""How the reason of a photo failed by an error (not by what the photo is) begins."""

LOST_FROM_STORE = "the photo store has lost its file"
"""Said after ``PROCESSING_FAILED`` when the store no longer holds the photo's bytes."""

DAMAGED_IN_STORE = "the photo store holds other bytes than the photo's"
"""Said after ``PROCESSING_FAILED`` when the stored bytes are not the photo's SHA-256."""

UNREADABLE_IN_STORE = "the photo store cannot give its file"
"""Said after ``PROCESSING_FAILED`` when the store answers but not with this photo's bytes,
try after try (a file it cannot read, an object it refuses)."""

SENT_BACK = "sent back"
"""How the reason of a photo people could not read begins."""


class FailureKind(StrEnum):
    PROCESSING_ERROR = "processing_error"
    """The reader or rekap failed on the photo (a crash, a bug since fixed): retried."""
    LOST_FROM_STORE = "lost_from_store"
    """The photo's bytes are missing, damaged or unreadable in the store: retried once an
    operator has put them back (or the officer sent the same photo again)."""
    REFUSED = "refused"
    """The reader refused the photo for what it is (not a form, the wrong page, unreadable):
    retried only when asked by name."""
    SENT_BACK = "sent_back"
    """Two people could not read it and it went back to its officer: never retried (the
    form waits for the officer's new photo)."""


RETRIED_BY_DEFAULT = frozenset({FailureKind.PROCESSING_ERROR, FailureKind.LOST_FROM_STORE})
"""The failures that ``--all-failed`` takes again: nothing is known to be wrong with the
photo itself."""


def failure_kind(reason: str) -> FailureKind:
    """The kind of failure a failed photo's stored reason tells."""
    if reason.startswith(SENT_BACK):
        return FailureKind.SENT_BACK
    _status, _, why = reason.partition(": ")
    for said in (reason, why):
        if said.startswith(PROCESSING_FAILED):
            after = said[len(PROCESSING_FAILED) :]
            if any(
                said in after for said in (LOST_FROM_STORE, DAMAGED_IN_STORE, UNREADABLE_IN_STORE)
            ):
                return FailureKind.LOST_FROM_STORE
            return FailureKind.PROCESSING_ERROR
    return FailureKind.REFUSED


def processing_failed(why: str) -> str:
    """The reason of a photo failed by an error: ``failure_kind`` tells it from a refusal."""
    return f"{PROCESSING_FAILED}: {why}"
