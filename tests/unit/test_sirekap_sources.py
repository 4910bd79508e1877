"""Bad input in Sirekap files: a clear per-row error, the rest still processed, nothing dropped."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

from rekap.adapters.sirekap_files import read_records
from rekap.data import election_2024, region_tree
from rekap.domain.form import c_hasil_ppwp
from rekap.services.validation import validate_records
from rekap.sources.sirekap import EmptyTps, ImportedTps, Parsed, SirekapParser, SourceRecord

HEADER = "kode_tps,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total\n"


def run(path: Path):  # type: ignore[no-untyped-def]
    election = election_2024()
    contest = election.contest("ppwp")
    parser = SirekapParser(contest, region_tree())
    return validate_records(read_records(path), parser, c_hasil_ppwp(contest.dapil[0]), election)


def test_bad_rows_are_reported_and_good_rows_kept(tmp_path: Path) -> None:
    csv_file = tmp_path / "mixed.csv"
    csv_file.write_text(
        HEADER
        + "3101011001001,83,107,38,228,5,233\n"  # good
        + "3101011001002,92,126\n"  # malformed: too few columns
        + "9999999999001,1,2,3,6,0,6\n"  # unknown kode wilayah
        + "3101011001003,-4,10,10,16,0,16\n"  # negative
        + "3101011001004,abc,10,10,20,0,20\n"  # not a number
        + "3101011001,1,1,1,3,0,3\n"  # a desa code, not a TPS code
        + "3101011001005,10,10,10,31,0,31\n",  # good, breaks F-SUM-SAH
        encoding="utf-8",
    )
    report = run(csv_file)
    assert report.rows_read == 7
    assert report.accepted_count == 2
    reasons = {r.origin.split(":")[1]: r.reason for r in report.rejected}
    assert set(reasons) == {"3", "4", "5", "6", "7"}
    assert "columns" in reasons["3"]
    assert "unknown kode wilayah" in reasons["4"]
    assert "negative" in reasons["5"]
    assert "not a whole number" in reasons["6"]
    assert "not a 13-digit TPS code" in reasons["7"]
    assert [f.rule for f in report.findings["3101011001005"]] == ["F-SUM-SAH"]


def test_a_truncated_gzip_keeps_what_came_before_and_says_where_it_broke(tmp_path: Path) -> None:
    rows = "".join(f"3101011001{n:03d},{n},2,3,{n + 5},0,{n + 5}\n" for n in range(1, 19))
    packed = gzip.compress((HEADER + rows * 300).encode())
    broken = tmp_path / "cut.csv.gz"
    broken.write_bytes(packed[: len(packed) // 2])
    report = run(broken)
    assert report.accepted_count > 0
    assert len(report.rejected) == 1
    assert "unreadable after line" in report.rejected[0].reason


def test_raw_json_in_a_zip_with_a_truncated_member_and_an_empty_tps(tmp_path: Path) -> None:
    good = {
        "chart": {"null": None, "100025": 83, "100026": 107, "100027": 38},
        "images": ["a.jpg", None, None],
        "administrasi": {"suara_sah": 228, "suara_tidak_sah": 5, "suara_total": 233},
        "ts": "2024-02-16 16:25:10",
    }
    empty = {"chart": None, "images": [None, None, None], "administrasi": None}
    archive = tmp_path / "sample.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("d/3101011001001.json", json.dumps(good))
        z.writestr("d/3101011001002.json", json.dumps(empty))
        z.writestr("d/3101011001003.json", json.dumps(good)[:40])
    report = run(archive)
    assert report.rows_read == 3
    assert report.accepted_count == 1
    assert [e.kode for e in report.empty] == ["3101011001002"]
    assert "invalid JSON" in report.rejected[0].reason
    assert report.rejected[0].kode == "3101011001003"


def test_the_newest_version_of_a_tps_wins(tmp_path: Path) -> None:
    old = {
        "chart": {"100025": 1, "100026": 1, "100027": 1},
        "ts": "2024-02-15 10:00:00",
        "administrasi": {"suara_sah": 9},
    }
    new = {
        "chart": {"100025": 3, "100026": 3, "100027": 3},
        "ts": "2024-02-16 10:00:00",
        "administrasi": {"suara_sah": 9, "suara_tidak_sah": 1, "suara_total": 10},
    }
    folder = tmp_path / "tree"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    (folder / "a" / "3101011001001.json").write_text(json.dumps(new))
    (folder / "b" / "3101011001001.json").write_text(json.dumps(old))
    report = run(folder)
    assert report.accepted_count == 1
    assert report.superseded == 1
    assert "3101011001001" not in report.findings  # the newer version adds up


def test_a_file_of_another_kind_is_reported(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    report = run(other)
    assert report.accepted_count == 0
    assert "not a Sirekap file" in report.rejected[0].reason


def _parse(record: dict[str, object]) -> Parsed:
    contest = election_2024().contest("ppwp")
    item = SourceRecord("sample.zip:d/3101011001001.json", "3101011001001", record)
    return SirekapParser(contest, region_tree()).parse(item)


def test_each_image_keeps_its_page() -> None:
    """``images`` is one entry per page: a gap (no photo of page 2) stays where it is."""
    record = {
        "chart": {"100025": 83, "100026": 107, "100027": 38},
        "images": ["p1.jpg", None, "p3.jpg"],
        "administrasi": None,
    }
    parsed = _parse(record)
    assert isinstance(parsed, ImportedTps)
    assert parsed.result.photos == ("p1.jpg", None, "p3.jpg")
    parsed = _parse({**record, "images": [None, "p2.jpg", None]})
    assert isinstance(parsed, ImportedTps)
    assert parsed.result.photos == (None, "p2.jpg")  # no page after the last photo
    csv_row = {"kode_tps": "3101011001001", "paslon_01": "1", "photo_urls": "p1.jpg - p3.jpg"}
    parsed = _parse(csv_row)
    assert isinstance(parsed, ImportedTps)
    assert parsed.result.photos == ("p1.jpg", None, "p3.jpg")  # the bulk data's own shape
    odd = _parse({**record, "images": ["https://x.example/a b.jpg", "-", " ", "p4.jpg"]})
    assert isinstance(odd, ImportedTps)  # the bulk data's separators never inside an address
    assert odd.result.photos == ("https://x.example/a%20b.jpg", None, None, "p4.jpg")


def test_a_tps_with_photos_and_no_numbers_is_received_not_empty(tmp_path: Path) -> None:
    """Sirekap published the photos before any number: the TPS was received, as the CSV of
    the same data says, and is imported with no numbers; one with nothing at all is empty."""
    photos_only = {"chart": None, "images": ["p1.jpg", "p2.jpg", None], "administrasi": None}
    parsed = _parse(photos_only)
    assert isinstance(parsed, ImportedTps)
    assert dict(parsed.result.values) == {} and parsed.result.photos == ("p1.jpg", "p2.jpg")
    nothing = {"chart": None, "images": [None, None, None], "administrasi": None}
    assert isinstance(_parse(nothing), EmptyTps)
    archive = tmp_path / "sample.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("d/3101011001001.json", json.dumps(photos_only))
        z.writestr("d/3101011001002.json", json.dumps(nothing))
    report = run(archive)
    assert report.accepted_count == 1 and report.unnumbered == {"3101011001001"}
    assert [e.kode for e in report.empty] == ["3101011001002"]
