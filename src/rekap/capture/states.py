"""The states a photo moves through, and the only transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class PhotoState(StrEnum):
    RECEIVED = "received"
    READ = "read"
    CHECKED = "checked"
    ACCEPTED = "accepted"
    NEEDS_VERIFICATION = "needs_verification"
    FAILED = "failed"
    VERIFIED = "verified"
    PUBLISHED = "published"


TRANSITIONS: dict[PhotoState, frozenset[PhotoState]] = {
    PhotoState.RECEIVED: frozenset({PhotoState.READ, PhotoState.FAILED}),
    PhotoState.READ: frozenset({PhotoState.CHECKED, PhotoState.FAILED}),
    # a photo of a form people verified, reading the same numbers, joins them as verified
    PhotoState.CHECKED: frozenset(
        {PhotoState.ACCEPTED, PhotoState.NEEDS_VERIFICATION, PhotoState.VERIFIED, PhotoState.FAILED}
    ),
    # a photo people cannot read (``REPORTS_NEEDED`` of them) is sent back to its officer
    PhotoState.NEEDS_VERIFICATION: frozenset({PhotoState.VERIFIED, PhotoState.FAILED}),
    PhotoState.ACCEPTED: frozenset({PhotoState.PUBLISHED, PhotoState.NEEDS_VERIFICATION}),
    # a later photo reading other numbers than people verified sends the form back to them
    PhotoState.VERIFIED: frozenset({PhotoState.PUBLISHED, PhotoState.NEEDS_VERIFICATION}),
    # a photo failed by an error or a file lost from the store is read again once that is put
    # right (`rekap photos retry`, or its officer sending the lost file again)
    PhotoState.FAILED: frozenset({PhotoState.RECEIVED}),
    # A new photo of a published form is read with it: the form is assessed again.
    PhotoState.PUBLISHED: frozenset(
        {PhotoState.ACCEPTED, PhotoState.NEEDS_VERIFICATION, PhotoState.VERIFIED}
    ),
}


class IllegalTransition(ValueError):
    """A state change the machine does not allow (a bug, or a stale worker)."""


def check_transition(current: PhotoState, target: PhotoState) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"a photo cannot go from {current} to {target}")
