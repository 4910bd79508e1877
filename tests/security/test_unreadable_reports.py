"""Photos people cannot read, end to end over HTTP on SQLite and PostgreSQL: a report gives the
form back without counting as a skip; two people's reports of one photo send it back to its
officer, whose photo list says why; the task ends when a page is left without a photo, and a
new photo of that page opens a new task. Reports are limited, logged and counted.

Each test builds its own world (a fresh database): reports change photos and tasks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from rekap.adapters.storage.schema import (
    form,
    tps_result,
    verification_report,
    verification_skip,
    verification_task,
)
from rekap.adapters.storage.verification_holds import stamp
from rekap.capture.access import Role
from rekap.capture.verification import REPORTS_ALLOWED
from tests.security.conftest import database_of
from tests.security.world import (
    CAPTURED,
    COHERENT,
    Actor,
    World,
    abstaining_reader,
    coherent_reader,
    process,
    running_world,
)

TPS = "3310052013004"
DESA = TPS[:10]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A world of its own with one photographed TPS (an open task) and its officer."""
    for url in database_of(request.param, tmp_path):
        with running_world(url, tmp_path) as built:
            built.photograph(built.enrol("officer", Role.OFFICER, TPS))
            yield built


def _verifier(world: World, name: str, role: Role = Role.VERIFIER) -> Actor:
    return world.enrol(name, role, DESA)


def _report(world: World, actor: Actor, photo_ids: list[int], task: int | None = None) -> Any:
    task_id = world.tasks[TPS] if task is None else task
    return world.client.post(
        f"/api/v1/verification/tasks/{task_id}/unreadable",
        json={"photo_ids": photo_ids},
        headers=actor.headers,
    )


def _next(world: World, actor: Actor) -> httpx.Response:
    answer: httpx.Response = world.client.get("/api/v1/verification/next", headers=actor.headers)
    return answer


def _page_2_photo(world: World) -> int:
    pages = {p["page"]: p["id"] for p in _photos(world) if p["state"] != "failed"}
    return int(pages[2])


def _photos(world: World) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = world.client.get(f"/api/v1/tps/{TPS}/photos").json()["photos"]
    return listed


def _kinds(world: World) -> list[str]:
    return [r.kind for r in world.context.log.records() if r.payload.get("kode_tps") == TPS]


def _task_state(world: World, task_id: int) -> str:
    query = select(verification_task.c.state).where(verification_task.c.id == task_id)
    with world.context.engine.connect() as connection:
        return str(connection.execute(query).scalar_one())


def test_one_report_gives_the_form_back_without_a_skip(fresh: World) -> None:
    first = _verifier(fresh, "first")
    assert _next(fresh, first).json()["task_id"] == fresh.tasks[TPS]
    answer = _report(fresh, first, [_page_2_photo(fresh)])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["sent_back"], body["state"]) == ([], "open")
    assert body["reported"] == [_page_2_photo(fresh)]
    assert _next(fresh, first).status_code == 204  # not handed back to them now
    second = _verifier(fresh, "second")
    assert _next(fresh, second).json()["task_id"] == fresh.tasks[TPS]  # its place is free
    with fresh.context.engine.connect() as connection:
        skips = connection.execute(select(func.count()).select_from(verification_skip))
        assert skips.scalar_one() == 0
    assert {p["state"] for p in _photos(fresh)} == {"needs_verification"}
    assert _kinds(fresh).count("verification.photo_unreadable") == 1


def test_two_reports_send_the_photo_back_and_a_new_photo_opens_a_new_task(fresh: World) -> None:
    task = fresh.tasks[TPS]
    unreadable = _page_2_photo(fresh)
    for name in ("first", "second"):
        person = _verifier(fresh, name)
        assert _next(fresh, person).json()["task_id"] == task
        answer = _report(fresh, person, [unreadable])
        assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "task_id": task,
        "reported": [unreadable],
        "sent_back": [unreadable],
        "state": "returned",
    }
    # the officer's photo list says what to do
    sent = next(p for p in _photos(fresh) if p["id"] == unreadable)
    assert sent["state"] == "failed"
    assert "send a new photo of page 2" in sent["reason"]
    officer_page = fresh.client.get("/petugas", headers=fresh.actors["officer"].headers)
    assert "tidak dapat membaca foto ini: kirim foto baru halaman 2" in officer_page.text
    assert _task_state(fresh, task) == "returned"
    with fresh.context.engine.connect() as connection:
        state = connection.execute(select(form.c.state).where(form.c.kode_tps == TPS))
        assert state.scalar_one() == "needs_verification"  # waiting: its reading kept hidden
    kinds = _kinds(fresh)
    assert kinds.count("verification.photo_unreadable") == 2
    assert "verification.returned" in kinds
    assert _next(fresh, _verifier(fresh, "third")).status_code == 204  # nothing to enter

    # the officer sends a new photo of page 2: read, and (still unsure) a new task opens
    officer = fresh.actors["officer"]
    assert fresh.upload(officer, TPS, 2) == 201
    assert process(fresh, abstaining_reader(fresh.context.form)) == 1
    fourth = _verifier(fresh, "fourth")
    handed = _next(fresh, fourth).json()
    assert handed["task_id"] != task
    shown = {p["id"] for p in handed["photos"]}
    assert unreadable not in shown and len(shown) == 3
    assert {p["page"] for p in handed["photos"]} == {1, 2, 3}


