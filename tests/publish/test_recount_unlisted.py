"""The recount recomputes ``counted_unlisted`` (counted TPS the region tree does not list)
from the bulk data, and with it each ``persen`` and ``progres`` of the Sirekap tree (listed
counted TPS only): a snapshot signed with any of them wrong is named. A snapshot published
before ``counted_unlisted`` existed is recounted by the rule of its day."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rekap.adapters.keys import SigningKey
from rekap.recount import compare
from rekap.recount.aggregate import recompute
from rekap.recount.election_doc import publishes_unlisted, sirekap_ids, table_columns
from rekap.recount.layout import hhcw, rekap_doc
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.conftest import UNLISTED_CODES, Publisher, make_records
from tests.publish.test_recount import _fields, _reseal, _rewrite_parquet
from tests.tally.trees import TPS_CODES


def _persen(counted: int, expected: int) -> float:
    return round(100.0 * counted / expected, 2) if expected else 0.0


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    records = make_records(9, codes=(*TPS_CODES, *UNLISTED_CODES))
    return Path(publish_small(records).location)


def _unlisted_desa(snapshot: Path) -> tuple[str, str]:
    """A desa with a counted TPS the tree does not list, and that TPS."""
    for tps in UNLISTED_CODES:
        desa = json.loads((snapshot / rekap_doc("ppwp", tps[:10])).read_text())
        if any(c["kode"] == tps and c["coverage"]["counted_unlisted"] for c in desa["children"]):
            return tps[:10], tps
    raise AssertionError("no counted TPS the tree does not list")


def _changed(snapshot: Path, signer: SigningKey, path: str, change: Callable[[Any], None]) -> None:
    """A document changed by ``change`` and signed again (a publisher's bug, or a stolen key)."""
    document = json.loads((snapshot / path).read_text())
    change(document)
    (snapshot / path).write_text(json.dumps(document))
    _reseal(snapshot, signer, path)


def test_a_snapshot_with_unlisted_counted_tps_recounts_clean(snapshot: Path) -> None:
    report = recount(snapshot, workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert report.nasional["counted_unlisted"] > 0


TAMPERING = (
    "chart persen over every counted TPS",
    "progres over every counted TPS",
    "a child's persen over every counted TPS",
    "the unlisted TPS's row persen",
    "rekap counted_unlisted",
    "rekap child counted_unlisted",
)


@pytest.mark.parametrize("name", TAMPERING)
def test_a_signed_but_wrong_share_of_counted_tps_is_named(
    snapshot: Path, signer: SigningKey, name: str
) -> None:
    desa, tps = _unlisted_desa(snapshot)
    own = json.loads((snapshot / rekap_doc("ppwp", desa)).read_text())["coverage"]
    expected, counted = own["tps_expected"], own["counted"]
    path, wanted = hhcw("ppwp", desa), "persen"

    def change(document: dict[str, Any]) -> None:
        if name == "chart persen over every counted TPS":
            document["chart"]["persen"] = _persen(counted, expected)
        elif name == "progres over every counted TPS":
            document["progres"]["progres"] = counted
        elif name == "a child's persen over every counted TPS":
            document["table"][desa]["persen"] = _persen(counted, expected)
        elif name == "the unlisted TPS's row persen":
            document["table"][tps]["persen"] = 100.0
        elif name == "rekap counted_unlisted":
            document["coverage"]["counted_unlisted"] = 0
        else:
            (child,) = [c for c in document["children"] if c["kode"] == desa]
            child["coverage"]["counted_unlisted"] = 0

    if name == "progres over every counted TPS":
        wanted = "progres"
    elif name == "a child's persen over every counted TPS":
        path, wanted = hhcw("ppwp", desa[:6]), f"table {desa} persen"
    elif name == "the unlisted TPS's row persen":
        wanted = f"table {tps} persen 100.0 (recount 0.0)"
    elif name == "rekap counted_unlisted":
        path, wanted = rekap_doc("ppwp", desa), "counted_unlisted 0 (recount "
    elif name == "rekap child counted_unlisted":
        path, wanted = rekap_doc("ppwp", desa[:6]), f"child {desa}: counted_unlisted 0"
    _changed(snapshot, signer, path, change)
    problems = recount(snapshot, workers=1).problems
    assert {(p.kind, p.path) for p in problems} == {(Kind.MISMATCH, path)}
    assert any(wanted in p.detail for p in problems), [p.detail for p in problems]


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_signed_but_wrong_counted_unlisted_in_the_region_table_is_named(
    snapshot: Path, signer: SigningKey, bulk_only: bool
) -> None:
    desa, _ = _unlisted_desa(snapshot)
    changed = "data/region-ppwp.parquet"
    replaced = f"CASE WHEN kode = '{desa}' THEN 0 ELSE counted_unlisted END AS counted_unlisted"
    _rewrite_parquet(snapshot / changed, replaced)
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1, bulk_only=bulk_only).problems
    (table,) = [p for p in problems if p.path == changed]
    assert (table.kind, table.detail) == (
        Kind.MISMATCH,
        f"region {desa}: counted_unlisted 0 (recount 1)",
    )


def test_a_snapshot_without_counted_unlisted_is_recounted_by_its_own_rule(
    snapshot: Path,
) -> None:
    """Before ``counted_unlisted``, ``persen`` and ``progres`` counted every counted TPS (the
    region table had no such column): such a snapshot is held to that, not to today's rule."""
    schema = json.loads((snapshot / "data/schema.json").read_text())
    region = table_columns(schema, "region")
    assert publishes_unlisted(region)
    older = [c for c in region or [] if c["name"] != "counted_unlisted"]
    assert not publishes_unlisted(older)
    desa, _ = _unlisted_desa(snapshot)
    parquet, fields = snapshot / "data/tps-ppwp.parquet", _fields(snapshot)
    ids = sirekap_ids(json.loads((snapshot / "election.json").read_text()))
    document = json.loads((snapshot / hhcw("ppwp", desa)).read_text())
    today, then = recompute(parquet, fields), recompute(parquet, fields, unlisted=False)
    assert compare.hhcw_region(document, desa, today, ids) == []
    assert compare.hhcw_region(document, desa, then, ids)  # today's share is not that rule's
    own = json.loads((snapshot / rekap_doc("ppwp", desa)).read_text())
    counted, expected = own["coverage"]["counted"], own["coverage"]["tps_expected"]
    document["chart"]["persen"] = _persen(counted, expected)
    document["progres"]["progres"] = counted  # (a TPS's row reads as it always did)
    assert compare.hhcw_region(document, desa, then, ids) == []
    del own["coverage"]["counted_unlisted"]
    for child in own["children"]:
        del child["coverage"]["counted_unlisted"]
    assert compare.rekap_region(own, desa, then) == []
