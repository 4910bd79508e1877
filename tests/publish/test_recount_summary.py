"""The recount's closing line counts the problems of each kind in plain English."""

from __future__ import annotations

from rekap.recount.problems import Kind, Problem, RecountReport


def test_a_count_above_one_names_the_kind_in_the_plural() -> None:
    report = RecountReport(
        "snap",
        [
            Problem(Kind.CORRUPTED, "a.json", "SHA-256 differs"),
            Problem(Kind.MISSING, "b.json", "absent"),
            Problem(Kind.MISSING, "c.json", "absent"),
            Problem(Kind.UNLOGGED, "data/tps-ppwp.parquet", "paslon_1"),
            Problem(Kind.UNLOGGED, "data/tps-ppwp.parquet", "paslon_2"),
        ],
    )
    expected = "1 corrupted file, 2 missing files, 2 values differ from the log"
    assert report.summary() == expected


def test_every_kind_has_its_own_plural_and_counts_with_separators() -> None:
    for kind in Kind:
        assert kind.counted(1) == f"1 {kind.value}"
        assert kind.plural != kind.value
        assert kind.counted(1234) == f"1,234 {kind.plural}"
