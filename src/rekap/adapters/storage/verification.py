"""Double-blind verification in the store: tasks, entries, adjudication and statistics.

A verifier sees a task of their region they have not entered and did not photograph; the
entries of others stay hidden (the log carries only their salted hashes until the task
closes, then every entry with its salt). An entry answers every field of the form, with a
number or "cannot read" (stored as null), and each entry is decided under the log's writer
lock, so two people entering at once are taken one after the other.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Engine, insert, select, update

from rekap.adapters.storage import verification_statistics
from rekap.adapters.storage.event_store import EventLog, lock_writers
from rekap.adapters.storage.forms import (
    move_photos,
    newest_read_photos,
    publish_values,
)
from rekap.adapters.storage.schema import (
    form,
    photo,
    verification_entry,
    verification_task,
)
from rekap.adapters.storage.tally_store import LiveTally
from rekap.adapters.storage.verification_holds import (
    Pick,
    SkipRefusal,
    choose,
    draw,
    entry_refusal,
    give_back,
    hold,
    lock_holds,
    release,
    renew,
    report_refusal,
    skip,
    skip_refusal,
    stage_of,
)
from rekap.adapters.storage.verification_reports import (
    already_reported,
    record_reports,
    report_problem,
    reporters,
    send_photos_back,
    shown_photos,
)
from rekap.adapters.storage.verification_statistics import Standing
from rekap.capture.access import Principal, Role
from rekap.capture.assess import FormState
from rekap.capture.states import PhotoState
from rekap.capture.verification import (
    HANDED_AMONG,
    Entry,
    TaskOutcome,
    decide_entries,
    entry_problem,
    read_numbers,
    send_back,
    send_back_fields,
    unreadable_fields,
)
from rekap.domain.election import Election
from rekap.domain.form import FormSpec
from rekap.domain.wilayah import KodeWilayah
from rekap.events.model import (
    Event,
    VerificationClosed,
    VerificationEntered,
    VerificationEscalated,
    VerificationRevealed,
)


class VerificationRefused(Exception):
    """An entry that is not allowed: with a code for the HTTP layer (and details, such as
    ``retry_after_s`` of a limit)."""

    def __init__(self, code: str, message: str, details: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or {}


def _refuse(refusal: SkipRefusal | None) -> None:
    """Raise a skip's (or report's) refusal: ``rate_limited`` with ``retry_after_s`` for a
    limit, else ``conflict``."""
    if refusal is None:
        return
    if refusal.retry_after_s is None:
        raise VerificationRefused("conflict", refusal.reason)
    retry = {"retry_after_s": refusal.retry_after_s}
    raise VerificationRefused("rate_limited", refusal.reason, retry)


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    kode_tps: str
    contest: str
    state: str
    reasons: tuple[str, ...]
    photos: tuple[tuple[int, int], ...]  # (photo id, page)
    held_until: str | None = None
    """When the person's hold of the task lapses (ISO 8601), for the task handed to them."""


@dataclass(frozen=True, slots=True)
class Reported:
    """What a report of unreadable photos did: the photos it named, those sent back to their
    officer (reported by enough people now), and the task's state afterwards (``returned``
    when a page of the form is left without a photo)."""

    task_id: int
    photos: tuple[int, ...]
    sent_back: tuple[int, ...]
    state: str


def entry_digest(values: Entry, salt: str) -> str:
    """The hash the log commits to an entry with: SHA-256 of the salt's hex, ':', and the
    numbers as JSON with sorted keys (a field marked "cannot read" as null)."""
    text = f"{salt}:{json.dumps(dict(values), sort_keys=True)}"
    return hashlib.sha256(text.encode()).hexdigest()


