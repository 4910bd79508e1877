"""Hostile Sirekap input: every case ends in a clear per-record reason, never a traceback,
a hang or unbounded memory, and nothing is dropped or changed without being reported."""

from __future__ import annotations

import gzip
import json
import os
import signal
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rekap.adapters import sirekap_files
from rekap.adapters.sirekap_files import read_records
from rekap.cli.main import app
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.services.validation import ValidationReport, validate_records
from rekap.sources.sirekap import SirekapParser

HEADER = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total\n"
GOOD = "3101011001001,83,107,38,228,5,233\n"
RECORD = {
    "chart": {"100025": 83, "100026": 107, "100027": 38},
    "administrasi": {"suara_sah": 228, "suara_tidak_sah": 5, "suara_total": 233},
    "ts": "2024-02-16 16:25:10",
}


def run(path: Path) -> ValidationReport:
    election = election_2024()
    contest = election.contest("ppwp")
    parser = SirekapParser(contest, region_tree())
    return validate_records(read_records(path), parser, c_hasil_ppwp(contest.dapil[0]), election)


def reasons(report: ValidationReport) -> list[str]:
    return [r.reason for r in report.rejected]


def test_markup_in_a_value_or_a_file_name_is_printed_as_text(tmp_path: Path) -> None:
    bad = tmp_path / "[bold]x.csv"
    bad.write_text(HEADER + "3101011001001,[/],1,1,1,0,1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "sirekap", str(bad)])
    assert result.exception is None, result.output
    assert "'[/]' is not a whole number" in result.output


def test_numbers_beyond_any_count_are_rejected_not_crashed_on(tmp_path: Path) -> None:
    rows = [
        f"3101011001001,{'9' * 5000},1,1,1,0,1",  # past Python's int-from-text limit
        "3101011001002,99999999999999999999,1,1,1,0,1",  # beyond int64
        "3101011001003,²,1,1,1,0,1",  # a Unicode digit int() refuses
        "3101011001004,٣,1,1,1,0,1",  # an Arabic-Indic digit
        "3101011001005,1000000000,1,1,1,0,1",
        "3101011001006, 7 ,1,1,9,0,9",  # blanks around a count are tolerated
    ]
    data = tmp_path / "big.csv"
    data.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    report = run(data)
    assert report.rows_read == 6
    assert list(report.accepted) == ["3101011001006"]
    found = reasons(report)
    assert "too large" in found[0] and len(found[0]) < 200
    assert "too large" in found[1]
    assert "not a whole number" in found[2] and "not a whole number" in found[3]
    assert "too large" in found[4]


def test_json_with_a_huge_number_deep_nesting_or_the_wrong_shape(tmp_path: Path) -> None:
    (tmp_path / "3101011001001.json").write_text('{"chart":{"100025":' + "9" * 5000 + "}}")
    (tmp_path / "3101011001002.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "3101011001003.json").write_text(json.dumps({**RECORD, "chart": [83, 107]}))
    (tmp_path / "3101011001004.json").write_text(json.dumps({**RECORD, "administrasi": [1]}))
    (tmp_path / "3101011001005.json").write_text('{"chart":{"100025":1e20}}')
    report = run(tmp_path)
    assert report.rows_read == 5 and report.accepted_count == 0
    found = reasons(report)
    assert found[0].startswith("invalid JSON") and found[1].startswith("invalid JSON")
    assert "chart: expected an object" in found[2]
    assert "administrasi: expected an object" in found[3]
    assert "too large" in found[4]


def test_a_zip_bomb_is_refused_before_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sirekap_files, "INFLATE_SLACK", 1 << 20, raising=False)
    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("3101011001001.json", "w", force_zip64=True) as member,
    ):
        chunk = b" " * (1 << 24)
        for _ in range(2):  # 32 MiB of blanks, about 32 KB packed
            member.write(chunk)
    report = run(bomb)
    assert report.rows_read == 1
    assert "zip bomb" in reasons(report)[0]


def test_an_oversized_zip_member_is_refused_and_the_rest_read(tmp_path: Path) -> None:
    archive_path = tmp_path / "big-member.zip"
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3101011001001.json", b" " * ((4 << 20) + 1))
        archive.writestr("3101011001002.json", json.dumps(RECORD))
    report = run(archive_path)
    assert list(report.accepted) == ["3101011001002"]
    assert "inflates to" in reasons(report)[0]


