"""The recount recomputes ``verified_by_people`` (the TPS whose numbers people entered) from
the bulk data's ``source_kind``: a snapshot signed with it wrong, in the region table or in a
region document, is named. A snapshot published before the figure existed is still
recounted, and the report says the figure was not published."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from rekap.adapters.keys import SigningKey
from rekap.publish.manifest import signature_file
from rekap.recount.layout import rekap_doc
from rekap.recount.problems import Kind
from rekap.recount.run import NOT_BY_PEOPLE_NOTE, recount
from tests.publish.conftest import Publisher, make_records
from tests.publish.test_recount import _reseal, _rewrite_parquet

FIGURE = "verified_by_people"


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    return Path(publish_small(make_records(9, entered=True)).location)


def _entered(snapshot: Path, prefix: str = "") -> int:
    """TPS rows with numbers that people entered, counted here without the recount's code."""
    connection = duckdb.connect()
    try:
        (count,) = connection.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE has_result AND source_kind = 'entry' "
            "AND starts_with(kode_tps, ?)",
            [str(snapshot / "data/tps-ppwp.parquet"), prefix],
        ).fetchone()  # type: ignore[misc]
    finally:
        connection.close()
    return int(count)


def test_a_fresh_snapshot_publishes_and_recounts_the_figure(snapshot: Path) -> None:
    report = recount(snapshot, workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert NOT_BY_PEOPLE_NOTE not in report.notes
    entered = _entered(snapshot)
    assert 0 < entered < report.nasional["verified"]
    assert report.nasional[FIGURE] == entered
    nation = json.loads((snapshot / rekap_doc("ppwp", "")).read_text())
    assert nation["coverage"][FIGURE] == entered
    for child in nation["children"]:
        assert child["coverage"][FIGURE] == _entered(snapshot, child["kode"])


def test_a_signed_but_wrong_figure_in_the_region_table_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    changed = "data/region-ppwp.parquet"
    replaced = f"CASE WHEN kode = '11' THEN {FIGURE} + 1 ELSE {FIGURE} END AS {FIGURE}"
    _rewrite_parquet(snapshot / changed, replaced)
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1).problems
    (table,) = [p for p in problems if p.path == changed]
    wanted = _entered(snapshot, "11")
    assert (table.kind, table.detail) == (
        Kind.MISMATCH,
        f"region 11: {FIGURE} {wanted + 1} (recount {wanted})",
    )


def test_a_signed_but_wrong_figure_in_a_region_document_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    changed = rekap_doc("ppwp", "11")
    document = json.loads((snapshot / changed).read_text())
    document["coverage"][FIGURE] += 2
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path) for p in problems] == [(Kind.MISMATCH, changed)]
    assert FIGURE in problems[0].detail


def _reseal_all(folder: Path, signer: SigningKey, changed: list[str]) -> None:
    """Re-hash many changed files and sign once, as the publisher of that day would have."""
    index = folder / "SHA256SUMS"
    manifest = json.loads((folder / "manifest.json").read_text())
    digests = {}
    for path in changed:
        data = (folder / path).read_bytes()
        digests[path] = hashlib.sha256(data).hexdigest()
        if path in manifest["files"]:
            manifest["files"][path] = {"bytes": len(data), "sha256": digests[path]}
    lines = []
    for line in index.read_text().splitlines():
        path = line.split("  ", 1)[1]
        lines.append(f"{digests[path]}  {path}" if path in digests else line)
    index.write_text("\n".join(lines) + "\n")
    manifest["index"]["sha256"] = hashlib.sha256(index.read_bytes()).hexdigest()
    manifest["index"]["bytes"] = index.stat().st_size
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(signature_file(signer, data))


def _as_published_before(snapshot: Path, signer: SigningKey) -> None:
    """The snapshot as rekap published it before the figure: no column in the region table
    (both formats) nor in its schema, no key in any region document's coverage."""
    changed = ["data/schema.json", "data/region-ppwp.parquet", "data/region-ppwp.csv.gz"]
    schema = json.loads((snapshot / changed[0]).read_text())
    schema["region"] = [c for c in schema["region"] if c["name"] != FIGURE]
    (snapshot / changed[0]).write_text(json.dumps(schema))
    parquet = snapshot / changed[1]
    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT * EXCLUDE ({FIGURE}) FROM read_parquet('{parquet}')) "
            f"TO '{parquet}.new' (FORMAT parquet)"
        )
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{parquet}.new')) "
            f"TO '{snapshot / changed[2]}' (FORMAT csv, HEADER, COMPRESSION gzip)"
        )
    finally:
        connection.close()
    Path(f"{parquet}.new").replace(parquet)
    for path in sorted((snapshot / "rekap").rglob("*.json")):
        if path.name == "tps.json":
            continue
        document = json.loads(path.read_text())
        for item in (document, *document.get("children", [])):
            del item["coverage"][FIGURE]
        path.write_text(json.dumps(document))
        changed.append(str(path.relative_to(snapshot)))
    _reseal_all(snapshot, signer, changed)


def test_a_snapshot_published_before_the_figure_is_recounted_and_says_so(
    snapshot: Path, signer: SigningKey
) -> None:
    _as_published_before(snapshot, signer)
    schema = json.loads((snapshot / "data/schema.json").read_text())
    assert FIGURE not in {c["name"] for table in schema.values() for c in table}
    report = recount(snapshot, workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert NOT_BY_PEOPLE_NOTE in report.notes
    assert FIGURE not in report.nasional and report.nasional["verified"] > 0


def test_a_wrong_count_in_a_snapshot_before_the_figure_is_still_named(
    snapshot: Path, signer: SigningKey
) -> None:
    """Recounted without the figure, such a snapshot's other coverage is still held to the
    bulk data."""
    _as_published_before(snapshot, signer)
    changed = rekap_doc("ppwp", "11")
    document = json.loads((snapshot / changed).read_text())
    document["coverage"]["verified"] += 1
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path) for p in problems] == [(Kind.MISMATCH, changed)]
