"""In Chromium, on a 1366x768 laptop (its browser leaves a page about 650 pixels high): the
verifier's workspace as people meet it when a day of entries goes wrong. The login ends
while a form is typed; a number is mistyped (a letter O for a zero, a fourth digit); the save
button is clicked twice on a slow connection; and an adjudicator decides the form beside two
entries by people with long names. Each number's crop stays whole and legible beside its
input."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route
from sqlalchemy import select

from rekap.adapters.storage.schema import form, verification_entry
from rekap.adapters.storage.verification_holds import hold
from rekap.capture.access import Role
from rekap.web.context import utc_now
from tests.web.browsing import Tab
from tests.web.dataset import DESA, SPENT_DESA, Dataset

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("plain_draw")]
LAPTOP = {"width": 1366, "height": 650}


@pytest.fixture
def laptop(browser: Browser, server: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=server, viewport=LAPTOP)
    yield context
    context.close()


def log_in(
    context: BrowserContext,
    dataset: Dataset,
    people: list[str],
    name: str,
    role: Role = Role.VERIFIER,
    scope: str = DESA,
) -> tuple[Tab, str]:
    token = dataset.enrol(name, role, scope)
    found = dataset.context.accounts.authenticate(token)
    assert found is not None
    people.append(found.account_id)
    tab = Tab.open(context)
    tab.login(token)
    tab.page.wait_for_url("**/verifikasi")
    tab.page.wait_for_function("() => [...document.images].every(i => i.complete)")
    return tab, token


def numbers(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "form#entry input[inputmode=numeric]", "inputs => inputs.map(i => i.name)"
    )


def task_of(page: Page) -> tuple[int, str]:
    action = page.locator("form#entry").get_attribute("action") or ""
    kode = page.locator("h2 a[href^='/tps/']").inner_text().strip()
    return int(action.rsplit("/", 1)[1]), kode


def crop_in_view(page: Page) -> dict[str, float]:
    """Where the focused input and its row's crop lie, against the screen and the columns'
    names kept above the table; and the crop's size shown against its own."""
    return page.evaluate(
        """() => {
          const input = document.activeElement, row = input.closest('tr');
          const crop = row.querySelector('img').getBoundingClientRect();
          const head = row.closest('table').querySelector('thead').getBoundingClientRect();
          const box = input.getBoundingClientRect(), img = row.querySelector('img');
          return {top: Math.min(box.top, crop.top), bottom: Math.max(box.bottom, crop.bottom),
                  below: Math.max(head.bottom, 0), screen: innerHeight,
                  shown: crop.height / img.naturalHeight, wide: crop.width / img.naturalWidth};
        }"""
    )


def type_by_keyboard(page: Page, values: dict[str, int], check_crops: bool = True) -> None:
    """Type every number and Enter after each but the last; each crop whole beside its
    input, under the columns' names, at no less than two thirds of its size."""
    names = numbers(page)
    for i, name in enumerate(names):
        page.wait_for_function(f"() => document.activeElement.name === '{name}'")
        if check_crops:
            seen = crop_in_view(page)
            assert seen["below"] - 1 <= seen["top"] and seen["bottom"] <= seen["screen"], name
            assert seen["shown"] >= 0.66 and seen["wide"] >= 0.66, (name, seen)
        page.keyboard.type(str(values[name]))
        if i < len(names) - 1:
            page.keyboard.press("Enter")


