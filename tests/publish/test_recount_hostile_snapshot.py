"""Snapshots made to break the recount: each is named as a problem, never a traceback, a hang
or a pass. "Relisted" files are listed again in SHA256SUMS and the manifest without signing
(the signature then fails, but the rest must still be checked safely); "resealed" ones are
signed again, as a publisher with a bug or a stolen key would."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from rekap.adapters.keys import SigningKey
from rekap.publish.manifest import signature_file
from rekap.recount.folder_chain import LINKED_FILE
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


@pytest.mark.parametrize(
    ("cut", "said"),
    [
        (lambda data: data[:100], "not JSON: "),  # cut short
        (lambda data: data + b"junk\n", "not JSON: Extra data at line "),
        (lambda data: b"\xff" + data, "not UTF-8 text: byte 0xff at position 0"),
        (lambda data: b"[" * 100_000, "nested beyond reason"),
    ],
    ids=["cut-short", "trailing-junk", "not-utf8", "nested"],
)
def test_an_unreadable_manifest_says_what_is_wrong_with_it(
    snapshot: Path, cut: Callable[[bytes], bytes], said: str
) -> None:
    """In words a reader acts on (where the JSON breaks), not an exception's class name."""
    manifest = snapshot / "manifest.json"
    manifest.write_bytes(cut(manifest.read_bytes()))
    ((kind, path, detail),) = _named(_recount(snapshot))
    assert (kind, path) == (Kind.MANIFEST, "manifest.json")
    assert detail.startswith(f"unreadable manifest: {said}"), detail
    assert "Error" not in detail, detail


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


def test_a_pipe_or_a_link_to_a_device_where_a_file_is_listed_is_named(snapshot: Path) -> None:
    (snapshot / REGION).unlink()
    os.mkfifo(snapshot / REGION)
    tps = next(p for p in (snapshot / "pemilu/hhcw/ppwp/99/9901").rglob("*.json"))
    tps.unlink()
    tps.symlink_to("/dev/zero")
    found = {(path, d) for _, path, d in _named(_recount(snapshot))}
    assert (REGION, "unreadable: not a plain file (a pipe or a device)") in found
    assert (str(tps.relative_to(snapshot)), LINK) in found


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


@pytest.mark.parametrize("files", ["149", True, 149.0, -1])
def test_a_count_of_entries_that_is_not_an_integer_is_a_manifest_of_another_shape(
    snapshot: Path, signer: SigningKey, files: object
) -> None:
    """Text "149", not 149: named as the manifest's shape, not as "149 entries, the manifest
    says 149"."""
    manifest = json.loads((snapshot / "manifest.json").read_text())
    manifest["index"]["files"] = files
    _write_manifest(snapshot, manifest, signer)
    assert _named(_recount(snapshot)) == [
        (Kind.MANIFEST, "manifest.json", "unreadable manifest: index.files is not a count")
    ]


def test_a_manifest_without_its_count_of_entries_says_so(
    snapshot: Path, signer: SigningKey
) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    del manifest["index"]["files"]
    _write_manifest(snapshot, manifest, signer)
    entries = len(_index_lines(snapshot))
    assert _named(_recount(snapshot)) == [
        (Kind.MANIFEST, "SHA256SUMS", f"{entries} entries, the manifest gives no index.files")
    ]


TPS = "pemilu/hhcw/ppwp/99/9901/990101/9901012001/9901012001001.json"
LINK = "unreadable: a link, not a file (not followed)"
IN_LINK = "unreadable: its folder, or one above it, is a link, not a folder (not followed)"
UNLISTED_LINK = "a link, not in SHA256SUMS (not followed)"


@pytest.mark.parametrize("listed", [TPS, REGION, "data/tps-ppwp.parquet"])
def test_a_listed_file_that_is_a_link_is_not_followed(
    tmp_path: Path, snapshot: Path, listed: str
) -> None:
    """A link to a file outside the snapshot with the very bytes listed: the hash would hold
    through it, but the snapshot would not hold its own file."""
    outside = tmp_path / "outside"
    outside.write_bytes((snapshot / listed).read_bytes())
    (snapshot / listed).unlink()
    (snapshot / listed).symlink_to(outside)
    named = [(Kind.CORRUPTED, listed, LINK)]
    if listed.startswith("data/"):  # and, with --bulk-only too, nothing is recounted from it
        named.insert(
            0, (Kind.BULK, listed, "cannot recount: the bulk data or its schema failed its check")
        )
        assert sorted(_named(recount(snapshot, workers=1, bulk_only=True))) == named
    assert sorted(_named(_recount(snapshot))) == named


