"""`rekap recount` prints a hostile snapshot's names as they are, says who signed it, and
answers a bad ``--public-key`` with one line: never a traceback, never a forged line."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner, Result

from rekap.adapters.keys import SigningKey, load_or_create
from rekap.cli.main import app
from rekap.publish.manifest import signature_file
from rekap.recount.problems import Kind, Problem, RecountReport
from tests.publish.conftest import Publisher, make_records, publish_small, signer
from tests.publish.logs import reseal

__all__ = ["publish_small", "signer"]  # the fixtures of tests/publish, used here
runner = CliRunner()
UNPINNED = "no --public-key given: the signature was checked against the key the snapshot itself"
HOSTILE = "[/red]e[bold]vil\nRecount agrees with the snapshot.json"
"""A file name that closes a style, opens one, and starts a line of its own."""


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    return Path(publish_small(make_records(9)).location)


def _recount(*args: str) -> Result:
    result = runner.invoke(app, ["recount", *args, "--workers", "1"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_an_unlisted_file_named_with_markup_and_a_newline_is_named_literally(
    snapshot: Path,
) -> None:
    (snapshot / "pemilu" / HOSTILE).parent.mkdir()  # pemilu/[
    (snapshot / "pemilu" / HOSTILE).write_text("{}")
    (snapshot / "pemilu" / "[bold]plain.json").write_text("{}")
    result = _recount(str(snapshot))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    named = "unlisted file pemilu/[/red]e[bold]vil\\nRecount agrees with the snapshot.json: "
    assert any(line.startswith(named) for line in lines), result.output
    assert any(line.startswith("unlisted file pemilu/[bold]plain.json: ") for line in lines)
    assert not any(line.startswith("Recount agrees") for line in lines)  # no forged line
    failed = next(line for line in lines if line.startswith("Recount FAILED: "))
    assert "2 unlisted files" in failed


def test_markup_and_control_characters_from_a_report_are_printed_as_they_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = RecountReport(
        "snap[/]\x1b[2J",
        [Problem(Kind.MISMATCH, "rekap/ppwp/[bold]11.json", '{"kode":"[/]"} :thumbs_up:\r')],
        notes=["[/yellow] a note\u202e"],
        nasional={"[red]paslon_1": 5},
    )
    monkeypatch.setattr("rekap.recount.run.recount", lambda *_: report)
    result = _recount(str(tmp_path))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert 'aggregate mismatch rekap/ppwp/[bold]11.json: {"kode":"[/]"} :thumbs_up:\\r' in lines
    assert "Note: [/yellow] a note\\u202e" in lines
    assert "Nasional, recounted: [red]paslon_1 5" in lines
    assert "Recountofsnap[/]\\x1b[2J" in "".join(result.output.split())  # a wrapped title
    assert "\x1b" not in result.output


def test_a_snapshot_path_with_markup_is_named_literally(tmp_path: Path) -> None:
    result = _recount(str(tmp_path / "[/]nothing\n[red]here"))
    assert result.exit_code == 2
    assert f"{tmp_path}/[/]nothing\\n[red]here holds no snapshot" in result.output


def _rsa_public(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.write_bytes(pem)


def _ed25519_private(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)


BAD_KEYS: dict[str, tuple[Callable[[Path], object], str]] = {
    "missing": (lambda _: None, "no such file"),
    "not PEM": (lambda p: p.write_text("hello\n"), "not a PEM public key"),
    "RSA": (_rsa_public, "a public key of type RSA, not Ed25519"),
    "private": (_ed25519_private, "a private key; give the publisher's public key"),
    "folder": (lambda p: p.mkdir(), "a folder, not a key file"),
}


@pytest.mark.parametrize("case", BAD_KEYS)
def test_a_bad_public_key_is_one_line_and_exit_2(snapshot: Path, tmp_path: Path, case: str) -> None:
    make, reason = BAD_KEYS[case]
    (tmp_path / "given").mkdir()
    key = tmp_path / "given" / "[red]publisher.pem"
    make(key)
    result = _recount(str(snapshot), "--public-key", str(key))
    assert result.exit_code == 2, result.output
    assert f"--public-key {key}: {reason}" in result.output.splitlines()[0]
    assert len(result.output.splitlines()) == 1


def _resign(folder: Path, other: SigningKey) -> None:
    """Put another key in the manifest and in public-key.pem and sign with it, as someone
    with the files would."""
    key = {"public_key": base64.b64encode(other.public_raw).decode("ascii"), "key_id": other.key_id}
    reseal(folder, other, {"public-key.pem": other.public_pem}, {"key": key})


def _resign_keeping_the_key_files(folder: Path, other: SigningKey) -> None:
    """Sign with another key, and put it in the manifest, but leave the publisher's
    ``key_id`` and ``public-key.pem`` as they were."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["key"]["public_key"] = base64.b64encode(other.public_raw).decode("ascii")
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(signature_file(other, data))


