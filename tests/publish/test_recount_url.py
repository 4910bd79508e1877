"""`rekap recount` of a snapshot's web address: over real HTTP, the same checks as of the folder,
and every failure of the server or of the files named by its address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.adapters.snapshot_dir import DirectorySnapshotStore
from rekap.publish.snapshot import publish_snapshot
from rekap.recount.http_get import HttpLimits
from rekap.recount.layout import NoSnapshot
from rekap.recount.problems import Kind
from rekap.recount.remote import UNLISTED_NOTE, RemoteOptions, recount_url
from rekap.recount.run import recount
from tests.publish.conftest import AT, Publisher, make_records, request_for
from tests.publish.static_server import Served, serve

ONE_TRY = RemoteOptions(connections=4, http=HttpLimits(timeout=10.0, tries=2))


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    """A snapshot in a publication root (``out/``, with ``latest``)."""
    return Path(publish_small(make_records(9)).location)


@pytest.fixture
def served(snapshot: Path) -> Iterator[Served]:
    with serve(snapshot.parent) as server:
        yield server


def _address(served: Served, snapshot: Path) -> str:
    return f"{served.url}{snapshot.name}/"


def _named(url: str, options: RemoteOptions = ONE_TRY) -> list[tuple[Kind, str, str]]:
    report = recount_url(url, workers=1, options=options)
    return [(p.kind, p.path, p.detail) for p in report.problems]


def test_a_fresh_snapshot_recounts_clean_with_the_folders_checks(
    snapshot: Path, served: Served
) -> None:
    url = _address(served, snapshot)
    report = recount_url(url, workers=1, deep=True)
    assert report.ok, [str(p) for p in report.problems]
    assert report.snapshot == url
    assert report.checked == recount(snapshot, workers=1, deep=True).checked
    assert report.nasional == recount(snapshot, workers=1).nasional
    assert UNLISTED_NOTE in report.notes


def test_the_latest_pointer_at_the_root_is_followed(snapshot: Path, served: Served) -> None:
    for root in (served.url, served.url.rstrip("/")):
        report = recount_url(root, workers=1)
        assert report.ok, [str(p) for p in report.problems]
        assert report.snapshot == _address(served, snapshot)


def test_a_tampered_file_is_named_by_its_address(snapshot: Path, served: Served) -> None:
    changed = snapshot / "pemilu/hhcw/ppwp/11.json"
    changed.write_bytes(changed.read_bytes().replace(b'"100026":', b'"100026":1', 1))
    url = _address(served, snapshot)
    assert _named(url) == [
        (Kind.CORRUPTED, f"{url}pemilu/hhcw/ppwp/11.json", "SHA-256 differs from SHA256SUMS")
    ]


def test_a_missing_file_is_named_once_with_the_servers_answer(
    snapshot: Path, served: Served
) -> None:
    (snapshot / "wilayah/pemilu/ppwp/99.json").unlink()
    (snapshot / "diff/summary.json").unlink()
    url = _address(served, snapshot)
    assert [(kind, path) for kind, path, _ in _named(url)] == [
        (Kind.MISSING, f"{url}diff/summary.json"),
        (Kind.MISSING, f"{url}wilayah/pemilu/ppwp/99.json"),
    ]
    assert all("HTTP 404" in detail for *_, detail in _named(url))


def test_a_signature_that_does_not_verify_is_named(snapshot: Path, served: Served) -> None:
    manifest = snapshot / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"blocking": ', '"blocking": 1', 1))
    url = _address(served, snapshot)
    kinds = {(kind, path) for kind, path, _ in _named(url)}
    assert (Kind.SIGNATURE, f"{url}manifest.sig") in kinds


def test_a_missing_signature_is_named(snapshot: Path, served: Served) -> None:
    (snapshot / "manifest.sig").unlink()
    url = _address(served, snapshot)
    assert [(kind, path) for kind, path, _ in _named(url)] == [(Kind.MISSING, f"{url}manifest.sig")]


@pytest.mark.parametrize("announce", [True, False], ids=["announced", "unannounced"])
def test_more_bytes_than_listed_are_cut_off_and_named(
    snapshot: Path, served: Served, announce: bool
) -> None:
    bulk = "data/tps-ppwp.parquet"
    size = (snapshot / bulk).stat().st_size
    served.misbehaviour.longer[f"{snapshot.name}/{bulk}"] = b"\0" * (1 << 20)
    served.misbehaviour.announce = announce
    url = _address(served, snapshot)
    named = _named(url)
    assert (
        Kind.CORRUPTED,
        f"{url}{bulk}",
        f"the server sent more than the {size:,} bytes listed: cut off",
    ) in named
    assert {kind for kind, *_ in named} == {Kind.CORRUPTED, Kind.BULK}  # cannot recount


def test_a_file_with_no_listed_size_is_cut_off_at_its_cap(snapshot: Path, served: Served) -> None:
    tree = "rekap/ppwp/11.json"
    served.misbehaviour.longer[f"{snapshot.name}/{tree}"] = b" " * 5000
    url = _address(served, snapshot)
    options = RemoteOptions(unsized_cap=4096, http=ONE_TRY.http)
    assert [(k, p) for k, p, _ in _named(url, options)] == [(Kind.CORRUPTED, f"{url}{tree}")]


def test_a_body_cut_short_is_a_corrupted_file(snapshot: Path, served: Served) -> None:
    served.misbehaviour.cut.add(f"{snapshot.name}/election.json")
    url = _address(served, snapshot)
    named = _named(url)
    assert named[0][:2] == (Kind.CORRUPTED, f"{url}election.json")
    assert named[0][2].endswith("2 tries: cut short")
    assert served.misbehaviour.requests[f"{snapshot.name}/election.json"] == 2


def test_a_busy_server_is_asked_again(snapshot: Path, served: Served) -> None:
    schema = f"{snapshot.name}/data/schema.json"
    served.misbehaviour.fail_first[schema] = 2
    url = _address(served, snapshot)
    options = RemoteOptions(http=HttpLimits(tries=3))
    assert recount_url(url, workers=1, options=options).ok
    assert served.misbehaviour.requests[schema] == 3


def test_a_listed_path_outside_the_snapshot_is_never_fetched_or_read(
    snapshot: Path, served: Served
) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    manifest["files"]["../escape.json"] = {"bytes": 2, "sha256": "0" * 64}
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    url = _address(served, snapshot)
    named = _named(url)
    assert (Kind.MANIFEST, f"{url}manifest.json") in {(k, p) for k, p, _ in named}
    assert not any("escape" in p for p in served.misbehaviour.requests)
    folder = {(p.kind, p.detail) for p in recount(snapshot, workers=1).problems}
    assert (Kind.MANIFEST, "lists '../escape.json': not a path in the snapshot") in folder


def test_an_address_with_no_snapshot_is_refused(tmp_path: Path) -> None:
    with serve(tmp_path) as empty, pytest.raises(NoSnapshot, match="holds no snapshot"):
        recount_url(empty.url, workers=1, options=ONE_TRY)
    with pytest.raises(NoSnapshot, match="not an http"):
        recount_url("ftp://example.org/snapshot/")


def test_past_the_download_cap_nothing_more_is_fetched(snapshot: Path, served: Served) -> None:
    url = _address(served, snapshot)
    options = RemoteOptions(max_bytes=60_000, http=ONE_TRY.http)
    report = recount_url(url, workers=1, options=options)
    spent = [p for p in report.problems if "download cap of 60,000 bytes is spent" in p.detail]
    assert spent and all(p.kind is Kind.MISSING for p in spent)
    assert sum(served.misbehaviour.requests.values()) < len(
        (snapshot / "SHA256SUMS").read_text().splitlines()
    )


def test_over_http_only_the_files_the_manifest_names_are_fetched(
    snapshot: Path, served: Served
) -> None:
    url = f"{served.url}{snapshot.name}/"
    report = recount_url(url, workers=1, bulk_only=True)
    assert report.ok, [str(p) for p in report.problems]
    assert report.nasional == recount(snapshot, workers=1).nasional
    fetched = {p.removeprefix(f"{snapshot.name}/") for p in served.misbehaviour.requests}
    named = json.loads((snapshot / "manifest.json").read_bytes())["files"]
    assert fetched == set(named) | {"manifest.json", "manifest.sig"}
    assert UNLISTED_NOTE not in report.notes


def test_over_http_a_changed_bulk_file_is_named_by_its_address(
    snapshot: Path, served: Served
) -> None:
    changed = snapshot / "data/tps-ppwp.jsonl.gz"
    changed.write_bytes(changed.read_bytes() + b"x")
    url = f"{served.url}{snapshot.name}/"
    problems = recount_url(url, workers=1, bulk_only=True).problems
    assert {p.path for p in problems} == {f"{url}data/tps-ppwp.jsonl.gz"}


def test_a_scoped_snapshot_s_address_says_its_scope(tmp_path: Path, signer: SigningKey) -> None:
    store = DirectorySnapshotStore(tmp_path / "out")
    published = publish_snapshot(request_for(make_records(9), AT, ("1101",)), store, signer)
    with serve(tmp_path / "out") as server:
        report = recount_url(f"{server.url}{Path(published.location).name}/", workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert report.scope == ["1101"]
