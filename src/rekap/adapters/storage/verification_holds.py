"""Who is entering which verification task now.

A task is handed to no more people at once than it still needs entries (two verifiers, then
one adjudicator): asking for the next task holds one for the person until ``HOLD`` lapses or
they enter it (one task at a time), so a third verifier of a region is handed another form
instead of typing one that two others are already entering. Which one is drawn at random
among the ``HANDED_AMONG`` oldest with a place, so that no one chooses the form they verify.
Only the form handed last to the person may be entered (``entry_refusal``), and only if that
takes no one else's place; a hold let lapse hands the same form back while it has a place. A
person may skip the form handed to them, ``SKIPS_ALLOWED`` times in any ``SKIP_WINDOW``
(``skip_refusal``), or report its photos unreadable, ``REPORTS_ALLOWED`` times
(``report_refusal``): its place is free at once, it is not handed back to them for ``HOLD``,
and after that only when nothing else waits.

Holds are working state, like a worker's claim of a photo: they change no result, so they are
not events of the public log.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    delete,
    exists,
    func,
    insert,
    select,
    text,
)

from rekap.adapters.storage.photo_times import stored_time
from rekap.adapters.storage.schema import (
    account,
    photo,
    verification_entry,
    verification_hold,
    verification_report,
    verification_skip,
    verification_task,
)
from rekap.capture.access import Principal, Role
from rekap.capture.verification import (
    ENTRIES_NEEDED,
    HANDED_AMONG,
    HOLD,
    MAX_HOLD,
    REPORTS_ALLOWED,
    SKIP_WINDOW,
    SKIPS_ALLOWED,
    next_skip_at,
)

Row = Mapping[str, Any]
Pick = Callable[[Sequence[Row]], Row]
_CHANCE = secrets.SystemRandom()


def draw(candidates: Sequence[Row]) -> Row:
    """One of ``candidates``, each as likely, from the operating system's randomness (no one
    can predict the next draw from those they saw)."""
    return _CHANCE.choice(candidates)


HOLD_LOCK = 0x7265_6B61_7001
"""PostgreSQL's advisory lock that serialises handing out tasks (SQLite transactions hold the
database's write lock already)."""


PAGE = 200
"""Tasks looked at per query while looking for one with a place (oldest first)."""