def _signature_problems(result: Result) -> list[str]:
    """The report's lines about the signature (the other checks are not at issue here)."""
    kinds = ("bad signature", "unexpected key", "missing file manifest.sig", "bad manifest")
    return [line for line in result.output.splitlines() if line.startswith(kinds)]


def test_the_signing_key_is_named_and_an_unpinned_one_is_flagged(
    snapshot: Path, signer: SigningKey, tmp_path: Path
) -> None:
    own = _recount(str(snapshot))
    assert _signature_problems(own) == [], own.output
    assert f"Signed by key {signer.key_id} (Ed25519 public key " in own.output
    assert any(line.startswith(f"Note: {UNPINNED}") for line in own.output.splitlines())
    other = load_or_create(tmp_path / "other.pem")
    _resign(snapshot, other)
    resigned = _recount(str(snapshot))
    assert _signature_problems(resigned) == [], resigned.output  # intact: but who signed?
    assert f"Signed by key {other.key_id} (Ed25519 public key " in resigned.output
    assert signer.key_id not in resigned.output
    assert any(line.startswith(f"Note: {UNPINNED}") for line in resigned.output.splitlines())
    pem = tmp_path / "publisher.pem"
    pem.write_bytes(signer.public_pem)
    pinned = _recount(str(snapshot), "--public-key", str(pem))
    assert pinned.exit_code == 1, pinned.output
    assert _signature_problems(pinned)[0].startswith("unexpected key manifest.json")
    named = f"The manifest names key {other.key_id}; the signature was not verified."
    assert named in pinned.output.splitlines()
    assert UNPINNED not in pinned.output


def test_a_pinned_key_that_signed_is_named(snapshot: Path, signer: SigningKey) -> None:
    pem = snapshot.parent / "publisher.pem"
    pem.write_bytes(signer.public_pem)
    result = _recount(str(snapshot), "--public-key", str(pem))
    assert _signature_problems(result) == [], result.output
    assert f"Signed by key {signer.key_id}, the one given with --public-key." in result.output
    assert UNPINNED not in result.output


def test_a_key_id_or_public_key_file_of_another_key_is_named(
    snapshot: Path, tmp_path: Path
) -> None:
    """Re-signed by another key that kept the publisher's id and ``public-key.pem``: those
    still say the publisher, and only the "Signed by" line would tell otherwise."""
    _resign_keeping_the_key_files(snapshot, load_or_create(tmp_path / "other.pem"))
    result = _recount(str(snapshot))
    assert result.exit_code == 1, result.output
    flagged = _signature_problems(result)
    assert any(line.startswith("unexpected key manifest.json") for line in flagged), flagged
    assert any(line.startswith("unexpected key public-key.pem") for line in flagged), flagged


def test_the_help_gives_the_exit_status_that_a_missing_snapshot_gets(tmp_path: Path) -> None:
    shown = CliRunner().invoke(app, ["recount", "--help"], env={"COLUMNS": "200"})
    text = " ".join(shown.output.replace("│", " ").split())
    assert "0 every check agrees; 1 problems found" in text
    assert "2 could not recount" in text
    gone = CliRunner().invoke(app, ["recount", str(tmp_path / "nothing-here")])
    assert gone.exit_code == 2, gone.output


def test_the_nation_s_recounted_figures_are_printed_zeros_included(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nasional = {"tps_expected": 4, "verified": 0, "counted": 0, "paslon_1": 0, "held_paslon_1": 7}
    report = RecountReport("snap", nasional=nasional)
    monkeypatch.setattr("rekap.recount.run.recount", lambda *_: report)
    result = _recount(str(tmp_path))
    assert result.exit_code == 0, result.output
    expected = "tps_expected 4, verified 0, counted 0, paslon_1 0, held_paslon_1 7"
    assert f"Nasional, recounted: {expected}" in result.output.splitlines()


def test_many_problems_of_one_kind_hide_no_other_kind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One changed number puts dozens of aggregate mismatches above the root cause; a
    deleted folder thousands of missing files. The first 100 problems of each kind are
    printed, then how many more of that kind, so every kind found is named on screen."""
    mismatches = [Problem(Kind.MISMATCH, f"rekap/ppwp/{n:04}.json", "paslon_1") for n in range(250)]
    cause = Problem(Kind.UNLOGGED, "data/tps-ppwp.parquet", "TPS 3101011001001 paslon_1")
    report = RecountReport("snap", [*mismatches, cause, mismatches[0]])
    monkeypatch.setattr("rekap.recount.run.recount", lambda *_: report)
    result = _recount(str(tmp_path))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "value differs from the log data/tps-ppwp.parquet: TPS 3101011001001 paslon_1" in lines
    shown = [line for line in lines if line.startswith("aggregate mismatch ")]
    assert shown == [f"aggregate mismatch rekap/ppwp/{n:04}.json: paslon_1" for n in range(100)]
    assert "… and 151 more aggregate mismatches." in lines
    assert "Recount FAILED: 251 aggregate mismatches, 1 value differs from the log" in " ".join(
        result.output.split()
    )
