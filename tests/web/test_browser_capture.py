"""In Chromium: a double-blind verification by two verifiers in two sessions, typing every
number from the keyboard; a number ticked "cannot read" by keyboard without a script; and an
officer uploading a page from the phone page, through a dropped connection, without a
duplicate."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Route
from sqlalchemy import select

from rekap.adapters.storage.schema import device, form, photo, tps_result
from rekap.adapters.storage.verification_holds import lock_holds, release
from rekap.capture.access import Role
from rekap.capture.photo_check import PhotoFormat, check_photo
from rekap.reading.digits import OnnxDigitClassifier
from rekap.reading.pipeline import PageReader
from rekap.simulation.photo_set import PhotoOptions, photograph_tps
from rekap.web.context import utc_now
from tests.web.browsing import Tab
from tests.web.dataset import DESA, Dataset, photos_of

pytestmark = pytest.mark.browser


def enter_by_keyboard(tab: Tab, values: dict[str, int]) -> None:
    """Type each number and press Enter; Enter on the last one saves the form."""
    page = tab.page
    inputs = page.locator("form#entry input[inputmode=numeric]")
    first = inputs.first.get_attribute("name")
    page.wait_for_function(f"() => document.activeElement.name === '{first}'")
    for i in range(inputs.count()):
        name = inputs.nth(i).get_attribute("name") or ""
        page.keyboard.type(str(values[name]))
        page.keyboard.press("Enter")
    page.wait_for_url("**/verifikasi?selesai=*")


@pytest.mark.usefixtures("plain_draw")  # both are handed the oldest form
def test_two_verifiers_verify_a_form_double_blind(
    browser: Browser, server: str, dataset: Dataset, artifacts: Path
) -> None:
    tabs = []
    for name in ("Verifikator Satu", "Verifikator Dua"):
        context = browser.new_context(base_url=server, viewport={"width": 1000, "height": 900})
        tab = Tab.open(context)
        tab.login(dataset.enrol(name, Role.VERIFIER, DESA))
        tab.page.wait_for_url("**/verifikasi")
        tabs.append(tab)
    first, second = tabs
    kode = first.page.locator("h2 a[href^='/tps/']").inner_text().strip()
    assert second.page.locator("h2 a[href^='/tps/']").inner_text().strip() == kode
    assert "Bacaan mesin" not in first.page.content()  # blind to the machine's reading
    first.shoot(artifacts, "verifikasi")
    truth = dict(dataset.truth[kode].actual)
    enter_by_keyboard(first, truth)
    assert "menunggu verifikator kedua" in first.page.locator("p.ok").inner_text()
    second.page.reload()
    enter_by_keyboard(second, truth)
    assert "terverifikasi" in second.page.locator("p.ok").inner_text()
    with dataset.context.engine.connect() as connection:
        state = connection.execute(select(form.c.state).where(form.c.kode_tps == kode)).scalar()
        values = connection.execute(
            select(tps_result.c.fields).where(tps_result.c.kode_tps == kode)
        ).scalar()
    assert state == "verified"
    assert values == truth
    public = Tab.open(first.page.context)
    public.page.goto(f"/tps/{kode}")
    assert "Dihitung" in public.page.locator(".badge").first.inner_text()
    public.shoot(artifacts, "tps-verified")
    second.page.goto("/verifikasi/statistik")
    second.shoot(artifacts, "statistik")
    for tab in (*tabs, public):
        assert tab.errors == []
    for tab in tabs:
        tab.page.context.close()


def test_an_officer_uploads_a_page_through_a_dropped_connection(
    tab: Tab, dataset: Dataset, artifacts: Path, tmp_path: Path
) -> None:
    tps = dataset.spare[0]
    kode = tps.kode.value
    token = dataset.enrol(f"KPPS {kode}", Role.OFFICER, kode)
    jpeg = photos_of(tps)[1]
    sha = getattr(check_photo(jpeg), "sha256", "")
    picture = tmp_path / "halaman-1.jpg"
    picture.write_bytes(jpeg)
    page = tab.page
    calls: list[str] = []

    def flaky(route: Route) -> None:
        calls.append(route.request.method)
        if len(calls) == 1:
            route.abort("connectionfailed")  # the first attempt never reaches the server
        else:
            route.continue_()

    page.route("**/api/v1/tps/*/photos/*", flaky)
    tab.login(token)
    page.wait_for_url("**/petugas")
    page.locator("#uploader[data-ready=device]").wait_for(timeout=10_000)
    page.set_input_files("#file-1", str(picture))
    page.locator("#status-1[data-state=retry]").wait_for(timeout=10_000)
    page.locator("#status-1[data-state=done]").wait_for(timeout=15_000)
    photo_id = page.locator("#status-1").get_attribute("data-photo-id")
    # The same photo again: the server answers with the same receipt, nothing new.
    page.set_input_files("#file-1", str(picture))
    page.wait_for_timeout(500)
    page.locator("#status-1[data-state=done]").wait_for()
    with dataset.context.engine.connect() as connection:
        rows = connection.execute(
            select(photo.c.id, photo.c.device_id).where(
                photo.c.kode_tps == kode, photo.c.sha256 == sha, photo.c.page == 1
            )
        ).all()
        devices = connection.execute(select(device.c.id)).scalars().all()
    assert [str(r[0]) for r in rows] == [photo_id]
    assert rows[0][1] in devices
    assert [c for c in calls if c == "PUT"] == ["PUT", "PUT"]  # the raw-body upload
    page.reload()
    assert page.locator("ul.received li").count() == 1
    tab.shoot(artifacts, "petugas")
    assert [e for e in tab.errors if "ERR_CONNECTION" not in e and "Failed to fetch" not in e] == []


def test_the_officer_page_shrinks_a_large_photo_before_sending_it(
    tab: Tab, dataset: Dataset, tmp_path: Path
) -> None:
    """A 12 MP phone photo is redrawn at 3,000 pixels on its long side and signed as sent;
    the stored photo is that smaller one, and the reader still reads every number of it."""
    tps = dataset.spare[1]
    kode = tps.kode.value
    token = dataset.enrol(f"KPPS {kode}", Role.OFFICER, kode)
    options = PhotoOptions(pages=(2,), megapixels=(12.0, 12.0), corner_rate=0.0)
    original = next(iter(photograph_tps(tps, 5, options))).photo.jpeg
    width, height = Image.open(io.BytesIO(original)).size
    assert max(width, height) > 3500
    picture = tmp_path / "halaman-2.jpg"
    picture.write_bytes(original)
    _send_as_officer(tab, token, 2, picture)
    with dataset.context.engine.connect() as connection:
        sha, fmt = connection.execute(
            select(photo.c.sha256, photo.c.format).where(
                photo.c.kode_tps == kode, photo.c.page == 2
            )
        ).one()
    sent = dataset.context.files.get(sha, PhotoFormat(fmt).suffix)
    assert len(sent) < len(original)
    shrunk = Image.open(io.BytesIO(sent))
    assert (shrunk.format, max(shrunk.size)) == ("JPEG", 3000)
    assert abs(shrunk.size[0] / shrunk.size[1] - width / height) < 0.01  # not distorted
    reading = PageReader(OnnxDigitClassifier()).read(sent, expected_page=2)
    assert reading.status == "ok", reading.reason
    read = {f.field_id: f.value for f in reading.fields if f.status == "read"}
    assert len(read) >= len(reading.fields) - 1
    assert all(tps.values[field] == value for field, value in read.items())
    assert tab.errors == []


def _send_as_officer(tab: Tab, token: str, page_number: int, picture: Path) -> None:
    """Log in on the officer page and send ``picture`` as page ``page_number``, until the
    page says it is done."""
    page = tab.page
    tab.login(token)
    page.wait_for_url("**/petugas")
    page.locator("#uploader[data-ready=device]").wait_for(timeout=10_000)
    page.set_input_files(f"#file-{page_number}", str(picture))
    page.locator(f"#status-{page_number}[data-state=done]").wait_for(timeout=20_000)


def test_a_photo_the_browser_cannot_redraw_is_sent_as_it_is(
    tab: Tab, dataset: Dataset, tmp_path: Path
) -> None:
    """A canvas refused (a phone out of canvas memory): the photo goes whole, not lost."""
    tps = dataset.spare[1]  # (page 3: the shrink test sends its page 2)
    kode = tps.kode.value
    token = dataset.enrol(f"KPPS {kode}", Role.OFFICER, kode)
    options = PhotoOptions(pages=(3,), megapixels=(12.0, 12.0), corner_rate=0.0)
    original = next(iter(photograph_tps(tps, 6, options))).photo.jpeg
    picture = tmp_path / "halaman-3.jpg"
    picture.write_bytes(original)
    tab.page.add_init_script(
        "HTMLCanvasElement.prototype.getContext = function () { return null; };"
    )
    _send_as_officer(tab, token, 3, picture)
    with dataset.context.engine.connect() as connection:
        sha = connection.execute(
            select(photo.c.sha256).where(photo.c.kode_tps == kode, photo.c.page == 3)
        ).scalar_one()
    assert sha == getattr(check_photo(original), "sha256", None)
    assert tab.errors == []


@pytest.mark.usefixtures("plain_draw")
def test_a_number_one_cannot_read_is_ticked_by_keyboard_without_a_script(
    browser: Browser, server: str, dataset: Dataset, artifacts: Path
) -> None:
    """No JavaScript: every number typed but one, whose box "Tidak terbaca" is reached by Tab
    and ticked by Space; the form saved by Enter on its button. The entry names the field
    unreadable; a second verifier's same mark sends the form to an adjudicator, whose reading
    of it is what is published."""
    context = browser.new_context(
        base_url=server, viewport={"width": 1000, "height": 900}, java_script_enabled=False
    )
    tab = Tab.open(context)
    token = dataset.enrol("Verifikator Buta Satu", Role.VERIFIER, DESA)
    tab.login(token)
    page = tab.page
    page.wait_for_url("**/verifikasi")
    kode = page.locator("h2 a[href^='/tps/']").inner_text().strip()
    truth = dict(dataset.truth[kode].actual)
    marked = "paslon_2"
    for name, value in truth.items():
        if name != marked:
            page.fill(f"form#entry input[name={name}]", str(value))
    page.focus(f"form#entry input[name={marked}]")
    page.keyboard.press("Tab")  # the number's own box comes next
    assert page.evaluate("document.activeElement.id") == f"u-{marked}"
    page.keyboard.press("Space")
    assert page.is_checked(f"#u-{marked}")
    tab.shoot(artifacts, "verifikasi-tidak-terbaca")
    page.focus("#save")
    page.keyboard.press("Enter")
    page.wait_for_url("**/verifikasi?selesai=*")
    assert "menunggu verifikator kedua" in page.locator("p.ok").inner_text()
    task_id = int(page.url.split("selesai=")[1].split("&")[0])
    _let_go_of_the_next_form(dataset, token, page.content())
    entered = [
        r.payload
        for r in dataset.context.log.records()
        if r.kind == "verification.entered" and r.payload["task_id"] == task_id
    ]
    assert [e["unreadable"] for e in entered] == [[marked]]
    store = dataset.context.verification
    for name, role in (
        ("Verifikator Buta Dua", Role.VERIFIER),
        ("Adjudikator Buta", Role.ADJUDICATOR),
    ):
        person, _ = dataset.context.accounts.enrol(name, role, DESA, utc_now(), "test")
        handed = store.next_task(person)  # the oldest with a place: this form
        assert handed is not None and handed.id == task_id
        numbers = {k: v for k, v in truth.items() if k != marked}
        if role is Role.VERIFIER:
            assert store.enter(person, task_id, numbers, 9.0, utc_now(), [marked]) == "adjudication"
        else:
            assert store.enter(person, task_id, truth, 9.0, utc_now()) == "verified"
    with dataset.context.engine.connect() as connection:
        values = connection.execute(
            select(tps_result.c.fields).where(tps_result.c.kode_tps == kode)
        ).scalar()
    assert values == truth
    assert tab.errors == []
    context.close()


def _let_go_of_the_next_form(dataset: Dataset, token: str, html: str) -> None:
    """The page after an entry hands the person their next form, held for them: let it go,
    so that the other tests of this dataset find its places as they expect."""
    held = re.search(r'action="/verifikasi/tugas/(\d+)"', html)
    person = dataset.context.accounts.authenticate(token)
    assert person is not None
    if held is not None:
        with dataset.context.engine.begin() as connection:
            lock_holds(connection)
            release(connection, int(held.group(1)), person.account_id)
