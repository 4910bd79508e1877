"""Who is entering which verification task now.

A task is handed to no more people at once than it still needs entries (two verifiers, then
one adjudicator): asking for the next task holds one for the person until ``HOLD`` lapses or
they enter it (one task at a time), so a third verifier of a region is handed another form
instead of typing one that two others are already entering; an entry that would take someone
else's place is refused (``may_enter``). A person may skip a task: its place is free at once,
it is not handed back to them for ``HOLD``, and after that only when nothing else waits.

Holds are working state, like a worker's claim of a photo: they change no result, so they are
not events of the public log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
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

from rekap.adapters.storage.schema import (
    account,
    photo,
    verification_entry,
    verification_hold,
    verification_task,
)
from rekap.capture.access import Principal, Role
from rekap.capture.verification import ENTRIES_NEEDED, HOLD, MAX_HOLD

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


def choose(connection: Connection, principal: Principal, at: datetime) -> Mapping[str, Any] | None:
    """The task to hand the person at ``at``: the one they hold, else the oldest with a place
    that they have not skipped, else the oldest with a place they skipped more than ``HOLD``
    ago. Tasks are read oldest first, a page at a time, and the places taken counted for a
    page at once: the first page nearly always has one."""
    me = principal.account_id
    base = select(verification_task).where(*_eligible(principal))
    held = select(verification_hold.c.task_id).where(
        verification_hold.c.account_id == me,
        verification_hold.c.skipped.is_(False),
        verification_hold.c.held_until > _stamp(at),
    )
    row = connection.execute(
        base.where(verification_task.c.id.in_(held)).order_by(verification_task.c.id).limit(1)
    ).first()
    if row is not None:
        return dict(row._mapping)
    skipped = _set_aside(connection, me)
    needed, now = ENTRIES_NEEDED[stage_of(principal)], _stamp(at)
    later: Mapping[str, Any] | None = None  # the oldest with a place, skipped long enough ago
    after = 0
    while True:
        query = base.where(verification_task.c.id > after).order_by(verification_task.c.id)
        rows = connection.execute(query.limit(PAGE)).mappings().all()
        if not rows:
            return later
        taken = _places_taken(connection, principal, [int(r["id"]) for r in rows], at)
        for found in rows:
            task_id = int(found["id"])
            if taken.get(task_id, 0) >= needed:
                continue
            if task_id not in skipped:
                return dict(found)
            if later is None and str(skipped[task_id]) <= now:
                later = dict(found)
        after = int(rows[-1]["id"])


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
            continue
        ends = datetime.fromisoformat(str(until))
        if ends >= datetime.fromisoformat(str(since)) + MAX_HOLD:  # their last hold of it
            aside[int(task_id)] = _stamp(ends + HOLD)
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
            verification_hold.c.held_until > _stamp(at),
            account.c.disabled.is_(False),
        )
        .group_by(verification_hold.c.task_id)
    )
    for query in (entries, holds):
        for task_id, count in connection.execute(query):
            taken[int(task_id)] = taken.get(int(task_id), 0) + int(count)
    return taken


def may_enter(connection: Connection, principal: Principal, task_id: int, at: datetime) -> bool:
    """Whether the person's entry of the task takes no one else's place: they hold it, or it
    has a place left (a hold that lapsed while they typed, with the place still free)."""
    mine = connection.execute(
        select(verification_hold.c.task_id).where(
            verification_hold.c.task_id == task_id,
            verification_hold.c.account_id == principal.account_id,
            verification_hold.c.skipped.is_(False),
            verification_hold.c.held_until > _stamp(at),
        )
    ).first()
    if mine is not None:
        return True
    taken = _places_taken(connection, principal, [task_id], at).get(task_id, 0)
    return taken < ENTRIES_NEEDED[stage_of(principal)]


def hold(connection: Connection, task_id: int, account_id: str, at: datetime) -> datetime:
    """Hold the task for the person from ``at`` (and no other: one enters one form at a
    time); returns when the hold lapses. Asking again extends a standing hold, never beyond
    ``MAX_HOLD`` from when it began: then its place goes to others, and it is not handed back
    to the person for ``HOLD`` (``_set_aside``), so no one keeps a form from everyone else by
    asking for it again and again."""
    since = _held_since(connection, task_id, account_id, at) or at
    until = min(at + HOLD, since + MAX_HOLD)
    connection.execute(  # their other standing hold, if any (a last one that lapsed stays)
        delete(verification_hold).where(
            verification_hold.c.account_id == account_id,
            verification_hold.c.skipped.is_(False),
            verification_hold.c.held_until > _stamp(at),
        )
    )
    _replace(connection, task_id, account_id, since, until, skipped=False)
    return until


def renew(connection: Connection, task_id: int, account_id: str, at: datetime) -> datetime | None:
    """Hold the task for the person from ``at`` again, if their hold of it has not lapsed
    (and not past ``MAX_HOLD``); when the new hold lapses, or None."""
    since = _held_since(connection, task_id, account_id, at)
    if since is None:  # (a standing hold began less than MAX_HOLD ago)
        return None
    until = min(at + HOLD, since + MAX_HOLD)
    _replace(connection, task_id, account_id, since, until, skipped=False)
    return until


def skip(connection: Connection, task_id: int, account_id: str, at: datetime) -> None:
    """The person gives the task back: its place is free at once; it is not handed to them
    again for ``HOLD`` (others may take it meanwhile), and after that only when nothing else
    waits."""
    _replace(connection, task_id, account_id, at, at + HOLD, skipped=True)


def release(connection: Connection, task_id: int, account_id: str | None = None) -> None:
    """Forget the person's hold (they entered the task) or, without one, every hold of the
    task (it closed, or moved on to adjudication: the places are counted anew)."""
    query = delete(verification_hold).where(verification_hold.c.task_id == task_id)
    if account_id is not None:
        query = query.where(verification_hold.c.account_id == account_id)
    connection.execute(query)


def _held_since(
    connection: Connection, task_id: int, account_id: str, at: datetime
) -> datetime | None:
    """Since when the person has held the task, if their hold stands at ``at``."""
    found = connection.execute(
        select(verification_hold.c.held_since).where(
            verification_hold.c.task_id == task_id,
            verification_hold.c.account_id == account_id,
            verification_hold.c.skipped.is_(False),
            verification_hold.c.held_until > _stamp(at),
        )
    ).first()
    return None if found is None else datetime.fromisoformat(str(found[0]))


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
            held_since=_stamp(since),
            held_until=_stamp(until),
            skipped=skipped,
        )
    )


def _stamp(at: datetime) -> str:
    """A time as stored: in UTC, ISO 8601 to the microsecond, so that stamps compare as text
    whatever zone the caller's clock gives (a time without a zone is refused)."""
    if at.tzinfo is None:
        raise ValueError("a hold's time needs a time zone")
    return at.astimezone(UTC).isoformat(timespec="microseconds")
