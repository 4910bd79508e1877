"""The verifier workspace over form posts: double-blind entry beside the crops, agreement,
adjudication of a disagreement, and the statistics page."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from rekap.adapters.storage.schema import (
    account,
    form,
    tps_result,
    verification_entry,
    verification_skip,
    verification_task,
)
from rekap.adapters.storage.verification_holds import hold
from rekap.capture.access import Role
from rekap.web.access import TOKEN_COOKIE
from rekap.web.context import utc_now
from rekap.web.portal import verifier_statistics
from rekap.web.portal.verifier_statistics import statistics_page
from tests.web.dataset import DESA, SPENT_DESA, Dataset

MACHINE_HEADER = "Bacaan mesin"
pytestmark = pytest.mark.usefixtures("plain_draw")  # each test says which form is handed


def person(app: FastAPI, token: str) -> TestClient:
    client = TestClient(app)
    client.cookies.set(TOKEN_COOKIE, token)
    return client


def open_task(client: TestClient) -> tuple[int, str, str]:
    page = client.get("/verifikasi")
    assert page.status_code == 200, page.text
    found = re.search(r'action="/verifikasi/tugas/(\d+)"', page.text)
    assert found is not None, "no task offered"
    kode = re.search(r'href="/tps/(\d{13})"', page.text)
    assert kode is not None
    return int(found.group(1)), kode.group(1), page.text


def entry(values: Mapping[str, int], **changes: int) -> dict[str, str]:
    return {k: str(v) for k, v in {**values, **changes}.items()} | {"mulai": "0"}


def stored(dataset: Dataset, kode: str) -> tuple[str, dict[str, int] | None]:
    with dataset.context.engine.connect() as connection:
        state = connection.execute(select(form.c.state).where(form.c.kode_tps == kode)).scalar()
        values = connection.execute(
            select(tps_result.c.fields).where(tps_result.c.kode_tps == kode)
        ).scalar()
    return str(state), None if values is None else {k: int(v) for k, v in values.items()}


def test_two_verifiers_agree_blind_and_the_form_is_verified(app: FastAPI, dataset: Dataset) -> None:
    first = person(app, dataset.enrol("Verifikator A", Role.VERIFIER, DESA[:6]))
    task_id, kode, html = open_task(first)
    assert MACHINE_HEADER not in html  # double-blind: no machine reading shown
    assert re.search(r"\d+ formulir menunggu di wilayah Anda", html)
    assert html.count('src="/foto/') == len(dataset.context.form.fields)
    truth = dataset.truth[kode].actual
    missing = first.post(f"/verifikasi/tugas/{task_id}", data=entry(truth) | {"paslon_1": ""})
    assert missing.status_code == 422
    assert 'aria-invalid="true"' in missing.text
    assert "disimpan untuk Anda sampai" in missing.text  # still held for them, and renewed
    saved = first.post(f"/verifikasi/tugas/{task_id}", data=entry(truth), follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/verifikasi?selesai={task_id}&hasil=open"
    # Sent again (a second click, the back button): the first entry stands, and says so.
    again = first.post(f"/verifikasi/tugas/{task_id}", data=entry(truth), follow_redirects=False)
    assert again.headers["location"] == f"/verifikasi?sudah={task_id}"
    assert len(dataset.context.verification.unreadable_marks(task_id)) == 1  # one entry
    second = person(app, dataset.enrol("Verifikator B", Role.VERIFIER, DESA))
    assert open_task(second)[0] == task_id
    done = second.post(f"/verifikasi/tugas/{task_id}", data=entry(truth), follow_redirects=False)
    assert done.headers["location"] == f"/verifikasi?selesai={task_id}&hasil=verified"
    assert stored(dataset, kode) == ("verified", dict(truth))
    public = TestClient(app).get(f"/tps/{kode}.json").json()
    assert public["status"] == "counted"
    assert {f["id"]: f["value"] for f in public["fields"]} == dict(truth)
    assert any(f["machine_status"] for f in public["fields"])  # shown once verified
    assert "verification.closed" in {e["kind"] for e in public["history"]}


def test_a_disagreement_goes_to_an_adjudicator_who_sees_both_entries(
    app: FastAPI, dataset: Dataset
) -> None:
    first = person(app, dataset.enrol("Verifikator C", Role.VERIFIER, DESA))
    task_id, kode, _ = open_task(first)
    truth = dataset.truth[kode].actual
    first.post(f"/verifikasi/tugas/{task_id}", data=entry(truth))
    second = person(app, dataset.enrol("Verifikator D", Role.VERIFIER, DESA))
    assert open_task(second)[0] == task_id
    wrong = truth["suara_tidak_sah"] + 1
    answer = second.post(
        f"/verifikasi/tugas/{task_id}",
        data=entry(truth, suara_tidak_sah=wrong),
        follow_redirects=False,
    )
    assert answer.headers["location"].endswith("hasil=adjudication")
    judge = person(app, dataset.enrol("Adjudikator", Role.ADJUDICATOR, DESA[:4]))
    judged_id, judged_kode, html = open_task(judge)
    assert (judged_id, judged_kode) == (task_id, kode)
    assert MACHINE_HEADER in html and "Verifikator C" in html and "Verifikator D" in html
    assert html.count('class="disputed"') >= 1
    # The numbers both entries agree on are filled in; the disputed one is left blank.
    assert re.search(r'name="suara_tidak_sah" value=""', html)
    assert re.search(rf'name="paslon_1" value="{truth["paslon_1"]}"', html)
    # why it came, in the page's language: the number the entries differ on, by its label
    label = dataset.context.form.by_id["suara_tidak_sah"]
    assert f'<li class="blocking">{label.label_id}: kedua entri berbeda</li>' in html
    english = judge.get("/verifikasi", params={"lang": "en"}).text
    assert f"{label.label_en}: the two entries differ" in english
    assert "suara_tidak_sah: entries differ" not in html + english
    decided = judge.post(f"/verifikasi/tugas/{task_id}", data=entry(truth), follow_redirects=False)
    assert decided.headers["location"].endswith("hasil=verified")
    assert stored(dataset, kode) == ("verified", dict(truth))


def test_statistics_show_each_verifier_and_only_oneself_to_a_verifier(
    app: FastAPI, dataset: Dataset
) -> None:
    with dataset.context.engine.connect() as connection:
        entered = set(
            connection.execute(
                select(account.c.name)
                .join(verification_entry, verification_entry.c.account_id == account.c.id)
                .where(verification_entry.c.role == "verifier")
            ).scalars()
        )
    admin = person(app, dataset.admin_token)
    page = admin.get("/verifikasi/statistik")
    assert page.status_code == 200
    assert all(name in page.text for name in entered)
    own = person(app, dataset.enrol("Verifikator E", Role.VERIFIER, DESA))
    mine = own.get("/verifikasi/statistik")
    assert mine.status_code == 200
    assert not any(name in mine.text for name in entered)


def test_a_verifier_skips_a_form_and_is_handed_another(app: FastAPI, dataset: Dataset) -> None:
    verifier = person(app, dataset.enrol("Verifikator Lewat", Role.VERIFIER, DESA[:6]))
    task_id, _, html = open_task(verifier)
    assert "Lewati formulir ini" in html and "disimpan untuk Anda sampai" in html
    assert open_task(verifier)[0] == task_id  # held: the same form again
    skipped = verifier.post(f"/verifikasi/tugas/{task_id}/lewati", follow_redirects=False)
    assert skipped.status_code == 303
    assert skipped.headers["location"] == f"/verifikasi?dilewati={task_id}"
    page = verifier.get(skipped.headers["location"])
    assert f"Tugas {task_id} dilewati" in page.text
    found = re.search(r'action="/verifikasi/tugas/(\d+)"', page.text)
    assert found is not None and int(found.group(1)) != task_id  # another form waits


def test_skipping_a_form_no_longer_ones_own_shows_the_form_one_has(
    app: FastAPI, dataset: Dataset
) -> None:
    first = person(app, dataset.enrol("Verifikator E", Role.VERIFIER, DESA))
    task_id, kode, _ = open_task(first)
    truth = dataset.truth[kode].actual
    store = dataset.context.verification
    for name in ("Verifikator F", "Verifikator G"):  # the form is entered by two others
        other, _ = dataset.context.accounts.enrol(name, Role.VERIFIER, DESA, utc_now(), "test")
        with dataset.context.engine.begin() as connection:  # as the draw might hand it
            hold(connection, task_id, other.account_id, utc_now())
        store.enter(other, task_id, dict(truth), 30.0, utc_now())
    assert stored(dataset, kode)[0] == "verified"
    answer = first.post(f"/verifikasi/tugas/{task_id}/lewati", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/verifikasi?tidak_lagi={task_id}"
    page = first.get(answer.headers["location"])
    assert f"Tugas {task_id} tidak lagi untuk Anda" in page.text


def test_a_verifier_reports_a_photo_they_cannot_read(app: FastAPI, dataset: Dataset) -> None:
    # LABIBIA's forms are spent by the tests before this one in a run: the other desa's
    verifier = person(app, dataset.enrol("Verifikator Buram", Role.VERIFIER, SPENT_DESA))
    task_id, _, html = open_task(verifier)
    assert f'action="/verifikasi/tugas/{task_id}/tidak-terbaca"' in html
    ticks = re.findall(r'name="foto" value="(\d+)"', html)
    assert len(ticks) == 3  # one box per page, each the photo its crops are cut from
    crops = set(re.findall(r'src="/foto/(\d+)/', html))
    assert set(ticks) == crops
    nothing = verifier.post(f"/verifikasi/tugas/{task_id}/tidak-terbaca", data={})
    assert nothing.status_code == 422
    assert "name at least one photo" in nothing.text
    odd = verifier.post(f"/verifikasi/tugas/{task_id}/tidak-terbaca", data={"foto": "x"})
    assert odd.status_code == 422
    answer = verifier.post(
        f"/verifikasi/tugas/{task_id}/tidak-terbaca",
        data={"foto": ticks[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/verifikasi?dilaporkan={task_id}&dikembalikan=0"
    page = verifier.get(answer.headers["location"])
    assert f"Laporan foto tugas {task_id} tersimpan" in page.text
    assert not re.search(r"\d+ foto dikirim kembali", page.text)  # one word sends nothing
    assert f'action="/verifikasi/tugas/{task_id}"' not in page.text  # given back
    rows = dataset.context.verification.statistics()
    mine = [r for r in rows if r["reported_unreadable"]]
    assert [r["skipped"] for r in mine] == [0] and len(mine) == 1
    admin = person(app, dataset.admin_token)
    assert "Dilaporkan tak terbaca" in admin.get("/verifikasi/statistik").text


def _skipped(dataset: Dataset, name: str, scope: str) -> tuple[str, str]:
    """A verifier enrolled for ``scope`` who skipped a form (a line of the statistics): their
    account id and token."""
    principal, token = dataset.context.accounts.enrol(name, Role.VERIFIER, scope, utc_now(), "t")
    with dataset.context.engine.begin() as connection:
        task_id = connection.execute(select(verification_task.c.id).limit(1)).scalar_one()
        connection.execute(
            insert(verification_skip).values(
                task_id=task_id, account_id=principal.account_id, skipped_at=utc_now().isoformat()
            )
        )
    return principal.account_id, token


def _lines(html: str) -> list[tuple[str, bool]]:
    """The statistics table's lines: (name, flagged)."""
    rows = re.findall(r'<tr( class="blocking")?><th scope="row">([^<]*)</th>', html)
    return [(name, bool(flag)) for flag, name in rows]


