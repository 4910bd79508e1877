"""`rekap publish --out s3://…`: a snapshot written through a private folder, uploaded, switched
to in the bucket, diffed against the bucket's previous one, and recountable after a download."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rekap.adapters.snapshot_s3 import S3SnapshotStore
from rekap.adapters.snapshot_s3_leftovers import holder
from rekap.cli.main import app
from rekap.recount.run import recount
from tests.s3.conftest import Connect

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sirekap-raw-sample"
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("publishing_in_2100")


@pytest.fixture
def database(tmp_path: Path) -> list[str]:
    db = ["--db", f"sqlite:///{tmp_path / 'rekap.db'}"]
    imported = runner.invoke(
        app, ["import", "sirekap", str(SAMPLE / "sample_tingkat6_tps.zip"), *db]
    )
    assert imported.exit_code == 0, imported.output
    return db


def _said(output: str, text: str) -> bool:
    return "".join(text.split()) in "".join(output.split())


def test_a_snapshot_published_into_a_bucket_recounts_and_the_next_diffs_against_it(
    database: list[str],
    tmp_path: Path,
    s3_endpoint: str,
    bucket: str,
    connect: Connect,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # where the private folder goes
    out = f"s3://{bucket}/hasil?endpoint={s3_endpoint}"
    args = ["publish", "--out", out, "--scope", "3101", "--key", str(tmp_path / "k.pem")]
    first = runner.invoke(app, [*args, "--workers", "2", "--at", "2099-02-20T06:00Z", *database])
    assert first.exit_code == 0, first.output
    assert _said(first.output, f"s3://{bucket}/hasil/20990220T060000Z/"), first.output
    store = S3SnapshotStore(connect, bucket, "hasil/")
    assert store.latest() == "20990220T060000Z"
    folder = store.download(tmp_path / "copy")
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    second = runner.invoke(app, [*args, "--workers", "1", "--at", "2099-02-20T07:00Z", *database])
    assert second.exit_code == 0, second.output
    summary = json.loads(store.read("20990220T070000Z", "diff/summary.json") or b"{}")
    assert summary["previous"]["snapshot_id"] == "20990220T060000Z"
    again = runner.invoke(app, [*args, "--at", "2099-02-20T07:00Z", *database])
    assert again.exit_code == 2, again.output
    assert _said(again.output, "exists already")
    assert store.latest() == "20990220T070000Z"
    assert not list(private.iterdir())  # each private folder removed once uploaded


def test_a_bucket_that_cannot_be_written_publishes_nothing(
    database: list[str], tmp_path: Path, s3_endpoint: str, s3_client: Any
) -> None:
    out = f"s3://no-such-bucket-rekap/x?endpoint={s3_endpoint}"
    args = ["publish", "--out", out, "--scope", "3101", "--key", str(tmp_path / "k.pem")]
    failed = runner.invoke(app, [*args, "--at", "2099-02-20T06:00Z", *database])
    assert failed.exit_code == 1, failed.output
    assert isinstance(failed.exception, SystemExit), failed.exception
    assert _said(failed.output, "nothing was published"), failed.output
    assert "no-such-bucket-rekap" not in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]


@pytest.mark.parametrize("out", ["s3://", "s3://bucket/x?colour=blue"])
def test_a_malformed_bucket_address_is_refused_before_anything(
    database: list[str], tmp_path: Path, out: str
) -> None:
    refused = runner.invoke(app, ["publish", "--out", out, "--key", str(tmp_path / "k.pem")])
    assert refused.exit_code == 2, refused.output
    assert _said(refused.output, f"--out {out}")


def test_a_bucket_is_recounted_from_its_address_and_a_tampered_object_fails(
    database: list[str], tmp_path: Path, s3_endpoint: str, bucket: str, s3_client: Any
) -> None:
    out = f"s3://{bucket}/hasil?endpoint={s3_endpoint}"
    args = ["publish", "--out", out, "--scope", "3101", "--key", str(tmp_path / "k.pem")]
    published = runner.invoke(app, [*args, "--at", "2099-02-20T06:00Z", *database])
    assert published.exit_code == 0, published.output
    wide = {"COLUMNS": "300"}
    agreed = runner.invoke(app, ["recount", out, "--workers", "1"], env=wide)
    assert agreed.exit_code == 0, agreed.output
    assert _said(agreed.output, f"Recount of s3://{bucket}/hasil/20990220T060000Z/")
    assert "Recount agrees with the snapshot" in agreed.output
    key = "hasil/20990220T060000Z/pemilu/hhcw/ppwp/31/3101.json"
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3_client.put_object(
        Bucket=bucket, Key=key, Body=body.replace(b'"progres":{', b'"progres":{"x":1,')
    )
    failed = runner.invoke(app, ["recount", out, "--workers", "1", "--bulk-only"], env=wide)
    assert failed.exit_code == 0, failed.output  # the trees are what --bulk-only leaves out
    failed = runner.invoke(app, ["recount", out, "--workers", "1"], env=wide)
    assert failed.exit_code == 1, failed.output
    assert _said(failed.output, "pemilu/hhcw/ppwp/31/3101.json")
    nowhere = runner.invoke(app, ["recount", f"s3://{bucket}/empty?endpoint={s3_endpoint}"])
    assert nowhere.exit_code == 2, nowhere.output


@pytest.mark.parametrize(
    "pointer", [b"not json", b'{"snapshot_id": "../x"}', b'{"snapshot_id": "20990220T050000Z"}']
)
def test_a_damaged_pointer_in_the_bucket_is_named_and_publishes_nothing(
    database: list[str],
    tmp_path: Path,
    s3_endpoint: str,
    bucket: str,
    s3_client: Any,
    pointer: bytes,
) -> None:
    s3_client.put_object(Bucket=bucket, Key="hasil/latest.json", Body=pointer)
    out = f"s3://{bucket}/hasil?endpoint={s3_endpoint}"
    args = ["publish", "--out", out, "--scope", "3101", "--key", str(tmp_path / "k.pem")]
    refused = runner.invoke(app, [*args, "--at", "2099-02-20T06:00Z", *database])
    assert refused.exit_code == 2, refused.output
    assert isinstance(refused.exception, SystemExit), refused.exception
    assert _said(refused.output, "latest.json cannot be followed"), refused.output
    assert _said(refused.output, "nothing was published")


def test_a_publication_removes_what_a_killed_one_left_and_says_so(
    database: list[str], tmp_path: Path, s3_endpoint: str, bucket: str, s3_client: Any
) -> None:
    killed = "20990220T050000Z"
    for name in ("data/tps-ppwp.parquet", "manifest.json"):
        s3_client.put_object(Bucket=bucket, Key=f"hasil/{killed}/{name}", Body=b"half")
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # the publication's process, gone
    claim = {"snapshot_id": killed, **holder(), "pid": process.pid}
    s3_client.put_object(
        Bucket=bucket, Key=f"hasil/.claims/{killed}", Body=json.dumps(claim).encode()
    )
    out = f"s3://{bucket}/hasil?endpoint={s3_endpoint}"
    args = ["publish", "--out", out, "--scope", "3101", "--key", str(tmp_path / "k.pem")]
    done = runner.invoke(app, [*args, "--at", "2099-02-20T06:00Z", *database])
    assert done.exit_code == 0, done.output
    assert _said(done.output, f"Removed s3://{bucket}/hasil/{killed}/ (2 objects, never published")
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="hasil/").get("Contents", [])
    assert not [item["Key"] for item in listed if killed in item["Key"]]
