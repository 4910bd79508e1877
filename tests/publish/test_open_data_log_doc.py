"""The DuckDB query and the Python script of docs/open-data.md ("The change log") do what the
page says, on a snapshot with its log: silent when the numbers are the log's, and naming the
number when they are not."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from rekap.adapters.keys import SigningKey
from rekap.publish.records import TpsRecord
from tests.publish.conftest import make_records
from tests.publish.logs import log_for, publish_with_log
from tests.publish.test_open_data_recount_doc import PARQUET, readers

DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"
RECORDS = make_records(5)
LOG = log_for(RECORDS, seed=1)


def _block(language: str) -> str:
    section = DOC.read_text(encoding="utf-8").split("## The change log", 1)[1].split("\n## ")[0]
    found = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert found is not None, language
    return found.group(1)


def _sql(
    folder: Path, kode: str, monkeypatch: pytest.MonkeyPatch, reader: str = PARQUET
) -> list[tuple[object, ...]]:
    """The query as written, run from inside the snapshot folder for TPS ``kode``, on the
    bulk data ``reader`` reads (the page says any of its readers may replace the Parquet's)."""
    statements = [s for s in _block("sql").split(";") if s.strip()]
    assert "SET VARIABLE tps" in statements[0] and PARQUET in statements[-1]
    monkeypatch.chdir(folder)
    connection = duckdb.connect()
    try:
        connection.execute(f"SET VARIABLE tps = '{kode}'")
        return connection.execute(statements[-1].replace(PARQUET, reader)).fetchall()
    finally:
        connection.close()


def _python(folder: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _block("python")],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _held() -> TpsRecord:
    return next(r for r in RECORDS if r.state.blocking and "paslon_2" in r.state.values)


@pytest.fixture
def good(tmp_path: Path, signer: SigningKey) -> Path:
    return publish_with_log(tmp_path / "good", signer, RECORDS, LOG)


def test_both_are_silent_when_the_numbers_are_the_logs(
    good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _python(good) == ""
    for record in RECORDS:
        for name, reader in readers().items():
            assert _sql(good, record.kode_tps, monkeypatch, reader) == [], (record, name)


def test_both_name_a_number_the_log_does_not_give(
    tmp_path: Path, signer: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = _held()
    logged = held.state.values["paslon_2"]
    values = {**held.state.values, "paslon_2": logged + 3}
    wrong = replace(held, state=replace(held.state, values=values))
    records = [wrong if r is held else r for r in RECORDS]
    folder = publish_with_log(tmp_path / "bad", signer, records, LOG)
    assert _python(folder) == f"{held.kode_tps} paslon_2 bulk data: {logged + 3} log: {logged}\n"
    for name, reader in readers().items():
        found = _sql(folder, held.kode_tps, monkeypatch, reader)
        assert found == [("paslon_2", logged + 3, logged)], name


def test_the_script_stops_at_an_altered_event(good: Path) -> None:
    path = good / "log" / "events-000000000001.jsonl.gz"
    lines = gzip.decompress(path.read_bytes()).replace(b'"actor":"test"', b'"actor":"tset"', 1)
    path.write_bytes(gzip.compress(lines))
    done = subprocess.run(
        [sys.executable, "-c", _block("python")], cwd=good, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "AssertionError" in done.stderr
