"""Who is entering which verification task now.

A task is handed to no more people at once than it still needs entries (two verifiers, then
one adjudicator): asking for the next task holds one for the person until ``HOLD`` lapses or
they enter it, so a third verifier of a region is handed another form instead of typing one
that two others are already entering. A person may skip a task: it goes to the back of their
own queue (still handed to them when nothing else waits) and frees its place for others.

Holds are working state, like a worker's claim of a photo: they change no result, so they are
not events of the public log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
)

from rekap.adapters.storage.schema import verification_entry, verification_hold, verification_task
from rekap.capture.access import Principal, Role
from rekap.capture.verification import ENTRIES_NEEDED, HOLD

HOLD_LOCK = 0x7265_6B61_7001
"""PostgreSQL's advisory lock that serialises handing out tasks (SQLite transactions hold the
database's write lock already)."""


def lock_holds(connection: Connection) -> None:
    """Take the lock of the holds for the rest of the transaction: two people asking at once
    cannot both take a task's last place."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HOLD_LOCK})


def stage_of(principal: Principal) -> str:
    """The state of the tasks this person enters: adjudication for an adjudicator."""
    return "adjudication" if principal.role is Role.ADJUDICATOR else "open"


def _holding(account_id: str, at: datetime, mine: bool) -> ColumnElement[bool]:
    """A hold of this task that has not lapsed: the person's own, or someone else's."""
    who = verification_hold.c.account_id
    return and_(
        verification_hold.c.task_id == verification_task.c.id,
        who == account_id if mine else who != account_id,
        verification_hold.c.skipped.is_(False),
        verification_hold.c.held_until > _stamp(at),
    )


def candidates(
    principal: Principal, at: datetime
) -> tuple[ColumnElement[bool], list[ColumnElement[Any]]]:
    """The condition a task must meet to be handed to ``principal`` at ``at`` (their own
    hold, or a place left after the entries made and the others' holds) and the order to
    hand them in: their own hold first, the tasks they skipped last, then the oldest."""
    stage = stage_of(principal)
    role = Role.ADJUDICATOR if stage == "adjudication" else Role.VERIFIER
    entered = (
        select(func.count())
        .select_from(verification_entry)
        .where(
            verification_entry.c.task_id == verification_task.c.id,
            verification_entry.c.role == role.value,
        )
        .scalar_subquery()
    )
    others = (
        select(func.count())
        .select_from(verification_hold)
        .where(_holding(principal.account_id, at, mine=False))
        .scalar_subquery()
    )
    mine = exists().where(_holding(principal.account_id, at, mine=True))
    skipped = exists().where(
        verification_hold.c.task_id == verification_task.c.id,
        verification_hold.c.account_id == principal.account_id,
        verification_hold.c.skipped.is_(True),
    )
    room = or_(mine, entered + others < ENTRIES_NEEDED[stage])
    order = [case((mine, 0), else_=1), case((skipped, 1), else_=0), verification_task.c.id]
    return room, order


def hold(connection: Connection, task_id: int, account_id: str, at: datetime) -> datetime:
    """Hold the task for the person from ``at``; returns when the hold lapses."""
    until = at + HOLD
    _replace(connection, task_id, account_id, until, skipped=False)
    return until


def skip(connection: Connection, task_id: int, account_id: str, at: datetime) -> None:
    """The person gives the task back: its place is free, and it is handed to them again only
    when nothing else waits."""
    _replace(connection, task_id, account_id, at, skipped=True)


def release(connection: Connection, task_id: int, account_id: str | None = None) -> None:
    """Forget the person's hold (they entered the task) or, without one, every hold of the
    task (it closed, or moved on to adjudication: the places are counted anew)."""
    query = delete(verification_hold).where(verification_hold.c.task_id == task_id)
    if account_id is not None:
        query = query.where(verification_hold.c.account_id == account_id)
    connection.execute(query)


def held_until(connection: Connection, task_id: int, account_id: str) -> str | None:
    """When the person's hold of the task lapses (ISO 8601), or None."""
    found = connection.execute(
        select(verification_hold.c.held_until).where(
            verification_hold.c.task_id == task_id,
            verification_hold.c.account_id == account_id,
            verification_hold.c.skipped.is_(False),
        )
    ).first()
    return None if found is None else str(found[0])


def _replace(
    connection: Connection, task_id: int, account_id: str, until: datetime, skipped: bool
) -> None:
    release(connection, task_id, account_id)
    connection.execute(
        insert(verification_hold).values(
            task_id=task_id, account_id=account_id, held_until=_stamp(until), skipped=skipped
        )
    )


def _stamp(at: datetime) -> str:
    """A time as stored: ISO 8601 to the microsecond, so that stamps compare as text."""
    return at.isoformat(timespec="microseconds")
