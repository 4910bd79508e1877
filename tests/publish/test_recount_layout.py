"""Which document a snapshot path is, as the recount reads the documented layout."""

from __future__ import annotations

import pytest

from rekap.recount.aggregate import connect
from rekap.recount.layout import kode_of


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("rekap/ppwp.json", ("rekap", "")),
        ("rekap/ppwp/11.json", ("rekap", "11")),
        ("rekap/ppwp/11/1101/110101/1101012001.json", ("rekap", "1101012001")),
        ("rekap/ppwp/11/1101/110101/1101012001/tps.json", ("rekap-tps", "1101012001")),
        ("pemilu/hhcw/ppwp.json", ("hhcw", "")),
        ("pemilu/hhcw/ppwp/11/1101.json", ("hhcw", "1101")),
        (
            "pemilu/hhcw/ppwp/11/1101/110101/1101012001/1101012001001.json",
            ("hhcw", "1101012001001"),
        ),
        ("wilayah/pemilu/ppwp/0.json", ("wilayah", "")),
        ("wilayah/pemilu/ppwp/11.json", ("wilayah", "11")),
        ("wilayah/pemilu/ppwp/11/0.json", ("wilayah", "0")),
        ("wilayah/pemilu/0.json", ("wilayah", "")),
        ("data/tps-ppwp.jsonl.gz", None),
        ("election.json", None),
        ("pemilu/other.json", None),
    ],
)
def test_a_tree_path_names_its_family_and_code(path: str, expected: tuple[str, str] | None) -> None:
    assert kode_of(path) == expected


def test_the_recounts_duckdb_draws_no_progress_bar() -> None:
    """DuckDB draws a bar on stdout for a query over two seconds: never in the report."""
    connection = connect()
    try:
        setting = connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    finally:
        connection.close()
    assert setting == (False,)
