"""The verifier workspace when things go wrong around an entry: the login ends while a form is
typed, the hold lapses and others take the form, the same entry is sent twice; and the clock
and language the page is read in."""

from __future__ import annotations

import html as markup
import re
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from rekap.adapters.storage.schema import verification_entry, verification_hold
from rekap.adapters.storage.verification_holds import hold, stamp
from rekap.capture.access import Role
from rekap.domain.timezones import WITA
from rekap.web.context import utc_now
from tests.web.dataset import SPENT_DESA, Dataset
from tests.web.test_workspace import entry, open_task, person

pytestmark = pytest.mark.usefixtures("plain_draw")


def verifier(app: FastAPI, dataset: Dataset, people: list[str], name: str) -> TestClient:
    token = dataset.enrol(name, Role.VERIFIER, SPENT_DESA)
    found = dataset.context.accounts.authenticate(token)
    assert found is not None
    people.append(found.account_id)
    return person(app, token)


def entries_of(dataset: Dataset, task_id: int) -> list[str]:
    with dataset.context.engine.connect() as connection:
        query = select(verification_entry.c.account_id).where(
            verification_entry.c.task_id == task_id
        )
        return list(connection.execute(query).scalars())


def test_a_login_that_ends_while_a_form_is_typed_keeps_the_numbers(
    app: FastAPI, dataset: Dataset, people: list[str]
) -> None:
    token = dataset.enrol("Verifikator Sesi", Role.VERIFIER, SPENT_DESA)
    me = dataset.context.accounts.authenticate(token)
    assert me is not None
    people.append(me.account_id)
    task_id, kode, _ = open_task(person(app, token))
    truth = dataset.truth[kode].actual
    typed = entry(truth, paslon_1=truth["paslon_1"]) | {"paslon_2": "", "mulai": "1700000000"}
    typed["tidak_terbaca"] = "paslon_2"
    expired = TestClient(app)  # the cookie is gone: its hours are over
    posted = expired.post(f"/verifikasi/tugas/{task_id}", data=typed, follow_redirects=False)
    assert posted.status_code == 401  # the login page, carrying what was typed
    page = markup.unescape(posted.text)
    assert "Sesi masuk Anda berakhir sebelum entri tersimpan" in page
    assert f'name="lanjut" value="/verifikasi/tugas/{task_id}?dipulihkan=1"' in page
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert carried["paslon_1"] == str(truth["paslon_1"])
    assert carried["tidak_terbaca"] == "paslon_2" and carried["mulai"] == "1700000000"
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    wrong = expired.post("/masuk", data=form | {"token": "not-a-token"})
    assert wrong.status_code == 401 and 'name="paslon_1"' in wrong.text  # still carried
    login = expired.post("/masuk", data=form | {"token": token}, follow_redirects=False)
    assert login.status_code == 307  # the browser posts the entry again, logged in now
    assert login.headers["location"] == f"/verifikasi/tugas/{task_id}?dipulihkan=1"
    back = expired.post(login.headers["location"], data=form | {"token": token})
    assert back.status_code == 200
    assert "Angka yang Anda ketik sebelum sesi berakhir dikembalikan" in back.text
    assert re.search(rf'name="paslon_1" value="{truth["paslon_1"]}"', back.text)
    assert re.search(r'id="u-paslon_2"[^>]* checked', back.text)
    assert 'name="mulai" value="1700000000"' in back.text  # its typing time goes on
    assert entries_of(dataset, task_id) == []  # shown, not saved
    # Someone else logging in on that browser is not shown the form: it was not handed them.
    other = verifier(app, dataset, people, "Verifikator Lain")
    refused = other.post(
        f"/verifikasi/tugas/{task_id}?dipulihkan=1", data=form, follow_redirects=False
    )
    assert refused.headers["location"] == f"/verifikasi?tidak_disimpan={task_id}"


def test_a_button_pressed_after_the_login_ended_leads_back_to_the_workspace(
    app: FastAPI,
) -> None:
    answer = TestClient(app).post("/verifikasi/tugas/1/lewati", follow_redirects=False)
    assert answer.headers["location"] == "/masuk?lanjut=/verifikasi"
    page = TestClient(app).get("/verifikasi/statistik?lang=en", follow_redirects=False)
    assert page.headers["location"] == "/masuk?lanjut=/verifikasi/statistik%3Flang%3Den"


def test_an_entry_whose_hold_lapsed_and_whose_place_others_took_is_not_saved_and_says_so(
    app: FastAPI, dataset: Dataset, people: list[str]
) -> None:
    late = verifier(app, dataset, people, "Verifikator Terlambat")
    task_id, kode, _ = open_task(late)
    now = utc_now()
    with dataset.context.engine.begin() as connection:  # 20 minutes went by: the hold lapsed
        connection.execute(
            update(verification_hold)
            .where(verification_hold.c.account_id == people[0])
            .values(held_since=stamp(now - timedelta(minutes=21)), held_until=stamp(now))
        )
    for name in ("Verifikator Cepat Satu", "Verifikator Cepat Dua"):  # both places taken
        other, _ = dataset.context.accounts.enrol(name, Role.VERIFIER, SPENT_DESA, now, "test")
        people.append(other.account_id)
        with dataset.context.engine.begin() as connection:
            hold(connection, task_id, other.account_id, utc_now())
    truth = dataset.truth[kode].actual
    answer = late.post(f"/verifikasi/tugas/{task_id}", data=entry(truth), follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/verifikasi?tidak_disimpan={task_id}"
    page = late.get(answer.headers["location"])
    assert f"Entri tugas {task_id} tidak disimpan" in page.text
    assert entries_of(dataset, task_id) == []


def test_the_hold_is_told_on_the_clock_of_the_tps_region_and_the_language_switch_works(
    app: FastAPI, dataset: Dataset, people: list[str]
) -> None:
    client = verifier(app, dataset, people, "Verifikator Jam")
    task_id, kode, html = open_task(client)
    assert kode.startswith("74")  # Sulawesi Tenggara keeps WITA, UTC+8
    with dataset.context.engine.connect() as connection:
        until = connection.execute(
            select(verification_hold.c.held_until).where(
                verification_hold.c.account_id == people[0]
            )
        ).scalar_one()
    local = datetime.fromisoformat(str(until)).astimezone(WITA)
    assert f"disimpan untuk Anda sampai {local:%H:%M} WITA" in html
    truth = dataset.truth[kode].actual
    wrong = client.post(f"/verifikasi/tugas/{task_id}", data=entry(truth) | {"paslon_1": "1O5"})
    assert wrong.status_code == 422
    assert "1 isian perlu diperbaiki" in wrong.text
    assert 'name="paslon_1" value="1O5"' in wrong.text  # kept as typed, marked
    # The language link of a form shown again after a post leads to the workspace (the post's
    # own address cannot be fetched).
    assert 'href="/verifikasi?lang=en"' in wrong.text
    english = client.get("/verifikasi?lang=en")
    assert english.status_code == 200 and f"kept for you until {local:%H:%M} WITA" in english.text
