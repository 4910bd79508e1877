"""In Chromium, as a screen reader and a volunteer checking a region use the portal: the
headings name the place, a link's name says where it goes, a table's columns are named, and
the way from the nation down to a TPS, its photo, its history and back joins up."""

from __future__ import annotations

import re

import pytest

from tests.web.browsing import Tab
from tests.web.dataset import DESA

pytestmark = pytest.mark.browser
PAGES = (
    "/",
    "/wilayah/31",
    f"/wilayah/{DESA}",
    f"/tps/{DESA}001",
    "/tps/3101011001001",
    "/anomali",
    "/nasional/perubahan",
    f"/wilayah/{DESA}/perubahan",
    "/cari?q=mandonga",
)


def _links(snapshot: str) -> dict[str, set[str]]:
    """Each link's accessible name with the addresses it leads to, from an ARIA snapshot."""
    found: dict[str, set[str]] = {}
    lines = snapshot.splitlines()
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        name = re.match(r"\s*- '?link \"(.*?)\"", line)
        url = re.match(r"\s*- /url: (.*)", following)
        if name and url:
            found.setdefault(name.group(1), set()).add(url.group(1))
    return found


def test_no_two_links_share_a_name_but_lead_apart(tab: Tab) -> None:
    """A screen reader lists a page's links by name: "JSON" beside "JSON" (the page's data and
    its change log), "MANDONGA" beside "MANDONGA" (a kecamatan and its desa) said nothing of
    where each goes."""
    for path in PAGES:
        tab.page.goto(path)
        links = _links(tab.page.locator("body").aria_snapshot())
        assert links, path
        shared = {name: urls for name, urls in links.items() if len(urls) > 1}
        assert shared == {}, (path, shared)
    assert tab.errors == []


def test_the_paslon_columns_are_named_by_their_paslon(tab: Tab) -> None:
    for path, table in (("/wilayah/31", "table.regions"), (f"/wilayah/{DESA}", "table.tps-list")):
        tab.page.goto(path)
        tree = tab.page.locator(table).aria_snapshot()
        assert '- columnheader "02 Prabowo – Gibran"' in tree, tree
    assert tab.errors == []


def test_a_tps_page_is_headed_by_its_number_and_its_desa(tab: Tab) -> None:
    """Reached from a search or a link, "TPS 001" alone named one of 823,000 TPS."""
    tab.page.goto(f"/tps/{DESA}001")
    heading = tab.page.get_by_role("heading", level=1)
    assert re.fullmatch(r"TPS\s+001 LABIBIA\s+" + DESA + "001", heading.inner_text().strip())
    levels = tab.page.evaluate(
        "[...document.querySelectorAll('main h1, main h2, main h3')].map(h => +h.tagName[1])"
    )
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert tab.errors == []


def test_a_volunteer_walks_from_the_nation_to_a_tps_photo_and_its_history_and_back(
    tab: Tab,
) -> None:
    page = tab.page
    page.goto("/")
    page.get_by_role("link", name="Semua perubahan", exact=True).click()
    page.wait_for_url("**/nasional/perubahan")
    page.go_back()
    page.get_by_role("link", name="Lihat anomali").click()
    page.wait_for_url("**/anomali")  # the nation's anomalies: no empty region in the address
    assert page.get_by_role("heading", level=1).inner_text() == "Anomali"
    page.goto(f"/wilayah/{DESA}")
    page.get_by_role("link", name="TPS 001", exact=True).click()
    page.wait_for_url(f"**/tps/{DESA}001")
    photo = page.get_by_role("link", name=re.compile(r"^Foto \d+: halaman 1$")).first
    address = photo.get_attribute("href") or ""
    answer = page.request.get(address)
    assert answer.ok and answer.headers["content-type"] == "image/jpeg"
    crop = page.get_by_role("link", name=re.compile(r"^Potongan foto: .*; buka foto utuh"))
    assert crop.first.get_attribute("href") == address  # the crops of page 1 open its photo
    page.get_by_role("link", name="Perubahan di desa LABIBIA").click()
    page.wait_for_url(f"**/wilayah/{DESA}/perubahan")
    page.get_by_role("link", name=re.compile(r"^TPS \d{3} LABIBIA$")).first.click()
    page.wait_for_url(re.compile(rf".*/tps/{DESA}\d{{3}}$"))
    page.get_by_role("navigation", name="Jejak wilayah").get_by_role("link", name="LABIBIA").click()
    page.wait_for_url(f"**/wilayah/{DESA}")
    assert tab.errors == []
