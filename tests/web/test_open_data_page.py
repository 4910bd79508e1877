"""/data tells a newcomer how to recount the latest snapshot in steps that work as written:
from this address (all of it, or only what the manifest signs), with the publisher's key
pinned (not the snapshot's own copy of it), and the hashes of a partial download."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rekap.adapters.keys import load_or_create
from rekap.adapters.photo_files import LocalPhotoStore
from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.migrate import upgrade
from rekap.web.app import create_app
from rekap.web.context import AppContext
from rekap.web.portal import routes_data
from rekap.web.portal.settings import PortalSettings

SNAPSHOT = "20240220T060000Z"


def _client(tmp_path: Path, key_id: object) -> TestClient:
    engine = open_engine(f"sqlite:///{tmp_path / 'rekap.db'}")
    upgrade(engine)
    root = tmp_path / "snapshots"
    (root / SNAPSHOT / "data").mkdir(parents=True)
    manifest = {"key": {"algorithm": "Ed25519", "key_id": key_id, "public_key": "AAAA"}}
    (root / SNAPSHOT / "manifest.json").write_text(json.dumps(manifest))
    (root / SNAPSHOT / "data" / "tps-ppwp.parquet").write_bytes(b"PAR1")
    (root / "latest").write_text(SNAPSHOT + "\n")
    context = AppContext(engine, load_or_create(tmp_path / "k.pem"), LocalPhotoStore(tmp_path))
    return TestClient(create_app(context, PortalSettings(snapshots=root, refresh_seconds=0.0)))


def _code(page: str) -> str:
    return "\n".join(re.findall(r"<pre><code>(.*?)</code></pre>", page, re.S))


def test_the_recount_steps_work_as_written(tmp_path: Path) -> None:
    with _client(tmp_path, "d63ad65ca09e42e0") as client:
        page = client.get("/data").text
    commands = _code(page)
    # a recount of the address this page is served from, not of a folder one must assemble
    assert "rekap recount --bulk-only http://testserver/data/snapshots/" in commands
    assert "rekap recount --deep http://testserver/data/snapshots/" in commands
    # pinning the snapshot's own public-key.pem proves nothing about who signed it
    assert "--public-key public-key.pem" not in commands
    assert "d63ad65ca09e42e0" in page
    # the page lists the top files only: their hashes check without the JSON trees
    assert "sha256sum -c --ignore-missing SHA256SUMS" in commands


def test_a_manifest_key_id_with_markup_is_left_out(tmp_path: Path) -> None:
    with _client(tmp_path, "<b>x</b>") as client:
        page = client.get("/data").text
    assert "<b>x</b>" not in page and "&lt;b&gt;" not in page


def test_the_manifest_is_read_once_per_version_of_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    key_id_in = routes_data.key_id_in
    monkeypatch.setattr(
        routes_data, "key_id_in", lambda data: parsed.append(data) or key_id_in(data)
    )
    with _client(tmp_path, "aaaa1111") as client:
        assert all("aaaa1111" in client.get("/data").text for _ in range(3))
        assert len(parsed) == 1
        # a new manifest in its place (a new file: another inode, size and time) is read anew
        manifest = tmp_path / "snapshots" / SNAPSHOT / "manifest.json"
        fresh = manifest.with_name("manifest.new")
        fresh.write_text(json.dumps({"key": {"key_id": "bbbb22223333"}}))
        fresh.replace(manifest)
        assert "bbbb22223333" in client.get("/data").text
        assert len(parsed) == 2


def test_each_snapshot_file_is_served_as_what_it_is(tmp_path: Path) -> None:
    """A gzipped CSV was sent as ``text/csv`` (its bytes gzip, with no Content-Encoding), the
    raw Ed25519 signature as a PGP signature and the public key as a certificate chain."""
    folder = tmp_path / "snapshots" / SNAPSHOT
    files = {
        "data/tps-ppwp.parquet": "application/vnd.apache.parquet",
        "data/tps-ppwp.csv.gz": "application/gzip",
        "data/tps-ppwp.jsonl.gz": "application/gzip",
        "data/unplaced-ppwp.jsonl": "application/x-ndjson",
        "manifest.json": "application/json",
        "manifest.sig": "application/octet-stream",
        "public-key.pem": "text/plain; charset=utf-8",
        "SHA256SUMS": "text/plain; charset=utf-8",
        "log/events-000000000001.jsonl.gz": "application/gzip",
        "data/region-ppwp.csv": "text/csv; charset=utf-8",
    }
    with _client(tmp_path, "d63ad65ca09e42e0") as client:
        for name in files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            if not (folder / name).exists():
                (folder / name).write_bytes(b"x")
        for name, media in files.items():
            answer = client.get(f"/data/snapshots/{SNAPSHOT}/{name}")
            assert answer.status_code == 200, name
            assert answer.headers["content-type"] == media, name
            assert "content-encoding" not in answer.headers, name
        latest = client.get("/data/snapshots/latest")
        assert latest.headers["content-type"] == "text/plain; charset=utf-8"