class VerificationStore:
    """``among`` and ``pick``: how the next task is chosen among those with a place
    (``verification_holds.choose``); a test may make the choice plain."""

    def __init__(
        self,
        engine: Engine,
        log: EventLog,
        form_spec: FormSpec,
        election: Election,
        among: int = HANDED_AMONG,
        pick: Pick = draw,
    ):
        self.engine = engine
        self.log = log
        self.form_spec = form_spec
        self.election = election
        self.among = among
        self.pick = pick
        self.tally = LiveTally(engine)
        """The stored tally, brought up to each closed task in the same transaction."""

    def _uploaders(self, connection: Connection, kode_tps: str) -> set[str]:
        query = select(photo.c.account_id).where(photo.c.kode_tps == kode_tps)
        return {a for (a,) in connection.execute(query)}

    def _task(self, connection: Connection, row: Mapping[str, object]) -> Task:
        photos = connection.execute(
            select(photo.c.id, photo.c.page)
            .where(photo.c.kode_tps == row["kode_tps"], photo.c.state != PhotoState.FAILED.value)
            .order_by(photo.c.page, photo.c.id)
        ).all()
        return Task(
            int(str(row["id"])),
            str(row["kode_tps"]),
            str(row["contest"]),
            str(row["state"]),
            tuple(cast(list[str], row["reasons"])),
            tuple((int(i), int(p)) for i, p in photos),
        )

    def next_task(self, principal: Principal, at: datetime | None = None) -> Task | None:
        """The task this person is entering now, else one drawn among the oldest of their
        region they may enter that still have a place (entries made and others' holds fall
        short of those it needs), held for them (``verification_holds``); or None. A task they
        skipped comes back to them only after ``HOLD``, and after every other."""
        at = datetime.now(UTC) if at is None else at
        with self.engine.begin() as connection:
            lock_holds(connection)
            row = choose(connection, principal, at, self.among, self.pick)
            if row is None:
                return None
            until = hold(connection, int(str(row["id"])), principal.account_id, at)
            shown = until.astimezone(UTC).isoformat()
            return replace(self._task(connection, row), held_until=shown)

    def renew_hold(self, principal: Principal, task_id: int, at: datetime) -> str | None:
        """Hold the task for the person from ``at`` again while it is theirs to enter (handed
        to them last; if their hold lapsed, its place still free); when the new hold lapses
        (ISO 8601), or None."""
        with self.engine.begin() as connection:
            lock_holds(connection)
            until = renew(connection, principal, task_id, at)
        return None if until is None else until.astimezone(UTC).isoformat()

    def skip(self, principal: Principal, task_id: int, at: datetime) -> None:
        """Give back the task handed to this person (a photo they cannot read, a break): its
        place is free for another, and it is handed to them again only when nothing else
        waits. Refused beyond ``SKIPS_ALLOWED`` skips in ``SKIP_WINDOW``."""
        with self.engine.begin() as connection:
            lock_holds(connection)
            self._allowed_task(connection, principal, task_id)
            _refuse(skip_refusal(connection, principal, task_id, at))
            skip(connection, task_id, principal.account_id, at)

    def report_unreadable(
        self, principal: Principal, task_id: int, photo_ids: Sequence[int], at: datetime
    ) -> Reported:
        """The person cannot read these photos of the form handed to them: the report is kept
        and logged under their name, and the form is given back as a skip gives it (not
        counted as one; at most ``REPORTS_ALLOWED`` forms an hour). A photo reported by
        ``REPORTS_NEEDED`` people is sent back to its officer (``verification_reports``)."""
        wanted = sorted(set(photo_ids))
        with self.engine.begin() as connection:
            lock_writers(connection)  # photos, the form and the log may change
            lock_holds(connection)
            row = self._allowed_task(connection, principal, task_id)
            _refuse(report_refusal(connection, principal, task_id, at))
            kode, contest = str(row["kode_tps"]), str(row["contest"])
            shown = shown_photos(connection, kode)
            known = [p for p in wanted if p in shown]
            problem = report_problem(
                shown, wanted, already_reported(connection, principal.account_id, known)
            )
            if problem is not None:
                raise VerificationRefused("invalid_input", problem)
            events = record_reports(connection, row, principal.account_id, wanted, shown, at)
            give_back(connection, task_id, principal.account_id, at)
            pages = {p: s.page for p, s in shown.items() if s.read}
            needed = {f.page for f in self.form_spec.fields}
            decided = send_back(pages, reporters(connection, list(shown)), needed)
            events += send_photos_back(connection, row, decided, shown, at)
            self.log.append(connection, events, at, principal.account_id, f"task {task_id}")
            self.tally.refresh_in(connection, contest, [kode])
        state = "returned" if decided.pages_missing else str(row["state"])
        return Reported(task_id, tuple(wanted), decided.photos, state)

    def get(self, task_id: int) -> Task | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(verification_task).where(verification_task.c.id == task_id)
                )
                .mappings()
                .first()
            )
            return None if row is None else self._task(connection, dict(row))

    def unreadable_marks(self, task_id: int) -> dict[str, tuple[str, ...]]:
        """Per person who entered the task, the fields they marked "cannot read" (for the
        adjudicator's page, beside their numbers)."""
        query = select(verification_entry.c.account_id, verification_entry.c["values"]).where(
            verification_entry.c.task_id == task_id
        )
        with self.engine.connect() as connection:
            return {str(a): unreadable_fields(v) for a, v in connection.execute(query)}

    def check_access(self, principal: Principal, task_id: int, at: datetime) -> None:
        """Refuse (``VerificationRefused``) a person who may not enter this task now: outside
        their region, its photographer, the wrong stage for their role, already entered, not
        handed to them, or its place taken since their hold lapsed."""
        with self.engine.connect() as connection:
            self._enterable_task(connection, principal, task_id, at)

    def enter(
        self,
        principal: Principal,
        task_id: int,
        values: Mapping[str, int],
        seconds: float,
        at: datetime,
        unreadable: Sequence[str] = (),
    ) -> str:
        """Record an entry: every field of the form, each a whole number 0–999 in ``values``
        or named in ``unreadable`` (the person cannot read it), never both; returns the task's
        state afterwards (``returned`` when an adjudicator cannot read a field: the photos of
        its page go back to the officer)."""
        entry = self._checked_entry(values, unreadable)
        salt = secrets.token_hex(16)
        with self.engine.begin() as connection:
            lock_writers(connection)  # what is read below stands until this entry commits
            lock_holds(connection)  # and no one is handed the task meanwhile (always second)
            row = self._enterable_task(connection, principal, task_id, at)
            connection.execute(
                insert(verification_entry).values(
                    task_id=task_id,
                    account_id=principal.account_id,
                    role=principal.role.value,
                    values=dict(entry),
                    seconds=seconds,
                    entered_at=at.isoformat(),
                    salt=salt,
                )
            )
            events: list[Event] = [
                VerificationEntered(
                    str(row["kode_tps"]),
                    task_id,
                    principal.account_id,
                    principal.role.value,
                    entry_digest(entry, salt),
                    unreadable_fields(entry),
                )
            ]
            state, more = self._decide(connection, row, principal, entry, at)
            events += more
            # entered: the person's place is an entry now; a task that moved on counts anew
            release(connection, task_id, None if state != row["state"] else principal.account_id)
            self.log.append(connection, events, at, principal.account_id, f"task {task_id}")
            self.tally.refresh_in(connection, str(row["contest"]), [str(row["kode_tps"])])
        return state

    def _checked_entry(self, values: Mapping[str, int], unreadable: Sequence[str]) -> Entry:
        """The entry, every field a number or None ("cannot read"); else refused."""
        problem = entry_problem(self.form_spec, values, unreadable)
        if problem is not None:
            raise VerificationRefused("invalid_input", problem)
        return {f: values.get(f) for f in self.form_spec.by_id}

    def _enterable_task(
        self, connection: Connection, principal: Principal, task_id: int, at: datetime
    ) -> dict[str, object]:
        """The task's row, once ``principal`` may enter it now: allowed (``_allowed_task``),
        handed to them last, and taking no one else's place (``VerificationRefused``)."""
        row = self._allowed_task(connection, principal, task_id)
        refusal = entry_refusal(connection, principal, task_id, at)
        if refusal is not None:
            raise VerificationRefused("conflict", refusal)
        return row

    def _allowed_task(
        self, connection: Connection, principal: Principal, task_id: int
    ) -> dict[str, object]:
        """The task's row, once ``principal`` may enter it now (``VerificationRefused``)."""
        row = (
            connection.execute(select(verification_task).where(verification_task.c.id == task_id))
            .mappings()
            .first()
        )
        if row is None:
            raise VerificationRefused("not_found", f"no task {task_id}")
        self._check_allowed(connection, principal, dict(row))
        return dict(row)

    def _check_allowed(
        self, connection: Connection, principal: Principal, row: Mapping[str, object]
    ) -> None:
        kode = str(row["kode_tps"])
        if not principal.covers(kode):
            raise VerificationRefused("forbidden", "this form is outside your region")
        if principal.account_id in self._uploaders(connection, kode):
            raise VerificationRefused("forbidden", "you cannot verify a form you photographed")
        wanted = stage_of(principal)
        if row["state"] != wanted:
            raise VerificationRefused("conflict", f"the task is {row['state']}, not {wanted}")
        already = connection.execute(
            select(verification_entry.c.id).where(
                verification_entry.c.task_id == row["id"],
                verification_entry.c.account_id == principal.account_id,
            )
        ).first()
        if already is not None:
            raise VerificationRefused("conflict", "you have already entered this form")

    def _decide(
        self,
        connection: Connection,
        row: Mapping[str, object],
        principal: Principal,
        entry: Entry,
        at: datetime,
    ) -> tuple[str, list[Event]]:
        task_id, kode, contest = int(str(row["id"])), str(row["kode_tps"]), str(row["contest"])
        if principal.role is Role.ADJUDICATOR:
            unread = unreadable_fields(entry)
            if unread:  # the adjudicator cannot decide: a new photo of those pages
                return "returned", self._return_unread(connection, row, unread, at)
            return "verified", self._close(
                connection, task_id, kode, contest, read_numbers(entry), "adjudicated", at
            )
        entries = [
            dict(v)
            for (v,) in connection.execute(
                select(verification_entry.c["values"])
                .where(
                    verification_entry.c.task_id == task_id,
                    verification_entry.c.role == Role.VERIFIER.value,
                )
                .order_by(verification_entry.c.id)
            )
        ]
        decision = decide_entries(
            KodeWilayah(kode), contest, entries, self.form_spec, self.election
        )
        if decision.outcome is TaskOutcome.VERIFIED:
            return "verified", self._close(
                connection, task_id, kode, contest, decision.values, "agreed", at
            )
        if decision.outcome is TaskOutcome.ADJUDICATION:
            connection.execute(
                update(verification_task)
                .where(verification_task.c.id == task_id)
                .values(state="adjudication", reasons=list(decision.reasons))
            )
            self._set_form_state(connection, kode, contest, FormState.ADJUDICATION, at)
            differ, unread = decision.disagreements, decision.unreadable
            # else the reasons are the blocking rules broken
            broken = decision.reasons if not differ and not unread else ()
            rules = tuple(r.partition(":")[0] for r in broken)
            escalated = VerificationEscalated(kode, task_id, differ, rules, unread)
            return "adjudication", [escalated]
        return "open", []

    def _return_unread(
        self,
        connection: Connection,
        row: Mapping[str, object],
        fields: tuple[str, ...],
        at: datetime,
    ) -> list[Event]:
        """An adjudicator cannot read ``fields``: every read photo of their pages goes back to
        its officer and the task ends, ``returned``; the form waits for the new photos, its
        entries unused and unrevealed (as two people's reports of a photo do)."""
        shown = shown_photos(connection, str(row["kode_tps"]))
        pages = {p: s.page for p, s in shown.items() if s.read}
        decided = send_back_fields(pages, set(fields), self.form_spec)
        return send_photos_back(connection, row, decided, shown, at, fields)

    def _close(
        self,
        connection: Connection,
        task_id: int,
        kode: str,
        contest: str,
        values: Mapping[str, int],
        outcome: str,
        at: datetime,
    ) -> list[Event]:
        connection.execute(
            update(verification_task)
            .where(verification_task.c.id == task_id)
            .values(state="closed", closed_at=at.isoformat())
        )
        self._set_form_state(connection, kode, contest, FormState.VERIFIED, at, values)
        entries = connection.execute(
            select(
                verification_entry.c.account_id,
                verification_entry.c.role,
                verification_entry.c["values"],
                verification_entry.c.salt,
            )
            .where(verification_entry.c.task_id == task_id)
            .order_by(verification_entry.c.id)
        ).all()
        revealed = tuple(
            {"account_id": a, "role": r, "values": dict(v), "salt": salt}
            for a, r, v, salt in entries
        )
        events: list[Event] = [
            VerificationRevealed(kode, task_id, revealed),
            VerificationClosed(kode, task_id, outcome, dict(values), contest),
        ]
        events += publish_values(
            connection,
            kode,
            contest,
            "tps",
            values,
            "entry",
            f"task {task_id}",
            newest_read_photos(connection, kode, contest),
            refresh_tally=False,  # enter() refreshes it once, after every write
        )
        events += move_photos(connection, kode, contest, PhotoState.VERIFIED, outcome)
        return events

    @staticmethod
    def _set_form_state(
        connection: Connection,
        kode: str,
        contest: str,
        state: FormState,
        at: datetime,
        values: Mapping[str, int] | None = None,
    ) -> None:
        changes: dict[str, object] = {"state": state.value, "updated_at": at.isoformat()}
        if values is not None:
            changes["values"] = dict(values)
        connection.execute(
            update(form).where(form.c.kode_tps == kode, form.c.contest == contest).values(**changes)
        )

    def statistics(self, accounts: Collection[str] | None = None) -> list[dict[str, object]]:
        """Per verifier of ``accounts`` (None: every one), by account id: entries, agreement
        with the final numbers, median speed, and how many forms they skipped and whose
        photos they reported unreadable (one who does either far more than others may be
        looking for a particular form), how many photos they reported that others then read
        (verified from them), and how many fields of their entries they marked "cannot
        read" (``verification_statistics``: counted by the database, for those asked for)."""
        with self.engine.connect() as connection:
            return verification_statistics.statistics(connection, accounts)

    def standings(self, scope: str = "") -> list[Standing]:
        """Every verifier whose scope lies in ``scope`` who entered, skipped or reported a
        form: name, entries and disagreements, what ordering them flagged first needs."""
        with self.engine.connect() as connection:
            return verification_statistics.standings(connection, scope)
