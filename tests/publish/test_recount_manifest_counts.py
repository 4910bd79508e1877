"""The manifest's ``counts`` are the signed summary a reader sees first (``rekap publish``
prints them): the recount holds each to the bulk data, with and without ``--bulk-only``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.cli.main import app
from rekap.publish.manifest import signature_file
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.conftest import UNLISTED_CODES, Publisher, make_records, request_for
from tests.tally.trees import TPS_CODES


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    # with counted TPS the region tree does not list, so that ``counted_unlisted`` is not 0
    records = make_records(9, codes=(*TPS_CODES, *UNLISTED_CODES))
    counted = next(r for r in records if r.state.values and not r.state.blocking)
    outside = replace(counted, state=replace(counted.state, kode_tps="9999012001001"))
    return Path(publish_small([*records, outside]).location)


def _resign(folder: Path, signer: SigningKey, name: str, value: object) -> None:
    """The manifest with ``counts[name]`` set to ``value`` (left out for None), signed again."""
    manifest = json.loads((folder / "manifest.json").read_text())
    if value is None:
        del manifest["counts"][name]
    else:
        manifest["counts"][name] = value
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(signature_file(signer, data))


def test_a_fresh_snapshots_counts_agree(snapshot: Path) -> None:
    counts = json.loads((snapshot / "manifest.json").read_text())["counts"]
    assert counts["unplaced"] == 1 and counts["tps_with_result"] > counts["counted"] > 0
    (nation,) = duckdb.sql(
        f"SELECT counted, counted_unlisted FROM '{snapshot / 'data/region-ppwp.parquet'}' "
        "WHERE kode = ''"
    ).fetchall()
    assert (counts["counted"], counts["counted_unlisted"]) == nation
    assert 0 < counts["counted_unlisted"] < counts["counted"]
    for bulk_only in (False, True):
        report = recount(snapshot, workers=1, bulk_only=bulk_only)
        assert report.ok, [str(p) for p in report.problems]
        assert report.nasional["counted_unlisted"] == counts["counted_unlisted"]


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_manifest_of_before_counted_unlisted_recounts_clean(
    snapshot: Path, signer: SigningKey, bulk_only: bool
) -> None:
    """Manifests published before 2026-11-23 give no ``counted_unlisted``: not a problem."""
    _resign(snapshot, signer, "counted_unlisted", None)
    assert "counted_unlisted" not in json.loads((snapshot / "manifest.json").read_text())["counts"]
    report = recount(snapshot, workers=1, bulk_only=bulk_only)
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.parametrize("bulk_only", [False, True])
@pytest.mark.parametrize(
    "name",
    [
        "tps_expected",
        "tps_rows",
        "tps_with_result",
        "counted",
        "counted_unlisted",
        "blocking",
        "unplaced",
    ],
)
def test_a_signed_but_wrong_count_is_named(
    snapshot: Path, signer: SigningKey, name: str, bulk_only: bool
) -> None:
    given = json.loads((snapshot / "manifest.json").read_text())["counts"][name]
    _resign(snapshot, signer, name, given + 1)
    problems = recount(snapshot, workers=1, bulk_only=bulk_only).problems
    assert [(p.kind, p.path) for p in problems] == [(Kind.MANIFEST, "manifest.json")]
    assert problems[0].detail == f"counts.{name} {given + 1}, the bulk data has {given:,}"


def test_rekap_recount_names_a_wrong_counted_unlisted(snapshot: Path, signer: SigningKey) -> None:
    given = json.loads((snapshot / "manifest.json").read_text())["counts"]["counted_unlisted"]
    _resign(snapshot, signer, "counted_unlisted", given - 1)
    result = CliRunner().invoke(app, ["recount", str(snapshot), "--workers", "1"])
    assert result.exit_code == 1, result.output
    said = f"bad manifest manifest.json: counts.counted_unlisted {given - 1}, the bulk data has"
    assert f"{said} {given:,}" in result.output.splitlines(), result.output
    assert "Recount FAILED: 1 bad manifest" in result.output


def test_a_count_that_is_not_a_number_is_named(snapshot: Path, signer: SigningKey) -> None:
    given = json.loads((snapshot / "manifest.json").read_text())["counts"]["counted"]
    _resign(snapshot, signer, "counted", str(given))
    problems = recount(snapshot, workers=1).problems
    assert [p.detail for p in problems] == [f"counts.counted '{given}', the bulk data has {given}"]


def test_a_files_count_other_than_the_index_is_named(snapshot: Path, signer: SigningKey) -> None:
    files = json.loads((snapshot / "manifest.json").read_text())["index"]["files"]
    _resign(snapshot, signer, "files", files - 1)
    problems = recount(snapshot, workers=1).problems
    assert [p.detail for p in problems] == [f"counts.files {files - 1}, index.files {files}"]


def _resign_scope(folder: Path, signer: SigningKey, scope: list[str]) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scope"] = scope
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(signature_file(signer, data))


def test_a_scope_narrower_than_the_bulk_data_is_named_as_such(
    snapshot: Path, signer: SigningKey
) -> None:
    # without this, every number outside the scope read as one the log does not give
    outside = duckdb.sql(
        f"SELECT count(*) FROM '{snapshot / 'data/tps-ppwp.parquet'}' "
        "WHERE NOT starts_with(kode_tps, '11')"
    ).fetchall()[0][0]
    assert outside > 0
    _resign_scope(snapshot, signer, ["11"])
    for bulk_only in (False, True):
        problems = recount(snapshot, workers=1, bulk_only=bulk_only).problems
        said = f"scope ['11'], the bulk data has {outside:,} TPS outside it"
        assert (Kind.MANIFEST, "manifest.json", said) in [
            (p.kind, p.path, p.detail) for p in problems
        ]


def test_the_scope_a_snapshot_was_published_with_agrees(tmp_path: Path, signer: SigningKey) -> None:
    store = DirectorySnapshotStore(tmp_path / "scoped")
    folder = Path(
        publish_snapshot(request_for(make_records(9), scope=("11",)), store, signer).location
    )
    assert recount(folder, workers=1).ok