def test_an_admin_reads_the_statistics_a_page_at_a_time_flagged_first(
    app: FastAPI, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verifier_statistics, "PAGE_SIZE", 2)
    for name in ("Statistik Halaman C", "statistik halaman a", "Statistik Halaman B"):
        _skipped(dataset, name, DESA)
    admin = person(app, dataset.admin_token)
    address: str | None = "/verifikasi/statistik"
    seen: list[tuple[str, bool]] = []
    pages = 0
    while address is not None:
        page = admin.get(address)
        assert page.status_code == 200, page.text
        lines = _lines(page.text)
        assert 1 <= len(lines) <= 2
        seen += lines
        pages += 1
        assert ('rel="prev"' in page.text) == (pages > 1)
        found = re.search(r'rel="next" href="([^"]+)"', page.text)
        address = None if found is None else found.group(1).replace("&amp;", "&")
    everyone = statistics_page(dataset.context.verification, 1, size=1000)
    assert seen == [
        (everyone.names[str(r["account_id"])], bool(r["flagged"])) for r in everyone.rows
    ]
    assert (
        f"{everyone.total} verifikator" in page.text
        and f"Halaman {pages} dari {pages}" in page.text
    )
    mine = [n for n, _ in seen if n.casefold().startswith("statistik halaman")]
    assert mine == ["statistik halaman a", "Statistik Halaman B", "Statistik Halaman C"]
    beyond = admin.get("/verifikasi/statistik", params={"halaman": pages + 1})
    assert beyond.status_code == 404
    assert f"Tidak ada halaman {pages + 1}: daftar ini {pages} halaman." in beyond.text
    assert _lines(beyond.text) == []
    assert admin.get("/verifikasi/statistik", params={"halaman": 0}).status_code == 422


