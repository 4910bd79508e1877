"""The portal's pure helpers: words in both languages, numbers, names, charts, maps, search."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rekap.adapters.storage.verification_statistics import Standing
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.domain.result import TpsResult
from rekap.domain.wilayah import KodeWilayah
from rekap.rules.registry import ALL_RULES, check_tps
from rekap.services.photo_failures import FailureKind
from rekap.web.portal.anomalies import RULE_TITLES_ID
from rekap.web.portal.i18n import Words, clock, format_int, format_percent, when
from rekap.web.portal.paslon import (
    NO_DATA_COLOUR,
    PALETTE,
    Paslon,
    leader,
    paslon_of,
    shares,
    short_name,
)
from rekap.web.portal.queries import EntryRow
from rekap.web.portal.search import SearchIndex
from rekap.web.portal.svg_chart import bar_chart
from rekap.web.portal.svg_map import (
    HELD_COLOUR,
    PROVINSI_TILES,
    TIE_COLOUR,
    Tile,
    contrast,
    distinct_labels,
    provinsi_cartogram,
    tile_grid,
)
from rekap.web.portal.verifier_statistics import flagged_first, pages_of
from rekap.web.portal.words import WORDS
from rekap.web.portal.workspace import reasons_in_words

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "rekap" / "web" / "templates"
DYNAMIC = {
    "level_": ("0", "2", "4", "6", "10", "13"),
    "children_": ("0", "2", "4", "6", "10"),
    "role_": ("admin", "officer", "verifier", "adjudicator"),
    "severity_": ("blocking", "warning"),
    "source_": ("photo", "entry", "import"),
    "outcome_": ("open", "verified", "adjudication"),
    "photo_failed_": tuple(kind.value for kind in FailureKind),
    "photo_state_": (
        "received",
        "read",
        "checked",
        "accepted",
        "needs_verification",
        "failed",
        "verified",
        "published",
    ),
}


def test_every_text_a_template_uses_exists_in_both_languages() -> None:
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_0-9]+)'", template.read_text()))
    for prefix, suffixes in DYNAMIC.items():
        used.discard(prefix)
        used |= {prefix + s for s in suffixes}
    used |= {f"status_{s}" for s in ("none", "received", "incomplete", "counted", "held")}
    used |= {"status_needs_verification", "status_adjudication", "entry_missing"}
    used |= {"entry_invalid", "not_found", "forbidden", "refused", "title_nasional"}
    missing = sorted(used - set(WORDS))
    assert missing == []
    assert all(indonesian and english for indonesian, english in WORDS.values())


def test_every_rule_has_an_indonesian_title() -> None:
    assert {r.id for r in ALL_RULES} <= set(RULE_TITLES_ID)


def test_numbers_are_written_the_indonesian_or_english_way() -> None:
    assert format_int(96_214_691, "id") == "96.214.691"
    assert format_int(96_214_691, "en") == "96,214,691"
    assert format_int(None, "id") == "—"
    assert format_percent(0.5859, "id") == "58,59%"
    assert format_percent(0.5859, "en") == "58.59%"
    assert Words("en")("history_n", n=3) == "3 changes"
    with pytest.raises(KeyError):
        Words("id")("no-such-text")


def test_paslon_short_names_drop_titles() -> None:
    entries = election_2024().contest("ppwp").dapil[0].entries
    assert [short_name(e.nama) for e in entries] == [
        "Anies – Muhaimin",
        "Prabowo – Gibran",
        "Ganjar – Mahfud",
    ]


def test_shares_and_the_leader() -> None:
    paslon = paslon_of(election_2024().contest("ppwp").dapil[0].entries)
    items = shares(paslon, {"paslon_1": 10, "paslon_2": 30, "paslon_3": 10}, {})
    assert [s.share for s in items] == [0.2, 0.6, 0.2]
    top = leader(items)
    assert top is not None and top.nomor_urut == 2
    assert leader(shares(paslon, {"paslon_1": 5, "paslon_2": 5}, {})) is None  # a tie
    assert leader(shares(paslon, {}, {})) is None
    assert all(s.share is None for s in shares(paslon, {}, {}))


def test_chart_and_cartogram_are_self_contained_svg() -> None:
    paslon = paslon_of(election_2024().contest("ppwp").dapil[0].entries)
    chart = str(bar_chart(shares(paslon, {"paslon_1": 1}, {}), "Judul <x>", "id"))
    assert chart.startswith("<svg") and "Judul &lt;x&gt;" in chart and "100,00%" in chart
    tree = region_tree()
    provinsi = list(tree.children_of[""])
    assert set(provinsi) == set(PROVINSI_TILES)
    places = {(c, r) for c, r, _ in PROVINSI_TILES.values()}
    assert len(places) == len(PROVINSI_TILES)  # no two provinsi on one tile
    tiles = [Tile(k, tree.regions[k].nama, k, None, False, f"/wilayah/{k}", k) for k in provinsi]
    drawn = str(provinsi_cartogram(tiles, "Peta"))
    assert drawn.count("<rect") == len(provinsi)
    assert "http" not in drawn.replace("http://www.w3.org/2000/svg", "")


def test_every_tile_label_meets_the_contrast_for_small_text() -> None:
    assert round(contrast("#ffffff", "#000000"), 2) == 21.0
    tiles = [Tile("1", "A", "A", Paslon(1, "A", "A", c), True, "/", "A") for c in PALETTE]
    tiles.append(Tile("2", "B", "B", None, True, "/", "B"))  # a tie
    tiles.append(Tile("3", "C", "C", None, False, "/", "C"))  # no votes yet
    tiles.append(Tile("4", "D", "D", None, False, "/", "D", held=True))
    drawn = str(tile_grid(tiles, "Peta"))
    fills = re.findall(r'<rect [^>]*fill="(#[0-9A-Fa-f]{6})"', drawn)
    inks = re.findall(r'<text [^>]*fill="(#[0-9A-Fa-f]{6})"', drawn)
    assert set(fills) == {*PALETTE, TIE_COLOUR, NO_DATA_COLOUR, HELD_COLOUR}
    for fill, ink in zip(fills, inks, strict=True):
        assert contrast(fill, ink) >= 4.5, (fill, ink)


def test_the_tiles_of_one_map_never_share_a_label() -> None:
    tree = region_tree()
    banten = [tree.regions[k].nama for k in tree.children_of["36"]]
    assert distinct_labels(banten) == [
        "PANDEG",
        "LEBAK",
        "TANGER",
        "SERANG",
        "K.TANG",
        "CILEGO",
        "K.SERA",
        "TANG S",
    ]
    seribu = [tree.regions[k].nama for k in tree.children_of["3101"]]
    assert distinct_labels(seribu) == ["KEP SU", "KEP SS"]
    for parent, children in tree.children_of.items():
        if 2 <= len(parent) <= 6:  # every map below the nation
            labels = distinct_labels([tree.regions[k].nama for k in children])
            assert len(set(labels)) == len(labels), parent
            assert all(0 < len(label) <= 6 for label in labels), parent


def test_search_finds_places_by_words_and_codes() -> None:
    index = SearchIndex(region_tree())
    assert index.search("kota kendari")[0].kode == "7471"
    assert index.search("KENDARI")[0].kode == "7471"
    assert index.search("jawa barat")[0].kode == "32"
    assert [h.kode for h in index.search("74")][:2] == ["74", "7401"]
    assert index.search("7471011007001")[0].level.value == 13
    assert index.search("7471011007999") == []
    assert index.search("   ") == []
    assert index.search("zzzzqqq") == []


def test_search_finds_a_tps_by_its_number_and_its_desas_name() -> None:
    index = SearchIndex(region_tree())
    for query in ("TPS 3 labibia", "labibia 003", "tps 03 Labibia"):
        hits = index.search(query)
        assert [h.kode for h in hits] == ["7471011007003"], query
        assert hits[0].nama == "TPS 003"
        assert hits[0].parents[:2] == ("LABIBIA", "MANDONGA")
    # a desa whose whole name holds a number is still found by it, before any TPS
    assert index.search("ramunia 1")[0].kode == "1207322009"
    assert index.search("tps 1 ramunia")[0].kode == "1207322009001"
    # a TPS number the desa does not have: the desa, so one can look at its list
    assert [h.kode for h in index.search("tps 999 labibia")] == ["7471011007"]
    assert index.search("tps labibia")[0].kode == "7471011007"


def test_a_tps_by_number_and_name_reads_the_names_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desa's name is looked up once for the places and the TPS together (it was twice,
    and three times for a number the desa does not have)."""
    index = SearchIndex(region_tree())
    scans: list[list[str]] = []
    scan = index._scan
    monkeypatch.setattr(index, "_scan", lambda words: scans.append(words) or scan(words))
    for query in ("TPS 3 labibia", "tps 999 labibia", "ramunia 1"):
        scans.clear()
        assert index.search(query)
        assert scans == [[w for w in query.upper().split() if not w.isdecimal() and w != "TPS"]]


