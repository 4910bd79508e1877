"""A number one cannot read, end to end over HTTP (the API and the workspace page) on SQLite
and PostgreSQL: every field is a number or "tidak terbaca", never neither; a field nobody
could read is never verified nor published; one person's mark against another's number is a
disagreement; an adjudicator who cannot read it either sends the photo of its page back to
the officer. The log names the fields marked, never a number before the task closes.

Each test builds its own world (a fresh database): entries change tasks, forms and photos."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from rekap.adapters.storage.schema import (
    form,
    tps_result,
    verification_entry,
    verification_task,
)
from rekap.adapters.storage.verification import entry_digest
from rekap.capture.access import Role
from tests.security.conftest import database_of
from tests.security.world import COHERENT, Actor, World, running_world

TPS = "3310052014001"
DESA = TPS[:10]
MARKED = "paslon_2"  # on page 2
PAGE = 2


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A world of its own with one photographed TPS (an open task) and its officer."""
    for url in database_of(request.param, tmp_path):
        with running_world(url, tmp_path) as built:
            built.photograph(built.enrol("officer", Role.OFFICER, TPS))
            yield built


def _person(world: World, name: str, role: Role = Role.VERIFIER) -> Actor:
    actor = world.enrol(name, role, DESA)
    world.hand(actor, world.tasks[TPS])
    return actor


def _numbers(world: World, **changes: int) -> dict[str, int]:
    return {f.id: COHERENT.get(f.id, 0) for f in world.context.form.fields} | changes


def _enter(world: World, actor: Actor, values: Mapping[str, int], unreadable: list[str]) -> Any:
    return world.client.post(
        f"/api/v1/verification/tasks/{world.tasks[TPS]}/entries",
        json={"values": dict(values), "unreadable": unreadable},
        headers=actor.headers,
    )


def _without(values: Mapping[str, int], *fields: str) -> dict[str, int]:
    return {k: v for k, v in values.items() if k not in fields}


def _records(world: World, kind: str) -> list[dict[str, Any]]:
    return [
        dict(r.payload)
        for r in world.context.log.records()
        if r.kind == kind and r.payload.get("kode_tps") == TPS
    ]


def _published(world: World) -> dict[str, int] | None:
    query = select(tps_result.c.fields).where(tps_result.c.kode_tps == TPS)
    with world.context.engine.connect() as connection:
        found = connection.execute(query).scalar()
    return None if found is None else dict(found)


def _states(world: World) -> tuple[str, str]:
    with world.context.engine.connect() as connection:
        task = connection.execute(
            select(verification_task.c.state).where(verification_task.c.id == world.tasks[TPS])
        ).scalar_one()
        state = connection.execute(select(form.c.state).where(form.c.kode_tps == TPS))
        return str(task), str(state.scalar_one())


def _public_value(world: World, field: str) -> object:
    page = world.client.get(f"/tps/{TPS}.json").json()
    return next(f["value"] for f in page["fields"] if f["id"] == field)


def _two_mark_the_same_field(world: World) -> None:
    numbers = _without(_numbers(world), MARKED)
    for name in ("first", "second"):
        answer = _enter(world, _person(world, name), numbers, [MARKED])
        assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "adjudication"


def test_a_field_two_cannot_read_goes_to_the_adjudicator_who_reads_it(fresh: World) -> None:
    _two_mark_the_same_field(fresh)
    assert _states(fresh) == ("adjudication", "adjudication")
    (escalated,) = _records(fresh, "verification.escalated")
    assert (escalated["fields"], escalated["rules"], escalated["unreadable"]) == ([], [], [MARKED])
    entered = _records(fresh, "verification.entered")
    assert [e["unreadable"] for e in entered] == [[MARKED], [MARKED]]
    for event in entered:  # double-blind: the marks, a hash, never a number
        assert set(event) == {
            "kode_tps",
            "task_id",
            "account_id",
            "role",
            "entry_sha256",
            "unreadable",
        }
    assert _published(fresh) is None  # nothing published on agreement that lacks a number
    assert _public_value(fresh, MARKED) is None
    judge = _person(fresh, "judge", Role.ADJUDICATOR)
    handed = fresh.client.get("/api/v1/verification/next", headers=judge.headers).json()
    assert handed["reasons"] == [f"{MARKED}: neither verifier could read it"]
    decided = _enter(fresh, judge, _numbers(fresh), [])
    assert decided.json()["state"] == "verified", decided.text
    assert _published(fresh) == _numbers(fresh)
    (revealed,) = _records(fresh, "verification.revealed")
    verifiers = [e for e in revealed["entries"] if e["role"] == "verifier"]
    assert [e["values"][MARKED] for e in verifiers] == [None, None]
    committed = [e["entry_sha256"] for e in entered]
    assert [entry_digest(e["values"], e["salt"]) for e in verifiers] == committed


