"""Double-blind verification: two independent entries must agree and satisfy the rules.

Agreement that satisfies every blocking rule verifies the form; any disagreement, or agreed
numbers that break an identity, go to an adjudicator, whose entry decides.

A person may answer a field "cannot read" (a smudge, a digit cut by the fold) instead of a
number: an entry is then a number or ``None`` per field (``Entry``). Such a field is never
verified: one person's mark against another's number is a disagreement, and two people's marks
of the same field send the form to an adjudicator, who sees the whole photos. An adjudicator
who cannot read it either decides nothing: the photos of its page go back to their officer
(``send_back_fields``), as two people's reports of a whole photo send it back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.registry import check_tps

HOLD = timedelta(minutes=20)
"""How long a task handed to a person stays theirs: while they type, it is handed to no more
people than it needs entries; a hold that lapses (a closed laptop) frees the place."""

MAX_HOLD = timedelta(hours=1)
"""How long one person may hold one task, asking again and again: then its place goes to
others (and it is not handed back to them for ``HOLD``)."""

ENTRIES_NEEDED = {"open": 2, "adjudication": 1}
"""Entries a task takes in each state: two verifiers, then (if they disagree) one adjudicator."""

HANDED_AMONG = 50
"""A task is handed out at random among this many of the oldest that the person may enter
and that have a place: no one can count on being handed a form they chose (two people
agreeing on a false number verify it, one adjudicator decides alone), while no form waits
long behind younger ones."""

SKIPS_ALLOWED = 5
SKIP_WINDOW = timedelta(hours=1)
"""A person may skip at most ``SKIPS_ALLOWED`` forms in any ``SKIP_WINDOW``: enough for
photos they cannot read and a break, too few to skip their way to a form they chose (with
``HANDED_AMONG`` candidates, six looks reach a chosen form about one time in eight; a hold let
lapse hands the same form back, and counts as a skip when others took its place)."""


REPORTS_NEEDED = 2
"""People who must each report a photo they cannot read before it is sent back to its officer
(failed, with the reason, so that the officer's page asks for a new photo of the page): one
person's word is not enough to cost a TPS its photo."""

REPORTS_ALLOWED = 5
"""A person may report the photos of at most this many forms unreadable in any
``SKIP_WINDOW``. A report gives the form back as a skip does but is not counted as one (a
region of poor photos must not hold its verifiers up); it is limited apart, since each is one
more look for a form one chose (with ``SKIPS_ALLOWED`` skips too, eleven looks an hour reach a
chosen form among ``HANDED_AMONG`` about one time in five), and it is signed with the
person's name in the public log, where a report of a photo others then read is plain to see
(the statistics count them)."""


FLAG_FROM_ENTRIES = 5
FLAG_ABOVE = 0.2
"""A verifier is flagged for a check when more than ``FLAG_ABOVE`` of their entries disagree
with the final numbers of a verified form, once they have ``FLAG_FROM_ENTRIES`` entries (fewer
say little). A number marked "cannot read" is no disagreement."""


def flagged(entries: int, disagreed: int) -> bool:
    """Whether a verifier's ``disagreed`` entries of ``entries`` flag them for a check."""
    return entries >= FLAG_FROM_ENTRIES and disagreed / entries > FLAG_ABOVE


def next_skip_at(
    skipped_at: Sequence[datetime], at: datetime, allowed: int = SKIPS_ALLOWED
) -> datetime | None:
    """When the person may skip (or report, with ``REPORTS_ALLOWED``) again, given when they
    did before (any order), or None if they may at ``at``: the oldest of the window must
    leave it first."""
    recent = sorted(t for t in skipped_at if t > at - SKIP_WINDOW)
    if len(recent) < allowed:
        return None
    return recent[len(recent) - allowed] + SKIP_WINDOW


@dataclass(frozen=True)
class SendBack:
    """What the reports of a task's photos decide: the photos sent back to their officer
    (reported by ``REPORTS_NEEDED`` people), and the pages of the form left with no photo to
    enter from (then the task ends, ``returned``, and the form waits for new photos)."""

    photos: tuple[int, ...]
    pages_missing: tuple[int, ...]


def send_back(
    shown: Mapping[int, int], reporters: Mapping[int, Set[str]], pages_needed: Set[int]
) -> SendBack:
    """``shown``: the task's read photos (id to page; one still being read may fail, and
    covers no page); ``reporters``: per photo, who reported it unreadable; ``pages_needed``:
    the pages the form's fields are on."""
    gone = tuple(sorted(p for p in shown if len(reporters.get(p, ())) >= REPORTS_NEEDED))
    left = {page for photo_id, page in shown.items() if photo_id not in gone}
    missing = tuple(sorted(p for p in pages_needed if p not in left)) if gone else ()
    return SendBack(gone, missing)


Entry = Mapping[str, int | None]
"""A person's entry of a form: per field, the number they read, or None when they marked it
"cannot read"."""


def unreadable_fields(entry: Entry) -> tuple[str, ...]:
    """The fields the person marked "cannot read", in sorted order."""
    return tuple(sorted(k for k, v in entry.items() if v is None))


def read_numbers(entry: Entry) -> dict[str, int]:
    """The numbers the person read (the fields they marked "cannot read" left out)."""
    return {k: v for k, v in entry.items() if v is not None}


def entry_problem(
    form: FormSpec, values: Mapping[str, int], unreadable: Collection[str]
) -> str | None:
    """Why an entry is refused, or None: every field of the form must be answered, with a
    whole number 0–999 in ``values`` or named in ``unreadable``, never both."""
    known = form.by_id
    unknown = sorted((set(values) | set(unreadable)) - set(known))
    if unknown:
        return f"unknown fields: {', '.join(unknown)}"
    both = sorted(set(values) & set(unreadable))
    if both:
        return f"a field is a number or unreadable, not both: {', '.join(both)}"
    missing = [f for f in known if f not in values and f not in unreadable]
    if missing:
        return "every field is needed, a number or marked unreadable; missing: " + ", ".join(
            missing
        )
    if any(type(v) is not int or not 0 <= v <= 999 for v in values.values()):
        return "every number is a whole number 0–999"
    return None


def send_back_fields(shown: Mapping[int, int], fields: Set[str], form: FormSpec) -> SendBack:
    """What an adjudicator's "cannot read" decides: every read photo (``shown``: id to page)
    of the pages those ``fields`` are on goes back to its officer, and those pages are left
    with no photo to enter from (the task ends, ``returned``)."""
    pages = {form.by_id[f].page for f in fields}
    photos = tuple(sorted(p for p, page in shown.items() if page in pages))
    return SendBack(photos, tuple(sorted(pages)))


class TaskOutcome(StrEnum):
    WAITING = "waiting"
    VERIFIED = "verified"
    ADJUDICATION = "adjudication"


@dataclass(frozen=True)
class TaskDecision:
    outcome: TaskOutcome
    values: Mapping[str, int]
    disagreements: tuple[str, ...]
    reasons: tuple[str, ...]
    unreadable: tuple[str, ...] = ()
    """The fields neither verifier could read (both marked them)."""


def disagreements(a: Entry, b: Entry) -> tuple[str, ...]:
    """The fields two entries answer differently (a number against another, or against a
    "cannot read" mark)."""
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))