def test_a_linked_folder_is_not_followed(tmp_path: Path, snapshot: Path) -> None:
    """The desa folder moved outside and linked to: its files are named, and the link."""
    desa = TPS.rpartition("/")[0]
    shutil.move(snapshot / desa, tmp_path / "desa")
    (snapshot / desa).symlink_to(tmp_path / "desa")
    listed = sorted(p.name for p in (tmp_path / "desa").iterdir())
    assert len(listed) == 3
    assert _named(_recount(snapshot)) == [
        (Kind.UNLISTED, desa, UNLISTED_LINK),
        *((Kind.CORRUPTED, f"{desa}/{name}", IN_LINK) for name in listed),
    ]


def test_a_linked_folder_higher_up_is_not_followed(tmp_path: Path, snapshot: Path) -> None:
    """A provinsi folder linked to: no file under it is read through the link, however deep
    (each folder is opened from the one above it), each is named, and the link itself."""
    provinsi = "pemilu/hhcw/ppwp/99"
    shutil.move(snapshot / provinsi, tmp_path / "99")
    (snapshot / provinsi).symlink_to(tmp_path / "99")
    under = sorted(
        str(p.relative_to(tmp_path)) for p in (tmp_path / "99").rglob("*") if p.is_file()
    )
    assert len(under) > 10 and any(p.count("/") == 4 for p in under)  # TPS files, deep down
    assert _named(_recount(snapshot)) == [
        (Kind.UNLISTED, provinsi, UNLISTED_LINK),
        *((Kind.CORRUPTED, f"pemilu/hhcw/ppwp/{p}", IN_LINK) for p in under),
    ]


@pytest.mark.parametrize("link", ["rekap/ppwp/99/9901", "wilayah/pemilu/ppwp/99/9901/990101"])
def test_a_linked_folder_between_is_named_once(tmp_path: Path, snapshot: Path, link: str) -> None:
    """A folder between a provinsi and its files linked to: the link is named once, its
    files are not read through it."""
    shutil.move(snapshot / link, tmp_path / "moved")
    (snapshot / link).symlink_to(tmp_path / "moved")
    found = _named(_recount(snapshot))
    assert found[0] == (Kind.UNLISTED, link, UNLISTED_LINK)
    assert len(found) > 1
    assert all(kind is Kind.CORRUPTED and detail == IN_LINK for kind, _, detail in found[1:])
    assert all(path.startswith(link + "/") for _, path, _ in found[1:])


EMPTY = "an empty folder that SHA256SUMS lists nothing in"


def test_an_empty_folder_no_listed_path_implies_is_unlisted(snapshot: Path) -> None:
    """In a tree's provinsi folder, nested outside the trees, and at the top."""
    for folder in ("pemilu/hhcw/ppwp/99/9901/spare", "extra/nested/deeper", "spare"):
        (snapshot / folder).mkdir(parents=True)
    assert _named(_recount(snapshot)) == [
        (Kind.UNLISTED, "extra/nested/deeper", EMPTY),
        (Kind.UNLISTED, "pemilu/hhcw/ppwp/99/9901/spare", EMPTY),
        (Kind.UNLISTED, "spare", EMPTY),
    ]


def test_a_folder_emptied_of_its_listed_files_is_not_unlisted(snapshot: Path) -> None:
    """Its listed files imply it: they are missing, it is not unlisted."""
    desa = snapshot / TPS.rpartition("/")[0]
    for path in desa.iterdir():
        path.unlink()
    found = _named(_recount(snapshot))
    assert {k for k, _, _ in found} == {Kind.MISSING}
    assert len(found) == 3


@pytest.mark.parametrize("name", ["manifest.json", "manifest.sig"])
def test_a_manifest_or_signature_that_is_a_link_is_not_followed(
    tmp_path: Path, snapshot: Path, name: str
) -> None:
    outside = tmp_path / f"outside-{name}"
    os.replace(snapshot / name, outside)
    (snapshot / name).symlink_to(outside)
    report = _recount(snapshot)
    assert (Kind.CORRUPTED, name, LINKED_FILE) in _named(report)
    assert not report.ok


