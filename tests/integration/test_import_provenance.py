"""Two of Sirekap's real Jakarta files, imported one after the other, on SQLite and PostgreSQL
(a few of their TPS, each row as the file has it): a TPS's numbers keep the row and time they
came from, every other change (photos, the numbers' source) is an event of the log, which
`rekap log verify` replays against the store, and importing the newer file again changes
nothing.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from rekap.adapters.storage.engine import open_engine
from rekap.adapters.storage.event_store import EventLog
from rekap.adapters.storage.schema import tps_result
from rekap.adapters.storage.tally_store import TallyStore, contest_layout
from rekap.cli.main import app

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
