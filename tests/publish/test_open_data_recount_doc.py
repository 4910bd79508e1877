"""The DuckDB recount of docs/open-data.md ("Recount") runs as written and gives the same
answers from the Parquet, CSV and JSONL files, read as the page says."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.publish.conftest import Publisher, make_records

DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"
PARQUET = "'data/tps-ppwp.parquet'"
REGIONS = "'data/region-ppwp.parquet'"


def _section() -> str:
    return DOC.read_text(encoding="utf-8").split("\n## Recount", 1)[1].split("\n## ")[0]


def _queries() -> list[str]:
    found = re.findall(r"```sql\n(.*?)```", _section(), re.DOTALL)
    assert len(found) == 1
    statements = [s.strip() for s in found[0].split(";") if s.strip()]
    assert len(statements) == 3 and all(PARQUET in s for s in statements)
    return statements


def readers() -> dict[str, str]:
    """The readers the page gives for the CSV and JSONL files, as written (every query of
    the page may read them instead of the Parquet file: the change log's too)."""
    text = " ".join(_section().split())  # the page wraps lines inside them
    csv = re.search(r"`(read_csv\('data/tps-ppwp\.csv\.gz'.*?\))`", text)
    jsonl = re.search(r"`(read_json\('data/tps-ppwp\.jsonl\.gz'.*?\))`", text)
    assert csv is not None and jsonl is not None
    return {"parquet": PARQUET, "csv": csv.group(1), "jsonl": jsonl.group(1)}


def region_reader() -> str:
    """The reader the page gives for the region table's CSV file, as written."""
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    found = re.search(r"`(read_csv\('data/region-ppwp\.csv\.gz'.*?\}\))`", text)
    assert found is not None, "no reader of data/region-ppwp.csv.gz on the page"
    return found.group(1)


def _run(
    folder: Path, reader: str, monkeypatch: pytest.MonkeyPatch, regions: str = REGIONS
) -> list[list[object]]:
    monkeypatch.chdir(folder)
    connection = duckdb.connect()
    try:
        return [
            connection.execute(query.replace(PARQUET, reader).replace(REGIONS, regions)).fetchall()
            for query in _queries()
        ]
    finally:
        connection.close()


def test_the_recount_queries_agree_in_every_format(
    publish_small: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(publish_small(make_records(11, entered=True)).location)
    answers = {name: _run(folder, reader, monkeypatch) for name, reader in readers().items()}
    nation, differing, by_people = answers["parquet"]
    assert nation[0][0] > 0 and differing == []  # TPS counted; every provinsi agrees
    # each provinsi's TPS whose numbers people entered: the region table's figure
    connection = duckdb.connect()
    try:
        published = connection.execute(
            f"SELECT kode, verified_by_people FROM read_parquet('{folder / REGIONS[1:-1]}') "
            "WHERE level = 'provinsi' ORDER BY kode"
        ).fetchall()
    finally:
        connection.close()
    assert [(kode, figure) for kode, _, _, figure in by_people] == published
    assert any(figure for _, _, _, figure in by_people)
    assert all(counted_by_people <= counted for _, counted, counted_by_people, _ in by_people)
    assert answers["csv"] == answers["parquet"]
    assert answers["jsonl"] == answers["parquet"]
    from_csv = _run(folder, readers()["csv"], monkeypatch, region_reader())
    assert from_csv == answers["parquet"]


@pytest.mark.parametrize(
    ("parquet", "reader"),
    [(PARQUET, lambda: readers()["csv"]), (REGIONS, region_reader)],
    ids=["tps", "region"],
)
def test_the_csv_readers_give_the_rows_of_the_parquet_files(
    publish_small: Publisher,
    monkeypatch: pytest.MonkeyPatch,
    parquet: str,
    reader: Callable[[], str],
) -> None:
    """Every value as the Parquet file has it: an empty string stays empty (a TPS without
    findings, the nation's code), a null stays null (a number nobody recorded)."""
    folder = Path(publish_small(make_records(11)).location)
    monkeypatch.chdir(folder)
    connection = duckdb.connect()
    try:
        csv = reader()
        rows = connection.execute(f"SELECT count(*) FROM {parquet}").fetchone()
        assert rows is not None and rows[0] > 0
        for a, b in ((parquet, csv), (csv, parquet)):
            query = f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})"
            assert connection.execute(query).fetchone() == (0,), f"{a} has rows {b} lacks"
        if parquet == REGIONS:
            nation = connection.execute(f"SELECT level, parent FROM {csv} WHERE kode = ''")
            assert nation.fetchall() == [("nasional", None)]
            provinsi = f"SELECT count(*) FROM {csv} WHERE level = 'provinsi' AND parent = ''"
            assert connection.execute(provinsi).fetchone() != (0,)
    finally:
        connection.close()


EMPTY_FIRST = 25_000
"""Rows without a number put first: more than DuckDB samples by default (20,480), as in a
national file whose first TPS have no result yet."""


def test_the_readers_find_numbers_that_come_late(
    publish_small: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(publish_small(make_records(11)).location)
    expected = _run(folder, PARQUET, monkeypatch)[0]
    csv_lines = gzip.decompress((folder / "data/tps-ppwp.csv.gz").read_bytes()).splitlines()
    header = next(csv.reader([csv_lines[0].decode()]))
    rows = csv.reader(line.decode() for line in csv_lines[1:])
    at = header.index("has_result")
    empty_csv = csv_lines[1:][next(i for i, row in enumerate(rows) if row[at] == "false")]
    json_lines = gzip.decompress((folder / "data/tps-ppwp.jsonl.gz").read_bytes()).splitlines()
    empty_json = next(line for line in json_lines if not json.loads(line)["has_result"])
    (folder / "data/tps-ppwp.csv.gz").write_bytes(
        gzip.compress(b"\n".join([csv_lines[0], *[empty_csv] * EMPTY_FIRST, *csv_lines[1:]]))
    )
    (folder / "data/tps-ppwp.jsonl.gz").write_bytes(
        gzip.compress(b"\n".join([*[empty_json] * EMPTY_FIRST, *json_lines]))
    )
    found = readers()
    assert _run(folder, found["csv"], monkeypatch)[0] == expected
    assert _run(folder, found["jsonl"], monkeypatch)[0] == expected
