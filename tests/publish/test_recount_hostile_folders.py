"""Folders where files are listed, files where folders are, folders that cannot be read, a
folder link above the bulk data, an index that lists what signs it: each named, none of
them stopping the recount, nothing read through a link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rekap.adapters.keys import SigningKey
from rekap.recount import presence
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.test_recount_hostile_snapshot import (
    _index_lines,
    _named,
    _recount,
    _write_index,
    snapshot,  # noqa: F401  (the fixture)
)

UNLISTED = "present but not in SHA256SUMS"
ABSENT = "listed in SHA256SUMS but absent"
KECAMATAN = "pemilu/hhcw/ppwp/99/9901/990101"


def _listed_under(folder: Path, under: str) -> list[str]:
    return sorted(line[66:] for line in _index_lines(folder) if line[66:].startswith(under + "/"))


@pytest.mark.parametrize("under", [KECAMATAN, "wilayah/pemilu/ppwp/99/9901"])
@pytest.mark.parametrize("what", ["file", "pipe"])
def test_a_file_where_a_folder_is_listed_is_named_with_the_files_it_hides(
    snapshot: Path,  # noqa: F811
    under: str,
    what: str,
) -> None:
    listed = _listed_under(snapshot, under)
    assert listed
    shutil.rmtree(snapshot / under)
    if what == "file":
        (snapshot / under).write_text("not a folder")
    else:
        os.mkfifo(snapshot / under)
    found = _named(_recount(snapshot))
    assert sorted(found) == sorted(
        [(Kind.UNLISTED, under, UNLISTED), *((Kind.MISSING, p, ABSENT) for p in listed)]
    )


def test_what_is_in_a_folder_where_a_file_is_listed_is_named(
    snapshot: Path,  # noqa: F811
) -> None:
    listed = f"{KECAMATAN}.json"
    (snapshot / listed).unlink()
    (snapshot / listed).mkdir()
    (snapshot / listed / "junk").write_text("x")
    assert sorted(_named(_recount(snapshot))) == [
        (Kind.CORRUPTED, listed, "unreadable: Is a directory"),
        (Kind.UNLISTED, f"{listed}/junk", UNLISTED),
    ]


@pytest.mark.parametrize("where", ["pemilu/hhcw/ppwp/99/9901/secret", "extra/secret"])
def test_an_unlisted_folder_that_cannot_be_read_is_named_not_a_crash(
    snapshot: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """(As root a folder's mode does not keep the recount out: the refusal is made here.)"""
    (snapshot / where).mkdir(parents=True)
    (snapshot / where / "a.json").write_text("{}")
    real = os.scandir

    def refusing(path: str | os.PathLike[str]) -> object:
        if str(path).endswith("/secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(presence.os, "scandir", refusing)
    found = _named(recount(snapshot, workers=1))
    assert len(found) == 1
    kind, path, detail = found[0]
    assert (kind, path) == (Kind.UNLISTED, where) and "cannot be read" in detail


def test_a_linked_folder_above_the_bulk_data_is_not_read_through(
    tmp_path: Path,
    snapshot: Path,  # noqa: F811
) -> None:
    shutil.move(snapshot / "data", tmp_path / "data")
    (snapshot / "data").symlink_to(tmp_path / "data")
    report = recount(snapshot, workers=1, bulk_only=True)
    assert report.nasional == {}  # nothing recounted from outside the snapshot
    named = {(k, p) for k, p, _ in _named(report)}
    assert (Kind.CORRUPTED, "data/tps-ppwp.parquet") in named


def test_an_index_that_lists_what_signs_it_hides_no_unlisted_file(
    snapshot: Path,  # noqa: F811
    signer: SigningKey,
) -> None:
    lines = [*_index_lines(snapshot), f"{'0' * 64}  manifest.sig"]
    _write_index(snapshot, sorted(lines, key=lambda line: line[66:]), signer)
    (snapshot / "junk").write_text("x")
    found = _named(_recount(snapshot))
    assert (Kind.UNLISTED, "junk", UNLISTED) in found
    assert any(k is Kind.MANIFEST and "manifest.sig" in d for k, _, d in found)
