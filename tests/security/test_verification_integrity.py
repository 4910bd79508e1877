"""The verification workflow holds under pressure, on SQLite and PostgreSQL: an entry is the
whole form in whole numbers, the log commits to each entry with a salted hash and shows
every entry once the task closes, the move to an adjudicator is logged, two people entering
at once are taken one after the other, and nobody outside the region sees a task's entries."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from rekap.adapters.processing import Reader
from rekap.adapters.storage.forms import task_open
from rekap.adapters.storage.schema import tps_result
from rekap.adapters.storage.verification import entry_digest
from rekap.capture.access import Role
from rekap.capture.verification import SKIPS_ALLOWED
from tests.security.conftest import built_world
from tests.security.world import (
    CAPTURED,
    COHERENT,
    Actor,
    World,
    abstaining_reader,
    coherent_reader,
    process,
)

DESA = "3310052013"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A world of this module's own: its tests leave adjudications in the region of the
    access matrix's adjudicator, who would then be handed one (whatever order tests run in)."""
    root = tmp_path_factory.mktemp(f"integrity-{request.param}")
    yield from built_world(request.param, root)


def _values(world: World, value: int = 0) -> dict[str, int]:
    return {f.id: value for f in world.context.form.fields}


def _enter(world: World, headers: dict[str, str], task: int, values: object) -> httpx.Response:
    """The person enters the task, handed to them first (``World.hand``)."""
    world.hand(_actor(world, headers), task)
    answer: httpx.Response = world.client.post(
        f"/api/v1/verification/tasks/{task}/entries", json={"values": values}, headers=headers
    )
    return answer


def _actor(world: World, headers: dict[str, str]) -> Actor:
    return next(a for a in world.actors.values() if a.token and a.headers == headers)


