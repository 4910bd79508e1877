"""Snapshots made to break the recount: each is named as a problem, never a traceback, a hang
or a pass. "Relisted" files are listed again in SHA256SUMS and the manifest without signing
(the signature then fails, but the rest must still be checked safely); "resealed" ones are
signed again, as a publisher with a bug or a stolen key would."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.publish.manifest import signature_file
from rekap.recount.layout import NoSnapshot, locate
from rekap.recount.problems import Kind, RecountReport
from rekap.recount.run import recount
from tests.publish.conftest import Publisher, make_records
from tests.publish.logs import reseal

REGION = "pemilu/hhcw/ppwp/99/9901.json"


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    return Path(publish_small(make_records(9)).location)


def _recount(folder: Path) -> RecountReport:
    return recount(folder, workers=1)


def _named(report: RecountReport) -> list[tuple[Kind, str, str]]:
    return [(p.kind, p.path, p.detail) for p in report.problems]


def _write_manifest(folder: Path, manifest: object, signer: SigningKey | None = None) -> None:
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    if signer is not None:
        (folder / "manifest.sig").write_bytes(signature_file(signer, data))


def _write_index(folder: Path, lines: list[str], signer: SigningKey | None) -> None:
    """SHA256SUMS as given, listed in the manifest (signed when ``signer`` is given)."""
    index = folder / "SHA256SUMS"
    index.write_text("".join(f"{line}\n" for line in lines))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["index"].update(
        sha256=hashlib.sha256(index.read_bytes()).hexdigest(),
        bytes=index.stat().st_size,
        files=len(lines),
    )
    _write_manifest(folder, manifest, signer)


def _index_lines(folder: Path) -> list[str]:
    return (folder / "SHA256SUMS").read_text().splitlines()


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("files", ["data/tps-ppwp.parquet"]),
        ("files", None),
        ("index", None),
        ("index", {"sha256": "0" * 64, "bytes": "many"}),
        ("scope", 3101),
        ("contest", "../ppwp"),
        ("key", "abc"),
    ],
)
def test_a_manifest_of_another_shape_is_named(
    snapshot: Path, signer: SigningKey, part: str, value: object
) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    manifest[part] = value
    _write_manifest(snapshot, manifest, signer)
    found = _named(_recount(snapshot))
    assert [k for k, path, _ in found if path == "manifest.json"] == [Kind.MANIFEST]


def test_a_listed_file_of_another_shape_is_named(snapshot: Path, signer: SigningKey) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    manifest["files"]["election.json"] = "abc"
    _write_manifest(snapshot, manifest, signer)
    assert any("'election.json'" in d for k, _, d in _named(_recount(snapshot)))


def test_a_manifest_nested_beyond_reason_is_named(snapshot: Path) -> None:
    (snapshot / "manifest.json").write_text("[" * 100_000)
    assert [k for k, _, _ in _named(_recount(snapshot))] == [Kind.MANIFEST]


@pytest.mark.parametrize("path", ["pemilu//ppwp.json", "./election.json", "a\x00b.json"])
def test_an_alias_or_a_nul_in_sha256sums_is_a_bad_line(
    snapshot: Path, signer: SigningKey, path: str
) -> None:
    lines = _index_lines(snapshot)
    lines.append(f"{'0' * 64}  {path}")
    _write_index(snapshot, sorted(lines, key=lambda line: line[66:]), signer)
    found = _named(_recount(snapshot))
    assert any(k is Kind.MANIFEST and "is not '<sha> <path>'" in d for k, _, d in found)


def test_an_alias_cannot_hide_an_unlisted_file(snapshot: Path, signer: SigningKey) -> None:
    digest = next(line[:64] for line in _index_lines(snapshot) if line.endswith("  election.json"))
    lines = [*_index_lines(snapshot), f"{digest}  ./election.json"]
    _write_index(snapshot, sorted(lines, key=lambda line: line[66:]), signer)
    (snapshot / "pemilu" / "extra.json").write_text("{}")
    found = _named(_recount(snapshot))
    assert (Kind.UNLISTED, "pemilu/extra.json", "present but not in SHA256SUMS") in found


def test_sha256sums_must_agree_with_the_manifest(snapshot: Path, signer: SigningKey) -> None:
    lines = [
        f"{'0' * 64}  {line[66:]}" if line.endswith("  data/tps-ppwp.parquet") else line
        for line in _index_lines(snapshot)
    ]
    _write_index(snapshot, lines, signer)
    found = _named(_recount(snapshot))
    assert found == [
        (Kind.MANIFEST, "SHA256SUMS", "data/tps-ppwp.parquet: another SHA-256 than the manifest's")
    ]


def test_a_document_absent_with_its_line_is_named(snapshot: Path, signer: SigningKey) -> None:
    reseal(snapshot, signer, {REGION: None})
    found = _named(_recount(snapshot))
    assert found == [(Kind.MISSING, REGION, "absent: the bulk data has this region or TPS")]


@pytest.mark.parametrize(
    ("changed", "data"),
    [
        ("election.json", b"[]"),
        ("election.json", b'{"entries": [{"field": "x\\" OR 1=1 --"}]}'),
        ("data/schema.json", b'{"region": []}'),
        ("data/tps-ppwp.parquet", b"PAR1 not a parquet file PAR1"),
    ],
)
@pytest.mark.parametrize("signed", [False, True])
def test_bulk_data_of_another_shape_cannot_be_recounted(
    snapshot: Path, signer: SigningKey, changed: str, data: bytes, signed: bool
) -> None:
    reseal(snapshot, signer, {changed: data})  # listed again, signed ...
    if not signed:  # ... or the old signature kept
        shutil.copy(snapshot / "manifest.json", snapshot / "manifest.json.tmp")
        _write_manifest(snapshot, json.loads((snapshot / "manifest.json.tmp").read_text()))
        (snapshot / "manifest.json.tmp").unlink()
        (snapshot / "manifest.sig").write_text("AAAA\n")
    kinds = {k for k, _, _ in _named(_recount(snapshot))}
    assert Kind.BULK in kinds
    assert (Kind.SIGNATURE in kinds) is not signed


def test_a_pipe_or_a_device_where_a_file_is_listed_is_named(snapshot: Path) -> None:
    (snapshot / REGION).unlink()
    os.mkfifo(snapshot / REGION)
    tps = next(p for p in (snapshot / "pemilu/hhcw/ppwp/99/9901").rglob("*.json"))
    tps.unlink()
    tps.symlink_to("/dev/zero")
    found = {(path, d) for _, path, d in _named(_recount(snapshot))}
    reason = "unreadable: not a plain file (a pipe, a device or a link to one)"
    assert (REGION, reason) in found
    assert (str(tps.relative_to(snapshot)), reason) in found


def test_a_quote_in_the_snapshots_path_is_recounted(tmp_path: Path, snapshot: Path) -> None:
    moved = tmp_path / "o'brien" / snapshot.name
    shutil.copytree(snapshot, moved)
    assert _recount(moved).ok


@pytest.mark.parametrize(
    ("pointer", "says"),
    [
        (b"", "does not name a snapshot folder"),
        (b"../elsewhere", "does not name a snapshot folder"),
        (b"/tmp", "does not name a snapshot folder"),
        (b"\xff\xfe", "does not name a snapshot folder"),
        (b"20990101T000000Z", "which is not a folder"),
    ],
)
def test_a_latest_pointer_that_names_no_snapshot_says_so(
    tmp_path: Path, pointer: bytes, says: str
) -> None:
    (tmp_path / "latest").write_bytes(pointer)
    with pytest.raises(NoSnapshot, match=says):
        locate(tmp_path)