def test_a_mark_against_a_number_is_a_disagreement_never_a_verification(fresh: World) -> None:
    first = _enter(fresh, _person(fresh, "first"), _without(_numbers(fresh), MARKED), [MARKED])
    assert first.json()["state"] == "open", first.text
    second = _enter(fresh, _person(fresh, "second"), _numbers(fresh), [])
    assert second.json()["state"] == "adjudication", second.text
    (escalated,) = _records(fresh, "verification.escalated")
    assert (escalated["fields"], escalated["unreadable"]) == ([MARKED], [])
    assert _published(fresh) is None
    assert _states(fresh)[0] == "adjudication"


def test_an_adjudicator_who_cannot_read_it_sends_its_page_back(fresh: World) -> None:
    _two_mark_the_same_field(fresh)
    judge = _person(fresh, "judge", Role.ADJUDICATOR)
    page_2 = [p for p in fresh.context.photos.states(TPS) if p[1] == PAGE]
    answer = _enter(fresh, judge, _without(_numbers(fresh), MARKED), [MARKED])
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"task_id": fresh.tasks[TPS], "state": "returned"}
    assert _states(fresh) == ("returned", "needs_verification")  # its reading stays hidden
    (returned,) = _records(fresh, "verification.returned")
    assert returned["fields"] == [MARKED] and returned["pages"] == [PAGE]
    assert returned["photo_ids"] == [p[0] for p in page_2]
    listed = fresh.client.get(f"/api/v1/tps/{TPS}/photos").json()["photos"]
    sent = [p for p in listed if p["page"] == PAGE]
    assert {p["state"] for p in sent} == {"failed"}
    assert all(f"could not read {MARKED}" in p["reason"] for p in sent)
    assert all(p["failure"] == "sent_back" for p in sent)
    assert {p["state"] for p in listed if p["page"] != PAGE} == {"needs_verification"}
    assert not _records(fresh, "verification.closed")
    assert not _records(fresh, "verification.revealed")  # its entries stay unrevealed
    assert _published(fresh) is None
    officer = fresh.client.get("/petugas", headers=fresh.actors["officer"].headers)
    assert f"tidak dapat membaca foto ini: kirim foto baru halaman {PAGE}" in officer.text
    nobody = fresh.enrol("third", Role.VERIFIER, DESA)
    assert fresh.client.get("/api/v1/verification/next", headers=nobody.headers).status_code == 204


def test_an_entry_with_a_field_neither_entered_nor_marked_is_refused(fresh: World) -> None:
    person = _person(fresh, "first")
    numbers = _numbers(fresh)
    refusals = {
        "neither": _enter(fresh, person, _without(numbers, MARKED), []),
        "both": _enter(fresh, person, numbers, [MARKED]),
        "unknown": _enter(fresh, person, _without(numbers, MARKED), [MARKED, "paslon_9"]),
    }
    assert {k: a.status_code for k, a in refusals.items()} == dict.fromkeys(refusals, 422)
    assert "missing: paslon_2" in refusals["neither"].json()["error"]["message"]
    assert "not both" in refusals["both"].json()["error"]["message"]
    assert "paslon_9" in refusals["unknown"].json()["error"]["message"]
    with fresh.context.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(verification_entry))
        assert count.scalar_one() == 0
    assert not _records(fresh, "verification.entered")


