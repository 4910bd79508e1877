"""A counted TPS that the region tree does not list is in the votes of every region above it,
but never in the share of TPS counted: the Sirekap tree's ``persen`` and ``progres`` count
the listed TPS only (never past 100 % nor ``progres.total``), and rekap's JSON and the region
table say the others apart as ``counted_unlisted``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.data import region_tree
from rekap.domain.result import Provenance, SourceKind
from rekap.publish import bulk, paths
from rekap.publish.documents import region_files
from rekap.publish.records import SnapshotRequest, TpsRecord
from rekap.publish.snapshot import publish_snapshot
from rekap.publish.view import SnapshotView
from rekap.recount.run import recount
from rekap.tally.contribution import TpsState
from rekap.tally.stage import TpsStage
from tests.publish.conftest import (
    AT,
    BLOCKING,
    CONTEST,
    UNLISTED_CODES,
    make_records,
    request_for,
)
from tests.tally.trees import FORM, TPS_CODES

DESA = "3101011001"  # PULAU PANGGANG: the tree lists TPS 1 to 18
LISTED = 18
UNLISTED = 19
# TPS 1 is counted, TPS 2 held by a blocking finding, TPS 19 counted though not listed.
VOTES = {1: (100, 40, 7), 2: (90, 90, 90), UNLISTED: (20, 20, 8)}
ABOVE = ("", "31", "3101", "310101", DESA)


def _persen(counted: int, expected: int) -> float:
    return round(100.0 * counted / expected, 2) if expected else 0.0


def _record(nomor: int, votes: tuple[int, ...], held: bool) -> TpsRecord:
    values = {f"paslon_{i}": v for i, v in enumerate(votes, start=1)}
    sah = sum(votes)
    values.update(suara_sah=sah + (5 if held else 0), suara_tidak_sah=3, suara_total=sah + 3)
    kode = f"{DESA}{nomor:03d}"
    return TpsRecord(
        TpsState(kode, TpsStage.READ, held, values),
        "tps",
        (BLOCKING,) if held else (),
        Provenance(SourceKind.IMPORT, f"sirekap.csv:{nomor}"),
    )


@pytest.fixture
def pulau_panggang(tmp_path: Path, signer: SigningKey) -> Path:
    """Kepulauan Seribu published with the three results above."""
    records = [_record(n, votes, held=n == 2) for n, votes in VOTES.items()]
    request = SnapshotRequest(region_tree(), CONTEST, FORM, records, AT, ("3101",))
    store = DirectorySnapshotStore(tmp_path / "out")
    return Path(publish_snapshot(request, store, signer).location)


def _json(folder: Path, path: str) -> Any:
    return json.loads((folder / path).read_text(encoding="utf-8"))


@pytest.mark.parametrize("kode", ABOVE)
def test_a_counted_tps_the_tree_does_not_list_counts_in_the_votes_not_the_share(
    pulau_panggang: Path, kode: str
) -> None:
    sirekap = _json(pulau_panggang, paths.sirekap_hhcw("ppwp", kode))
    own = _json(pulau_panggang, paths.rekap_doc("ppwp", kode))
    coverage = own["coverage"]
    expected = coverage["tps_expected"]
    assert expected >= LISTED
    assert (coverage["counted"], coverage["counted_unlisted"]) == (2, 1)
    assert sirekap["progres"] == {"total": expected, "progres": 1}  # TPS 1 only, not 19
    assert sirekap["chart"]["persen"] == _persen(1, expected)
    assert sirekap["chart"]["100025"] == own["counted"]["paslon_1"] == 100 + 20  # TPS 1 and 19


def test_the_desa_says_its_unlisted_tps_apart_in_both_trees(pulau_panggang: Path) -> None:
    sirekap = _json(pulau_panggang, paths.sirekap_hhcw("ppwp", DESA))
    assert sirekap["chart"]["persen"] == 5.56  # 1 of 18, not 2 of 18
    table = sirekap["table"]
    unlisted, first = f"{DESA}{UNLISTED:03d}", f"{DESA}001"
    assert table[first]["persen"] == 100.0
    assert table[unlisted] == {
        "100025": 20,
        "100026": 20,
        "100027": 8,
        "psu": "Reguler",
        "persen": 0.0,
        "status_progress": True,
    }
    children = {
        c["kode"]: c for c in _json(pulau_panggang, paths.rekap_doc("ppwp", DESA))["children"]
    }
    assert children[unlisted]["coverage"]["tps_expected"] == 0
    assert children[unlisted]["coverage"]["counted_unlisted"] == 1
    assert children[first]["coverage"]["counted_unlisted"] == 0
    kecamatan = _json(pulau_panggang, paths.rekap_doc("ppwp", DESA[:6]))
    (row,) = [c for c in kecamatan["children"] if c["kode"] == DESA]
    assert row["coverage"]["counted_unlisted"] == 1


def test_the_region_table_counts_the_unlisted_tps_and_the_recount_agrees(
    pulau_panggang: Path,
) -> None:
    table = pq.read_table(pulau_panggang / paths.bulk_region("ppwp", "parquet")).to_pydict()
    unlisted = dict(zip(table["kode"], table["counted_unlisted"], strict=True))
    assert {k for k, n in unlisted.items() if n} == set(ABOVE)
    assert all(unlisted[k] == 1 for k in ABOVE)
    schema = _json(pulau_panggang, "data/schema.json")
    assert "counted_unlisted" in [c["name"] for c in schema["region"]]
    report = recount(pulau_panggang, workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert (report.nasional["counted"], report.nasional["counted_unlisted"]) == (2, 1)


def _sirekap_shares(document: Mapping[str, Any]) -> list[tuple[float, float]]:
    """``(persen, 100)`` and ``(progres, total)`` of a region, and each table row's
    ``(persen, 100)``: none may pass its bound."""
    progres = document["progres"]
    rows = [(row["persen"], 100.0) for row in document["table"].values()]
    return [(document["chart"]["persen"], 100.0), (progres["progres"], progres["total"]), *rows]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 1.0))
def test_every_region_says_its_unlisted_tps_and_never_counts_them_in_its_share(
    seed: int, share: float
) -> None:
    """The small tree with results of TPS it lists and of TPS it does not: every region's
    ``counted_unlisted`` is the sum of its children's and the count of its TPS rows that count
    and are not listed; its ``persen`` and ``progres`` count its other counted TPS."""
    records = make_records(seed, share, (*TPS_CODES, *UNLISTED_CODES))
    view = SnapshotView.build(request_for(records))
    _, data = bulk.tps_data(view)
    rows = list(zip(data["kode_tps"], data["counted"], data["expected"], strict=True))
    for kode in view.index.codes:
        documents = {path: json.loads(body) for path, body in region_files(view, kode)}
        sirekap = documents[paths.sirekap_hhcw("ppwp", kode)]
        own = documents[paths.rekap_doc("ppwp", kode)]
        coverage = own["coverage"]
        under = [(c, e) for k, c, e in rows if k.startswith(kode)]
        assert coverage["counted_unlisted"] == sum(c and not e for c, e in under)
        assert coverage["counted_unlisted"] == sum(
            child["coverage"]["counted_unlisted"] for child in own["children"]
        )
        listed = sum(c and e for c, e in under)
        assert sirekap["progres"] == {"total": coverage["tps_expected"], "progres": listed}
        assert sirekap["chart"]["persen"] == _persen(listed, coverage["tps_expected"])
        assert all(value <= bound for value, bound in _sirekap_shares(sirekap)), kode
    region_columns, region_data = bulk.region_data(view)
    assert "counted_unlisted" in [c.name for c in region_columns]
    by_kode = dict(zip(region_data["kode"], region_data["counted_unlisted"], strict=True))
    assert by_kode[""] == sum(c and not e for _, c, e in rows)
