"""Two of Sirekap's real Jakarta files, imported one after the other, on SQLite and PostgreSQL
(a few of their TPS, each row as the file has it): a TPS's numbers keep the row and time they
came from, every other change (photos, the numbers' source) is an event of the log, which
`rekap log verify` replays against the store, and importing the newer file again changes
nothing. Then, on rows made up here, what a snapshot diff's photo changes are in terms of the
log.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import tps_result
from rekap.adapters.storage.tally_store import TallyStore, contest_layout
from rekap.cli.main import app
from rekap.events.chain import Recorded
from rekap.events.replay_sources import replay_results
from rekap.publish.bulk import photos_text

runner = CliRunner()
FEBRUARY = "sirekap-ppwp-tps-dki-jakarta-2024-02-20.csv.gz"
MARCH = "sirekap-ppwp-tps-dki-jakarta-2024-03-17.csv.gz"
PHOTOS_ONLY_LATER = "3172061002163"  # numbers on 02-20; on 03-17 new photos and no number
SAME_LATER = "3101011001002"  # the same numbers and photos in both files
CHANGED_LATER = "3101011002009"  # photos only on 02-20; numbers, other photos on 03-17
NEW_PHOTOS_LATER = "3101011002008"  # the same numbers, other photos on 03-17
TPS = (PHOTOS_ONLY_LATER, SAME_LATER, CHANGED_LATER, NEW_PHOTOS_LATER)


def few_rows(source: Path, target: Path) -> Path:
    """The header and the rows of ``TPS`` of a real file, as they are there."""
    with gzip.open(source, "rt", encoding="utf-8") as read:
        lines = [line for n, line in enumerate(read) if n == 0 or line[:13] in TPS]
    assert len(lines) == len(TPS) + 1
    with gzip.open(target, "wt", encoding="utf-8") as write:
        write.writelines(lines)
    return target


@pytest.fixture
def files(shared_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    folder = shared_dir / "data/sirekap-2024"
    return few_rows(folder / FEBRUARY, tmp_path / FEBRUARY), few_rows(
        folder / MARCH, tmp_path / MARCH
    )


def imported(path: Path, database_url: str) -> None:
    result = runner.invoke(app, ["import", "sirekap", str(path), "--db", database_url])
    assert result.exit_code == 0, result.output


def stored(database_url: str) -> dict[str, dict[str, object]]:
    engine = open_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(tps_result)).mappings()
        found = {r["kode_tps"]: dict(r) for r in rows}
    engine.dispose()
    return found


def without_run(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k != "run_id"}


def test_numbers_keep_their_source_and_every_change_is_logged(
    database_url: str, files: tuple[Path, Path]
) -> None:
    february, march = files
    imported(february, database_url)
    before = stored(database_url)
    imported(march, database_url)
    after = stored(database_url)
    log = EventLog(open_engine(database_url))

    # photos and no number on 03-17: the numbers, their row and time are 02-20's
    kept, earlier = after[PHOTOS_ONLY_LATER], before[PHOTOS_ONLY_LATER]
    assert kept["fields"] == earlier["fields"] and kept["fields"]
    assert kept["source_ref"] == earlier["source_ref"]
    assert str(kept["source_ref"]).startswith(f"{FEBRUARY}:")
    assert kept["published_at"] is None  # the 02-20 file gives no ts
    assert kept["photos"] != earlier["photos"]
    assert kept["photos_published_at"] == "2024-02-27 22:00:00"
    history = log.history(PHOTOS_ONLY_LATER)
    assert [r.kind for r in history] == ["result.imported", "result.photos_changed"]
    assert history[-1].payload["after"] == kept["photos"]
    assert str(history[-1].payload["source"]).startswith(f"{MARCH}:")

    # the same numbers on 03-17 did not set them: nothing moved, nothing logged
    assert after[SAME_LATER] == before[SAME_LATER]
    assert [r.kind for r in log.history(SAME_LATER)] == ["result.imported"]
    assert [r.kind for r in log.history(NEW_PHOTOS_LATER)] == [
        "result.imported",
        "result.photos_changed",
    ]
    assert after[NEW_PHOTOS_LATER]["source_ref"] == before[NEW_PHOTOS_LATER]["source_ref"]

    # numbers first on 03-17: they, their source and the photos all moved, each logged
    changed = after[CHANGED_LATER]
    assert str(changed["source_ref"]).startswith(f"{MARCH}:")
    kinds = {r.kind for r in log.history(CHANGED_LATER)}
    assert {"result.value_changed", "result.source_changed", "result.photos_changed"} <= kinds

    # the published time of kept numbers is when they were set, not the photos' row's ts
    engine = open_engine(database_url)
    records = {r.kode_tps: r for r in TallyStore(engine, contest_layout("ppwp")).records()}
    (first,) = [r for r in log.history(PHOTOS_ONLY_LATER) if r.kind == "result.imported"]
    assert records[PHOTOS_ONLY_LATER].updated_at == first.at
    source = records[PHOTOS_ONLY_LATER].source
    assert source is not None and source.reference == earlier["source_ref"]

    events = len(list(log.records()))
    imported(march, database_url)  # the same file again: no change, no event
    assert len(list(log.records())) == events
    assert stored(database_url) == after
    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 0, verified.output

    # 02-20 again: its rows carry no ts, so they are stored as given (the operator's choice,
    # counted in the summary): their photos come back, logged; their lack of numbers takes
    # none back, nor where the numbers came from
    imported(february, database_url)
    again = stored(database_url)
    for kode in (PHOTOS_ONLY_LATER, SAME_LATER, NEW_PHOTOS_LATER):
        assert without_run(again[kode]) == without_run(before[kode]), kode
    numbers = ("fields", "source_ref", "published_at")
    assert [again[CHANGED_LATER][c] for c in numbers] == [after[CHANGED_LATER][c] for c in numbers]
    assert again[CHANGED_LATER]["photos"] == before[CHANGED_LATER]["photos"]
    assert [r.kind for r in list(log.records())[events:]] == ["result.photos_changed"] * 3
    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 0, verified.output

    with engine.begin() as connection:
        connection.execute(
            text("UPDATE tps_result SET photos = :p WHERE kode_tps = :k"),
            {"p": '["https://example.org/other.jpg"]', "k": NEW_PHOTOS_LATER},
        )
        connection.execute(
            text("UPDATE tps_result SET source_ref = 'elsewhere.csv:1' WHERE kode_tps = :k"),
            {"k": PHOTOS_ONLY_LATER},
        )
    engine.dispose()
    tampered = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert tampered.exit_code == 1
    said = " ".join(tampered.output.split())
    assert f"Unlogged change TPS {NEW_PHOTOS_LATER} ppwp photos" in said
    assert f"Unlogged change TPS {PHOTOS_ONLY_LATER} ppwp source_ref" in said
    assert "2 stored sources or photos of imported results differ from the log" in said


# What a snapshot diff and the log each count of photos, on rows made up here: the diff lists a
# TPS whose published photo list differs between two snapshots (once, however often it changed
# in between); the log has one ``result.photos_changed`` per change of an imported result's
# photos, and a TPS first listed in between brings its photos in its ``result.imported``.
HEADER = (
    "kode_tps,kode_prov,kode_kab,kode_kec,kode_desa,no_tps,nama_prov,nama_kab,nama_kec,"
    "nama_desa,paslon_01,paslon_02,paslon_03,suara_sah,suara_tidak_sah,suara_total,dpt_j,"
    "dpt_l,dpt_p,pengguna_dpt_j,pengguna_dptb_j,pengguna_dpk_j,pengguna_total_j,"
    "pengguna_total_l,pengguna_total_p,sirekap_ts,n_photos,photo_urls\n"
)
DESA = "3101011001"
NUMBERS = "83,107,38,228,5,233,292,147,145,232,1,0,233,107,126"
NO_NUMBERS = "," * 14
MOVED = DESA + "001"  # other photos in the second file
KEPT = DESA + "002"  # the same row in both files
FIRST_LISTED = DESA + "003"  # not in the first file; numbers and photos in the second
LISTED_EMPTY = DESA + "004"  # not in the first file; neither numbers nor photos in the second
MOVED_TWICE = DESA + "005"  # other photos in the second file, others again in the third
MOVED_BACK = DESA + "006"  # other photos in the second file, the first ones in the third


def photo(kode: str, name: str) -> str:
    return f"https://example.org/ppwp/{kode}-20240214-210000--{name}.jpg"


def sirekap_rows(path: Path, ts: str, rows: dict[str, tuple[str, tuple[str, ...]]]) -> Path:
    """A Sirekap CSV of ``DESA``'s TPS: for each, its numbers (or none) and its photos."""
    lines = [HEADER]
    for kode, (numbers, photos) in rows.items():
        place = f"31,3101,310101,{DESA},{int(kode[10:])},DKI JAKARTA,KEP SERIBU,KEP SERIBU UTARA,P"
        urls = " ".join(photo(kode, p) for p in photos)
        lines.append(f"{kode},{place},{numbers},{ts},{len(photos)},{urls}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def published(database_url: str, out: Path, at: str) -> Path:
    """Publish ``DESA`` into ``out`` at ``at``; the snapshot's folder."""
    args = ["--out", str(out), "--key", str(out.parent / "key.pem"), "--scope", DESA]
    result = runner.invoke(
        app, ["publish", *args, "--at", at, "--workers", "1", "--db", database_url]
    )
    assert result.exit_code == 0, result.output
    return out / (out / "latest").read_text().strip()


def replayed_photos(records: list[Recorded], head: int) -> dict[str, str]:
    """Each imported TPS's photos as the bulk data writes them, replayed from the log alone up
    to the event ``head``."""
    sources = replay_results(r for r in records if r.sequence <= head).sources
    return {k: photos_text(p.get("photos", ())) for (k, c), p in sources.items() if c == "ppwp"}


@pytest.mark.usefixtures("publishing_in_2100")
def test_the_diff_lists_each_tps_whose_photos_differ_the_log_each_change(
    database_url: str, tmp_path: Path
) -> None:
    first = {
        MOVED: (NUMBERS, ("a1", "a2", "a3")),
        KEPT: (NUMBERS, ("b1",)),
        MOVED_TWICE: (NUMBERS, ("e1",)),
        MOVED_BACK: (NO_NUMBERS, ("f1",)),
    }
    second = {
        MOVED: (NUMBERS, ("a1", "a4", "a3")),
        KEPT: (NUMBERS, ("b1",)),
        FIRST_LISTED: (NUMBERS, ("c1", "c2")),
        LISTED_EMPTY: (NO_NUMBERS, ()),
        MOVED_TWICE: (NUMBERS, ("e2",)),
        MOVED_BACK: (NO_NUMBERS, ("f2",)),
    }
    third = {MOVED_TWICE: (NUMBERS, ("e3",)), MOVED_BACK: (NO_NUMBERS, ("f1",))}
    out = tmp_path / "snapshots"
    imported(sirekap_rows(tmp_path / "a.csv", "2024-02-16 10:00:00", first), database_url)
    before = published(database_url, out, "2099-01-01T00:00:00+00:00")
    imported(sirekap_rows(tmp_path / "b.csv", "2024-02-18 10:00:00", second), database_url)
    imported(sirekap_rows(tmp_path / "c.csv", "2024-02-20 10:00:00", third), database_url)
    after = published(database_url, out, "2099-01-02T00:00:00+00:00")

    heads = [json.loads((s / "manifest.json").read_text())["log_head"] for s in (before, after)]
    start, end = (int(h["sequence"]) for h in heads)
    records = list(EventLog(open_engine(database_url)).records())
    between = [r for r in records if start < r.sequence <= end]
    changed = [str(r.payload["kode_tps"]) for r in between if r.kind == "result.photos_changed"]
    first_listed = {
        str(r.payload["kode_tps"]): r.payload["photos"]
        for r in between
        if r.kind == "result.imported"
    }
    with gzip.open(after / "diff/tps-ppwp.jsonl.gz", "rt", encoding="utf-8") as lines:
        diff = [json.loads(line) for line in lines]
    listed = {d["kode_tps"]: d["fields"]["photos"] for d in diff if "photos" in d["fields"]}
    summary = json.loads((after / "diff/summary.json").read_text())

    # the log: one event per change (5 on 4 TPS), the first listed in their result.imported
    assert sorted(changed) == [MOVED, MOVED_TWICE, MOVED_TWICE, MOVED_BACK, MOVED_BACK]
    assert first_listed == {
        FIRST_LISTED: [photo(FIRST_LISTED, "c1"), photo(FIRST_LISTED, "c2")],
        LISTED_EMPTY: [],
    }
    # the diff: each TPS whose published photos differ, once; photos back where they were are
    # no change, the photos of a TPS first listed in between are one
    assert sorted(listed) == [MOVED, FIRST_LISTED, MOVED_TWICE]
    assert summary["fields_changed"]["photos"] == 3
    assert listed[FIRST_LISTED][0] == ""
    # the relation, whatever the rows: the diff lists exactly the TPS whose photos replayed
    # from the log differ between the two snapshots' log heads, with those photos
    then, now = replayed_photos(records, start), replayed_photos(records, end)
    moved = {k: [then.get(k, ""), now.get(k, "")] for k in then.keys() | now.keys()}
    assert listed == {k: pair for k, pair in moved.items() if pair[0] != pair[1]}
    assert set(listed) <= set(changed) | set(first_listed)  # each one an event of the log

    verified = runner.invoke(app, ["log", "verify", "--db", database_url])
    assert verified.exit_code == 0, verified.output
    recounted = runner.invoke(app, ["recount", str(out), "--workers", "1"])
    assert recounted.exit_code == 0, recounted.output


@pytest.mark.usefixtures("publishing_in_2100")
def test_a_snapshot_of_two_real_files_agrees_with_its_log_each_tps_time_included(
    database_url: str, files: tuple[Path, Path], tmp_path: Path
) -> None:
    """02-20 (rows without a ``ts``) then 03-17 (rows with one), published: the recount holds
    each TPS's ``updated_at`` to the log, which gives the same as the store."""
    from rekap.recount.run import recount

    for path in files:
        imported(path, database_url)
    out = tmp_path / "snapshots"
    desa = sorted({kode[:10] for kode in TPS})
    args = ["--out", str(out), "--key", str(tmp_path / "key.pem"), "--workers", "1"]
    args += [a for d in desa for a in ("--scope", d)]
    at = "2099-01-01T00:00:00+00:00"
    done = runner.invoke(app, ["publish", *args, "--at", at, "--db", database_url])
    assert done.exit_code == 0, done.output
    folder = out / (out / "latest").read_text().strip()
    report = recount(folder, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    rows = {r["kode_tps"]: r.get("updated_at") for r in stored_rows(folder)}
    assert report.checked["TPS updated_at compared with the log"] == len(rows) > len(TPS)
    log = EventLog(open_engine(database_url))
    (first,) = [r for r in log.history(PHOTOS_ONLY_LATER) if r.kind == "result.imported"]
    assert rows[PHOTOS_ONLY_LATER] == first.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    # numbers first on 03-17: that row's ts (WIB), in UTC
    assert stored(database_url)[CHANGED_LATER]["published_at"] == "2024-02-20 15:00:00"
    assert rows[CHANGED_LATER] == "2024-02-20T08:00:00Z"


def stored_rows(folder: Path) -> list[dict[str, object]]:
    with gzip.open(folder / "data/tps-ppwp.jsonl.gz", "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]
