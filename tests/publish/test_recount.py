"""The recount passes on a fresh snapshot and names every kind of tampering."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rekap.adapters.keys import SigningKey, load_or_create
from rekap.publish.manifest import signature_file
from rekap.recount import compare
from rekap.recount.aggregate import recompute
from rekap.recount.files import Part, compared, parse_index
from rekap.recount.layout import TOTALS
from rekap.recount.problems import Kind
from rekap.recount.run import recount
from tests.publish.conftest import Publisher, make_records


@pytest.fixture
def snapshot(publish_small: Publisher) -> Path:
    return Path(publish_small(make_records(9)).location)


def _kinds(folder: Path, **options: object) -> set[Kind]:
    report = recount(folder, workers=1, **options)  # type: ignore[arg-type]
    return {p.kind for p in report.problems}


def test_a_fresh_snapshot_recounts_clean(snapshot: Path) -> None:
    report = recount(snapshot.parent, workers=1, deep=True)  # through the latest pointer
    assert report.ok, [str(p) for p in report.problems]
    assert report.checked["signature"] == 1
    listed = len((snapshot / "SHA256SUMS").read_text().splitlines())
    assert report.checked["files hashed"] == listed + 1  # and SHA256SUMS itself
    assert report.nasional["tps_expected"] > 0


def test_a_snapshot_before_any_result_is_published_and_recounts_clean(
    publish_small: Publisher,
) -> None:
    # Election morning: every TPS expected, none with a result yet.
    folder = Path(publish_small([]).location)
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    assert report.nasional["tps_expected"] > 0
    assert report.nasional["counted"] == 0


def _edit(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b'"100026":', b'"100026":1', 1))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-7])


def _link_folder(folder: Path) -> None:
    """Move a folder out of the snapshot and leave a link to it: every file still reads."""
    moved = folder.parent.parent.parent.parent / f"moved-{folder.name}"
    folder.rename(moved)
    os.symlink(moved, folder)


def _folder_for(path: Path) -> None:
    path.unlink()
    path.mkdir()


TAMPERING: dict[str, tuple[Callable[[Path], object], Kind]] = {
    "edited region file": (lambda s: _edit(s / "pemilu/hhcw/ppwp/11.json"), Kind.CORRUPTED),
    "truncated tps file": (
        lambda s: _truncate(next((s / "rekap/ppwp/11").rglob("*.json"))),
        Kind.TRUNCATED,
    ),
    "truncated bulk file": (lambda s: _truncate(s / "data/tps-ppwp.parquet"), Kind.TRUNCATED),
    "missing file": (lambda s: (s / "wilayah/pemilu/ppwp/99.json").unlink(), Kind.MISSING),
    "added file": (lambda s: (s / "pemilu/extra.json").write_text("{}"), Kind.UNLISTED),
    "added file in a provinsi": (
        lambda s: (s / "rekap/ppwp/11/extra.json").write_text("{}"),
        Kind.UNLISTED,
    ),
    "folder replaced by a link": (lambda s: _link_folder(s / "rekap/ppwp/11"), Kind.UNLISTED),
    "file replaced by a folder": (
        lambda s: _folder_for(s / "wilayah/pemilu/ppwp/11.json"),
        Kind.CORRUPTED,
    ),
    "edited manifest": (
        lambda s: (s / "manifest.json").write_text(
            (s / "manifest.json").read_text().replace('"blocking": ', '"blocking": 1')
        ),
        Kind.SIGNATURE,
    ),
    "missing signature": (lambda s: (s / "manifest.sig").unlink(), Kind.MISSING),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_tampering_is_named(snapshot: Path, name: str) -> None:
    tamper, kind = TAMPERING[name]
    tamper(snapshot)
    assert kind in _kinds(snapshot)


def _reseal(folder: Path, signer: SigningKey, changed: str) -> None:
    """Re-hash a changed file and re-sign, as a publisher with a bug (or a stolen key) would."""
    index = folder / "SHA256SUMS"
    data = (folder / changed).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    lines = [
        f"{digest}  {changed}" if line.endswith(f"  {changed}") else line
        for line in index.read_text().splitlines()
    ]
    index.write_text("\n".join(lines) + "\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["index"]["sha256"] = hashlib.sha256(index.read_bytes()).hexdigest()
    manifest["index"]["bytes"] = index.stat().st_size
    if changed in manifest["files"]:
        manifest["files"][changed] = {"bytes": len(data), "sha256": digest}
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_bytes(signature_file(signer, data))


def test_a_signed_but_wrong_total_is_a_mismatch(snapshot: Path, signer: SigningKey) -> None:
    changed = "pemilu/hhcw/ppwp/99/9901.json"
    document = json.loads((snapshot / changed).read_text())
    document["chart"]["100025"] += 1
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    report = recount(snapshot, workers=1)
    assert {p.kind for p in report.problems} == {Kind.MISMATCH}
    assert all(p.path == changed for p in report.problems)


def test_a_signed_but_wrong_held_total_is_named(snapshot: Path, signer: SigningKey) -> None:
    changed = "rekap/ppwp/11.json"
    document = json.loads((snapshot / changed).read_text())
    document["held"]["paslon_3"] += 5
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    details = [p.detail for p in recount(snapshot, workers=1).problems]
    assert any("held_paslon_3" in d for d in details)


def test_a_pinned_key_rejects_another_signer(snapshot: Path, tmp_path: Path) -> None:
    other = load_or_create(tmp_path / "other.pem")
    pem = tmp_path / "other.pub"
    pem.write_bytes(other.public_pem)
    assert Kind.KEY in _kinds(snapshot, public_key=pem)
    own = tmp_path / "own.pub"
    own.write_bytes((snapshot / "public-key.pem").read_bytes())
    assert _kinds(snapshot, public_key=own) == set()


def test_the_recount_says_each_phase_as_it_starts(snapshot: Path) -> None:
    phases: list[str] = []
    assert recount(snapshot, workers=1, on_phase=phases.append).ok
    assert [p.split()[0] for p in phases] == ["checking", "hashing", "comparing"]
    assert (
        phases[1].startswith("hashing the ") and " files SHA256SUMS lists (1 worker)" in phases[1]
    )


def test_recount_in_worker_processes_agrees(snapshot: Path) -> None:
    _edit(snapshot / "pemilu/hhcw/ppwp/11.json")
    report = recount(snapshot, workers=2)
    assert [p.path for p in report.problems] == ["pemilu/hhcw/ppwp/11.json"]


def test_a_counted_tps_that_breaks_the_sums_is_named(publish_small: Publisher) -> None:
    records = make_records(4)
    good = next(r for r in records if r.state.counted)
    values = {**good.state.values, "suara_sah": good.state.values["suara_sah"] + 3}
    unchecked = replace(good, state=replace(good.state, values=values))
    records[records.index(good)] = unchecked  # counted: nobody ran the rules on it
    folder = Path(publish_small(records).location)
    problems = recount(folder, workers=1).problems
    assert [(p.kind, p.detail) for p in problems] == [
        (Kind.IDENTITY, f"TPS {good.kode_tps}: sum of paslon = suara_sah"),
        (Kind.IDENTITY, f"TPS {good.kode_tps}: sah + tidak sah = total"),
    ]


def test_a_signed_but_wrong_tps_record_is_named_by_a_deep_recount(
    snapshot: Path, signer: SigningKey
) -> None:
    changed = next(str(p.relative_to(snapshot)) for p in snapshot.rglob("rekap/**/tps.json"))
    document = json.loads((snapshot / changed).read_text())
    record = next(r for r in document["tps"] if "paslon_2" in r["values"])
    record["values"]["paslon_2"] += 4
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    assert recount(snapshot, workers=1).ok  # the TPS records are hashed, compared only if deep
    problems = recount(snapshot, workers=1, deep=True).problems
    assert [(p.kind, p.path) for p in problems] == [(Kind.MISMATCH, changed)]
    assert problems[0].detail.startswith(f"{record['kode']}: paslon_2 ")


def test_only_the_unlisted_files_are_named(snapshot: Path) -> None:
    (snapshot / "pemilu/hhcw/ppwp/11/extra.json").write_text("{}")
    (snapshot / "rekap/ppwp/99/9901/extra").mkdir()
    (snapshot / "rekap/ppwp/99/9901/extra/a.json").write_text("{}")
    (snapshot / "extra.txt").write_text("")
    for workers in (1, 2):
        problems = recount(snapshot, workers=workers).problems
        assert [(p.kind, p.path) for p in problems] == [
            (Kind.UNLISTED, "extra.txt"),
            (Kind.UNLISTED, "pemilu/hhcw/ppwp/11/extra.json"),
            (Kind.UNLISTED, "rekap/ppwp/99/9901/extra/a.json"),
        ]


def test_a_missing_file_and_an_unlisted_one_in_the_same_folder_are_both_named(
    snapshot: Path,
) -> None:
    folder = snapshot / "pemilu/hhcw/ppwp/11"
    listed = next(p for p in folder.iterdir() if p.is_file())
    listed.rename(folder / "renamed.json")  # as many files as listed, but not the same ones
    problems = recount(snapshot, workers=1).problems
    assert {(p.kind, p.path) for p in problems} == {
        (Kind.MISSING, str(listed.relative_to(snapshot))),
        (Kind.UNLISTED, "pemilu/hhcw/ppwp/11/renamed.json"),
    }


def test_a_twice_listed_file_does_not_hide_an_unlisted_one(
    snapshot: Path, signer: SigningKey
) -> None:
    index = snapshot / "SHA256SUMS"
    lines = index.read_text().splitlines()
    twice = next(line for line in lines if line.endswith(".json") and "/11/" in line)
    index.write_text("\n".join([*lines, twice]) + "\n")
    (snapshot / twice.split("  ")[1]).with_name("extra.json").write_text("{}")
    _reseal(snapshot, signer, "election.json")  # re-signs the longer index
    problems = recount(snapshot, workers=1).problems
    assert [p.kind for p in problems] == [Kind.MANIFEST, Kind.UNLISTED]  # entry count, extra


def test_a_bulk_format_that_differs_is_named(snapshot: Path, signer: SigningKey) -> None:
    changed = "data/tps-ppwp.csv.gz"
    lines = gzip.decompress((snapshot / changed).read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    at = header.index('"paslon_1"')
    row[at] = str(int(row[at] or 0) + 1)
    lines[1] = ",".join(row)
    (snapshot / changed).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        (Kind.BULK, changed, "rows differ from the Parquet file")
    ]


def test_each_part_reads_what_compared_says(snapshot: Path) -> None:
    entries, _ = parse_index((snapshot / "SHA256SUMS").read_bytes())
    everything = range(len(entries))
    for deep in (False, True):
        documents = Part.DOCUMENTS.select(entries, everything, deep)
        files = Part.FILES.select(entries, everything, deep)
        assert documents == [i for i in everything if compared(entries[i][0], deep)]
        assert sorted(documents + files) == list(everything)
        assert documents and files


def _first_counted_row(table: dict[str, dict[str, object]]) -> str:
    return next(code for code, row in table.items() if row.get("status_progress"))


DESA_TABLE = "pemilu/hhcw/ppwp/99/9901/990101/9901012001.json"


def _desa_table_changed(
    snapshot: Path, signer: SigningKey, change: Callable[[dict[str, Any]], None]
) -> None:
    """The Sirekap document of one desa changed by ``change`` and signed again."""
    document = json.loads((snapshot / DESA_TABLE).read_text())
    change(document)
    (snapshot / DESA_TABLE).write_text(json.dumps(document))
    _reseal(snapshot, signer, DESA_TABLE)


def _reversed_table(document: dict[str, Any]) -> None:
    assert len(document["table"]) > 1
    document["table"] = dict(reversed(document["table"].items()))


def test_a_signed_but_wrong_tps_row_of_a_desa_table_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    code = _first_counted_row(json.loads((snapshot / DESA_TABLE).read_text())["table"])

    def change(document: dict[str, Any]) -> None:
        document["table"][code]["100026"] += 2

    _desa_table_changed(snapshot, signer, change)
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path) for p in problems] == [(Kind.MISMATCH, DESA_TABLE)]
    assert problems[0].detail.startswith(f"table {code} 100026: ")


def test_a_desa_table_in_another_order_but_with_the_same_rows_agrees(
    snapshot: Path, signer: SigningKey
) -> None:
    _desa_table_changed(snapshot, signer, _reversed_table)
    assert recount(snapshot, workers=1).problems == []


def test_a_desa_table_in_another_order_with_a_wrong_row_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    code = _first_counted_row(json.loads((snapshot / DESA_TABLE).read_text())["table"])

    def change(document: dict[str, Any]) -> None:
        document["table"][code]["status_progress"] = False
        _reversed_table(document)

    _desa_table_changed(snapshot, signer, change)
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        (Kind.MISMATCH, DESA_TABLE, f"table {code} status_progress False")
    ]


def test_a_signed_but_wrong_tps_child_of_a_desa_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    changed = "rekap/ppwp/99/9901/990101/9901012001.json"
    document = json.loads((snapshot / changed).read_text())
    child = document["children"][-1]
    child["coverage"]["received"] += 1
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path) for p in problems] == [(Kind.MISMATCH, changed)]
    assert problems[0].detail.startswith(f"child {child['kode']}: received ")


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_signed_but_wrong_region_table_is_named(
    snapshot: Path, signer: SigningKey, bulk_only: bool
) -> None:
    changed = "data/region-ppwp.parquet"
    replaced = "CASE WHEN kode = '11' THEN paslon_1 + 1 ELSE paslon_1 END AS paslon_1"
    _rewrite_parquet(snapshot / changed, replaced)
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1, bulk_only=bulk_only).problems
    # the CSV copy of the table, unchanged, now differs from the Parquet file too
    assert sorted((p.kind.value, p.path) for p in problems) == [
        (Kind.MISMATCH.value, changed),
        (Kind.BULK.value, "data/region-ppwp.csv.gz"),
    ]
    (table,) = [p for p in problems if p.path == changed]
    assert table.detail.startswith("region 11: paslon_1 ")


def _rewrite_parquet(path: Path, replaced: str) -> None:
    """Rewrite a Parquet file with one column replaced (``EXPR AS column``), in place."""
    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT * REPLACE ({replaced}) FROM read_parquet('{path}')) "
            f"TO '{path}.new' (FORMAT parquet)"
        )
    finally:
        connection.close()
    os.replace(f"{path}.new", path)


def _fields(snapshot: Path) -> tuple[str, ...]:
    election = json.loads((snapshot / "election.json").read_text())
    return (*(str(e["field"]) for e in election["entries"]), *TOTALS)


def test_each_recomputed_region_is_the_sum_of_its_tps(snapshot: Path) -> None:
    aggregates = recompute(snapshot / "data/tps-ppwp.parquet", _fields(snapshot))
    codes = list(aggregates.tps_rows)
    assert len(aggregates.regions) > 1 and codes
    for kode, vector in aggregates.regions.items():
        rows = [aggregates.tps_rows[c] for c in codes if c.startswith(kode)]
        assert vector == tuple(aggregates.tps_matrix[rows].sum(axis=0).tolist()), kode


def test_no_tps_rows_recompute_to_no_regions(snapshot: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.parquet"
    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{snapshot / 'data/tps-ppwp.parquet'}') LIMIT 0) "
            f"TO '{empty}' (FORMAT parquet)"
        )
    finally:
        connection.close()
    aggregates = recompute(empty, _fields(snapshot))
    assert aggregates.regions == {} and aggregates.tps_rows == {}


def test_files_not_owned_are_read_without_o_noatime(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O_NOATIME is refused for a file someone else owns: the recount then opens plainly."""
    opened = os.open
    noatime = getattr(os, "O_NOATIME", 0)
    refused = []

    def open_as_another_user(path: str, flags: int, *args: object, **kw: object) -> int:
        if noatime and flags & noatime:
            refused.append(path)
            raise PermissionError(1, "Operation not permitted", path)
        return opened(path, flags, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_as_another_user)
    report = recount(snapshot, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    listed = len((snapshot / "SHA256SUMS").read_text().splitlines())
    assert report.checked["files hashed"] == listed + 1
    if noatime:  # refused once per task of a pass, which then opens plainly
        assert refused
        assert len(refused) < listed // 4


def test_what_the_formats_thread_finds_is_kept_when_the_recount_fails(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The formats are compared in a thread beside the recount: its findings are merged once
    it is done, even when the recount itself fails first; its own failure is named."""
    import time

    from rekap.recount import bulk_checks

    def slow_formats(_f: Path, _c: str, _s: object, report: Any) -> None:
        time.sleep(0.5)
        report.add(Kind.BULK, "data/tps-ppwp.csv.gz", "rows differ from the Parquet file")

    def broken_rows(*_args: object) -> None:
        raise duckdb.InvalidInputException("not the schema's columns")

    monkeypatch.setattr(bulk_checks, "check_formats", slow_formats)
    monkeypatch.setattr(bulk_checks, "check_rows", broken_rows)
    details = {p.detail for p in recount(snapshot, workers=1, bulk_only=True).problems}
    assert details == {
        "rows differ from the Parquet file",
        "cannot recount: not the schema's columns",
    }

    def failing_formats(*_args: object) -> None:
        raise ValueError("the CSV could not be read")

    monkeypatch.undo()  # the rows are read again
    monkeypatch.setattr(bulk_checks, "check_formats", failing_formats)
    report = recount(snapshot, workers=1, bulk_only=True)
    assert [(p.path, p.detail) for p in report.problems] == [
        ("data/tps-ppwp.csv.gz", "cannot compare the formats: the CSV could not be read")
    ]
    assert report.nasional  # the totals are still recounted


def test_a_fresh_snapshots_tables_agree_as_a_whole(
    snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every region table of a fresh snapshot agrees in one comparison: the row by row
    description (slow) is for tables that differ."""

    def described(*args: object) -> list[str]:
        raise AssertionError("a table of a fresh snapshot was described row by row")

    monkeypatch.setattr(compare, "_table_differences", described)
    assert recount(snapshot, workers=1, deep=True).ok


def _first_counted_tps_file(snapshot: Path) -> tuple[str, dict[str, object]]:
    for path in sorted(snapshot.glob("pemilu/hhcw/ppwp/*/*/*/*/*.json")):
        document = json.loads(path.read_text())
        if len(path.stem) == 13 and document.get("status_suara"):
            return str(path.relative_to(snapshot)), document
    raise AssertionError("no counted TPS")


@pytest.mark.parametrize(
    "change",
    [
        "chart null",
        "a vote left out",
        "status_suara false",
        "an extra candidate",
        "an administrasi number",
        "an administrasi number null",
        "administrasi null",
        "status_adm false",
    ],
)
def test_a_signed_but_wrong_sirekap_tps_file_is_named_by_a_deep_recount(
    snapshot: Path, signer: SigningKey, change: str
) -> None:
    changed, document = _first_counted_tps_file(snapshot)
    chart, administrasi = document["chart"], document["administrasi"]
    assert isinstance(chart, dict) and isinstance(administrasi, dict)
    given = [key for key, value in administrasi.items() if value is not None]
    if change == "an administrasi number":
        administrasi[given[-1]] += 1
    elif change == "an administrasi number null":
        administrasi[given[0]] = None
    elif change == "administrasi null":
        document["administrasi"] = None
    elif change == "status_adm false":
        document["status_adm"] = False
    elif change == "chart null":
        document["chart"] = None
    elif change == "a vote left out":  # status_suara left true
        del chart[max(chart, key=lambda sid: chart[sid] or 0)]
    elif change == "an extra candidate":
        chart["100099"] = 0
    else:
        document["status_suara"] = False
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1, deep=True).problems
    assert [(p.kind, p.path) for p in problems] and {p.path for p in problems} == {changed}


def test_a_signed_but_wrong_region_table_persen_or_chart_key_is_named(
    snapshot: Path, signer: SigningKey
) -> None:
    changed = "pemilu/hhcw/ppwp/11.json"
    document = json.loads((snapshot / changed).read_text())
    row, other = list(document["table"].values())[:2]
    row["persen"] = 12.5
    other["100099"] = 7  # a candidate the election does not have, in a child's row
    document["chart"]["100099"] = 5000
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    details = [p.detail for p in recount(snapshot, workers=1).problems if p.path == changed]
    assert any(" persen 12.5 (recount " in d for d in details), details
    assert any("chart has keys the election does not: ['100099']" in d for d in details), details
    assert any("has keys the election does not: ['100099']" in d and "table" in d for d in details)


def test_a_signed_but_wrong_number_of_a_tps_record_is_named_by_a_deep_recount(
    snapshot: Path, signer: SigningKey
) -> None:
    """Any number of the form, not the votes only: one changed, one given that was not."""
    path = sorted(snapshot.rglob("rekap/**/tps.json"))[0]
    changed = str(path.relative_to(snapshot))
    document = json.loads(path.read_text())
    values = document["tps"][0]["values"]
    given = sorted(values)
    field = next(f for f in given if not f.startswith(("paslon_", "suara_")))
    values[field] += 1
    absent = next(f for f in ("dpt_l", "disabilitas_j", "surat_suara_rusak") if f not in values)
    values[absent] = 0
    path.write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    assert recount(snapshot, workers=1).ok  # compared only if deep
    details = [p.detail for p in recount(snapshot, workers=1, deep=True).problems]
    kode = document["tps"][0]["kode"]
    assert any(d.startswith(f"{kode}: {field} ") for d in details), details
    assert f"{kode}: {absent} 0 (bulk None)" in details, details


def test_a_desa_file_of_tps_records_lists_each_counted_tps_once(
    snapshot: Path, signer: SigningKey
) -> None:
    for path in sorted(snapshot.rglob("rekap/**/tps.json")):
        document = json.loads(path.read_text())
        counted = [r for r in document["tps"] if r["status"]["counted"]]
        if counted and len(document["tps"]) > 1:
            changed = str(path.relative_to(snapshot))
            break
    others = [r for r in document["tps"] if r is not counted[0]]
    document["tps"] = others + others[:1]  # one that counts left out, another given twice
    (snapshot / changed).write_text(json.dumps(document))
    _reseal(snapshot, signer, changed)
    details = [p.detail for p in recount(snapshot, workers=1, deep=True).problems]
    assert f"TPS {counted[0]['kode']} counts but has no record" in details
    assert any(d.endswith("is listed twice") for d in details), details


def test_a_counted_tps_with_a_vote_not_given_is_named(publish_small: Publisher) -> None:
    """A counted result missing its suara sah broke no identity (each needs every number it
    reads) but would add its paslon to a region's totals and not its suara sah."""
    records = make_records(4)
    good = next(r for r in records if r.state.counted)
    values = {k: v for k, v in good.state.values.items() if k != "suara_sah"}
    unchecked = replace(good, state=replace(good.state, values=values))
    records[records.index(good)] = unchecked  # counted: nobody ran the rules on it
    folder = Path(publish_small(records).location)
    problems = recount(folder, workers=1).problems
    assert (Kind.IDENTITY, f"TPS {good.kode_tps}: every vote given") in [
        (p.kind, p.detail) for p in problems
    ]


def test_a_snapshot_whose_rules_never_held_a_missing_vote_is_not_failed_for_it(
    publish_small: Publisher, signer: SigningKey
) -> None:
    """Snapshots published before F-SUARA-LENGKAP list no rules, and counted such results
    by the rules of their day: the recount checks what a snapshot's rules promise."""
    records = make_records(4)
    good = next(r for r in records if r.state.counted)
    values = {k: v for k, v in good.state.values.items() if k != "suara_sah"}
    records[records.index(good)] = replace(good, state=replace(good.state, values=values))
    folder = Path(publish_small(records).location)
    election = json.loads((folder / "election.json").read_text())
    assert any(rule["id"] == "F-SUARA-LENGKAP" for rule in election["rules"])
    del election["rules"]
    (folder / "election.json").write_text(json.dumps(election))
    _reseal(folder, signer, "election.json")
    details = [p.detail for p in recount(folder, workers=1).problems]
    assert f"TPS {good.kode_tps}: every vote given" not in details


def test_a_sha256sums_cut_short_is_named_once_not_as_every_file_it_leaves_out(
    snapshot: Path,
) -> None:
    index = snapshot / "SHA256SUMS"
    index.write_bytes(index.read_bytes()[:5000])
    report = recount(snapshot, workers=1)
    assert not report.ok
    assert (Kind.TRUNCATED, "SHA256SUMS") in [(p.kind, p.path) for p in report.problems]
    assert not [p for p in report.problems if p.kind is Kind.UNLISTED]
    assert len(report.problems) <= 5, report.problems
    assert any("SHA256SUMS failed its check" in note for note in report.notes)


def test_a_sha256sums_missing_a_line_is_altered_not_cut_short(snapshot: Path) -> None:
    index = snapshot / "SHA256SUMS"
    lines = index.read_text().splitlines(keepends=True)
    index.write_text("".join(lines[:10] + lines[11:]))
    problems = recount(snapshot, workers=1).problems
    assert (Kind.CORRUPTED, "SHA256SUMS") in [(p.kind, p.path) for p in problems]
    assert (Kind.TRUNCATED, "SHA256SUMS") not in [(p.kind, p.path) for p in problems]


def test_a_deleted_sha256sums_is_named_once_not_every_document_as_absent(
    snapshot: Path,
) -> None:
    (snapshot / "SHA256SUMS").unlink()
    report = recount(snapshot, workers=1)
    named = [(p.kind, p.path) for p in report.problems]
    assert (Kind.MISSING, "SHA256SUMS") in named
    # the documents are on the disk: none of them is said to be absent
    assert not [p for p in report.problems if "absent: the bulk data has" in p.detail]
    assert not [p for p in report.problems if "more documents absent" in p.detail]
    assert any("absent documents were not looked for" in note for note in report.notes)


@pytest.mark.parametrize("name", ["data/region-ppwp.csv.gz", "public-key.pem"])
def test_a_deleted_file_the_manifest_names_is_one_missing_file(snapshot: Path, name: str) -> None:
    (snapshot / name).unlink()
    problems = recount(snapshot, workers=1).problems
    assert [(p.kind, p.path) for p in problems if p.path == name] == [(Kind.MISSING, name)]


@pytest.mark.parametrize("bulk_only", [False, True])
def test_a_signed_but_wrong_region_name_in_the_tps_table_is_named(
    snapshot: Path, signer: SigningKey, bulk_only: bool
) -> None:
    changed = "data/tps-ppwp.parquet"
    path = snapshot / changed
    (first,) = duckdb.sql(f"SELECT min(kode_tps) FROM read_parquet('{path}')").fetchall()
    replaced = f"CASE WHEN kode_tps = '{first[0]}' THEN 'ELSEWHERE' ELSE nama_desa END AS nama_desa"
    _rewrite_parquet(path, replaced)
    _reseal(snapshot, signer, changed)
    problems = recount(snapshot, workers=1, bulk_only=bulk_only).problems
    named = [p for p in problems if p.path == changed and "nama_desa" in p.detail]
    assert [p.kind for p in named] == [Kind.BULK]
    assert named[0].detail.startswith(f"TPS {first[0]}: nama_desa 'ELSEWHERE', the region")


def test_wrong_names_of_several_columns_are_each_named_in_code_order(
    snapshot: Path, signer: SigningKey
) -> None:
    """Each name column's wrong rows, the first 20 by code then how many more, column after
    column (every nama_provinsi wrong, one nama_kecamatan and two nama_desa)."""
    changed = "data/tps-ppwp.parquet"
    path = snapshot / changed
    codes = [c for (c,) in duckdb.sql(f"SELECT kode_tps FROM '{path}' ORDER BY 1").fetchall()]
    assert len(codes) > 25
    desa = f"CASE WHEN kode_tps IN ('{codes[3]}', '{codes[1]}') THEN 'D' ELSE nama_desa END"
    kecamatan = f"CASE WHEN kode_tps = '{codes[0]}' THEN NULL ELSE nama_kecamatan END"
    _rewrite_parquet(
        path,
        f"'P' AS nama_provinsi, {kecamatan} AS nama_kecamatan, {desa} AS nama_desa",
    )
    _reseal(snapshot, signer, changed)
    regions = dict(
        duckdb.sql(f"SELECT kode, nama FROM '{snapshot / 'data/region-ppwp.parquet'}'").fetchall()
    )
    expected = [
        *(f"TPS {k}: nama_provinsi 'P', the region table's {regions[k[:2]]!r}" for k in codes[:20]),
        f"… {len(codes) - 20} more: nama_provinsi",
        f"TPS {codes[0]}: nama_kecamatan None, the region table's {regions[codes[0][:6]]!r}",
        *(f"TPS {k}: nama_desa 'D', the region table's {regions[k[:10]]!r}" for k in codes[1:4:2]),
    ]
    problems = recount(snapshot, workers=1).problems  # in the order found (not sorted)
    assert [p.detail for p in problems if p.path == changed] == expected