def test_nested_archives_and_other_members_are_reported_not_skipped(tmp_path: Path) -> None:
    archive_path = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("../../etc/3101011001001.json", json.dumps(RECORD))  # never extracted
        archive.writestr("inner.zip", b"PK")
        archive.writestr("notes.txt", b"hello")
    report = run(archive_path)
    assert list(report.accepted) == ["3101011001001"]
    assert sorted(reasons(report)) == [
        "not read: only .json files in a zip are read",
        "not read: unpack an archive inside a zip",
    ]


def test_an_empty_folder_or_zip_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "README.txt").write_text("nothing here")
    assert "no .csv" in reasons(run(folder))[0]
    empty_zip = tmp_path / "empty.zip"
    zipfile.ZipFile(empty_zip, "w").close()
    assert "holds no .json" in reasons(run(empty_zip))[0]


def _give_up(signum: int, frame: object) -> None:
    raise TimeoutError("still waiting after 10 s")


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(10)
    try:
        found = reasons(run(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert "not a regular file" in found[0]


def test_symlinks_in_a_folder_are_reported_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.csv").write_text(HEADER + "3101011001002,1,2,3,6,0,6\n")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "zero.csv").symlink_to("/dev/zero")
    (folder / "loop.json").symlink_to(folder / "loop.json")
    (folder / "elsewhere.csv").symlink_to(outside / "elsewhere.csv")
    (folder / "more").symlink_to(outside, target_is_directory=True)
    (folder / "good.csv").write_text(HEADER + GOOD)
    report = run(folder)
    assert list(report.accepted) == ["3101011001001"]
    assert reasons(report) == ["symbolic link: not followed"] * 4


def test_an_endless_line_stops_the_file_with_a_reason(tmp_path: Path) -> None:
    data = tmp_path / "long.csv.gz"
    with gzip.open(data, "wt") as handle:
        handle.write(HEADER + GOOD + "3101011001002,")
        for _ in range(8):
            handle.write("1" * (1 << 20))
    report = run(data)
    assert list(report.accepted) == ["3101011001001"]
    assert "longer than" in reasons(report)[0]


def test_a_gzip_that_inflates_far_past_its_size_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sirekap_files, "INFLATE_SLACK", 1 << 20, raising=False)
    data = tmp_path / "bomb.csv.gz"
    with gzip.open(data, "wt") as handle:
        handle.write(HEADER + GOOD)
        handle.write("x\n" * (1 << 22))  # 8 MiB of one-character rows, about 10 KB packed
    report = run(data)
    assert report.rows_read < 1 << 21  # stopped early, not one rejected row per line
    assert "decompression bomb" in reasons(report)[-1]


def test_a_header_that_is_not_sirekaps_is_refused_not_read_as_empty_votes(
    tmp_path: Path,
) -> None:
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(HEADER.replace("paslon_0", "candidate_") + GOOD)
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(HEADER.replace("paslon_02", "paslon_01") + GOOD)
    assert "header needs kode_tps and paslon_NN" in reasons(run(renamed))[0]
    assert "repeats a column" in reasons(run(repeated))[0]


def test_a_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    data = tmp_path / "windows.csv"
    data.write_bytes(("\ufeff" + HEADER + GOOD).replace("\n", "\r\n").encode("utf-8"))
    assert list(run(data).accepted) == ["3101011001001"]


def test_utf16_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "utf16.csv"
    data.write_text(HEADER + GOOD, encoding="utf-16")
    assert "UnicodeDecodeError" in reasons(run(data))[0]


def test_votes_for_a_paslon_the_contest_lacks_are_not_dropped(tmp_path: Path) -> None:
    data = tmp_path / "four.csv"
    data.write_text(
        "kode_tps,paslon_01,paslon_02,paslon_03,paslon_04,suara_sah\n"
        "3101011001001,1,2,3,50,56\n"
        "3101011001002,1,2,3,,6\n"
    )
    report = run(data)
    assert list(report.accepted) == ["3101011001002"]
    assert "no such paslon" in reasons(report)[0]


def test_a_tps_read_twice_with_different_numbers_is_reported(tmp_path: Path) -> None:
    archive_path = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("a/3101011001001.json", json.dumps(RECORD))
        archive.writestr("a/3101011001002.json", json.dumps(RECORD))
        changed = {**RECORD, "chart": {"100025": 84, "100026": 107, "100027": 38}}
        archive.writestr("b/3101011001001.json", json.dumps(changed))
        archive.writestr("b/3101011001002.json", json.dumps(RECORD))  # same numbers
    result = CliRunner().invoke(app, ["validate", "sirekap", str(archive_path)])
    assert result.exit_code == 0, result.output
    assert "1 repeated TPS records differ" in result.output
    assert "dup.zip!a/3101011001001.json" in result.output