def test_the_page_answers_a_field_cannot_read_and_refuses_one_left_blank(fresh: World) -> None:
    person = _person(fresh, "first")
    task = fresh.tasks[TPS]
    shown = fresh.client.get("/verifikasi", headers=person.headers)
    boxes = re.findall(r'type="checkbox" name="tidak_terbaca" value="(\w+)"', shown.text)
    assert boxes == [f.id for f in fresh.context.form.fields]  # one beside each number
    typed = {k: str(v) for k, v in _without(_numbers(fresh), MARKED).items()} | {"mulai": "0"}
    blank = fresh.client.post(f"/verifikasi/tugas/{task}", data=typed, headers=person.headers)
    assert blank.status_code == 422
    assert f'id="v-{MARKED}" name="{MARKED}" value=""' in blank.text
    assert re.search(rf'id="v-{MARKED}"[^>]*aria-invalid="true"', blank.text)
    both = fresh.client.post(
        f"/verifikasi/tugas/{task}",
        data=typed | {MARKED: "33", "tidak_terbaca": MARKED},
        headers=person.headers,
    )
    assert both.status_code == 422
    assert "bukan keduanya" in both.text
    assert re.search(rf'value="{MARKED}" id="u-{MARKED}"[^>]*checked', both.text)  # kept
    saved = fresh.client.post(
        f"/verifikasi/tugas/{task}",
        data=typed | {"tidak_terbaca": MARKED},
        headers=person.headers,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/verifikasi?selesai={task}&hasil=open"
    (entered,) = _records(fresh, "verification.entered")
    assert entered["unreadable"] == [MARKED]


def _page_entry(world: World, actor: Actor, unreadable: list[str], **numbers: int) -> Any:
    typed = {k: str(v) for k, v in _without(_numbers(world, **numbers), *unreadable).items()}
    return world.client.post(
        f"/verifikasi/tugas/{world.tasks[TPS]}",
        data=typed | {"mulai": "0", "tidak_terbaca": unreadable},
        headers=actor.headers,
    )


def test_on_the_page_two_marks_go_to_an_adjudicator_who_sends_the_page_back(
    fresh: World,
) -> None:
    task = fresh.tasks[TPS]
    for name in ("first", "second"):
        answer = _page_entry(fresh, _person(fresh, name), [MARKED])
        assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("hasil=adjudication")
    judge = _person(fresh, "judge", Role.ADJUDICATOR)
    page = fresh.client.get("/verifikasi", headers=judge.headers).text
    row = re.search(rf'<tr class="disputed">(?:(?!</tr>).)*name="{MARKED}"', page, re.S)
    assert row is not None, "the field both could not read is marked disputed"
    assert row.group(0).count(">tak terbaca<") == 2  # each entry's mark, as such
    assert f'name="{MARKED}" value=""' in page  # left for the adjudicator
    decided = _page_entry(fresh, judge, [MARKED])
    assert decided.headers["location"] == f"/verifikasi?selesai={task}&hasil=returned"
    note = fresh.client.get(decided.headers["location"], headers=judge.headers).text
    assert "dikirim kembali ke petugas KPPS" in note
    assert _states(fresh)[0] == "returned"
    assert _published(fresh) is None


def test_on_the_page_a_mark_against_a_number_goes_to_the_adjudicator_who_reads_it(
    fresh: World,
) -> None:
    assert _page_entry(fresh, _person(fresh, "first"), [MARKED]).status_code == 303
    second = _page_entry(fresh, _person(fresh, "second"), [])
    assert second.headers["location"].endswith("hasil=adjudication")
    judge = _person(fresh, "judge", Role.ADJUDICATOR)
    page = fresh.client.get("/verifikasi", headers=judge.headers).text
    assert page.count(">tak terbaca<") == 1
    decided = _page_entry(fresh, judge, [])
    assert decided.headers["location"].endswith("hasil=verified")
    assert _published(fresh) == _numbers(fresh)
    assert _public_value(fresh, MARKED) == COHERENT[MARKED]


def test_statistics_count_the_numbers_each_verifier_could_not_read(fresh: World) -> None:
    first = _person(fresh, "first")
    _enter(fresh, first, _without(_numbers(fresh), MARKED, "paslon_1"), [MARKED, "paslon_1"])
    second = _person(fresh, "second")
    _enter(fresh, second, _numbers(fresh), [])
    judge = _person(fresh, "judge", Role.ADJUDICATOR)
    assert _enter(fresh, judge, _numbers(fresh), []).json()["state"] == "verified"
    admin = fresh.actors["admin"]
    rows = fresh.client.get("/api/v1/verification/statistics", headers=admin.headers).json()
    mine = {r["account_id"]: r for r in rows["verifiers"]}
    assert mine[first.account_id]["fields_unreadable"] == 2
    assert mine[first.account_id]["disagreed_with_final"] == 0  # a mark is no wrong number
    assert mine[second.account_id]["fields_unreadable"] == 0
    page = fresh.client.get("/verifikasi/statistik", headers=admin.headers)
    assert "Angka tak terbaca" in page.text