DIFFER, UNREAD = ": entries differ", ": neither verifier could read it"
"""The ends of a task's stored reasons for adjudication, after the field id (the portal words
them in the page's language)."""


def blocking_reasons(
    kode_tps: KodeWilayah,
    contest: str,
    values: Mapping[str, int],
    form: FormSpec,
    election: Election,
) -> tuple[str, ...]:
    findings = check_tps(TpsResult(kode_tps, contest, values), form, election)
    return tuple(f"{f.rule}: {', '.join(f.fields)}" for f in findings if f.blocking)


def decide_entries(
    kode_tps: KodeWilayah,
    contest: str,
    entries: Sequence[Entry],
    form: FormSpec,
    election: Election,
) -> TaskDecision:
    """The outcome of a task's verifier entries (not the adjudicator's). A field either
    marked "cannot read" is never verified: a mark against a number is a disagreement, and
    a field both marked goes to the adjudicator (the rules are not run over a form with a
    number missing)."""
    if len(entries) < 2:
        return TaskDecision(TaskOutcome.WAITING, {}, (), ())
    first, second = entries[0], entries[1]
    differ = disagreements(first, second)
    unread = tuple(f for f in unreadable_fields(first) if f not in differ)
    if differ or unread:
        reasons = tuple(f"{f}{DIFFER}" for f in differ) + tuple(f"{f}{UNREAD}" for f in unread)
        return TaskDecision(TaskOutcome.ADJUDICATION, {}, differ, reasons, unread)
    agreed = read_numbers(first)
    broken = blocking_reasons(kode_tps, contest, agreed, form, election)
    if broken:
        return TaskDecision(TaskOutcome.ADJUDICATION, agreed, (), broken)
    return TaskDecision(TaskOutcome.VERIFIED, agreed, (), ())