def test_a_login_that_ends_while_typing_keeps_the_numbers_and_a_typo_is_kept_and_shown(
    laptop: BrowserContext, dataset: Dataset, people: list[str], artifacts: Path
) -> None:
    tab, token = log_in(laptop, dataset, people, "Verifikator Sore")
    page = tab.page
    task_id, kode = task_of(page)
    truth = dict(dataset.truth[kode].actual)
    names = numbers(page)
    type_by_keyboard(page, truth)
    # A letter O for a zero, then a fourth digit: kept as typed, marked, and not sent.
    page.fill("input[name=paslon_1]", "")
    page.type("input[name=paslon_1]", "1O5")
    assert page.input_value("input[name=paslon_1]") == "1O5"
    assert page.get_attribute("input[name=paslon_1]", "aria-invalid") == "true"
    page.focus(f"input[name={names[-1]}]")
    page.keyboard.press("Enter")  # Enter on the last number: back to the mistyped one
    page.wait_for_function("() => document.activeElement.name === 'paslon_1'")
    page.keyboard.type("1234")
    assert page.input_value("input[name=paslon_1]") == "1234"
    assert "angka bulat 0–999" in page.locator("tr:has(#v-paslon_1)").inner_text()
    page.fill("input[name=paslon_1]", str(truth["paslon_1"]))
    assert page.get_attribute("input[name=paslon_1]", "aria-invalid") is None
    # Enter on a box "cannot read" moves on; it does not send a form half answered.
    page.focus("#u-dpt_l")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.activeElement.name === '{names[1]}'")
    assert page.url.endswith("/verifikasi")
    # The login ends (its hours are over); the verifier presses Enter on the last number.
    laptop.clear_cookies()
    page.focus(f"input[name={names[-1]}]")
    page.keyboard.press("Enter")
    page.locator("form.login #token").wait_for()  # the login page, carrying the entry
    assert "Sesi masuk Anda berakhir sebelum entri tersimpan" in page.content()
    page.fill("#token", token)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/verifikasi/tugas/{task_id}?dipulihkan=1")
    assert "Angka yang Anda ketik sebelum sesi berakhir dikembalikan" in page.content()
    for name in names:
        assert page.input_value(f"input[name={name}]") == str(truth[name]), name
    with dataset.context.engine.connect() as connection:
        saved = connection.execute(
            select(verification_entry.c.id).where(verification_entry.c.task_id == task_id)
        ).all()
    assert saved == []  # back in the form, not saved: the verifier checks, then saves
    tab.shoot(artifacts, "verifikasi-sesi-berakhir")
    assert [e for e in tab.errors if "status of 401" not in e] == []  # the login page's 401


def test_a_double_click_on_a_slow_line_saves_once_and_the_adjudicator_sees_each_crop_whole(
    laptop: BrowserContext, dataset: Dataset, people: list[str], artifacts: Path
) -> None:
    """One form of the desa kept for such tests, from its entries to its decision: a
    second verifier types it by keyboard and clicks Save twice while the line is slow; the
    two entries differ, and an adjudicator decides it beside them."""
    first = "Verifikator Pertama Dengan Nama Yang Panjang Sekali"
    tab, _ = log_in(laptop, dataset, people, first, scope=SPENT_DESA)
    page = tab.page
    task_id, kode = task_of(page)
    truth = dict(dataset.truth[kode].actual)
    store = dataset.context.verification
    other, _ = dataset.context.accounts.enrol(
        "Verifikator Kedua Dengan Nama Yang Panjang Juga", Role.VERIFIER, SPENT_DESA, utc_now(), "t"
    )
    people.append(other.account_id)
    with dataset.context.engine.begin() as connection:  # as the draw might hand it
        hold(connection, task_id, other.account_id, utc_now())
    differing = truth | {"suara_tidak_sah": truth["suara_tidak_sah"] + 1}
    assert store.enter(other, task_id, differing, 30.0, utc_now()) == "open"
    type_by_keyboard(page, truth)
    posts: list[str] = []

    def slow(route: Route) -> None:  # a slow line: the answer comes after a second click
        posts.append(route.request.url)
        time.sleep(0.6)
        route.continue_()

    page.route(f"**/verifikasi/tugas/{task_id}", slow)
    page.evaluate(
        "() => { const b = document.getElementById('save'); b.click(); "
        "setTimeout(() => b.click(), 150); }"
    )
    page.wait_for_url("**/verifikasi?selesai=*")
    page.wait_for_timeout(800)  # a second post, were one sent, would land by now
    assert len(posts) == 1
    assert "dikirim ke adjudikator" in page.locator("p.ok").inner_text()
    assert len(store.unreadable_marks(task_id)) == 2  # two entries, one each
    judge, _ = log_in(laptop, dataset, people, "Adjudikator Laptop", Role.ADJUDICATOR, SPENT_DESA)
    jp = judge.page
    assert task_of(jp) == (task_id, kode)
    heads = [h.strip() for h in jp.locator("fieldset").first.locator("thead th").all_inner_texts()]
    assert heads[1:] == [
        "Entri Verifikator Kedua Dengan Nama Yang Panjang Juga",
        "Entri Verifikator Pertama Dengan Nama Yang Panjang Sekali",
        "Bacaan mesin",
        "Entri Anda",
    ]
    disputed = jp.locator("tr.disputed")
    assert disputed.count() == 1 and "Entri berbeda" in disputed.inner_text()
    # The disputed number is the one left to type; the agreed ones are filled in.
    jp.wait_for_function("() => document.activeElement.name === 'suara_tidak_sah'")
    for name in numbers(jp):
        jp.focus(f"input[name={name}]")
        jp.evaluate("() => document.activeElement.closest('tr').scrollIntoView({block: 'center'})")
        seen = crop_in_view(jp)
        assert seen["shown"] >= 0.66 and seen["wide"] >= 0.66, (name, seen)
    jp.focus("input[name=surat_suara_tidak_digunakan]")  # the number before it, by keyboard
    jp.keyboard.press("Enter")
    jp.wait_for_function("() => document.activeElement.name === 'paslon_1'")
    seen = crop_in_view(jp)  # the tallest crop: whole, under the names of the columns
    assert seen["below"] - 1 <= seen["top"] and seen["bottom"] <= seen["screen"], seen
    judge.shoot(artifacts, "adjudikasi-laptop")
    jp.fill("input[name=suara_tidak_sah]", str(truth["suara_tidak_sah"]))
    jp.click("#save")
    jp.wait_for_url("**/verifikasi?selesai=*")
    assert "terverifikasi" in jp.locator("p.ok").inner_text()
    with dataset.context.engine.connect() as connection:
        state = connection.execute(select(form.c.state).where(form.c.kode_tps == kode)).scalar()
    assert state == "verified"
    assert tab.errors == [] and judge.errors == []


