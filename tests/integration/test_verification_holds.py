"""Verification tasks handed out, on SQLite and PostgreSQL: a task goes to no more people at
once than it still needs entries, a hold lapses, an entry or a skip frees its place, and two
people asking at once for a task's last place do not both get it. Which task is drawn at
random among the oldest with a place; only a task handed to a person is entered or skipped,
and skips are limited."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy import event as sqlalchemy_event

from rekap.adapters.storage.accounts import AccountStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.migrate import upgrade
from rekap.adapters.storage.schema import verification_hold, verification_task
from rekap.adapters.storage.verification import VerificationRefused, VerificationStore
from rekap.capture.access import Principal, Role
from rekap.capture.verification import HOLD, MAX_HOLD, SKIP_WINDOW, SKIPS_ALLOWED
from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp

AT = datetime(2024, 2, 14, 20, tzinfo=UTC)
DESA = "3310052013"


class Desk:
    """A store with open tasks of one desa and verifiers of it. With ``among=1`` (unless a
    test says otherwise) the draw is plain: the oldest task with a place is handed out, so a
    test can say which one a person gets."""

    def __init__(self, database_url: str, tasks: int, among: int = 1, pick: Any = None) -> None:
        self.engine: Engine = open_engine(database_url)
        upgrade(self.engine)
        election = election_2024()
        form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
        log = EventLog(self.engine)
        self.accounts = AccountStore(self.engine, log)
        extra = {} if pick is None else {"pick": pick}
        self.store = VerificationStore(self.engine, log, form, election, among, **extra)
        self.form = form
        with self.engine.begin() as connection:
            for number in range(1, tasks + 1):
                connection.execute(
                    insert(verification_task).values(
                        kode_tps=f"{DESA}{number:03d}",
                        contest="ppwp",
                        state="open",
                        reasons=[],
                        created_at=AT.isoformat(),
                    )
                )
        with self.engine.connect() as connection:
            self.ids = [i for (i,) in connection.execute(select(verification_task.c.id))]

    def person(self, name: str, role: Role = Role.VERIFIER) -> Principal:
        principal, _ = self.accounts.enrol(name, role, DESA, AT, "test")
        return principal

    def next_id(self, principal: Principal, at: datetime = AT) -> int | None:
        task = self.store.next_task(principal, at)
        return None if task is None else task.id

    def values(self, value: int = 0) -> dict[str, int]:
        return {f.id: value for f in self.form.fields}


def test_a_task_goes_to_no_more_people_at_once_than_it_needs(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first_task, second_task = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == first_task
    assert desk.next_id(two) == first_task
    assert desk.next_id(three) == second_task  # two people are entering the first already
    # asking again gives the same task, held longer
    task = desk.store.next_task(one, AT + timedelta(minutes=5))
    assert task is not None and task.id == first_task
    assert task.held_until == (AT + timedelta(minutes=5) + HOLD).isoformat()
    desk.engine.dispose()


def test_a_hold_lapses_and_an_entry_frees_its_place(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first_task, second_task = desk.ids
    one, two, three, four = (desk.person(n) for n in ("one", "two", "three", "four"))
    assert desk.next_id(one) == first_task and desk.next_id(two) == first_task
    assert desk.next_id(three) == second_task
    # two's hold lapses (a closed laptop): its place is someone else's
    later = AT + HOLD + timedelta(seconds=1)
    assert desk.next_id(one, later) == first_task  # one keeps asking: held again
    assert desk.next_id(four, later) == first_task
    # one enters: their place is an entry now; two more would be one too many
    assert desk.store.enter(one, first_task, desk.values(), 30.0, later) == "open"
    assert desk.next_id(two, later) == second_task
    # four enters the same numbers: verified, and nobody is handed it again
    assert desk.store.enter(four, first_task, desk.values(), 30.0, later) == "verified"
    assert desk.next_id(three, later) == second_task
    with desk.engine.connect() as connection:
        held = connection.execute(
            select(verification_hold.c.account_id).where(verification_hold.c.task_id == first_task)
        ).all()
    assert held == []  # a closed task keeps no holds
    desk.engine.dispose()


def test_a_skipped_task_frees_its_place_and_comes_back_only_later(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first_task, second_task = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == first_task and desk.next_id(two) == first_task
    desk.store.skip(one, first_task, AT)
    assert desk.next_id(three) == first_task  # the place one gave back
    assert desk.next_id(one) == second_task
    desk.store.enter(one, second_task, desk.values(), 30.0, AT)
    desk.store.skip(three, first_task, AT)  # a place free on the first task again
    # not handed straight back to the one who skipped it: others may take it meanwhile
    assert desk.next_id(one, AT + timedelta(minutes=1)) is None
    # later, when nothing else waits, it is theirs again if it has a place
    later = AT + HOLD + timedelta(seconds=1)
    assert desk.next_id(two, later) == first_task  # two asks again: held again
    assert desk.next_id(one, later) == first_task
    desk.engine.dispose()


def test_an_entry_never_takes_someone_elses_place(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == task and desk.next_id(two) == task
    refused = pytest.raises(VerificationRefused, match="others are entering this form")
    with pytest.raises(VerificationRefused, match="not handed to you"):  # asked for nothing
        desk.store.enter(three, task, desk.values(), 30.0, AT)
    later = AT + HOLD + timedelta(seconds=1)
    assert desk.next_id(one, later) == task  # one asks again in time: held again
    assert desk.next_id(three, later) == task  # two's hold lapsed: three has the place
    with refused:  # two typed too long: the place is three's now
        desk.store.enter(two, task, desk.values(), 30.0, later)
    assert desk.store.enter(three, task, desk.values(), 30.0, later) == "open"
    # one's hold lapses too, but its place is still free: the entry is taken
    latest = later + HOLD + timedelta(seconds=1)
    assert desk.store.enter(one, task, desk.values(), 30.0, latest) == "verified"
    desk.engine.dispose()


def test_a_disabled_persons_place_is_free_at_once(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == task and desk.next_id(two) == task
    assert desk.next_id(three) is None
    desk.accounts.disable(two.account_id, AT, "admin", "left")
    assert desk.next_id(three, AT + timedelta(minutes=1)) == task
    desk.engine.dispose()


def test_one_person_holds_one_task_at_a_time(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first_task, second_task = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == first_task
    desk.store.skip(one, first_task, AT)
    assert desk.next_id(one) == second_task  # holding the second now, not the first
    assert desk.next_id(two) == first_task and desk.next_id(three) == first_task
    desk.engine.dispose()


def test_adjudication_is_handed_to_one_adjudicator(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two = desk.person("one"), desk.person("two")
    judge, other_judge = (desk.person(n, Role.ADJUDICATOR) for n in ("judge", "other judge"))
    assert desk.next_id(judge) is None  # open: not an adjudicator's yet
    assert desk.next_id(one) == task and desk.next_id(two) == task
    desk.store.enter(one, task, desk.values(1), 30.0, AT)
    assert desk.store.enter(two, task, desk.values(2), 30.0, AT) == "adjudication"
    assert desk.next_id(judge) == task
    assert desk.next_id(other_judge) is None
    assert desk.next_id(judge) == task
    desk.store.skip(judge, task, AT)
    assert desk.next_id(judge) is None  # not straight back to the one who skipped it
    assert desk.next_id(other_judge) == task
    desk.engine.dispose()


def test_a_task_that_moves_on_while_someone_asks_keeps_no_stale_hold(database_url: str) -> None:
    """PostgreSQL: a verifier is handed a task at the moment another's entry sends it to
    adjudication. Handing out waits for the entry (the entry takes the holds' lock too), so
    no verifier's hold survives to keep the adjudicator's one place."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises every writer")
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    judge = desk.person("judge", Role.ADJUDICATOR)
    assert desk.next_id(one) == task and desk.next_id(two) == task
    desk.store.enter(one, task, desk.values(1), 30.0, AT)  # one place left
    entering = threading.Event()

    def linger(*args: Any) -> None:
        # two's entry, holding its locks, before it commits: time for three to ask
        statement = str(args[2]).lstrip().upper()
        if threading.current_thread().name == "two" and statement.startswith("INSERT INTO EVENT"):
            entering.set()
            time.sleep(0.5)

    sqlalchemy_event.listen(desk.engine, "after_cursor_execute", linger)
    outcome: dict[str, object] = {}
    entry = threading.Thread(
        target=lambda: outcome.update(two=desk.store.enter(two, task, desk.values(2), 30.0, AT)),
        name="two",
    )
    entry.start()
    assert entering.wait(10)
    outcome["three"] = desk.next_id(three)
    entry.join(30)
    sqlalchemy_event.remove(desk.engine, "after_cursor_execute", linger)
    assert outcome == {"two": "adjudication", "three": None}
    assert desk.next_id(judge, AT + timedelta(minutes=1)) == task
    desk.engine.dispose()


