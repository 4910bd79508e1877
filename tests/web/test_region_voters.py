"""A region's DPT, voters and turnout, summed over the TPS its totals count; and a counted TPS
that the region tree does not list, which is in the totals but never makes the share of TPS
counted pass 100%: it is said apart, as a finding."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rekap.data import region_tree
from rekap.domain.result import Provenance, SourceKind, TpsResult
from rekap.domain.wilayah import KodeWilayah, Level
from rekap.rules.finding import Finding, Severity
from rekap.sources.sirekap import ImportedTps
from rekap.tally.region_tally import Coverage
from rekap.web.portal.region_voters import RegionVoters, sum_voters, tps_voters
from rekap.web.portal.regions import RegionLine
from tests.web.portal_store import portal_client, portal_store

DESA = "3101011001"  # PULAU PANGGANG: the tree lists TPS 1 to 18
UNLISTED = 19
# TPS 1 and 2 are listed (TPS 2 held by a blocking finding); TPS 19 is counted, not listed.
NUMBERS = {
    1: {"dpt_j": 200, "pengguna_total_j": 150, "paslon_1": 100, "paslon_2": 40, "paslon_3": 7},
    2: {"dpt_j": 300, "pengguna_total_j": 290, "paslon_1": 90, "paslon_2": 90, "paslon_3": 90},
    UNLISTED: {"dpt_j": 100, "pengguna_total_j": 50, "paslon_1": 20, "paslon_2": 20, "paslon_3": 8},
}


def _values(numbers: dict[str, int]) -> dict[str, int]:
    sah = sum(v for k, v in numbers.items() if k.startswith("paslon_"))
    return {**numbers, "suara_sah": sah, "suara_tidak_sah": 3, "suara_total": sah + 3}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root: Path = tmp_path_factory.mktemp("voters")
    tree = region_tree()
    store, context = portal_store(root, tree)
    rows = [
        ImportedTps(
            f"row {n}",
            TpsResult(
                KodeWilayah(f"{DESA}{n:03d}"),
                "ppwp",
                _values(numbers),
                source=Provenance(SourceKind.IMPORT, f"row {n}"),
            ),
            None,
        )
        for n, numbers in NUMBERS.items()
    ]
    store.save_results(None, rows, context.log, datetime(2024, 2, 15, tzinfo=UTC), "import")
    held = Finding("F-SUM-SAH", Severity.BLOCKING, ("suara_sah",), "m", "m")
    store.replace_findings("ppwp", [f"{DESA}002"], {f"{DESA}002": [held]})
    with portal_client(context, root) as test_client:
        yield test_client


@pytest.mark.parametrize("kode", ["31", "3101", "310101", DESA])
def test_a_counted_tps_the_tree_does_not_list_is_said_apart(client: TestClient, kode: str) -> None:
    coverage = client.get(f"/wilayah/{kode}.json").json()["region"]["coverage"]
    assert coverage["counted"] == 2  # TPS 1 and TPS 19: both in the totals
    assert coverage["counted_unlisted"] == 1
    page = client.get(f"/wilayah/{kode}?lang=en").text
    assert "counted polling stations not in this region&#39;s list of polling stations: 1." in page


def test_the_share_of_tps_counted_counts_only_listed_tps() -> None:
    """A desa that lists one TPS and counts it and one it does not list: 100%, not 200%."""
    coverage = Coverage(1, 2, 2, 0, 0, 0, 2)
    line = RegionLine(
        DESA, "D", Level.DESA, coverage, (), None, {}, 0, {}, RegionVoters(unlisted=1)
    )
    assert (line.counted_listed, line.counted_share) == (1, 1.0)


def test_the_desa_page_shows_the_share_of_its_listed_tps(client: TestClient) -> None:
    page = client.get(f"/wilayah/{DESA}?lang=en").text
    assert "5.56% of polling stations counted" in page  # 1 of 18, not 2 of 18


def test_a_child_row_counts_its_listed_tps_and_says_the_others(client: TestClient) -> None:
    page = client.get("/wilayah/310101?lang=en").text
    row = page[page.index(f'<th scope="row"><a href="/wilayah/{DESA}"') :]
    row = row[: row.index("</tr>")]
    assert ">1/18<" in row and "+1 not listed" in row


def test_dpt_voters_and_turnout_sum_the_counted_tps(client: TestClient) -> None:
    """TPS 1 and 3 are counted; TPS 2 is held: its DPT is in no sum, as its votes are not."""
    for kode in ("31", DESA):
        voters = client.get(f"/wilayah/{kode}.json").json()["region"]["voters"]
        assert voters == {"dpt": 300, "pengguna_total": 200, "tps": 2, "turnout": 0.666667}
    page = client.get(f"/wilayah/{DESA}?lang=en").text
    assert "Turnout 66.67%: 200 voters of a DPT of 300" in page
    kabupaten = client.get("/wilayah/3101?lang=en").text
    assert "DPT 300 of 2 counted TPS" in kabupaten


@pytest.mark.parametrize("path", ["/", "/wilayah/31", "/wilayah/3101", f"/wilayah/{DESA}"])
def test_every_region_page_says_its_dpt_is_of_the_counted_tps(
    client: TestClient, path: str
) -> None:
    """A region's DPT is summed over its counted TPS only (a TPS's DPT is known from its own
    form): read as the whole region's, its turnout would look far too low. Each page says so
    where it shows the figures, in both languages, and so does its JSON."""
    english = client.get(f"{path}?lang=en").text
    assert (
        "Turnout 66.67%: 200 voters of a DPT of 300. This DPT and these voters are only those "
        "of the counted polling stations that give both (2): a polling station&#39;s DPT is "
        "known only from its own form." in english
    )
    indonesian = client.get(f"{path}?lang=id").text
    said = "Partisipasi 66,67%: 200 pemilih dari DPT 300. DPT dan pemilih ini hanya dari 2 TPS"
    assert said in indonesian
    if path != f"/wilayah/{DESA}":  # a desa's children are its TPS, each with its own DPT
        assert "DPT 300 of 2 counted TPS" in english and "DPT 300 dari 2 TPS dihitung" in indonesian
        assert "Each row&#39;s turnout and DPT are only those of its counted polling" in english
    document = client.get(f"{path.rstrip('/') or '/nasional'}.json").json()
    assert "counted TPS that give both dpt_j and pengguna_total_j" in document["notes"]["voters"]


def test_turnout_is_never_over_the_dpt_of_other_tps_than_its_voters() -> None:
    """A counted TPS that gives its DPT and not its voters (or the other way round) adds to
    neither sum: its DPT beside the others' voters would lower the turnout."""
    facts = {
        f"{DESA}001": tps_voters({"dpt_j": 200, "pengguna_total_j": 150}, True, True),
        f"{DESA}002": tps_voters({"dpt_j": 300}, True, True),
        f"{DESA}003": tps_voters({"pengguna_total_j": 90}, True, True),
        f"{DESA}004": tps_voters({"dpt_j": 250, "pengguna_total_j": 240}, False, True),
    }
    desa = sum_voters(facts, facts.__getitem__)[DESA]
    assert (desa.dpt, desa.voters, desa.tps, desa.turnout) == (200, 150, 1, 0.75)


def test_the_region_csv_has_dpt_and_turnout_for_regions_and_tps(client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get(f"/wilayah/{DESA[:6]}.csv").text)))
    desa = next(r for r in rows if r["kode"] == DESA)
    assert (desa["dpt"], desa["pengguna_total"], desa["turnout"]) == ("300", "200", "0.666667")
    assert desa["voters_tps"] == "2"  # the counted TPS that DPT and turnout are of
    assert desa["counted_unlisted"] == "1"
    tps = {
        r["kode"]: r for r in csv.DictReader(io.StringIO(client.get(f"/wilayah/{DESA}.csv").text))
    }
    assert (tps[f"{DESA}002"]["dpt"], tps[f"{DESA}002"]["turnout"]) == ("300", "0.966667")


def test_the_region_csv_names_a_tps_level_as_its_json_does(client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get(f"/wilayah/{DESA}.csv").text)))
    document = client.get(f"/wilayah/{DESA}.json").json()
    tps_levels = {r["level"] for r in rows if len(r["kode"]) == 13}
    assert tps_levels == {"TPS"}
    assert {r["level"] for r in rows if r["kode"] == DESA} == {document["region"]["level"]}