def test_the_statistics_of_many_verifiers_fit_a_laptop_flagged_first_then_by_name(
    laptop: BrowserContext, dataset: Dataset, people: list[str], artifacts: Path
) -> None:
    store = dataset.context.verification
    for name in ("Zulkifli Statistik", "ahmad statistik", "Maria Statistik"):
        person, _ = dataset.context.accounts.enrol(name, Role.VERIFIER, DESA, utc_now(), "t")
        people.append(person.account_id)
        handed = store.next_task(person)  # one skip each: a line of the statistics
        assert handed is not None
        store.skip(person, handed.id, utc_now())
    tab = Tab.open(laptop)
    tab.login(dataset.admin_token)
    page = tab.page
    page.wait_for_url("**/verifikasi/statistik")
    rows = page.locator("table.stats tbody tr")
    assert rows.count() >= 3
    fits = page.evaluate(
        "() => { const s = document.querySelector('div.scroll');"
        " return [s.scrollWidth, s.clientWidth]; }"
    )
    assert fits[0] <= fits[1], fits  # every column on the screen, the flag among them
    names = [t.strip() for t in page.locator("table.stats tbody th").all_inner_texts()]
    flags = [
        t.strip() != ""
        for t in page.locator("table.stats tbody td:nth-of-type(1)").all_inner_texts()
    ]
    order = [(not f, n.casefold()) for f, n in zip(flags, names, strict=True)]
    assert order == sorted(order)
    tab.shoot(artifacts, "statistik-laptop")
    assert tab.errors == []


def test_the_page_warns_as_the_hold_nears_its_end_and_once_it_lapses_keeping_what_was_typed(
    laptop: BrowserContext, dataset: Dataset, people: list[str], artifacts: Path
) -> None:
    """A verifier called away mid-form: two minutes before the form stops being theirs the
    note beside Skip asks them to save soon; once it has lapsed it says so, as an alert. The
    time is the server's hold, counted from when the page came (the laptop's clock may be
    set wrong: here it is a day off), and what was typed stays."""
    laptop.clock.install(time=time.time() - 86_400)
    tab, _ = log_in(laptop, dataset, people, "Verifikator Dipanggil")
    page = tab.page
    note = page.locator("#hold")
    held_for = int(note.get_attribute("data-held-for") or "0")
    assert held_for > 180
    assert note.inner_text().startswith("Formulir ini disimpan untuk Anda sampai ")
    until = note.inner_text().split(" sampai ", 1)[1].rstrip(".")  # e.g. 16:57 WITA
    name = numbers(page)[0]
    page.fill(f"input[name={name}]", "123")
    page.clock.fast_forward((held_for - 150) * 1000)
    page.clock.run_for(6_000)
    assert note.get_attribute("role") is None  # not yet: more than two minutes left
    page.clock.fast_forward(40_000)
    page.clock.run_for(6_000)
    assert (
        note.inner_text()
        == f"Simpan segera: formulir ini disimpan untuk Anda hanya sampai {until}."
    )
    assert note.get_attribute("role") == "alert"
    page.clock.fast_forward(120_000)
    page.clock.run_for(6_000)
    assert note.inner_text().startswith("Formulir ini tidak lagi disimpan untuk Anda")
    assert page.input_value(f"input[name={name}]") == "123"
    assert page.url.endswith("/verifikasi")  # nothing reloaded
    tab.shoot(artifacts, "verifikasi-waktu-habis")
    assert tab.errors == []
