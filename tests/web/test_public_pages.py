"""The public pages against the database: every figure adds up exactly as the stored tally."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from rekap.adapters.storage.schema import finding, tps_result
from rekap.adapters.storage.tally_store import TallyStore
from rekap.data import region_tree
from rekap.tally.index import RegionIndex
from rekap.tally.layout import TallyLayout
from rekap.tally.rebuild import rebuild
from rekap.web.portal.regions import region_page
from rekap.web.portal.svg_map import HELD_COLOUR
from tests.web.checks import counted_sums, held_tps
from tests.web.dataset import DESA, Dataset

JAKARTA_KECAMATAN = "310101"


def test_national_page_in_indonesian_then_english(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert "Perolehan suara" in page.text
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert "Presidential vote" in english.text
    assert "rekap_lang=en" in english.headers["set-cookie"]


def test_region_numbers_equal_the_database_and_the_stored_tally(
    client: TestClient, dataset: Dataset
) -> None:
    document = client.get("/wilayah/31.json").json()
    sums = counted_sums(dataset, "31")
    shown = {p["nomor_urut"]: p["votes"] for p in document["region"]["paslon"]}
    assert shown == {n: sums[f"paslon_{n}"] for n in (1, 2, 3)}
    assert document["region"]["totals"]["suara_sah"] == sums["suara_sah"]
    children = {c["kode"]: c for c in document["children"]}
    assert (
        sum(c["coverage"]["counted"] for c in children.values())
        == (document["region"]["coverage"]["counted"])
    )
    # The portal's live figures are exactly `rekap tally --rebuild`'s.
    layout = TallyLayout.of_form("ppwp", dataset.context.form)
    store = TallyStore(dataset.context.engine, layout)
    rebuilt = rebuild(RegionIndex.build(region_tree(), ["31"]), layout, store.states())
    stored = rebuilt.table.region("31")
    assert shown == {n: stored.counted[f"paslon_{n}"] for n in (1, 2, 3)}


def test_held_votes_stand_in_a_column_of_their_own_beside_the_counted(
    client: TestClient, dataset: Dataset
) -> None:
    held = counted_sums(dataset, "31", held=True)
    counted = counted_sums(dataset, "31")
    assert held["suara_sah"] > 0
    table = re.search(r'<table class="paslon">.*?</table>', client.get("/wilayah/31").text, re.S)
    assert table is not None
    assert '<th scope="col" class="n held">Ditahan (tidak dihitung)</th>' in table.group(0)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table.group(0), re.S)
    figures = [
        [int(n.replace(".", "")) for n in re.findall(r'<td class="n[^"]*">([\d.]+)</td>', r)]
        for r in rows
    ]
    paslon = [[counted[f"paslon_{n}"], held[f"paslon_{n}"]] for n in (1, 2, 3)]
    totals = [[counted[f], held[f]] for f in ("suara_sah", "suara_tidak_sah")]
    assert [[f[0], f[-1]] for f in figures] == paslon + totals
    document = client.get("/wilayah/31.json").json()["region"]
    assert document["held_totals"]["suara_sah"] == held["suara_sah"]


def test_region_csv_has_the_region_and_its_children(client: TestClient) -> None:
    answer = client.get(f"/wilayah/{JAKARTA_KECAMATAN}.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:3] == ["kode", "nama", "level"]
    assert rows[1][0] == JAKARTA_KECAMATAN
    assert all(r[0].startswith(JAKARTA_KECAMATAN) for r in rows[2:] if r)


def _mixed_desa(dataset: Dataset) -> str:
    """A desa of the imported sample with a counted TPS and a held one."""
    with dataset.context.engine.connect() as connection:
        blocked = {k for (k,) in connection.execute(select(finding.c.kode_tps))}
        results = [k for (k,) in connection.execute(select(tps_result.c.kode_tps))]
    for desa in sorted({k[:10] for k in results if k in blocked}):
        if any(k[:10] == desa and k not in blocked for k in results):
            return desa
    raise AssertionError("the sample has no desa with a counted and a held TPS")


def test_a_desa_csv_is_one_table_whose_tps_rows_add_up_to_the_desa(
    client: TestClient, dataset: Dataset
) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get(f"/wilayah/{DESA}.csv").text)))
    assert all(None not in row for row in rows)  # no row longer than the header
    assert [r["kode"] for r in rows[1:]] == [f"{DESA}{n:03d}" for n in range(1, 11)]
    assert {r["level"] for r in rows[1:]} == {"TPS"} and rows[1]["nama"] == "TPS 001"
    kode = _mixed_desa(dataset)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/wilayah/{kode}.csv").text)))
    desa, tps = rows[0], rows[1:]
    assert desa["kode"] == kode and desa["level"] != "tps"
    assert {"counted", "held"} <= {r["status"] for r in tps}
    for column in ("paslon_1", "paslon_2", "paslon_3", "suara_sah"):
        for status, prefix in (("counted", ""), ("held", "held_")):
            summed = sum(int(r[column] or 0) for r in tps if r["status"] == status)
            assert int(desa[prefix + column]) == summed, (status, column)
    assert int(desa["counted"]) == sum(r["status"] == "counted" for r in tps)


def test_desa_page_lists_every_tps_with_its_status(client: TestClient) -> None:
    page = client.get(f"/wilayah/{DESA}")
    assert page.status_code == 200
    for number in range(1, 11):
        assert f"/tps/{DESA}{number:03d}" in page.text
    assert "Menunggu verifikasi" in page.text
    document = client.get(f"/wilayah/{DESA}.json").json()
    assert len(document["tps"]) == 10


def test_tps_page_shows_crops_and_history(client: TestClient, dataset: Dataset) -> None:
    kode = f"{DESA}006"
    document = client.get(f"/tps/{kode}.json").json()
    assert {f["id"] for f in document["fields"]} == set(dataset.context.form.by_id)
    assert all(f["crop_url"] for f in document["fields"])
    kinds = [e["kind"] for e in document["history"]]
    assert {"photo.received", "photo.state_changed", "form.assessed"} <= set(kinds)
    crop = client.get(document["fields"][0]["crop_url"])
    assert crop.status_code == 200
    assert crop.headers["content-type"] == "image/jpeg"
    assert crop.content[:2] == b"\xff\xd8"
    assert "immutable" in crop.headers["cache-control"]
    thumbnail = client.get(f"/foto/{document['photos'][0]['id']}/kecil.jpg")
    assert thumbnail.status_code == 200


def test_times_read_on_the_clock_of_the_region_and_carry_utc_for_machines(
    client: TestClient,
) -> None:
    """A person in Kendari reads WITA on their TPS's and their region's pages, the nation's
    changes are on WIB, and every time keeps its UTC instant in ``<time datetime>`` and in
    the JSON."""
    kode = f"{DESA}006"
    document = client.get(f"/tps/{kode}.json").json()
    at = document["history"][0]["at"]
    assert at.endswith(" UTC")
    page = client.get(f"/tps/{kode}").text
    shown = re.findall(r'<time datetime="([^"]+)Z">([^<]+)</time>', page)
    assert shown and all(text.endswith(" WITA") for _, text in shown)
    instant, text = shown[0]
    assert (
        datetime.fromisoformat(f"{instant}+00:00")
        - datetime.fromisoformat(text.replace(" WITA", "+08:00"))
    ).total_seconds() == 0
    assert " UTC" not in page.split("<h1>", 1)[1]
    changes = client.get(f"/wilayah/{DESA}/perubahan").text
    assert re.search(r'<time datetime="[^"]+Z">[^<]+ WITA</time>', changes)
    nation = client.get("/nasional/perubahan").text
    assert re.search(r'<time datetime="[^"]+Z">[^<]+ WIB</time>', nation)


def test_one_change_of_a_number_is_one_change_in_english(client: TestClient) -> None:
    kode = "3101011001001"  # imported: each number changed once, by the import
    page = client.get(f"/tps/{kode}", params={"lang": "en"}).text
    assert "<summary>1 change</summary>" in page
    assert "1 changes" not in page
    indonesian = client.get(f"/tps/{kode}", params={"lang": "id"}).text
    assert "<summary>1 perubahan</summary>" in indonesian


def test_each_history_row_links_its_signed_change_log_record(client: TestClient) -> None:
    kode = f"{DESA}006"
    sequences = [e["sequence"] for e in client.get(f"/tps/{kode}.json").json()["history"]]
    assert sequences
    page = client.get(f"/tps/{kode}").text
    for sequence in sequences:
        link = f'<a href="/api/v1/log?after={sequence - 1}&amp;limit=1"'
        assert link in page, sequence
    record = client.get("/api/v1/log", params={"after": sequences[0] - 1, "limit": 1}).json()
    assert record["events"][0]["sequence"] == sequences[0]


def test_imported_tps_shows_its_values_findings_and_import_event(
    client: TestClient, dataset: Dataset
) -> None:
    with dataset.context.engine.connect() as connection:
        kode, fields = connection.execute(
            select(tps_result.c.kode_tps, tps_result.c.fields)
            .join(finding, finding.c.kode_tps == tps_result.c.kode_tps)
            .where(finding.c.rule == "F-SUM-SAH")
            .limit(1)
        ).one()
    document = client.get(f"/tps/{kode}.json").json()
    values = {f["id"]: f["value"] for f in document["fields"] if f["value"] is not None}
    assert values == {k: int(v) for k, v in fields.items()}
    assert "F-SUM-SAH" in {f["rule"] for f in document["findings"]}
    assert document["history"][0]["kind"] == "result.imported"
    html = client.get(f"/tps/{kode}").text
    assert "F-SUM-SAH" in html
    assert 'rel="noopener noreferrer"' in html  # Sirekap's photos are links, never loaded


def test_anomaly_page_lists_tps_by_rule(client: TestClient, dataset: Dataset) -> None:
    with dataset.context.engine.connect() as connection:
        expected = {
            k
            for (k,) in connection.execute(
                select(finding.c.kode_tps).where(finding.c.rule == "F-SUM-SAH")
            )
        }
    document = client.get("/anomali.json?aturan=F-SUM-SAH").json()
    (group,) = document["rules"]
    assert {t["kode_tps"] for t in group["tps"]} == expected
    page = client.get("/anomali")
    assert page.status_code == 200
    assert "F-SUM-SAH" in page.text and "W-TPS-300" in page.text
    scoped = client.get("/anomali.json?wilayah=3101").json()
    assert all(t["kode_tps"].startswith("3101") for r in scoped["rules"] for t in r["tps"])
    per_gender = client.get("/anomali.json?aturan=F-GENDER-SUM").json()["rules"][0]["tps"]
    assert len({t["kode_tps"] for t in per_gender}) == len(per_gender)  # each TPS once


def test_search_by_name_and_by_code(client: TestClient) -> None:
    hits = client.get("/cari.json", params={"q": "kendari"}).json()["hits"]
    assert hits[0]["kode"] == "7471"  # KOTA KENDARI before the kecamatan KENDARI
    labibia = client.get("/cari.json", params={"q": "labibia"}).json()["hits"]
    assert labibia[0]["kode"] == DESA
    assert labibia[0]["url"] == f"/wilayah/{DESA}"
    by_code = client.get("/cari.json", params={"q": f"{DESA}001"}).json()["hits"]
    assert by_code[0]["url"] == f"/tps/{DESA}001"
    page = client.get("/cari", params={"q": "labibia"})
    assert f'href="/wilayah/{DESA}"' in page.text


def test_a_voter_finds_their_tps_by_number_and_desa_name(client: TestClient) -> None:
    hits = client.get("/cari.json", params={"q": "TPS 3 labibia"}).json()["hits"]
    assert hits[0]["url"] == f"/tps/{DESA}003"
    page = client.get("/cari", params={"q": "labibia 3"})
    assert f'<a href="/tps/{DESA}003">TPS 003 <small>' in page.text


def test_unknown_places_are_html_404_for_a_browser(client: TestClient) -> None:
    for path in ("/wilayah/0000", "/wilayah/12x", "/tps/7471011007999", "/foto/999999/kecil.jpg"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")


def test_an_unknown_code_is_explained_in_words_with_a_way_back_up(client: TestClient) -> None:
    browser = {"Accept": "text/html"}
    page = client.get("/wilayah/3603012001", headers=browser)  # no such desa in BALARAJA
    assert page.status_code == 404
    assert "<title>Tidak ditemukan · rekap</title>" in page.text
    assert "Tidak ada wilayah dengan kode 3603012001." in page.text
    assert '<a href="/wilayah/360301">Kembali ke BALARAJA</a>' in page.text
    tps = client.get(f"/tps/{DESA}999", params={"lang": "en"}, headers=browser)
    assert tps.status_code == 404
    assert f"No polling station has the code {DESA}999." in tps.text
    assert f'<a href="/wilayah/{DESA}">Back to LABIBIA</a>' in tps.text
    assert 'href="/cari"' in tps.text


def test_an_unknown_code_asked_for_as_data_is_a_json_404(client: TestClient) -> None:
    for path in ("/wilayah/0000.json", "/wilayah/3603012001.csv", f"/tps/{DESA}999.json"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "not_found", path


def test_pages_are_cached_with_an_etag_and_gzipped(client: TestClient) -> None:
    first = client.get("/wilayah/7471", headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    again = client.get("/wilayah/7471", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    css = re.search(r'href="(/static/portal\.css\?v=[0-9a-f]+)"', first.text)
    assert css is not None
    assert "immutable" in client.get(css.group(1)).headers["cache-control"]


def test_a_page_is_not_sent_again_to_a_browser_that_has_it_behind_a_proxy(
    client: TestClient,
) -> None:
    etag = client.get(f"/wilayah/{DESA}").headers["etag"]
    for sent in (f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(f"/wilayah/{DESA}", headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b""
        assert again.headers["cache-control"] == "no-cache"
        assert again.headers["vary"] == "Accept-Encoding, Cookie"
    other = client.get(f"/wilayah/{DESA}", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


def test_pages_load_nothing_from_elsewhere(client: TestClient) -> None:
    for path in ("/", "/wilayah/31", f"/wilayah/{DESA}", f"/tps/{DESA}001", "/anomali", "/data"):
        html = client.get(path).text
        for attribute in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert not attribute.startswith(("http:", "https:", "//")), (path, attribute)
        assert "default-src 'self'" in client.get(path).headers["content-security-policy"]


def test_open_data_page_explains_the_recount(client: TestClient) -> None:
    page = client.get("/data")
    assert "rekap recount" in page.text
    assert "F-SUM-SAH" in page.text


def test_a_held_tps_is_not_coloured_as_a_paslon_win_on_the_desa_map(
    client: TestClient, dataset: Dataset
) -> None:
    kode = held_tps(dataset)
    page = client.get(f"/wilayah/{kode[:10]}").text
    drawn = rf'<a href="/tps/{kode}"><title>([^<]*)</title><rect [^>]*fill="([^"]+)"'
    tile = re.search(drawn, page)
    assert tile is not None
    note, fill = tile.groups()
    assert fill == HELD_COLOUR
    assert note == f"TPS {kode[10:]}: Ditahan (temuan)"
    assert 'class="held"' in page  # the legend says what the colour means


def test_a_held_tps_row_marks_no_paslon_as_its_leader(
    client: TestClient, app: FastAPI, dataset: Dataset
) -> None:
    """The row knows it is held: its numbers count nowhere, so the desa's table does not set
    a paslon's figure in bold as the winner there (the map's tile is drawn apart already)."""
    kode = held_tps(dataset)
    page = client.get(f"/wilayah/{kode[:10]}").text
    row = page[page.index(f'<tr><th scope="row"><a href="/tps/{kode}"') :]
    row = row[: row.index("</tr>")]
    assert "status_held" in row and " lead" not in row
    portal = app.state.portal
    desa = region_page(portal.context.tree, portal.live(), portal.paslon, kode[:10])
    held = next(t for t in desa.tps if t.kode == kode)
    assert held.held and held.leader is None and not held.has_votes


def test_the_anomaly_list_names_each_tps_by_number_and_desa(
    client: TestClient, dataset: Dataset
) -> None:
    kode = held_tps(dataset)
    desa = region_tree().regions[kode[:10]].nama
    page = client.get("/anomali", params={"wilayah": kode[:6]}).text
    assert (
        f'<a href="/tps/{kode}">TPS {kode[10:]} {desa}</a> <span class="kode">{kode}</span>' in page
    )


def test_a_tps_rows_findings_are_counted_in_words_not_colour_alone(
    client: TestClient, dataset: Dataset
) -> None:
    kode = held_tps(dataset)
    line = next(
        t for t in client.get(f"/wilayah/{kode[:10]}.json").json()["tps"] if t["kode_tps"] == kode
    )
    row = re.search(
        rf'<th scope="row"><a href="/tps/{kode}".*?</tr>',
        client.get(f"/wilayah/{kode[:10]}").text,
        re.S,
    )
    assert row is not None
    assert f"{line['blocking_findings']} pemblokir" in row.group(0)
    if line["warnings"]:
        assert f"{line['warnings']} peringatan" in row.group(0)


def test_a_form_entered_blind_shows_no_findings_of_its_machine_reading_in_the_desa_list(
    client: TestClient,
) -> None:
    lines = client.get(f"/wilayah/{DESA}.json").json()["tps"]
    waiting = [t for t in lines if t["status"] in ("needs_verification", "adjudication")]
    assert waiting
    for line in waiting:  # as on its TPS page and in the anomaly list
        assert (line["blocking_findings"], line["warnings"]) == (0, 0), line["kode_tps"]
        assert client.get(f"/tps/{line['kode_tps']}.json").json()["findings"] == []
    page = client.get(f"/wilayah/{DESA}").text
    for line in waiting:
        row = re.search(rf'<th scope="row"><a href="/tps/{line["kode_tps"]}".*?</tr>', page, re.S)
        assert row is not None and "pemblokir" not in row.group(0)


def test_the_coverage_says_how_many_tps_wait_for_verifiers(client: TestClient) -> None:
    """Read = counted + held + waiting: forms the reader sent to people are not lost between
    'read' and 'counted'."""
    document = client.get(f"/wilayah/{DESA}.json").json()
    waiting = sum(t["status"] in ("needs_verification", "adjudication") for t in document["tps"])
    assert waiting > 0
    coverage = document["region"]["coverage"]
    assert coverage["waiting"] == waiting
    assert coverage["read"] == coverage["counted"] + coverage["blocking"] + waiting
    page = client.get(f"/wilayah/{DESA}").text
    shown = re.search(r"<dt>Menunggu verifikasi</dt><dd>(\d+)</dd>", page)
    assert shown is not None and int(shown.group(1)) == waiting


def test_each_child_row_says_how_many_tps_are_held(client: TestClient) -> None:
    children = client.get("/wilayah/31.json").json()["children"]
    held = {c["kode"]: c["coverage"]["blocking"] for c in children}
    assert any(held.values())
    page = client.get("/wilayah/31").text
    for kode, count in held.items():
        row = re.search(rf'<th scope="row"><a href="/wilayah/{kode}">.*?</tr>', page, re.S)
        assert row is not None, kode
        assert (f"{count} ditahan" in row.group(0)) == bool(count), kode


def title_of(client: TestClient, path: str) -> str:
    found = re.search(r"<title>([^<]*)</title>", client.get(path).text)
    assert found is not None, path
    return found.group(1)


def test_every_page_has_a_title_in_words_that_tells_namesakes_apart(client: TestClient) -> None:
    titles = {
        "/wilayah/74": "Provinsi SULAWESI TENGGARA · rekap",
        "/wilayah/7471": "Kabupaten/Kota KOTA KENDARI, SULAWESI TENGGARA · rekap",
        f"/wilayah/{DESA[:6]}": "Kecamatan MANDONGA, KOTA KENDARI · rekap",
        f"/wilayah/{DESA}": "Desa/Kelurahan LABIBIA, MANDONGA · rekap",
        f"/tps/{DESA}001": "TPS 001 LABIBIA, MANDONGA · rekap",
        "/anomali?wilayah=74": "Anomali SULAWESI TENGGARA · rekap",
        "/data": "Data terbuka · rekap",
        "/cari": "Cari wilayah · rekap",
        "/masuk": "Masuk petugas · rekap",
        "/data?lang=en": "Open data · rekap",
    }
    assert {path: title_of(client, path) for path in titles} == titles


def test_a_maps_tiles_are_labelled_apart(client: TestClient) -> None:
    for kode in ("36", "3101"):  # Kabupaten and Kota Tangerang; Kepulauan Seribu Utara, Selatan
        svg = re.search(r'<svg class="map".*?</svg>', client.get(f"/wilayah/{kode}").text, re.S)
        assert svg is not None
        labels = re.findall(r"<text [^>]*>([^<]*)</text>", svg.group(0))
        assert len(labels) > 1 and len(set(labels)) == len(labels), labels


def test_the_log_of_a_region_is_what_changed_there_in_order(client: TestClient) -> None:
    everything: list[dict[str, object]] = []
    after = 0
    while True:
        page = client.get("/api/v1/log", params={"after": after, "limit": 1000}).json()
        everything += page["events"]
        if page["next"] is None:
            break
        after = page["next"]

    def about(event: dict[str, object], region: str) -> bool:
        """The TPS an event is about, or the TPS or region an account was enrolled for."""
        payload = event["payload"]
        assert isinstance(payload, dict)
        named = payload.get("kode_tps") or payload.get("scope") or ""
        return str(named).startswith(region)

    for region in (DESA, DESA[:6], "31"):
        expected = [e["sequence"] for e in everything if about(e, region)]
        assert expected, region
        found: list[object] = []
        after = 0
        while True:
            params = {"wilayah": region, "after": after, "limit": 7}
            page = client.get("/api/v1/log", params=params).json()
            found += [e["sequence"] for e in page["events"]]
            if page["next"] is None:
                break
            after = page["next"]
        assert found == expected, region
    assert client.get("/api/v1/log", params={"wilayah": "7"}).status_code == 422
    assert f'href="/api/v1/log?wilayah={DESA}"' in client.get(f"/wilayah/{DESA}").text