def test_two_people_asking_at_once_for_the_last_place(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    first = desk.person("first")
    assert desk.next_id(first) == task
    second, third = desk.person("second"), desk.person("third")

    def linger(*args: Any) -> None:
        # after counting the places, inside the transaction: time for the other to count too
        statement = str(args[2]).lstrip().upper()
        worker = threading.current_thread() is not threading.main_thread()
        if worker and "VERIFICATION_HOLD" in statement and statement.startswith("SELECT"):
            time.sleep(0.3)

    sqlalchemy_event.listen(desk.engine, "after_cursor_execute", linger)
    found: dict[str, int | None] = {}

    def ask(name: str, principal: Principal) -> None:
        found[name] = desk.next_id(principal)

    threads = [
        threading.Thread(target=ask, args=("second", second)),
        threading.Thread(target=ask, args=("third", third)),
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(30)
    sqlalchemy_event.remove(desk.engine, "after_cursor_execute", linger)
    assert sorted(found.values(), key=str) == [task, None]
    with desk.engine.connect() as connection:
        holders = connection.execute(
            select(verification_hold.c.account_id).where(verification_hold.c.task_id == task)
        ).all()
    assert len(holders) == 2
    desk.engine.dispose()


def test_a_task_that_moved_on_is_not_handed_to_verifiers(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one = desk.person("one")
    with desk.engine.begin() as connection:
        connection.execute(
            update(verification_task).where(verification_task.c.id == task).values(state="closed")
        )
    assert desk.next_id(one) is None
    desk.engine.dispose()


def test_a_hold_is_renewed_only_while_the_form_is_theirs(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == task
    later = AT + timedelta(minutes=15)
    assert desk.store.renew_hold(one, task, later) == (later + HOLD).isoformat()
    assert desk.store.renew_hold(two, task, later) is None  # never handed it
    lapsed = later + HOLD + timedelta(seconds=1)  # typed long: the place is still free
    assert desk.store.renew_hold(one, task, lapsed) == (lapsed + HOLD).isoformat()
    gone = AT + MAX_HOLD + HOLD  # lapsed again, and two others took both places
    assert desk.next_id(two, gone) == task and desk.next_id(three, gone) == task
    assert desk.store.renew_hold(one, task, gone) is None
    desk.engine.dispose()


def test_no_one_keeps_a_form_for_more_than_an_hour_by_asking_again(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first_task, second_task = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(two) == first_task
    assert desk.store.enter(two, first_task, desk.values(), 30.0, AT) == "open"
    at = AT
    while at < AT + MAX_HOLD - timedelta(minutes=5):  # one asks every quarter of an hour
        assert desk.next_id(one, at) == first_task
        at += timedelta(minutes=15)
    # the first's last place is one's (held until an hour after it was handed to them)
    assert desk.next_id(three, at - timedelta(minutes=10)) == second_task
    assert desk.store.renew_hold(one, first_task, at) is None  # an hour since it was handed
    assert desk.next_id(one, at) == second_task  # not the first again, for a while
    assert desk.next_id(desk.person("four"), at) == first_task  # its place is free
    desk.engine.dispose()


def test_holds_compare_whatever_zone_the_clock_gives(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    wib = timezone(timedelta(hours=7))
    assert desk.next_id(one) == task and desk.next_id(two) == task
    assert desk.next_id(three, AT.astimezone(wib) + timedelta(minutes=1)) is None
    with pytest.raises(ValueError, match="time zone"):
        desk.store.next_task(three, AT.replace(tzinfo=None))
    desk.engine.dispose()


def test_a_task_is_drawn_among_the_oldest_with_a_place(database_url: str) -> None:
    offered: list[list[int]] = []

    def first_of(candidates: Any) -> Any:
        offered.append([int(c["id"]) for c in candidates])
        return candidates[0]

    desk = Desk(database_url, 8, among=3, pick=first_of)
    ids = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == ids[0] and offered[-1] == ids[:3]
    assert desk.next_id(two) == ids[0] and offered[-1] == ids[:3]
    assert desk.next_id(three) == ids[1] and offered[-1] == ids[1:4]  # the first is full
    desk.store.skip(three, ids[1], AT)
    assert desk.next_id(three) == ids[2] and offered[-1] == ids[2:5]  # not what they skipped
    desk.engine.dispose()


def test_the_draw_is_random_among_the_oldest(database_url: str) -> None:
    desk = Desk(database_url, 12, among=5, pick=None)  # the store's own draw
    one = desk.person("one")
    handed = []
    for _ in range(20):
        handed.append(desk.next_id(one))
        with desk.engine.begin() as connection:  # forget the hold: the next ask draws anew
            connection.execute(delete(verification_hold))
    assert set(handed) <= set(desk.ids[:5])
    assert len(set(handed)) > 1  # twenty draws all alike: one chance in 5**19
    desk.engine.dispose()


def test_only_a_task_handed_to_a_person_is_entered_or_skipped(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first, second = desk.ids
    one = desk.person("one")
    not_handed = pytest.raises(VerificationRefused, match="not handed to you")
    with not_handed:  # by its number, a place free: still not theirs to choose
        desk.store.enter(one, second, desk.values(), 30.0, AT)
    with not_handed:  # skipping a form never seen would steer the draw
        desk.store.skip(one, second, AT)
    assert desk.next_id(one) == first
    desk.store.skip(one, first, AT)
    with not_handed:  # given back
        desk.store.enter(one, first, desk.values(), 30.0, AT)
    with not_handed:
        desk.store.skip(one, first, AT)
    assert desk.next_id(one) == second
    assert desk.store.enter(one, second, desk.values(), 30.0, AT) == "open"
    desk.engine.dispose()


def test_skips_are_limited_each_hour_and_kept(database_url: str) -> None:
    desk = Desk(database_url, SKIPS_ALLOWED + 2)
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    at = AT
    for _ in range(SKIPS_ALLOWED):
        task = desk.next_id(one, at)
        assert task is not None
        desk.store.skip(one, task, at)
        at += timedelta(minutes=1)
    # two others enter the first form one skipped: it closes, one's skip of it still counts
    first = desk.ids[0]
    assert desk.next_id(two, at) == first and desk.next_id(three, at) == first
    desk.store.enter(two, first, desk.values(), 30.0, at)
    assert desk.store.enter(three, first, desk.values(), 30.0, at) == "verified"
    task = desk.next_id(one, at)
    assert task is not None
    with pytest.raises(VerificationRefused, match=f"skipped {SKIPS_ALLOWED} forms") as refused:
        desk.store.skip(one, task, at)
    assert refused.value.code == "rate_limited"
    assert "after 21:00 UTC" in str(refused.value)  # an hour after the first skip
    # an hour after their first skip, one more is allowed (their hold of it lapsed meanwhile)
    desk.store.skip(one, task, AT + SKIP_WINDOW + timedelta(seconds=1))
    rows = {r["account_id"]: r for r in desk.store.statistics()}
    assert rows[one.account_id]["skipped"] == SKIPS_ALLOWED + 1
    assert rows[one.account_id]["entries"] == 0  # listed for their skips alone
    desk.engine.dispose()


def test_a_hold_let_lapse_is_no_new_draw(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first, _ = desk.ids
    one = desk.person("one")
    assert desk.next_id(one) == first
    lapsed = AT + HOLD + timedelta(minutes=10)
    task = desk.store.next_task(one, lapsed)  # the same form again, not a new draw
    assert task is not None and task.id == first
    assert task.held_until == (lapsed + HOLD).isoformat()
    again = lapsed + HOLD + timedelta(minutes=5)
    task = desk.store.next_task(one, again)  # held an hour at most, from the first ask
    assert task is not None and task.id == first
    assert task.held_until == (AT + MAX_HOLD).isoformat()
    desk.engine.dispose()


def test_a_hold_let_lapse_is_no_right_to_enter_later(database_url: str) -> None:
    desk = Desk(database_url, 3)
    first, second, _ = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == first
    later = AT + HOLD + timedelta(minutes=1)  # one's hold lapsed: two others take the places
    assert desk.next_id(two, later) == first and desk.next_id(three, later) == first
    assert desk.next_id(one, later) == second  # a new draw: the first has no place for one
    desk.store.skip(two, first, later)  # a place on the first is free again, and stays so
    with pytest.raises(VerificationRefused, match="not handed to you"):
        # only the form handed last may be entered: no one collects forms to choose from
        desk.store.enter(one, first, desk.values(), 30.0, later + timedelta(hours=6))
    assert desk.store.enter(one, second, desk.values(), 30.0, later) == "open"
    desk.engine.dispose()


def test_an_adjudicators_skips_are_not_a_verifiers(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two = desk.person("one"), desk.person("two")
    judge = desk.person("judge", Role.ADJUDICATOR)
    assert desk.next_id(one) == task and desk.next_id(two) == task
    desk.store.enter(one, task, desk.values(1), 30.0, AT)
    assert desk.store.enter(two, task, desk.values(2), 30.0, AT) == "adjudication"
    assert desk.next_id(judge) == task
    desk.store.skip(judge, task, AT)
    assert judge.account_id not in {r["account_id"] for r in desk.store.statistics()}
    desk.engine.dispose()


def test_a_form_asked_for_again_after_its_hour_is_held_anew(database_url: str) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one = desk.person("one")
    assert desk.next_id(one) == task
    back = AT + 2 * MAX_HOLD  # back after two hours: a hold that is live, not one long over
    handed = desk.store.next_task(one, back)
    assert handed is not None and handed.id == task
    assert handed.held_until == (back + HOLD).isoformat()
    desk.engine.dispose()


def test_only_the_form_handed_last_is_entered_whatever_rows_remain(database_url: str) -> None:
    """Hand-outs left as lapsed rows (as by an earlier version, which kept them): only the
    last one may be entered."""
    desk = Desk(database_url, 3)
    one = desk.person("one")
    with desk.engine.begin() as connection:
        for minutes, task in zip((0, 30, 60), desk.ids, strict=True):
            since = AT + timedelta(minutes=minutes)
            connection.execute(
                insert(verification_hold).values(
                    task_id=task,
                    account_id=one.account_id,
                    held_since=since.isoformat(timespec="microseconds"),
                    held_until=(since + HOLD).isoformat(timespec="microseconds"),
                    skipped=False,
                )
            )
    later = AT + timedelta(hours=3)
    for task in desk.ids[:2]:
        with pytest.raises(VerificationRefused, match="not handed to you"):
            desk.store.enter(one, task, desk.values(), 30.0, later)
    assert desk.store.enter(one, desk.ids[2], desk.values(), 30.0, later) == "open"
    desk.engine.dispose()


def test_a_place_taken_while_a_hold_lapsed_counts_as_a_skip(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first, second = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == first
    later = AT + HOLD + timedelta(minutes=1)
    assert desk.next_id(two, later) == first and desk.next_id(three, later) == first
    assert desk.next_id(one, later) == second  # a new form: one it did not skip, counted
    assert desk.next_id(one, later) == second  # asking again counts nothing more
    rows = {r["account_id"]: r for r in desk.store.statistics()}
    assert rows[one.account_id]["skipped"] == 1
    desk.engine.dispose()


def test_a_lapse_whose_place_was_taken_is_counted_once_and_not_handed_back(
    database_url: str,
) -> None:
    desk = Desk(database_url, 1)
    (task,) = desk.ids
    one, two, three = (desk.person(n) for n in ("one", "two", "three"))
    assert desk.next_id(one) == task
    later = AT + HOLD + timedelta(minutes=1)
    assert desk.next_id(two, later) == task and desk.next_id(three, later) == task
    for minutes in range(6):  # one asks again and again: nothing else waits for them
        assert desk.next_id(one, later + timedelta(minutes=minutes)) is None
    rows = {r["account_id"]: r for r in desk.store.statistics()}
    assert rows[one.account_id]["skipped"] == 1
    # the others' holds lapse: the form comes back to one only as a skipped form does, later
    lapsed = later + HOLD + timedelta(minutes=1)
    assert desk.next_id(one, lapsed) == task  # rested HOLD since it was given back
    rows = {r["account_id"]: r for r in desk.store.statistics()}
    assert rows[one.account_id]["skipped"] == 1
    desk.engine.dispose()


def test_asking_again_late_in_the_hour_never_restarts_it(database_url: str) -> None:
    desk = Desk(database_url, 2)
    first, second = desk.ids
    one = desk.person("one")
    assert desk.next_id(one) == first
    at = AT
    while at < AT + MAX_HOLD:  # asked every quarter of an hour, the hour is not restarted
        task = desk.store.next_task(one, at)
        assert task is not None and task.id == first
        assert task.held_until is not None and task.held_until <= (AT + MAX_HOLD).isoformat()
        at += timedelta(minutes=5)
    renewed = desk.store.renew_hold(one, first, AT + MAX_HOLD - timedelta(minutes=5))
    assert renewed == (AT + MAX_HOLD).isoformat()  # still kept, to the end of its hour
    assert desk.next_id(one, AT + MAX_HOLD + timedelta(minutes=1)) == second
    desk.engine.dispose()
