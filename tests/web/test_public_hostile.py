"""The public portal as a hostile or careless visitor (or a journalist's scraper) uses it: odd
codes and queries, HEAD, unknown addresses, and data that carries markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rekap.domain.region_tree import Region, RegionTree, TpsRange
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.events.model import ValueChanged
from rekap.rules.finding import Finding, Severity
from rekap.sources.sirekap import ImportedTps
from tests.web.dataset import DESA
from tests.web.portal_store import portal_client, portal_store

PHOTOGRAPHED_TPS = f"{DESA}006"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_search_by_code_takes_any_decimal_digits_and_refuses_other_digits(
    client: TestClient,
) -> None:
    # Kharosthi digits pass str.isdigit but int() refuses them: this was a 500.
    for path in ("/cari?q=7471011007\U00010a40\U00010a40\U00010a40", "/cari.json?q=\U00010a40"):
        assert client.get(path).status_code == 200
    assert client.get("/cari.json?q=7471011007\U00010a40\U00010a41\U00010a42").json()["hits"] == []
    # Arabic-Indic and full-width digits are codes like ASCII ones.
    for digits in ("٣١", "３１"):
        hits = client.get("/cari.json", params={"q": digits}).json()["hits"]
        assert hits and hits[0]["kode"] == "31", digits
    # A TPS code in another script links to the TPS's one address, not to a 404.
    arabic = "".join(chr(0x660 + int(d)) for d in PHOTOGRAPHED_TPS)
    hits = client.get("/cari.json", params={"q": arabic}).json()["hits"]
    assert [h["url"] for h in hits] == [f"/tps/{PHOTOGRAPHED_TPS}"]


def test_a_tps_has_one_address(client: TestClient) -> None:
    """KodeWilayah.parse strips spaces and dots; the page then looked the TPS up under the raw
    text and showed a TPS that has photos and numbers as one without any (200, wrong data)."""
    real = client.get(f"/tps/{PHOTOGRAPHED_TPS}.json")
    assert real.status_code == 200 and real.json()["status"] != "none"
    k = PHOTOGRAPHED_TPS
    dotted = f"{k[:2]}.{k[2:4]}.{k[4:6]}.{k[6:10]}.{k[10:]}"
    for name in (dotted, f"{dotted}.json", f"%20{k}", f"{k}%0A", f"{k}%20.csv"):
        assert client.get(f"/tps/{name}").status_code == 404, name


def test_a_snapshot_name_too_long_for_the_file_system_is_not_found(client: TestClient) -> None:
    assert client.get("/data/snapshots/" + "a" * 300).status_code == 404
    assert client.get("/data/snapshots/x/" + "b" * 5000 + ".csv").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/wilayah/31",
        f"/wilayah/{DESA}.csv",
        f"/tps/{PHOTOGRAPHED_TPS}",
        f"/tps/{PHOTOGRAPHED_TPS}.json",
        "/cari?q=jakarta",
        "/anomali",
        "/data",
        "/api/v1/keys",
    ],
)
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == 200, head.text
    assert head.content == b""
    for name in ("content-type", "content-length", "cache-control", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_of_a_missing_page_is_404(client: TestClient) -> None:
    answer = client.head("/wilayah/99999999")
    assert answer.status_code == 404 and answer.content == b""


def test_a_refused_method_names_the_allowed_ones(client: TestClient) -> None:
    for headers in ({}, BROWSER):
        answer = client.post("/wilayah/31", headers=headers)
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET"


def test_a_browser_gets_html_error_pages_and_the_api_json(client: TestClient) -> None:
    cases = [
        ("/halaman-yang-tidak-ada", 404),
        ("/wilayah/", 404),
        ("/wilayah/31%2F..%2F..%2Fetc%2Fpasswd", 404),
        ("/cari?q=" + "a" * 101, 422),
        ("/anomali?wilayah=<script>", 422),
        ("/foto/0/kecil.jpg", 422),
    ]
    for path, status in cases:
        page = client.get(path, headers=BROWSER)
        assert page.status_code == status, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<script>" not in page.text and "Traceback" not in page.text
        data = client.get(path)
        assert data.status_code == status
        assert data.json()["error"]["code"] in ("not_found", "invalid_input")
    for path in ("/api/v1/tidak-ada", "/tidak-ada.json"):
        answer = client.get(path, headers=BROWSER)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_a_scraper_asking_for_what_is_not_there_gets_the_json_error(client: TestClient) -> None:
    """A code no region or TPS has, a photo or a snapshot file that is not there: a browser
    reads it in words, a script (no ``text/html`` in its ``Accept``) gets the JSON error shape
    as for an unknown address; it got the HTML page."""
    missing = [
        "/wilayah/99999999",
        f"/tps/{DESA}999",
        f"/wilayah/{DESA}/perubahan".replace(DESA, "9999999999"),
        "/anomali?wilayah=9999",
        "/foto/2147483647/kecil.jpg",
        "/data/snapshots/tidak-ada",
        "/static/tidak-ada.css",
    ]
    for path in missing:
        for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
            data = client.get(path, headers=accept)
            assert data.status_code == 404, (path, accept)
            assert data.json()["error"]["code"] == "not_found", (path, accept)
        page = client.get(path, headers=BROWSER)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html"), path


# --- Data that carries markup, written through the store ---------------------------------------

EVIL = "<script>alert(1)</script>\"'&"
EVIL_TPS = "3101011001001"


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A store whose region names, imported row, actor, reason and finding all carry markup,
    and whose imported photo addresses are a script URL and an attribute breaker."""
    root: Path = tmp_path_factory.mktemp("evil")
    tree = RegionTree.build(
        [
            Region(KodeWilayah("31"), f"P{EVIL}"),
            Region(KodeWilayah("3101"), f"K{EVIL}"),
            Region(KodeWilayah("310101"), f"C{EVIL}"),
            Region(KodeWilayah("3101011001"), f"D{EVIL}", tps_ranges=(TpsRange(1, 2),)),
        ]
    )
    store, context = portal_store(root, tree)
    at = datetime(2024, 2, 15, tzinfo=UTC)
    values = {"paslon_1": 10, "paslon_2": 20, "paslon_3": 0, "suara_sah": 30}
    values |= {"suara_tidak_sah": 1, "suara_total": 31}
    result = TpsResult(
        KodeWilayah(EVIL_TPS),
        "ppwp",
        values,
        source=Provenance(SourceKind.IMPORT, f"R{EVIL}"),
        photos=("javascript:alert(1)", 'https://example.org/"><script>y</script>'),
    )
    store.save_results(None, [ImportedTps(f"O{EVIL}", result, None)], context.log, at, f"A{EVIL}")
    with context.engine.begin() as connection:
        change = ValueChanged(EVIL_TPS, "ppwp", "paslon_3", 0, 0)
        context.log.append(connection, [change], at, f"B{EVIL}", f"W{EVIL}")
    finding = Finding("F-SUM-SAH", Severity.BLOCKING, ("suara_sah",), f"M{EVIL}", f"N{EVIL}")
    store.replace_findings("ppwp", [EVIL_TPS], {EVIL_TPS: [finding]})
    with portal_client(context, root) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/wilayah/31",
        "/wilayah/3101",
        "/wilayah/310101",
        "/wilayah/3101011001",
        f"/tps/{EVIL_TPS}",
        "/anomali",
        "/anomali?wilayah=3101011001",
        "/cari?q=script",
    ],
)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_markup_in_the_data_is_shown_as_text(evil_client: TestClient, path: str, lang: str) -> None:
    page = evil_client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    assert page.status_code == 200
    assert "<script>" not in page.text.replace('<script src="/static/', "")
    assert "javascript:" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "'&" not in page.text and '"&' not in page.text  # quotes and & escaped too


def test_an_imported_photo_address_is_linked_only_when_it_is_http(evil_client: TestClient) -> None:
    page = evil_client.get(f"/tps/{EVIL_TPS}").text
    assert 'href="https://example.org/&#34;&gt;&lt;script&gt;y&lt;/script&gt;"' in page
    assert 'href="javascript:' not in page
    # The data still says what was imported.
    document = evil_client.get(f"/tps/{EVIL_TPS}.json").json()
    assert "javascript:alert(1)" in document["external_photos"]