def test_a_region_table_csv_of_other_numbers_is_named(snapshot: Path, signer: SigningKey) -> None:
    path = "data/region-ppwp.csv.gz"
    lines = gzip.decompress((snapshot / path).read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    at = header.index('"suara_sah"')
    cells = lines[1].split(",")
    cells[at] = str(int(cells[at]) + 3000)
    lines[1] = ",".join(cells)
    reseal(snapshot, signer, {path: gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)})
    assert _named(_recount(snapshot)) == [(Kind.BULK, path, "rows differ from the Parquet file")]


@pytest.mark.parametrize("left_out", ["data/tps-ppwp.csv.gz", "public-key.pem"])
def test_a_manifest_that_leaves_out_a_file_every_snapshot_has_is_named(
    snapshot: Path, signer: SigningKey, left_out: str
) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    del manifest["files"][left_out]
    _write_manifest(snapshot, manifest, signer)
    named = _named(_recount(snapshot))
    assert (
        Kind.MANIFEST,
        "manifest.json",
        f"does not name {left_out}, which it must sign",
    ) in named


def test_a_region_table_with_a_hostile_column_name_runs_no_query_of_it(
    tmp_path: Path, snapshot: Path, signer: SigningKey
) -> None:
    """A column name is never put in a query: one that would close the query and write a file
    is named as columns other than the documented ones."""
    marker = tmp_path / "written-by-the-snapshot.txt"
    path = snapshot / "data/region-ppwp.parquet"
    hostile = (
        'a" AS INTEGER))::HUGEINT) FROM (SELECT 1 AS a); '
        f"COPY (SELECT 1 AS x) TO '{marker}' (HEADER false); "
        'SELECT COUNT(*), SUM(HASH(CAST("kode'
    )
    connection = duckdb.connect()
    try:
        escaped = hostile.replace('"', '""')
        connection.execute(
            f"COPY (SELECT *, 1 AS \"{escaped}\" FROM read_parquet('{path}')) "
            f"TO '{path}.new' (FORMAT parquet)"
        )
    finally:
        connection.close()
    os.replace(f"{path}.new", path)
    reseal(snapshot, signer, {"data/region-ppwp.parquet": path.read_bytes()})
    named = _named(_recount(snapshot))
    assert not marker.exists()
    said = "its columns are not those data/schema.json gives"
    assert (Kind.BULK, "data/region-ppwp.parquet", said) in named


@pytest.mark.parametrize("path", ["data/region-ppwp.csv.gz", "data/tps-ppwp.csv.gz"])
def test_a_csv_whose_header_swaps_two_columns_is_named(
    snapshot: Path, signer: SigningKey, path: str
) -> None:
    """The rows are read by position: the header must name the columns in order, or every
    reader by name would take one column for the other."""
    lines = gzip.decompress((snapshot / path).read_bytes()).decode().split("\n")
    lines[0] = lines[0].replace('"paslon_1"', '"swap"').replace('"paslon_2"', '"paslon_1"')
    lines[0] = lines[0].replace('"swap"', '"paslon_2"')
    reseal(snapshot, signer, {path: gzip.compress("\n".join(lines).encode(), mtime=0)})
    said = "its header does not name the documented columns in order"
    assert (Kind.BULK, path, said) in _named(_recount(snapshot))


def test_a_desa_file_of_records_taken_out_with_its_lines_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    for found in sorted(snapshot.rglob("rekap/**/tps.json")):
        document = json.loads(found.read_text())
        if any(r["status"]["counted"] for r in document["tps"]):
            gone = str(found.relative_to(snapshot))
            break
    reseal(snapshot, signer, {gone: None})
    named = _named(_recount(snapshot))
    assert (Kind.MISSING, gone, "absent: the bulk data has this region or TPS") in named


@pytest.mark.parametrize(
    "left_out", ["data/unplaced-ppwp.jsonl", "diff/summary.json", "diff/tps-ppwp.jsonl.gz"]
)
def test_a_manifest_that_leaves_out_the_unplaced_results_or_the_diff_is_named(
    snapshot: Path, signer: SigningKey, left_out: str
) -> None:
    reseal(snapshot, signer, {left_out: None})
    said = f"does not name {left_out}, which it must sign"
    assert (Kind.MANIFEST, "manifest.json", said) in _named(_recount(snapshot))