def test_reports_of_different_pages_send_nothing_back(fresh: World) -> None:
    photos = {p["page"]: p["id"] for p in _photos(fresh)}
    for name, page in (("first", 1), ("second", 3)):
        person = _verifier(fresh, name)
        _next(fresh, person)
        answer = _report(fresh, person, [photos[page]])
        assert answer.json()["sent_back"] == [], answer.text
    assert _task_state(fresh, fresh.tasks[TPS]) == "open"
    assert _next(fresh, _verifier(fresh, "third")).json()["task_id"] == fresh.tasks[TPS]


def test_refused_reports_change_nothing(fresh: World) -> None:
    person = _verifier(fresh, "first")
    photo_id = _page_2_photo(fresh)
    not_handed = _report(fresh, person, [photo_id])
    assert not_handed.status_code == 409, not_handed.text
    assert "not handed to you" in not_handed.json()["error"]["message"]
    _next(fresh, person)
    stranger = _report(fresh, person, [999_999])
    assert stranger.status_code == 422
    assert "not a photo of this form" in stranger.json()["error"]["message"]
    assert _report(fresh, person, []).status_code == 422
    elsewhere = fresh.enrol("elsewhere", Role.VERIFIER, "7471")
    assert _report(fresh, elsewhere, [photo_id]).status_code == 403
    adjudicator = _verifier(fresh, "adjudicator", Role.ADJUDICATOR)
    assert _report(fresh, adjudicator, [photo_id]).status_code == 409  # open, not theirs
    officer = fresh.actors["officer"]
    assert _report(fresh, officer, [photo_id]).status_code == 403
    with fresh.context.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(verification_report))
        assert count.scalar_one() == 0
    assert "verification.photo_unreadable" not in _kinds(fresh)


def test_a_person_reports_a_photo_once(fresh: World) -> None:
    person = _verifier(fresh, "first")
    photo_id = _page_2_photo(fresh)
    _next(fresh, person)
    assert _report(fresh, person, [photo_id]).status_code == 200
    fresh.hand(person, fresh.tasks[TPS])  # handed to them again (nothing else waits)
    again = _report(fresh, person, [photo_id])
    assert again.status_code == 422
    assert "reported these photos already" in again.json()["error"]["message"]
    assert _task_state(fresh, fresh.tasks[TPS]) == "open"  # one person is not two


def test_reports_are_limited_to_some_forms_an_hour(fresh: World) -> None:
    person = _verifier(fresh, "first")
    officer = fresh.actors["officer"]
    waiting = {p["id"] for p in _photos(fresh)}
    for number in range(REPORTS_ALLOWED):  # photos to stand for the other forms reported
        assert fresh.upload(officer, TPS, 1 + number % 3) == 201
    others = sorted({p["id"] for p in _photos(fresh)} - waiting)
    now = fresh.context.clock()
    with fresh.context.engine.begin() as connection:  # reports of this last hour
        for minutes, photo_id in enumerate(others):
            connection.execute(
                insert(verification_report).values(
                    task_id=fresh.tasks[TPS],
                    account_id=person.account_id,
                    photo_id=photo_id,
                    page=1,
                    reported_at=stamp(now - timedelta(minutes=50 - minutes)),
                )
            )
    _next(fresh, person)
    page_1 = min(p["id"] for p in _photos(fresh) if p["page"] == 1)
    refused = _report(fresh, person, [page_1])
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert f"reported photos of {REPORTS_ALLOWED} forms" in refused.json()["error"]["message"]
    # a skip is still allowed: the two limits are apart
    skipped = fresh.client.post(
        f"/api/v1/verification/tasks/{fresh.tasks[TPS]}/skip", headers=person.headers
    )
    assert skipped.status_code == 204


