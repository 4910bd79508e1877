"""In Chromium: walk from the national page down to a TPS, checking every figure against the
database; the national page stays within its weight budget; search answers as one types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Request
from sqlalchemy import select

from rekap.adapters.storage.schema import tps_result
from rekap.data import region_tree
from rekap.domain.wilayah import KodeWilayah
from tests.web.browsing import Tab, number, paslon_votes
from tests.web.checks import counted_sums, held_tps
from tests.web.dataset import DESA, Dataset

pytestmark = pytest.mark.browser
BUDGET = 150 * 1024
WALK = ("74", "7471", DESA[:6], DESA)


def expected_votes(dataset: Dataset, prefix: str) -> dict[int, int]:
    sums = counted_sums(dataset, prefix)
    return {n: sums.get(f"paslon_{n}", 0) for n in (1, 2, 3)}


def test_walk_from_the_nation_down_to_a_tps(tab: Tab, dataset: Dataset, artifacts: Path) -> None:
    page, tree = tab.page, region_tree()
    page.goto("/")
    assert paslon_votes(page) == expected_votes(dataset, "")
    tab.shoot(artifacts, "1-nasional")
    for depth, kode in enumerate(WALK, start=2):
        page.locator(f'a[href="/wilayah/{kode}"]').first.click()
        page.wait_for_url(f"**/wilayah/{kode}")
        assert paslon_votes(page) == expected_votes(dataset, kode), kode
        expected_tps = tree.tps_count(KodeWilayah(kode))
        assert number(page.locator(".figures dd").first.inner_text()) == expected_tps
        assert tree.regions[kode].nama in page.locator("h1").inner_text()
        tab.shoot(artifacts, f"{depth}-{tree.regions[kode].level.label.split('/')[0]}")
    kode_tps = f"{DESA}001"
    page.locator(f'a[href="/tps/{kode_tps}"]').first.click()
    page.wait_for_url(f"**/tps/{kode_tps}")
    with dataset.context.engine.connect() as connection:
        published = connection.execute(
            select(tps_result.c.fields).where(tps_result.c.kode_tps == kode_tps)
        ).scalar()
    values = {k: int(v) for k, v in (published or {}).items()}
    rows = page.locator("table.numbers tbody tr")
    assert rows.count() == len(dataset.context.form.fields)
    for i in range(rows.count()):
        field_id = (rows.nth(i).get_attribute("id") or "").removeprefix("f-")
        shown = number(rows.nth(i).locator("td strong").inner_text())
        assert shown == values.get(field_id), field_id
    tab.shoot(artifacts, "6-tps")
    crops = page.locator("table.numbers img")
    assert crops.count() == len(dataset.context.form.fields)
    broken = page.evaluate(
        "[...document.querySelectorAll('table.numbers img')]"
        ".filter(i => !i.complete || i.naturalWidth === 0).length"
    )
    assert broken == 0
    assert tab.errors == []


def test_national_page_stays_within_its_weight_budget(
    tab: Tab, artifacts: Path, dataset: Dataset
) -> None:
    weights = {}
    finished: list[Request] = []
    tab.page.on("requestfinished", lambda request: finished.append(request))
    for name, path in (
        ("nasional", "/"),
        ("provinsi", "/wilayah/31"),
        ("kabupaten", "/wilayah/7471"),
        ("desa", f"/wilayah/{DESA}"),
        ("tps", f"/tps/{DESA}002"),
    ):
        finished.clear()
        tab.page.goto(path)
        tab.load_images()
        transferred = sum(r.sizes()["responseBodySize"] for r in finished)
        decoded = sum(len(r.response().body()) for r in finished if r.response() is not None)
        weights[name] = {"requests": len(finished), "bytes": transferred, "decoded": decoded}
    (artifacts / "page-weights.json").write_text(json.dumps(weights, indent=2))
    assert weights["nasional"]["decoded"] <= BUDGET, weights["nasional"]
    assert weights["nasional"]["bytes"] <= BUDGET
    assert tab.errors == []


def test_instant_search_finds_a_desa(tab: Tab, artifacts: Path) -> None:
    page = tab.page
    page.goto("/")
    page.locator("#q").press_sequentially("labibia", delay=30)
    first = page.locator("#hits li a").first
    first.wait_for()
    page.wait_for_function("() => document.querySelector('#q').value === 'labibia'")
    page.locator(f'#hits a[href="/wilayah/{DESA}"]').wait_for()
    assert first.get_attribute("href") == f"/wilayah/{DESA}"  # the whole word first
    tab.shoot(artifacts, "search")
    page.locator("#q").press("ArrowDown")
    page.locator("#q").press("Enter")
    page.wait_for_url(f"**/wilayah/{DESA}")
    assert tab.errors == []


def test_other_pages_render_cleanly_in_both_languages(tab: Tab, artifacts: Path) -> None:
    for name, path in (
        ("anomali", "/anomali"),
        ("data", "/data"),
        ("nasional-en", "/?lang=en"),
        ("masuk", "/masuk"),
    ):
        answer = tab.page.goto(path)
        assert answer is not None and answer.ok, path
        tab.shoot(artifacts, name)
    assert tab.page.locator("html").get_attribute("lang") == "en"
    assert tab.errors == []


def test_pages_read_and_search_without_javascript(browser: Browser, server: str) -> None:
    context = browser.new_context(base_url=server, java_script_enabled=False)
    tab = Tab.open(context)
    tab.page.goto("/")
    assert tab.page.locator("table.paslon tbody tr").count() == 3
    tab.page.fill("#q", "labibia")
    tab.page.press("#q", "Enter")
    tab.page.wait_for_url("**/cari?q=labibia")
    tab.page.locator(f'ol.results a[href="/wilayah/{DESA}"]').click()
    tab.page.wait_for_url(f"**/wilayah/{DESA}")
    assert tab.page.locator("table.children tbody tr").count() == 10
    context.close()


def test_a_screen_reader_reads_the_map_as_a_group_of_links(tab: Tab) -> None:
    """An image's children are presentational (ARIA): a map drawn as role=img hides its tiles'
    links from a screen reader while the keyboard still stops on each."""
    tab.page.goto("/wilayah/3101")
    tree = tab.page.locator("svg.map").aria_snapshot()
    assert 'group "Peta Kecamatan: warna paslon terdepan"' in tree.splitlines()[0], tree
    assert 'link "KEPULAUAN SERIBU UTARA:' in tree
    assert tab.page.locator("svg.map a").count() == 2
    assert tab.errors == []


def test_a_screen_reader_reads_the_results_from_the_table_not_the_chart(tab: Tab) -> None:
    """The chart's figures are text inside an SVG; a screen reader gets them from the table
    after it, once (the chart is hidden from it, not an image named without its figures)."""
    tab.page.goto("/wilayah/31")
    tree = tab.page.locator("section.result").aria_snapshot()
    assert "img" not in tree, tree
    chart = tab.page.locator("svg.chart text.fig").all_text_contents()
    assert len(chart) == 3
    rows = tab.page.locator("table.paslon tbody tr")
    for figure, i in zip(chart, range(rows.count()), strict=True):
        share, votes = figure.split(" · ")
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert [votes, share] == cells[:2]
        assert f"{votes}" in tree and f"{share}" in tree
    assert tab.errors == []


def test_pages_fit_a_cheap_phones_screen(browser: Browser, server: str) -> None:
    """At 360 px nothing but the wide tables (each in its own scroll box) may be wider than
    the screen: the page itself never scrolls sideways."""
    context = browser.new_context(base_url=server, viewport={"width": 360, "height": 640})
    tab = Tab.open(context)
    for path in ("/", "/wilayah/31", "/wilayah/3101", f"/wilayah/{DESA}", f"/tps/{DESA}001"):
        tab.page.goto(path)
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
    assert tab.errors == []
    context.close()


def test_a_desas_tps_list_fits_a_cheap_phone_without_scrolling_sideways(
    browser: Browser, server: str, dataset: Dataset, artifacts: Path
) -> None:
    """At 360 px a desa's TPS list shows each TPS's status, its findings and its numbers
    without a sideways scroll (the findings were a last column off the screen)."""
    held = held_tps(dataset)
    context = browser.new_context(base_url=server, viewport={"width": 360, "height": 640})
    tab = Tab.open(context)
    for desa in (DESA, held[:10]):
        tab.page.goto(f"/wilayah/{desa}")
        box = tab.page.locator("div.scroll:has(table.tps-list)")
        width, room = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert width <= room, (desa, width, room)
        tab.shoot(artifacts, f"360-desa-{desa}")
    row = tab.page.locator(f'table.tps-list tr:has(a[href="/tps/{held}"])')
    assert "pemblokir" in row.inner_text()
    assert tab.errors == []
    context.close()


def test_region_tables_and_the_tps_page_fit_a_cheap_phone_without_scrolling_sideways(
    browser: Browser, server: str, artifacts: Path
) -> None:
    """At 360 px a region's table of its children lays each child out in lines under its
    name, each figure labelled (it scrolled sideways in its box), and the TPS page's history
    is a list in words (its table scrolled too); a screen reader still reads a table, each
    figure under its column's header."""
    context = browser.new_context(base_url=server, viewport={"width": 360, "height": 640})
    tab = Tab.open(context)
    pages = ("/", "/wilayah/31", "/wilayah/3173", "/wilayah/317301", f"/wilayah/{DESA[:6]}")
    for path in (*pages, f"/tps/{DESA}001", "/tps/3101011001001"):
        tab.page.goto(path)
        boxes = tab.page.evaluate(
            "[...document.querySelectorAll('.scroll')].filter(e => e.scrollWidth > e.clientWidth)"
            ".map(e => [e.firstElementChild.className, e.scrollWidth, e.clientWidth])"
        )
        assert boxes == [], (path, boxes)
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 360, path
        tab.shoot(artifacts, "360" + path.replace("/", "-"))
    tab.page.goto("/wilayah/317301")
    tree = tab.page.locator("table.regions").aria_snapshot()
    assert '- columnheader "02' in tree and '- rowheader "KAPUK"' in tree, tree
    assert "Sah" not in tree.split('rowheader "KAPUK"')[1].split("- row ")[0]  # labels: for the eye
    assert tab.errors == []
    context.close()