def _people(world: World, tag: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    first, second, adjudicator = (
        world.enrol(f"{tag} {name}", role, DESA[:4])
        for name, role in (("v1", Role.VERIFIER), ("v2", Role.VERIFIER), ("a", Role.ADJUDICATOR))
    )
    return first.headers, second.headers, adjudicator.headers


def _task(world: World, number: int) -> int:
    kode = f"{DESA}{number:03d}"
    return world.photograph(world.enrol(f"officer {number}", Role.OFFICER, kode))


def _records(world: World, kind: str, task: int) -> list[dict[str, Any]]:
    return [
        dict(r.payload)
        for r in world.context.log.records()
        if r.kind == kind and r.payload.get("task_id") == task
    ]


def test_an_entry_is_the_whole_form_in_whole_numbers(world: World) -> None:
    task = _task(world, 4)
    first, _, _ = _people(world, "whole")
    values = _values(world)
    some = dict(list(values.items())[:3])
    for odd in ({}, some, {**values, "paslon_1": True}, {**values, "paslon_1": 1.0}):
        answer = _enter(world, first, task, odd)
        assert answer.status_code == 422, (odd, answer.text)
    assert _enter(world, first, task, values).status_code == 201
    assert _records(world, "verification.entered", task)  # the whole one was taken


def test_the_log_commits_to_each_entry_and_shows_them_all_once_closed(world: World) -> None:
    task = _task(world, 5)
    first, second, adjudicator = _people(world, "salt")
    values = _values(world)
    assert _enter(world, first, task, values).status_code == 201
    (entered,) = _records(world, "verification.entered", task)
    unsalted = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    assert entered["entry_sha256"] != unsalted  # a guess of the numbers cannot be tested
    state = _enter(world, second, task, values).json()["state"]
    if state == "adjudication":  # the rules may send even agreeing zeros to a person
        assert _enter(world, adjudicator, task, values).json()["state"] == "verified"
    (revealed,) = _records(world, "verification.revealed", task)
    committed = [e["entry_sha256"] for e in _records(world, "verification.entered", task)]
    shown = [entry_digest(e["values"], e["salt"]) for e in revealed["entries"]]
    assert shown == committed


def test_the_move_to_an_adjudicator_is_logged_and_its_entry_is_whole_too(world: World) -> None:
    task = _task(world, 6)
    first, second, adjudicator = _people(world, "escalate")
    values = _values(world, 1)
    assert _enter(world, first, task, values).status_code == 201
    other = {**values, "paslon_1": 2}
    assert _enter(world, second, task, other).json()["state"] == "adjudication"
    (escalated,) = _records(world, "verification.escalated", task)
    assert escalated["fields"] == ["paslon_1"]
    assert set(escalated) == {"kode_tps", "task_id", "fields", "rules", "unreadable"}  # ids
    assert escalated["unreadable"] == []  # no number, and no field anyone could not read
    assert _enter(world, adjudicator, task, {}).status_code == 422
    assert _enter(world, adjudicator, task, values).json()["state"] == "verified"


def test_an_adjudicator_of_another_region_sees_nothing_of_a_task(world: World) -> None:
    task = _task(world, 7)
    first, second, _ = _people(world, "far")
    values = _values(world, 3)
    _enter(world, first, task, values)
    _enter(world, second, task, {**values, "paslon_2": 4})
    far = world.enrol("far adjudicator", Role.ADJUDICATOR, "74")
    world.client.cookies.set("rekap_token", str(far.token))
    answer = world.client.post(f"/verifikasi/tugas/{task}", data={"paslon_1": ""})
    world.client.cookies.clear()
    assert answer.status_code == 403
    assert "far v1" not in answer.text and "far v2" not in answer.text


def test_skipping_is_limited_and_the_admin_sees_who_skips(world: World) -> None:
    """Skipping again and again would walk to a chosen form (forms are drawn among the
    oldest): a person skips at most SKIPS_ALLOWED an hour, and an admin sees the counts."""
    officer = world.enrol("officer skipped", Role.OFFICER, "3310052014005")
    task = world.photograph(officer)
    first, _, _ = _people(world, "skipper")
    skipper = _actor(world, first)
    url = f"/api/v1/verification/tasks/{task}/skip"
    refused = world.client.post(url, headers=first)
    assert refused.status_code == 409  # not handed to them: skipping it would steer the draw
    for _ in range(SKIPS_ALLOWED):
        world.hand(skipper, task)
        assert world.client.post(url, headers=first).status_code == 204
    world.hand(skipper, task)
    answer = world.client.post(url, headers=first)
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"]["code"] == "rate_limited"
    assert "skip again after" in answer.json()["error"]["message"]
    assert 0 < int(answer.headers["Retry-After"]) <= 3600
    world.hand(skipper, task)
    world.client.cookies.set("rekap_token", str(skipper.token))
    try:  # the page's skip button says the same, and when
        page = world.client.post(f"/verifikasi/tugas/{task}/lewati", follow_redirects=False)
    finally:
        world.client.cookies.clear()
    assert page.status_code == 429 and "skip again after" in page.text
    assert 0 < int(page.headers["Retry-After"]) <= 3600
    stats = world.client.get(
        "/api/v1/verification/statistics", headers=world.actors["admin"].headers
    ).json()["verifiers"]
    assert {r["account_id"]: r["skipped"] for r in stats}[skipper.account_id] == SKIPS_ALLOWED


def test_the_page_shows_no_form_that_was_not_handed(world: World) -> None:
    """A form posted back with a field missing is shown again to be corrected, but only to
    whom it was handed: else the page would show any task's photos (and an adjudication's
    entries, by name) to whoever names its number."""
    officer = world.enrol("officer unhanded", Role.OFFICER, "3310052014006")
    task = world.photograph(officer)
    first, second, adjudicator = _people(world, "unhanded")
    values = _values(world, 3)
    _enter(world, first, task, values)
    assert _enter(world, second, task, {**values, "paslon_2": 4}).json()["state"] == "adjudication"
    judge = _actor(world, adjudicator)
    world.client.cookies.set("rekap_token", str(judge.token))
    try:
        answer = world.client.post(f"/verifikasi/tugas/{task}", data={"paslon_1": ""})
        # not saved, and nothing of the form shown: the workspace says so beside their own
        assert answer.status_code == 303 and "unhanded v1" not in answer.text
        assert answer.headers["location"] == f"/verifikasi?tidak_disimpan={task}"
        world.hand(judge, task)
        shown = world.client.post(f"/verifikasi/tugas/{task}", data={"paslon_1": ""})
        assert shown.status_code == 422 and "unhanded v1" in shown.text
    finally:
        world.client.cookies.clear()


@pytest.fixture
def lingering(world: World) -> Any:
    """Each worker thread lingers after reading a task's entries, inside its transaction."""

    def linger(*args: Any) -> None:
        statement = args[2]
        worker = threading.current_thread() is not threading.main_thread()
        if worker and "FROM verification_entry" in statement and "ORDER BY" in statement:
            time.sleep(0.3)

    sqlalchemy_event.listen(world.context.engine, "after_cursor_execute", linger)
    yield
    sqlalchemy_event.remove(world.context.engine, "after_cursor_execute", linger)


def test_two_verifiers_entering_at_once_are_taken_one_after_the_other(
    world: World, lingering: None
) -> None:
    """Without the lock each would decide from its own entry alone, and the task would stay
    open with two entries that nobody compares."""
    officer = world.enrol("officer race", Role.OFFICER, "3310052014001")
    task = world.photograph(officer)
    people = [world.enrol(f"race v{i}", Role.VERIFIER, DESA[:4]) for i in (1, 2)]
    values = _values(world, 5)
    states: list[str] = []

    for person in people:
        world.hand(person, task)

    def enter(i: int) -> None:
        principal = world.principal(people[i])
        states.append(world.context.verification.enter(principal, task, values, 1.0, CAPTURED))

    threads = [threading.Thread(target=enter, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(30)
    assert len(states) == 2 and states.count("open") == 1, states
    assert {"adjudication", "verified"} & set(states), states  # the second compared both


def _process(world: World, reader: Reader) -> None:
    process(world, reader)


def test_a_later_photo_does_not_overrule_people_entering_the_form(world: World) -> None:
    """A page sent again and read in full while the form is with people: the form stays
    with them (its photos waiting for them, its task open) instead of being published over
    them."""
    kode = "3310052014002"
    officer = world.enrol("officer again", Role.OFFICER, kode)
    for page in (1, 2, 3):
        assert world.upload(officer, kode, page) == 201
    _process(world, coherent_reader(world, frozenset({"paslon_1"})))
    assert world.upload(officer, kode, 2) == 201
    _process(world, coherent_reader(world, frozenset()))
    states = {state for _, _, state, _ in world.context.photos.states(kode)}
    assert states == {"needs_verification"}, states
    with world.context.engine.connect() as connection:
        assert task_open(connection, kode, "ppwp")
        published = select(tps_result.c.kode_tps).where(tps_result.c.kode_tps == kode)
        assert connection.execute(published).first() is None  # nothing published over them


def test_a_photo_read_while_an_entry_closes_the_task_waits_its_turn(world: World) -> None:
    """The reader's worker and a verifier's entry both change the form row: each takes the
    log's lock before it (on PostgreSQL the other order deadlocked, failing one of them)."""
    kode = "3310052014003"
    officer = world.enrol("officer turn", Role.OFFICER, kode)
    task = world.photograph(officer)
    first, second = (world.enrol(f"turn v{i}", Role.VERIFIER, DESA[:4]) for i in (1, 2))
    values = _values(world, 5)
    world.hand(first, task)
    world.hand(second, task)
    world.context.verification.enter(world.principal(first), task, values, 1.0, CAPTURED)
    assert world.upload(officer, kode, 1) == 201
    reading_started = threading.Event()
    workers: list[threading.Thread] = []

    def linger(*args: Any) -> None:
        if threading.current_thread() in workers and args[2].startswith("UPDATE form"):
            reading_started.set()
            time.sleep(0.5)

    failures: list[BaseException] = []

    def work() -> None:
        try:
            _process(world, abstaining_reader(world.context.form))
        except BaseException as error:
            failures.append(error)

    sqlalchemy_event.listen(world.context.engine, "after_cursor_execute", linger)
    try:
        worker = threading.Thread(target=work)
        workers.append(worker)
        worker.start()
        assert reading_started.wait(20)
        state = world.context.verification.enter(
            world.principal(second), task, values, 1.0, CAPTURED
        )
        worker.join(30)
    finally:
        sqlalchemy_event.remove(world.context.engine, "after_cursor_execute", linger)
    assert not failures, failures
    assert state in ("verified", "adjudication")


def test_a_later_photo_does_not_overrule_what_people_verified(world: World) -> None:
    """Read again after people verified the form: the same numbers keep it verified; other
    numbers (still coherent) send it back to people, the verified numbers staying published."""
    kode = "3310052014004"
    officer = world.enrol("officer verified", Role.OFFICER, kode)
    task = world.photograph(officer)
    entry = {f.id: COHERENT.get(f.id, 0) for f in world.context.form.fields}
    for name in ("verified v1", "verified v2"):
        actor = world.enrol(name, Role.VERIFIER, DESA[:4])
        world.hand(actor, task)
        state = world.context.verification.enter(world.principal(actor), task, entry, 1.0, CAPTURED)
    assert state == "verified"
    query = select(tps_result.c.fields, tps_result.c.source_kind).where(
        tps_result.c.kode_tps == kode
    )
    assert world.upload(officer, kode, 2) == 201
    _process(world, coherent_reader(world, frozenset()))
    with world.context.engine.connect() as connection:
        assert connection.execute(query).one() == (entry, "entry")
        assert not task_open(connection, kode, "ppwp")
    swapped = {**COHERENT, "paslon_1": COHERENT["paslon_2"], "paslon_2": COHERENT["paslon_1"]}
    assert world.upload(officer, kode, 2) == 201
    _process(world, coherent_reader(world, frozenset(), swapped))
    with world.context.engine.connect() as connection:
        assert connection.execute(query).one() == (entry, "entry")
        assert task_open(connection, kode, "ppwp")