def _send_back(world: World, photo_id: int, task: int, tag: str) -> dict[str, Any]:
    """Two people of the desa report the photo: their answers' last."""
    for name in ("1", "2"):
        person = _verifier(world, f"{tag} {name}")
        world.hand(person, task)
        answer = _report(world, person, [photo_id], task)
        assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _open_task(world: World) -> int:
    query = select(verification_task.c.id).where(
        verification_task.c.kode_tps == TPS, verification_task.c.state == "open"
    )
    with world.context.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def test_numbers_people_verified_outlive_a_returned_task(fresh: World) -> None:
    """People verified the form; a later photo read other numbers (a task), two people sent
    its page back, and the officer's new photo reads those other numbers in full: they still
    go to people, never over the numbers people verified."""
    verified = {f.id: COHERENT.get(f.id, 0) for f in fresh.context.form.fields}
    for name in ("v1", "v2"):
        person = _verifier(fresh, name)
        fresh.hand(person, fresh.tasks[TPS])
        principal = fresh.principal(person)
        state = fresh.context.verification.enter(
            principal, fresh.tasks[TPS], verified, 1.0, CAPTURED
        )
    assert state == "verified"
    swapped = {**COHERENT, "paslon_1": COHERENT["paslon_2"], "paslon_2": COHERENT["paslon_1"]}
    officer = fresh.actors["officer"]
    for page in (1, 2, 3):
        assert fresh.upload(officer, TPS, page) == 201
    process(fresh, coherent_reader(fresh, frozenset(), swapped))
    second = _open_task(fresh)
    newest = max(p["id"] for p in _photos(fresh) if p["page"] == 2)
    older = [p["id"] for p in _photos(fresh) if p["page"] == 2 and p["id"] != newest]
    _send_back(fresh, newest, second, "late")
    assert _send_back(fresh, older[0], second, "old")["state"] == "returned"
    assert fresh.upload(officer, TPS, 2) == 201
    process(fresh, coherent_reader(fresh, frozenset(), swapped))
    with fresh.context.engine.connect() as connection:
        result = connection.execute(
            select(tps_result.c.fields, tps_result.c.source_kind).where(
                tps_result.c.kode_tps == TPS
            )
        ).one()
    assert (dict(result[0]), result[1]) == (verified, "entry")
    assert _open_task(fresh) not in (fresh.tasks[TPS], second)  # people decide again


def test_a_photo_still_being_read_covers_no_page(fresh: World) -> None:
    """A new photo of the page arrived but is not read yet (it may fail): the page sent back
    leaves the task without a photo of it, so the task ends."""
    old = _page_2_photo(fresh)
    assert fresh.upload(fresh.actors["officer"], TPS, 2) == 201  # received, not read
    assert _send_back(fresh, old, fresh.tasks[TPS], "early")["state"] == "returned"


def test_the_machine_reading_stays_hidden_while_the_form_waits(fresh: World) -> None:
    _send_back(fresh, _page_2_photo(fresh), fresh.tasks[TPS], "hidden")
    page = fresh.client.get(f"/tps/{TPS}.json")
    assert page.status_code == 200
    assert page.json()["machine_hidden"] is True


def test_statistics_count_reports_of_photos_others_then_read(fresh: World) -> None:
    reporter = _verifier(fresh, "doubter")
    _next(fresh, reporter)
    assert _report(fresh, reporter, [_page_2_photo(fresh)]).status_code == 200
    assert _reports_after_two_enter(fresh, reporter) == (1, 1)  # from those photos


def test_a_form_waiting_for_a_page_sent_back_keeps_waiting_for_other_pages(
    fresh: World,
) -> None:
    """The officer sends page 1 again before the page sent back: the form still waits, its
    machine reading hidden, and no task opens until page 2's new photo is read."""
    _send_back(fresh, _page_2_photo(fresh), fresh.tasks[TPS], "early")
    officer = fresh.actors["officer"]
    assert fresh.upload(officer, TPS, 1) == 201
    assert process(fresh, abstaining_reader(fresh.context.form)) == 1
    with fresh.context.engine.connect() as connection:
        state = connection.execute(select(form.c.state).where(form.c.kode_tps == TPS))
        assert state.scalar_one() == "needs_verification"
        tasks = connection.execute(
            select(verification_task.c.state).where(verification_task.c.kode_tps == TPS)
        ).scalars()
        assert list(tasks) == ["returned"]
    assert fresh.client.get(f"/tps/{TPS}.json").json()["machine_hidden"] is True
    assert fresh.upload(officer, TPS, 2) == 201
    assert process(fresh, abstaining_reader(fresh.context.form)) == 1
    assert _open_task(fresh) != fresh.tasks[TPS]


def test_a_report_of_a_photo_replaced_before_others_read_the_form_is_not_contradicted(
    fresh: World,
) -> None:
    reporter = _verifier(fresh, "doubter")
    _next(fresh, reporter)
    assert _report(fresh, reporter, [_page_2_photo(fresh)]).status_code == 200
    assert fresh.upload(fresh.actors["officer"], TPS, 2) == 201  # a better photo of page 2
    assert process(fresh, abstaining_reader(fresh.context.form)) == 1
    assert _reports_after_two_enter(fresh, reporter) == (1, 0)  # from the newer photo


def _reports_after_two_enter(world: World, reporter: Actor) -> tuple[int, int]:
    """Two others enter the form alike (it is verified); the reporter's counts of forms
    reported and of reported photos read by others."""
    values = {f.id: COHERENT.get(f.id, 0) for f in world.context.form.fields}
    for name in ("reader 1", "reader 2"):
        person = _verifier(world, name)
        world.hand(person, world.tasks[TPS])
        principal = world.principal(person)
        world.context.verification.enter(principal, world.tasks[TPS], values, 1.0, CAPTURED)
    rows = {r["account_id"]: r for r in world.context.verification.statistics()}
    mine = rows[reporter.account_id]
    return int(mine["reported_unreadable"]), int(mine["reports_read_by_others"])
