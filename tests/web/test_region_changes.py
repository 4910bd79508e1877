"""A region's changes as a page: every change-log event about its TPS, newest first, in words,
paged, each with its log position and hash; linked from the region's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from rekap.data import election_2024
from rekap.domain.form import c_hasil_ppwp
from rekap.events.chain import Recorded
from rekap.events.model import EVENT_TYPES
from rekap.web.portal.region_log import DESCRIBE, Say, describe, log_page
from tests.web.dataset import DESA


def _sequences(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li id="e(\d+)">', html)]


def _log_of(client: TestClient, region: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    after = 0
    while True:
        wanted = {"wilayah": region} if region else {}
        page = client.get("/api/v1/log", params={**wanted, "after": after, "limit": 1000})
        events += page.json()["events"]
        if page.json()["next"] is None:
            return events
        after = page.json()["next"]


def test_the_region_page_links_its_changes_page(client: TestClient) -> None:
    page = client.get(f"/wilayah/{DESA}").text
    assert f'href="/wilayah/{DESA}/perubahan"' in page


def test_the_changes_page_pages_the_regions_log_newest_first(client: TestClient) -> None:
    expected = [int(str(e["sequence"])) for e in reversed(_log_of(client, DESA[:6]))]
    assert len(expected) > 50
    shown: list[int] = []
    address = f"/wilayah/{DESA[:6]}/perubahan"
    while address:
        page = client.get(address)
        assert page.status_code == 200
        shown += _sequences(page.text)
        older = re.search(r'href="(/wilayah/\d+/perubahan\?sebelum=\d+)"', page.text)
        address = older.group(1) if older else ""
    assert shown == expected


def _walk_older(client: TestClient, address: str) -> list[int]:
    """Every log position shown, following "older changes" from ``address`` to the end."""
    shown: list[int] = []
    while address:
        page = client.get(address)
        assert page.status_code == 200
        shown += _sequences(page.text)
        older = re.search(r'rel="next" href="([^"]+)"', page.text)
        address = older.group(1) if older else ""
    return shown


def test_the_national_page_links_the_nations_changes(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/nasional/perubahan"' in page


def test_nasional_alone_is_the_national_page(client: TestClient) -> None:
    """Beside /nasional.json and /nasional/perubahan, a trimmed /nasional was a 404."""
    moved = client.get("/nasional", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/"
    assert client.get("/nasional").text == client.get("/").text


def test_the_nations_changes_page_the_whole_log_newest_first(client: TestClient) -> None:
    """Every record of the log, also those about no TPS (an enrolment, a device)."""
    expected = [int(str(e["sequence"])) for e in reversed(_log_of(client, ""))]
    assert len(expected) > 100
    assert _walk_older(client, "/nasional/perubahan") == expected
    page = client.get("/nasional/perubahan?lang=en").text
    assert "Every change" in page and 'href="/api/v1/log"' in page


def test_every_kind_of_event_is_said_in_words() -> None:
    assert set(EVENT_TYPES) <= set(DESCRIBE)
    form = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
    record = Recorded(
        3,
        "page.read",
        datetime(2024, 2, 15, 3, 4, 5, tzinfo=UTC),
        "reader",
        "photo 9",
        {"sha256": "cd" * 32, "page": 2, "values": {"paslon_1": 9}, "abstained": ["paslon_2"]},
        "0" * 64,
        "ab" * 32,
    )
    assert describe(record, Say(form, "en")) == (
        f"Photo of page 2 read by the machine (sha256 {'cd' * 8}…): numbers read 1, abstained 1"
    )


def test_each_change_says_which_tps_what_who_and_its_hash(client: TestClient) -> None:
    events = _log_of(client, DESA)
    page = client.get(f"/wilayah/{DESA}/perubahan?lang=en").text
    # the newest change about a TPS on the first page (other tests of the module's world
    # enrol verifiers for the desa meanwhile: an enrolment names no TPS)
    newest = next(e for e in reversed(events[-50:]) if "kode_tps" in e["payload"])
    item = page[page.index(f'<li id="e{newest["sequence"]}">') :]
    item = item[: item.index("</li>")]
    assert str(newest["hash"])[:16] in item
    assert f"/api/v1/log?after={int(str(newest['sequence'])) - 1}&amp;limit=1" in item
    payload = newest["payload"]
    assert isinstance(payload, dict)
    assert f'href="/tps/{payload["kode_tps"]}"' in item and "LABIBIA" in item
    for event in events[-50:]:  # the first page: every event there is said in words
        item = page[page.index(f'<li id="e{event["sequence"]}">') :]
        item = item[: item.index("</li>")]
        assert f"{event['kind']}:" not in item, item  # not the bare payload


def test_numbers_imported_are_said_in_words_on_their_desas_page(
    client: TestClient,
) -> None:
    imported = next(e for e in _log_of(client, "31") if e["kind"] == "result.imported")
    payload = imported["payload"]
    assert isinstance(payload, dict)
    desa = str(payload["kode_tps"])[:10]
    page = client.get(f"/wilayah/{desa}/perubahan").text
    assert "angka diimpor dari" in page


def test_an_unknown_region_or_a_bad_position_is_refused(client: TestClient) -> None:
    assert client.get("/wilayah/9999/perubahan").status_code == 404
    assert client.get("/wilayah/31/perubahan?sebelum=0").status_code == 422
    assert client.get("/wilayah/31/perubahan?sebelum=x").status_code == 422


def test_a_changed_number_is_said_by_its_label_from_what_to_what() -> None:
    record = Recorded(
        7,
        "result.value_changed",
        datetime(2024, 2, 15, 3, 4, 5, tzinfo=UTC),
        "acc-1",
        "koreksi C.Hasil",
        {
            "kode_tps": f"{DESA}003",
            "contest": "ppwp",
            "field": "paslon_2",
            "before": 1200,
            "after": 120,
        },
        "0" * 64,
        "ab" * 32,
    )
    form = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
    names = {"acc-1": ("Siti", "adjudicator")}
    (line,) = log_page(DESA, [record], names, {DESA: "LABIBIA"}, Say(form, "id"), True).lines
    label = form.by_id["paslon_2"].label_id
    assert line.what == f"{label}: diubah dari 1.200 menjadi 120"
    assert (line.place, line.actor_name, line.reason) == (
        "TPS 003 LABIBIA",
        "Siti",
        "koreksi C.Hasil",
    )
    assert line.short_hash == "ab" * 8


def test_an_imports_change_of_source_and_of_photos_is_said() -> None:
    form = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])

    def record(kind: str, payload: dict[str, object]) -> Recorded:
        at = datetime(2024, 3, 17, tzinfo=UTC)
        return Recorded(7, kind, at, "import", "", payload, "0" * 64, "ab" * 32)

    sources = {"kode_tps": "x", "before": "a.csv:1", "after": "b.csv:2"}
    assert describe(record("result.source_changed", sources), Say(form, "en")) == (
        "Source of the numbers: a.csv:1 became b.csv:2"
    )
    photos = {"kode_tps": "x", "source": "b.csv:2", "before": [None, "u"], "after": ["u", "v", "w"]}
    assert describe(record("result.photos_changed", photos), Say(form, "id")) == (
        "Foto dari b.csv:2: 1 menjadi 3 halaman"
    )


def test_a_number_marked_unreadable_is_named_in_the_words_of_its_entry() -> None:
    form = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
    at = datetime(2024, 2, 15, tzinfo=UTC)
    entry = {"task_id": 4, "role": "verifier", "entry_sha256": "ef" * 32}
    marked = Recorded(
        9,
        "verification.entered",
        at,
        "v",
        "",
        {**entry, "unreadable": ["paslon_2"]},
        "0" * 64,
        "ab" * 32,
    )
    plain = Recorded(9, "verification.entered", at, "v", "", entry, "0" * 64, "ab" * 32)
    say = Say(form, "en")
    assert describe(marked, say) == describe(plain, say) + "; could not be read: " + say.fields(
        ["paslon_2"]
    )
    assert "paslon" not in describe(plain, say)