def test_a_tps_page_shows_the_forms_decision_beside_the_photos_own_reading() -> None:
    from rekap.domain.form import c_hasil_ppwp
    from rekap.web.portal.queries import PhotoRow
    from rekap.web.portal.tps_view import field_views

    form = c_hasil_ppwp(election_2024().contest("ppwp").dapil[0])
    own = {"fields": {"paslon_2": {"value": None, "status": "abstain", "confidence": 0.6}}}
    photos = [
        PhotoRow(7, "a" * 64, 2, "jpeg", 1, 1, "t", "t", "o", "accepted", "", own),
        PhotoRow(9, "b" * 64, 2, "jpeg", 1, 1, "t", "t", "o", "failed", "", None),
    ]
    decided = {
        "paslon_2": {
            "page": 2,
            "photo": 7,
            "value": 74,
            "status": "read",
            "confidence": 0.97,
            "reason": "sum of paslon votes = suara sah",
            "alone": {"value": None, "status": "abstain", "confidence": 0.6},
        }
    }
    views = {v.field.id: v for v in field_views(form, photos, {"paslon_2": 74}, [], False, decided)}
    shown = views["paslon_2"]
    assert (shown.machine, shown.machine_status, shown.confidence) == (74, "read", 0.97)
    assert (shown.alone, shown.alone_status, shown.photo_id) == (None, "abstain", 7)
    assert shown.crop_url == "/foto/7/paslon_2.jpg"
    # without a stored decision the photo's own reading is shown, as before
    alone = {v.field.id: v for v in field_views(form, photos, {}, [], False)}["paslon_2"]
    assert (alone.machine_status, alone.alone_status) == ("abstain", None)
    hidden = {v.field.id: v for v in field_views(form, photos, {}, [], True, decided)}["paslon_2"]
    assert (hidden.machine, hidden.machine_status, hidden.alone_status) == (None, None, None)


