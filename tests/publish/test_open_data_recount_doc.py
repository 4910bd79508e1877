"""The DuckDB recount of docs/open-data.md ("Recount") runs as written and gives the same
answers from the Parquet, CSV and JSONL files, read as the page says."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import duckdb
import pytest

from tests.publish.conftest import Publisher, make_records

DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"
PARQUET = "'data/tps-ppwp.parquet'"


def _section() -> str:
    return DOC.read_text(encoding="utf-8").split("\n## Recount", 1)[1].split("\n## ")[0]


def _queries() -> list[str]:
    found = re.findall(r"```sql\n(.*?)```", _section(), re.DOTALL)
    assert len(found) == 1
    statements = [s.strip() for s in found[0].split(";") if s.strip()]
    assert len(statements) == 2 and all(PARQUET in s for s in statements)
    return statements


def readers() -> dict[str, str]:
    """The readers the page gives for the CSV and JSONL files, as written (every query of
    the page may read them instead of the Parquet file: the change log's too)."""
    text = " ".join(_section().split())  # the page wraps lines inside them
    csv = re.search(r"`(read_csv\('data/tps-ppwp\.csv\.gz'.*?\))`", text)
    jsonl = re.search(r"`(read_json\('data/tps-ppwp\.jsonl\.gz'.*?\))`", text)
    assert csv is not None and jsonl is not None
    return {"parquet": PARQUET, "csv": csv.group(1), "jsonl": jsonl.group(1)}


def _run(folder: Path, reader: str, monkeypatch: pytest.MonkeyPatch) -> list[list[object]]:
    monkeypatch.chdir(folder)
    connection = duckdb.connect()
    try:
        return [
            connection.execute(query.replace(PARQUET, reader)).fetchall() for query in _queries()
        ]
    finally:
        connection.close()


def test_the_recount_queries_agree_in_every_format(
    publish_small: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(publish_small(make_records(11)).location)
    answers = {name: _run(folder, reader, monkeypatch) for name, reader in readers().items()}
    nation, differing = answers["parquet"]
    assert nation[0][0] > 0 and differing == []  # TPS counted; every provinsi agrees
    assert answers["csv"] == answers["parquet"]
    assert answers["jsonl"] == answers["parquet"]


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
