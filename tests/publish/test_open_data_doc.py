"""docs/open-data.md documents every bulk column and every kind of recount problem."""

from __future__ import annotations

from pathlib import Path

from rekap.publish.bulk_schema import COUNTED_UNLISTED, REGION_HEAD, TPS_HEAD, TPS_TAIL
from rekap.recount.problems import Kind
from rekap.tally.layout import COVERAGE

DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"


def test_every_bulk_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    columns = (*TPS_HEAD, *TPS_TAIL, *REGION_HEAD, COUNTED_UNLISTED)
    names = [c.name for c in columns] + list(COVERAGE)
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"undocumented columns: {missing}"
    assert "`held_paslon_1`" in text


def test_every_kind_of_problem_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [kind.value for kind in Kind if f"`{kind.value}`" not in text]
    assert not missing, f"undocumented recount problems: {missing}"