def test_the_counted_figure_is_not_called_published() -> None:
    # `published` is a stage of its own in the open data (verified numbers released); the
    # coverage card's `counted` is every TPS in the totals, machine-read or imported ones too
    indonesian, english = WORDS["cov_counted"]
    assert "publi" not in indonesian.lower() and "publi" not in english.lower()
    assert "total" in indonesian and "total" in english


def test_the_statistics_put_the_flagged_first_then_go_by_name() -> None:
    standings = [
        Standing("c1", "ani", 4, 4),  # too few entries to be flagged
        Standing("a9", "Wati", 5, 2),
        Standing("b2", "Budi", 10, 2),  # 20%: not above
        Standing("z0", "Agus", 9, 3),
        Standing("a1", "agus", 5, 5),  # the same name but for case: by account id
    ]
    ordered = [s.account_id for s in flagged_first(standings)]
    assert ordered == ["a1", "z0", "a9", "c1", "b2"]


def test_the_statistics_fill_whole_pages_and_show_one_when_empty() -> None:
    assert [pages_of(n, 100) for n in (0, 1, 100, 101, 20_000)] == [1, 1, 1, 2, 200]


def test_a_moment_is_told_on_the_clock_of_the_region() -> None:
    stamp = "2024-02-14T05:21:09.5+00:00"
    assert clock(stamp, "3171011001001", date=False) == "12:21 WIB"  # Jakarta
    assert clock(stamp, "7471011007001", date=False) == "13:21 WITA"  # Kendari
    assert clock(stamp, "9471011001001", date=False) == "14:21 WIT"  # Papua
    assert clock(stamp, "9900000000001", date=False) == "05:21 UTC"  # abroad: each its own clock
    # the pages' data carry UTC (``when``); what a person reads is the region's clock, the
    # nation's on WIB, and a time stored without its zone is UTC (SQLite keeps rekap's so)
    said = when(stamp)
    assert said == "2024-02-14 05:21:09 UTC"
    assert clock(said, "7471") == "2024-02-14 13:21:09 WITA"
    assert clock(said, "") == "2024-02-14 12:21:09 WIB"
    assert clock("2024-02-14 23:21:09", "94") == "2024-02-15 08:21:09 WIT"  # past midnight


def test_an_adjudicators_reasons_are_said_in_the_pages_language() -> None:
    election = election_2024()
    form = c_hasil_ppwp(election.contest("ppwp").dapil[0])
    numbers = {f.id: 0 for f in form.fields}
    numbers |= {"paslon_1": 10, "paslon_2": 20, "paslon_3": 30, "suara_sah": 61}
    agreed = [EntryRow(a, "verifier", numbers, 30.0, "") for a in ("a", "b")]
    kode = "7471011007001"
    stored = ["suara_sah: entries differ", "dpt_l: neither verifier could read it"]
    said = reasons_in_words(stored, agreed, form, election, kode, "ppwp", Words("en"))
    assert said == (
        f"{form.by_id['suara_sah'].label_en}: the two entries differ",
        f"{form.by_id['dpt_l'].label_en}: neither verifier could read it",
    )
    # a rule the agreed numbers break: its message over them, in Indonesian or English
    broken = [
        f
        for f in check_tps(TpsResult(KodeWilayah.parse(kode), "ppwp", numbers), form, election)
        if f.blocking
    ]
    assert broken
    rules = [f"{f.rule}: {', '.join(f.fields)}" for f in broken]
    assert reasons_in_words(rules, agreed, form, election, kode, "ppwp", Words("id")) == tuple(
        dict.fromkeys(f.message for f in broken)
    )
    # entries that differ give no agreed numbers to word a rule by: the stored text stands
    differing = [agreed[0], EntryRow("c", "verifier", numbers | {"paslon_1": 11}, 30.0, "")]
    assert reasons_in_words(rules[:1], differing, form, election, kode, "ppwp", Words("id")) == (
        rules[0],
    )