def lock_holds(connection: Connection) -> None:
    """Take the lock of the holds for the rest of the transaction: two people asking at once
    cannot both take a task's last place."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HOLD_LOCK})


def stage_of(principal: Principal) -> str:
    """The state of the tasks this person enters: adjudication for an adjudicator."""
    return "adjudication" if principal.role is Role.ADJUDICATOR else "open"


def _eligible(principal: Principal) -> list[ColumnElement[bool]]:
    """A task of the person's region and stage that they have not entered and whose photos
    they did not take."""
    me = principal.account_id
    entered = select(verification_entry.c.task_id).where(verification_entry.c.account_id == me)
    photographed = exists().where(
        photo.c.kode_tps == verification_task.c.kode_tps, photo.c.account_id == me
    )
    return [
        verification_task.c.state == stage_of(principal),
        verification_task.c.kode_tps.startswith(principal.scope),
        verification_task.c.id.not_in(entered),
        ~photographed,
    ]


def choose(
    connection: Connection,
    principal: Principal,
    at: datetime,
    among: int = HANDED_AMONG,
    pick: Pick = draw,
) -> Row | None:
    """The task to hand the person at ``at``: the one they hold, else the one last handed to
    them if their hold lapsed and it has a place (``_lapsed_hand_out``), else one drawn
    (``pick``) among the ``among`` oldest with a place that they have not set aside, else one
    drawn among those with a place they set aside more than ``HOLD`` ago. Tasks are read
    oldest first, a page at a time, and the places taken counted for a page at once: the
    first page nearly always has enough."""
    me = principal.account_id
    base = select(verification_task).where(*_eligible(principal))
    held = select(verification_hold.c.task_id).where(
        verification_hold.c.account_id == me,
        verification_hold.c.skipped.is_(False),
        verification_hold.c.held_until > stamp(at),
    )
    row = connection.execute(
        base.where(verification_task.c.id.in_(held)).order_by(verification_task.c.id).limit(1)
    ).first()
    if row is not None:
        return dict(row._mapping)
    needed, now = ENTRIES_NEEDED[stage_of(principal)], stamp(at)
    lapsed = _lapsed_hand_out(connection, principal, base, at)
    if lapsed is not None:
        return lapsed
    skipped = _set_aside(connection, me)
    rested: list[Row] = []  # with a place, skipped long enough ago: when nothing else waits
    candidates: list[Row] = []
    after = 0
    while True:
        query = base.where(verification_task.c.id > after).order_by(verification_task.c.id)
        rows = connection.execute(query.limit(PAGE)).mappings().all()
        if not rows:
            chosen = candidates or rested
            return pick(chosen) if chosen else None
        taken = _places_taken(connection, principal, [int(r["id"]) for r in rows], at)
        for found in rows:
            task_id = int(found["id"])
            if taken.get(task_id, 0) >= needed:
                continue
            if task_id not in skipped:
                candidates.append(dict(found))
                if len(candidates) >= among:
                    return pick(candidates)
            elif len(rested) < among and str(skipped[task_id]) <= now:
                rested.append(dict(found))
        after = int(rows[-1]["id"])


def _lapsed_hand_out(
    connection: Connection, principal: Principal, base: Any, at: datetime
) -> Row | None:
    """The task last handed to the person, if their hold of it lapsed less than ``MAX_HOLD``
    after it began (and that hour is not over) and it still has a place for them: letting a
    hold lapse is no new draw. When others took its place meanwhile, the person is handed
    another, and that counts as a skip (``SKIPS_ALLOWED``, the statistics)."""
    last = _last_hand_out(connection, principal.account_id)
    if last is None:
        return None
    task_id, since, until = last
    if not _resumable(since, until, at):
        return None
    row = connection.execute(base.where(verification_task.c.id == task_id)).mappings().first()
    if row is None:  # closed, moved on: not the person's doing
        return None
    taken = _places_taken(connection, principal, [task_id], at).get(task_id, 0)
    if taken < ENTRIES_NEEDED[stage_of(principal)]:
        return dict(row)
    skip(connection, task_id, principal.account_id, at)  # given back, once, and counted
    return None


def _last_hand_out(connection: Connection, account_id: str) -> tuple[int, str, str] | None:
    """The task last handed to the person and not given back, with its hold's stamps
    (since, until)."""
    found = connection.execute(
        select(
            verification_hold.c.task_id,
            verification_hold.c.held_since,
            verification_hold.c.held_until,
        )
        .where(
            verification_hold.c.account_id == account_id,
            verification_hold.c.skipped.is_(False),
        )
        .order_by(verification_hold.c.held_since.desc(), verification_hold.c.task_id.desc())
        .limit(1)
    ).first()
    return None if found is None else (int(found[0]), str(found[1]), str(found[2]))


def _capped(since: str, until: str) -> bool:
    """Whether a hold (its stored stamps) ran for ``MAX_HOLD``: its place goes to others."""
    return stored_time(until) >= stored_time(since) + MAX_HOLD


def _set_aside(connection: Connection, account_id: str) -> dict[int, str]:
    """The tasks the person set aside, each with when it may be handed to them again (as a
    stamp): those they skipped, and those they held for ``MAX_HOLD`` (``HOLD`` after that
    last hold lapsed)."""
    rows = connection.execute(
        select(
            verification_hold.c.task_id,
            verification_hold.c.held_since,
            verification_hold.c.held_until,
            verification_hold.c.skipped,
        ).where(verification_hold.c.account_id == account_id)
    ).all()
    aside: dict[int, str] = {}
    for task_id, since, until, skipped in rows:
        if skipped:
            aside[int(task_id)] = str(until)
        elif _capped(str(since), str(until)):  # their last hold of it
            aside[int(task_id)] = stamp(stored_time(str(until)) + HOLD)
    return aside


def _places_taken(
    connection: Connection, principal: Principal, task_ids: list[int], at: datetime
) -> dict[int, int]:
    """Per task, the entries of the person's stage and the live holds of other enabled
    people."""
    stage = stage_of(principal)
    role = Role.ADJUDICATOR if stage == "adjudication" else Role.VERIFIER
    taken: dict[int, int] = {}
    entries = (
        select(verification_entry.c.task_id, func.count())
        .where(
            verification_entry.c.task_id.in_(task_ids),
            verification_entry.c.role == role.value,
        )
        .group_by(verification_entry.c.task_id)
    )
    holds = (
        select(verification_hold.c.task_id, func.count())
        .join(account, account.c.id == verification_hold.c.account_id)
        .where(
            verification_hold.c.task_id.in_(task_ids),
            verification_hold.c.account_id != principal.account_id,
            verification_hold.c.skipped.is_(False),
            verification_hold.c.held_until > stamp(at),
            account.c.disabled.is_(False),
        )
        .group_by(verification_hold.c.task_id)
    )
    for query in (entries, holds):
        for task_id, count in connection.execute(query):
            taken[int(task_id)] = taken.get(int(task_id), 0) + int(count)
    return taken


NOT_HANDED = "this form was not handed to you (or you skipped it): ask for the next form"
TAKEN = "others are entering this form already (your hold lapsed): ask for the next form"


def entry_refusal(
    connection: Connection, principal: Principal, task_id: int, at: datetime
) -> str | None:
    """Why the person may not enter the task now, or None: it was handed to them (and not
    skipped since), and their entry takes no one else's place: they hold it, or their hold
    lapsed while they typed and the place is still free."""
    until = _handed_until(connection, task_id, principal.account_id)
    if until is None:
        return NOT_HANDED
    if until > stamp(at):
        return None
    taken = _places_taken(connection, principal, [task_id], at).get(task_id, 0)
    return None if taken < ENTRIES_NEEDED[stage_of(principal)] else TAKEN


@dataclass(frozen=True)
class SkipRefusal:
    """Why a skip is refused; ``retry_after_s`` when it is the limit (seconds until a skip
    is allowed again)."""

    reason: str
    retry_after_s: int | None = None


def skip_refusal(
    connection: Connection, principal: Principal, task_id: int, at: datetime
) -> SkipRefusal | None:
    """Why the person may not skip the task now, or None: only a form handed to them (and not
    skipped already) is skipped, and no more than ``SKIPS_ALLOWED`` in ``SKIP_WINDOW``."""
    if _handed_until(connection, task_id, principal.account_id) is None:
        return SkipRefusal(NOT_HANDED)
    stamps = connection.execute(
        select(verification_skip.c.skipped_at).where(
            verification_skip.c.account_id == principal.account_id,
            verification_skip.c.skipped_at > stamp(at - SKIP_WINDOW),
        )
    ).scalars()
    return _over_limit([stored_time(str(s)) for s in stamps], at, SKIPS_ALLOWED, "skipped", "skip")


def report_refusal(
    connection: Connection, principal: Principal, task_id: int, at: datetime
) -> SkipRefusal | None:
    """Why the person may not report the photos of the task unreadable now, or None: only
    those of the form handed to them, and those of no more than ``REPORTS_ALLOWED`` forms in
    ``SKIP_WINDOW`` (one report names any photos of one form, all stamped alike)."""
    if _handed_until(connection, task_id, principal.account_id) is None:
        return SkipRefusal(NOT_HANDED)
    stamps = connection.execute(
        select(verification_report.c.reported_at)
        .where(
            verification_report.c.account_id == principal.account_id,
            verification_report.c.reported_at > stamp(at - SKIP_WINDOW),
        )
        .distinct()
    ).scalars()
    reported = [stored_time(str(s)) for s in stamps]
    return _over_limit(reported, at, REPORTS_ALLOWED, "reported photos of", "report photos")


def _over_limit(
    done_at: list[datetime], at: datetime, allowed: int, done: str, do: str
) -> SkipRefusal | None:
    """The refusal of one more skip (or report) when ``allowed`` were done in the window."""
    again = next_skip_at(done_at, at, allowed)
    if again is None:
        return None
    shown = again.astimezone(UTC)
    if shown.second or shown.microsecond:  # the minute it may be done by, not before
        shown = shown.replace(second=0, microsecond=0) + timedelta(minutes=1)
    reason = (
        f"you have {done} {len(done_at)} forms in the last hour: enter this one, or {do} "
        f"again after {shown:%H:%M} UTC"
    )
    return SkipRefusal(reason, max(1, math.ceil((again - at).total_seconds())))


def _handed_until(connection: Connection, task_id: int, account_id: str) -> str | None:
    """When the person's hold of the task lapses or lapsed (a stamp), if it is the task last
    handed to them and they have not given it back since; else None."""
    last = _last_hand_out(connection, account_id)
    return None if last is None or last[0] != task_id else last[2]


def hold(connection: Connection, task_id: int, account_id: str, at: datetime) -> datetime:
    """Hold the task for the person from ``at`` (and no other: one enters one form at a
    time); returns when the hold lapses. Asking again extends a standing hold, never beyond
    ``MAX_HOLD`` from when it began: then its place goes to others, and it is not handed back
    to the person for ``HOLD`` (``_set_aside``), so no one keeps a form from everyone else by
    asking for it again and again."""
    since = _resumed_since(connection, task_id, account_id, at) or at
    until = min(at + HOLD, since + MAX_HOLD)
    _give_back_others(connection, task_id, account_id)
    _replace(connection, task_id, account_id, since, until, skipped=False)
    return until


def _resumed_since(
    connection: Connection, task_id: int, account_id: str, at: datetime
) -> datetime | None:
    """Since when the person has held the task, if they hold it now, or their hold lapsed
    before ``MAX_HOLD`` and that hour is not over at ``at`` (asking again resumes it, counted
    from when it began)."""
    found = connection.execute(
        select(verification_hold.c.held_since, verification_hold.c.held_until).where(
            verification_hold.c.task_id == task_id,
            verification_hold.c.account_id == account_id,
            verification_hold.c.skipped.is_(False),
        )
    ).first()
    if found is None or not _resumable(str(found[0]), str(found[1]), at):
        return None
    return stored_time(str(found[0]))


def _resumable(since: str, until: str, at: datetime) -> bool:
    """Whether a hand-out (its stored stamps) is still the person's at ``at``: its hold
    stands (its hour goes on, capped or not), or it lapsed before ``MAX_HOLD`` and that hour
    since it began is not over."""
    if until > stamp(at):
        return True
    return not _capped(since, until) and stored_time(since) + MAX_HOLD > at


def _give_back_others(connection: Connection, task_id: int, account_id: str) -> None:
    """The person's other hand-outs are given back as another task is handed to them: only
    the last one handed may be entered (a hold let lapse is no right to enter that form
    later, or people would collect forms to choose from). One held for ``MAX_HOLD`` stays
    set aside for ``HOLD`` after it lapsed, as a skipped one (``_set_aside``)."""
    others = connection.execute(
        select(
            verification_hold.c.task_id,
            verification_hold.c.held_since,
            verification_hold.c.held_until,
        ).where(
            verification_hold.c.account_id == account_id,
            verification_hold.c.skipped.is_(False),
            verification_hold.c.task_id != task_id,
        )
    ).all()
    for other, since, until in others:
        if _capped(str(since), str(until)):
            rest = stored_time(str(until)) + HOLD
            _replace(connection, int(other), account_id, stored_time(str(since)), rest, True)
        else:
            release(connection, int(other), account_id)


def renew(
    connection: Connection, principal: Principal, task_id: int, at: datetime
) -> datetime | None:
    """Hold the task for the person from ``at`` again, if it is theirs to enter (handed to
    them last, and their place still free if their hold lapsed) within the hour since it was
    first handed; when the new hold lapses, or None."""
    if entry_refusal(connection, principal, task_id, at) is not None:
        return None
    since = _resumed_since(connection, task_id, principal.account_id, at)
    if since is None:
        return None
    until = min(at + HOLD, since + MAX_HOLD)
    _replace(connection, task_id, principal.account_id, since, until, skipped=False)
    return until


def skip(connection: Connection, task_id: int, account_id: str, at: datetime) -> None:
    """The person gives the task back (``give_back``); the skip is kept (``skip_refusal``
    counts them)."""
    give_back(connection, task_id, account_id, at)
    _count_skip(connection, task_id, account_id, at)


def give_back(connection: Connection, task_id: int, account_id: str, at: datetime) -> None:
    """The person gives the task back unentered: its place is free at once; it is not handed
    to them again for ``HOLD`` (others may take it meanwhile), and after that only when
    nothing else waits."""
    _replace(connection, task_id, account_id, at, at + HOLD, skipped=True)


def _count_skip(connection: Connection, task_id: int, account_id: str, at: datetime) -> None:
    """Keep a skip (``skip_refusal`` counts them; the statistics show them)."""
    connection.execute(
        insert(verification_skip).values(
            task_id=task_id, account_id=account_id, skipped_at=stamp(at)
        )
    )


def release(connection: Connection, task_id: int, account_id: str | None = None) -> None:
    """Forget the person's hold (they entered the task) or, without one, every hold of the
    task (it closed, or moved on to adjudication: the places are counted anew)."""
    query = delete(verification_hold).where(verification_hold.c.task_id == task_id)
    if account_id is not None:
        query = query.where(verification_hold.c.account_id == account_id)
    connection.execute(query)


def _replace(
    connection: Connection,
    task_id: int,
    account_id: str,
    since: datetime,
    until: datetime,
    skipped: bool,
) -> None:
    release(connection, task_id, account_id)
    connection.execute(
        insert(verification_hold).values(
            task_id=task_id,
            account_id=account_id,
            held_since=stamp(since),
            held_until=stamp(until),
            skipped=skipped,
        )
    )


def stamp(at: datetime) -> str:
    """A time as stored: in UTC, ISO 8601 to the microsecond, so that stamps compare as text
    whatever zone the caller's clock gives (a time without a zone is refused)."""
    if at.tzinfo is None:
        raise ValueError("a hold's time needs a time zone")
    return at.astimezone(UTC).isoformat(timespec="microseconds")