def test_an_admin_reads_the_statistics_of_one_regions_verifiers(
    app: FastAPI, dataset: Dataset
) -> None:
    _skipped(dataset, "Statistik Wilayah Salo", SPENT_DESA)
    _skipped(dataset, "Statistik Wilayah Labibia", DESA)
    admin = person(app, dataset.admin_token)
    region = SPENT_DESA[:6]
    page = admin.get("/verifikasi/statistik", params={"wilayah": region})
    assert page.status_code == 200
    names = [n for n, _ in _lines(page.text)]
    assert "Statistik Wilayah Salo" in names and "Statistik Wilayah Labibia" not in names
    with dataset.context.engine.connect() as connection:
        scopes = dict(connection.execute(select(account.c.name, account.c.scope)).all())
    assert all(scopes[n].startswith(region) for n in names)
    assert f'value="{region}"' in page.text  # the filter shows what it holds
    assert admin.get("/verifikasi/statistik", params={"wilayah": "98"}).status_code == 404
    assert admin.get("/verifikasi/statistik", params={"wilayah": "x"}).status_code == 422


def test_a_verifier_is_shown_their_own_line_alone(app: FastAPI, dataset: Dataset) -> None:
    _skipped(dataset, "Statistik Sendiri Lain", DESA)
    _, token = _skipped(dataset, "Statistik Sendiri", DESA)
    own = person(app, token)
    for params in ({}, {"halaman": "2"}, {"wilayah": "74"}):  # no one else's, on any page
        page = own.get("/verifikasi/statistik", params=params)
        assert page.status_code == 200
        assert _lines(page.text) == [("Statistik Sendiri", False)]
        assert 'rel="next"' not in page.text and 'name="wilayah"' not in page.text
